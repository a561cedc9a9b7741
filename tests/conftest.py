"""Shared fixtures: the real plan, indexed once per test session with the bundled e5 model."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
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
async def start() -> AsyncIterator[Start]:
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
        client = TestClient(TestServer(create_app(config or Config(), qa_loader, storage)))
        await client.start_server()
        clients.append(client)
        if ready:
            done = await asyncio.to_thread(client.app[STATE].done.wait, 10.0)
            assert done, "the QA loader did not finish"
        return client

    yield _start
    for client in clients:
        await client.close()
