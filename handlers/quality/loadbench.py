"""`bot.py bench --load`: answers per second through the real server, against the bare embedder, in one run.

The server runs as its own process (as in production: its GIL is not the load generator's), on loopback,
without an app id. This process plays both the users, POSTing activities to /api/messages, and the Bot
Connector the replies are POSTed to, so a latency is the time from a question's POST to its reply arriving.
Each of `concurrency` users asks the bench file's questions one after the other in its own conversation.
The bare embedder (single questions one by one, and in batches) is measured here, on the same questions,
before, between and after the levels while the server is idle, and each level's ratio is taken against the
measurements on either side of it: on a machine others share, that ratio, and the server's CPU time per
answer (from /proc), say more than the absolute figures.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import aiohttp
from aiohttp import web

from handlers.wording import texts
from index.config import ROOT, Config
from index.embed import Embedder, make_embedder

CONCURRENCY = (1, 8, 32)
EMBED_BATCH = 16
READY_TIMEOUT = 600.0  # seconds for the server to answer /healthz (it may build the index first)
REPLY_TIMEOUT = 30.0
UNLIMITED = "1000000/second"  # the server's rate limits would otherwise answer the load with 429
SCRIPT = ROOT / "bot.py"
# Replies that are not answers: the engine failed, or was not loaded.
FAILED_REPLIES = {
    text
    for texts in (texts.pick("sv"), texts.pick("en"))
    for text in (texts.error_apology, texts.not_ready)
}


@dataclass
class EmbedderRate:
    """The bare embedder, measured in this process: questions per second, and CPU per question."""

    sequential_qps: float
    batched_qps: float
    cpu_ms: float  # CPU time per question, one at a time (all its threads)


@dataclass
class Level:
    """One concurrency level's outcome."""

    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    client_cpu_s: float = 0.0  # this process's CPU time (users + connector) during the level
    server_cpu_s: float | None = None  # the server's processes' CPU time during the level (Linux)
    embedder: list[EmbedderRate] = field(default_factory=list)  # measured just before and after it

    @property
    def answers_per_s(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        ordered = sorted(self.latencies_ms) or [float("nan")]
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        embedder_qps = statistics.fmean(e.sequential_qps for e in self.embedder)
        name = f"load_c{self.concurrency}"
        lines = [
            f"{name}_answers_per_s: {self.answers_per_s:.1f}",
            f"{name}_p50_ms: {statistics.median(ordered):.1f}",
            f"{name}_p95_ms: {p95:.1f}",
            # The p95 in bare embeddings (one question, measured beside the level): on a machine whose speed
            # varies with its neighbours' load, comparable across runs where milliseconds are not.
            f"{name}_p95_in_embeddings: {p95 * embedder_qps / 1000:.1f}",
            f"{name}_errors: {self.errors}",
            f"{name}_ratio_to_embedder: {self.answers_per_s / embedder_qps:.2f}",
        ]
        if self.server_cpu_s is not None and self.latencies_ms:
            per_answer = self.server_cpu_s / len(self.latencies_ms) * 1000
            lines.append(f"{name}_server_cpu_ms_per_answer: {per_answer:.1f}")
        lines.append(f"{name}_client_cpu_share: {self.client_cpu_s / self.seconds:.2f}")
        return lines


def measure_embedder(embedder: Embedder, questions: list[str]) -> EmbedderRate:
    """The bare embedder on the questions: one at a time, then in batches of EMBED_BATCH."""
    cpu, started = time.process_time(), time.perf_counter()
    for question in questions:
        embedder.query(question)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    for i in range(0, len(questions), EMBED_BATCH):
        embedder.queries(questions[i : i + EMBED_BATCH])
    batched = len(questions) / (time.perf_counter() - started)
    return EmbedderRate(len(questions) / seconds, batched, cpu / len(questions) * 1000)


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of a process and its children still running, from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(child)) or 0.0 for child in children)


