"""The durable feedback store on a real SQLite file and a real PostgreSQL (tests/conftest.py `postgres`):
what it keeps, what it scrubs, retention, threads. The same tests run on both."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from conftest import everything_stored

from handlers.insights.feedback import FEEDBACK, FeedbackEntry, FeedbackStore, cleanup_context
from handlers.insights.store import Database, DatabaseURL, StoreClosed
from index.config import ROOT, Config

session_loop = pytest.mark.asyncio(loop_scope="session")

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def url(path: Path) -> str:
    return f"sqlite:///{path}"




def sqlite_files(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("store.sqlite3*"))


def entry(**fields: object) -> FeedbackEntry:
    values: dict = {"reaction": "dislike", "channel": "msteams", "time": NOW, **fields}
    return FeedbackEntry(**values)


# --- Where --------------------------------------------------------------------------------------------------


def test_default_is_a_sqlite_file_under_var() -> None:
    config = Config.from_env({})
    assert config.database_url == f"sqlite:///{ROOT}/var/kompetensbot.sqlite3"
    assert DatabaseURL.parse(config.database_url).path == f"{ROOT}/var/kompetensbot.sqlite3"
    assert (config.feedback_retention_days, config.log_format) == (90, "text")
    env = Config.from_env(
        {"KOMPETENSBOT_DATABASE_URL": "sqlite:///x.db", "KOMPETENSBOT_RETENTION_DAYS": "30"}
    )
    assert (env.database_url, env.feedback_retention_days) == ("sqlite:///x.db", 30)


@pytest.mark.parametrize(
    ("raw", "scheme", "path"),
    [
        ("sqlite:///var/kb.sqlite3", "sqlite", "var/kb.sqlite3"),
        ("sqlite:////srv/kb.sqlite3", "sqlite", "/srv/kb.sqlite3"),
        ("SQLite:///:memory:", "sqlite", ":memory:"),
        (
            "postgresql://kb:secret@db.example:5432/kb",
            "postgresql",
            "postgresql://kb:secret@db.example:5432/kb",
        ),
        ("postgres://kb@db/kb", "postgresql", "postgres://kb@db/kb"),
    ],
)
def test_database_urls(raw: str, scheme: str, path: str) -> None:
    parsed = DatabaseURL.parse(raw)
    assert (parsed.scheme, parsed.path) == (scheme, path)
    assert "secret" not in parsed.redacted() and "secret" not in repr(parsed)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("mysql://db/kb", "unknown scheme 'mysql'"),
        ("var/kb.sqlite3", "unknown scheme"),
        ("sqlite://", "sqlite:///PATH"),
        ("sqlite://host/kb.db", "no host"),
        ("postgresql://kb:secret@127.0.0.1:1/kb", "could not connect"),
    ],
)
def test_bad_database_urls_are_refused_clearly(raw: str, message: str) -> None:
    with pytest.raises((ValueError, ConnectionError), match=message) as error:
        Database.open(raw, (FEEDBACK,))
    assert "secret" not in str(error.value)


def test_retention_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="RETENTION_DAYS"):
        Database.open(url(tmp_path / "s.db"), (FEEDBACK,), retention_days=0)


# --- What ---------------------------------------------------------------------------------------------------


def test_write_and_read_back_scrubbed_and_hashed(store: FeedbackStore, tmp_path: Path) -> None:
    store.add(
        entry(
            comment="Fel! Ring mig på 070-123 45 67 eller anna@example.se",
            question="Jag heter Anna Berg, 850714-1234, vad gör Almi?",
            sections=("Aktörer > Almi",),
            conversation_id="a:1personal",
        )
    )
    store.add(entry(reaction="like", channel="webchat", time=NOW + timedelta(seconds=1)))
    dislike, like = store.entries()
    assert (dislike.time, dislike.channel, dislike.reaction) == (NOW, "msteams", "dislike")
    assert dislike.comment == "Fel! Ring mig på [telefon] eller [e-post]"
    assert dislike.question == "Jag heter [namn], [personnummer], vad gör Almi?"
    assert dislike.sections == ("Aktörer > Almi",)
    assert dislike.conversation is not None and len(dislike.conversation) == 16
    assert dislike.conversation == store.database.hash_id("a:1personal")
    assert (like.reaction, like.comment, like.question, like.sections, like.conversation) == (
        "like", "", None, (), None,
    )  # fmt: skip
    assert store.entries(since=NOW + timedelta(milliseconds=500)) == [like]
    # Nothing personal anywhere in the database (nor in the SQLite file's bytes).
    stored, raw = everything_stored(store.database), sqlite_files(tmp_path)
    for personal in ("070-123", "anna@example", "Anna Berg", "850714", "a:1personal"):
        assert personal not in stored and personal.encode() not in raw


def test_texts_with_percent_signs_and_question_marks_are_kept_as_written(store: FeedbackStore) -> None:
    """PostgreSQL's driver reads % and placeholders specially; values must come back untouched."""
    text = "Hur många % ? %s %(x)s ' ; DROP TABLE feedback; --"
    store.add(entry(comment=text, question=text, sections=(text,)))
    [stored] = store.entries()
    assert (stored.comment, stored.question, stored.sections) == (text, text, (text,))


def test_the_file_is_private_to_the_service_user(tmp_path: Path) -> None:
    FeedbackStore.open(replace(Config(), database_url=url(tmp_path / "store.sqlite3"))).close()
    assert stat.S_IMODE((tmp_path / "store.sqlite3").stat().st_mode) == 0o600


def test_unknown_reactions_are_refused() -> None:
    with pytest.raises(ValueError, match="reaction"):
        FeedbackEntry(reaction="meh", channel="msteams")


