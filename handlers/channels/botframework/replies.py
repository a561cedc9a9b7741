"""How replies leave the bot: over one shared aiohttp session with short timeouts, and with their failure
known to the request that caused them.

botbuilder sends replies with `requests` (msrest) in the event loop's default executor, with a 100 s timeout
and up to three retries: one slow channel holds threads that other conversations' replies wait for, and an
unreachable one logs a traceback through msrest and requests. Here:

- the connector operations that send (reply, send, update, delete an activity) go over one aiohttp session
  per process, reused across turns, with a connect and a read timeout and no retry (the reply may have
  arrived); the bearer token comes from botbuilder's credentials, on a thread (MSAL may fetch it);
- what else botbuilder asks of the connector (a Teams member lookup) stays msrest's, its clients with the
  same timeouts, on a pool of threads of its own (`REPLY_THREADS`);
- a reply that cannot be delivered raises `ReplyNotDelivered` (the status, the host): the turn's error
  handler logs it as one WARNING line and marks the request's `Delivery`, so /api/messages answers 502 (and
  it is counted) instead of 201; nothing else waits on it.

botbuilder also builds a connector client (an msrest pipeline, a requests session, new credentials) and a
user-token client for every turn. A connector client is kept here per channel endpoint and identity, so its
credentials keep their token (MSAL's cache is per credentials object: new ones fetch a token from Entra ID
for every reply); the user-token client, which this bot never uses (no sign-in), is only built if asked for.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import ResourceResponse
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AuthenticateRequestResult, ClaimsIdentity, ConnectorFactory
from botframework.connector.auth.user_token_client import UserTokenClient
from msrest.serialization import Serializer

REPLY_THREADS = 32
CONNECT_TIMEOUT = 3.0  # seconds
READ_TIMEOUT = 10.0  # the Bot Connector answers in well under a second; Teams at worst in a few
# Connector clients kept (the least recently used goes first): a deployment talks to a handful of channel
# endpoints; without an app id (local mode) a caller names any serviceUrl, so the number is bounded.
KEPT_CLIENTS = 64


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


class ReplyNotDelivered(Exception):
    """The channel did not take a reply: its status (None: no answer in time, or no connection) and host."""

    def __init__(self, status: int | None, host: str) -> None:
        super().__init__(f"status {status if status is not None else 'inget svar'}, {host}")
        self.status, self.host = status, host


class ReplySender:
    """One aiohttp session for every reply the process sends, made in the loop that first sends."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def request(self, method: str, url: str, token: str, body: Any = None) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        host = urlsplit(url).netloc
        try:
            async with self._current().request(method, url, json=body, headers=headers) as response:
                if response.status >= 300:
                    raise ReplyNotDelivered(response.status, host)
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ReplyNotDelivered(None, host) from error
        try:  # delivered; the channel's answer names the new activity's id, if it says anything
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            data = {}
        return data if isinstance(data, dict) else {}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _current(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session._loop is not loop:
            timeout = aiohttp.ClientTimeout(sock_connect=CONNECT_TIMEOUT, sock_read=READ_TIMEOUT)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session


SENDER = ReplySender()  # the process's; closed when the app shuts down (app.py)


class _Conversations:
    """The connector's conversation operations that send activities, over aiohttp; anything else is left to
    msrest's operations (`inner`)."""

    def __init__(self, client: ConnectorClient, sender: ReplySender) -> None:
        self._inner = client.conversations
        self._base = client.config.base_url.rstrip("/")
        self._credentials = client.config.credentials
        self._sender = sender
        # msrest's client-side validation walks the whole activity to check constraints the Bot Framework
        # schema does not declare (no model has any): a third of what serialising costs, for nothing.
        self._serialize = Serializer(client.conversations._serialize.dependencies)
        self._serialize.client_side_validation = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def reply_to_activity(self, conversation_id: str, activity_id: str, activity, **_: Any):
        return await self._send("POST", f"{_path(conversation_id)}/{_quoted(activity_id)}", activity)

    async def send_to_conversation(self, conversation_id: str, activity, **_: Any):
        return await self._send("POST", _path(conversation_id), activity)

    async def update_activity(self, conversation_id: str, activity_id: str, activity, **_: Any):
        return await self._send("PUT", f"{_path(conversation_id)}/{_quoted(activity_id)}", activity)

    async def delete_activity(self, conversation_id: str, activity_id: str, **_: Any) -> None:
        await self._send("DELETE", f"{_path(conversation_id)}/{_quoted(activity_id)}", None)

    async def _send(self, method: str, path: str, activity) -> ResourceResponse:
        body = self._serialize.body(activity, "Activity") if activity is not None else None
        token = await _token(self._credentials)
        data = await self._sender.request(method, f"{self._base}{path}", token, body)
        return ResourceResponse(id=data.get("id"))


def _path(conversation_id: str) -> str:
    return f"/v3/conversations/{_quoted(conversation_id)}/activities"


def _quoted(value: str) -> str:
    return quote(str(value), safe="")  # Teams ids hold ':', ';' and '@'


async def _token(credentials) -> str:
    """The bearer token botbuilder's credentials give (none without an app id: the local Emulator mode)."""
    if credentials is None or not getattr(credentials, "microsoft_app_id", None):
        return ""
    return await asyncio.to_thread(credentials.get_access_token)


class _ConnectorClients:
    """The connector clients made so far, by what makes one: the endpoint, the audience, the identity."""

    def __init__(self, size: int = KEPT_CLIENTS) -> None:
        self._clients: OrderedDict[tuple, ConnectorClient] = OrderedDict()
        self._size = size

    async def get(self, key: tuple | None, make: Callable[[], Awaitable[ConnectorClient]]) -> ConnectorClient:
        if key is None:  # a factory whose identity is unknown: a client of its own
            return await make()
        client = self._clients.get(key)
        if client is None:
            client = await make()
            self._clients[key] = client
            if len(self._clients) > self._size:
                self._clients.popitem(last=False)
        self._clients.move_to_end(key)
        return client


CLIENTS = _ConnectorClients()  # the process's


class _TimeoutConnectorFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory) -> None:
        self._inner = inner

    async def create(self, service_url: str, audience: str = None) -> ConnectorClient:  # noqa: RUF013
        return await CLIENTS.get(self._key(service_url, audience), lambda: self._make(service_url, audience))

    def _key(self, service_url: str, audience: str | None) -> tuple | None:
        """What botbuilder's factory makes a client from (its private fields: None if it has others). Its
        credential factory (one per app configuration) stands for the password or certificate."""
        try:
            inner = self._inner
            scope = inner._to_channel_from_bot_oauth_scope  # type: ignore[attr-defined]
            identity = (inner._app_id, inner._login_endpoint, inner._validate_authority)  # type: ignore[attr-defined]
            secrets = inner._credential_factory  # type: ignore[attr-defined]
            custom = inner._connector_client_configuration  # type: ignore[attr-defined]
        except AttributeError:
            return None
        return (service_url, audience or scope, *identity, secrets) if custom is None else None

    async def _make(self, service_url: str, audience: str | None) -> ConnectorClient:
        client = await self._inner.create(service_url, audience)
        client.config.connection.timeout = (CONNECT_TIMEOUT, READ_TIMEOUT)
        retry = client.config.retry_policy.policy
        retry.total, retry.connect, retry.read, retry.status = 1, 1, 0, 0
        client.conversations = _Conversations(client, SENDER)
        return client


