"""Conversation state stores: bounded memory, and Azure Blob Storage against a real Azurite (conftest.py).

The blob tests read and write through our Storage on the current azure-storage-blob against a real storage
emulator in strict mode (it refuses what Azure would); only the clock the TTL is measured with is moved
forward, so expiry needs no waiting.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.core.exceptions import ServiceRequestError
from azure.storage.blob.aio import ContainerClient
from conftest import ROOT

from handlers.channels.botframework.state import (
    API_VERSION,
    BoundedMemoryStorage,
    ConflictingWrite,
    ExpiringBlobStorage,
    StateConfigError,
    blob_name,
    make_blob_storage,
    make_storage,
)
from index.config import Config

pytestmark = pytest.mark.asyncio(loop_scope="session")

KEY = "msteams/conversations/a:1xYz@thread.tacv2;messageid=17"
DAY = timedelta(hours=24)
DEV_CONNECTION_STRING = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
    "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;"  # port 9 (discard): nothing listens
)


class Clock:
    """A clock a test moves forward; starts at the real time so it agrees with the storage's timestamps."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.ticks = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def monotonic(self) -> float:
        return self.ticks


# --- Memory ---


async def test_memory_reads_what_was_written_and_forgets_deleted() -> None:
    storage = BoundedMemoryStorage(max_items=10, ttl_seconds=60)
    await storage.write({KEY: {"context": {"question": "Vad gör Almi?"}}})
    assert await storage.read([KEY, "other"]) == {KEY: {"context": {"question": "Vad gör Almi?"}}}
    await storage.delete([KEY, "other"])
    assert await storage.read([KEY]) == {}
    assert len(storage) == 0


async def test_memory_forgets_a_conversation_not_written_for_the_ttl() -> None:
    clock = Clock()
    storage = BoundedMemoryStorage(max_items=10, ttl_seconds=60, clock=clock.monotonic)
    await storage.write({"old": {"n": 1}, "kept": {"n": 1}})
    clock.ticks = 50
    await storage.write({"kept": {"n": 2}})  # written again: its TTL starts over
    clock.ticks = 60
    assert await storage.read(["old", "kept"]) == {"kept": {"n": 2}}
    assert len(storage) == 1 and "old" not in storage.memory


async def test_memory_keeps_at_most_max_items_dropping_the_least_recently_written() -> None:
    clock = Clock()
    storage = BoundedMemoryStorage(max_items=3, ttl_seconds=3600, clock=clock.monotonic)
    for n, key in enumerate(["a", "b", "c"]):
        clock.ticks = n
        await storage.write({key: {"n": n}})
    await storage.write({"a": {"n": 9}})  # a is now the most recently written
    await storage.write({"d": {"n": 3}})
    assert sorted(await storage.read(["a", "b", "c", "d"])) == ["a", "c", "d"]
    assert len(storage) == 3 and len(storage.memory) == 3


async def test_memory_keeps_botbuilders_etag_check() -> None:
    storage = BoundedMemoryStorage(max_items=10, ttl_seconds=60)
    await storage.write({KEY: {"n": 1, "e_tag": "1"}})
    with pytest.raises(KeyError):
        await storage.write({KEY: {"n": 2, "e_tag": "0"}})
    await storage.write({KEY: {"n": 3, "e_tag": "*"}})  # "*" overwrites whatever is there
    assert (await storage.read([KEY]))[KEY]["n"] == 3


# --- Blob (Azurite) ---


@pytest.fixture
async def clock() -> Clock:
    return Clock()


@pytest.fixture
def container_name() -> str:
    return f"state-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def blob(azurite: str, container_name: str, clock: Clock) -> AsyncIterator[ExpiringBlobStorage]:
    storage = make_blob_storage(azurite, container_name, DAY, now=clock.now)
    yield storage
    await storage.close()


@pytest.fixture
async def container(azurite: str, container_name: str) -> AsyncIterator[ContainerClient]:
    """The same container seen directly, as an operator would in the storage account."""
    client = ContainerClient.from_connection_string(azurite, container_name, api_version=API_VERSION)
    yield client
    await client.close()


async def blob_names(container: ContainerClient) -> list[str]:
    return [blob.name async for blob in container.list_blobs()]


