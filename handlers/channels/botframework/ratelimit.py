"""Rate limits on the public surface: per client address, per conversation, and for new web-chat sessions.

A moving window (the `limits` library, its asyncio API): in the process's memory by default, or in Redis when
KOMPETENSBOT_REDIS_URL is set, so that every process and instance counts against one limit (a client
alternating between two instances is limited at the configured rate in total, not twice it). A refused
request gets 429 with Retry-After and a Swedish message saying when to try again.

Redis unreachable: the request passes (limits are a guard, answering is the service) and a WARNING says so,
at most once a minute; the connection is tried again with the next request.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from aiohttp import web
from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from index.config import Config

log = logging.getLogger(__name__)
KEY_PREFIX = "kompetensbot-limits"
REDIS_TIMEOUT_SECONDS = 0.5  # a request waits at most this long on Redis before it passes unlimited
WARN_EVERY_SECONDS = 60.0

CLIENT = "client"
CONVERSATION = "conversation"
TOKEN = "token"


class RateLimiter:
    def __init__(
        self,
        rules: dict[str, str],
        on_limited: Callable[[str], None] | None = None,
        storage: Storage | None = None,
    ) -> None:
        self._storage = storage or MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._items = {name: parse(rule) for name, rule in rules.items()}
        self._on_limited = on_limited or (lambda rule: None)
        self._warned = -math.inf

    @classmethod
    def from_config(cls, config: Config, on_limited: Callable[[str], None] | None = None) -> RateLimiter:
        rules = {
            CLIENT: config.rate_limit_client,
            CONVERSATION: config.rate_limit_conversation,
            TOKEN: config.rate_limit_token,
        }
        return cls(rules, on_limited, shared_storage(config.redis_url) if config.redis_url else None)

    async def check(self, rule: str, key: str) -> web.Response | None:
        """None if the request may pass (and it is counted); else the 429 response to give."""
        item = self._items[rule]
        try:
            if await self._limiter.hit(item, rule, key):
                return None
            reset, _ = await self._limiter.get_window_stats(item, rule, key)
        except (StorageError, OSError) as error:
            self._unreachable(error)
            return None
        self._on_limited(rule)
        return too_many(max(1, math.ceil(reset - time.time())))

    def _unreachable(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY_SECONDS:
            self._warned = now
            cause = type(error.__cause__ or error).__name__
            log.warning("Gränserna kan inte läsas i Redis (%s); förfrågningar släpps igenom", cause)


def shared_storage(url: str) -> Storage:
    """Limits in Redis (redis://…, rediss://… with TLS), through redis-py's asyncio client."""
    return RedisStorage(
        f"async+{url}",
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix=KEY_PREFIX,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


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
