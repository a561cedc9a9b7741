"""Answering under load: the engine from many threads at once, batched answers, and `--workers`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

import bot
from handlers.dialogue import Context
from handlers.workers import WorkersRefused, check_workers
from index.config import Config

ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = [
    "Vad gör Almi?",
    "Vilka insatsområden finns för arbetsgivare?",
    "Hur kan insatser finansieras?",
    "What does REKO do?",
    "Vad blir vädret imorgon?",
    "Vad kostar det att plugga på folkhögskola?",
    # A long message: its situation is embedded beside its question (two texts in one batch).
    "Jag jobbar som undersköterska i Örebro och funderar på att byta bana efter många år i vården. "
    "Vilket stöd finns för den som vill ställa om?",
]


def as_json(answers) -> list[dict]:
    return [answer.to_json() for answer in answers]


@pytest.fixture(scope="module")
def sequential(real_qa) -> list[dict]:
    return as_json(real_qa.answer(q) for q in QUESTIONS)


def test_answers_from_many_threads_equal_sequential_answers(real_qa, sequential) -> None:
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(real_qa.answer, QUESTIONS * 4))
    assert as_json(answers) == sequential * 4


def test_concurrent_async_answers_equal_sequential_answers_and_share_batches(real_qa, sequential) -> None:
    before = real_qa.batcher.stats.batches, real_qa.batcher.stats.items

    async def ask_all() -> list:
        return await asyncio.gather(*(real_qa.answer_async(q) for q in QUESTIONS * 4))

    assert as_json(asyncio.run(ask_all())) == sequential * 4
    batches = real_qa.batcher.stats.batches - before[0]
    items = real_qa.batcher.stats.items - before[1]
    assert items == 4 * (len(QUESTIONS) + 1)  # the long message embeds two texts
    assert batches < items / 2  # asked at once, embedded together


def test_async_answer_keeps_the_thread_of_a_conversation(real_qa) -> None:
    first = asyncio.run(real_qa.answer_async("Vad gör Almi?"))
    follow_up = asyncio.run(real_qa.answer_async("Vem äger den?", first.context))
    assert follow_up.to_json() == real_qa.answer("Vem äger den?", first.context).to_json()
    declined = asyncio.run(real_qa.answer_async("Vad blir vädret imorgon?", first.context))
    assert declined.context == first.context  # a turn that does not answer keeps the thread
    assert isinstance(declined.context, Context)


# --- --workers ------------------------------------------------------------------------------------------


def test_workers_are_refused_without_a_shared_state_store() -> None:
    with pytest.raises(WorkersRefused, match="KOMPETENSBOT_STATE=blob"):
        check_workers(replace(Config(), workers=2))
    with pytest.raises(WorkersRefused, match="minst 1"):
        check_workers(replace(Config(), workers=0))
    check_workers(Config())  # one process: memory state is fine
    check_workers(replace(Config(), workers=2, state="blob"))


def test_workers_come_from_the_environment() -> None:
    config = Config.from_env({"KOMPETENSBOT_WORKERS": "3", "KOMPETENSBOT_STATE": "blob"})
    assert (config.workers, config.state) == (3, "blob")
    assert (Config.from_env({}).workers, Config.from_env({}).state) == (1, "memory")


def test_serve_with_workers_and_memory_state_exits_with_the_reason(capsys, monkeypatch) -> None:
    monkeypatch.delenv("KOMPETENSBOT_STATE", raising=False)
    monkeypatch.delenv("KOMPETENSBOT_WORKERS", raising=False)
    assert bot.main(["serve", "--workers", "2", "--port", "1"]) == 2
    error = capsys.readouterr().err
    assert "--workers 2" in error and "per process" in error


SUPERVISED = """
import os, sys
from aiohttp import web
from handlers.workers import Supervisor

async def pid(request):
    return web.Response(text=str(os.getpid()))

def serve_one():
    app = web.Application()
    app.router.add_get("/", pid)
    if {fail}:
        raise RuntimeError("cannot start")
    web.run_app(app, host="127.0.0.1", port={port}, reuse_port=True, print=None, shutdown_timeout=1)

sys.exit(Supervisor(2, serve_one, min_uptime={min_uptime}).run())
"""


def supervised(port: int, fail: bool = False, min_uptime: float = 0.0) -> subprocess.Popen:
    code = SUPERVISED.format(port=port, fail=fail, min_uptime=min_uptime)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stderr=subprocess.PIPE)


def worker_pids(port: int, requests: int = 40, timeout: float = 20.0) -> set[int]:
    """The processes that answered, one new connection per request (the kernel spreads connections)."""
    deadline = time.monotonic() + timeout
    seen: set[int] = set()
    while len(seen) < 2 and time.monotonic() < deadline:
        for _ in range(requests):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    seen.add(int(response.read()))
            except OSError:
                time.sleep(0.05)
    return seen


def test_workers_share_the_port_are_restarted_and_stop_on_sigterm() -> None:
    from handlers.loadbench import free_port

    port = free_port()
    parent = supervised(port)
    try:
        first = worker_pids(port)
        assert len(first) == 2, "both workers answer on the one port"
        killed = min(first)
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 20
        pids = first
        while killed in pids and time.monotonic() < deadline:
            pids = worker_pids(port)
        assert killed not in pids and len(pids) == 2, "the dead worker was replaced"
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(15) == 0
    finally:
        parent.kill()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_workers_that_cannot_start_fail_the_parent() -> None:
    from handlers.loadbench import free_port

    parent = supervised(free_port(), fail=True, min_uptime=10.0)
    try:
        assert parent.wait(15) == 1
    finally:
        parent.kill()
    assert b"cannot start" in parent.stderr.read()