class _UserTokenClientOnDemand(UserTokenClient):
    """botbuilder's user-token client, built the first time one of its operations is called."""

    def __init__(self, make: Callable[[], Awaitable[UserTokenClient]]) -> None:
        super().__init__()
        self._make = make
        self._client: UserTokenClient | None = None

    async def _real(self) -> UserTokenClient:
        if self._client is None:
            self._client = await self._make()
        return self._client

    async def get_user_token(self, *args: Any, **kwargs: Any):
        return await (await self._real()).get_user_token(*args, **kwargs)

    async def get_sign_in_resource(self, *args: Any, **kwargs: Any):
        return await (await self._real()).get_sign_in_resource(*args, **kwargs)

    async def sign_out_user(self, *args: Any, **kwargs: Any):
        return await (await self._real()).sign_out_user(*args, **kwargs)

    async def get_token_status(self, *args: Any, **kwargs: Any):
        return await (await self._real()).get_token_status(*args, **kwargs)

    async def get_aad_tokens(self, *args: Any, **kwargs: Any):
        return await (await self._real()).get_aad_tokens(*args, **kwargs)

    async def exchange_token(self, *args: Any, **kwargs: Any):
        return await (await self._real()).exchange_token(*args, **kwargs)


class TimeoutAuthentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's authentication, whose connector clients time out quickly (see the module docstring)."""

    async def authenticate_request(self, activity, auth_header: str) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = _TimeoutConnectorFactory(result.connector_factory)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _TimeoutConnectorFactory(super().create_connector_factory(claims_identity))

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        build = super().create_user_token_client
        return _UserTokenClientOnDemand(lambda: build(claims_identity))
