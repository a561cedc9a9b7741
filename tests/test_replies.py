"""/api/messages against callers and channels that misbehave: slow or failing reply endpoints, deliveryMode
expectReplies, invokes the bot does not handle, floods, slow bodies, and the headers every response carries.
The real app (create_app) on loopback, the channel played by tests/connector.py."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from aiohttp.test_utils import TestClient
from conftest import Start
from connector import FakeConnector
from test_server_e2e import FakeQA, emulator_activity

from handlers.channels.botframework import app as app_module
from handlers.channels.botframework.app import BOT, check_exposure
from index.config import Config

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_slow_channel_costs_only_its_own_conversation(start: Start, connector: FakeConnector) -> None:
    bot = await start(FakeQA)
    async with FakeConnector(delay=3.0) as slow:
        stuck = [
            asyncio.create_task(
                bot.post(
                    "/api/messages",
                    json=emulator_activity(slow, "Vad gör Almi?", conversation={"id": f"s{i}"}),
                )
            )
            for i in range(8)  # more than the default executor's threads on a 2-core machine
        ]
        await asyncio.sleep(0.2)  # the slow replies are on their way
        started = time.perf_counter()
        response = await bot.post("/api/messages", json=emulator_activity(connector, "Vad gör REKO?"))
        [reply] = await connector.replies(1)
        waited = time.perf_counter() - started
        assert response.status == 201 and reply["text"] == "SVAR på: Vad gör REKO?"
        assert waited < 1.0, f"another conversation's slow channel delayed this answer by {waited:.2f} s"
        assert [r.status for r in await asyncio.gather(*stuck)] == [201] * 8


async def test_a_channel_that_fails_gets_a_failure_status(start: Start) -> None:
    bot = await start(FakeQA)
    async with FakeConnector(status=500) as failing:
        response = await bot.post("/api/messages", json=emulator_activity(failing, "Vad gör Almi?"))
    assert response.status == 502
    assert "error" in await response.json()


async def test_an_unreachable_channel_is_one_warning_line_and_a_502(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    """A serviceUrl nobody listens on: the request is answered 502 and counted, and the log has one WARNING
    line with the status and the host, no traceback (msrest and requests used to log 150 lines)."""
    from conftest import free_port

    bot = await start(FakeQA)
    gone = type("Gone", (), {"url": f"http://127.0.0.1:{free_port()}"})()
    caplog.clear()  # the app's start-up lines
    with caplog.at_level(logging.INFO):
        response = await bot.post("/api/messages", json=emulator_activity(gone, "Vad gör Almi?"))
    assert response.status == 502
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    host = gone.url.removeprefix("http://")
    expected = f"Svaret kunde inte levereras till kanalen: status inget svar, {host}"
    assert [r.getMessage() for r in lines] == [expected]
    assert not any(r.exc_info for r in caplog.records)
    text = await (await bot.get("/metrics")).text()
    assert 'kompetensbot_failed_replies_total{channel="emulator"} 1.0' in text


async def test_a_channel_that_refuses_is_one_warning_line_with_its_status(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await start(FakeQA)
    caplog.clear()
    async with FakeConnector(status=503) as refusing:
        with caplog.at_level(logging.INFO):
            response = await bot.post("/api/messages", json=emulator_activity(refusing, "Vad gör Almi?"))
    assert response.status == 502
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert line.startswith("Svaret kunde inte levereras till kanalen: status 503, 127.0.0.1:")


async def test_expect_replies_come_back_in_the_response_body(start: Start, connector: FakeConnector) -> None:
    bot = await start(FakeQA)
    activity = emulator_activity(connector, "Vad gör Almi?", deliveryMode="expectReplies")
    del activity["serviceUrl"]
    response = await bot.post("/api/messages", json=activity)
    assert response.status == 200
    body = await response.json()
    assert [a["text"] for a in body["activities"]] == ["SVAR på: Vad gör Almi?"]
    assert connector.received == []


@pytest.mark.parametrize(
    ("name", "value", "status"),
    [
        ("foo/bar", None, 400),
        (None, None, 400),
        ("composeExtension/query", {"commandId": "x"}, 400),
        ("adaptiveCard/action", {"action": {"type": "Action.Execute"}}, 400),
        ("signin/verifyState", {"state": "1"}, 400),
        ("signin/tokenExchange", {"id": "x", "connectionName": "c", "token": "t"}, 412),
        ("message/submitAction", {"actionName": "other"}, 400),
    ],
)
async def test_invokes_the_bot_does_not_handle_get_a_4xx_and_no_message(
    start: Start, connector: FakeConnector, name: str | None, value: object, status: int
) -> None:
    bot = await start(FakeQA)
    activity = emulator_activity(connector, None, type="invoke", channelId="msteams", name=name, value=value)
    response = await bot.post("/api/messages", json=activity)
    assert response.status == status
    assert connector.received == []  # no apology for an invoke


async def test_a_flood_from_one_client_is_limited_with_retry_after(
    start: Start, connector: FakeConnector
) -> None:
    bot = await start(
        FakeQA, config=Config(rate_limit_client="5/minute", rate_limit_conversation="100/minute")
    )
    statuses = []
    for i in range(8):
        activity = emulator_activity(connector, "Vad gör Almi?", conversation={"id": f"c{i}"})
        response = await bot.post("/api/messages", json=activity)
        statuses.append(response.status)
        if response.status == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert "försök igen" in (await response.json())["error"]
    assert statuses == [201] * 5 + [429] * 3


async def test_one_conversation_is_limited_too(start: Start, connector: FakeConnector) -> None:
    bot = await start(FakeQA, config=Config(rate_limit_conversation="3/minute"))
    statuses = [
        (await bot.post("/api/messages", json=emulator_activity(connector, "Vad gör Almi?"))).status
        for _ in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    other = emulator_activity(connector, "Vad gör Almi?", conversation={"id": "other"})
    assert (await bot.post("/api/messages", json=other)).status == 201


async def test_a_body_that_trickles_in_is_cut_off(start: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "BODY_TIMEOUT", 0.3)
    bot = await start(FakeQA)

    async def trickle():
        yield b'{"type": "message",'
        await asyncio.sleep(2.0)
        yield b"}"

    started = time.perf_counter()
    response = await bot.post("/api/messages", data=trickle(), headers={"Content-Type": "application/json"})
    assert response.status == 408
    assert time.perf_counter() - started < 1.5


async def test_every_response_carries_security_headers_and_no_version(bot_client: TestClient) -> None:
    for path in ("/healthz", "/chat", "/api/messages"):
        response = await bot_client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["Server"] == "Kompetensbot"


@pytest.fixture
async def bot_client(start: Start) -> TestClient:
    return await start(FakeQA)


async def test_without_an_app_id_the_server_only_listens_on_loopback() -> None:
    check_exposure(Config(host="127.0.0.1"))
    check_exposure(Config(host="0.0.0.0", app_id="x"))
    check_exposure(Config(host="0.0.0.0", allow_unauthenticated=True))
    with pytest.raises(SystemExit, match="KOMPETENSBOT_ALLOW_UNAUTHENTICATED"):
        check_exposure(Config(host="0.0.0.0"))


async def test_metrics_count_answers_lost_replies_refusals_and_the_index(
    start: Start, connector: FakeConnector
) -> None:
    bot = await start(FakeQA, config=Config(rate_limit_conversation="2/minute"))
    await bot.post("/api/messages", json=emulator_activity(connector, "Vad gör Almi?"))
    await bot.post("/api/messages", json=emulator_activity(connector, "Vad gör REKO?"))
    assert (await bot.post("/api/messages", json=emulator_activity(connector, "En till?"))).status == 429
    async with FakeConnector(status=500) as failing:
        lost = emulator_activity(failing, "Vad gör Almi?", conversation={"id": "lost"})
        assert (await bot.post("/api/messages", json=lost)).status == 502
    text = await (await bot.get("/metrics")).text()
    assert 'kompetensbot_answers_total{channel="emulator",outcome="answered"} 3.0' in text
    assert 'kompetensbot_failed_replies_total{channel="emulator"} 1.0' in text
    assert 'kompetensbot_rate_limited_requests_total{route="conversation"} 1.0' in text
    assert "kompetensbot_index_generation 1.0" in text
    assert "Almi" not in text


async def test_web_chat_thumbs_through_azure_direct_line_are_stored(
    start: Start, connector: FakeConnector
) -> None:
    """Through Azure Direct Line, Web Chat's thumbs reach the bot as an event naming the rated answer."""
    bot = await start(FakeQA)
    question = emulator_activity(connector, "Vad gör Almi?", channelId="webchat", conversation={"id": "dl1"})
    assert (await bot.post("/api/messages", json=question)).status == 201
    [reply] = await connector.replies(1)
    rated = f"reply-{len(connector.received)}"  # the id the fake connector gave the answer
    entity = {"type": "https://schema.org/LikeAction", "@type": "DislikeAction", "object": {"@id": rated}}
    event = emulator_activity(
        connector, None, type="event", name="webchat:activity-status/feedback", channelId="webchat",
        conversation={"id": "dl1"}, entities=[entity],
    )  # fmt: skip
    assert (await bot.post("/api/messages", json=event)).status == 201
    [stored] = bot.app[BOT].feedback_log.store.entries()
    assert (stored.reaction, stored.channel, stored.question) == ("dislike", "webchat", "Vad gör Almi?")
    assert reply["text"] == "SVAR på: Vad gör Almi?"


