"""The HTTP server: POST /api/messages (Bot Framework activities) and GET /healthz.

The server starts answering at once and loads the answering engine in a background thread, because the
first start builds the index (~20 s) and Azure/Teams health probes should not see a dead port meanwhile.
Bad input is rejected here with a 4xx before botbuilder sees it: botbuilder's CloudAdapter answers a
missing Content-Type, malformed JSON or a mistyped field with a 500.

Conversation state (what a follow-up question refers back to) lives in a botbuilder Storage: MemoryStorage
unless create_app() is given another, e.g. Cosmos DB or Blob storage shared by several instances.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web
from botbuilder.core import ConversationState, MemoryStorage, Storage, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity

from handlers import messages
from handlers.botframework import directline, webchat
from handlers.botframework.activity_handler import Answerer, KompetensBot, QAUnavailable, markdown_message
from index.config import Config
from index.text import detect_language

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024

QALoader = Callable[[], Answerer]


@dataclass
class QAState:
    """The answering engine as the server sees it: loading, ready, or failed to load."""

    qa: Answerer | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def get(self) -> Answerer | None:
        """For KompetensBot: the engine, None while loading; QAUnavailable if loading failed."""
        if self.error is not None:
            raise QAUnavailable(self.error)
        return self.qa

    def load(self, loader: QALoader) -> None:
        started = time.monotonic()
        try:
            qa = loader()
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception(
                "Could not load the answering engine (%s). The server keeps running but only answers "
                "'not available'. Check that the knowledge file exists and is readable, rebuild the index "
                "with `python bot.py index`, then restart the bot.",
                self.error,
            )
        else:
            self.qa = qa
            log.info("Answering engine ready after %.1f s", time.monotonic() - started)
        finally:
            self.done.set()


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
    log.error(
        "Turn failed: %s activity %r in conversation %r",
        activity.type,
        activity.id,
        activity.conversation.id if activity.conversation else None,
        exc_info=(type(error), error, error.__traceback__),
    )
    apology = messages.texts(detect_language(activity.text or "")).error_apology
    try:
        await context.send_activity(markdown_message(apology))
    except Exception:
        # Typically the channel (serviceUrl) is unreachable; nothing more we can do for this turn.
        log.warning("Could not send the apology either", exc_info=True)


def create_adapter(config: Config) -> CloudAdapter:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(auth_settings(config)))
    adapter.on_turn_error = on_turn_error
    return adapter


STATE = web.AppKey("kompetensbot_qa_state", QAState)
LOADER = web.AppKey("kompetensbot_qa_loader", QALoader)
ADAPTER = web.AppKey("kompetensbot_adapter", CloudAdapter)
BOT = web.AppKey("kompetensbot_bot", KompetensBot)


def error_response(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def check_activity_request(request: web.Request) -> web.Response | None:
    """A 4xx response if the request cannot be a Bot Framework activity, else None.

    Reads the body (aiohttp caches it, so the adapter reads it again for free) and mirrors how the adapter
    will decode it, so that anything passing here cannot make the adapter fail on input.
    """
    if request.content_type != "application/json":
        return error_response(415, "Content-Type must be application/json")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return error_response(413, f"Body larger than {MAX_BODY_BYTES} bytes")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:  # chunked bodies without a Content-Length
        return error_response(413, f"Body larger than {MAX_BODY_BYTES} bytes")
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
    return _check_activity_fields(data)


def _check_activity_fields(data: dict) -> web.Response | None:
    try:
        Activity().deserialize(data)
    except Exception as exc:  # msrest raises DeserializationError (a ValueError) for mistyped fields
        return error_response(400, f"Not a valid activity: {exc}"[:300])
    conversation = data.get("conversation")
    if not isinstance(conversation, dict) or not _nonempty(conversation.get("id")):
        return error_response(400, "Activity has no 'conversation.id'")
    # Conversation state is stored under channelId/conversation.id; botbuilder raises without either.
    if not _nonempty(data.get("channelId")):
        return error_response(400, "Activity has no 'channelId'")
    # Replies are POSTed to serviceUrl, unless the caller asked to get them in the HTTP response.
    if data.get("deliveryMode") != "expectReplies" and not isinstance(data.get("serviceUrl"), str):
        return error_response(400, "Activity has no 'serviceUrl'")
    return None


def _nonempty(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


async def handle_messages(request: web.Request) -> web.StreamResponse:
    problem = await check_activity_request(request)
    if problem is not None:
        return problem
    try:
        response = await request.app[ADAPTER].process(request, request.app[BOT])
    except web.HTTPException as exc:  # e.g. 401 from authentication; keep the JSON error shape
        return error_response(exc.status, exc.reason)
    except Exception:
        # Not the user's input (that was checked above): auth metadata unreachable, a botbuilder bug...
        log.exception("Could not process the activity")
        return error_response(500, "Internal error")
    return response or web.Response(status=201)


async def handle_healthz(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if state.error is not None:
        return web.json_response({"status": "error", "error": state.error}, status=503)
    if state.qa is None:
        return web.json_response({"status": "loading"}, status=503)
    return web.json_response({"status": "ok"})


async def _start_loading(app: web.Application) -> None:
    # A daemon thread, so that stopping the server while the index is still being built does not hang;
    # the next start sees the unfinished index as missing or stale and builds it again.
    thread = threading.Thread(target=app[STATE].load, args=(app[LOADER],), name="qa-loader", daemon=True)
    thread.start()


def create_app(config: Config, qa_loader: QALoader, storage: Storage | None = None) -> web.Application:
    """The aiohttp application; `qa_loader()` runs in a background thread once the app starts.

    `storage` keeps each conversation's dialogue context; the default MemoryStorage is per process and lost
    on restart, so a bot scaled out to several instances needs a shared one (Cosmos DB, Blob storage).
    """
    if not config.app_id:
        log.warning(
            "MicrosoftAppId is not set: running in local/Emulator mode WITHOUT authentication. "
            "Set MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId to connect Azure Bot Service."
        )
    state = QAState()
    # One byte of slack: aiohttp rejects bodies whose size is >= client_max_size.
    app = web.Application(client_max_size=MAX_BODY_BYTES + 1)
    app[STATE] = state
    app[LOADER] = qa_loader
    app[ADAPTER] = create_adapter(config)
    app[BOT] = KompetensBot(state.get, ConversationState(storage if storage is not None else MemoryStorage()))
    app.router.add_post("/api/messages", handle_messages)
    app.router.add_get("/healthz", handle_healthz)
    # The web chat page (/chat), its token endpoint, and the local Direct Line when there is no app id.
    directline.add_routes(app, config, app[ADAPTER], app[BOT])
    webchat.add_routes(app, config)
    app.on_startup.append(_start_loading)
    return app


def run(config: Config, qa_loader: QALoader, storage: Storage | None = None) -> None:
    """Serve on config.host:config.port until interrupted."""
    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app(config, qa_loader, storage)
    url = f"http://{config.host}:{config.port}"

    def started(_: str) -> None:  # web.run_app calls this once the port is bound
        log.info("Kompetensbot serving %s/api/messages (health: %s/healthz)", url, url)

    web.run_app(app, host=config.host, port=config.port, print=started)
