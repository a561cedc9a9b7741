"""Hybrid search over the plan's sentences in their passages: dense (e5 cosines of the question with each
sentence and with its passage) and lexical (BM25 over folded Swedish stems and compound parts, per sentence
and per passage), fused into one score per sentence. A passage ranks by its best sentence.

The fusion is linear over features that mean the same whatever the wording or the language: cosines as
z-scores within the question (an English question has lower cosines to everything, not a different order)
and BM25 scores relative to the question's best. The weights were fitted by logistic regression on which
sentences hold the answer in the development sets (../shared/eval/dev*.jsonl and our
tests/data/realistic_tune.jsonl; not our held-out set), then rounded.
"""

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

W_SENTENCE = 0.45  # z-score of the cosine with the sentence
W_PASSAGE = 0.15  # z-score of the cosine with the sentence's passage
W_LEXICAL_SENTENCE = 0.6  # BM25 of the sentence (with its heading), relative to the best sentence
W_LEXICAL_PASSAGE = 1.05  # BM25 of the passage, relative to the best passage
W_HEADING = -0.75  # a heading names a subject; the sentences under it say something about it
W_CHAPTER = 1.0  # in the chapter the question names ("enligt förordet"): about the spread of one feature
# The lexical features' weight per language. An English question meets the Swedish plan's words only through
# the glossary's terms and shared names, so its lexical match is weaker evidence: refitted with language
# interactions, English lexical weights came out at about 0.6 of the Swedish ones.
LEXICAL_SCALE = {"sv": 1.0, "en": 0.6}


@dataclass(frozen=True)
class Hit:
    chunk_index: int
    chunk: Chunk
    score: float  # fused score of its best sentence
    dense: float  # cosine of question and chunk
    lexical: float  # BM25 score


