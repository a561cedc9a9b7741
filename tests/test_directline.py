"""The web chat's server side over the real app: local Direct Line 3.0, the token endpoint, the /chat page.

Each test starts create_app() on a free loopback port. The local Direct Line hands the user's activities to
the real adapter and bot, whose replies come back over HTTP to the app's own connector routes: the whole
Bot Framework round trip, with a fake answering engine.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, make_mocked_request
from conftest import Start

from handlers.channels.botframework.directline import (
    LOCAL_DIRECTLINE,
    MAX_ACTIVITY_BYTES,
    Conversation,
    ConversationsFull,
    LocalDirectLine,
    self_url,
)
from handlers.model.answer import Answer, Source
from handlers.model.context import Context
from handlers.understanding.analyser import MAX_QUESTION_CHARS
from handlers.wording import texts
from index.config import Config

pytestmark = pytest.mark.asyncio(loop_scope="session")

LOCAL = Config()  # no MicrosoftAppId and no DIRECTLINE_SECRET: the local Direct Line
SECURED = Config(app_id="00000000-0000-0000-0000-000000000001", app_password="pw", app_tenant_id="t")
DL = "/v3/directline"
ALMI = Source("almi-1", "Aktörer > Almi", 30, "Aktörer – Almi\nAlmi erbjuder lån.", 0.9)


class FakeQA:
    def answer(self, question: str, context: Context | None = None) -> Answer:
        return Answer(
            question=question,
            body=f"SVAR på: {question}",
            sources=[ALMI],
            suggestions=["Vad gör REKO?"],
        )


@pytest.fixture
async def bot(start: Start) -> TestClient:
    return await start(FakeQA, LOCAL)


class Session:
    """One Web Chat-like client of the local Direct Line."""

    def __init__(self, client: TestClient, conversation_id: str, token: str) -> None:
        self.client = client
        self.id = conversation_id
        self.token = token
        self.watermark = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def post(self, activity: dict[str, Any]) -> str:
        response = await self.client.post(
            f"{DL}/conversations/{self.id}/activities", json=activity, headers=self.auth
        )
        assert response.status == 200, await response.text()
        return (await response.json())["id"]

    async def say(self, text: str) -> str:
        return await self.post(
            {"type": "message", "text": text, "from": {"id": "web_user"}, "locale": "sv-SE"}
        )

    async def poll(self) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"{DL}/conversations/{self.id}/activities",
            params={"watermark": self.watermark},
            headers=self.auth,
        )
        assert response.status == 200, await response.text()
        body = await response.json()
        self.watermark = body["watermark"]
        return body["activities"]


async def open_session(client: TestClient) -> Session:
    response = await client.post(f"{DL}/conversations", json={"user": {"id": "web_user"}, "locale": "sv-SE"})
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["expires_in"] > 0
    return Session(client, body["conversationId"], body["token"])


def bot_messages(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in activities if a["type"] == "message" and a["from"]["role"] == "bot"]


# --- Local Direct Line -----------------------------------------------------------------------------------


async def test_message_round_trip_with_watermarks(bot: TestClient) -> None:
    session = await open_session(bot)
    assert session.id and len(session.token) >= 32

    question_id = await session.say("Vad gör Almi?")
    assert question_id == f"{session.id}|0000000"
    echo, answer = await session.poll()
    # Web Chat waits for its own activity to come back before it marks it as sent.
    assert echo["id"] == question_id and echo["text"] == "Vad gör Almi?"
    assert echo["from"] == {"id": "web_user", "role": "user"}
    assert echo["channelId"] == "webchat"
    assert answer["id"] == f"{session.id}|0000001"
    assert answer["text"] == "SVAR på: Vad gör Almi?\n\nKälla: Aktörer › Almi, s. 30"
    assert answer["textFormat"] == "markdown"
    assert answer["replyToId"] == question_id
    assert answer["from"]["role"] == "bot" and answer["recipient"]["id"] == "web_user"
    assert answer["suggestedActions"]["actions"][0]["value"] == "Vad gör REKO?"
    assert session.watermark == "2"
    assert await session.poll() == []  # nothing new after the watermark
    assert session.watermark == "2"

    await session.say("hjälp")
    echo, help_reply = await session.poll()
    assert help_reply["text"] == texts.SV.help
    assert session.watermark == "4"


def spy_on_the_bot(client: TestClient) -> list[Any]:
    """The activities the bot's turns get, from now on."""
    seen: list[Any] = []
    local = client.app[LOCAL_DIRECTLINE]
    original = local.bot.on_turn

    async def spy(turn_context: Any) -> None:
        seen.append(turn_context.activity)
        await original(turn_context)

    local.bot.on_turn = spy  # type: ignore[method-assign]
    return seen


