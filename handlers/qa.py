"""The question-answering engine: embedder + hybrid index + composer, loaded once, asked many times."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from handlers.actors import ActorDirectory
from handlers.answer_types import Answer
from handlers.compose import Composer
from handlers.dialogue import Context, resolve
from handlers.suggestions import Suggester
from index.config import Config
from index.embed import Embedder, make_embedder
from index.glossary import Glossary
from index.knowledge import load_document
from index.normalise import Normaliser
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
        actors: ActorDirectory,
        glossary: Glossary,
        report: LoadReport | None,
    ):
        self.embedder = embedder
        self.glossary = glossary
        self.actors = actors
        self.searcher = searcher
        self.composer = composer
        self.report = report
        self.normaliser = Normaliser(
            (c.search_text for c in searcher.chunks), searcher.decompounder, searcher.stored.lexicon
        )

    @classmethod
    def load(cls, config: Config, progress: Callable[[str], None] | None = None) -> QA:
        """Load the embedder and the index, building the index first if it is missing or stale."""
        progress = progress or log.info
        started = time.perf_counter()
        embedder = make_embedder(config.embedder)
        stored = ensure_index(config.knowledge_path, config.index_dir, config.embedder, embedder, progress)
        searcher = HybridSearcher(stored)
        document = load_document(config.knowledge_path)
        actors = ActorDirectory.from_document(document, config.aliases_path)
        composer = Composer(searcher, document, actors)
        qa = cls(embedder, searcher, composer, actors, Glossary.load(config.glossary_path), None)
        # Suggested follow-ups are checked against the engine itself, once per index build.
        composer.suggester = Suggester.load_or_check(document, actors, config.index_dir.resolve(), qa.answer)
        qa.report = LoadReport(time.perf_counter() - started, len(stored.chunks), embedder.id)
        log.info(
            "Index laddat: %d avsnitt, %s, %.2f s", qa.report.chunks, qa.report.embedder, qa.report.seconds
        )
        return qa

    def answer(self, question: str, context: Context | None = None) -> Answer:
        """Answer a question; `context` is the previous answer's `context`, for follow-up questions."""
        question = " ".join(question.split())[:MAX_QUESTION_CHARS]
        lang = detect_language(question)
        if lang == "sv":
            question = self.normaliser.normalise(question).text
        first = self.glossary.translate(question) if lang == "en" else None
        resolved = resolve(question, context, self.actors, first.swedish if first else "")
        # The plan's own names for what the question calls otherwise: "AF" -> Arbetsförmedlingen, YH -> …
        names = [a.name for a in resolved.actors if a.name.lower() not in resolved.question.lower()]
        expansion = " ".join([*names, self.actors.expand(resolved.question)]).strip()
        search_text = f"{resolved.question} ({expansion})" if expansion else resolved.question
        translation = first
        if first is not None and resolved.question != question:
            translation = self.glossary.translate(resolved.question)
        # The plan's own Swedish terms next to an English question pull the embedding towards the plan.
        embedded = (
            f"{search_text} ({translation.swedish})" if translation and translation.swedish else search_text
        )
        query_vector = self.embedder.query(embedded)
        terms = self.searcher.query_terms(resolved.question, translation, expansion)
        hits = self.searcher.search(search_text, query_vector, k=10, terms=terms)
        answer = self.composer.compose(question, resolved, query_vector, hits, terms, lang)
        if not answer.answered and context is not None:
            answer.context = context  # a declined turn does not lose the thread
        return answer
