"""The answering engine a server holds: loaded in the background, and replaced when the index is rebuilt.

A server answers (politely, "not ready") while its first engine loads, because the first start builds the
index. Later, an operator rebuilds the index with `bot.py index build`, which swaps the index_dir link
atomically; the server must switch to it without a restart and without failing a request. So LiveEngine keeps
the current engine behind one attribute (rebinding and reading it are atomic in CPython), and one daemon
thread loads the first engine, then polls the index link and loads a new engine beside the old one, swapping
the reference only once it is ready. Questions in flight finish on the engine they started with; a failed
load keeps the old engine. Plain Python: no channel SDK here.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Literal, TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E")
Status = Literal["ok", "loading", "error"]


class EngineUnavailable(RuntimeError):
    """No engine could be loaded; the log says why and what to do."""


@dataclass(frozen=True)
class IndexStamp:
    """One build of the index on disk: the folder the link points at, and its manifest's identity."""

    folder: str
    inode: int
    mtime_ns: int


def index_stamp(index_dir: Path) -> IndexStamp | None:
    """The build index_dir points at now, or None while there is none (not built yet, or mid-swap)."""
    try:
        folder = os.path.realpath(index_dir)
        # The manifest is written last, so a build folder without one is not ready to be read.
        stat = os.stat(os.path.join(folder, "manifest.json"))
    except OSError:
        return None
    return IndexStamp(folder, stat.st_ino, stat.st_mtime_ns)


@dataclass
class LiveEngine(Generic[E]):
    """The current engine (None while loading), kept in step with the index at `watch`."""

    watch: Path | None = None  # the index_dir link; None: load once, never switch
    poll_seconds: float = 2.0  # how often to look at the link; <= 0: never switch
    unavailable: type[Exception] = EngineUnavailable  # what get() raises when no engine could be loaded
    engine: E | None = None
    error: str | None = None  # why the first load failed, while no engine has loaded since
    generation: int = 0  # engines loaded so far: 1 after the first load, +1 per switch to a rebuilt index
    on_switch: Callable[[int], None] | None = None  # told each new generation (the metrics' gauge)
    done: threading.Event = field(default_factory=threading.Event)  # set once the first load has ended
    _stamp: IndexStamp | None = field(default=None, repr=False)  # the build the current engine came from
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def get(self) -> E | None:
        """The engine to answer with; None while the first one loads; `unavailable` if it failed to."""
        engine = self.engine  # one read: a switch between two reads must not matter
        if engine is None and self.error is not None:
            raise self.unavailable(self.error)
        return engine

    @property
    def status(self) -> Status:
        if self.engine is not None:
            return "ok"
        return "loading" if self.error is None else "error"

    def start(self, loader: Callable[[], E]) -> threading.Thread:
        """Load the first engine in a daemon thread, then switch whenever the index is rebuilt.

        A daemon thread, so that stopping the server while the index is still being built does not hang;
        the next start sees the unfinished index as missing or stale and builds it again.
        """
        thread = threading.Thread(target=self._run, args=(loader,), name="qa-loader", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop watching the index (the engine stays)."""
        self._stop.set()

    def load(self, loader: Callable[[], E]) -> None:
        """The first load; `done` is set when it has succeeded or failed."""
        started = time.monotonic()
        try:
            self._load(loader)
        except Exception as exc:
            self._stamp = self._current_stamp()  # retry when the index is rebuilt, not at the first poll
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception(
                "Could not load the answering engine (%s). The server keeps running but only answers "
                "'not available'. Check that the knowledge file exists and is readable, then rebuild the "
                "index with `python bot.py index build`: the server switches to it by itself.",
                self.error,
            )
        else:
            log.info("Answering engine ready after %.1f s", time.monotonic() - started)
        finally:
            self.done.set()

    def reload_if_changed(self, loader: Callable[[], E]) -> bool:
        """Switch to a new engine if the index was rebuilt since the current one loaded; True if switched."""
        stamp = self._current_stamp()
        if stamp is None or stamp == self._stamp:
            return False
        started = time.monotonic()
        try:
            self._load(loader)
        except Exception as exc:
            self._stamp = self._current_stamp()  # try again at the next rebuild, not at every poll
            kept = "still answering from the previous one" if self.engine is not None else "still none"
            log.error("Could not load the rebuilt index (%s: %s); %s.", type(exc).__name__, exc, kept)
            return False
        seconds = time.monotonic() - started
        log.info("Switched to the rebuilt index (generation %d) after %.1f s", self.generation, seconds)
        return True

    def _current_stamp(self) -> IndexStamp | None:
        return index_stamp(self.watch) if self.watch is not None else None

    def _load(self, loader: Callable[[], E]) -> None:
        before = self._current_stamp()
        engine = loader()
        # Rebuilt while loading (by this loader, or another process): which build the engine holds is
        # unknown, so forget the stamp and load once more at the next poll.
        self._stamp = before if before == self._current_stamp() else None
        self.engine = engine  # the switch: one reference, rebound after the new engine is complete
        self.error = None
        self.generation += 1
        if self.on_switch is not None:
            self.on_switch(self.generation)

    def _run(self, loader: Callable[[], E]) -> None:
        self.load(loader)
        if self.watch is None or self.poll_seconds <= 0:
            return
        while not self._stop.wait(self.poll_seconds):
            self.reload_if_changed(loader)
