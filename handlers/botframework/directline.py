"""Direct Line for the web chat (/chat): a token endpoint, and a small local Direct Line 3.0.

Two ways for the page to reach the bot:

- **Azure Direct Line** (production): `POST /api/directline/token` exchanges the Direct Line secret from the
  configuration (DIRECTLINE_SECRET) for a short-lived token at `{directline_url}/tokens/generate`. The secret
  stays on the server; the browser only ever sees the token, which is bound to one conversation.
- **Local Direct Line** (no cloud account; only when no MicrosoftAppId is configured): the bot serves the
  parts of Direct Line 3.0 that Web Chat uses with `webSocket: false` (polling) under `/v3/directline`, and
  feeds the user's activities to the same adapter and bot as `/api/messages`, with `serviceUrl` pointing at
  the bot itself. The bot's replies come back over the Bot Framework connector protocol to
  `/v3/conversations/{id}/activities[/{replyToId}]`, also served here, and are appended to the conversation
  for the page to poll. With no app id botbuilder posts them without authentication, which is why local
  Direct Line is off as soon as an app id is set (then the real Direct Line is used).

The Direct Line layer also plays the channel's part in two things (see deploy/webchat/README.md):

- **Welcome**: the page sends the `webchat/join` event once the connection is up; it is not forwarded to the
  bot, the Direct Line layer answers it with the bot's welcome (handlers.messages.WELCOME and the three
  examples as suggested actions), once per conversation.
- **Feedback**: bot replies that answer a question carry a schema.org Message entity with a LikeAction and
  a DislikeAction, which Web Chat 4.18 shows as thumbs buttons; a click comes back as the event
  `webchat:activity-status/feedback`. It is logged with the question and answer (logger
  `kompetensbot.feedback`), kept in memory (`LocalDirectLine.feedback`), and handed to the bot as the
  `message/submitAction` feedback invoke Teams sends, so the bot records web and Teams feedback alike.

Memory is bounded: at most `max_conversations` conversations (the least recently used go first), at most
`max_activities` activities each (the oldest go first), and a conversation is dropped once its token has
expired. Tokens are random, bound to one conversation, and slide: every authorised request extends them by
`token_lifetime`, so an open page never loses its conversation and a closed one expires.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import ActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from handlers import messages
from handlers.botframework.activity_handler import markdown_message
from index.config import Config

log = logging.getLogger(__name__)
feedback_log = logging.getLogger("kompetensbot.feedback")

LOCAL_PREFIX = "/v3/directline"
TOKEN_PATH = "/api/directline/token"
CHANNEL_ID = "webchat"
BOT_ACCOUNT = {"id": "kompetensbot", "name": "Kompetensbot", "role": "bot"}

TOKEN_LIFETIME = 1800  # seconds, like Azure Direct Line tokens
MAX_CONVERSATIONS = 1000
MAX_ACTIVITIES = 500
MAX_FEEDBACK = 1000

JOIN_EVENT = "webchat/join"
FEEDBACK_EVENT = "webchat:activity-status/feedback"
# Replies that are not answers get no thumbs: the fixed texts of handlers.messages.
NOT_ANSWERS = frozenset(
    text
    for lang in ("sv", "en")
    for text in (
        messages.texts(lang).help,
        messages.texts(lang).empty_prompt,
        messages.texts(lang).error_apology,
        messages.texts(lang).not_ready,
        messages.texts(lang).welcome,
    )
)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"code": str(status), "message": message}}, status=status)


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _json_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The body as a JSON object, or a 4xx response saying what is wrong with it."""
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "Body too large")
    try:
        data = json.loads(body.decode(request.charset or "utf-8"))
    except (ValueError, LookupError, RecursionError):
        return _error(400, "Body is not valid JSON")
    if not isinstance(data, dict):
        return _error(400, "Body must be a JSON object")
    return data


