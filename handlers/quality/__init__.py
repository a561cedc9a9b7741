"""Tooling that measures the product, apart from it: eval, perturbations, benchmarks (answer, load, abuse)
and the release check. Only bot.py imports it, lazily; the server never loads it and the image leaves it out
(.dockerignore)."""
