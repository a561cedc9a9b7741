"""Several instances, one conversation: two real bot processes share conversation state in a real Azurite.

Each test starts two `bot.py serve` processes (A and B) on the same index, with KOMPETENSBOT_STATE=blob on the
same Azurite container and no app id (local mode, on loopback). A load balancer sends consecutive turns of a
conversation wherever it likes; here they alternate by hand, and the replies arrive where a channel would get
them: POSTed to the activity's serviceUrl, a loopback fake Bot Connector (tests/connector.py).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from azure.storage.blob.aio import ContainerClient
from conftest import ROOT, free_port
from connector import FakeConnector

from handlers.channels.botframework.state import API_VERSION, blob_name
from index.config import Config

pytestmark = pytest.mark.asyncio(loop_scope="session")

START_TIMEOUT = 60.0  # to /healthz 200: imports and loading the (already built) index take a few seconds
REPLY_TIMEOUT = 30.0
# Not passed on to the bot processes: they must run in local mode without authentication.
CREDENTIALS = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId")


@dataclass
class Instance:
    name: str
    process: subprocess.Popen
    url: str
    log: Path

    def tail(self) -> str:
        return f"--- {self.name} log ---\n{self.log.read_text(errors='replace')[-3000:]}"


def spawn(name: str, env: dict[str, str], workdir: Path) -> Instance:
    port = free_port()
    log = workdir / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "bot.py"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Instance(name, process, f"http://127.0.0.1:{port}", log)


async def wait_healthy(http: aiohttp.ClientSession, instance: Instance) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            pytest.fail(f"{instance.name} exited with {instance.process.returncode}\n{instance.tail()}")
        try:
            async with http.get(f"{instance.url}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    pytest.fail(f"{instance.name} not healthy after {START_TIMEOUT} s\n{instance.tail()}")


@pytest.fixture
def container_name() -> str:
    return f"multi-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def instances(
    azurite: str, real_qa: Any, real_config: Config, container_name: str, tmp_path: Path
) -> AsyncIterator[dict[str, Instance]]:
    """Instances A and B, healthy, sharing one Azurite container; the index is the session's, built once."""
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIALS and not k.startswith("KOMPETENSBOT_")}
    env.update(
        KOMPETENSBOT_INDEX_DIR=str(real_config.index_dir),
        KOMPETENSBOT_STATE="blob",
        KOMPETENSBOT_BLOB_CONNECTION_STRING=azurite,
        KOMPETENSBOT_BLOB_CONTAINER=container_name,
        KOMPETENSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'kompetensbot.sqlite3'}",  # not the repo's var/
        LOG_LEVEL="INFO",
    )
    started = {name: spawn(name, env, tmp_path) for name in ("A", "B")}
    try:
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(wait_healthy(http, instance) for instance in started.values()))
        yield started
    finally:
        for instance in started.values():
            if instance.process.poll() is None:
                instance.process.terminate()
        for instance in started.values():
            try:
                instance.process.wait(15)
            except subprocess.TimeoutExpired:
                instance.process.kill()
                instance.process.wait()


class Conversation:
    """One user's conversation; each turn goes to whichever instance the test names."""

    ids = itertools.count(1)

    def __init__(self, connector: FakeConnector) -> None:
        self.id = f"conv-{uuid.uuid4().hex[:12]}"
        self.connector = connector

    def activity(self, text: str) -> dict[str, Any]:
        return {
            "type": "message",
            "id": f"m{next(self.ids)}",
            "text": text,
            "from": {"id": "user-1", "name": "Användare"},
            "recipient": {"id": "bot", "name": "Kompetensbot"},
            "conversation": {"id": self.id},
            "channelId": "emulator",
            "serviceUrl": self.connector.url,
            "locale": "sv-SE",
        }

    async def post(self, instance: Instance, text: str) -> str:
        """Send a turn to `instance`; the activity id, to find its reply by."""
        activity = self.activity(text)
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{instance.url}/api/messages", json=activity) as r,
        ):
            assert r.status < 300, f"{r.status} {await r.text()}\n{instance.tail()}"
        return activity["id"]

    async def ask(self, instance: Instance, text: str) -> str:
        """Send a turn to `instance` and return the text of its reply."""
        return await self.reply_to(await self.post(instance, text))

    async def reply_to(self, activity_id: str) -> str:
        async with asyncio.timeout(REPLY_TIMEOUT):
            while True:  # replies to other turns (e.g. of an instance that was killed) are passed over
                [reply] = await self.connector.replies(1, timeout=REPLY_TIMEOUT)
                if reply.get("replyToId") == activity_id and reply["_conversation"] == self.id:
                    return reply["text"]


async def test_follow_ups_are_understood_on_the_other_instance(
    instances: dict[str, Instance], connector: FakeConnector, azurite: str, container_name: str
) -> None:
    a, b = instances["A"], instances["B"]
    user = Conversation(connector)
    assert "Handelskammaren Mälardalen" in await user.ask(a, "Vad gör Handelskammaren Mälardalen?")
    # "de" is Handelskammaren, asked about on A; asked afresh, this question gets a general answer instead.
    assert "oberoende privat" in await user.ask(b, "Är de offentliga eller privata?")
    assert "Fredagsakademi" in await user.ask(a, "Vad är Fredagsakademin?")
    assert "En gång per år" in await user.ask(b, "Hur ofta anordnas den?")

    # The context belongs to the conversation, not to the instance: another user's first question on B,
    # the same follow-up with nothing before it, is not answered about Fredagsakademin.
    other = Conversation(connector)
    assert "En gång per år" not in await other.ask(b, "Hur ofta anordnas den?")

    client = ContainerClient.from_connection_string(azurite, container_name, api_version=API_VERSION)
    async with client as container:
        names = [blob.name async for blob in container.list_blobs()]
    # The conversation's state is in the shared container, under a name that does not show its id.
    assert blob_name(f"emulator/conversations/{user.id}") in names
    assert not any(user.id in name or other.id in name for name in names)


async def test_the_other_instance_carries_on_when_one_is_killed(
    instances: dict[str, Instance], connector: FakeConnector
) -> None:
    a, b = instances["A"], instances["B"]
    user = Conversation(connector)
    assert "Fredagsakademi" in await user.ask(a, "Vad är Fredagsakademin?")
    # The next turn reaches A, which dies (kill -9) while it may be answering: no shutdown, no flush.
    in_flight = asyncio.create_task(user.post(a, "Hur ofta anordnas den?"))
    await asyncio.sleep(0.05)
    a.process.send_signal(signal.SIGKILL)
    assert a.process.wait(10) == -signal.SIGKILL
    await asyncio.gather(in_flight, return_exceptions=True)  # answered or cut off: the user asks again
    # The load balancer now sends everything to B, which knows what the conversation was about.
    assert "En gång per år" in await user.ask(b, "Hur ofta anordnas den?")
    assert "Handelskammaren Mälardalen" in await user.ask(b, "Vad gör Handelskammaren Mälardalen?")
    assert "oberoende privat" in await user.ask(b, "Är de offentliga eller privata?")