@dataclass
class Conversation:
    id: str
    token: str
    expires_at: float
    user_id: str = ""
    max_activities: int = MAX_ACTIVITIES
    activities: deque[dict[str, Any]] = field(default_factory=deque)
    first_index: int = 0  # the watermark of activities[0]; grows as old activities are dropped
    welcomed: bool = False
    # One turn at a time per conversation, so replies can be told which message they answer: botbuilder
    # leaves replyToId out on the webchat/directline channels, and the connector side fills it in.
    turn_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    answering: str | None = None  # the id of the user's activity whose turn is running

    @property
    def watermark(self) -> int:
        return self.first_index + len(self.activities)

    def append(self, activity: dict[str, Any]) -> str:
        """Store an activity, giving it its id (`conversationId|0000n`) and timestamp; returns the id."""
        activity["id"] = f"{self.id}|{self.watermark:07d}"
        activity.setdefault("timestamp", _now_iso())
        activity["conversation"] = {"id": self.id}
        activity["channelId"] = CHANNEL_ID
        if len(self.activities) >= self.max_activities:
            self.activities.popleft()
            self.first_index += 1
        self.activities.append(activity)
        return activity["id"]

    def since(self, watermark: int) -> list[dict[str, Any]]:
        start = max(watermark - self.first_index, 0)
        return list(self.activities)[start:]

    def find(self, activity_id: str | None) -> dict[str, Any] | None:
        return next((a for a in self.activities if a.get("id") == activity_id), None)