async def test_blob_reads_what_was_written_and_forgets_deleted(
    blob: ExpiringBlobStorage, container: ContainerClient
) -> None:
    assert await blob.read([KEY]) == {}  # the container is created on first use
    await blob.write({KEY: {"context": {"question": "Vad gör Almi?", "topic": "Almi"}}})
    item = (await blob.read([KEY, "emulator/conversations/none"]))[KEY]
    assert item["context"] == {"question": "Vad gör Almi?", "topic": "Almi"}
    assert item["e_tag"]  # botbuilder's optimistic concurrency: the blob's ETag comes with what was read
    # Blob names are hashes: the conversation id is nowhere in the storage account's listing.
    assert await blob_names(container) == [blob_name(KEY)]
    await blob.delete([KEY, "emulator/conversations/none"])
    assert await blob.read([KEY]) == {}
    assert await blob_names(container) == []


async def test_a_deleted_container_is_created_again(
    blob: ExpiringBlobStorage, container: ContainerClient
) -> None:
    await blob.write({KEY: {"n": 1}})
    await container.delete_container()  # an operator wipes all conversation state
    assert await blob.read([KEY]) == {}
    await blob.write({KEY: {"n": 2}})
    assert (await blob.read([KEY]))[KEY]["n"] == 2


async def test_two_instances_share_state(azurite: str, container_name: str, clock: Clock) -> None:
    first = make_blob_storage(azurite, container_name, DAY, now=clock.now)
    second = make_blob_storage(azurite, container_name, DAY, now=clock.now)
    try:
        await first.write({KEY: {"n": 1}})
        item = (await second.read([KEY]))[KEY]
        item["n"] = 2
        await second.write({KEY: item})
        assert (await first.read([KEY]))[KEY]["n"] == 2
    finally:
        await first.close()
        await second.close()


async def test_blob_write_with_a_stale_etag_raises_and_keeps_the_newer_state(
    blob: ExpiringBlobStorage,
) -> None:
    await blob.write({KEY: {"n": 0}})
    # Two turns of one conversation read the same state at the same time (e.g. on two instances).
    first, second = (await blob.read([KEY]))[KEY], (await blob.read([KEY]))[KEY]
    first["n"], second["n"] = 1, 2
    await blob.write({KEY: first})
    with pytest.raises(ConflictingWrite):
        await blob.write({KEY: second})
    assert (await blob.read([KEY]))[KEY]["n"] == 1
    second["e_tag"] = "*"  # botbuilder's "overwrite whatever is there"
    await blob.write({KEY: second})
    assert (await blob.read([KEY]))[KEY]["n"] == 2


async def test_two_instances_writing_one_conversation_at_once_keep_one_whole_state(
    azurite: str, container_name: str, clock: Clock
) -> None:
    """Two instances read a conversation, then both write it at the same moment: one write wins, the other
    is refused, and what is stored is one instance's state, whole."""
    first = make_blob_storage(azurite, container_name, DAY, now=clock.now)
    second = make_blob_storage(azurite, container_name, DAY, now=clock.now)
    try:
        await first.write({KEY: {"turn": 0}})
        mine, theirs = (await first.read([KEY]))[KEY], (await second.read([KEY]))[KEY]
        mine["turn"], theirs["turn"] = "A", "B"
        outcomes = await asyncio.gather(
            first.write({KEY: mine}), second.write({KEY: theirs}), return_exceptions=True
        )
        refused = [o for o in outcomes if isinstance(o, ConflictingWrite)]
        assert len(refused) == 1 and outcomes.count(None) == 1, outcomes
        won = "A" if outcomes[0] is None else "B"
        assert (await second.read([KEY]))[KEY]["turn"] == won
    finally:
        await first.close()
        await second.close()


async def test_state_written_by_botbuilder_azure_still_reads(
    blob: ExpiringBlobStorage, container: ContainerClient
) -> None:
    """botbuilder-azure's BlobStorage stored jsonpickle's JSON under the same hashed names: it reads as it
    was, with its ETag, and can be written back."""
    import jsonpickle

    await blob.read([KEY])  # creates the container
    stored = {"ConversationState": {"context": {"question": "Vad gör Almi?", "topic": "Almi"}}}
    await container.upload_blob(blob_name(KEY), jsonpickle.encode(stored))
    item = (await blob.read([KEY]))[KEY]
    assert item["ConversationState"]["context"]["topic"] == "Almi" and item["e_tag"]
    item["ConversationState"]["context"]["topic"] = "REKO"
    await blob.write({KEY: item})
    assert (await blob.read([KEY]))[KEY]["ConversationState"]["context"]["topic"] == "REKO"


