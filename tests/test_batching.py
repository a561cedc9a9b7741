"""handlers.engine.batching: concurrent submits share a batch, results reach their callers, failures stay
in their batch, and a lone item is not kept waiting."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from handlers.engine import batching
from handlers.engine.batching import MicroBatcher


class Recorder:
    """A batch function that records its batches; the batch holding "gate" waits for `release`, and a
    batch holding "bad" fails."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.entered = threading.Event()

    def __call__(self, items: list[str]) -> list[str]:
        self.batches.append(list(items))
        if "gate" in items:
            self.entered.set()
            assert self.release.wait(5)
        if "bad" in items:
            raise ValueError("bad batch")
        return [item.upper() for item in items]


def hold_worker(batcher: MicroBatcher, recorder: Recorder):
    """Keep the worker busy with a batch of its own, so what is submitted meanwhile queues up."""
    gate = batcher.submit("gate")
    assert recorder.entered.wait(5)
    return gate


def test_items_submitted_while_a_batch_runs_form_one_batch() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch=16, window=0)
    gate = hold_worker(batcher, recorder)
    futures = [batcher.submit(f"q{i}") for i in range(5)]
    recorder.release.set()
    assert [f.result(5) for f in futures] == ["Q0", "Q1", "Q2", "Q3", "Q4"]
    assert gate.result(5) == "GATE"
    assert recorder.batches == [["gate"], ["q0", "q1", "q2", "q3", "q4"]]
    assert (batcher.stats.batches, batcher.stats.items, batcher.stats.largest) == (2, 6, 5)


def test_a_batch_holds_at_most_max_batch_items() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch=3, window=0)
    hold_worker(batcher, recorder)
    futures = [batcher.submit(f"q{i}") for i in range(7)]
    recorder.release.set()
    assert [f.result(5) for f in futures] == [f"Q{i}" for i in range(7)]
    assert [len(b) for b in recorder.batches] == [1, 3, 3, 1]


def test_an_idle_worker_waits_for_announced_items_and_runs_them_together() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch=16, window=2.0)
    announced = threading.Barrier(4)

    def caller(i: int) -> str:
        with batcher.expecting() as announcement:
            announced.wait(5)  # all four announced before the first submits
            time.sleep(0.01 * i)  # analysis takes its time
            [future] = announcement.submit([f"q{i}"])
        return future.result(5)

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(caller, range(4)))
    assert results == ["Q0", "Q1", "Q2", "Q3"]
    assert recorder.batches == [["q0", "q1", "q2", "q3"]]
    # It started as soon as the last announced item came, not at the end of the window.
    assert time.monotonic() - started < 1.0


def test_results_reach_their_own_callers_from_many_threads() -> None:
    batcher = MicroBatcher(lambda items: [f"{item}!" for item in items], max_batch=4, window=0.002)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(batcher, [f"q{i}" for i in range(200)]))
    assert results == [f"q{i}!" for i in range(200)]
    assert batcher.stats.items == 200


def test_results_reach_their_own_callers_on_an_event_loop() -> None:
    batcher = MicroBatcher(lambda items: [len(item) for item in items])

    async def main() -> list[int]:
        return await asyncio.gather(*(batcher.run_async("x" * n) for n in range(50)))

    assert asyncio.run(main()) == list(range(50))


def test_an_exception_fails_only_the_callers_of_its_batch() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(recorder, window=0)
    gate = hold_worker(batcher, recorder)
    same_batch = [batcher.submit("a"), batcher.submit("bad")]
    recorder.release.set()
    for future in same_batch:
        with pytest.raises(ValueError, match="bad batch"):
            future.result(5)
    assert gate.result(5) == "GATE"
    assert batcher.submit("c").result(5) == "C"  # the worker carries on
    assert recorder.batches == [["gate"], ["a", "bad"], ["c"]]


def test_a_wrong_number_of_results_fails_the_batch() -> None:
    batcher = MicroBatcher(lambda items: [], window=0)
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        batcher.submit("a").result(5)


def test_an_idle_single_request_is_not_delayed() -> None:
    batcher = MicroBatcher(lambda items: items, window=1.0)
    batcher.submit("warm").result(5)  # the worker thread is started
    started = time.monotonic()
    assert batcher.submit("a").result(5) == "a"
    assert time.monotonic() - started < 0.3  # nothing announced: no wait at all, far below the window


def test_an_announcement_never_fulfilled_delays_others_by_the_window_at_most() -> None:
    window = 0.2
    batcher = MicroBatcher(lambda items: items, window=window)
    with batcher.expecting():  # a caller whose analysis is slow, or fails
        started = time.monotonic()
        assert batcher.submit("a").result(5) == "a"
        waited = time.monotonic() - started
    assert window * 0.5 <= waited < window + 0.3


def test_leaving_an_announcement_without_submitting_releases_the_worker() -> None:
    batcher = MicroBatcher(lambda items: items, window=5.0)
    entered = threading.Event()

    def failing_caller() -> None:
        with batcher.expecting():
            entered.set()
            time.sleep(0.05)
            raise RuntimeError("analysis failed")

    thread = threading.Thread(target=lambda: pytest.raises(RuntimeError, failing_caller))
    thread.start()
    assert entered.wait(5)
    started = time.monotonic()
    assert batcher.submit("a").result(5) == "a"
    thread.join(5)
    assert time.monotonic() - started < 1.0  # released when the caller left, not after 5 s


def test_the_idle_worker_thread_ends_and_a_new_one_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batching, "IDLE_EXIT_SECONDS", 0.05)
    batcher = MicroBatcher(lambda items: items, window=0)
    assert batcher.submit("a").result(5) == "a"
    deadline = time.monotonic() + 5
    while batcher._alive and time.monotonic() < deadline:
        time.sleep(0.01)
    assert batcher._alive == 0
    assert batcher.submit("b").result(5) == "b"


def test_workers_run_batches_at_the_same_time() -> None:
    both_running = threading.Barrier(2, timeout=5)

    def run(items: list[str]) -> list[str]:
        both_running.wait()  # only passes if the other batch runs meanwhile
        return items

    batcher = MicroBatcher(run, max_batch=1, window=0, workers=2)
    futures = [batcher.submit("a"), batcher.submit("b")]
    assert [f.result(5) for f in futures] == ["a", "b"]
    assert batcher.stats.batches == 2


def test_when_done_calls_on_with_every_result_once_the_last_is_in() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch=16, window=0)
    gate = hold_worker(batcher, recorder)
    got: list[list[str]] = []
    futures = batcher.submit_all(["a", "b"])
    batching.when_done(futures, got.append, lambda error: got.append([repr(error)]))
    assert got == []  # nobody waits: the callback comes with the batch
    recorder.release.set()
    gate.result(5)
    [f.result(5) for f in futures]
    assert got == [["A", "B"]]


def test_when_done_reports_the_first_failure() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch=16, window=0)
    failures: list[BaseException] = []
    done = threading.Event()
    futures = batcher.submit_all(["bad", "other"])
    batching.when_done(futures, lambda _: done.set(), lambda error: (failures.append(error), done.set()))
    assert done.wait(5)
    assert [type(e) for e in failures] == [ValueError]


def test_a_withdrawn_announcement_no_longer_holds_an_idle_worker() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch=16, window=5.0)
    announcement = batcher.announce()
    announcement.withdraw()
    announcement.withdraw()  # twice is harmless
    started = time.monotonic()
    assert batcher.submit("q").result(5) == "Q"
    assert time.monotonic() - started < 1.0
