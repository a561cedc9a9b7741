"""Where conversation state lives: bounded memory for one process, Azure Blob Storage for several.

Conversation state is what a follow-up question refers back to (the previous question, topic and actor). With
one process, `BoundedMemoryStorage` keeps it: botbuilder's MemoryStorage with a cap on conversations and an
expiry. With several instances behind a load balancer, consecutive turns of one conversation land on
different instances, so they share `ExpiringBlobStorage`: botbuilder's Storage contract on the current
azure-storage-blob (its asyncio client), one JSON blob per conversation, with optimistic concurrency through
the blob's ETag: a write of what was read uploads with If-Match, so when another instance wrote the
conversation in between the write fails (ConflictingWrite) and the newer state stays; an item without an
ETag, or with "*", is written whatever is there, as botbuilder's MemoryStorage does. (botbuilder-azure's
BlobStorage, used before, pins azure-storage-blob 12.7.0 of 2021, whose uploads strict Azurite refuses.)
The blobs are jsonpickle's JSON, as botbuilder-azure wrote them, so state it stored still reads. Further:

- the client has short timeouts and one quick retry; with the SDK's defaults (300 s read timeout,
  three retries backing off from 15 s) a refused upload took 86 s to fail, holding the chat turn;
- blob names are the SHA-256 of the state key, so conversation ids never appear in the storage account
  (and Teams ids with ':', '@' and ';' make no odd blob names);
- a conversation not written for the TTL reads as missing at once, whenever the last sweep ran; a sweep,
  started at most once an hour by a write, deletes such blobs (conditionally, so a conversation that
  another instance just wrote survives);
- a read that fails for another reason than "not found" raises instead of silently reading as missing;
- a container deleted while the bot runs (an operator wiping all state) is created again on the next write.

Both keep botbuilder's Storage contract: a write with a stale ETag raises, as MemoryStorage does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob.aio import ContainerClient, LinearRetry, StorageStreamDownloader
from botbuilder.core import MemoryStorage, Storage
from jsonpickle import encode
from jsonpickle.unpickler import Unpickler

from index.config import Config

log = logging.getLogger(__name__)

# Short, so that unreachable storage costs a turn seconds, not minutes (see the module docstring).
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
RETRIES = 1
RETRY_BACKOFF_SECONDS = 0.3
SWEEP_INTERVAL = timedelta(hours=1)
# The Blob service version spoken, fixed rather than the SDK's newest: an SDK upgrade does not change what the
# store asks of the service, and Azurite (the tests' emulator, 3.37) serves this version in strict mode.
API_VERSION = "2026-06-06"
# Azure's rule for container names: 3-63 characters, lower-case letters, digits and single hyphens inside.
CONTAINER_NAME = re.compile(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]")


class ConflictingWrite(Exception):
    """Another instance wrote the conversation since it was read: this write is refused (botbuilder's
    contract), and the newer state stays."""


class StateConfigError(RuntimeError):
    """The state store is misconfigured; the message (Swedish, for the operator) says what to set."""


class BoundedMemoryStorage(MemoryStorage):
    """MemoryStorage that forgets: a conversation not written for `ttl_seconds`, and the least recently
    written ones beyond `max_items`. Everything else, the ETag check included, is MemoryStorage's."""

    def __init__(
        self, max_items: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.max_items = max_items
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._written: OrderedDict[str, float] = OrderedDict()  # key -> when last written, oldest first

    async def read(self, keys: list[str]) -> dict[str, Any]:
        self._forget_expired()
        return await super().read(keys)

    async def write(self, changes: dict[str, Any]) -> None:
        await super().write(changes)
        now = self._clock()
        for key in changes or {}:
            self._written[key] = now
            self._written.move_to_end(key)
        self._forget_expired()
        while len(self._written) > self.max_items:
            self._forget(next(iter(self._written)))

    async def delete(self, keys: list[str]) -> None:
        await super().delete(keys)
        for key in keys:
            self._written.pop(key, None)

    def __len__(self) -> int:
        return len(self._written)

    def _forget_expired(self) -> None:
        cutoff = self._clock() - self.ttl_seconds
        while self._written and next(iter(self._written.values())) <= cutoff:
            self._forget(next(iter(self._written)))

    def _forget(self, key: str) -> None:
        self._written.pop(key, None)
        self.memory.pop(key, None)


def blob_name(key: str) -> str:
    """The blob a state key is stored in: its SHA-256, so no conversation id is visible in storage."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ExpiringBlobStorage(Storage):
    """Conversation state in Azure Blob Storage: hashed blob names, ETag concurrency, a TTL and a sweep (see
    the module docstring)."""

    def __init__(self, container: ContainerClient, ttl: timedelta, now: Callable[[], datetime]) -> None:
        self._container = container
        self.ttl = ttl
        self._now = now
        self._created = False  # the container, once per process (and again if an operator deletes it)
        self._last_sweep: datetime | None = None
        self._sweeping: asyncio.Task[int] | None = None

    async def read(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            raise ValueError("Keys are required when reading")
        await self._create_container()
        items: dict[str, Any] = {}
        for key in keys:
            try:
                blob = await self._container.get_blob_client(blob_name(key)).download_blob()
            except ResourceNotFoundError:
                continue
            if not self._expired(blob.properties.last_modified):
                items[key] = await _store_item(blob)
        return items

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise ValueError("Changes are required when writing")
        if not changes:
            return
        await self._create_container()
        for key, item in changes.items():
            try:
                await self._upload(blob_name(key), item)
            except ResourceNotFoundError:  # the container was deleted (to wipe all state): make it again
                self._created = False
                await self._create_container()
                await self._upload(blob_name(key), item)
        self._start_sweep_if_due()

    async def delete(self, keys: list[str]) -> None:
        if keys is None:
            raise ValueError("Keys are required when deleting")
        for key in keys:
            with contextlib.suppress(ResourceNotFoundError):  # what is gone is deleted
                await self._container.delete_blob(blob_name(key))

    async def _upload(self, name: str, item: Any) -> None:
        """The item as JSON; with If-Match when it carries the ETag it was read with."""
        e_tag = item.get("e_tag") if isinstance(item, dict) else getattr(item, "e_tag", None)
        if e_tag == "":
            raise ValueError("An empty e_tag: write what was read, or no e_tag (or '*') to overwrite")
        blob = self._container.get_blob_client(name)
        data = encode(item)
        if e_tag in (None, "*"):
            await blob.upload_blob(data, overwrite=True)
            return
        try:
            await blob.upload_blob(
                data, overwrite=True, etag=f'"{e_tag}"', match_condition=MatchConditions.IfNotModified
            )
        except ResourceModifiedError as conflict:
            raise ConflictingWrite("written by another instance since it was read") from conflict

    async def _create_container(self) -> None:
        if self._created:
            return
        with contextlib.suppress(ResourceExistsError):
            await self._container.create_container()
        self._created = True

    async def sweep(self) -> int:
        """Delete the blobs not written for the TTL; returns how many. Safe with several instances."""
        cutoff = self._now() - self.ttl
        deleted = 0
        async for blob in self._container.list_blobs():
            if blob.last_modified > cutoff:
                continue
            try:  # only if still old: another instance may have written the conversation meanwhile
                await self._container.delete_blob(blob.name, if_unmodified_since=cutoff)
                deleted += 1
            except (ResourceModifiedError, ResourceNotFoundError):
                pass
        return deleted

    async def close(self) -> None:
        """Close the HTTP session; call on shutdown, after the last turn."""
        if self._sweeping is not None:
            self._sweeping.cancel()
        await self._container.close()

    def _expired(self, last_modified: datetime) -> bool:
        return last_modified <= self._now() - self.ttl

    def _start_sweep_if_due(self) -> None:
        now = self._now()
        if self._last_sweep is not None and now - self._last_sweep < SWEEP_INTERVAL:
            return
        self._last_sweep = now
        self._sweeping = asyncio.get_running_loop().create_task(self._sweep_logged())

    async def _sweep_logged(self) -> int:
        try:
            deleted = await self.sweep()
        except Exception as exc:  # storage unreachable: the next sweep tries again; reads still expire
            log.warning("Conversation state sweep failed: %s", type(exc).__name__)
            return 0
        if deleted:
            log.info("Conversation state sweep deleted %d expired conversations", deleted)
        return deleted


async def _store_item(blob: StorageStreamDownloader) -> Any:
    """The stored item (jsonpickle's JSON, as botbuilder-azure's BlobStorage wrote it too), its ETag added."""
    item = json.loads(await blob.readall())
    item["e_tag"] = blob.properties.etag.replace('"', "")
    return Unpickler().restore(item)


def make_blob_storage(
    connection_string: str,
    container: str,
    ttl: timedelta,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ExpiringBlobStorage:
    """Blob state in `container` (created on first use), with our timeouts and retries."""
    client = ContainerClient.from_connection_string(  # owns its HTTP session, so close() closes it
        connection_string,
        container,
        api_version=API_VERSION,
        connection_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retry_policy=LinearRetry(backoff=RETRY_BACKOFF_SECONDS, retry_total=RETRIES, random_jitter_range=0.2),
    )
    return ExpiringBlobStorage(client, ttl, now)


def make_storage(config: Config) -> Storage:
    """The conversation state store the configuration names (KOMPETENSBOT_STATE)."""
    ttl = timedelta(hours=config.state_ttl_hours)
    if config.state == "memory":
        return BoundedMemoryStorage(config.state_max_conversations, ttl.total_seconds())
    if config.state != "blob":
        raise StateConfigError(f"KOMPETENSBOT_STATE ska vara memory eller blob, inte {config.state!r}.")
    if not config.blob_connection_string:
        raise StateConfigError(
            "KOMPETENSBOT_STATE=blob kräver KOMPETENSBOT_BLOB_CONNECTION_STRING (lagringskontots "
            "anslutningssträng)."
        )
    if not CONTAINER_NAME.fullmatch(config.blob_container):
        raise StateConfigError(
            f"KOMPETENSBOT_BLOB_CONTAINER={config.blob_container!r} är inget giltigt containernamn: 3–63 "
            "tecken: små bokstäver, siffror och enstaka bindestreck, först och sist en bokstav eller siffra."
        )
    try:
        return make_blob_storage(config.blob_connection_string, config.blob_container, ttl)
    except ValueError:  # the SDK's parse error; the string itself is a secret, so it is not repeated
        raise StateConfigError(
            "KOMPETENSBOT_BLOB_CONNECTION_STRING är ingen giltig anslutningssträng till ett lagringskonto."
        ) from None
