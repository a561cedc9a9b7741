"""The question-answering engine: embedder + hybrid index + composer, loaded once, asked many times.

An answer is three steps: analyse the question, embed it, rank and compose. Only the embedding is heavy
(about 17 ms of CPU, the rest about 1.5 ms), so a server batches it: `answer_async` embeds questions asked
at the same time in one call per core (handlers/engine/batching.py) and runs the light steps on the
engine's own threads. Every step is safe to run from several threads at once: after loading, the engine
only reads its data (the caches it fills are lru_caches, or a dict filled with the same value whoever fills
it), the stemmer (PyStemmer) never releases the GIL, and the embedder allocates per call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from handlers.composing.answerability import Evidence
from handlers.composing.composer import Composer
from handlers.composing.memory import Memory
from handlers.composing.parts import combine
from handlers.composing.suggestions import Suggester
from handlers.engine.batching import Announcement, MicroBatcher, when_done
from handlers.model.answer import Answer
from handlers.model.context import Context
from handlers.understanding.actors import ActorDirectory
from handlers.understanding.analyser import MAX_QUESTION_CHARS, Analyser, Query
from handlers.understanding.dialogue import chosen_section
from handlers.understanding.parts import split_parts
from index.config import Config
from index.embed import Embedder, embed_queries, make_embedder
from index.glossary import Glossary
from index.knowledge import Document, load_document
from index.normalise import EnglishSpeller, Normaliser
from index.search import HybridSearcher, Ranking
from index.store import ensure_index
from index.text import fold, tokens

log = logging.getLogger(__name__)

__all__ = ["QA", "LoadReport", "MAX_QUESTION_CHARS"]

Embedding = dict[str, "Future[np.ndarray]"]  # texts being embedded, each with its vector to come

# Embedding time grows with length (about 0.1 s per 100 words here) while meaning does not: what is embedded
# is cut, a long message's end (where its question is) kept.
EMBEDDED_CHARS = 600
# How much a long message's whole text adds to its question's vector: fully when the question points into
# the situation ("Vad kan den sortens förflyttning ge?"), half when the situation is only background.
SITUATION_WEIGHT = 1.0
# Questions embedded in one call at most (concurrent questions are shared out evenly between the cores), and
# how long an idle embedder waits for a question that is being analysed (handlers/engine/batching.py):
# a batch of 4 costs about 10 % less CPU per question than single calls, larger ones no less; 3 ms is a
# fifth of one embedding on one core.
EMBED_BATCH = 16
EMBED_WINDOW_SECONDS = 0.003
# Threads for the light steps (analysis, ranking, composing); they hold the GIL, so more would only queue.
LIGHT_THREADS = min(4, os.cpu_count() or 1)


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
        document: Document,
    ):
        self.embedder = embedder
        self.glossary = glossary
        self.actors = actors
        self.searcher = searcher
        self.composer = composer
        self.report = report
        normaliser = Normaliser(
            (c.search_text for c in searcher.chunks), searcher.decompounder, searcher.stored.lexicon
        )
        english = EnglishSpeller(
            searcher.stored.english, glossary.english_words(), (c.search_text for c in searcher.chunks)
        )
        # wordfreq's lists stored with the index (most frequent first); the plan's words rank first, Swedish.
        swedish = {word: rank for rank, word in enumerate(searcher.stored.lexicon)}
        swedish.update((t, 0) for c in searcher.chunks for t in tokens(c.search_text))
        english_ranks: dict[str, int] = {}
        for rank, word in enumerate(searcher.stored.english):
            english_ranks.setdefault(fold(word), rank)
        vocabularies = (swedish, english_ranks)
        self.analyser = Analyser(normaliser, english, actors, glossary, searcher, document, vocabularies)
        # One batch per core at a time: the e5 engine is thread-safe and releases the GIL.
        self._cores = int(getattr(embedder, "cores", 1))
        self.batcher: MicroBatcher[str, np.ndarray] = MicroBatcher(
            self._embed_batch, EMBED_BATCH, EMBED_WINDOW_SECONDS, name="qa-embed", workers=self._cores
        )
        # Not the event loop's default executor: the channels' botbuilder sends replies there.
        self._threads = ThreadPoolExecutor(LIGHT_THREADS, thread_name_prefix="qa")

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
        qa = cls(embedder, searcher, composer, actors, Glossary.load(config.glossary_path), None, document)
        manifest = stored.manifest
        composer.memory = Memory.load_or_build(
            config.index_dir.resolve(),
            config.corpus_dir,
            stored.sentences,
            manifest.dim,
            qa.embed_questions,
            f"{manifest.embedder_id}:{manifest.knowledge_sha256}:{manifest.built_at}",
        )
        # Suggested follow-ups are checked against the engine as it answers (its memory included: the vote
        # decides whether it asks back), once per index build.
        composer.suggester = Suggester.load_or_check(document, actors, config.index_dir.resolve(), qa.answer)
        qa.report = LoadReport(time.perf_counter() - started, len(stored.chunks), embedder.id)
        log.info(
            "Index laddat: %d avsnitt, %s, %.2f s", qa.report.chunks, qa.report.embedder, qa.report.seconds
        )
        return qa

    def answer(self, question: str, context: Context | None = None) -> Answer:
        """Answer a question; `context` is the previous answer's `context`, for follow-up questions. A
        message that asks several things gets each part answered, the later parts as follow-ups, and one
        reply from them when the plan answers every part; otherwise the message is answered as a whole."""
        message = " ".join(question.split())[:MAX_QUESTION_CHARS]
        if chosen := chosen_section(message, context):
            assert context is not None
            query = self._choosing(context.question, chosen)
            return self._finish(query, self._vectors(query), None, may_ask_back=False)
        parts = split_parts(message)
        if len(parts) == 1:
            return self._answer_one(question, context)
        answers: list[Answer] = []
        for part in parts:
            shown = frozenset(i for a in answers for i in a.evidence)
            answer = self._answer_one(part, answers[-1].context if answers else context, shown)
            if not answer.answered:  # a part alone may lack what the whole message has
                return self._answer_one(question, context)
            answers.append(answer)
        return combine(message, parts, answers)

    async def answer_async(self, question: str, context: Context | None = None) -> Answer:
        """The same answer as answer(), for a server: the light steps on the engine's threads, the
        embedding batched with the other questions asked at the same time."""
        message = " ".join(question.split())[:MAX_QUESTION_CHARS]
        if chosen := chosen_section(message, context):
            assert context is not None
            return await self._answer_one_async(context.question, None, chosen)
        parts = split_parts(message)
        if len(parts) == 1:
            return await self._answer_one_async(question, context)
        ahead = self._embed_ahead(parts[1:], context)
        answers: list[Answer] = []
        for part in parts:
            shown = frozenset(i for a in answers for i in a.evidence)
            previous = answers[-1].context if answers else context
            answer = await self._answer_one_async(part, previous, shown=shown, ahead=ahead)
            if not answer.answered:
                return await self._answer_one_async(question, context)
            answers.append(answer)
        return combine(message, parts, answers)

    def _answer_one(
        self, question: str, context: Context | None, shown: frozenset[int] = frozenset()
    ) -> Answer:
        query = dataclasses.replace(self.analyser.analyse(question, context), shown=shown)
        return self._finish(query, self._vectors(query), context)

    async def _answer_one_async(
        self,
        question: str,
        context: Context | None,
        chosen: str = "",
        shown: frozenset[int] = frozenset(),
        ahead: Future[Embedding] | None = None,
    ) -> Answer:
        """Analysed on one of the engine's threads, embedded with the questions asked at the same time,
        ranked and composed on an engine thread again: the steps hand over to each other, and the event
        loop is woken once, by the answer (each wake-up costs it a pipe write, a poll and the GIL).
        `ahead`: texts already being embedded (_embed_ahead), used where the question's are among them."""
        answer: Future[Answer] = Future()
        announced = self.batcher.announce()  # before analysing: an idle embedder waits for it
        asked = partial(self._analyse_and_embed, question, context, chosen, shown, ahead)
        self._submit_announced(announced, asked, announced, answer)
        return await asyncio.wrap_future(answer)

    def _submit_announced(self, announced: Announcement, step: Callable[..., Any], *args: object) -> Future:
        """`step(*args)` on an engine thread; the announcement withdrawn if it cannot be queued."""
        try:
            return self._threads.submit(step, *args)
        except RuntimeError:  # the engine's threads were shut down (the process is stopping)
            announced.withdraw()
            raise

    def _embed_ahead(self, parts: list[str], context: Context | None) -> Future[Embedding]:
        """A message's later parts, embedded while its first is answered, as they read before it: a part
        that does not point back reads the same after it, so the message costs one embedding round, not
        one per part. A part that reads differently once the earlier one is answered is embedded again."""
        announced = self.batcher.announce()

        def embed() -> Embedding:
            try:
                queries = [self.analyser.analyse(part, context) for part in parts]
                texts = [t for q in queries if not q.follow_up for t in embed_texts(q)]
                texts = list(dict.fromkeys(texts))
                return dict(zip(texts, announced.submit(texts), strict=True)) if texts else {}
            finally:
                announced.withdraw()  # a no-op once submitted

        return self._submit_announced(announced, embed)

    def _analyse_and_embed(
        self,
        question: str,
        context: Context | None,
        chosen: str,
        shown: frozenset[int],
        ahead: Future[Embedding] | None,
        announced: Announcement[str, np.ndarray],
        answer: Future[Answer],
    ) -> None:
        try:
            if chosen:
                query = self._choosing(question, chosen)
            else:
                query = dataclasses.replace(self.analyser.analyse(question, context), shown=shown)
            embedding = _embedding(embed_texts(query), announced, _done(ahead))
        except BaseException as error:  # noqa: BLE001 - handed to the caller, who re-raises it
            announced.withdraw()
            _settle(answer, error=error)
            return
        finish = partial(self._finish, query, context=context, may_ask_back=not chosen)
        when_done(
            embedding,
            lambda vectors: self._submit_settling(answer, partial(finish, vectors)),
            lambda error: _settle(answer, error=error),
        )

    def _submit_settling(self, answer: Future[Answer], step: Callable[[], Answer]) -> None:
        """`step()` on an engine thread, its answer (or failure) into `answer`."""

        def run() -> None:
            try:
                result = step()
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                _settle(answer, error=error)
                return
            _settle(answer, result)

        try:
            self._threads.submit(run)
        except RuntimeError as error:  # the engine's threads were shut down (the process is stopping)
            _settle(answer, error=error)

    def _choosing(self, question: str, section: str) -> Query:
        """The question the bot asked back about, answered from the section the user chose: the section's
        sentences lead the ranking as a chapter the question names does (index/search.py)."""
        return dataclasses.replace(self.analyser.analyse(question), chapter=section)

    def _finish(
        self, query: Query, vectors: list[np.ndarray], context: Context | None, may_ask_back: bool = True
    ) -> Answer:
        vector = mix(query, vectors)
        ranking, judged_on = self._rankings(query, vectors, vector)
        answer = self.composer.compose(query, vector, ranking, judged_on, may_ask_back)
        if not answer.answered and not answer.asks_back and context is not None:
            answer.context = context  # a turn that does not answer keeps the thread
        return answer

    def _rankings(
        self, query: Query, vectors: list[np.ndarray], vector: np.ndarray
    ) -> tuple[Ranking, Ranking]:
        """The ranking to answer from (the situation may tip it), and the one that decides whether the plan
        answers at all: the question's own, unless it leans on the situation ("Vad kan de hjälpa till med?").
        A sentence about the asker does not make "pivottabell excel hur gör man" a question about the plan,
        nor a question about the plan less of one."""
        if not query.situation:
            ranking = self.searcher.rank(vector, query.terms, query.chapter, lang=query.lang)
            return ranking, ranking
        # The situation's words join the passages' lexical match (not the sentences'): the subject of a long
        # message is often there, its question sentence generic ("Vad säger planen att vi kan göra?").
        told = dataclasses.replace(query.terms, terms=query.terms.terms + query.situation_terms)
        ranking = self.searcher.rank(vector, told, query.chapter, lang=query.lang)
        if query.leans_on_situation:
            return ranking, ranking
        return ranking, self.searcher.rank(vectors[0], query.terms, query.chapter, lang=query.lang)

    def ranking(self, query: Query, vector: np.ndarray) -> Ranking:
        """The ranking a question is answered from, given its vector (as embed() makes it)."""
        return self._rankings(query, [vector, vector], vector)[0]

    def judge(self, question: str) -> Evidence:
        """The answerability evidence for a question, without composing an answer (for `eval --curve`)."""
        query = self.analyser.analyse(question)
        vectors = self._vectors(query)
        vector = mix(query, vectors)
        _, judged_on = self._rankings(query, vectors, vector)
        return self.composer.judge(query, vector, judged_on)

    def standout(self, question: str) -> float:
        """How far the best sentence stands out for a question, as the composer measures it before asking
        back (Composer.standout), for `eval --ask-back-curve`."""
        query = self.analyser.analyse(question)
        vectors = self._vectors(query)
        vector = mix(query, vectors)
        ranking, _ = self._rankings(query, vectors, vector)
        return self.composer.standout(query, vector, ranking)

    def embed_questions(self, questions: list[str]) -> np.ndarray:
        """Questions' vectors as the engine searches with them (analysed, then embedded in one call)."""
        queries = [self.analyser.analyse(q) for q in questions]
        texts = [embed_texts(q) for q in queries]
        flat = embed_queries(self.embedder, [t for each in texts for t in each])
        vectors, at = [], 0
        for query, each in zip(queries, texts, strict=True):
            vectors.append(mix(query, list(flat[at : at + len(each)])))
            at += len(each)
        return np.vstack(vectors) if vectors else np.zeros((0, self.embedder.dim), np.float32)

    def embed(self, query: Query) -> np.ndarray:
        """The question's vector (see mix())."""
        return mix(query, self._vectors(query))

    def _vectors(self, query: Query) -> list[np.ndarray]:
        return list(embed_queries(self.embedder, embed_texts(query)))

    def _embed_batch(self, texts: list[str]) -> list[np.ndarray]:
        set_threads = getattr(self.embedder, "set_threads", None)
        if set_threads is not None:
            # One core per batch, a batch per core: OpenMP threads that share a core with the server's
            # Python threads stall at every barrier (measured: fewer answers/s even for one user at a time).
            set_threads(1)
        return list(embed_queries(self.embedder, texts))


