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
    from handlers.qa import QA

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
    from handlers.botframework import create_app
    from handlers.botframework.app import STATE

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
    # --loose: azure-storage-blob 12.7.0 (pinned by botbuilder-azure) sends x-ms-encryption-algorithm on every
    # upload, which Azure ignores without a key but Azurite's strict mode refuses (Azurite issue 676).
    command += ["--silent", "--loose", "--inMemoryPersistence", "--extentMemoryLimit", "64"]
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
