"""The HTTP server: POST /api/messages (Bot Framework activities) and GET /healthz.

The server starts answering at once and loads the answering engine in a background thread, because the
first start builds the index (~20 s) and Azure/Teams health probes should not see a dead port meanwhile.
Bad input is rejected here with a 4xx before botbuilder sees it: botbuilder's CloudAdapter answers a
missing Content-Type, malformed JSON or a mistyped field with a 500.

Conversation state (what a follow-up question refers back to) lives in the botbuilder Storage the
configuration names (handlers/channels/botframework/state.py): bounded memory, or Azure Blob Storage shared by
several instances.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web
from botbuilder.core import ConversationState, InvokeResponse, Storage, TurnContext
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.serialization import Model
from yarl import URL

from handlers.channels.botframework import directline, metrics_route, ratelimit, replies, teams, webchat
from handlers.channels.botframework.activity_handler import (
    Answerer,
    KompetensBot,
    QAUnavailable,
    markdown_message,
)
from handlers.channels.botframework.auth import TokenGate
from handlers.channels.botframework.state import make_storage
from handlers.engine import LiveEngine
from handlers.insights import feedback
from handlers.insights.feedback import FeedbackStore
from handlers.insights.question_log import QuestionLog
from handlers.operations import logs
from handlers.wording import texts
from index.config import Config
from index.text import detect_language

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
BODY_TIMEOUT = 10.0  # seconds to send a body: a client trickling one byte at a time is cut off
# After SIGTERM, turns in flight get TURN_GRACE_SECONDS to finish and are then cancelled; aiohttp's own
# shutdown then waits at most SHUTDOWN_SECONDS twice (for handlers, then for their cancellation). Together
# well inside the 10 s a container platform gives before it kills.
TURN_GRACE_SECONDS = 5.0
SHUTDOWN_SECONDS = 1.0
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
ID_FIELDS = ("id", "replyToId", "channelId", "type", "name", "locale")
MAX_ID_CHARS = 1024  # Teams' conversation ids run to a few hundred characters

QALoader = Callable[[], Answerer]


@dataclass
class QAState(LiveEngine[Answerer]):
    """The answering engine as the server sees it (handlers/engine/live.py): loading, ready or failed,
    switched to a rebuilt index by itself; get() raises QAUnavailable (KompetensBot apologises) if none
    loaded."""

    unavailable: type[Exception] = QAUnavailable

    @property
    def qa(self) -> Answerer | None:
        return self.engine


@dataclass(frozen=True)
class BotAuthSettings:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str = field(repr=False)
    APP_TYPE: str
    APP_TENANTID: str


def auth_settings(config: Config) -> BotAuthSettings:
    if not config.app_id:
        # botbuilder disables auth only for MultiTenant without an app id; SingleTenant (our default type)
        # without an app id makes it raise "Property 'APP_ID' is expected".
        return BotAuthSettings(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
    app_type = config.app_type or "SingleTenant"
    needs = {"singletenant": ("app_password", "app_tenant_id"), "userassignedmsi": ("app_tenant_id",)}
    env_names = {"app_password": "MicrosoftAppPassword", "app_tenant_id": "MicrosoftAppTenantId"}
    missing = [env_names[n] for n in needs.get(app_type.lower(), ("app_password",)) if not getattr(config, n)]
    if missing:
        raise ValueError(f"MicrosoftAppType={app_type} needs {' and '.join(missing)} to be set")
    return BotAuthSettings(
        APP_ID=config.app_id,
        APP_PASSWORD=config.app_password,
        APP_TYPE=app_type,
        APP_TENANTID=config.app_tenant_id,
    )


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    """Log the failure and apologise; never re-raise, so one bad turn cannot take the server down."""
    activity = context.activity
    if isinstance(error, replies.ReplyNotDelivered):
        # The channel did not take the reply: one line (no traceback, no ids), the request answered 502.
        log.warning("Svaret kunde inte levereras till kanalen: %s", error)
        replies.mark_failed()
        return
    # The activity's type only: its ids and text are the user's (see deploy/README.md, data protection).
    log.error("Turn failed: %s activity", activity.type, exc_info=(type(error), error, error.__traceback__))
    text = activity.text if isinstance(activity.text, str) else ""
    apology = texts.pick(detect_language(text)).error_apology
    try:
        await context.send_activity(markdown_message(apology))
    except Exception as exc:
        # Typically the channel (serviceUrl) is unreachable: the request is answered with a failure status.
        log.warning("Could not send the apology either: %s", type(exc).__name__)
        replies.mark_failed()


def create_adapter(config: Config) -> CloudAdapter:
    replies.speed_up_retry_policy()
    adapter = CloudAdapter(replies.TimeoutAuthentication(auth_settings(config)))
    adapter.on_turn_error = on_turn_error
    return adapter


STATE = web.AppKey("kompetensbot_qa_state", QAState)
LOADER = web.AppKey("kompetensbot_qa_loader", QALoader)
ADAPTER = web.AppKey("kompetensbot_adapter", CloudAdapter)
BOT = web.AppKey("kompetensbot_bot", KompetensBot)
LIMITER = web.AppKey("kompetensbot_rate_limiter", ratelimit.RateLimiter)
GATE = web.AppKey("kompetensbot_token_gate", TokenGate)
IN_FLIGHT = web.AppKey("kompetensbot_in_flight", set)
CONFIG = web.AppKey("kompetensbot_config", Config)


def error_response(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def read_activity(request: web.Request) -> Activity | web.Response:
    """The request's activity, or a 4xx response if the request cannot be a Bot Framework activity.

    Mirrors how botbuilder decodes it, so that anything passing here cannot make the adapter fail on input.
    """
    if request.content_type != "application/json":
        return error_response(415, "Content-Type must be application/json")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return error_response(413, f"Body larger than {MAX_BODY_BYTES} bytes")
    try:
        body = await asyncio.wait_for(request.read(), BODY_TIMEOUT)
    except web.HTTPRequestEntityTooLarge:  # chunked bodies without a Content-Length
        return error_response(413, f"Body larger than {MAX_BODY_BYTES} bytes")
    except TimeoutError:
        return error_response(408, f"The body took longer than {BODY_TIMEOUT:.0f} s to arrive")
    if not body.strip():
        return error_response(400, "Empty body")
    try:
        data = json.loads(body.decode(request.charset or "utf-8"))
    except (ValueError, LookupError, RecursionError):  # bad JSON, bad bytes, unknown charset, deep nesting
        return error_response(400, "Body is not valid JSON")
    if not isinstance(data, dict):
        return error_response(400, "Body must be a JSON object (an activity)")
    if not isinstance(data.get("type"), str) or not data["type"]:
        return error_response(400, "Activity has no 'type'")
    try:
        activity = Activity().deserialize(data)
    except Exception as exc:  # msrest raises DeserializationError (a ValueError) for mistyped fields
        return error_response(400, f"Not a valid activity: {exc}"[:300])
    problem = _check_activity_fields(data)
    return problem if problem is not None else activity


def _check_activity_fields(data: dict) -> web.Response | None:
    conversation = data.get("conversation")
    if not isinstance(conversation, dict) or not _nonempty(conversation.get("id")):
        return error_response(400, "Activity has no 'conversation.id'")
    # msrest turns a number or an object into a string silently; ids go into the reply's URL.
    for key, value in (*((k, data.get(k)) for k in ID_FIELDS), ("conversation.id", conversation["id"])):
        if value is not None and (not isinstance(value, str) or len(value) > MAX_ID_CHARS):
            return error_response(400, f"'{key}' must be a string of at most {MAX_ID_CHARS} characters")
    # Conversation state is stored under channelId/conversation.id; botbuilder raises without either.
    if not _nonempty(data.get("channelId")):
        return error_response(400, "Activity has no 'channelId'")
    # Replies are POSTed to serviceUrl, unless the caller asked to get them in the HTTP response.
    if data.get("deliveryMode") != "expectReplies" and not _is_http_url(data.get("serviceUrl")):
        return error_response(400, "Activity has no 'serviceUrl' (an http or https URL)")
    return None


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        url = URL(value)
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def _nonempty(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


async def handle_messages(request: web.Request) -> web.StreamResponse:
    app = request.app
    if not app[CONFIG].app_id:  # without authentication, the caller's address is all there is to limit
        limited = await app[LIMITER].check(ratelimit.CLIENT, ratelimit.client_address(request))
        if limited is not None:
            return limited
    activity = await read_activity(request)
    if isinstance(activity, web.Response):
        return activity
    # Before the conversation's limit: a forged request must not use up a real conversation's quota.
    gate = app.get(GATE)
    if gate is not None:
        verdict = await gate.check(
            request.headers.get("Authorization"), activity.channel_id, activity.service_url or ""
        )
        if not verdict.ok:
            log.warning("Rejected a request to /api/messages: %s", verdict.reason)
            return error_response(401, "Unauthorized")
    conversation = f"{activity.channel_id}/{activity.conversation.id}"
    limited = await app[LIMITER].check(ratelimit.CONVERSATION, conversation)
    if limited is not None:
        return limited
    adapter = app[ADAPTER]
    # Without an app id nothing is authenticated, and a token (which botbuilder would then try to check
    # and fail on) means nothing.
    header = request.headers.get("Authorization", "") if app[CONFIG].app_id else ""
    try:
        authenticated = await adapter.bot_framework_authentication.authenticate_request(activity, header)
    except Exception as exc:  # PermissionError for a bad token; jwt's errors for a malformed one
        log.warning("Rejected an activity: %s", type(exc).__name__)
        return error_response(401, "Unauthorized")
    delivery = replies.track_delivery()
    try:
        invoke_response = await adapter.process_activity(authenticated, activity, app[BOT].on_turn)
    except Exception:
        # Not the user's input (that was checked above): auth metadata unreachable, a botbuilder bug...
        log.exception("Could not process the activity")
        return error_response(500, "Internal error")
    if delivery.failed:
        app[metrics_route.METRICS].failed_reply(activity.channel_id)
        return error_response(502, "The reply could not be delivered to the channel")
    return _invoke_http_response(invoke_response)


def _invoke_http_response(invoke_response: InvokeResponse | None) -> web.Response:
    """An invoke's (or expectReplies') result as HTTP; 201 when there is none.

    botbuilder's own CloudAdapter.process serialises the expectReplies body twice (a 500); and an invoke
    nobody handles comes back as 501, which for a caller is a request the bot does not support: 400.
    """
    if invoke_response is None:
        return web.Response(status=201)
    body = invoke_response.body
    if isinstance(body, Model):
        body = serializer_helper(body)
    status = int(invoke_response.status or 200)
    if status >= 500:
        return error_response(400, "This invoke is not supported by the bot")
    return web.json_response(body, status=status)


async def handle_healthz(request: web.Request) -> web.Response:
    # Status only, for the public: why loading failed (paths, exception text) is in the log.
    status = request.app[STATE].status
    return web.json_response({"status": status}, status=200 if status == "ok" else 503)


async def _start_loading(app: web.Application) -> None:
    app[STATE].start(app[LOADER])  # a daemon thread: loads, then switches to each rebuilt index


async def _stop_watching(app: web.Application) -> None:
    app[STATE].stop()


def create_app(config: Config, qa_loader: QALoader, storage: Storage | None = None) -> web.Application:
    """The aiohttp application; `qa_loader()` runs in a background thread once the app starts.

    `storage` keeps each conversation's dialogue context; by default the one the configuration names
    (KOMPETENSBOT_STATE): memory is per process and lost on restart, so several instances need blob.
    """
    storage = storage if storage is not None else make_storage(config)
    if not config.app_id:
        log.warning(
            "MicrosoftAppId is not set: running in local/Emulator mode WITHOUT authentication. "
            "Set MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId to connect Azure Bot Service."
        )
    state = QAState(watch=config.index_dir, poll_seconds=config.index_poll_seconds)
    # One byte of slack: aiohttp rejects bodies whose size is >= client_max_size.
    app = web.Application(client_max_size=MAX_BODY_BYTES + 1, middlewares=[_track_in_flight])
    app[IN_FLIGHT] = set()
    app[CONFIG] = config
    metrics = metrics_route.add_routes(app)
    state.on_switch = metrics.set_index_generation
    app[LIMITER] = ratelimit.RateLimiter.from_config(config, on_limited=metrics.refused)
    app[STATE] = state
    app[LOADER] = qa_loader
    app[ADAPTER] = create_adapter(config)
    if config.app_id:  # tokens checked without blocking the loop, keys fetched in the background
        app[GATE] = TokenGate(config.app_id)
        app.on_startup.append(_start_gate)
        app.on_cleanup.append(_close_gate)
    store = FeedbackStore.open(config)
    logs.set_salt(store.database.salt)  # log lines and stored rows hash a conversation id alike
    app.cleanup_ctx.append(feedback.cleanup_context(store))
    app[BOT] = KompetensBot(
        state.get,
        ConversationState(storage),
        teams.FeedbackLog(store=store, metrics=metrics),
        metrics,
        QuestionLog(store.database),  # same database, same retention, same salt
    )
    app.router.add_post("/api/messages", handle_messages)
    app.router.add_get("/healthz", handle_healthz)
    # The web chat page (/chat), its token endpoint, and the local Direct Line when there is no app id.
    directline.add_routes(app, config, app[ADAPTER], app[BOT], limiter=app[LIMITER])
    webchat.add_routes(app, config)
    app.on_startup.append(_use_reply_threads)
    app.on_startup.append(_start_loading)
    app.on_response_prepare.append(_security_headers)
    app.on_shutdown.append(_finish_or_cancel_turns)
    close = getattr(storage, "close", None)
    if close is not None:  # the blob store's HTTP client
        app.on_cleanup.append(lambda _: close())
    app.on_cleanup.append(_stop_watching)
    app.on_cleanup.append(lambda _: replies.SENDER.close())
    return app


@web.middleware
async def _track_in_flight(request: web.Request, handler: Callable) -> web.StreamResponse:
    """Every request's task, so that shutdown can wait for them, and then cancel them."""
    task = asyncio.current_task()
    request.app[IN_FLIGHT].add(task)
    try:
        return await handler(request)
    finally:
        request.app[IN_FLIGHT].discard(task)


