"""Hybrid search: dense (FAISS, inner product on normalised vectors) + lexical (BM25 over Swedish stems and
compound parts), fused with reciprocal rank fusion."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import bm25s
import numpy as np

from index.chunk import Chunk
from index.glossary import Translation
from index.store import StoredIndex
from index.text import Decompounder, content_tokens, stem, tokens, word_pieces

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its logger to DEBUG when imported

RRF_K = 60  # the usual constant; flattens the head of each ranking so neither retriever dominates


@dataclass(frozen=True)
class Hit:
    chunk_index: int
    chunk: Chunk
    score: float  # fused RRF score
    dense: float  # cosine of question and chunk
    lexical: float  # BM25 score


@dataclass(frozen=True)
class QueryTerms:
    """A question's lexical side: stems, and how much of it the plan's vocabulary knows."""

    terms: list[str]
    coverage: float  # share of the question's content terms (IDF-weighted) that occur in the plan
    words: list[str] = field(default_factory=list)  # its content words in Swedish (English: via the glossary)
    focus: list[str] = field(default_factory=list)  # the terms of the question itself, without expansions


class HybridSearcher:
    def __init__(self, stored: StoredIndex):
        self.stored = stored
        self.chunks = stored.chunks
        texts = [c.search_text for c in self.chunks]
        self.decompounder = Decompounder({t for text in texts for t in tokens(text)})
        corpus_terms = [self.decompounder.terms(text) for text in texts]
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus_terms, show_progress=False)
        document_frequency: dict[str, int] = {}
        for terms in corpus_terms:
            for term in set(terms):
                document_frequency[term] = document_frequency.get(term, 0) + 1
        self._df = document_frequency
        self._sentences_of: dict[int, list[int]] = {}
        for i, sentence in enumerate(stored.sentences):
            self._sentences_of.setdefault(sentence.chunk, []).append(i)

    def query_terms(
        self, question: str, translation: Translation | None = None, expansion: str = ""
    ) -> QueryTerms:
        """Lexical terms of a question (with the Swedish terms of an English one, and `expansion`: the plan's
        names for what the question calls otherwise) and how much of it the plan's vocabulary knows."""
        lexical_text = f"{question} {translation.swedish}" if translation else question
        focus = self.decompounder.terms(lexical_text)
        question = f"{question} {expansion}".strip()
        words = content_tokens(question)
        terms = focus + self.decompounder.terms(expansion) if expansion else focus
        pre_known = translation.matched if translation else frozenset()
        total = known = 0.0
        for word in words:
            weight = self.idf(stem(word))
            total += weight
            known += weight if word in pre_known or self._is_known(word) else 0.0
        swedish = words
        if translation:
            untranslated = [w for w in words if w not in translation.matched and self._is_known(w)]
            swedish = content_tokens(translation.swedish) + untranslated
        return QueryTerms(terms, known / total if total else 0.0, swedish, focus)

    def _is_known(self, word: str) -> bool:
        """A word is known when its stem, or every part of it as a compound, occurs in the plan."""
        for piece in word_pieces(word):
            if stem(piece) in self._df:
                return True
            parts = self.decompounder.parts(piece)
            if parts and all(stem(p) in self._df for p in parts):
                return True
        return False

    def idf(self, term: str) -> float:
        n = len(self.chunks)
        return math.log(1 + (n - self._df.get(term, 0) + 0.5) / (self._df.get(term, 0) + 0.5))

    def search(
        self, question: str, query_vector: np.ndarray, k: int = 10, terms: QueryTerms | None = None
    ) -> list[Hit]:
        n = len(self.chunks)
        scores, ids = self.stored.chunk_vectors.search(query_vector.reshape(1, -1).astype(np.float32), n)
        dense = np.empty(n, dtype=np.float32)
        dense[ids[0]] = scores[0]
        terms = terms or self.query_terms(question)
        lexical = self._bm25.get_scores(terms.terms) if terms.terms else np.zeros(n, dtype=np.float32)
        fused = np.zeros(n, dtype=np.float64)
        for scores in (dense, lexical):
            order = np.argsort(-scores, kind="stable")
            ranks = np.empty(n, dtype=np.int64)
            ranks[order] = np.arange(n)
            valid = scores > 0 if scores is lexical else np.ones(n, dtype=bool)
            fused += np.where(valid, 1.0 / (RRF_K + ranks + 1), 0.0)
        best = np.argsort(-fused, kind="stable")[:k]
        return [
            Hit(int(i), self.chunks[i], float(fused[i]), float(dense[i]), float(lexical[i])) for i in best
        ]

    def is_continuation(self, chunk_index: int) -> bool:
        """Whether the chunk goes on a section that an earlier chunk started."""
        return chunk_index > 0 and self.chunks[chunk_index - 1].section == self.chunks[chunk_index].section

    def sentences_of(self, chunk_index: int) -> list[int]:
        return self._sentences_of.get(chunk_index, [])
