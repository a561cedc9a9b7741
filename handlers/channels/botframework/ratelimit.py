"""Rate limits on the public surface: per client address, per conversation, and for new web-chat sessions.

A moving window: in the process's memory by default (`MemoryWindows`), or in Redis when KOMPETENSBOT_REDIS_URL
is set (the `limits` library's asyncio API), so that every process and instance counts against one limit (a
client alternating between two instances is limited at the configured rate in total, not twice it). A
refused request gets 429 with Retry-After and a Swedish message saying when to try again. The rules are
written as `limits` parses them ("30/minute").

Not `limits`' own memory storage: its asyncio version expires entries with a thread hop per key, run again
after every request, each holding that key's lock; under load that kept a pool thread busy (about 0.2 ms of
its CPU per answer at 8 concurrent users, read per thread from /proc) and woke the event loop for each hop.

Redis unreachable: the request passes (limits are a guard, answering is the service) and a WARNING says so,
at most once a minute; the connection is tried again with the next request.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from aiohttp import web
from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from index.config import Config

log = logging.getLogger(__name__)
KEY_PREFIX = "kompetensbot-limits"
REDIS_TIMEOUT_SECONDS = 0.5  # a request waits at most this long on Redis before it passes unlimited
WARN_EVERY_SECONDS = 60.0
# Keys (client addresses, conversations) kept in memory at most: beyond, the least recently seen is forgotten
# (it starts again with an empty window), so a flood of new addresses cannot grow the process.
MAX_KEYS = 100_000

CLIENT = "client"
CONVERSATION = "conversation"
TOKEN = "token"


class MemoryWindows:
    """Moving windows in this process's memory: a request passes if fewer than the rule's amount passed in
    its last `expiry` seconds (as limits' MovingWindowRateLimiter counts)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS) -> None:
        self._clock = clock
        self._max_keys = max_keys
        # (rule, key) -> the times its requests passed, oldest first; least recently used key first.
        self._windows: OrderedDict[tuple[str, str], tuple[float, deque[float]]] = OrderedDict()

    def hit(self, item: RateLimitItem, rule: str, key: str) -> float:
        """0 if the request passes (and is counted); else the seconds until it would."""
        now, seconds = self._clock(), float(item.get_expiry())
        _, times = self._windows.pop((rule, key), (seconds, deque()))
        self._windows[(rule, key)] = (seconds, times)  # now the most recently used
        while times and times[0] <= now - seconds:
            times.popleft()
        passes = len(times) < item.amount
        if passes:
            times.append(now)
        self._forget_old(now)
        if passes:
            return 0.0
        return times[0] + seconds - now if times else seconds  # "0/minute" lets nothing through

    def __len__(self) -> int:
        return len(self._windows)

    def _forget_old(self, now: float) -> None:
        """Drop least recently used keys whose window is empty, and any beyond max_keys (amortised: each
        key is dropped once)."""
        while self._windows:
            oldest = next(iter(self._windows))
            seconds, times = self._windows[oldest]
            if len(self._windows) <= self._max_keys and times and times[-1] > now - seconds:
                return
            del self._windows[oldest]


class RateLimiter:
    def __init__(
        self,
        rules: dict[str, str],
        on_limited: Callable[[str], None] | None = None,
        storage: Storage | None = None,
    ) -> None:
        """`storage`: limits' asyncio storage shared with other processes (Redis); None: this process's
        memory."""
        self._shared = MovingWindowRateLimiter(storage) if storage is not None else None
        self._memory = MemoryWindows()
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
        if self._shared is None:
            wait = self._memory.hit(item, rule, key)
        else:
            try:
                if await self._shared.hit(item, rule, key):
                    return None
                reset, _ = await self._shared.get_window_stats(item, rule, key)
            except (StorageError, OSError) as error:
                self._unreachable(error)
                return None
            wait = reset - time.time()
        if wait <= 0:
            return None
        self._on_limited(rule)
        return too_many(max(1, math.ceil(wait)))

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
