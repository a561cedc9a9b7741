"""Running the server: worker processes, Prometheus metrics, logging (private by default). Imports
insights (the pseudonyms of ids), the model and index."""