async def test_blob_conversation_not_written_for_the_ttl_reads_as_missing(
    blob: ExpiringBlobStorage, clock: Clock
) -> None:
    await blob.write({KEY: {"n": 1}})
    clock.offset = DAY - timedelta(minutes=1)
    assert (await blob.read([KEY]))[KEY]["n"] == 1
    clock.offset = DAY + timedelta(seconds=2)
    assert await blob.read([KEY]) == {}
    # What a turn then does: write fresh state without an ETag, over the expired blob.
    await blob.write({KEY: {"n": 2}})
    clock.offset = timedelta(0)
    assert (await blob.read([KEY]))[KEY]["n"] == 2


async def test_sweep_deletes_only_conversations_older_than_the_ttl(
    blob: ExpiringBlobStorage, container: ContainerClient, clock: Clock
) -> None:
    await blob.write({"old": {"n": 1}})
    await asyncio.sleep(1.1)  # Last-Modified has one-second resolution
    await blob.write({"new": {"n": 1}})
    modified = {b.name: b.last_modified async for b in container.list_blobs()}
    # Now is just over a TTL after "old" was written, so "new" is still younger than the TTL.
    clock.offset = modified[blob_name("old")] + DAY + timedelta(seconds=0.5) - datetime.now(UTC)
    assert await blob.sweep() == 1
    assert await blob_names(container) == [blob_name("new")]
    assert (await blob.read(["new"]))["new"]["n"] == 1


async def test_a_write_starts_a_sweep_at_most_once_an_hour(
    blob: ExpiringBlobStorage, container: ContainerClient, clock: Clock
) -> None:
    await blob.write({"old": {"n": 1}})  # the first write sweeps (an empty container)
    first = blob._sweeping
    assert first is not None and await first == 0
    await blob.write({"again": {"n": 1}})
    assert blob._sweeping is first  # within the hour: no new sweep
    clock.offset = DAY + timedelta(hours=1)
    await blob.write({"now": {"n": 1}})
    assert blob._sweeping is not first
    assert await blob._sweeping >= 1
    assert blob_name("old") not in await blob_names(container)


async def test_unreachable_storage_fails_a_read_in_seconds_not_minutes() -> None:
    storage = make_blob_storage(DEV_CONNECTION_STRING, "kompetensbot-state", DAY)
    started = time.monotonic()
    try:
        with pytest.raises(ServiceRequestError):
            await storage.read([KEY])
    finally:
        await storage.close()
    assert time.monotonic() - started < 3


# --- Configuration ---


async def test_configuration_chooses_the_store() -> None:
    config = Config.from_env(
        {"KOMPETENSBOT_STATE_TTL_HOURS": "0.5", "KOMPETENSBOT_STATE_MAX_CONVERSATIONS": "7"}
    )
    memory = make_storage(config)
    assert isinstance(memory, BoundedMemoryStorage)
    assert (memory.max_items, memory.ttl_seconds) == (7, 1800)
    blob = Config.from_env(
        {
            "KOMPETENSBOT_STATE": "blob",
            "KOMPETENSBOT_BLOB_CONNECTION_STRING": DEV_CONNECTION_STRING,
            "KOMPETENSBOT_BLOB_CONTAINER": "min-container",
        }
    )
    assert blob.blob_container == "min-container" and "AccountKey" not in repr(blob)
    storage = make_storage(blob)
    assert isinstance(storage, ExpiringBlobStorage) and storage.ttl == DAY
    assert storage._container.container_name == "min-container"
    await storage.close()
    with pytest.raises(StateConfigError, match="KOMPETENSBOT_BLOB_CONNECTION_STRING"):
        make_storage(Config.from_env({"KOMPETENSBOT_STATE": "blob"}))
    with pytest.raises(StateConfigError, match="memory eller blob"):
        make_storage(Config.from_env({"KOMPETENSBOT_STATE": "cosmos"}))
    with pytest.raises(StateConfigError, match="containernamn"):
        make_storage(replace(blob, blob_container="Kompetensbot_State"))
    with pytest.raises(StateConfigError, match="ingen giltig anslutningssträng") as refused:
        make_storage(replace(blob, blob_connection_string="AccountKey=hemlig"))
    assert "hemlig" not in str(refused.value)


async def test_serve_refuses_blob_state_without_a_connection_string(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "KOMPETENSBOT_STATE": "blob", "KOMPETENSBOT_INDEX_DIR": str(tmp_path)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bot.py"), "serve", "--port", "0", env=env, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode != 0
    assert "KOMPETENSBOT_BLOB_CONNECTION_STRING" in stderr.decode()
