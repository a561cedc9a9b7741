"""The web chat's server side over the real app: local Direct Line 3.0, the token endpoint, the /chat page.

Each test starts create_app() on a free loopback port. The local Direct Line hands the user's activities to
the real adapter and bot, whose replies come back over HTTP to the app's own connector routes: the whole
Bot Framework round trip, with a fake answering engine.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request
from conftest import Start

from handlers import messages
from handlers.answer_types import Answer, Source
from handlers.botframework.directline import (
    LOCAL_DIRECTLINE,
    Conversation,
    LocalDirectLine,
    _from_this_host,
    self_url,
)
from handlers.dialogue import Context
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
    assert help_reply["text"] == messages.HELP
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
    assert activity.service_url == f"http://127.0.0.1:{bot.port}"  # the bot's own connector side
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
    assert echo["serviceUrl"] == f"http://127.0.0.1:{bot.port}" and "deliveryMode" not in echo
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
    assert welcome["text"] == messages.WELCOME
    assert [a["value"] for a in welcome["suggestedActions"]["actions"]] == list(messages.EXAMPLES_SV)
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
    assert "dislike" in caplog.text and "Vad gör Almi?" in caplog.text
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
    assert [r["text"] for r in replies] == [messages.HELP, messages.EMPTY_PROMPT]
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
    response = await bot.post("/v3/conversations/nosuch/activities", json={"type": "message", "text": "x"})
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


async def test_bad_watermark_is_400(bot: TestClient) -> None:
    session = await open_session(bot)
    url = f"{DL}/conversations/{session.id}/activities?watermark=abc"
    assert (await bot.get(url, headers=session.auth)).status == 400


async def test_malformed_start_body_is_400(bot: TestClient) -> None:
    response = await bot.post(f"{DL}/conversations", data=b"{", headers={"Content-Type": "application/json"})
    assert response.status == 400


async def test_no_local_direct_line_with_an_app_id(start: Start) -> None:
    client = await start(FakeQA, SECURED)
    assert (await client.post(f"{DL}/conversations")).status == 404
    assert (await client.post("/v3/conversations/x/activities", json={"type": "message"})).status == 404
    response = await client.post("/api/directline/token")
    assert response.status == 503
    assert "DIRECTLINE_SECRET" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [("127.0.0.1", True), ("::1", True), ("10.0.0.5", True), ("203.0.113.9", False), ("10.0.0.6", False)],
)
async def test_connector_side_accepts_only_this_host(peer: str, allowed: bool) -> None:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: {
        "peername": (peer, 50000),
        "sockname": ("10.0.0.5", 3978),
    }.get(name, default)
    request = make_mocked_request("POST", "/v3/conversations/c/activities", transport=transport)
    assert _from_this_host(request) is allowed
    assert self_url(request) == "http://10.0.0.5:3978"


# --- Memory bounds (the class on its own, with a fake clock) -----------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_conversations_are_capped_and_expire() -> None:
    clock = Clock()
    local = LocalDirectLine(None, None, token_lifetime=60, max_conversations=2, clock=clock)  # type: ignore[arg-type]
    first, second = local.create(), local.create()
    clock.now += 30
    assert local.by_token(first.token) is first  # used: now the most recent
    third = local.create()
    assert set(local.conversations) == {first.id, third.id}  # second, least recently used, went
    assert local.by_token(second.token) is None
    clock.now += 61
    assert local.by_token(first.token) is None and local.conversations == {}


async def test_activities_are_capped_and_watermarks_go_on() -> None:
    conversation = Conversation(id="c", token="t", expires_at=0, max_activities=3)
    ids = [conversation.append({"type": "message", "text": str(n)}) for n in range(5)]
    assert ids[-1] == "c|0000004"
    assert [a["text"] for a in conversation.since(0)] == ["2", "3", "4"]
    assert [a["text"] for a in conversation.since(4)] == ["4"]
    assert conversation.since(5) == [] and conversation.watermark == 5


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
