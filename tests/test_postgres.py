"""What only PostgreSQL has to get right: several instances starting on one new database at once, and a
connection the server drops. The store's common behaviour runs on PostgreSQL in tests/test_feedback_store.py
and tests/test_question_log.py (parametrized); the cluster is tests/conftest.py's `postgres`."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime

import psycopg
import pytest
from conftest import Postgres

from handlers.insights.feedback import FeedbackEntry, FeedbackStore
from handlers.insights.question_log import QuestionEntry, QuestionLog
from handlers.insights.store import POSTGRESQL
from handlers.model.answer import ANSWERED
from index.config import Config

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_the_url_selects_postgresql(postgres: Postgres) -> None:
    store = FeedbackStore.open(replace(Config(), database_url=postgres.new_database()))
    assert store.database.dialect is POSTGRESQL
    store.close()


def test_several_instances_start_on_a_new_database_at_once(postgres: Postgres) -> None:
    """Instances create the tables together (an advisory lock orders them), share one salt, see all rows."""
    config = replace(Config(), database_url=postgres.new_database())
    instances, errors = 8, []
    opened: list[tuple[FeedbackStore, QuestionLog]] = []
    barrier = threading.Barrier(instances)

    def start_instance() -> None:
        try:
            barrier.wait()
            store = FeedbackStore.open(config)
            opened.append((store, QuestionLog(store.database)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start_instance) for _ in range(instances)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for n, (_, questions) in enumerate(opened):
        questions.add(QuestionEntry(f"fråga {n}", "webchat", "sv", ANSWERED, conversation_id="c1", time=NOW))
    assert {len(questions.entries()) for _, questions in opened} == {instances}
    assert len({store.database.salt for store, _ in opened}) == 1
    assert len({q.conversation for q in opened[0][1].entries()}) == 1  # hashed alike by every instance
    for store, _ in opened:
        store.close()


def test_a_dropped_connection_is_replaced(postgres: Postgres) -> None:
    """The server restarted (here: it ends the session): one write fails, the next reconnects."""
    url = postgres.new_database()
    store = FeedbackStore.open(replace(Config(), database_url=url))
    store.add(FeedbackEntry("like", "webchat", time=NOW))
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with pytest.raises(psycopg.OperationalError):
        store.add(FeedbackEntry("dislike", "webchat", time=NOW))
    store.add(FeedbackEntry("dislike", "webchat", time=NOW))
    assert [e.reaction for e in store.entries()] == ["like", "dislike"]
    store.close()
