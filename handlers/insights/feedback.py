"""The feedback table: one row per 👍/👎 reaction, scrubbed and hashed by the store (handlers.insights.store).

What: UTC time, channel, reaction, the comment and the question scrubbed of e-mail addresses, phone numbers,
personnummer and a self-given name (handlers.insights.scrub), the sections the answer cited, and the
conversation id as a salted hash. No user ids, no names. `question_id` links a reaction to its row in the
question log: the newest logged question of the same conversation with the same (scrubbed) text, found when
the reaction is stored; NULL when there is none (no log, or the question was purged).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.insights.scrub import scrub
from handlers.insights.store import (
    MAX_CHANNEL,
    MAX_QUESTION,
    Database,
    DatabaseURL,
    Table,
    format_time,
    parse_time,
    sql_list,
)
from handlers.model.answer import REACTIONS
from index.config import Config

log = logging.getLogger(__name__)

MAX_COMMENT = 2000  # characters kept of a comment; a flood of huge comments must not fill the disk
PURGE_INTERVAL = 3600.0  # seconds between purges while the server runs

# --- The feedback table -----------------------------------------------------------------------------------

FEEDBACK = Table(
    "feedback",
    (
        f"""CREATE TABLE IF NOT EXISTS feedback (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,                        -- UTC, ISO 8601
            channel TEXT NOT NULL,                     -- msteams, webchat, …
            reaction TEXT NOT NULL CHECK (reaction IN ({sql_list(REACTIONS)})),
            comment TEXT NOT NULL DEFAULT '',          -- scrubbed
            question TEXT,                             -- scrubbed; NULL when not known
            sections TEXT NOT NULL DEFAULT '[]',       -- JSON list of the cited sections
            conversation TEXT,                         -- salted hash of the conversation id
            question_id INTEGER                        -- questions.id of the rated question, or NULL
        )""",
        "CREATE INDEX IF NOT EXISTS feedback_time ON feedback (time)",
    ),
    added_columns=(("question_id", "INTEGER"),),  # stores made before the question log
)
QUESTIONS_TABLE = "questions"  # handlers.insights.question_log's table, which feedback links to


@dataclass(frozen=True)
class FeedbackEntry:
    """Feedback as a caller has it (raw); the store scrubs the texts and hashes the conversation id."""

    reaction: str
    channel: str
    comment: str = ""
    question: str | None = None
    sections: tuple[str, ...] = ()
    conversation_id: str | None = None
    time: datetime | None = None  # default: now

    def __post_init__(self) -> None:
        if self.reaction not in REACTIONS:
            raise ValueError(f"reaction must be one of {REACTIONS}")


@dataclass(frozen=True)
class StoredFeedback:
    """A row of the feedback table, as stored."""

    id: int
    time: datetime
    channel: str
    reaction: str
    comment: str
    question: str | None
    sections: tuple[str, ...]
    conversation: str | None  # the salted hash
    question_id: int | None = None  # the question log's row of the rated question

    @classmethod
    def from_row(cls, row: tuple) -> StoredFeedback:
        id_, time, channel, reaction, comment, question, sections, conversation, question_id = row
        return cls(
            id_,
            parse_time(time),
            channel,
            reaction,
            comment,
            question,
            tuple(json.loads(sections)),
            conversation,
            question_id,
        )


class FeedbackStore:
    """The feedback table of a Database: add (scrubbed, hashed), read, purge."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @classmethod
    def open(cls, config: Config) -> FeedbackStore:
        """The store the configuration names (KOMPETENSBOT_DATABASE_URL, KOMPETENSBOT_RETENTION_DAYS)."""
        database = Database.open(
            config.database_url, (FEEDBACK,), config.feedback_retention_days, config.id_salt
        )
        log.info(
            "Feedback store: %s, kept %d days",
            DatabaseURL.parse(config.database_url).redacted(),
            config.feedback_retention_days,
        )
        return cls(database)

    def add(self, entry: FeedbackEntry) -> int:
        """Store one reaction; returns its row id."""
        moment = format_time(entry.time or datetime.now(UTC))
        question = scrub(entry.question[:MAX_QUESTION]) if entry.question else None
        conversation = self.database.hash_id(entry.conversation_id)
        return self.database.insert(
            FEEDBACK.name,
            {
                "time": moment,
                "channel": (entry.channel or "unknown")[:MAX_CHANNEL],
                "reaction": entry.reaction,
                "comment": scrub(entry.comment[:MAX_COMMENT]),
                "question": question,
                "sections": json.dumps([scrub(s) for s in entry.sections], ensure_ascii=False),
                "conversation": conversation,
                "question_id": self._question_id(question, conversation, moment),
            },
        )

    def _question_id(self, question: str | None, conversation: str | None, moment: str) -> int | None:
        """The logged question this reaction rates: the newest with the same text in the conversation."""
        if not (question and conversation and self.database.has_table(QUESTIONS_TABLE)):
            return None
        rows = self.database.query(
            f"SELECT id FROM {QUESTIONS_TABLE} WHERE conversation = ? AND question = ? AND time <= ? "
            "ORDER BY time DESC, id DESC LIMIT 1",
            (conversation, question, moment),
        )
        return int(rows[0][0]) if rows else None

    async def add_async(self, entry: FeedbackEntry) -> int:
        return await self.database.run(self.add, entry)

    def entries(self, since: datetime | None = None) -> list[StoredFeedback]:
        """The stored feedback, oldest first (all of it, or from `since`)."""
        rows = self.database.query(
            "SELECT id, time, channel, reaction, comment, question, sections, conversation, question_id "
            "FROM feedback WHERE time >= ? ORDER BY time, id",
            (format_time(since) if since else "",),
        )
        return [StoredFeedback.from_row(row) for row in rows]

    def purge(self, now: datetime | None = None) -> int:
        """Delete what is older than the retention limit (in every table of the database); returns the
        feedback rows deleted."""
        return self.database.purge(now).get(FEEDBACK.name, 0)

    async def purge_async(self, now: datetime | None = None) -> int:
        return await self.database.run(self.purge, now)

    def close(self) -> None:
        self.database.close()


# --- Retention while the server runs ---------------------------------------------------------------------


async def keep_purging(store: FeedbackStore, interval: float = PURGE_INTERVAL) -> None:
    """Purge now, then every `interval` seconds, until cancelled; a failed purge is logged and retried."""
    while True:
        try:
            await store.purge_async()
        except Exception:
            log.exception("Retention purge failed; retrying in %.0f s", interval)
        await asyncio.sleep(interval)


def cleanup_context(
    store: FeedbackStore, interval: float = PURGE_INTERVAL
) -> Callable[[Any], AsyncIterator[None]]:
    """For aiohttp's `app.cleanup_ctx`: purging at start and periodically while the app runs; the store
    closed (pending writes finished) when it stops."""

    async def lifecycle(app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(keep_purging(store, interval), name="kompetensbot-retention")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await asyncio.to_thread(store.close)

    return lifecycle