def test_long_texts_are_capped(store: FeedbackStore) -> None:
    store.add(entry(comment="x" * 100_000, question="y" * 100_000, channel="c" * 500))
    [stored] = store.entries()
    assert (len(stored.comment), len(stored.question or ""), len(stored.channel)) == (2000, 2000, 40)


def test_the_salt_is_made_once_and_kept(database_url: str) -> None:
    config = replace(Config(), database_url=database_url)
    first = FeedbackStore.open(config)
    hashed = first.database.hash_id("a:1personal")
    first.close()
    again = FeedbackStore.open(config)
    assert again.database.hash_id("a:1personal") == hashed  # across restarts (and processes)
    again.close()
    configured = FeedbackStore.open(replace(config, id_salt="from-the-key-vault"))
    assert configured.database.hash_id("a:1personal") != hashed
    configured.close()


# --- How long -----------------------------------------------------------------------------------------------


def test_purge_deletes_what_is_older_than_the_retention_limit(store: FeedbackStore, tmp_path: Path) -> None:
    store.add(entry(time=NOW - timedelta(days=91), question="gammal-fråga-markör"))
    store.add(entry(time=NOW - timedelta(days=89), question="ny fråga"))
    assert store.purge(NOW) == 1
    assert [e.question for e in store.entries()] == ["ny fråga"]
    assert store.purge(NOW) == 0
    assert "gammal-fråga-markör" not in everything_stored(store.database)
    if store.database.dialect.name == "sqlite":
        # secure_delete and a checkpoint: the purged text is gone from the file, not only unlinked.
        raw = sqlite_files(tmp_path)
        assert "gammal-fråga-markör".encode() not in raw
        assert "ny fråga".encode() in raw


@session_loop
async def test_the_server_purges_at_start_and_periodically(database_url: str) -> None:
    store = FeedbackStore.open(replace(Config(), database_url=database_url))
    store.add(entry(time=datetime.now(UTC) - timedelta(days=100)))
    app = web.Application()
    app.cleanup_ctx.append(cleanup_context(store, interval=0.05))
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        await asyncio.sleep(0.02)
        assert store.entries() == []  # purged at start
        await store.add_async(entry(time=datetime.now(UTC) - timedelta(days=100)))
        await asyncio.sleep(0.2)
        assert store.entries() == []  # and again while running
    finally:
        await client.close()
    with pytest.raises(StoreClosed):  # closed with the app
        store.entries()


# --- Threads ------------------------------------------------------------------------------------------------


def test_many_threads_writing_at_once(store: FeedbackStore) -> None:
    threads, per_thread = 16, 50
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(per_thread):
                store.add(entry(question=f"fråga {n}-{i}", conversation_id=f"c{n}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    stored = store.entries()
    assert len(stored) == threads * per_thread
    assert len({e.question for e in stored}) == threads * per_thread
    assert len({e.conversation for e in stored}) == threads


def test_two_connections_to_one_database(database_url: str) -> None:
    """Two processes (workers, instances) open the same store: both write, both see everything, one salt."""
    config = replace(Config(), database_url=database_url)
    a, b = FeedbackStore.open(config), FeedbackStore.open(config)
    a.add(entry(conversation_id="c1"))
    b.add(entry(conversation_id="c1"))
    assert len(a.entries()) == len(b.entries()) == 2
    assert len({e.conversation for e in a.entries()}) == 1
    a.close()
    b.close()


@session_loop
async def test_async_writes_leave_the_event_loop_free(store: FeedbackStore) -> None:
    loop_thread = threading.current_thread()
    seen: list[str] = []
    original = store.add

    def add(item: FeedbackEntry) -> int:
        seen.append(threading.current_thread().name)
        assert threading.current_thread() is not loop_thread
        return original(item)

    store.add = add  # type: ignore[method-assign]
    ids = await asyncio.gather(*(store.add_async(entry(question=f"q{i}")) for i in range(20)))
    assert sorted(ids) == list(range(1, 21))
    assert set(seen) == {"kompetensbot-store_0"}  # the store's own thread, not the default pool
    assert await store.purge_async(NOW + timedelta(days=365)) == 20


def test_several_processes_open_a_new_database_at_once(tmp_path: Path) -> None:
    """Workers and instances on one host open the same new file at the same moment."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    start = time.time() + 3.0  # all of them past their imports, then opening together
    script = (
        "import time; from dataclasses import replace; from index.config import Config; "
        "from handlers.insights.feedback import FeedbackStore; "
        f"time.sleep(max(0, {start} - time.time())); "
        f"FeedbackStore.open(replace(Config(), database_url={url!r})).close()"
    )
    root = Path(__file__).resolve().parent.parent
    processes = [subprocess.Popen([sys.executable, "-c", script], cwd=root) for _ in range(8)]
    assert [p.wait(60) for p in processes] == [0] * 8


def test_a_store_made_before_the_question_log_gets_the_new_column(tmp_path: Path) -> None:
    """A feedback table from before issue 9 (no question_id) is migrated at start, its rows kept."""
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE feedback (id INTEGER PRIMARY KEY, time TEXT NOT NULL, channel TEXT NOT NULL, "
        "reaction TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', question TEXT, "
        "sections TEXT NOT NULL DEFAULT '[]', conversation TEXT)"
    )
    old.execute(
        "INSERT INTO feedback (time, channel, reaction) VALUES ('2025-06-01T12:00:00.000000Z', 'x', 'like')"
    )
    old.commit()
    old.close()
    store = FeedbackStore.open(replace(Config(), database_url=url(path)))
    store.add(entry(time=NOW + timedelta(seconds=1)))
    assert [(e.reaction, e.question_id) for e in store.entries()] == [("like", None), ("dislike", None)]
    store.close()
