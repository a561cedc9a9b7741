"""The real server process (`bot.py serve`) stopped with SIGTERM while turns are in flight: it stops within
10 s (container platforms kill after their grace period), and its log holds none of the personal data the
questions carried."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from conftest import free_port
from connector import FakeConnector

from index.config import Config

ROOT = Path(__file__).resolve().parent.parent
PERSONAL = ("Anna Andersson", "anna.andersson@example.se", "070-123 45 67", "19800101-1234")

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _healthy(url: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            assert process.poll() is None, "the server exited while starting"
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the server did not become healthy")


def _question(connector_url: str, number: int) -> dict:
    name, mail, phone, number_id = PERSONAL
    text = f"Jag heter {name}, mejla {mail} eller ring {phone} ({number_id}). Vad gör Almi?"
    return {
        "type": "message",
        "id": str(number),
        "text": text,
        "from": {"id": "user1", "name": PERSONAL[0]},
        "recipient": {"id": "bot"},
        "conversation": {"id": f"shutdown-{number}"},
        "channelId": "emulator",
        "serviceUrl": connector_url,
    }


async def test_sigterm_with_turns_in_flight_stops_within_ten_seconds(
    real_qa: object, real_config: Config, tmp_path: Path
) -> None:
    """`real_qa` builds the session's index, which the server process then loads."""
    port = free_port()
    env = {
        **os.environ,
        "KOMPETENSBOT_INDEX_DIR": str(real_config.index_dir),
        "KOMPETENSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
    }
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "bot.py", "serve"], cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            await _healthy(url, process)
            async with FakeConnector(delay=60.0) as slow, aiohttp.ClientSession() as session:
                in_flight = [
                    asyncio.create_task(session.post(f"{url}/api/messages", json=_question(slow.url, i)))
                    for i in range(4)
                ]
                await asyncio.sleep(1.0)  # the answers are on their way to a channel that does not answer
                started = time.monotonic()
                process.send_signal(signal.SIGTERM)
                code = await asyncio.to_thread(process.wait, 15)
                stopped = time.monotonic() - started
                for task in in_flight:
                    task.cancel()
                await asyncio.gather(*in_flight, return_exceptions=True)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    print(f"\nSIGTERM with 4 turns in flight: exited {stopped:.1f} s later, code {code}")
    assert stopped < 10.0, f"stopped {stopped:.1f} s after SIGTERM"
    assert code == 0
    log = log_path.read_text(encoding="utf-8", errors="replace")
    for secret in (*PERSONAL, "Vad gör Almi", "shutdown-1"):
        assert secret not in log, secret
    # At the default level no line per request: no client address, no user agent (deploy/README.md).
    assert "127.0.0.1 " not in log and "Python/" not in log and "aiohttp.access" not in log, log
