"""POST /api/directline/token: a token for the web chat page, from Azure Direct Line (with its secret) or
from the local Direct Line. Split from handlers/channels/botframework/directline.py."""

from __future__ import annotations

import logging
import secrets
from typing import Any, Protocol

import aiohttp
from aiohttp import web

from handlers.channels.botframework.directline_conversation import (
    LOCAL_PREFIX,
    TOKEN_LIFETIME,
    error_response,
)
from handlers.channels.botframework.ratelimit import CLIENT, TOKEN, RateLimiter, client_address
from index.config import Config

log = logging.getLogger("handlers.channels.botframework.directline")  # one logger name for the channel


class LocalSessions(Protocol):
    """What the token endpoint needs of the local Direct Line (directline.LocalDirectLine)."""

    def new_session(self, user_id: str) -> dict[str, Any] | web.Response: ...


class TokenService:
    """POST /api/directline/token: a token for the page, from Azure Direct Line or the local one."""

    def __init__(self, config: Config, local: LocalSessions | None, limiter: RateLimiter) -> None:
        self.secret = config.directline_secret
        self.base_url = config.directline_url.rstrip("/")
        self.local = local
        self.limiter = limiter
        self.forwarded_hops = config.forwarded_hops

    async def handle(self, request: web.Request) -> web.Response:
        headers = {"Cache-Control": "no-store"}
        client = client_address(request, self.forwarded_hops)
        for rule in (CLIENT, TOKEN):
            refused = await self.limiter.check(rule, client)
            if refused is not None:
                return refused
        if self.secret:
            # A "dl_" user id is embedded in the token by Direct Line, so nobody can pose as another user;
            # Web Chat reads it from the token, the page need not be told.
            session = await self._generate(f"dl_{secrets.token_hex(12)}")
            if isinstance(session, web.Response):
                return session
            body = {**session, "domain": self.base_url}
        elif self.local is not None:
            # Web Chat reserves "dl_" for ids embedded in Azure tokens; the local token is opaque.
            user_id = f"web_{secrets.token_hex(12)}"
            session = self.local.new_session(user_id)
            if isinstance(session, web.Response):
                return session
            body = {**session, "userId": user_id}
            # Relative to the page, so the bot can sit behind a proxy under any path.
            body["domain"] = LOCAL_PREFIX.lstrip("/")
        else:
            message = "Webbchatten är inte konfigurerad: sätt DIRECTLINE_SECRET."
            return web.json_response({"error": message}, status=503, headers=headers)
        return web.json_response(body, headers=headers)

    async def _generate(self, user_id: str) -> dict[str, Any] | web.Response:
        url = f"{self.base_url}/tokens/generate"
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
                session.post(
                    url, headers={"Authorization": f"Bearer {self.secret}"}, json={"user": {"id": user_id}}
                ) as response,
            ):
                if response.status >= 300:
                    log.error("Direct Line token request failed: HTTP %s from %s", response.status, url)
                    return error_response(502, "Direct Line refused the token request")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.error("Direct Line token request to %s failed: %s", url, type(exc).__name__)
            return error_response(502, "Direct Line could not be reached")
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            log.error("Direct Line token response from %s has no token", url)
            return error_response(502, "Direct Line gave no token")
        return {
            "token": data["token"],
            "conversationId": data.get("conversationId"),
            "expires_in": data.get("expires_in", TOKEN_LIFETIME),
        }

