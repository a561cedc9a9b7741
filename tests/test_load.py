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
from aiohttp import ClientSession, web
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ConversationAccount

import bot
from handlers.channels.botframework.activity_handler import KompetensBot
from handlers.model.answer import Answer
from handlers.model.context import Context
from handlers.operations.workers import WorkersRefused, check_workers
from handlers.quality import loadbench
from handlers.wording.render import answer_json
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
    return [answer_json(answer) for answer in answers]


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


def test_a_message_that_asks_two_things_is_embedded_in_one_round(
    real_qa, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its second part is embedded while the first is answered (it reads the same either way), so it
    costs one embedding round, not two; the answer is the one answer() gives. A part that points back
    ("vem äger det?") reads differently once the first is answered, and is embedded then."""
    from handlers.engine import qa as engine

    embedding, found_ready = engine._embedding, []

    def recording(texts, announced, ready):
        found_ready.append(all(t in ready for t in texts))
        return embedding(texts, announced, ready)

    monkeypatch.setattr(engine, "_embedding", recording)
    cases = {
        "Vilka insatsområden leder utbildningsaktörerna, och vilka leder arbetsgivarna?": [False, True],
        "Vad gör Almi, och vem äger det?": [False, False],
    }
    for message, ready in cases.items():
        found_ready.clear()
        answered = asyncio.run(real_qa.answer_async(message))
        assert found_ready == ready, message
        assert answer_json(answered) == answer_json(real_qa.answer(message))


def test_a_failing_step_fails_only_its_own_async_answer(real_qa, monkeypatch: pytest.MonkeyPatch) -> None:
    """The steps hand over on the engine's threads: a failure in analysis or composing reaches the caller
    as the exception, withdraws the announced embedding, and leaves the engine answering."""
    analyse, finish = real_qa.analyser.analyse, real_qa._finish

    def failing_analysis(question: str, context: Context | None = None):
        if question == "analysera inte":
            raise ValueError("analysis failed")
        return analyse(question, context)

    def failing_finish(query, vectors, context, may_ask_back=True):
        if query.text == "komponera inte":
            raise KeyError("composing failed")
        return finish(query, vectors, context, may_ask_back)

    monkeypatch.setattr(real_qa.analyser, "analyse", failing_analysis)
    monkeypatch.setattr(real_qa, "_finish", failing_finish)

    async def ask_all() -> list:
        questions = ["analysera inte", "komponera inte", "Vad gör Almi?"]
        return await asyncio.gather(*(real_qa.answer_async(q) for q in questions), return_exceptions=True)

    failed_analysis, failed_composing, answered = asyncio.run(ask_all())
    assert isinstance(failed_analysis, ValueError) and isinstance(failed_composing, KeyError)
    assert answered.answered
    assert real_qa.batcher._expected == 0  # nothing left announced for the embedder to wait for


def test_async_answer_keeps_the_thread_of_a_conversation(real_qa) -> None:
    first = asyncio.run(real_qa.answer_async("Vad gör Almi?"))
    follow_up = asyncio.run(real_qa.answer_async("Vem äger den?", first.context))
    assert answer_json(follow_up) == answer_json(real_qa.answer("Vem äger den?", first.context))
    declined = asyncio.run(real_qa.answer_async("Vad blir vädret imorgon?", first.context))
    assert declined.context == first.context  # a turn that does not answer keeps the thread
    assert isinstance(declined.context, Context)


class OverlapQA:
    """An engine with answer_async that counts how many answers are under way at once."""

    def __init__(self) -> None:
        self.active = self.most_active = 0

    def answer(self, question: str, context: Context | None = None) -> Answer:
        raise AssertionError("the bot must use answer_async when the engine has it")

    async def answer_async(self, question: str, context: Context | None = None) -> Answer:
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        await asyncio.sleep(0.02)  # long enough for the other turns to start meanwhile
        self.active -= 1
        return Answer(question=question, body=f"SVAR på: {question}")


def test_the_bot_answers_turns_at_the_same_time_through_answer_async() -> None:
    qa = OverlapQA()
    adapter = TestAdapter(KompetensBot(lambda: qa).on_turn)

    def message(i: int) -> Activity:
        conversation = ConversationAccount(id=f"c{i}")
        return Activity(type=ActivityTypes.message, text=f"Fråga {i}", conversation=conversation)

    async def turns() -> None:
        await asyncio.gather(*(adapter.receive_activity(message(i)) for i in range(4)))

    asyncio.run(turns())
    assert qa.most_active == 4  # no lock: every turn's answer was under way at once
    assert sorted(a.text for a in adapter.activity_buffer) == [f"SVAR på: Fråga {i}" for i in range(4)]


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
from handlers.operations.workers import Supervisor

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
    port = loadbench.free_port()
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


COUNTING = """
import os, sys
from aiohttp import web
from handlers.channels.botframework import metrics_route
from handlers.operations.workers import Supervisor

def serve_one():
    app = web.Application()
    metrics = metrics_route.add_routes(app)
    metrics.set_index_generation(1)

    async def answer(request):
        metrics.answer("answered", "test", 0.01)
        return web.Response(text=str(os.getpid()))

    app.router.add_get("/", answer)
    web.run_app(app, host="127.0.0.1", port={port}, reuse_port=True, print=None, shutdown_timeout=1)

sys.exit(Supervisor(2, serve_one, min_uptime=0.0).run())
"""


def _answered(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    lines = [line for line in text.splitlines() if line.startswith("kompetensbot_answers_total{")]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


def test_one_scrape_counts_every_workers_answers() -> None:
    """prometheus-client's multiprocess mode under the supervisor: whichever worker takes the scrape, it
    counts the answers of both."""
    port = loadbench.free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    parent = subprocess.Popen([sys.executable, "-c", COUNTING.format(port=port)], cwd=ROOT, env=env)
    try:
        answered: list[int] = []
        deadline = time.monotonic() + 20
        while len(set(answered)) < 2 and time.monotonic() < deadline:
            for _ in range(20):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                        answered.append(int(response.read()))
                except OSError:
                    time.sleep(0.05)
        assert len(set(answered)) == 2, "both workers answered"
        assert [_answered(port) for _ in range(6)] == [float(len(answered))] * 6
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(15) == 0
    finally:
        parent.kill()


def test_workers_that_cannot_start_fail_the_parent() -> None:
    parent = supervised(loadbench.free_port(), fail=True, min_uptime=10.0)
    try:
        assert parent.wait(15) == 1
    finally:
        parent.kill()
    assert b"cannot start" in parent.stderr.read()


# --- bench --load's load generator --------------------------------------------------------------------


async def fake_bot(request: web.Request) -> web.Response:
    """Replies like the bot: the answer POSTed to the connector first, then 201; "boom" fails with 500."""
    activity = await request.json()
    if "boom" in activity["text"]:
        return web.json_response({"error": "Internal error"}, status=500)
    conversation = activity["conversation"]["id"]
    url = f"{activity['serviceUrl']}/v3/conversations/{conversation}/activities/{activity['id']}"
    reply = {"type": "message", "text": f"SVAR på: {activity['text']}", "replyToId": activity["id"]}
    async with ClientSession() as session, session.post(url, json=reply) as response:
        assert response.status == 200
    return web.Response(status=201)


def test_the_load_generator_times_replies_and_counts_failures() -> None:

    async def main() -> list:
        app = web.Application()
        app.router.add_post("/api/messages", fake_bot)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages"
        connector = loadbench.Connector()
        await connector.start()
        try:
            return [
                await loadbench.play(url, connector, ["Vad gör Almi?", "boom"], concurrency, 20)
                for concurrency in (1, 4)
            ]
        finally:
            await connector.close()
            await runner.cleanup()

    for level in asyncio.run(main()):
        assert (len(level.latencies_ms), level.errors) == (10, 10)
        assert all(0 < ms < 5000 for ms in level.latencies_ms)
        assert level.answers_per_s > 0
    assert loadbench.cpu_seconds(os.getpid()) > 0


def test_msrest_speedup_keeps_the_retry_policy() -> None:
    from msrest.universal_http.requests import ClientRetryPolicy

    from handlers.channels.botframework import replies

    safe = [i for i in range(500) if i != 408] + [501, 505]  # msrest's own definition
    expected = [i for i in range(999) if i not in safe]
    replies.speed_up_retry_policy()
    seconds = []
    for _ in range(5):
        started = time.perf_counter()
        policy = ClientRetryPolicy().policy
        seconds.append(time.perf_counter() - started)
    assert min(seconds) < 0.002  # was about 5 ms
    assert policy.status_forcelist == expected
    assert (policy.total, policy.connect, policy.read) == (3, 3, 3)


def test_a_levels_lines_give_its_p95_in_milliseconds_and_in_bare_embeddings() -> None:
    rate = loadbench.EmbedderRate(sequential_qps=100.0, batched_qps=120.0, cpu_ms=20.0)
    level = loadbench.Level(8, seconds=2.0, latencies_ms=[float(ms) for ms in range(1, 101)], embedder=[rate])
    lines = dict(line.split(": ") for line in level.lines())
    assert lines["load_c8_answers_per_s"] == "50.0"
    assert lines["load_c8_p95_ms"] == "95.0"
    assert lines["load_c8_p95_in_embeddings"] == "9.5"  # one bare embedding takes 10 ms here
    assert lines["load_c8_ratio_to_embedder"] == "0.50"