def _done(ahead: Future[Embedding] | None) -> Embedding:
    """What was embedded ahead, if it is ready (never waited for: the question is embedded instead)."""
    if ahead is None or not ahead.done() or ahead.cancelled() or ahead.exception() is not None:
        return {}
    return ahead.result()


def _embedding(
    texts: list[str], announced: Announcement[str, np.ndarray], ready: Embedding
) -> list[Future[np.ndarray]]:
    """The texts' vectors: those embedded ahead, the others submitted (the announcement withdrawn if none)."""
    missing = [t for t in texts if t not in ready]
    submitted = iter(announced.submit(missing) if missing else ())
    announced.withdraw()
    return [ready[t] if t in ready else next(submitted) for t in texts]


def _settle(answer: Future[Answer], result: Answer | None = None, error: BaseException | None = None) -> None:
    """The answer's outcome, unless its caller gave up waiting (a cancelled request)."""
    try:
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(result)  # type: ignore[arg-type]
    except InvalidStateError:
        pass


def embed_texts(query: Query) -> list[str]:
    """What is embedded for a question: its search text, and a long message's whole text (its end)."""
    texts = [query.search_text[:EMBEDDED_CHARS]]
    if query.situation:
        texts.append(query.text[-EMBEDDED_CHARS:])
    return texts


def mix(query: Query, vectors: list[np.ndarray]) -> np.ndarray:
    """The question's vector; the situation told with it joins in, so it can tip the choice between
    passages without drowning the question."""
    vector = vectors[0]
    if not query.situation:
        return vector
    weight = SITUATION_WEIGHT if query.leans_on_situation else SITUATION_WEIGHT / 2
    mixed = vector + weight * vectors[1]
    return (mixed / np.linalg.norm(mixed)).astype(np.float32)
