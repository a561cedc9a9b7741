"""Shared fixtures: the real plan, indexed once per test session with the bundled e5 model."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.core import Storage
from connector import FakeConnector

from index.config import Config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def real_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The default configuration, with the index in a session folder so tests never touch var/index."""
    index_dir = tmp_path_factory.mktemp("index") / "index"
    return replace(Config(), index_dir=index_dir)


@pytest.fixture(scope="session")
def real_qa(real_config: Config):
    """The real engine on the real plan: e5 embeddings, FAISS + BM25, built once (about 40 s)."""
    from handlers.engine.qa import QA

    logging.getLogger("faiss").setLevel(logging.WARNING)
    return QA.load(real_config, progress=lambda message: None)


# --- The real HTTP server and a loopback Bot Connector, for end-to-end tests ---

Start = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    """Plays the Bot Connector on loopback: point an activity's serviceUrl at connector.url."""
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
async def start(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Start]:
    """start(qa_loader, config=Config(), ready=True, storage=None) → a client of the real app, running."""
    from handlers.channels.botframework import create_app
    from handlers.channels.botframework.app import STATE

    clients: list[TestClient] = []

    async def _start(
        qa_loader: Callable[[], Any],
        config: Config | None = None,
        ready: bool = True,
        storage: Storage | None = None,
    ) -> TestClient:
        config = config or Config()
        if config.database_url == Config().database_url:  # tests never write the real feedback store
            database = tmp_path_factory.mktemp("db") / "kompetensbot.sqlite3"
            config = replace(config, database_url=f"sqlite:///{database}")
        client = TestClient(TestServer(create_app(config, qa_loader, storage)))
        await client.start_server()
        clients.append(client)
        if ready:
            done = await asyncio.to_thread(client.app[STATE].done.wait, 10.0)
            assert done, "the QA loader did not finish"
        return client

    yield _start
    for client in clients:
        await client.close()


# --- A real Azurite (the Azure Storage emulator, npm) on loopback, for the shared conversation state ---

AZURITE_BLOB = ROOT / "tests" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's fixed development account and key, published in its documentation: not a secret.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The connection string of a real Azurite blob service on 127.0.0.1 and a free port, started for the
    session (`npm ci --prefix tests/azurite`): telemetry off, so nothing leaves the machine; data in memory.
    Skipped when Azurite is not installed, unless CI is set: there these tests must run, so they fail."""
    import os
    import subprocess

    if not AZURITE_BLOB.exists():
        message = f"Azurite is not installed ({AZURITE_BLOB}): run npm ci --prefix tests/azurite"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    workdir = tmp_path_factory.mktemp("azurite")
    log_path = workdir / "azurite.log"
    command = [str(AZURITE_BLOB), "--blobHost", "127.0.0.1", "--blobPort", "0", "--disableTelemetry"]
    # Strict mode (no --loose): Azurite refuses what Azure would, so the store is tested as it meets Azure.
    command += ["--silent", "--inMemoryPersistence", "--extentMemoryLimit", "64"]
    with log_path.open("w") as log_file:
        process = subprocess.Popen(command, cwd=workdir, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        port = _azurite_port(process, log_path)
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
        )
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _azurite_port(process: Any, log_path: Path, timeout: float = 30.0) -> int:
    """The port Azurite chose, from its start-up line; fails with its output if it does not start."""
    import re
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        found = re.search(r"listens on http://127\.0\.0\.1:(\d+)", log_path.read_text(errors="replace"))
        if found:
            return int(found.group(1))
        time.sleep(0.05)
    pytest.fail(f"Azurite did not start: {log_path.read_text(errors='replace')[-2000:]}")


# --- A real PostgreSQL (Debian's postgresql package), a throwaway cluster for the session ---


class Postgres:
    """A running throwaway cluster: `new_database()` gives each test an empty database of its own."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._count = 0

    def url(self, database: str) -> str:
        return f"postgresql://kompetensbot@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        self._count += 1
        name = f"kb_test_{self._count}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A real PostgreSQL on 127.0.0.1 and a free port (socket in its own temporary folder), trust auth, run
    as the package's `postgres` user when the tests run as root (PostgreSQL refuses root); stopped and
    deleted at the end. Skipped when it is not installed, unless CI is set: there these tests fail."""
    import os
    import shutil
    import socket
    import subprocess
    import tempfile

    bin_dir = _postgres_bin()
    if bin_dir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="kompetensbot-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = folder / "data"

    def run(*command: str) -> None:
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.fail(f"{command[0]} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "kompetensbot", "--auth=trust", "-E", "UTF8",
        "--locale=C", "-N")  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
    try:
        yield Postgres(port)
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


# --- The feedback store and question log, on SQLite and on the real PostgreSQL ---------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty store: a SQLite file, or a database of its own on the session's real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def store(database_url: str):
    from handlers.insights.feedback import FeedbackStore

    opened = FeedbackStore.open(replace(Config(), database_url=database_url))
    yield opened
    opened.close()


def everything_stored(database: Any) -> str:
    """Every value of every table, as text: what an operator (or an attacker) with the database sees."""
    return "\n".join(
        repr(row) for table in database.tables for row in database.query(f"SELECT * FROM {table.name}")
    )


def free_port() -> int:
    """A free TCP port on loopback, for a server process the test starts."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