async def test_the_bot_gets_the_activity_like_from_direct_line(bot: TestClient) -> None:
    seen = spy_on_the_bot(bot)
    session = await open_session(bot)
    await session.say("Vad gör Almi?")
    [activity] = seen
    assert activity.channel_id == "webchat"
    assert activity.conversation.id == session.id
    # The bot's own connector side, behind the per-process secret.
    secret = bot.app[LOCAL_DIRECTLINE].connector_secret
    assert activity.service_url == f"http://127.0.0.1:{bot.port}/_connector/{secret}"
    assert activity.id == f"{session.id}|0000000"
    assert activity.recipient.role == "bot"


async def test_the_client_cannot_redirect_the_replies(bot: TestClient) -> None:
    session = await open_session(bot)
    await session.post(
        {
            "type": "message",
            "text": "Vad gör Almi?",
            "serviceUrl": "http://203.0.113.9/",
            "deliveryMode": "expectReplies",
            "conversation": {"id": "another"},
            "from": {"id": "web_user", "role": "bot"},
        }
    )
    echo, answer = await session.poll()
    assert echo["from"]["role"] == "user" and echo["conversation"]["id"] == session.id
    assert "serviceUrl" not in echo and "deliveryMode" not in echo
    assert answer["text"].startswith("SVAR på: Vad gör Almi?")


async def test_join_gets_the_welcome_once_and_is_not_forwarded(bot: TestClient) -> None:
    session = await open_session(bot)
    join = {
        "type": "event",
        "name": "webchat/join",
        "value": {"language": "sv-SE"},
        "from": {"id": "web_user"},
    }
    await session.post(join)
    activities = await session.poll()
    [welcome] = bot_messages(activities)
    assert welcome["text"] == texts.SV.welcome
    assert [a["value"] for a in welcome["suggestedActions"]["actions"]] == list(texts.EXAMPLES_SV)
    assert "entities" not in welcome  # no thumbs on the welcome
    await session.post(join)  # a page that resumes does not send join; if one does, no second welcome
    assert bot_messages(await session.poll()) == []