async def _finish_or_cancel_turns(app: web.Application) -> None:
    """On shutdown (the listening sockets are closed): turns in flight get a grace period, then are
    cancelled; a reply blocked on a slow channel is not waited for (its thread is left behind)."""
    pending = set(app[IN_FLIGHT])
    if not pending:
        return
    _, late = await asyncio.wait(pending, timeout=TURN_GRACE_SECONDS)
    for task in late:
        task.cancel()
    if late:
        log.warning(
            "Shutting down: %d request(s) still running after %.0f s were cancelled",
            len(late),
            TURN_GRACE_SECONDS,
        )
        await asyncio.wait(late, timeout=1.0)


async def _start_gate(app: web.Application) -> None:
    await app[GATE].start()


async def _close_gate(app: web.Application) -> None:
    await app[GATE].close()


async def _use_reply_threads(app: web.Application) -> None:
    replies.use_reply_threads(asyncio.get_running_loop())


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response: no MIME sniffing, no referrer leaving the site, and no software version."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["Server"] = "Kompetensbot"


def check_exposure(config: Config) -> None:
    """Refuse to serve the unauthenticated bot beyond this machine, unless the operator asked for it."""
    if config.app_id or config.host in LOOPBACK_HOSTS or config.allow_unauthenticated:
        return
    raise SystemExit(
        f"Vägrar lyssna på {config.host} utan autentisering: MicrosoftAppId är inte satt, så vem som helst "
        "som når porten kan få boten att skicka förfrågningar. Sätt MicrosoftAppId, MicrosoftAppPassword och "
        "MicrosoftAppTenantId, lyssna på 127.0.0.1 (HOST), eller sätt KOMPETENSBOT_ALLOW_UNAUTHENTICATED=1 "
        "om nätet är slutet."
    )


