"""Micro-batching: items submitted at about the same time, from any thread or event loop, run as one batch.

Embedding a batch of questions costs less per question than embedding them one by one (the model's weights
are streamed once per batch). So `workers` threads (one per core suits a CPU-bound `run`) each run
`run(items)` on whatever is waiting, up to `max_batch` items. Under load, questions that arrive while the
workers are busy form the next batch by themselves. An idle worker starts at once, unless a caller has
announced (with `expecting()`) that its item is on the way: then it waits for it, at most `window` seconds.
A lone question is never delayed.

Plain Python (threads and concurrent.futures): no channel SDK, usable from the CLI, tests and the bot.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# An idle worker thread ends after this long and is started again by the next submit, so a batcher that is
# dropped (an engine replaced by a rebuilt index) leaves no thread behind.
IDLE_EXIT_SECONDS = 30.0


@dataclass
class BatchStats:
    """What the batcher did, for benchmarks and tests."""

    batches: int = 0
    items: int = 0
    largest: int = 0

    def add(self, size: int) -> None:
        self.batches += 1
        self.items += size
        self.largest = max(self.largest, size)


@dataclass
class MicroBatcher(Generic[T, R]):
    """Runs `run(items) -> results` (one result per item, in order) on batches of submitted items."""

    run: Callable[[list[T]], Sequence[R]]
    max_batch: int = 16
    window: float = 0.003  # seconds an idle worker waits for an announced item
    name: str = "batcher"
    workers: int = 1  # threads running batches at the same time
    stats: BatchStats = field(default_factory=BatchStats)
    _pending: list[tuple[T, Future[R]]] = field(default_factory=list, repr=False)
    _expected: int = field(default=0, repr=False)
    _alive: int = field(default=0, repr=False)  # worker threads
    _idle: int = field(default=0, repr=False)  # worker threads waiting for items
    _gathering: bool = field(default=False, repr=False)  # a worker is waiting for announced items
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def submit(self, item: T) -> Future[R]:
        """Queue an item; the future gets its result, or the exception its batch raised."""
        return self.submit_all([item])[0]

    def submit_all(self, items: Sequence[T], announced: Announcement | None = None) -> list[Future[R]]:
        """Queue items together (they join the same batch where it has room); `announced`: the
        announcement they fulfil."""
        futures: list[Future[R]] = [Future() for _ in items]
        with self._cond:
            self._pending.extend(zip(items, futures, strict=True))
            if announced is not None and announced.open:
                announced.open = False
                self._expected -= 1
            if self._idle == 0 and self._alive < self.workers:
                self._alive += 1
                threading.Thread(target=self._work, name=self.name, daemon=True).start()
            self._cond.notify_all()
        return futures

    def __call__(self, item: T) -> R:
        """Submit and wait (for callers on plain threads)."""
        return self.submit(item).result()

    async def run_async(self, item: T) -> R:
        """Submit and await (for callers on an event loop)."""
        return await asyncio.wrap_future(self.submit(item))

    def announce(self) -> Announcement[T, R]:
        """Announce items that will be submitted soon (`announcement.submit(items)`), so an idle worker
        waits for them, at most `window`, instead of starting a batch without them. A caller that will not
        submit after all says so with `announcement.withdraw()`."""
        with self._cond:
            self._expected += 1
        return Announcement(self)

    @contextmanager
    def expecting(self) -> Iterator[Announcement]:
        """An announcement for the items submitted inside this block; withdrawn if none were."""
        announcement = self.announce()
        try:
            yield announcement
        finally:
            announcement.withdraw()

    def _withdraw(self, announcement: Announcement) -> None:
        with self._cond:
            if announcement.open:
                announcement.open = False
                self._expected -= 1
                self._cond.notify_all()

    def _work(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._run(batch)

    def _next_batch(self) -> list[tuple[T, Future[R]]] | None:
        """The next batch, once there is one; None when idle long enough to end the thread."""
        with self._cond:
            self._idle += 1
            ready = self._cond.wait_for(lambda: self._pending and not self._gathering, IDLE_EXIT_SECONDS)
            self._idle -= 1
            if not ready:
                self._alive -= 1  # the next submit starts a new worker (under the same lock)
                return None
            self._gather()
            # An even share for each worker: two batches of 4 on two cores end sooner than one of 8.
            size = min(self.max_batch, -(-len(self._pending) // self.workers))
            batch, self._pending = self._pending[:size], self._pending[size:]
            self.stats.add(len(batch))
            self._cond.notify_all()  # what is left is another worker's
            return batch

    def _gather(self) -> None:
        """Wait, at most `window`, for announced items (one worker at a time; under the lock)."""
        self._gathering = True
        deadline = time.monotonic() + self.window
        while len(self._pending) < self.max_batch and self._expected > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._cond.wait(remaining):
                break
        self._gathering = False

    def _run(self, batch: list[tuple[T, Future[R]]]) -> None:
        live = [(item, future) for item, future in batch if future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            results = self.run([item for item, _ in live])
            if len(results) != len(live):
                raise RuntimeError(f"{self.name}: {len(results)} results for {len(live)} items")
        except BaseException as error:  # noqa: BLE001 - handed to the batch's callers, who re-raise it
            for _, future in live:
                future.set_exception(error)
            return
        for (_, future), result in zip(live, results, strict=True):
            future.set_result(result)


@dataclass
class Announcement(Generic[T, R]):
    """Items on their way to a batcher (see MicroBatcher.expecting)."""

    batcher: MicroBatcher[T, R]
    open: bool = True

    def submit(self, items: Sequence[T]) -> list[Future[R]]:
        return self.batcher.submit_all(items, self)

    def withdraw(self) -> None:
        """No items will come (the caller failed before submitting); a no-op once they have."""
        self.batcher._withdraw(self)


def when_done(
    futures: Sequence[Future[R]], then: Callable[[list[R]], None], failed: Callable[[BaseException], None]
) -> None:
    """`then(results)` once every future has its result, or `failed(error)` with the first failure, on the
    thread that completes the last one (no thread waits for them)."""
    left = len(futures)
    lock = threading.Lock()

    def one_done(_: Future[R]) -> None:
        nonlocal left
        with lock:
            left -= 1
            if left:
                return
        for future in futures:
            error = future.exception() if not future.cancelled() else CancelledError()
            if error is not None:
                failed(error)
                return
        then([future.result() for future in futures])

    if not futures:
        then([])
    for future in futures:
        future.add_done_callback(one_done)
