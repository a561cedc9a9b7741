"""`bot.py bench --abuse`: what an attacker or a broken channel costs everyone else, in numbers.

The real app (create_app, the configured engine) on loopback, in this process; this process also plays the
users, a Bot Connector that answers at once, one that takes 10 s, and an OpenID key endpoint that hangs.
Each scenario prints `name: value` lines:

- a 234 KB message of unclosed `<at>` tags: its own latency, and /healthz's worst latency meanwhile;
- a reply endpoint that takes 10 s in one conversation: how much later another conversation's answer comes
  than without it;
- forged bearer tokens with the signing-key endpoint hanging: their status and worst latency;
- a flood of new conversations from one client: how many were refused with 429.
"""

from __future__ import annotations

import asyncio
import base64
import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

import aiohttp
from aiohttp import web

from handlers.channels.botframework.app import GATE, create_app
from handlers.channels.botframework.auth import TokenGate
from index.config import Config

MENTION_BYTES = 234 * 1024
SLOW_SECONDS = 10.0
FORGED = 50
FLOOD = 200


class Channel:
    """A Bot Connector on loopback: replies are answered after `delay` seconds; arrivals are awaitable."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.url = ""
        self._waiting: dict[str, asyncio.Future[float]] = {}
        self._runner: web.AppRunner | None = None

    async def _reply(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        await asyncio.sleep(self.delay)
        future = self._waiting.pop(conversation, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())
        return web.json_response({"id": "r"})

    def expect(self, conversation: str) -> asyncio.Future[float]:
        self._waiting[conversation] = asyncio.get_running_loop().create_future()
        return self._waiting[conversation]

    async def start(self) -> Channel:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._reply)
        app.router.add_post("/v3/conversations/{conversation}/activities/{id}", self._reply)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def message(channel: Channel, conversation: str, text: str) -> dict:
    return {
        "type": "message",
        "id": "1",
        "text": text,
        "from": {"id": "user"},
        "recipient": {"id": "bot"},
        "conversation": {"id": conversation},
        "channelId": "emulator",
        "serviceUrl": channel.url,
    }


async def wait_healthy(session: aiohttp.ClientSession, url: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with session.get(f"{url}/healthz") as response:
            if response.status == 200:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError("the bot did not become healthy (is the index buildable?)")


async def answer_latency(
    session: aiohttp.ClientSession, url: str, channel: Channel, conversation: str
) -> float:
    arrived = channel.expect(conversation)
    started = time.perf_counter()
    await session.post(f"{url}/api/messages", json=message(channel, conversation, "Vad gör Almi?"))
    return await asyncio.wait_for(arrived, 30.0) - started


async def mention_flood(session: aiohttp.ClientSession, url: str, channel: Channel) -> list[str]:
    text = "<at>" * (MENTION_BYTES // 4)
    worst = 0.0
    done = asyncio.Event()

    async def probe() -> None:
        nonlocal worst
        while not done.is_set():
            started = time.perf_counter()
            async with session.get(f"{url}/healthz") as response:
                await response.read()
            worst = max(worst, time.perf_counter() - started)
            await asyncio.sleep(0.01)

    prober = asyncio.create_task(probe())
    started = time.perf_counter()
    async with session.post(f"{url}/api/messages", json=message(channel, "mention", text)) as response:
        status = response.status
    took = time.perf_counter() - started
    done.set()
    await prober
    return [
        f"mention_message_bytes: {len(text.encode())}",
        f"mention_message_status: {status}",
        f"mention_message_s: {took:.3f}",
        f"mention_healthz_worst_ms: {worst * 1000:.1f}",
    ]


async def slow_channel(session: aiohttp.ClientSession, url: str, fast: Channel, slow: Channel) -> list[str]:
    baseline = statistics.median([await answer_latency(session, url, fast, f"base{i}") for i in range(5)])
    stuck = asyncio.create_task(
        session.post(f"{url}/api/messages", json=message(slow, "slow", "Vad gör Almi?"))
    )
    await asyncio.sleep(0.5)  # the slow reply is on its way
    during = [await answer_latency(session, url, fast, f"other{i}") for i in range(5)]
    await stuck
    delay = max(during) - baseline
    return [
        f"slow_channel_seconds: {SLOW_SECONDS:.0f}",
        f"other_answer_baseline_ms: {baseline * 1000:.1f}",
        f"other_answer_worst_during_ms: {max(during) * 1000:.1f}",
        f"other_answer_delay_s: {max(delay, 0.0):.3f}",
    ]


def forged_tokens() -> list[str]:
    def part(data: dict) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    claims = {"iss": "https://api.botframework.com", "aud": "bench-app", "exp": int(time.time()) + 600}
    return [
        "garbage",
        f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.",
        f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl",
        f"{part({'alg': 'RS256', 'kid': 'self-signed', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl",
        f"{part({'alg': 'RS256', 'kid': 'k', 'typ': 'JWT'})}.{part({**claims, 'exp': 1})}.c2lnbmF0dXJl",
    ]


async def forged(
    session: aiohttp.ClientSession, config: Config, load: Callable, channel: Channel
) -> list[str]:
    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        return web.Response()

    keys = web.Application()
    keys.router.add_get("/{tail:.*}", hang)
    async with serving(keys) as key_url:
        secured = replace(config, app_id="bench-app", app_password="bench", app_tenant_id="bench")
        app = create_app(secured, load)
        app[GATE] = TokenGate(
            "bench-app", channel_metadata_url=f"{key_url}/openid", emulator_metadata_url=f"{key_url}/emulator"
        )
        async with serving(app) as url:
            statuses, latencies = [], []
            tokens = forged_tokens()
            for i in range(FORGED):
                started = time.perf_counter()
                headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
                async with session.post(
                    f"{url}/api/messages", json=message(channel, "forged", "hej"), headers=headers
                ) as response:
                    statuses.append(response.status)
                latencies.append(time.perf_counter() - started)
    return [
        f"forged_tokens: {FORGED}",
        f"forged_statuses: {','.join(sorted({str(s) for s in statuses}))}",
        f"forged_p50_ms: {statistics.median(latencies) * 1000:.1f}",
        f"forged_worst_ms: {max(latencies) * 1000:.1f}",
    ]


async def flood(session: aiohttp.ClientSession, url: str) -> list[str]:
    statuses: dict[int, int] = {}
    for _ in range(FLOOD):
        async with session.post(f"{url}/api/directline/token") as response:
            statuses[response.status] = statuses.get(response.status, 0) + 1
    return [f"token_flood_{status}: {count}" for status, count in sorted(statuses.items())]


async def run(config: Config, load: Callable) -> list[str]:
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:  # the bench's feedback store is thrown away
        config = replace(config, database_url=f"sqlite:///{scratch}/bench.sqlite3")
        return await _run(config, load, lines)


async def _run(config: Config, load: Callable, lines: list[str]) -> list[str]:
    fast, slow = await Channel().start(), await Channel(delay=SLOW_SECONDS).start()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
            async with serving(create_app(config, load)) as url:
                await wait_healthy(session, url)
                lines += await mention_flood(session, url, fast)
                lines += await slow_channel(session, url, fast, slow)
                lines += await flood(session, url)
            lines += await forged(session, config, load, fast)
    finally:
        await fast.close()
        await slow.close()
    return lines
