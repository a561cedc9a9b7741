"""How replies leave the bot: through botbuilder's connector client, with short timeouts, on threads of their
own, and with their failure known to the request that caused them.

botbuilder sends replies with `requests` (msrest) in the event loop's default executor, with a 100 s timeout
and up to three retries. One slow channel then holds threads that other conversations' replies (and anything
else on the default executor) wait for. Here:

- the default executor is a pool of its own, sized for replies (`REPLY_THREADS`); the engine answers on
  other threads, so a slow channel costs only its own conversation;
- every connector client gets a connect and a read timeout and at most one retry of a failed connection
  (a read is not retried: the reply may have arrived);
- a turn whose reply could not be delivered is marked on a per-request `Delivery`, so /api/messages answers
  502 (and it is counted) instead of 201.
"""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AuthenticateRequestResult, ClaimsIdentity, ConnectorFactory

REPLY_THREADS = 32
CONNECT_TIMEOUT = 3.0  # seconds
READ_TIMEOUT = 10.0  # the Bot Connector answers in well under a second; Teams at worst in a few


@dataclass
class Delivery:
    """What happened to one request's replies."""

    failed: bool = False


_delivery: contextvars.ContextVar[Delivery | None] = contextvars.ContextVar("delivery", default=None)


def track_delivery() -> Delivery:
    """A new Delivery for the request being handled (the current task and what it awaits)."""
    delivery = Delivery()
    _delivery.set(delivery)
    return delivery


def mark_failed() -> None:
    delivery = _delivery.get()
    if delivery is not None:
        delivery.failed = True


def speed_up_retry_policy() -> None:
    """botbuilder builds a connector client per turn, and each builds msrest's ClientRetryPolicy, whose
    constructor tests 999 status codes for membership in a 502-item list: ~5 ms of event-loop CPU, twice a
    turn, more than half of what a turn costs the server (cProfile under load). The same codes in a frozenset
    give the same policy in microseconds; msrest is no longer developed, so this is not fixed upstream."""
    from msrest.universal_http.requests import ClientRetryPolicy

    ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)


def use_reply_threads(loop: asyncio.AbstractEventLoop) -> ThreadPoolExecutor:
    """Give botbuilder's blocking HTTP client a pool of its own (it sends on the default executor)."""
    pool = ThreadPoolExecutor(max_workers=REPLY_THREADS, thread_name_prefix="reply")
    loop.set_default_executor(pool)
    return pool


class _TimeoutConnectorFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory) -> None:
        self._inner = inner

    async def create(self, service_url: str, audience: str = None) -> ConnectorClient:  # noqa: RUF013
        client = await self._inner.create(service_url, audience)
        client.config.connection.timeout = (CONNECT_TIMEOUT, READ_TIMEOUT)
        retry = client.config.retry_policy.policy
        retry.total, retry.connect, retry.read, retry.status = 1, 1, 0, 0
        return client


class TimeoutAuthentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's authentication, whose connector clients time out quickly (see the module docstring)."""

    async def authenticate_request(self, activity, auth_header: str) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = _TimeoutConnectorFactory(result.connector_factory)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _TimeoutConnectorFactory(super().create_connector_factory(claims_identity))