@dataclass(frozen=True)
class Ranking:
    """A question's search result: passages best first, and every sentence's fused score."""

    hits: list[Hit]
    sentence_scores: np.ndarray  # per stored sentence
    sentence_cosines: np.ndarray  # raw cosines with the question, per sentence
    chunk_cosines: np.ndarray  # raw cosines with the question, per chunk
    chunk_lexical: np.ndarray  # BM25 scores, per chunk
    # BM25 scores of the question's own terms, per sentence (the evidence ranker's; empty when not searched)
    sentence_lexical: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def best_sentences(self, limit: int) -> list[int]:
        return [int(i) for i in np.argsort(-self.sentence_scores, kind="stable")[:limit]]


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
        self._sentence_chunk = np.array([s.chunk for s in stored.sentences], dtype=np.int64)
        self._is_heading = np.array([s.kind == "heading" for s in stored.sentences], dtype=np.float32)
        self._sentence_bm25 = bm25s.BM25()
        self._sentence_bm25.index(
            [self.decompounder.terms(f"{self.chunks[s.chunk].heading} {s.text}") for s in stored.sentences],
            show_progress=False,
        )
        self._chunk_matrix = np.vstack(
            [stored.chunk_vectors.reconstruct(i) for i in range(stored.chunk_vectors.ntotal)]
        ).astype(np.float32)

    def query_terms(
        self, question: str, translation: Translation | None = None, expansion: str = ""
    ) -> QueryTerms:
        """Lexical terms of a question (with the Swedish terms of an English one, and `expansion`: the plan's
        names for what the question calls otherwise) and how much of it the plan's vocabulary knows."""
        lexical_text = f"{question} {translation.swedish}" if translation else question
        focus = self.decompounder.terms(lexical_text) + self.decompounder.derived(lexical_text)
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

    def document_share(self, term: str) -> float:
        """The share of passages that contain the term."""
        return self._df.get(term, 0) / len(self.chunks) if self.chunks else 0.0

    def idf(self, term: str) -> float:
        n = len(self.chunks)
        return math.log(1 + (n - self._df.get(term, 0) + 0.5) / (self._df.get(term, 0) + 0.5))

    def rank(
        self, query_vector: np.ndarray, terms: QueryTerms, chapter: str = "", k: int = 10, lang: str = "sv"
    ) -> Ranking:
        """Every sentence scored, and the `k` best passages by their best sentence. `chapter`: a chapter
        the question points into ("enligt förordet"), whose sentences are preferred; `lang`: the
        question's language, which sets how much its lexical match counts."""
        sentence_cosines = self.stored.sentence_vectors @ query_vector
        chunk_cosines = self._chunk_matrix @ query_vector
        if terms.terms:
            # A sentence must match the question's own words; names the question implies (its actor's full
            # name, a follow-up's subject) only help find the passage.
            focus = terms.focus or terms.terms
            lexical_sentences = self._sentence_bm25.get_scores(focus)
            lexical_chunks = self._bm25.get_scores(terms.terms)
        else:
            lexical_sentences = np.zeros(len(self.stored.sentences), dtype=np.float32)
            lexical_chunks = np.zeros(len(self.chunks), dtype=np.float32)
        lexical_scale = LEXICAL_SCALE.get(lang, 1.0)
        scores = (
            W_SENTENCE * z_scores(sentence_cosines)
            + W_PASSAGE * z_scores(chunk_cosines)[self._sentence_chunk]
            + lexical_scale * W_LEXICAL_SENTENCE * relative_to_best(lexical_sentences)
            + lexical_scale * W_LEXICAL_PASSAGE * relative_to_best(lexical_chunks)[self._sentence_chunk]
            + W_HEADING * self._is_heading
        )
        if chapter:
            # What the chapter says, not its heading: the question has named the chapter already.
            inside = [c.section == chapter or c.section.startswith(f"{chapter} > ") for c in self.chunks]
            in_chapter = np.asarray(inside, dtype=np.float32)[self._sentence_chunk]
            scores = scores + W_CHAPTER * in_chapter * (1.0 - self._is_heading)
        return self._ranked(scores, sentence_cosines, chunk_cosines, lexical_chunks, lexical_sentences, k)

    def with_bonus(self, ranking: Ranking, bonus: np.ndarray, k: int = 10) -> Ranking:
        """The ranking with `bonus` added to every sentence's score (evidence from elsewhere, such as what
        answered similar questions), its passages ranked again by their best sentence."""
        scores = ranking.sentence_scores + bonus
        return self._ranked(
            scores,
            ranking.sentence_cosines,
            ranking.chunk_cosines,
            ranking.chunk_lexical,
            ranking.sentence_lexical,
            k,
        )

    def _ranked(
        self,
        scores: np.ndarray,
        sentence_cosines: np.ndarray,
        chunk_cosines: np.ndarray,
        lexical_chunks: np.ndarray,
        lexical_sentences: np.ndarray,
        k: int,
    ) -> Ranking:
        """The `k` best passages by their best sentence's score."""
        best_per_chunk = np.full(len(self.chunks), -np.inf)
        np.maximum.at(best_per_chunk, self._sentence_chunk, scores)
        order = np.argsort(-best_per_chunk, kind="stable")[:k]
        hits = [
            Hit(int(i), self.chunks[i], float(best_per_chunk[i]), float(chunk_cosines[i]), float(lex))
            for i, lex in zip(order, lexical_chunks[order], strict=True)
        ]
        return Ranking(hits, scores, sentence_cosines, chunk_cosines, lexical_chunks, lexical_sentences)

    def is_continuation(self, chunk_index: int) -> bool:
        """Whether the chunk goes on a section that an earlier chunk started."""
        return chunk_index > 0 and self.chunks[chunk_index - 1].section == self.chunks[chunk_index].section

    def sentences_of(self, chunk_index: int) -> list[int]:
        return self._sentences_of.get(chunk_index, [])


def z_scores(values: np.ndarray) -> np.ndarray:
    """Standard scores within one question: how far above this question's usual cosine a passage is."""
    return (values - values.mean()) / (values.std() + 1e-9)


def relative_to_best(values: np.ndarray) -> np.ndarray:
    best = float(values.max()) if len(values) else 0.0
    return values / best if best > 0 else np.zeros_like(values)