async def test_the_chat_page_may_be_framed_only_by_the_configured_site(start: Start) -> None:
    default = await start(FakeQA)
    assert "frame-ancestors 'self'" in (await default.get("/chat")).headers["Content-Security-Policy"]
    site = Config(frame_ancestors="https://www.regionorebrolan.se 'self'; script-src *")
    framed = await start(FakeQA, config=site)
    policy = (await framed.get("/chat")).headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors https://www.regionorebrolan.se")  # the injected part dropped


_CREDENTIALS: dict[str, object] = {}  # one credential factory per app, as one adapter has


def _connector_factory(app_id: str = "app-id"):
    from botframework.connector.auth import PasswordServiceClientCredentialFactory
    from botframework.connector.auth._connector_factory_impl import _ConnectorFactoryImpl

    credentials = _CREDENTIALS.setdefault(app_id, PasswordServiceClientCredentialFactory(app_id, "pw", "t"))
    return _ConnectorFactoryImpl(app_id, "https://api.botframework.com", "https://login", True, credentials)


async def test_a_channel_endpoint_keeps_its_connector_client_and_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """botbuilder builds a connector client, with new credentials (whose token cache is their own), for
    every turn; one is kept per endpoint and identity, so the token is fetched once, not once per reply."""
    from handlers.channels.botframework import replies

    monkeypatch.setattr(replies, "CLIENTS", replies._ConnectorClients(size=2))
    first = await replies._TimeoutConnectorFactory(_connector_factory()).create("https://smba.example/a/")
    again = await replies._TimeoutConnectorFactory(_connector_factory()).create("https://smba.example/a/")
    assert again is first and again.config.credentials is first.config.credentials
    assert isinstance(first.conversations, replies._Conversations)
    assert first.config.connection.timeout == (replies.CONNECT_TIMEOUT, replies.READ_TIMEOUT)
    other_bot = await replies._TimeoutConnectorFactory(_connector_factory("other")).create(
        "https://smba.example/a/"
    )
    other_place = await replies._TimeoutConnectorFactory(_connector_factory()).create(
        "https://smba.example/b/"
    )
    assert other_bot is not first and other_place is not first
    # Bounded: the least recently used endpoint went when a third came.
    third = await replies._TimeoutConnectorFactory(_connector_factory()).create("https://smba.example/a/")
    assert third is not first


async def test_the_user_token_client_is_built_only_when_used() -> None:
    from handlers.channels.botframework import replies

    built: list[str] = []

    class Real:
        async def get_token_status(self, user_id: str, channel_id: str, include_filter: str) -> list[str]:
            return [user_id, channel_id, include_filter]

    async def make() -> Real:
        built.append("built")
        return Real()

    client = replies._UserTokenClientOnDemand(make)
    assert built == []
    assert await client.get_token_status("u", "msteams", "") == ["u", "msteams", ""]
    assert await client.get_token_status("v", "msteams", "") == ["v", "msteams", ""]
    assert built == ["built"]
