"""The question log: one row per question the bot answered, answered in part or declined, on every channel.

Kept in the store's database (handlers.insights.store: SQLite or PostgreSQL), table `questions`: UTC time,
channel, language, outcome, the sections the answer cited, the latency in milliseconds, the question
scrubbed of personal data (handlers.insights.scrub) and the conversation id as a salted hash. No user ids. The
same retention limit as feedback applies (the database's purge covers every table). Feedback rows link
back by `feedback.question_id` (see handlers.insights.store).

Logging must never cost an answer: `record` only queues the write on the store's own worker thread and
returns; a failure becomes one warning line, without the question or any id.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime

from handlers.insights.feedback import QUESTIONS_TABLE
from handlers.insights.scrub import scrub
from handlers.insights.store import (
    MAX_CHANNEL,
    MAX_QUESTION,
    Database,
    Table,
    format_time,
    parse_time,
    sql_list,
)
from handlers.model.answer import OUTCOMES, Answer

log = logging.getLogger(__name__)

MAX_LANG = 10

QUESTIONS = Table(
    QUESTIONS_TABLE,
    (
        f"""CREATE TABLE IF NOT EXISTS questions (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,                        -- UTC, ISO 8601
            channel TEXT NOT NULL,                     -- msteams, webchat, directline, emulator, …
            lang TEXT NOT NULL,                        -- the answer's language: sv, en
            outcome TEXT NOT NULL CHECK (outcome IN ({sql_list(OUTCOMES)})),
            sections TEXT NOT NULL DEFAULT '[]',       -- JSON list of the cited sections, best first
            latency_ms INTEGER NOT NULL,               -- from question to answer, in the bot
            question TEXT NOT NULL,                    -- scrubbed
            conversation TEXT                          -- salted hash of the conversation id
        )""",
        "CREATE INDEX IF NOT EXISTS questions_time ON questions (time)",
        # Feedback finds the question it rates by conversation (handlers.insights.store).
        "CREATE INDEX IF NOT EXISTS questions_conversation ON questions (conversation)",
    ),
)


@dataclass(frozen=True)
class QuestionEntry:
    """A question as the bot has it (raw); the log scrubs the text and hashes the conversation id."""

    question: str
    channel: str
    lang: str
    outcome: str
    sections: tuple[str, ...] = ()
    latency_ms: int = 0
    conversation_id: str | None = None
    time: datetime | None = None  # default: now

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")

    @classmethod
    def from_answer(
        cls, question: str, answer: Answer, channel: str | None, conversation_id: str | None, seconds: float
    ) -> QuestionEntry:
        return cls(
            question=question,
            channel=channel or "unknown",
            lang=answer.lang,
            outcome=answer.outcome,
            sections=tuple(dict.fromkeys(s.section for s in answer.unique_sources)),
            latency_ms=max(0, round(seconds * 1000)),
            conversation_id=conversation_id,
        )


@dataclass(frozen=True)
class LoggedQuestion:
    """A row of the questions table, as stored."""

    id: int
    time: datetime
    channel: str
    lang: str
    outcome: str
    sections: tuple[str, ...]
    latency_ms: int
    question: str
    conversation: str | None  # the salted hash

    COLUMNS = "id, time, channel, lang, outcome, sections, latency_ms, question, conversation"

    @classmethod
    def from_row(cls, row: tuple) -> LoggedQuestion:
        id_, time, channel, lang, outcome, sections, latency_ms, question, conversation = row
        sections_list = tuple(json.loads(sections))
        return cls(
            id_, parse_time(time), channel, lang, outcome, sections_list, latency_ms, question, conversation
        )


class QuestionLog:
    """The questions table of a Database: record (queued, never failing), add, read."""

    def __init__(self, database: Database) -> None:
        self.database = database
        database.add_table(QUESTIONS)

    def record(
        self, question: str, answer: Answer, channel: str | None, conversation_id: str | None, seconds: float
    ) -> Future[int] | None:
        """Queue the question for the log and return at once; None (and one warning) if it cannot be."""
        try:
            entry = QuestionEntry.from_answer(question, answer, channel, conversation_id, seconds)
            future = self.database.submit(self.add, entry)
        except Exception as exc:  # e.g. the store closed during shutdown
            log.warning("Could not log a question: %s", type(exc).__name__)
            return None
        future.add_done_callback(_warn_on_failure)
        return future

    async def flush(self) -> None:
        """Wait until the writes queued so far are done (the worker runs them in order)."""
        await self.database.run(lambda: None)

    def add(self, entry: QuestionEntry) -> int:
        """Store one question (scrubbed, hashed); returns its row id."""
        return self.database.insert(
            QUESTIONS.name,
            {
                "time": format_time(entry.time or datetime.now(UTC)),
                "channel": entry.channel[:MAX_CHANNEL],
                "lang": entry.lang[:MAX_LANG],
                "outcome": entry.outcome,
                "sections": json.dumps([scrub(s) for s in entry.sections], ensure_ascii=False),
                "latency_ms": entry.latency_ms,
                "question": scrub(entry.question[:MAX_QUESTION]),
                "conversation": self.database.hash_id(entry.conversation_id),
            },
        )

    async def add_async(self, entry: QuestionEntry) -> int:
        return await self.database.run(self.add, entry)

    def entries(self, since: datetime | None = None) -> list[LoggedQuestion]:
        """The logged questions, oldest first (all of them, or from `since`)."""
        rows = self.database.query(
            f"SELECT {LoggedQuestion.COLUMNS} FROM questions WHERE time >= ? ORDER BY time, id",
            (format_time(since) if since else "",),
        )
        return [LoggedQuestion.from_row(row) for row in rows]


def _warn_on_failure(future: Future[int]) -> None:
    exc = future.exception()
    if exc is not None:  # the type only: the message may quote the question
        log.warning("Could not log a question: %s", type(exc).__name__)
