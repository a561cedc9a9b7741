"""Direct Line for the web chat (/chat): a token endpoint, and a small local Direct Line 3.0.

Two ways for the page to reach the bot:

- **Azure Direct Line** (production): `POST /api/directline/token` exchanges the Direct Line secret from the
  configuration (DIRECTLINE_SECRET) for a short-lived token at `{directline_url}/tokens/generate`. The secret
  stays on the server; the browser only ever sees the token, which is bound to one conversation.
- **Local Direct Line** (no cloud account; only when no MicrosoftAppId is configured): the bot serves the
  parts of Direct Line 3.0 that Web Chat uses with `webSocket: false` (polling) under `/v3/directline`, and
  feeds the user's activities to the same adapter and bot as `/api/messages`, with `serviceUrl` pointing at
  the bot itself. The bot's replies come back over the Bot Framework connector protocol to
  `/_connector/{secret}/v3/conversations/{id}/activities[/{replyToId}]`, also served here, and are appended
  to the conversation for the page to poll. With no app id botbuilder posts them without authentication, so
  the path carries a random per-process secret (only the bot learns it, from serviceUrl; the page never
  sees it); a wrong secret is 404. Local Direct Line is off as soon as an app id is set (then the real
  Direct Line is used).

The Direct Line layer also plays the channel's part in two things (see deploy/webchat/README.md):

- **Welcome**: the page sends the `webchat/join` event once the connection is up; it is not forwarded to the
  bot, the Direct Line layer answers it with the bot's welcome (handlers.wording.texts.SV.welcome and the
  three examples as suggested actions), once per conversation.
- **Feedback**: bot replies that answer a question carry a schema.org Message entity with a LikeAction and
  a DislikeAction, which Web Chat 4.18 shows as thumbs buttons; a click comes back as the event
  `webchat:activity-status/feedback`. Its reaction is logged (logger `kompetensbot.feedback`, the
  conversation id hashed), it is kept in memory (`LocalDirectLine.feedback`), and handed to the bot as the
  `message/submitAction` feedback invoke Teams sends, so the bot stores web and Teams feedback alike
  (scrubbed, handlers/insights/store.py). Through Azure Direct Line the bot gets the event itself.

Tokens are random, bound to one conversation, and slide: every authorised request extends them by
`token_lifetime` (30 min), so an open page never loses its conversation and a closed one expires.

Limits (deploy/webchat/README.md has the table):

- Memory, counted as the JSON size of the stored activities (they are kept as JSON text, so that is what
  they take): 256 KB per conversation (its oldest activities go first), 64 MB in all, 1000 conversations.
  A posted activity may be 32 KB; the stored copy of its text is cut at MAX_QUESTION_CHARS (what the bot
  reads; the bot still gets the whole text, so it can say it cut it).
- Making room never drops a live user. A new conversation first takes the place of expired ones, then of
  the least recently used one that was never engaged (the user posted nothing, not even the page's join
  event), then of one idle for 5 minutes (an open page polls every second, a background tab at least once
  a minute). If every conversation is engaged and active, the new one is refused: 429 with Retry-After.
  Over 64 MB, idle conversations go first, then the oldest history of the largest conversations.
- Rate limits (`RateLimiter`, per process, by the client's address as `client_address` sees it): the CLIENT
  rule on every route here and the token endpoint, the TOKEN rule on every new conversation, the
  CONVERSATION rule on the user's activities. Authorised polls are the exception: a page polls every second
  and directlinejs stops polling for good after a 429, so users behind one address (an office's NAT) would
  silently lose their chats; polls are limited per conversation instead (POLL_RATE). Over a limit: 429
  with Retry-After. The connector side (the bot's own replies) is not rate limited.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from botbuilder.core import ActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from handlers.channels.botframework.activity_handler import markdown_message
from handlers.channels.botframework.directline_conversation import (
    CHANNEL_ID,
    LOCAL_PREFIX,
    MAX_CONVERSATION_BYTES,
    TOKEN_LIFETIME,
    Conversation,
    ConversationsFull,
    error_response,
    now_iso,
    parse_number,
)
from handlers.channels.botframework.directline_token import TokenService
from handlers.channels.botframework.ratelimit import CLIENT, CONVERSATION, TOKEN, RateLimiter, client_address
from handlers.engine import MAX_QUESTION_CHARS
from handlers.model.answer import DISLIKE, LIKE
from handlers.operations.logs import hash_id
from handlers.wording import texts
from index.config import Config

log = logging.getLogger(__name__)
feedback_log = logging.getLogger("kompetensbot.feedback")  # reactions only, conversation ids hashed

CONNECTOR_PREFIX = "/_connector"  # then the secret, then the connector's own /v3/conversations/...
TOKEN_PATH = "/api/directline/token"
BOT_ACCOUNT = {"id": "kompetensbot", "name": "Kompetensbot", "role": "bot"}

MAX_TOTAL_BYTES = 64 * 1024 * 1024  # whatever the traffic, the process stays small
MAX_CONVERSATIONS = 1000  # each also costs ~1 KB without activities (tokens, lock, rate-limit entries)
# A question is at most MAX_QUESTION_CHARS; Web Chat adds about 1 KB of channel data and entities.
MAX_ACTIVITY_BYTES = 32 * 1024
# A page polls every second and a background tab at least once a minute: 5 minutes untouched is a closed page.
IDLE_AFTER = 300
# Polls are limited per conversation (not per address, see above); Web Chat polls once a second.
POLL = "poll"
POLL_RATE = "120/minute"
MAX_FEEDBACK = 1000

JOIN_EVENT = "webchat/join"
FEEDBACK_EVENT = "webchat:activity-status/feedback"
# Replies that are not answers get no thumbs: the fixed texts of handlers.wording.texts.
NOT_ANSWERS = frozenset(
    text
    for lang in ("sv", "en")
    for text in (
        texts.pick(lang).help,
        texts.pick(lang).empty_prompt,
        texts.pick(lang).error_apology,
        texts.pick(lang).not_ready,
        texts.pick(lang).welcome,
    )
)


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _json_object(request: web.Request, max_bytes: int | None = None) -> dict[str, Any] | web.Response:
    """The body as a JSON object, or a 4xx response saying what is wrong with it."""
    too_large = error_response(413, "Body too large")
    if max_bytes is not None and (request.content_length or 0) > max_bytes:
        return too_large
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return too_large
    if max_bytes is not None and len(body) > max_bytes:  # chunked, without a Content-Length
        return too_large
    try:
        data = json.loads(body.decode(request.charset or "utf-8"))
    except (ValueError, LookupError, RecursionError):
        return error_response(400, "Body is not valid JSON")
    if not isinstance(data, dict):
        return error_response(400, "Body must be a JSON object")
    return data


def _full(retry_after: int) -> web.Response:
    message = f"Chatten har för många samtal just nu. Försök igen om {retry_after} sekunder."
    return error_response(429, message, {"Retry-After": str(retry_after)})


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LocalDirectLine:
    """An in-memory Direct Line 3.0 (polling) in front of a botbuilder adapter and bot."""

    def __init__(
        self,
        adapter: CloudAdapter,
        bot: ActivityHandler,
        *,
        limiter: RateLimiter | None = None,
        forwarded_hops: int = 0,
        token_lifetime: float = TOKEN_LIFETIME,
        idle_after: float = IDLE_AFTER,
        max_conversations: int = MAX_CONVERSATIONS,
        max_bytes: int = MAX_CONVERSATION_BYTES,
        max_total_bytes: int = MAX_TOTAL_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.adapter = adapter
        self.bot = bot
        self.limiter = limiter  # None: no rate limits (the class on its own, in tests)
        self.poll_limiter = RateLimiter({POLL: POLL_RATE}) if limiter else None
        self.forwarded_hops = forwarded_hops
        self.token_lifetime = token_lifetime
        self.idle_after = idle_after
        self.max_conversations = max_conversations
        self.max_bytes = max_bytes
        self.max_total_bytes = max_total_bytes
        self.clock = clock
        # Least recently used first (every use moves a conversation to the end), so expired ones, then idle
        # ones, sit at the front.
        self.conversations: OrderedDict[str, Conversation] = OrderedDict()
        self.total_bytes = 0
        self._by_token: dict[str, str] = {}
        self.feedback: deque[dict[str, Any]] = deque(maxlen=MAX_FEEDBACK)
        # In the serviceUrl the bot replies to: only the bot learns it, so only the bot can post replies.
        self.connector_secret = secrets.token_urlsafe(32)

    # --- conversations -------------------------------------------------------------------------------

    def create(self, user_id: str = "") -> Conversation:
        """A new conversation; raises ConversationsFull rather than drop one that is engaged and active."""
        self._make_room()
        now = self.clock()
        conversation = Conversation(
            id=secrets.token_urlsafe(18),
            token=secrets.token_urlsafe(32),
            expires_at=now + self.token_lifetime,
            last_seen=now,
            user_id=user_id,
            max_bytes=self.max_bytes,
        )
        self.conversations[conversation.id] = conversation
        self._by_token[conversation.token] = conversation.id
        return conversation

    def by_token(self, token: str | None) -> Conversation | None:
        self._expire()
        conversation_id = self._by_token.get(token or "")
        return self._touch(self.conversations[conversation_id]) if conversation_id else None

    def _touch(self, conversation: Conversation) -> Conversation:
        conversation.last_seen = self.clock()
        conversation.expires_at = conversation.last_seen + self.token_lifetime
        self.conversations.move_to_end(conversation.id)
        return conversation

    def _drop(self, conversation_id: str) -> None:
        conversation = self.conversations.pop(conversation_id)
        self._by_token.pop(conversation.token, None)
        self.total_bytes -= conversation.bytes

    def _expire(self) -> None:
        now = self.clock()
        while self.conversations:
            oldest = next(iter(self.conversations.values()))
            if oldest.expires_at > now:
                break
            self._drop(oldest.id)

    def _make_room(self) -> None:
        """Drop expired conversations, then never engaged ones, then idle ones, till one more fits."""
        self._expire()
        while len(self.conversations) >= self.max_conversations:
            victim = self._never_engaged() or self._idle()
            if victim is None:
                oldest = next(iter(self.conversations.values()))
                wait = oldest.last_seen + self.idle_after - self.clock()
                raise ConversationsFull(max(1, math.ceil(wait)))
            self._drop(victim.id)

    def _never_engaged(self) -> Conversation | None:
        return next((c for c in self.conversations.values() if not c.engaged), None)

    def _idle(self, keep: Conversation | None = None) -> Conversation | None:
        """The least recently used conversation if it is idle (then it is the idlest)."""
        oldest = next(iter(self.conversations.values()), None)
        if oldest is None or oldest is keep or self.clock() - oldest.last_seen < self.idle_after:
            return None
        return oldest

    def store(self, conversation: Conversation, activity: dict[str, Any], max_text: int | None = None) -> str:
        """Conversation.append, keeping the total within max_total_bytes."""
        before = conversation.bytes
        activity_id = conversation.append(activity, max_text)
        self.total_bytes += conversation.bytes - before
        self._fit_total(conversation)
        return activity_id

    def _fit_total(self, current: Conversation) -> None:
        """Over max_total_bytes: drop idle conversations, then the oldest history of the largest ones."""
        while self.total_bytes > self.max_total_bytes:
            idle = self._idle(keep=current)
            if idle is not None:
                self._drop(idle.id)
                continue
            largest = max(self.conversations.values(), key=lambda c: c.bytes)
            if len(largest.activities) <= 1:  # at most one activity each: nothing left to trim
                return
            before = largest.bytes
            largest.drop_oldest()
            self.total_bytes -= before - largest.bytes

    def _authorize(self, request: web.Request) -> Conversation | web.Response:
        """The conversation in the path if the bearer token is its token: else 404 (unknown) or 403."""
        self._expire()
        conversation = self.conversations.get(request.match_info["conversation_id"])
        if conversation is None:
            return error_response(404, "Conversation not found (or expired)")
        token = _bearer(request)
        if token is None or not hmac.compare_digest(token.encode(), conversation.token.encode()):
            return error_response(403, "Token missing, invalid, expired or not for this conversation")
        return self._touch(conversation)

    def _session(self, conversation: Conversation) -> dict[str, Any]:
        return {
            "conversationId": conversation.id,
            "token": conversation.token,
            "expires_in": int(self.token_lifetime),
        }

    def new_session(self, user_id: str) -> dict[str, Any] | web.Response:
        """A new conversation's session, or 429 when there is no room."""
        try:
            return self._session(self.create(user_id))
        except ConversationsFull as full:
            return _full(full.retry_after)

    # --- rate limits -----------------------------------------------------------------------------------

    async def limit(self, rule: str, key: str) -> web.Response | None:
        return await self.limiter.check(rule, key) if self.limiter else None

    def client(self, request: web.Request) -> str:
        return client_address(request, self.forwarded_hops)

    def per_client(self, handler: Handler) -> Handler:
        """`handler` behind the CLIENT rule."""

        async def limited(request: web.Request) -> web.StreamResponse:
            refused = await self.limit(CLIENT, self.client(request))
            return refused if refused is not None else await handler(request)

        return limited

    # --- Direct Line 3.0 (client side) --------------------------------------------------------------

    async def start_conversation(self, request: web.Request) -> web.Response:
        """POST /v3/directline/conversations: with a token, that token's conversation; without, a new one."""
        token = _bearer(request)
        if token is not None:
            conversation = self.by_token(token)
            if conversation is None:
                return error_response(403, "Token invalid or expired")
            return web.json_response(self._session(conversation), status=200)
        user_id = ""
        if request.can_read_body:
            body = await _json_object(request, MAX_ACTIVITY_BYTES)
            if isinstance(body, web.Response):
                return body
            user = body.get("user")
            if isinstance(user, dict) and isinstance(user.get("id"), str):
                user_id = user["id"][:128]
        limited = await self.limit(TOKEN, self.client(request))
        if limited is not None:
            return limited
        session = self.new_session(user_id)
        return session if isinstance(session, web.Response) else web.json_response(session, status=201)

    async def refresh_token(self, request: web.Request) -> web.Response:
        """POST /v3/directline/tokens/refresh: the same token, valid for another token_lifetime."""
        conversation = self.by_token(_bearer(request))
        if conversation is None:
            return error_response(403, "Token invalid or expired")
        return web.json_response(self._session(conversation))

    async def get_conversation(self, request: web.Request) -> web.Response:
        """GET /v3/directline/conversations/{id}: resume (reconnect) with the conversation's token."""
        conversation = self._authorize(request)
        if isinstance(conversation, web.Response):
            return conversation
        return web.json_response(self._session(conversation))

    async def get_activities(self, request: web.Request) -> web.Response:
        """GET /v3/directline/conversations/{id}/activities?watermark=N: what came after N, and the new N.

        Limited per conversation when authorised, else per client (see the module's docstring).
        """
        conversation = self._authorize(request)
        if isinstance(conversation, web.Response):
            refused = await self.limit(CLIENT, self.client(request))
            return refused if refused is not None else conversation
        if self.poll_limiter is not None:
            limited = await self.poll_limiter.check(POLL, conversation.id)
            if limited is not None:
                return limited
        watermark = parse_number(request.query.get("watermark", "") or "0")
        if watermark is None:
            return error_response(400, "watermark must be a number")
        activities = ",".join(conversation.since(watermark))
        body = f'{{"activities":[{activities}],"watermark":"{conversation.watermark}"}}'
        return web.Response(text=body, content_type="application/json")

    async def post_activity(self, request: web.Request) -> web.Response:
        """POST /v3/directline/conversations/{id}/activities: store the user's activity, pass it on."""
        conversation = self._authorize(request)
        if isinstance(conversation, web.Response):
            return conversation
        limited = await self.limit(CONVERSATION, conversation.id)
        if limited is not None:
            return limited
        activity = await _json_object(request, MAX_ACTIVITY_BYTES)
        if isinstance(activity, web.Response):
            return activity
        if not isinstance(activity.get("type"), str) or not activity["type"]:
            return error_response(400, "Activity has no 'type'")
        sender = activity.get("from") or {}
        if not isinstance(sender, dict):
            return error_response(400, "Activity 'from' must be an object")
        user_id = str(sender.get("id") or conversation.user_id or "user")
        activity["from"] = {**sender, "id": user_id, "role": "user"}
        activity["recipient"] = dict(BOT_ACCOUNT)
        activity.pop("id", None)
        activity.pop("timestamp", None)  # the service stamps activities, as Direct Line does
        # Replies go to serviceUrl: a client must not have them buffered elsewhere or claim to be a skill.
        for key in ("serviceUrl", "deliveryMode", "callerId", "relatesTo"):
            activity.pop(key, None)
        try:
            Activity().deserialize(activity)
        except Exception as exc:  # msrest's DeserializationError for mistyped fields
            return error_response(400, f"Not a valid activity: {exc}"[:300])
        conversation.engaged = True
        # Stored (the echo Web Chat waits for) with the text the bot reads; the bot gets it whole.
        activity_id = self.store(conversation, activity, MAX_QUESTION_CHARS)
        # Not stored, so the page never sees the connector secret in it.
        activity["serviceUrl"] = self.service_url(request)
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
        return error_response(404, "Attachments are not supported")

    # --- Bot Framework connector (bot side) ----------------------------------------------------------

    def service_url(self, request: web.Request) -> str:
        """Where the bot sends its replies: the connector side here, behind the secret."""
        return f"{self_url(request)}{CONNECTOR_PREFIX}/{self.connector_secret}"

    async def connector_activity(self, request: web.Request) -> web.Response:
        """POST /_connector/{secret}/v3/conversations/{id}/activities[/{activity_id}]: a bot reply."""
        secret = request.match_info["secret"].encode()
        if not hmac.compare_digest(secret, self.connector_secret.encode()):
            return error_response(404, "Not found")
        self._expire()
        conversation = self.conversations.get(request.match_info["conversation_id"])
        if conversation is None:
            return error_response(404, "Conversation not found (or expired)")
        activity = await _json_object(request)
        if isinstance(activity, web.Response):
            return activity
        if not isinstance(activity.get("type"), str) or not activity["type"]:
            return error_response(400, "Activity has no 'type'")
        reply_to = request.match_info.get("activity_id") or conversation.answering
        if reply_to and not activity.get("replyToId"):
            activity["replyToId"] = reply_to
        activity["from"] = {**(activity.get("from") or {}), **BOT_ACCOUNT}
        activity.pop("id", None)
        activity.pop("serviceUrl", None)
        activity.pop("timestamp", None)
        if _is_answer(activity, conversation.find(activity.get("replyToId"))):
            entities = [*(activity.get("entities") or []), _feedback_entity(conversation.next_id())]
            activity["entities"] = entities
        return web.json_response({"id": self.store(conversation, activity)})

    # --- the channel's own replies -------------------------------------------------------------------

    def _welcome(self, conversation: Conversation, join: dict[str, Any]) -> None:
        if conversation.welcomed:  # a resumed page does not send join; this guards against one that does
            return
        conversation.welcomed = True
        welcome = markdown_message(texts.SV.welcome, texts.EXAMPLES_SV).serialize()
        welcome["from"] = dict(BOT_ACCOUNT)
        welcome["recipient"] = dict(join["from"])
        welcome["replyToId"] = join["id"]
        self.store(conversation, welcome)

    def _record_feedback(self, conversation: Conversation, event: dict[str, Any]) -> dict[str, Any] | None:
        actions = [e for e in event.get("entities") or [] if isinstance(e, dict)]
        action = next((a for a in actions if a.get("@type") in {"LikeAction", "DislikeAction"}), None)
        target = action.get("object") if action else None
        rated_id = target.get("@id") if isinstance(target, dict) else None
        answer = conversation.find(rated_id) if isinstance(rated_id, str) else None
        if action is None or answer is None:
            log.warning(
                "Feedback event without a known rated message",
                extra={"conversation": hash_id(conversation.id)},
            )
            return None
        question = conversation.find(answer.get("replyToId")) or {}
        record = {
            "time": now_iso(),
            "conversationId": conversation.id,
            "activityId": rated_id,
            "reaction": LIKE if action["@type"] == "LikeAction" else DISLIKE,
            "question": question.get("text") or "",
            "answer": answer.get("text") or "",
        }
        self.feedback.append(record)
        # The reaction only: question and answer stay in memory. The bot stores the feedback (scrubbed) when
        # it gets it as the invoke below.
        feedback_log.info(
            "Feedback %s",
            record["reaction"],
            extra={"conversation": hash_id(conversation.id), "channel": CHANNEL_ID},
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


LOCAL_DIRECTLINE = web.AppKey("kompetensbot_local_directline", LocalDirectLine)


def add_routes(
    app: web.Application,
    config: Config,
    adapter: CloudAdapter,
    bot: ActivityHandler,
    *,
    limiter: RateLimiter | None = None,
) -> None:
    """The token endpoint; and the local Direct Line with its connector side unless an app id is set."""
    limiter = limiter or RateLimiter.from_config(config)
    local = None
    if not config.app_id:
        local = LocalDirectLine(adapter, bot, limiter=limiter, forwarded_hops=config.forwarded_hops)
        app[LOCAL_DIRECTLINE] = local
        _add_local_routes(app, local)
    elif not config.directline_secret:
        log.warning(
            "MicrosoftAppId is set but DIRECTLINE_SECRET is not: the web chat at /chat cannot connect"
        )
    app.router.add_post(TOKEN_PATH, TokenService(config, local, limiter).handle)


def _add_local_routes(app: web.Application, local: LocalDirectLine) -> None:
    conversation = LOCAL_PREFIX + "/conversations/{conversation_id}"
    limited = local.per_client
    app.router.add_post(LOCAL_PREFIX + "/conversations", limited(local.start_conversation))
    app.router.add_post(LOCAL_PREFIX + "/tokens/refresh", limited(local.refresh_token))
    app.router.add_get(conversation, limited(local.get_conversation))
    app.router.add_get(conversation + "/activities", local.get_activities)  # limits itself
    app.router.add_post(conversation + "/activities", limited(local.post_activity))
    app.router.add_post(conversation + "/upload", limited(local.upload))
    # The bot's replies: the secret is the authentication; never rate limited (a reply would be lost).
    connector = CONNECTOR_PREFIX + "/{secret}/v3/conversations/{conversation_id}/activities"
    app.router.add_post(connector, local.connector_activity)
    app.router.add_post(connector + "/{activity_id}", local.connector_activity)
