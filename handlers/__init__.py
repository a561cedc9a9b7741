"""Kompetensbot's answering code, SDK-free below the channels. Subpackages in the order data flows: model,
wording, understanding, composing, engine, insights, operations, channels; quality apart
(docs/architecture.md)."""
