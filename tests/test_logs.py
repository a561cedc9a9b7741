"""Log output: JSON lines, hashed ids, and a run with personal data in questions and feedback logging none."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from conftest import Start
from connector import FakeConnector

from handlers.channels.botframework.app import BOT
from handlers.model.answer import Answer, Source
from handlers.model.context import Context
from handlers.operations import logs
from index.config import Config

session_loop = pytest.mark.asyncio(loop_scope="session")

ALMI = Source("almi-1", "Aktörer > Almi", 30, "Aktörer – Almi\nAlmi erbjuder lån.", 0.9)


class Output:
    """What logs.setup() writes, while a test runs; the root logger restored afterwards."""

    def __init__(self, log_format: str) -> None:
        self.stream = io.StringIO()
        self.handler = logs.setup(replace(Config(), log_format=log_format), self.stream)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]


@pytest.fixture
def output() -> Iterator[Any]:
    root = logging.getLogger()
    level, handlers, salt = root.level, list(root.handlers), logs._salt
    made: list[Output] = []

    def make(log_format: str = "json") -> Output:
        made.append(Output(log_format))
        return made[-1]

    yield make
    root.handlers[:] = handlers
    root.setLevel(level)
    logs.set_salt(salt)


# --- Formats ------------------------------------------------------------------------------------------------


def test_json_lines(output: Any) -> None:
    out = output("json")
    log = logging.getLogger("kompetensbot.test")
    log.info("Answered %s in %.1f ms", "partial", 12.34, extra={"channel": "msteams", "latency_ms": 12.3})
    log.debug("not at INFO")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("Turn failed")
    first, second = out.json_lines()
    assert first["message"] == "Answered partial in 12.3 ms"
    assert (first["level"], first["logger"]) == ("INFO", "kompetensbot.test")
    assert (first["channel"], first["latency_ms"]) == ("msteams", 12.3)
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert set(first) == {"time", "level", "logger", "message", "channel", "latency_ms"}
    assert second["level"] == "ERROR" and "RuntimeError: boom" in second["exception"]


def test_text_lines_with_extras(output: Any) -> None:
    out = output("text")
    logging.getLogger("kompetensbot.test").warning("Slow reply", extra={"channel": "webchat"})
    [line] = out.text.splitlines()
    assert line.endswith(" WARNING kompetensbot.test: Slow reply channel=webchat")


def test_log_format_comes_from_the_environment() -> None:
    assert Config.from_env({"LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.formatter("xml")


def test_an_empty_setting_means_the_default_and_a_wrong_one_says_what_is_allowed() -> None:
    from index.config import ConfigError

    assert Config.from_env({"LOG_LEVEL": "", "LOG_FORMAT": "", "PORT": ""}) == Config.from_env({})
    assert Config.from_env({"LOG_LEVEL": "warning"}).log_level == "WARNING"
    with pytest.raises(ConfigError, match="LOG_LEVEL='LOUD'.*DEBUG, INFO, WARNING, ERROR, CRITICAL"):
        Config.from_env({"LOG_LEVEL": "LOUD"})
    with pytest.raises(ConfigError, match="PORT='abc'.*heltal"):
        Config.from_env({"PORT": "abc"})
    with pytest.raises(ConfigError, match="KOMPETENSBOT_STATE_TTL_HOURS"):
        Config.from_env({"KOMPETENSBOT_STATE_TTL_HOURS": "-1"})


def test_a_wrong_setting_stops_the_command_with_one_line(monkeypatch, capsys) -> None:
    import bot

    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    assert bot.main(["ask", "Vad gör Almi?"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "LOG_LEVEL" in err and "Traceback" not in err


def test_client_addresses_are_truncated_to_their_network() -> None:
    assert logs.truncate_address("203.0.113.77") == "203.0.113.0"
    assert logs.truncate_address("2001:db8:1:2::5") == "2001:db8:1::"
    assert logs.truncate_address(None) == logs.truncate_address("not an address") == "-"


@session_loop
async def test_the_access_log_when_asked_for_has_the_network_not_the_client(output: Any) -> None:
    assert Config.from_env({}).access_log is False
    assert Config.from_env({"KOMPETENSBOT_ACCESS_LOG": "1"}).access_log is True
    out = output("text")

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", ok)
    runner = web.AppRunner(app, access_log_class=logs.PrivateAccessLogger)  # as app.run() serves
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/healthz?who=me"
            await session.get(url, headers={"User-Agent": "Hemlig-Agent/1.0"})
    finally:
        await runner.cleanup()
    [line] = [line for line in out.text.splitlines() if "aiohttp.access" in line]
    assert '127.0.0.0 "GET /healthz" 200 ' in line
    assert "Hemlig" not in line and "who=me" not in line and "127.0.0.1" not in line


def test_setup_replaces_basic_config_and_keeps_other_handlers(output: Any) -> None:
    root = logging.getLogger()
    root.addHandler(logging.StreamHandler(io.StringIO()))  # what logging.basicConfig in bot.py installs
    capture = logging.NullHandler()  # e.g. a test's capture handler, a log shipper's
    root.addHandler(capture)
    first = output("json")
    second = output("json")  # twice: still one line per record
    logging.getLogger("kompetensbot.test").info("once")
    assert [h for h in root.handlers if type(h) is logging.StreamHandler] == [second.handler]
    assert capture in root.handlers
    assert first.text == "" and len(second.json_lines()) == 1


def test_ids_are_hashed(output: Any) -> None:
    out = output("json")
    logs.set_salt(b"the store's salt")
    logging.getLogger("kompetensbot.test").info(
        "Turn", extra={"conversation_id": "a:1personal", "user_id": "29:u"}
    )
    [line] = out.json_lines()
    assert line["conversation_id"] == logs.hash_id("a:1personal") != "a:1personal"
    assert line["user_id"] == logs.hash_id("29:u")
    assert logs.hash_id("a:1personal") == logs.hash_id("a:1personal") and logs.hash_id(None) == "-"


@session_loop
async def test_access_log_hashes_conversation_ids_in_paths(output: Any) -> None:
    out = output("json")

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/v3/directline/conversations/{id}/activities", ok)
    app.router.add_post("/_connector/{secret}/v3/conversations/{id}/activities/{activity}", ok)
    async with TestClient(TestServer(app)) as client:
        await client.get("/v3/directline/conversations/Hemlig-Konversation-1/activities?watermark=3")
        await client.post("/_connector/HemligNyckel/v3/conversations/Hemlig-Konversation-1/activities/x%7C01")
    polled, posted = [e for e in out.json_lines() if e["logger"] == "aiohttp.access"]
    hashed = logs.hash_id("Hemlig-Konversation-1")
    assert f"/conversations/{hashed}/activities?watermark=3" in polled["message"]
    assert f"/conversations/{hashed}/" in polled["first_request_line"]
    expected = f"/_connector/[secret]/v3/conversations/{hashed}/activities/{logs.hash_id('x%7C01')} "
    assert expected in posted["message"] and expected in posted["first_request_line"]
    assert "Hemlig" not in out.text


# --- A run with personal data -------------------------------------------------------------------------------

NAME, EMAIL, PHONE, PNR = "Anna Berg", "anna.berg@example.se", "070-123 45 67", "850714-1234"
QUESTION = f"Jag heter {NAME}, mejla {EMAIL}: vad gör Almi?"
COMMENT = f"Fel svar. Ring {PHONE}, mitt personnummer är {PNR}"
USER_NAME, USER_ID, AAD_ID = "Hemliga Användaren", "29:hemlig-användare", "0000aaaa-hemlig"
TEAMS_CONVERSATION = "a:hemlig-konversation"


class FakeQA:
    def answer(self, question: str, context: Context | None = None) -> Answer:
        return Answer(question=question, body="Almi erbjuder lån.", sources=[ALMI])


def teams_message(connector: FakeConnector, **fields: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "1",
        "text": QUESTION,
        "from": {"id": USER_ID, "name": USER_NAME, "aadObjectId": AAD_ID},
        "recipient": {"id": "28:bot", "name": "Kompetensbot"},
        "conversation": {"id": TEAMS_CONVERSATION, "conversationType": "personal"},
        "channelId": "msteams",
        "serviceUrl": connector.url,
        "locale": "sv-SE",
        **fields,
    }


async def web_chat_feedback(client: TestClient) -> str:
    """A question and a thumbs-down through the local Direct Line, as Web Chat sends them; returns the
    conversation id."""
    dl = "/v3/directline/conversations"
    opened = await (await client.post(dl, json={"user": {"id": USER_ID, "name": USER_NAME}})).json()
    conversation, auth = opened["conversationId"], {"Authorization": f"Bearer {opened['token']}"}
    user = {"id": USER_ID, "name": USER_NAME}
    said = await client.post(f"{dl}/{conversation}/activities", headers=auth, json={
        "type": "message", "text": QUESTION, "from": user,
    })  # fmt: skip
    assert said.status == 200, await said.text()
    polled = await client.get(f"{dl}/{conversation}/activities", headers=auth)
    activities = (await polled.json())["activities"]
    [answer] = [a for a in activities if a["from"]["role"] == "bot" and a.get("entities")]
    dislike = answer["entities"][-1]["potentialAction"][1]
    rated = await client.post(f"{dl}/{conversation}/activities", headers=auth, json={
        "type": "event", "name": "webchat:activity-status/feedback", "entities": [dislike], "from": user,
    })  # fmt: skip
    assert rated.status == 200, await rated.text()
    return conversation


@session_loop
async def test_personal_data_reaches_neither_the_log_nor_the_store(
    output: Any, start: Start, connector: FakeConnector, tmp_path: Path
) -> None:
    out = output("json")
    client = await start(FakeQA)  # the app opens its feedback store and hashes log ids with its salt
    store = client.app[BOT].feedback_log.store

    assert (await client.post("/api/messages", json=teams_message(connector))).status < 300
    await connector.replies(1)
    invoke = teams_message(
        connector,
        type="invoke",
        id="2",
        text=None,
        name="message/submitAction",
        replyToId="reply-1",
        value={"actionName": "feedback", "actionValue": {"reaction": "dislike", "feedback": COMMENT}},
    )
    assert (await client.post("/api/messages", json=invoke)).status == 200
    web_conversation = await web_chat_feedback(client)

    # The log: the reactions, with hashed conversation ids, and nothing anyone wrote or is called.
    lines = out.json_lines()
    feedback = [line for line in lines if line["message"] == "Feedback dislike"]
    assert {line["conversation"] for line in feedback} == {
        logs.hash_id(TEAMS_CONVERSATION),
        logs.hash_id(web_conversation),
    }
    assert any(line["logger"] == "aiohttp.access" for line in lines)  # requests were logged, ids hashed
    connector_lines = [line["message"] for line in lines if "/_connector/" in line["message"]]
    assert all("/_connector/[secret]/" in line for line in connector_lines)
    for secret in (NAME, EMAIL, PHONE, PNR, "vad gör Almi", "Fel svar", USER_NAME, USER_ID, AAD_ID,
                   TEAMS_CONVERSATION, web_conversation, "Almi erbjuder"):  # fmt: skip
        assert secret not in out.text, secret

    # The store: both reactions, scrubbed, with the same hashes as the log.
    teams_row, web_row = store.entries()
    assert (teams_row.channel, web_row.channel) == ("msteams", "webchat")
    assert teams_row.question == web_row.question == "Jag heter [namn], mejla [e-post]: vad gör Almi?"
    assert teams_row.comment == "Fel svar. Ring [telefon], mitt personnummer är [personnummer]"
    assert teams_row.sections == web_row.sections == ("Aktörer > Almi",)
    assert teams_row.conversation == logs.hash_id(TEAMS_CONVERSATION)
    assert web_row.conversation == logs.hash_id(web_conversation)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_tracebacks_do_not_name_conversations(log_format: str) -> None:
    """requests puts the URL into its errors: a failed reply's traceback named the conversation."""
    formatter = logs.formatter(log_format)
    try:
        raise ConnectionError("Max retries exceeded with url: /v3/conversations/a:1Bcd-conv/activities/7")
    except ConnectionError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "Turn failed", None, sys.exc_info())
    text = formatter.format(record)
    assert "a:1Bcd-conv" not in text
    assert "/v3/conversations/" in text
