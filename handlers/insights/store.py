"""The durable store: one database for the insights' tables, kept for a limited time, without personal data.

Where: `KOMPETENSBOT_DATABASE_URL`, by default the SQLite file `var/kompetensbot.sqlite3` (stdlib sqlite3);
`postgresql://…` (psycopg 3, LGPL-3.0, used unmodified as a library) for several instances sharing one store.
The tables are written once, in SQLite's SQL; a `Dialect` adapts placeholders and DDL for PostgreSQL.
Its tables: the feedback (handlers.insights.feedback) and the question log (handlers.insights.question_log),
each a `Table` on the same `Database`; the tables' modules scrub and hash what they write.

How long: rows older than the retention limit (default 90 days) are deleted by `purge(now)`, which the
server runs at start and then hourly (handlers.insights.feedback.cleanup_context). SQLite runs with
`secure_delete`, so purged rows are overwritten in the file, not just unlinked.

Threads: one connection behind a lock, so any thread may call the sync methods; the async ones run on the
store's own single worker thread, never on the event loop nor on the default pool that answering uses.
A PostgreSQL connection that broke (the server restarted) is replaced on the next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from handlers.insights.scrub import pseudonym

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_QUESTION = 2000  # characters kept of a stored question
MAX_CHANNEL = 40
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so text order is time order


# --- Where: the database URL ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed `KOMPETENSBOT_DATABASE_URL`: `sqlite:///relative/path`, `sqlite:////absolute/path`,
    `sqlite:///:memory:`; `postgresql://…` (later)."""

    scheme: str
    path: str = field(repr=False)  # sqlite: the file or ":memory:"; postgresql: the whole URL, for psycopg
    raw: str = field(repr=False)

    SCHEMES = ("sqlite", "postgresql")

    @classmethod
    def parse(cls, url: str) -> DatabaseURL:
        scheme, sep, rest = url.partition("://")
        scheme = {"postgres": "postgresql"}.get(scheme.lower(), scheme.lower())
        if not sep or scheme not in cls.SCHEMES:
            raise ValueError(
                f"KOMPETENSBOT_DATABASE_URL has an unknown scheme {scheme or url[:20]!r}; "
                "use sqlite:///PATH (e.g. sqlite:///var/kompetensbot.sqlite3)"
            )
        if scheme == "sqlite":
            if not rest.startswith("/") or not rest[1:]:
                raise ValueError("KOMPETENSBOT_DATABASE_URL: a SQLite URL is sqlite:///PATH (no host)")
            return cls("sqlite", rest[1:], url)
        return cls(scheme, url, url)

    def redacted(self) -> str:
        """For logs: no password."""
        if self.scheme == "sqlite":
            return f"sqlite:///{self.path}"
        head, _, tail = self.raw.rpartition("@")
        return f"{self.scheme}://…@{tail}" if head else self.raw


def _connect_sqlite(url: DatabaseURL) -> sqlite3.Connection:
    if url.path != ":memory:":
        path = Path(url.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # readable by the service's user only (SQLite gives its -wal file the same)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    connection = sqlite3.connect(url.path, check_same_thread=False, isolation_level=None, timeout=5.0)
    for pragma in ("busy_timeout=5000", "synchronous=NORMAL", "secure_delete=ON"):
        connection.execute(f"PRAGMA {pragma}")
    _use_wal(connection)
    return connection


def _use_wal(connection: sqlite3.Connection, attempts: int = 50) -> None:
    """Switch to write-ahead logging. Several processes (workers, instances on one host) may open a new
    file at once, and SQLite answers a concurrent switch with "database is locked" at once, without waiting
    for the busy timeout: so the switch is retried for a while."""
    for attempt in range(attempts):
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1)


