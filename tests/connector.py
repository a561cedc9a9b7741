"""A loopback fake of the Bot Connector service, for end-to-end tests of the bot's HTTP server.

The bot replies by POSTing activities to the incoming activity's serviceUrl; pointing serviceUrl at this
server lets a test see exactly what a channel (Emulator, Teams, Web Chat) would receive.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from aiohttp import web


class FakeConnector:
    """Records activities posted to /v3/conversations/{id}/activities[/{replyToId}] and answers like the
    real connector ({"id": ...}). Use as `async with FakeConnector() as connector:`."""

    def __init__(self, delay: float = 0.0, status: int = 200) -> None:
        # A slow or failing channel: every post waits `delay` seconds, then is answered with `status`.
        self.delay = delay
        self.status = status
        self.received: list[dict[str, Any]] = []  # every activity, in arrival order
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._ids = itertools.count(1)
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._record)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", self._record)
        self._runner = web.AppRunner(app, access_log=None)
        self.url = ""

    async def _record(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.delay)
        if self.status >= 300:
            return web.json_response({"error": {"code": "ServiceError"}}, status=self.status)
        activity = await request.json()
        # Keep where it was posted to: proves the reply went to the right conversation and activity.
        activity["_path"] = request.path
        activity["_conversation"] = request.match_info["conversation_id"]
        self.received.append(activity)
        self._queue.put_nowait(activity)
        return web.json_response({"id": f"reply-{next(self._ids)}"})

    async def start(self) -> FakeConnector:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)  # port 0: the OS picks a free port
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        await self._runner.cleanup()

    async def __aenter__(self) -> FakeConnector:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def replies(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The next `count` activities the bot sent; fails with TimeoutError if they do not arrive."""
        async with asyncio.timeout(timeout):
            return [await self._queue.get() for _ in range(count)]

    def pending(self) -> int:
        """Activities received but not yet taken by replies(): lets a test assert "nothing more was sent"."""
        return self._queue.qsize()
