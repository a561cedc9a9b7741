"""handlers.engine.live: the engine a server holds, loaded in the background, switched when the index
link swaps.

The index here is a real link on disk swapped the way index.store swaps it (os.replace of a new symlink);
the engines are plain objects, since what is tested is when and how the reference changes.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from handlers.engine.live import EngineUnavailable, LiveEngine, index_stamp

POLL = 0.02


class Builds:
    """An index_dir link and its build folders, each with a manifest, swapped atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.link = root / "index"
        self.names = (f"build-{i}" for i in itertools.count(1))

    def build(self) -> Path:
        folder = self.root / "index.builds" / next(self.names)
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text("{}", encoding="utf-8")
        temporary = self.root / ".index.link"
        temporary.symlink_to(folder.relative_to(self.root))
        os.replace(temporary, self.link)
        return folder


class Engines:
    """A loader that makes numbered engines, and can be told to fail or to wait."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail: Exception | None = None
        self.during: Callable[[], None] | None = None  # runs inside a load, e.g. a rebuild meanwhile

    def __call__(self) -> str:
        self.calls += 1
        if self.during:
            self.during()
        if self.fail:
            raise self.fail
        return f"engine-{self.calls}"


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


@pytest.fixture
def builds(tmp_path: Path) -> Builds:
    return Builds(tmp_path)


@pytest.fixture
def live(builds: Builds):
    engine: LiveEngine[str] = LiveEngine(watch=builds.link, poll_seconds=POLL)
    yield engine
    engine.stop()


def test_loading_then_ok(builds: Builds, live: LiveEngine[str]) -> None:
    builds.build()
    release = threading.Event()
    engines = Engines()
    engines.during = lambda: release.wait(5)
    live.start(engines)
    assert (live.status, live.get(), live.generation) == ("loading", None, 0)
    release.set()
    assert live.done.wait(5)
    assert (live.status, live.get(), live.generation) == ("ok", "engine-1", 1)


def test_failed_first_load_raises_the_given_class_and_heals_on_a_rebuild(
    builds: Builds, caplog: pytest.LogCaptureFixture
) -> None:
    class Unavailable(RuntimeError):
        pass

    builds.build()
    engines = Engines()
    engines.fail = FileNotFoundError("/secret/path/handlingsplan.md")
    live: LiveEngine[str] = LiveEngine(watch=builds.link, poll_seconds=POLL, unavailable=Unavailable)
    with caplog.at_level(logging.INFO, logger="handlers.engine.live"):
        live.start(engines)
        assert live.done.wait(5)
        assert live.status == "error"
        with pytest.raises(Unavailable, match="handlingsplan.md"):
            live.get()
        assert "python bot.py index build" in caplog.text
        time.sleep(POLL * 5)
        assert engines.calls == 1  # an unchanged index is not retried at every poll

        engines.fail = None
        builds.build()
        wait_for(lambda: live.status == "ok")
    assert (live.get(), live.error, live.generation) == ("engine-2", None, 1)
    live.stop()


def test_the_default_unavailable_class() -> None:
    live: LiveEngine[str] = LiveEngine()
    live.error = "RuntimeError: x"
    with pytest.raises(EngineUnavailable):
        live.get()


def test_switches_when_the_link_is_swapped_and_only_then(
    builds: Builds, live: LiveEngine[str], caplog: pytest.LogCaptureFixture
) -> None:
    builds.build()
    engines = Engines()
    live.start(engines)
    assert live.done.wait(5)
    time.sleep(POLL * 5)
    assert (live.get(), engines.calls) == ("engine-1", 1)

    with caplog.at_level(logging.INFO, logger="handlers.engine.live"):
        builds.build()
        wait_for(lambda: live.get() == "engine-2")
    assert live.generation == 2
    assert "Switched to the rebuilt index (generation 2)" in caplog.text
    time.sleep(POLL * 5)
    assert engines.calls == 2


def test_a_failed_reload_keeps_the_old_engine_with_one_log_line(
    builds: Builds, live: LiveEngine[str], caplog: pytest.LogCaptureFixture
) -> None:
    builds.build()
    engines = Engines()
    live.start(engines)
    assert live.done.wait(5)

    engines.fail = RuntimeError("chunks.faiss: bad magic")
    with caplog.at_level(logging.INFO, logger="handlers.engine.live"):
        builds.build()
        wait_for(lambda: engines.calls == 2)
        time.sleep(POLL * 5)
    assert engines.calls == 2  # not retried at every poll
    assert (live.status, live.get(), live.generation, live.error) == ("ok", "engine-1", 1, None)
    [line] = [r for r in caplog.records if r.name == "handlers.engine.live"]
    assert line.levelno == logging.ERROR
    assert line.getMessage() == (
        "Could not load the rebuilt index (RuntimeError: chunks.faiss: bad magic); "
        "still answering from the previous one."
    )
    assert line.exc_info is None  # one line, no traceback


def test_a_rebuild_during_a_load_is_loaded_afterwards(builds: Builds, live: LiveEngine[str]) -> None:
    builds.build()
    engines = Engines()
    engines.during = builds.build  # e.g. the loader found the index corrupt and rebuilt it
    live.start(engines)
    assert live.done.wait(5)
    engines.during = None
    wait_for(lambda: live.get() == "engine-2")  # which build engine-1 held was unknown: loaded again
    time.sleep(POLL * 5)
    assert engines.calls == 2


def test_readers_never_see_a_gap_while_it_switches(builds: Builds, live: LiveEngine[str]) -> None:
    builds.build()
    live.start(Engines())
    assert live.done.wait(5)
    seen: set[str | None] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.add(live.get())

    reader = threading.Thread(target=read)
    reader.start()
    for generation in range(2, 7):
        builds.build()
        wait_for(lambda g=generation: live.generation == g)
    wait_for(lambda: "engine-6" in seen)  # the reader may not have run since the last switch
    stop.set()
    reader.join()
    assert None not in seen
    assert {"engine-1", "engine-6"} <= seen


def test_no_index_yet_is_not_a_change(tmp_path: Path) -> None:
    engines = Engines()
    live: LiveEngine[str] = LiveEngine(watch=tmp_path / "index", poll_seconds=POLL)
    live.start(engines)
    assert live.done.wait(5)
    time.sleep(POLL * 5)
    live.stop()
    assert (engines.calls, live.get()) == (1, "engine-1")


def test_without_watch_it_loads_once(builds: Builds) -> None:
    builds.build()
    engines = Engines()
    live: LiveEngine[str] = LiveEngine(poll_seconds=POLL)
    thread = live.start(engines)
    thread.join(5)
    assert not thread.is_alive()
    builds.build()
    assert (engines.calls, live.get()) == (1, "engine-1")


def test_stop_ends_the_watcher(builds: Builds) -> None:
    builds.build()
    live: LiveEngine[str] = LiveEngine(watch=builds.link, poll_seconds=POLL)
    thread = live.start(Engines())
    assert live.done.wait(5)
    assert thread.is_alive()
    live.stop()
    thread.join(5)
    assert not thread.is_alive()


def test_index_stamp(builds: Builds) -> None:
    assert index_stamp(builds.link) is None
    first = builds.build()
    stamp = index_stamp(builds.link)
    assert stamp is not None and stamp.folder == str(first)
    assert index_stamp(builds.link) == stamp
    second = builds.build()
    assert index_stamp(builds.link).folder == str(second)
    (second / "manifest.json").unlink()  # a build folder without its manifest is not ready
    assert index_stamp(builds.link) is None