def _connect_postgresql(url: DatabaseURL) -> Any:
    import psycopg  # only where PostgreSQL is used

    try:  # autocommit: every statement is its own transaction, as with SQLite's isolation_level=None
        return psycopg.connect(url.path, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:  # libpq's message names host and user, never the password
        raise ConnectionError(
            f"KOMPETENSBOT_DATABASE_URL={url.redacted()}: could not connect: {str(exc).strip()[:300]}"
        ) from None


_CONNECTORS: dict[str, Callable[[DatabaseURL], Any]] = {
    "sqlite": _connect_sqlite,
    "postgresql": _connect_postgresql,
}


@dataclass(frozen=True)
class Dialect:
    """What differs between the databases, for SQL written once in SQLite's form (`?` placeholders,
    `INTEGER PRIMARY KEY` ids; `ON CONFLICT … DO NOTHING` and `RETURNING` both understand)."""

    name: str
    placeholder: str = "?"
    identity: str = "INTEGER PRIMARY KEY"
    checkpoint: str = ""  # run after a purge that deleted rows
    schema_lock: str = ""  # taken while creating tables: instances starting together
    time_type: str = "TEXT NOT NULL"

    def sql(self, statement: str) -> str:
        if self.placeholder == "?":
            return statement
        return statement.replace("%", "%%").replace("?", self.placeholder)  # psycopg: % is special

    def ddl(self, statement: str) -> str:
        return statement.replace("INTEGER PRIMARY KEY", self.identity).replace(
            "time TEXT NOT NULL", f"time {self.time_type}"
        )


SQLITE = Dialect("sqlite", checkpoint="PRAGMA wal_checkpoint(TRUNCATE)")  # moves overwritten pages out
POSTGRESQL = Dialect(
    "postgresql",
    placeholder="%s",
    identity="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    # Concurrent CREATE TABLE IF NOT EXISTS can collide in PostgreSQL's catalogue; one instance at a time.
    schema_lock="SELECT pg_advisory_xact_lock(7415230901)",
    # Times are fixed-width text, so byte order is time order; a database's locale must not re-sort them.
    time_type='TEXT COLLATE "C" NOT NULL',
)
DIALECTS = {"sqlite": SQLITE, "postgresql": POSTGRESQL}


class StoreClosed(RuntimeError):
    """The store was used after close()."""


# --- The database: tables with a retention limit, a salt, one worker thread ----------------------------


@dataclass(frozen=True)
class Table:
    """A table of the store: its (idempotent) DDL, and the UTC time column retention purges by."""

    name: str
    schema: tuple[str, ...]
    time_column: str = "time"
    # Columns added after the table first shipped: (name, type), added to existing tables at start.
    added_columns: tuple[tuple[str, str], ...] = ()


META = Table(
    "meta",
    ("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",),
    time_column="",  # settings, not records: never purged
)


class Database:
    """One connection to the store, shared by its tables (feedback, the question log)."""

    def __init__(
        self,
        connection: Any,
        tables: Sequence[Table],
        retention_days: int,
        salt: str = "",
        dialect: Dialect = SQLITE,
        reconnect: Callable[[], Any] | None = None,
    ) -> None:
        if retention_days < 1:
            raise ValueError("KOMPETENSBOT_RETENTION_DAYS must be at least 1")
        self.retention = timedelta(days=retention_days)
        self.dialect = dialect
        self.tables: tuple[Table, ...] = ()
        self._connection = connection
        self._reconnect = reconnect
        self._closed = False
        self._lock = threading.Lock()
        # Writes queue here, off the event loop and off the default pool that answering shares.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kompetensbot-store")
        for table in (META, *tables):
            self.add_table(table)
        self.salt = (salt or self._stored_salt()).encode("utf-8")

    @classmethod
    def open(cls, url: str, tables: Sequence[Table], retention_days: int = 90, salt: str = "") -> Database:
        parsed = DatabaseURL.parse(url)
        connect = partial(_CONNECTORS[parsed.scheme], parsed)
        dialect = DIALECTS[parsed.scheme]
        reconnect = connect if dialect is POSTGRESQL else None
        return cls(connect(), tables, retention_days, salt, dialect, reconnect)

    def add_table(self, table: Table) -> None:
        """Create `table` if it is missing (and columns added since); purge covers it from now on."""
        with self._lock:
            connection = self._live()
            lock = connection.transaction() if self.dialect.schema_lock else contextlib.nullcontext()
            with lock:
                if self.dialect.schema_lock:
                    connection.execute(self.dialect.schema_lock)
                for statement in table.schema:
                    connection.execute(self.dialect.ddl(statement))
                self._add_columns(connection, table)
            if table.name not in (t.name for t in self.tables):
                self.tables = (*self.tables, table)

    def _add_columns(self, connection: Any, table: Table) -> None:
        if not table.added_columns:
            return
        cursor = connection.execute(f"SELECT * FROM {table.name} WHERE 1 = 0")
        present = {column[0] for column in cursor.description}
        for name, kind in table.added_columns:
            if name not in present:
                connection.execute(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}")

    def has_table(self, name: str) -> bool:
        return any(table.name == name for table in self.tables)

    def _stored_salt(self) -> str:
        """The salt generated on first use and kept in the database, so hashes stay comparable across
        restarts and processes; the first process to write it wins."""
        self.execute(
            "INSERT INTO meta (key, value) VALUES ('salt', ?) ON CONFLICT (key) DO NOTHING",
            (secrets.token_hex(32),),
        )
        [(salt,)] = self.query("SELECT value FROM meta WHERE key = 'salt'")
        return salt

    def hash_id(self, value: str | None) -> str | None:
        return pseudonym(value, self.salt) if value else None

    def _live(self) -> Any:
        """The connection (caller holds the lock); a broken PostgreSQL connection is replaced first."""
        if self._closed:
            raise StoreClosed("the store is closed")
        if self._reconnect is not None and getattr(self._connection, "closed", False):
            log.warning("Store: the database connection was lost; reconnecting")
            self._connection = self._reconnect()
        return self._connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the rows it changed."""
        with self._lock:
            return self._live().execute(self.dialect.sql(sql), params).rowcount

    def insert(self, table: str, values: dict[str, Any]) -> int:
        """Insert one row; returns its id."""
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id"
        with self._lock:
            [(row_id,)] = self._live().execute(self.dialect.sql(sql), tuple(values.values())).fetchall()
            return int(row_id)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._live().execute(self.dialect.sql(sql), params).fetchall()

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` on the store's worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, partial(function, *args))

    def submit(self, function: Callable[..., T], *args: Any) -> Future[T]:
        """`function(*args)` queued on the store's worker thread, not waited for."""
        return self._worker.submit(function, *args)

    def purge(self, now: datetime | None = None) -> dict[str, int]:
        """Delete every record older than the retention limit; returns the rows deleted per table."""
        cutoff = format_time((now or datetime.now(UTC)) - self.retention)
        deleted = {
            table.name: self.execute(f"DELETE FROM {table.name} WHERE {table.time_column} < ?", (cutoff,))
            for table in self.tables
            if table.time_column
        }
        if any(deleted.values()) and self.dialect.checkpoint:
            with self._lock:
                self._live().execute(self.dialect.checkpoint)
        if any(deleted.values()):
            log.info("Retention: deleted %s (older than %d days)", deleted, self.retention.days)
        return deleted

    def close(self) -> None:
        self._worker.shutdown(wait=True)
        with self._lock:
            if not self._closed:
                self._closed = True
                self._connection.close()


def sql_list(names: tuple[str, ...]) -> str:
    """Fixed names (the model's outcomes, reactions) as an SQL list of literals for a CHECK: "'a', 'b'"."""
    return ", ".join(f"'{name}'" for name in names)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)