class Connector:
    """The Bot Connector on loopback: takes the bot's replies and hands each to the user waiting for it."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[tuple[float, str]]] = {}
        self._ids = itertools.count(1)
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._reply)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._reply)
        self._runner = web.AppRunner(app, access_log=None)
        self.url = ""

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def close(self) -> None:
        await self._runner.cleanup()

    def expect(self, activity_id: str) -> asyncio.Future[tuple[float, str]]:
        """The reply to `activity_id`: when it arrived (perf_counter) and its text."""
        future = asyncio.get_running_loop().create_future()
        self._waiting[activity_id] = future
        return future

    def forget(self, activity_id: str) -> None:
        self._waiting.pop(activity_id, None)

    async def _reply(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        activity = await request.json()
        future = self._waiting.pop(activity.get("replyToId") or "", None)
        if future is not None and not future.done():
            future.set_result((arrived, activity.get("text") or ""))
        return web.json_response({"id": f"reply-{next(self._ids)}"})


def activity(connector: Connector, user: str, activity_id: str, text: str) -> dict:
    return {
        "type": "message",
        "id": activity_id,
        "text": text,
        "from": {"id": user, "name": "Användare"},
        "recipient": {"id": "bot", "name": "Kompetensbot"},
        "conversation": {"id": f"load-{user}"},
        "channelId": "emulator",
        "serviceUrl": connector.url,
        "locale": "sv-SE",
    }


async def play(url: str, connector: Connector, questions: list[str], concurrency: int, total: int) -> Level:
    """`concurrency` users ask `total` questions in all, each waiting for its reply before the next."""
    level = Level(concurrency, 0.0)
    numbers = itertools.count()

    async def user(session: aiohttp.ClientSession, name: str) -> None:
        while (n := next(numbers)) < total:
            await ask(session, name, f"{name}-{n}", questions[n % len(questions)])

    async def ask(session: aiohttp.ClientSession, name: str, activity_id: str, text: str) -> None:
        reply = connector.expect(activity_id)
        started = time.perf_counter()
        try:
            async with session.post(url, json=activity(connector, name, activity_id, text)) as response:
                await response.read()
                if response.status >= 300:
                    raise aiohttp.ClientResponseError(response.request_info, (), status=response.status)
            arrived, reply_text = await asyncio.wait_for(reply, REPLY_TIMEOUT)
        except (aiohttp.ClientError, TimeoutError):
            connector.forget(activity_id)
            level.errors += 1
            return
        if reply_text in FAILED_REPLIES:
            level.errors += 1
        else:
            level.latencies_ms.append((arrived - started) * 1000)

    limits = aiohttp.TCPConnector(limit=0)  # one keep-alive connection per user, as channels hold them
    async with aiohttp.ClientSession(connector=limits) as session:
        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(user(session, f"u{concurrency}-{i}") for i in range(concurrency)))
        level.seconds = time.perf_counter() - started
        level.client_cpu_s = time.process_time() - cpu
    return level


@dataclass
class Server:
    url: str  # its /api/messages
    pid: int


async def play_levels(server: Server, embedder: Embedder, questions: list[str], requests: int) -> list[Level]:
    """Each concurrency level, with the bare embedder measured between levels (the server idle then)."""
    connector = Connector()
    await connector.start()
    try:
        await play(server.url, connector, questions, 4, len(questions))  # warm-up: caches, connections
        levels, rate = [], measure_embedder(embedder, questions)
        for concurrency in CONCURRENCY:
            before = cpu_seconds(server.pid)
            level = await play(server.url, connector, questions, concurrency, max(requests, 4 * concurrency))
            after = cpu_seconds(server.pid)
            level.server_cpu_s = after - before if before is not None and after is not None else None
            level.embedder = [rate, rate := measure_embedder(embedder, questions)]
            levels.append(level)
        return levels
    finally:
        await connector.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(config: Config) -> Iterator[Server]:
    """The real server (`bot.py serve`) in a process of its own, on loopback, until the block ends."""
    port = free_port()
    command = [sys.executable, str(SCRIPT), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--index-dir", str(config.index_dir), "--knowledge", str(config.knowledge_path)]
    command += ["--embedder", config.embedder]
    command += ["--workers", str(config.workers)] if config.workers != 1 else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("MicrosoftApp")}  # local mode, no auth
    env |= {"KOMPETENSBOT_RATE_LIMIT_CLIENT": UNLIMITED, "KOMPETENSBOT_RATE_LIMIT_CONVERSATION": UNLIMITED}
    env["LOG_LEVEL"] = "WARNING"  # a log line per request would be part of what is measured
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        try:
            wait_ready(f"http://127.0.0.1:{port}/healthz", process, log)
            yield Server(f"http://127.0.0.1:{port}/api/messages", process.pid)
        finally:
            stop(process)


def wait_ready(url: str, process: subprocess.Popen, log: IO[str]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"Servern avslutades (kod {process.returncode}):\n{log.read()[-2000:]}")
        try:
            if asyncio.run(_status(url)) == 200:
                return
        except (aiohttp.ClientError, OSError):  # not listening yet
            pass
        time.sleep(0.2)
    raise RuntimeError(f"Servern svarade inte på {url} inom {READY_TIMEOUT:.0f} s")


async def _status(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_load_bench(config: Config, questions: list[str], requests: int) -> list[str]:
    """The bench's `name: value` lines: the bare embedder, then each concurrency level."""
    embedder = make_embedder(config.embedder)
    for question in questions[:3]:
        embedder.query(question)
    with server(config) as running:
        levels = asyncio.run(play_levels(running, embedder, questions, requests))
    rates = [rate for level in levels for rate in level.embedder]
    lines = [
        f"questions: {len(questions)}",
        f"workers: {config.workers}",
        f"embedder_sequential_qps: {statistics.fmean(r.sequential_qps for r in rates):.1f}",
        f"embedder_batched_qps: {statistics.fmean(r.batched_qps for r in rates):.1f}",
        f"embedder_cpu_ms_per_question: {statistics.fmean(r.cpu_ms for r in rates):.1f}",
    ]
    for level in levels:
        lines += level.lines()
    return lines