class LocalDirectLine:
    """An in-memory Direct Line 3.0 (polling) in front of a botbuilder adapter and bot."""

    def __init__(
        self,
        adapter: CloudAdapter,
        bot: ActivityHandler,
        *,
        token_lifetime: float = TOKEN_LIFETIME,
        max_conversations: int = MAX_CONVERSATIONS,
        max_activities: int = MAX_ACTIVITIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.adapter = adapter
        self.bot = bot
        self.token_lifetime = token_lifetime
        self.max_conversations = max_conversations
        self.max_activities = max_activities
        self.clock = clock
        # Ordered by expiry (every use moves a conversation to the end), so expired ones sit at the front.
        self.conversations: OrderedDict[str, Conversation] = OrderedDict()
        self._by_token: dict[str, str] = {}
        self.feedback: deque[dict[str, Any]] = deque(maxlen=MAX_FEEDBACK)

    # --- conversations -------------------------------------------------------------------------------

    def create(self, user_id: str = "") -> Conversation:
        self._expire()
        while len(self.conversations) >= self.max_conversations:
            self._drop(next(iter(self.conversations)))
        conversation = Conversation(
            id=secrets.token_urlsafe(18),
            token=secrets.token_urlsafe(32),
            expires_at=self.clock() + self.token_lifetime,
            user_id=user_id,
            max_activities=self.max_activities,
        )
        self.conversations[conversation.id] = conversation
        self._by_token[conversation.token] = conversation.id
        return conversation

    def by_token(self, token: str | None) -> Conversation | None:
        self._expire()
        conversation_id = self._by_token.get(token or "")
        return self._touch(self.conversations[conversation_id]) if conversation_id else None

    def _touch(self, conversation: Conversation) -> Conversation:
        conversation.expires_at = self.clock() + self.token_lifetime
        self.conversations.move_to_end(conversation.id)
        return conversation

    def _drop(self, conversation_id: str) -> None:
        conversation = self.conversations.pop(conversation_id)
        self._by_token.pop(conversation.token, None)

    def _expire(self) -> None:
        now = self.clock()
        while self.conversations:
            oldest = next(iter(self.conversations.values()))
            if oldest.expires_at > now:
                break
            self._drop(oldest.id)

    def _authorize(self, request: web.Request) -> Conversation | web.Response:
        """The conversation in the path if the bearer token is its token: else 404 (unknown) or 403."""
        self._expire()
        conversation = self.conversations.get(request.match_info["conversation_id"])
        if conversation is None:
            return _error(404, "Conversation not found (or expired)")
        token = _bearer(request)
        if token is None or not hmac.compare_digest(token.encode(), conversation.token.encode()):
            return _error(403, "Token missing, invalid, expired or not for this conversation")
        return self._touch(conversation)

    def _session(self, conversation: Conversation) -> dict[str, Any]:
        return {
            "conversationId": conversation.id,
            "token": conversation.token,
            "expires_in": int(self.token_lifetime),
        }

    # --- Direct Line 3.0 (client side) --------------------------------------------------------------

    async def start_conversation(self, request: web.Request) -> web.Response:
        """POST /v3/directline/conversations: with a token, that token's conversation; without, a new one."""
        token = _bearer(request)
        if token is not None:
            conversation = self.by_token(token)
            if conversation is None:
                return _error(403, "Token invalid or expired")
            return web.json_response(self._session(conversation), status=200)
        user_id = ""
        if request.can_read_body:
            body = await _json_object(request)
            if isinstance(body, web.Response):
                return body
            user = body.get("user")
            if isinstance(user, dict) and isinstance(user.get("id"), str):
                user_id = user["id"][:128]
        return web.json_response(self._session(self.create(user_id)), status=201)

    async def refresh_token(self, request: web.Request) -> web.Response:
        """POST /v3/directline/tokens/refresh: the same token, valid for another token_lifetime."""
        conversation = self.by_token(_bearer(request))
        if conversation is None:
            return _error(403, "Token invalid or expired")
        return web.json_response(self._session(conversation))

    async def get_conversation(self, request: web.Request) -> web.Response:
        """GET /v3/directline/conversations/{id}: resume (reconnect) with the conversation's token."""
        conversation = self._authorize(request)
        if isinstance(conversation, web.Response):
            return conversation
        return web.json_response(self._session(conversation))

    async def get_activities(self, request: web.Request) -> web.Response:
        """GET /v3/directline/conversations/{id}/activities?watermark=N: what came after N, and the new N."""
        conversation = self._authorize(request)
        if isinstance(conversation, web.Response):
            return conversation
        raw = request.query.get("watermark", "") or "0"
        if not raw.isdigit():
            return _error(400, "watermark must be a number")
        return web.json_response(
            {"activities": conversation.since(int(raw)), "watermark": str(conversation.watermark)}
        )

    async def post_activity(self, request: web.Request) -> web.Response:
        """POST /v3/directline/conversations/{id}/activities: store the user's activity, pass it on."""
        conversation = self._authorize(request)
        if isinstance(conversation, web.Response):
            return conversation
        activity = await _json_object(request)
        if isinstance(activity, web.Response):
            return activity
        if not isinstance(activity.get("type"), str) or not activity["type"]:
            return _error(400, "Activity has no 'type'")
        sender = activity.get("from") or {}
        if not isinstance(sender, dict):
            return _error(400, "Activity 'from' must be an object")
        user_id = str(sender.get("id") or conversation.user_id or "user")
        activity["from"] = {**sender, "id": user_id, "role": "user"}
        activity["recipient"] = dict(BOT_ACCOUNT)
        activity["serviceUrl"] = self_url(request)
        activity.pop("id", None)
        activity.pop("timestamp", None)  # the service stamps activities, as Direct Line does
        # Replies go to serviceUrl: a client must not have them buffered elsewhere or claim to be a skill.
        for key in ("deliveryMode", "callerId", "relatesTo"):
            activity.pop(key, None)
        try:
            Activity().deserialize(activity)
        except Exception as exc:  # msrest's DeserializationError for mistyped fields
            return _error(400, f"Not a valid activity: {exc}"[:300])
        activity_id = conversation.append(activity)  # also the echo Web Chat waits for
        incoming = Activity().deserialize(activity)  # now with id, timestamp, conversation, channel

        if activity["type"] == "event" and activity.get("name") == JOIN_EVENT:
            self._welcome(conversation, activity)
        elif activity["type"] == "event" and activity.get("name") == FEEDBACK_EVENT:
            record = self._record_feedback(conversation, activity)
            if record is not None:
                await self._turn(conversation, _feedback_invoke(incoming, record), activity_id)
        else:
            await self._turn(conversation, incoming, activity_id)
        return web.json_response({"id": activity_id})

    async def _turn(self, conversation: Conversation, incoming: Activity, activity_id: str) -> None:
        """Run the bot on one activity; replies sent meanwhile are taken as replies to it."""
        async with conversation.turn_lock:
            conversation.answering = activity_id
            try:
                await self.adapter.process_activity("", incoming, self.bot.on_turn)
            except Exception:
                # Turn errors are handled (and apologised for) by the adapter's on_turn_error; this is
                # anything else, e.g. botbuilder failing to set up the turn. The activity is kept.
                log.exception("Local Direct Line: could not hand activity %s to the bot", activity_id)
            finally:
                conversation.answering = None

    async def upload(self, request: web.Request) -> web.Response:
        return _error(404, "Attachments are not supported")

    # --- Bot Framework connector (bot side) ----------------------------------------------------------

    async def connector_activity(self, request: web.Request) -> web.Response:
        """POST /v3/conversations/{id}/activities[/{activity_id}]: a bot reply, appended for the page."""
        if not _from_this_host(request):
            return _error(403, "Only the bot itself may post to the local connector")
        self._expire()
        conversation = self.conversations.get(request.match_info["conversation_id"])
        if conversation is None:
            return _error(404, "Conversation not found (or expired)")
        activity = await _json_object(request)
        if isinstance(activity, web.Response):
            return activity
        if not isinstance(activity.get("type"), str) or not activity["type"]:
            return _error(400, "Activity has no 'type'")
        reply_to = request.match_info.get("activity_id") or conversation.answering
        if reply_to and not activity.get("replyToId"):
            activity["replyToId"] = reply_to
        activity["from"] = {**(activity.get("from") or {}), **BOT_ACCOUNT}
        activity.pop("id", None)
        activity.pop("serviceUrl", None)
        activity.pop("timestamp", None)
        question = conversation.find(activity.get("replyToId"))
        activity_id = conversation.append(activity)
        if _is_answer(activity, question):
            activity["entities"] = [*(activity.get("entities") or []), _feedback_entity(activity_id)]
        return web.json_response({"id": activity_id})

    # --- the channel's own replies -------------------------------------------------------------------

    def _welcome(self, conversation: Conversation, join: dict[str, Any]) -> None:
        if conversation.welcomed:  # a resumed page does not send join; this guards against one that does
            return
        conversation.welcomed = True
        welcome = markdown_message(messages.WELCOME, messages.EXAMPLES_SV).serialize()
        welcome["from"] = dict(BOT_ACCOUNT)
        welcome["recipient"] = dict(join["from"])
        welcome["replyToId"] = join["id"]
        conversation.append(welcome)

    def _record_feedback(self, conversation: Conversation, event: dict[str, Any]) -> dict[str, Any] | None:
        actions = [e for e in event.get("entities") or [] if isinstance(e, dict)]
        action = next((a for a in actions if a.get("@type") in {"LikeAction", "DislikeAction"}), None)
        target = action.get("object") if action else None
        rated_id = target.get("@id") if isinstance(target, dict) else None
        answer = conversation.find(rated_id) if isinstance(rated_id, str) else None
        if action is None or answer is None:
            log.warning("Feedback event without a known rated message in %s", conversation.id)
            return None
        question = conversation.find(answer.get("replyToId")) or {}
        record = {
            "time": _now_iso(),
            "conversationId": conversation.id,
            "activityId": rated_id,
            "reaction": "like" if action["@type"] == "LikeAction" else "dislike",
            "question": question.get("text") or "",
            "answer": answer.get("text") or "",
        }
        self.feedback.append(record)
        feedback_log.info(
            "Feedback %s on %s: question %r, answer starts %r",
            record["reaction"],
            rated_id,
            record["question"],
            record["answer"][:120],
        )
        return record


def _is_answer(reply: dict[str, Any], question: dict[str, Any] | None) -> bool:
    """A bot message replying to a user's message, other than the fixed texts (help, prompts, errors)."""
    return (
        reply.get("type") == "message"
        and isinstance(reply.get("text"), str)
        and reply["text"] not in NOT_ANSWERS
        and question is not None
        and question.get("type") == "message"
        and (question.get("from") or {}).get("role") == "user"
    )


def _feedback_invoke(event: Activity, record: dict[str, Any]) -> Activity:
    """The feedback as the bot also gets it from Teams: a `message/submitAction` invoke naming the answer."""
    return Activity(
        type="invoke",
        name="message/submitAction",
        id=event.id,
        timestamp=event.timestamp,
        channel_id=event.channel_id,
        service_url=event.service_url,
        conversation=event.conversation,
        from_property=event.from_property,
        recipient=event.recipient,
        locale=event.locale,
        reply_to_id=record["activityId"],
        value={"actionName": "feedback", "actionValue": {"reaction": record["reaction"], "feedback": ""}},
    )


def _feedback_entity(activity_id: str) -> dict[str, Any]:
    """The schema.org Message entity that makes Web Chat 4.18 show thumbs up/down under a message.

    Web Chat posts the chosen action back as the only entity of a `webchat:activity-status/feedback` event;
    its `object` says which message was rated (Web Chat keeps properties it does not know).
    """

    def action(kind: str) -> dict[str, Any]:
        return {"@type": kind, "object": {"@type": "Message", "@id": activity_id}}

    return {
        "type": "https://schema.org/Message",
        "@context": "https://schema.org",
        "@id": "",
        "@type": "Message",
        "potentialAction": [action("LikeAction"), action("DislikeAction")],
    }


def self_url(request: web.Request) -> str:
    """The bot's own base URL as this connection reached it (the socket, not the Host header)."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        return f"http://{request.host}"
    host, port = sockname[0], sockname[1]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _from_this_host(request: web.Request) -> bool:
    remote = request.remote or ""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return address.is_loopback or (bool(sockname) and remote == sockname[0])


# --- the token endpoint ----------------------------------------------------------------------------------


class TokenService:
    """POST /api/directline/token: a token for the page, from Azure Direct Line or the local one."""

    def __init__(self, config: Config, local: LocalDirectLine | None) -> None:
        self.secret = config.directline_secret
        self.base_url = config.directline_url.rstrip("/")
        self.local = local

    async def handle(self, request: web.Request) -> web.Response:
        headers = {"Cache-Control": "no-store"}
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
            body = {**self.local._session(self.local.create(user_id)), "userId": user_id}
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
                    return _error(502, "Direct Line refused the token request")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.error("Direct Line token request to %s failed: %s", url, type(exc).__name__)
            return _error(502, "Direct Line could not be reached")
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            log.error("Direct Line token response from %s has no token", url)
            return _error(502, "Direct Line gave no token")
        return {
            "token": data["token"],
            "conversationId": data.get("conversationId"),
            "expires_in": data.get("expires_in", TOKEN_LIFETIME),
        }


LOCAL_DIRECTLINE = web.AppKey("kompetensbot_local_directline", LocalDirectLine)


def add_routes(app: web.Application, config: Config, adapter: CloudAdapter, bot: ActivityHandler) -> None:
    """The token endpoint; and the local Direct Line with its connector side unless an app id is set."""
    local = None
    if not config.app_id:
        local = LocalDirectLine(adapter, bot)
        app[LOCAL_DIRECTLINE] = local
        conversation = LOCAL_PREFIX + "/conversations/{conversation_id}"
        app.router.add_post(LOCAL_PREFIX + "/conversations", local.start_conversation)
        app.router.add_post(LOCAL_PREFIX + "/tokens/refresh", local.refresh_token)
        app.router.add_get(conversation, local.get_conversation)
        app.router.add_get(conversation + "/activities", local.get_activities)
        app.router.add_post(conversation + "/activities", local.post_activity)
        app.router.add_post(conversation + "/upload", local.upload)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", local.connector_activity)
        app.router.add_post(
            "/v3/conversations/{conversation_id}/activities/{activity_id}", local.connector_activity
        )
    elif not config.directline_secret:
        log.warning(
            "MicrosoftAppId is set but DIRECTLINE_SECRET is not: the web chat at /chat cannot connect"
        )
    app.router.add_post(TOKEN_PATH, TokenService(config, local).handle)