async def test_answers_carry_thumbs_and_feedback_is_recorded(
    bot: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    session = await open_session(bot)
    await session.say("Vad gör Almi?")
    [answer] = bot_messages(await session.poll())
    [entity] = answer["entities"]
    assert entity["type"] == "https://schema.org/Message" and entity["@id"] == ""
    like, dislike = entity["potentialAction"]
    assert (like["@type"], dislike["@type"]) == ("LikeAction", "DislikeAction")
    assert like["object"]["@id"] == answer["id"]

    # What Web Chat 4.18 posts when the thumbs-down is pressed.
    seen = spy_on_the_bot(bot)
    with caplog.at_level(logging.INFO, logger="kompetensbot.feedback"):
        await session.post(
            {"type": "event", "name": "webchat:activity-status/feedback", "entities": [dislike]}
        )
    [record] = bot.app[LOCAL_DIRECTLINE].feedback
    assert record["reaction"] == "dislike"
    assert record["activityId"] == answer["id"]
    assert record["question"] == "Vad gör Almi?"
    assert record["answer"].startswith("SVAR på: Vad gör Almi?")
    assert "dislike" in caplog.text and "Vad gör Almi?" not in caplog.text  # no message text in logs
    # The bot gets it the way Teams sends feedback.
    [invoke] = seen
    assert (invoke.type, invoke.name) == ("invoke", "message/submitAction")
    assert invoke.reply_to_id == answer["id"]
    assert invoke.value == {"actionName": "feedback", "actionValue": {"reaction": "dislike", "feedback": ""}}
    assert bot_messages(await session.poll()) == []  # not forwarded to the bot, nothing said back


async def test_fixed_texts_get_no_thumbs(bot: TestClient) -> None:
    session = await open_session(bot)
    await session.say("hjälp")
    await session.say("")
    replies = bot_messages(await session.poll())
    assert [r["text"] for r in replies] == [texts.SV.help, texts.SV.empty_prompt]
    assert all("entities" not in r for r in replies)


async def test_token_refresh_and_resume(bot: TestClient) -> None:
    session = await open_session(bot)
    await session.say("Vad gör Almi?")
    response = await bot.post(f"{DL}/tokens/refresh", headers=session.auth)
    assert response.status == 200
    refreshed = await response.json()
    assert refreshed["conversationId"] == session.id and refreshed["token"] == session.token
    # A reloaded page: reconnect with the stored token, then read the history from the start.
    response = await bot.get(
        f"{DL}/conversations/{session.id}", params={"watermark": ""}, headers=session.auth
    )
    assert response.status == 200
    assert (await response.json())["conversationId"] == session.id
    resumed = Session(bot, session.id, session.token)
    assert [a["text"] for a in await resumed.poll()][0] == "Vad gör Almi?"
    # Starting a conversation with a token gives that token's conversation.
    response = await bot.post(f"{DL}/conversations", headers=session.auth)
    assert (await response.json())["conversationId"] == session.id


async def test_wrong_or_missing_token_is_403(bot: TestClient) -> None:
    session = await open_session(bot)
    other = await open_session(bot)
    url = f"{DL}/conversations/{session.id}"
    for headers in ({}, {"Authorization": "Bearer nope"}, other.auth, {"Authorization": session.token}):
        assert (await bot.get(url, headers=headers)).status == 403
        assert (await bot.get(url + "/activities", headers=headers)).status == 403
        response = await bot.post(url + "/activities", json={"type": "message", "text": "x"}, headers=headers)
        assert response.status == 403
    assert (await bot.post(f"{DL}/tokens/refresh", headers={"Authorization": "Bearer nope"})).status == 403
    assert (await bot.post(f"{DL}/conversations", headers={"Authorization": "Bearer nope"})).status == 403
    assert await session.poll() == []  # nothing got in


async def test_unknown_conversation_is_404(bot: TestClient) -> None:
    session = await open_session(bot)
    assert (await bot.get(f"{DL}/conversations/nosuch", headers=session.auth)).status == 404
    assert (await bot.get(f"{DL}/conversations/nosuch/activities", headers=session.auth)).status == 404
    secret = bot.app[LOCAL_DIRECTLINE].connector_secret
    response = await bot.post(
        f"/_connector/{secret}/v3/conversations/nosuch/activities", json={"type": "message", "text": "x"}
    )
    assert response.status == 404


@pytest.mark.parametrize(
    "body",
    [
        b'{"type": "message",',
        b"[1, 2]",
        b'"text"',
        b"{}",
        b'{"type": ""}',
        b'{"type": "message", "from": "u"}',
    ],
    ids=["malformed", "array", "string", "no-type", "empty-type", "from-not-object"],
)
async def test_bad_activity_is_400(bot: TestClient, body: bytes) -> None:
    session = await open_session(bot)
    response = await bot.post(
        f"{DL}/conversations/{session.id}/activities",
        data=body,
        headers={**session.auth, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert "message" in (await response.json())["error"]
    assert await session.poll() == []


@pytest.mark.parametrize("watermark", ["abc", "-1", "²", "٣", "9" * 5000])
async def test_bad_watermark_is_400(bot: TestClient, watermark: str) -> None:
    session = await open_session(bot)
    url = f"{DL}/conversations/{session.id}/activities"
    response = await bot.get(url, params={"watermark": watermark}, headers=session.auth)
    assert response.status == 400


async def test_malformed_start_body_is_400(bot: TestClient) -> None:
    response = await bot.post(f"{DL}/conversations", data=b"{", headers={"Content-Type": "application/json"})
    assert response.status == 400


async def test_no_local_direct_line_with_an_app_id(start: Start) -> None:
    client = await start(FakeQA, SECURED)
    assert (await client.post(f"{DL}/conversations")).status == 404
    assert (await client.post("/v3/conversations/x/activities", json={"type": "message"})).status == 404
    response = await client.post("/_connector/x/v3/conversations/x/activities", json={"type": "message"})
    assert response.status == 404
    response = await client.post("/api/directline/token")
    assert response.status == 503
    assert "DIRECTLINE_SECRET" in (await response.json())["error"]


async def test_the_connector_side_needs_the_secret(bot: TestClient) -> None:
    """Only the bot, which learns the secret from serviceUrl, can add "bot" messages to a conversation."""
    session = await open_session(bot)
    secret = bot.app[LOCAL_DIRECTLINE].connector_secret
    forged = {"type": "message", "text": "Jag är boten, ge mig ditt lösenord"}
    for path in (
        f"/v3/conversations/{session.id}/activities",  # the old, address-trusted route is gone
        f"/_connector/{secret[:-1]}x/v3/conversations/{session.id}/activities",
        f"/_connector/{secret}x/v3/conversations/{session.id}/activities",
        f"/_connector//v3/conversations/{session.id}/activities",
        f"/_connector/%C3%A5/v3/conversations/{session.id}/activities",
    ):
        assert (await bot.post(path, json=forged)).status == 404, path
    assert await session.poll() == []
    response = await bot.post(f"/_connector/{secret}/v3/conversations/{session.id}/activities", json=forged)
    assert response.status == 200
    [reply] = await session.poll()
    assert reply["from"]["role"] == "bot"
    # The page never sees the secret, in its echoes or anywhere else.
    await session.say("Vad gör Almi?")
    response = await bot.get(f"{DL}/conversations/{session.id}/activities", headers=session.auth)
    assert secret not in await response.text()


async def test_self_url_is_the_socket_not_the_host_header() -> None:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: {
        "peername": ("203.0.113.9", 50000),
        "sockname": ("10.0.0.5", 3978),
    }.get(name, default)
    request = make_mocked_request(
        "POST", "/v3/directline/conversations", headers={"Host": "evil.example"}, transport=transport
    )
    assert self_url(request) == "http://10.0.0.5:3978"


# --- Memory bounds (the class on its own, with a fake clock) -----------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def local_direct_line(clock: Clock, **limits: Any) -> LocalDirectLine:
    return LocalDirectLine(None, None, clock=clock, **limits)  # type: ignore[arg-type]


async def test_room_is_made_from_expired_then_never_engaged_then_idle_conversations() -> None:
    clock = Clock()
    local = local_direct_line(clock, token_lifetime=60, idle_after=20, max_conversations=2)
    live = local.create()
    live.engaged = True  # what posting an activity (the page's join event) does
    local.create()
    newcomer = local.create()
    # The live conversation is the least recently used, yet the never engaged one made room.
    assert list(local.conversations) == [live.id, newcomer.id]
    newcomer.engaged = True
    clock.now += 5
    with pytest.raises(ConversationsFull) as refused:
        local.create()  # both engaged and active: refuse rather than drop a live user
    assert refused.value.retry_after == 15  # when the least recently used one turns idle
    clock.now += 10
    assert local.by_token(newcomer.token) is newcomer  # polled: now the most recent
    clock.now += 6
    third = local.create()  # live is idle now (21 s untouched), newcomer is not
    assert list(local.conversations) == [newcomer.id, third.id]
    assert local.by_token(live.token) is None
    clock.now += 61
    assert local.by_token(newcomer.token) is None and local.conversations == {}


async def test_a_conversation_keeps_its_newest_bytes_and_watermarks_go_on() -> None:
    conversation = Conversation(id="c", token="t", expires_at=0, max_bytes=400)
    ids = [conversation.append({"type": "message", "text": str(n) * 50}) for n in range(5)]
    assert ids[-1] == "c|0000004"
    kept = [json.loads(a)["text"][0] for a in conversation.since(0)]
    assert kept == ["3", "4"] and conversation.bytes <= 400
    assert conversation.bytes == sum(len(a) for a in conversation.since(0))
    assert [json.loads(a)["text"][0] for a in conversation.since(4)] == ["4"]
    assert conversation.since(5) == [] and conversation.watermark == 5
    assert conversation.find("c|0000004")["text"] == "4" * 50  # type: ignore[index]
    assert conversation.find("c|0000001") is None and conversation.find("other|0000004") is None
    conversation.append({"type": "message", "text": "x" * 1000})  # larger than the cap: kept alone
    assert len(conversation.since(0)) == 1


async def test_the_total_drops_idle_conversations_then_trims_the_largest_history() -> None:
    clock = Clock()
    local = local_direct_line(clock, idle_after=20, max_bytes=10_000, max_total_bytes=3_000)
    idle, big, small = local.create(), local.create(), local.create()
    for conversation, count in ((idle, 2), (big, 8), (small, 2)):
        for _ in range(count):
            local.store(conversation, {"type": "message", "text": "x" * 150})
    assert local.total_bytes <= 3_000 and len(big.since(0)) < 8  # nothing idle yet: the largest gave
    assert set(local.conversations) == {idle.id, big.id, small.id}
    clock.now += 10
    local.by_token(big.token), local.by_token(small.token)
    clock.now += 15  # idle is 25 s untouched, the others 15 s
    local.store(small, {"type": "message", "text": "x" * 1000})
    assert set(local.conversations) == {big.id, small.id}  # the idle one went first
    assert local.total_bytes == big.bytes + small.bytes <= 3_000


# --- Abuse limits over HTTP -----------------------------------------------------------------------------


def behind_proxy(**limits: str) -> Config:
    """Local mode behind one trusted proxy, so that X-Forwarded-For tells the test's clients apart."""
    return replace(LOCAL, forwarded_hops=1, **limits)


def client(address: str, **headers: str) -> dict[str, str]:
    return {"X-Forwarded-For": address, **headers}


async def assert_limited(response: ClientResponse) -> None:
    assert response.status == 429, await response.text()
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "försök igen" in str(await response.json()).lower()


async def test_a_client_over_its_limit_gets_429_and_others_do_not(start: Start) -> None:
    bot = await start(FakeQA, behind_proxy(rate_limit_client="5/minute"))
    response = await bot.post(f"{DL}/conversations", headers=client("203.0.113.1"))
    body = await response.json()
    session = Session(bot, body["conversationId"], body["token"])
    url = f"{DL}/conversations/{session.id}"
    for _ in range(4):
        assert (await bot.get(url, headers=client("203.0.113.1", **session.auth))).status == 200
    await assert_limited(await bot.get(url, headers=client("203.0.113.1", **session.auth)))
    await assert_limited(await bot.post(f"{DL}/tokens/refresh", headers=client("203.0.113.1")))
    await assert_limited(await bot.post("/api/directline/token", headers=client("203.0.113.1")))
    await assert_limited(await bot.get(url + "/activities", headers=client("203.0.113.1")))  # no token
    # Another address is served; and the page's polls go on (directlinejs would stop polling after a 429).
    assert (await bot.get(url, headers=client("198.51.100.7", **session.auth))).status == 200
    for _ in range(10):
        response = await bot.get(url + "/activities", headers=client("203.0.113.1", **session.auth))
        assert response.status == 200


async def test_new_sessions_are_limited_per_client(start: Start) -> None:
    bot = await start(FakeQA, behind_proxy(rate_limit_token="2/minute"))
    first = await bot.post("/api/directline/token", headers=client("203.0.113.1"))
    assert first.status == 200
    assert (await bot.post(f"{DL}/conversations", headers=client("203.0.113.1"))).status == 201
    await assert_limited(await bot.post("/api/directline/token", headers=client("203.0.113.1")))
    await assert_limited(await bot.post(f"{DL}/conversations", headers=client("203.0.113.1")))
    assert (await bot.post("/api/directline/token", headers=client("203.0.113.2"))).status == 200
    # What Web Chat does with its token is not a new session.
    auth = {"Authorization": f"Bearer {(await first.json())['token']}"}
    assert (await bot.post(f"{DL}/conversations", headers=client("203.0.113.1", **auth))).status == 200


async def test_activities_are_limited_per_conversation(start: Start) -> None:
    bot = await start(FakeQA, replace(LOCAL, rate_limit_conversation="3/minute"))
    session, other = await open_session(bot), await open_session(bot)
    for n in range(3):
        await session.say(f"fråga {n}")
    url = f"{DL}/conversations/{session.id}/activities"
    await assert_limited(await bot.post(url, json={"type": "message", "text": "x"}, headers=session.auth))
    await other.say("Vad gör Almi?")  # same client, another conversation
    assert len(bot_messages(await session.poll())) == 3  # polling goes on


async def test_polls_are_limited_per_conversation(bot: TestClient) -> None:
    session, other = await open_session(bot), await open_session(bot)
    url = f"{DL}/conversations/{session.id}/activities"
    statuses = [(await bot.get(url, headers=session.auth)).status for _ in range(121)]
    assert statuses == [200] * 120 + [429]  # POLL_RATE: twice what Web Chat does
    assert await other.poll() == []


async def test_posted_activities_and_stored_text_are_capped(bot: TestClient) -> None:
    session = await open_session(bot)
    url = f"{DL}/conversations/{session.id}/activities"
    huge = {"type": "message", "text": "x" * MAX_ACTIVITY_BYTES}
    assert (await bot.post(url, json=huge, headers=session.auth)).status == 413
    seen = spy_on_the_bot(bot)
    await session.say("å" * 5000)
    assert len(seen[0].text) == 5000  # the bot gets it whole, so it can say it read only the start
    echo = (await session.poll())[0]
    assert echo["text"] == "å" * MAX_QUESTION_CHARS


async def test_engaged_active_conversations_are_not_dropped_for_new_ones(bot: TestClient) -> None:
    local = bot.app[LOCAL_DIRECTLINE]
    local.max_conversations = 3
    sessions = [await open_session(bot) for _ in range(3)]
    for session in sessions:
        await session.post({"type": "event", "name": "webchat/join", "from": {"id": "web_user"}})
    for response in (
        await bot.post(f"{DL}/conversations"),
        await bot.post("/api/directline/token"),
    ):
        assert response.status == 429
        assert 1 <= int(response.headers["Retry-After"]) <= 300
        assert "för många samtal" in str(await response.json())
    for session in sessions:
        assert len(bot_messages(await session.poll())) == 1  # the welcome; all three still there


async def test_a_flood_of_new_conversations_leaves_a_live_chat_working(start: Start) -> None:
    """10,000 new conversations from 2,000 addresses (5 each, within the limits) through both routes,
    2,000 between two polls of the page (the attack test made 1,000 in 0.2 s; Web Chat polls every second):
    dropping the least recently used conversation would drop the page's."""
    bot = await start(FakeQA, behind_proxy())
    live = await open_session(bot)
    await live.post({"type": "event", "name": "webchat/join", "from": {"id": "web_user"}})
    assert len(bot_messages(await live.poll())) == 1

    async def new_conversation(n: int) -> int:
        headers = client(f"10.{n // 5 // 250}.{n // 5 % 250}.1")
        path = "/api/directline/token" if n % 2 else f"{DL}/conversations"
        async with bot.post(path, headers=headers) as response:
            return response.status

    statuses: Counter[int] = Counter()
    for batch in range(0, 10_000, 100):
        statuses.update(await asyncio.gather(*(new_conversation(n) for n in range(batch, batch + 100))))
        if (batch + 100) % 2000 == 0:
            assert await live.poll() == []
    assert statuses == {200: 5000, 201: 5000}  # room made from never engaged ones, none refused
    local = bot.app[LOCAL_DIRECTLINE]
    assert live.id in local.conversations and len(local.conversations) == local.max_conversations
    await live.say("Vad gör Almi?")
    [answer] = bot_messages(await live.poll())
    assert answer["text"].startswith("SVAR på: Vad gör Almi?")


# --- The token endpoint ---------------------------------------------------------------------------------


class FakeDirectLine:
    """Azure Direct Line's token endpoint, on loopback."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[tuple[dict[str, str], Any]] = []
        app = web.Application()
        app.router.add_post("/v3/directline/tokens/generate", self._generate)
        self._runner = web.AppRunner(app, access_log=None)
        self.url = ""

    async def _generate(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.json()))
        if self.status != 200:
            return web.json_response({"error": {"code": "BadArgument"}}, status=self.status)
        return web.json_response({"conversationId": "AZ-conv-1", "token": "AZ-token", "expires_in": 3600})

    async def __aenter__(self) -> FakeDirectLine:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/v3/directline"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()


SECRET = "s3cr3t-direct-line-secret-value"


@pytest.mark.parametrize("config", [LOCAL, SECURED], ids=["local-mode", "with-app-id"])
async def test_token_endpoint_exchanges_the_secret(start: Start, config: Config) -> None:
    async with FakeDirectLine() as fake:
        client = await start(FakeQA, replace(config, directline_secret=SECRET, directline_url=fake.url))
        response = await client.post("/api/directline/token")
        text = await response.text()
        assert response.status == 200, text
        assert SECRET not in text
        assert response.headers["Cache-Control"] == "no-store"
        body = await response.json()
        assert body == {
            "token": "AZ-token",
            "conversationId": "AZ-conv-1",
            "expires_in": 3600,
            "domain": fake.url,
        }
        [(headers, sent)] = fake.requests
        assert headers["Authorization"] == f"Bearer {SECRET}"
        assert sent["user"]["id"].startswith("dl_")
        # The page itself never mentions the secret either.
        assert SECRET not in await (await client.get("/chat")).text()


async def test_token_endpoint_when_direct_line_refuses(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeDirectLine(status=403) as fake:
        client = await start(FakeQA, replace(LOCAL, directline_secret=SECRET, directline_url=fake.url))
        with caplog.at_level(logging.ERROR):
            response = await client.post("/api/directline/token")
        assert response.status == 502
        assert SECRET not in await response.text()
        assert SECRET not in caplog.text


async def test_token_endpoint_when_direct_line_is_down(start: Start) -> None:
    client = await start(
        FakeQA, replace(LOCAL, directline_secret=SECRET, directline_url="http://127.0.0.1:9/v3/directline")
    )
    response = await client.post("/api/directline/token")
    assert response.status == 502
    assert SECRET not in await response.text()


async def test_token_endpoint_without_secret_gives_a_local_conversation(bot: TestClient) -> None:
    response = await bot.post("/api/directline/token")
    assert response.status == 200
    body = await response.json()
    assert body["domain"] == "v3/directline"  # relative to the page
    assert body["userId"].startswith("web_")
    session = Session(bot, body["conversationId"], body["token"])
    # What Web Chat does with it: start (gets the same conversation), then talk.
    response = await bot.post(f"{DL}/conversations", headers=session.auth)
    assert (await response.json())["conversationId"] == session.id
    await session.say("Vad gör Almi?")
    assert bot_messages(await session.poll())[0]["text"].startswith("SVAR på: Vad gör Almi?")


# --- The page ---------------------------------------------------------------------------------------------

BUNDLE = LOCAL.webchat_dir / "node_modules" / "botframework-webchat" / "dist" / "webchat.js"
needs_bundle = pytest.mark.skipif(
    not BUNDLE.is_file(), reason="Web Chat bundle not installed (npm ci --prefix deploy/webchat)"
)


@needs_bundle
async def test_chat_page_and_its_files(bot: TestClient) -> None:
    response = await bot.get("/chat")
    assert response.status == 200
    html = await response.text()
    assert '<html lang="sv">' in html
    assert "<h1>Kompetensbot</h1>" in html and "<title>Kompetensbot" in html
    assert 'src="chat/static/webchat.js"' in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    response = await bot.get("/chat/static/webchat.js", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(await response.read()) == BUNDLE.stat().st_size  # the client unzips
    etag = response.headers["ETag"]
    again = await bot.get(
        "/chat/static/webchat.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status == 304
    for name in ("kompetensbot.js", "kompetensbot.css"):
        assert (await bot.get(f"/chat/static/{name}")).status == 200
    assert (await bot.get("/chat/static/../../pyproject.toml")).status == 404
    assert (await bot.get("/chat/static/package.json")).status == 404
    response = await bot.get("/chat/", allow_redirects=False)
    assert response.status == 302


async def test_chat_without_the_bundle_says_how_to_install_it(start: Start, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html></html>")
    client = await start(FakeQA, replace(LOCAL, webchat_dir=tmp_path))
    response = await client.get("/chat")
    assert response.status == 503
    text = await response.text()
    assert "npm ci --prefix deploy/webchat" in text
    assert "inte installerad" in text
    assert response.content_type == "text/html"
    response = await client.get("/chat/static/webchat.js")
    assert response.status == 503
