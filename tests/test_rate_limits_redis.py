"""Rate limits shared across processes and instances in a real Redis (Debian's redis-server, started here on
loopback; skipped without it unless CI is set): a client alternating between two instances is limited at the
configured rate in total. And a Redis that cannot be reached lets requests pass, with one warning."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import free_port
from test_multi_instance import CREDENTIALS, spawn, wait_healthy

from handlers.channels.botframework.ratelimit import RateLimiter, shared_storage
from index.config import Config

pytestmark = pytest.mark.asyncio(loop_scope="session")

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(REDIS_SERVER).is_file():
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: apt-get install redis-server (.ci/run installs it)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
        ).stdout.strip() != "PONG":
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


async def test_two_limiters_on_one_redis_count_together(redis_url: str) -> None:
    """Two processes' limiters (as two instances have): the fourth request within the minute is refused,
    whichever of them gets it."""
    rules = {"client": "3/minute"}
    first, second = (RateLimiter(rules, storage=shared_storage(redis_url)) for _ in range(2))
    key = f"203.0.113.{time.time_ns() % 250}"
    verdicts = [await limiter.check("client", key) for limiter in (first, second, first, second)]
    assert verdicts[:3] == [None, None, None]
    refused = verdicts[3]
    assert refused is not None and refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert await first.check("client", "another client") is None  # per client


async def test_an_unreachable_redis_lets_requests_pass_with_one_warning(caplog: Any) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    limiter = RateLimiter({"client": "1/minute"}, storage=shared_storage(closed))
    with caplog.at_level(logging.WARNING, logger="handlers.channels.botframework.ratelimit"):
        verdicts = [await limiter.check("client", "198.51.100.7") for _ in range(3)]
    assert verdicts == [None, None, None]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Redis" in warnings[0].getMessage()
    assert "198.51.100" not in caplog.text


async def test_a_client_alternating_between_two_instances_is_limited_in_total(
    redis_url: str, real_qa: Any, real_config: Config, tmp_path: Path
) -> None:
    """Two real `bot.py serve` processes on one Redis: new web-chat sessions at 3 a minute per client, asked
    of A and B in turn; the fourth is refused (without Redis each would allow 3, 6 in all)."""
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIALS and not k.startswith("KOMPETENSBOT_")}
    env.update(
        KOMPETENSBOT_INDEX_DIR=str(real_config.index_dir),
        KOMPETENSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'kompetensbot.sqlite3'}",
        KOMPETENSBOT_REDIS_URL=redis_url,
        KOMPETENSBOT_RATE_LIMIT_TOKEN="3/minute",
        LOG_LEVEL="WARNING",
    )
    instances = [spawn(name, env, tmp_path) for name in ("A", "B")]
    try:
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(wait_healthy(http, instance) for instance in instances))
            statuses = []
            for n in range(5):
                instance = instances[n % 2]
                async with http.post(f"{instance.url}/api/directline/token") as response:
                    statuses.append(response.status)
        assert statuses == [200, 200, 200, 429, 429], [i.tail() for i in instances]
    finally:
        for instance in instances:
            instance.process.terminate()
        for instance in instances:
            instance.process.wait(15)