def run(config: Config, qa_loader: QALoader, storage: Storage | None = None) -> None:
    """Serve on config.host:config.port until interrupted."""
    check_exposure(config)

    logs.setup(config)  # text or JSON lines (LOG_FORMAT), ids hashed
    url = f"http://{config.host}:{config.port}"

    def started(_: str) -> None:  # web.run_app calls this once the port is bound
        log.info("Kompetensbot serving %s/api/messages (health: %s/healthz)", url, url)

    options: dict = dict(host=config.host, port=config.port, print=started, shutdown_timeout=SHUTDOWN_SECONDS)
    # No line per request unless asked for: a client's address is personal data (docs: deploy/README.md).
    if config.access_log:
        options["access_log_class"] = logs.PrivateAccessLogger
    else:
        options["access_log"] = None
    # Processes sharing the port (handlers/operations/workers.py), each with an app of its own.
    if config.workers > 1:
        from handlers.operations import workers

        def serve_one() -> None:
            web.run_app(create_app(config, qa_loader, storage), reuse_port=True, **options)

        if workers.serve(config, serve_one) != 0:
            raise SystemExit(1)
        return
    web.run_app(create_app(config, qa_loader, storage), **options)
    exit_without_waiting_for_threads()


def exit_without_waiting_for_threads() -> None:
    """End the process once the app has shut down (turns finished or cancelled after SHUTDOWN_SECONDS, the
    stores flushed): Python would otherwise wait at exit for pool threads still blocked on a slow channel."""
    logging.shutdown()
    os._exit(0)
