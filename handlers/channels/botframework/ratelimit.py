"""Rate limits on the public surface: per client address, per conversation, and for new web-chat sessions.

A moving window in memory (the `limits` library), per process: enough to stop one client from flooding an
instance; a limit shared by several instances would need a shared store (Redis), which the bot does not have.
A refused request gets 429 with Retry-After and a Swedish message saying when to try again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from aiohttp import web
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from index.config import Config

CLIENT = "client"
CONVERSATION = "conversation"
TOKEN = "token"


class RateLimiter:
    def __init__(self, rules: dict[str, str], on_limited: Callable[[str], None] | None = None) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._items = {name: parse(rule) for name, rule in rules.items()}
        self._on_limited = on_limited or (lambda rule: None)

    @classmethod
    def from_config(cls, config: Config, on_limited: Callable[[str], None] | None = None) -> RateLimiter:
        rules = {
            CLIENT: config.rate_limit_client,
            CONVERSATION: config.rate_limit_conversation,
            TOKEN: config.rate_limit_token,
        }
        return cls(rules, on_limited)

    def check(self, rule: str, key: str) -> web.Response | None:
        """None if the request may pass (and it is counted); else the 429 response to give."""
        item = self._items[rule]
        if self._limiter.hit(item, rule, key):
            return None
        self._on_limited(rule)
        reset, _ = self._limiter.get_window_stats(item, rule, key)
        return too_many(max(1, math.ceil(reset - time.time())))


def too_many(retry_after: int) -> web.Response:
    message = f"För många förfrågningar. Vänta {retry_after} sekunder och försök igen."
    return web.json_response(
        {"error": message}, status=429, headers={"Retry-After": str(retry_after)}
    )


def client_address(request: web.Request, forwarded_hops: int = 0) -> str:
    """The client's address: the socket's, or the one `forwarded_hops` trusted proxies put in
    X-Forwarded-For (each proxy appends the address it saw; only the trusted ones' entries are believed)."""
    if forwarded_hops > 0:
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        if len(hops) >= forwarded_hops:
            return hops[-forwarded_hops]
    return request.remote or "unknown"
