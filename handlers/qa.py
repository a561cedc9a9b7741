"""The question-answering engine: embedder + hybrid index + composer, loaded once, asked many times."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from handlers.answer_types import Answer
from handlers.compose import Composer
from index.config import Config
from index.embed import Embedder, make_embedder
from index.glossary import Glossary
from index.knowledge import load_document
from index.search import HybridSearcher
from index.store import ensure_index
from index.text import detect_language

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000  # longer input is cut for search; e5 reads 512 tokens at most anyway


@dataclass
class LoadReport:
    seconds: float
    chunks: int
    embedder: str


class QA:
    def __init__(
        self,
        embedder: Embedder,
        searcher: HybridSearcher,
        composer: Composer,
        glossary: Glossary,
        report: LoadReport,
    ):
        self.embedder = embedder
        self.glossary = glossary
        self.searcher = searcher
        self.composer = composer
        self.report = report

    @classmethod
    def load(cls, config: Config, progress: Callable[[str], None] | None = None) -> QA:
        """Load the embedder and the index, building the index first if it is missing or stale."""
        progress = progress or log.info
        started = time.perf_counter()
        embedder = make_embedder(config.embedder)
        stored = ensure_index(config.knowledge_path, config.index_dir, config.embedder, embedder, progress)
        searcher = HybridSearcher(stored)
        composer = Composer(searcher, load_document(config.knowledge_path))
        report = LoadReport(time.perf_counter() - started, len(stored.chunks), embedder.id)
        log.info("Index laddat: %d avsnitt, %s, %.2f s", report.chunks, report.embedder, report.seconds)
        return cls(embedder, searcher, composer, Glossary.load(config.glossary_path), report)

    def answer(self, question: str) -> Answer:
        question = " ".join(question.split())[:MAX_QUESTION_CHARS]
        lang = detect_language(question)
        translation = self.glossary.translate(question) if lang == "en" else None
        # The plan's own Swedish terms next to an English question pull the embedding towards the plan.
        embedded = f"{question} ({translation.swedish})" if translation and translation.swedish else question
        query_vector = self.embedder.query(embedded)
        terms = self.searcher.query_terms(question, translation)
        hits = self.searcher.search(question, query_vector, k=10, terms=terms)
        return self.composer.compose(question, query_vector, hits, terms, lang)
