"""The real HTTP server end to end: Emulator-style activities in, replies out through a fake Bot Connector.

Each test starts the app from create_app() on a free port, posts activities to /api/messages and reads the
bot's replies where a channel would get them: POSTed to the activity's serviceUrl (tests/connector.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

# The project is not installed into the venv; make `handlers`/`index` importable however pytest is started.
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from botbuilder.core import MemoryStorage
from conftest import Start
from connector import FakeConnector

from handlers.channels.botframework import create_app
from handlers.channels.botframework.app import MAX_BODY_BYTES, STATE
from handlers.model.answer import Answer
from handlers.model.context import Context
from handlers.wording import texts
from index.config import Config

# The servers are started by fixtures; tests must run on the same event loop as the fixtures.
pytestmark = pytest.mark.asyncio(loop_scope="session")

LOCAL = Config()  # no MicrosoftAppId: Emulator mode, no authentication


class FakeQA:
    """Answers instantly; a question containing "boom" raises, like a bug in the engine would."""

    def answer(self, question: str, context: Context | None = None) -> Answer:
        if "boom" in question:
            raise RuntimeError("simulated engine failure")
        return Answer(question=question, body=f"SVAR på: {question}")


class ContextQA:
    """Says which earlier question it was given as context, and leaves the question as the next context."""

    def answer(self, question: str, context: Context | None = None) -> Answer:
        earlier = context.question if context else "-"
        return Answer(
            question=question,
            body=f"SVAR på: {question} | efter: {earlier}",
            context=Context(question=question, topic=question),
        )


SUGGESTIONS = ["Vad gör REKO?", "Vad gör Almi?", "Hur kan insatser finansieras?", "Vad är YH?"]


class SuggestingQA:
    def answer(self, question: str, context: Context | None = None) -> Answer:
        return Answer(question=question, body=f"SVAR på: {question}", suggestions=list(SUGGESTIONS))


@pytest.fixture
async def bot(start: Start) -> TestClient:
    return await start(FakeQA)


async def wait_loaded(app: web.Application, timeout: float = 10.0) -> None:
    """Wait until the background loader has finished (succeeded or failed)."""
    assert await asyncio.to_thread(app[STATE].done.wait, timeout), "the QA loader did not finish"


def emulator_activity(connector: FakeConnector, text: str | None = "", **fields: Any) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": "message",
        "id": "1",
        "text": text,
        "from": {"id": "user1", "name": "User"},
        "recipient": {"id": "bot", "name": "Kompetensbot"},
        "conversation": {"id": "conv1"},
        "channelId": "emulator",
        "serviceUrl": connector.url,
        "locale": "sv-SE",
    }
    activity.update(fields)
    return activity


async def post(client: TestClient, activity: dict[str, Any]) -> ClientResponse:
    response = await client.post("/api/messages", json=activity)
    assert response.status < 300, await response.text()
    return response


async def ask(client: TestClient, connector: FakeConnector, text: str | None, **fields: Any) -> dict:
    """Post one message and return the single reply the connector got."""
    await post(client, emulator_activity(connector, text, **fields))
    [reply] = await connector.replies(1)
    # The adapter sends replies before it answers the POST, so anything else would be here already.
    assert connector.pending() == 0
    return reply


async def test_question_is_answered_through_the_connector(bot: TestClient, connector: FakeConnector) -> None:
    reply = await ask(bot, connector, "Vad gör Almi?")
    assert reply["type"] == "message"
    assert reply["text"] == "SVAR på: Vad gör Almi?"
    assert reply["textFormat"] == "markdown"
    # A reply to the user's activity, in the same conversation, from the bot to the user.
    assert reply["_path"] == "/v3/conversations/conv1/activities/1"
    assert reply["replyToId"] == "1"
    assert reply["from"]["id"] == "bot"
    assert reply["recipient"]["id"] == "user1"


async def test_message_without_id_is_sent_to_the_conversation(
    bot: TestClient, connector: FakeConnector
) -> None:
    activity = emulator_activity(connector, "Vad gör Almi?")
    del activity["id"]
    await post(bot, activity)
    [reply] = await connector.replies(1)
    assert reply["_path"] == "/v3/conversations/conv1/activities"


async def test_conversation_update_welcomes_the_user_not_the_bot(
    bot: TestClient, connector: FakeConnector
) -> None:
    update = emulator_activity(
        connector,
        None,
        type="conversationUpdate",
        membersAdded=[{"id": "user1"}, {"id": "bot"}],
    )
    await post(bot, update)
    [reply] = await connector.replies(1)
    assert reply["text"] == texts.SV.welcome
    assert connector.pending() == 0
    assert reply["suggestedActions"]["actions"] == [
        {"type": "imBack", "title": example, "value": example} for example in texts.EXAMPLES_SV
    ]


async def test_help(bot: TestClient, connector: FakeConnector) -> None:
    assert (await ask(bot, connector, "hjälp"))["text"] == texts.SV.help


@pytest.mark.parametrize("text", ["", "   ", None])
async def test_empty_text_gets_a_prompt(bot: TestClient, connector: FakeConnector, text: str | None) -> None:
    assert (await ask(bot, connector, text))["text"] == texts.SV.empty_prompt


@pytest.mark.parametrize("activity_type", ["typing", "endOfConversation", "installationUpdate", "whatever"])
async def test_other_activity_types_are_accepted_silently(
    bot: TestClient, connector: FakeConnector, activity_type: str
) -> None:
    await post(bot, emulator_activity(connector, None, type=activity_type))
    assert connector.received == []


JSON = {"Content-Type": "application/json"}
BIG = b'{"type": "message", "text": "' + b"a" * MAX_BODY_BYTES + b'"}'


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 65536):
        yield data[start : start + 65536]


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b'{"type": "message"}', {"Content-Type": "text/plain"}, 415),
        (b'{"type": "message"}', {}, 415),
        (b"", JSON, 400),
        (b"  \n", JSON, 400),
        (b'{"type": "message",', JSON, 400),
        (b"\xff\xfe{}", JSON, 400),
        (b'{"type": "message"}', {"Content-Type": "application/json; charset=no-such-charset"}, 400),
        (b"[" * 100_000 + b"]" * 100_000, JSON, 400),
        (b'["type", "message"]', JSON, 400),
        (b'"message"', JSON, 400),
        (b"42", JSON, 400),
        (b"{}", JSON, 400),
        (b'{"type": 5}', JSON, 400),
        (b'{"type": ""}', JSON, 400),
        (b'{"type": "message", "from": "user1"}', JSON, 400),
        (b'{"type": "message", "timestamp": "yesterday"}', JSON, 400),
        (b'{"type": "message", "serviceUrl": "http://127.0.0.1:9"}', JSON, 400),
        (b'{"type": "message", "conversation": {"id": ""}, "channelId": "emulator"}', JSON, 400),
        (b'{"type": "message", "conversation": {"id": "c"}, "serviceUrl": "http://127.0.0.1:9"}', JSON, 400),
        (BIG, JSON, 413),
    ],
    ids=[
        "text-plain",
        "no-content-type",
        "empty",
        "whitespace",
        "malformed",
        "not-utf8",
        "unknown-charset",
        "deeply-nested",
        "array",
        "string",
        "number",
        "no-type",
        "type-not-string",
        "type-empty",
        "from-not-object",
        "bad-timestamp",
        "no-conversation",
        "empty-conversation-id",
        "no-channel-id",
        "too-large",
    ],
)
async def test_bad_input_is_rejected_with_a_json_error(
    bot: TestClient, connector: FakeConnector, body: bytes, headers: dict[str, str], status: int
) -> None:
    response = await bot.post("/api/messages", data=body, headers=headers)
    assert response.status == status
    assert isinstance((await response.json())["error"], str)
    assert connector.received == []
    # And the server is fine afterwards.
    assert (await ask(bot, connector, "Vad gör Almi?"))["text"] == "SVAR på: Vad gör Almi?"


async def test_too_large_chunked_body_is_rejected(bot: TestClient) -> None:
    # No Content-Length: the size is only known while reading.
    response = await bot.post("/api/messages", data=_chunks(BIG), headers=JSON)
    assert response.status == 413
    assert "error" in await response.json()


async def test_body_just_under_the_limit_is_accepted(bot: TestClient, connector: FakeConnector) -> None:
    activity = emulator_activity(connector, "")
    activity["channelData"] = {"padding": ""}
    size = len(web.json_response(activity).body)
    activity["channelData"]["padding"] = "x" * (MAX_BODY_BYTES - size - 100)
    await post(bot, activity)
    assert (await connector.replies(1))[0]["text"] == texts.SV.empty_prompt


async def test_healthz_is_503_while_loading_then_200(start: Start, connector: FakeConnector) -> None:
    release = threading.Event()

    def slow_loader() -> FakeQA:
        assert release.wait(10), "test did not release the loader"
        return FakeQA()

    client = await start(slow_loader, ready=False)
    try:
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"status": "loading"}
        # The server answers messages meanwhile, politely.
        assert (await ask(client, connector, "Vad gör Almi?"))["text"] == texts.SV.not_ready
    finally:
        release.set()
    await wait_loaded(client.app)
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}
    assert (await ask(client, connector, "Vad gör Almi?"))["text"] == "SVAR på: Vad gör Almi?"


async def test_failed_loading_is_reported(
    start: Start, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_loader() -> FakeQA:
        raise FileNotFoundError("/srv/kompetensbot/knowledge/handlingsplan.md")

    with caplog.at_level(logging.ERROR, logger="handlers.engine.live"):
        client = await start(broken_loader)
    response = await client.get("/healthz")
    assert response.status == 503
    # Status only: the path and the exception are for the operator's log, not for the public.
    assert await response.json() == {"status": "error"}
    assert "/srv/kompetensbot/knowledge/handlingsplan.md" in caplog.text
    assert "python bot.py index build" in caplog.text
    assert (await ask(client, connector, "Vad gör Almi?"))["text"] == texts.SV.error_apology


async def test_exception_in_a_turn_gets_an_apology_and_the_server_goes_on(
    bot: TestClient, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="handlers.channels.botframework.app"):
        reply = await ask(bot, connector, "boom")
    assert reply["text"] == texts.SV.error_apology
    assert "simulated engine failure" in caplog.text
    assert "Traceback" in caplog.text
    assert (await ask(bot, connector, "Vad gör Almi?"))["text"] == "SVAR på: Vad gör Almi?"


async def test_failing_channel_does_not_break_the_server(
    bot: TestClient, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    # serviceUrl points at the bot itself, which answers 404: the reply cannot be sent (and an apology would
    # go the same way); the request completes, and says that its reply was lost (502), instead of 201.
    lost = emulator_activity(connector, "Vad gör Almi?", serviceUrl=str(bot.make_url("/nowhere")))
    with caplog.at_level(logging.WARNING, logger="handlers.channels.botframework.app"):
        response = await bot.post("/api/messages", json=lost)
    assert response.status == 502
    assert "Svaret kunde inte levereras till kanalen: status 404" in caplog.text
    assert connector.received == []
    assert (await ask(bot, connector, "Vad gör Almi?"))["text"] == "SVAR på: Vad gör Almi?"


async def test_with_app_id_a_request_without_token_is_unauthorized(
    start: Start, connector: FakeConnector
) -> None:
    secured = Config(app_id="00000000-0000-0000-0000-000000000001", app_password="secret", app_tenant_id="t")
    client = await start(FakeQA, config=secured)
    response = await client.post("/api/messages", json=emulator_activity(connector, "Vad gör Almi?"))
    assert response.status == 401
    assert "error" in await response.json()
    assert connector.received == []


async def test_incomplete_credentials_fail_at_startup() -> None:
    with pytest.raises(ValueError, match="MicrosoftAppTenantId"):
        create_app(Config(app_id="x", app_password="secret"), FakeQA)


async def test_local_mode_warns_once_at_start(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="handlers.channels.botframework.app"):
        create_app(LOCAL, FakeQA)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "MicrosoftAppId" in warnings[0].getMessage()


# --- Conversation state and suggested actions --------------------------------------------------------------


async def test_context_is_kept_per_conversation_id(start: Start, connector: FakeConnector) -> None:
    storage = MemoryStorage()
    client = await start(ContextQA, storage=storage)

    async def say(conversation: str, text: str) -> str:
        reply = await ask(client, connector, text, conversation={"id": conversation})
        assert reply["_conversation"] == conversation
        return reply["text"]

    assert await say("conv-a", "Vad gör Almi?") == "SVAR på: Vad gör Almi? | efter: -"
    assert await say("conv-b", "Vad gör REKO?") == "SVAR på: Vad gör REKO? | efter: -"
    assert await say("conv-a", "hjälp") == texts.SV.help
    assert await say("conv-a", "Är de privata?") == "SVAR på: Är de privata? | efter: Vad gör Almi?"
    assert await say("conv-b", "Och Almi då?") == "SVAR på: Och Almi då? | efter: Vad gör REKO?"
    assert await say("conv-c", "Är de privata?") == "SVAR på: Är de privata? | efter: -"
    # The state went to the storage create_app() was given, under channelId/conversations/conversation.id.
    assert {"emulator/conversations/conv-a", "emulator/conversations/conv-b"} <= set(storage.memory)
    assert storage.memory["emulator/conversations/conv-a"]["dialogue_context"]["question"] == "Är de privata?"


async def test_suggestions_are_sent_as_suggested_actions(start: Start, connector: FakeConnector) -> None:
    client = await start(SuggestingQA)
    reply = await ask(client, connector, "Vad gör Handelskammaren?")
    assert reply["text"] == "SVAR på: Vad gör Handelskammaren?"
    assert reply["suggestedActions"]["actions"] == [
        {"type": "imBack", "title": q, "value": q} for q in SUGGESTIONS[:3]
    ]


async def test_reply_without_suggestions_has_no_suggested_actions(
    bot: TestClient, connector: FakeConnector
) -> None:
    reply = await ask(bot, connector, "Vad gör Almi?")
    assert "suggestedActions" not in reply


# --- The real engine ------------------------------------------------------------------------------------


async def test_real_engine_answers_almi(start: Start, connector: FakeConnector, real_qa: Any) -> None:
    client = await start(lambda: real_qa)
    reply = await ask(client, connector, "Vad gör Almi?")
    assert "Almi" in reply["text"]
    assert "lån" in reply["text"]
    assert "Källor: Aktörer › Almi, s. " in reply["text"]


async def test_real_engine_asks_back_and_the_users_choice_answers(
    start: Start, connector: FakeConnector, real_qa: Any
) -> None:
    """Web Chat and the emulator: the sections offered as suggested actions; the one tapped (its label, as
    imBack sends it) answers the question from that section, in the same conversation."""
    client = await start(lambda: real_qa)
    conversation = {"id": "asking-back"}
    asked = await ask(client, connector, "kompetensförsörjning", conversation=conversation, id="1")
    assert asked["text"].startswith("Jag är inte säker på vilken del av planen du menar")
    labels = [action["value"] for action in asked["suggestedActions"]["actions"]]
    assert 1 <= len(labels) <= 3 and f"1. {labels[0]}" in asked["text"]
    reply = await ask(client, connector, labels[0], conversation=conversation, id="2")
    assert "Käll" in reply["text"] and labels[0] in reply["text"]  # the sources line names it


DIALOGS = [
    ("Vad gör Handelskammaren Mälardalen?", "Är de offentliga eller privata?", "privat"),
    ("Berätta om Vård- och omsorgscollege.", "Vilka samarbetar i det?", "kommuner"),
    ("Vad är Fredagsakademin?", "Hur ofta anordnas den?", "en gång per år"),
    ("Vad gör Handelskammaren?", "Och REKO då?", "vuxenutbildning"),
]


@pytest.mark.parametrize(
    ("first", "follow_up", "expected"), DIALOGS, ids=["privat", "vo-college", "fredag", "reko"]
)
async def test_real_engine_follow_ups_in_one_conversation(
    start: Start, connector: FakeConnector, real_qa: Any, first: str, follow_up: str, expected: str
) -> None:
    client = await start(lambda: real_qa)
    conversation = {"id": f"dialog-{expected}"}
    await ask(client, connector, first, conversation=conversation, id="1")
    reply = await ask(client, connector, follow_up, conversation=conversation, id="2")
    assert expected in reply["text"].lower(), reply["text"]


# --- The index heals: a corrupt index rebuilt at start, a rebuilt index switched to while serving -----------

SMALL_PLAN = """\
# Testplan

<!-- page 1 -->

## Aktörer

Flera aktörer deltar i arbetet. De arbetar tillsammans i länet.

### Almi

Almi Företagspartner AB ägs av staten. Almi erbjuder lån och affärsutveckling till företag.
{new_actor}
<!-- page 2 -->

## Insatsområden

Följande insatser prioriteras:

- Validering av kompetens.
- Språkutbildning för nyanlända.
"""
NEW_ACTOR = "\n### Zetaverket\n\nZetaverket driver kurser i glasblåsning för vuxna i länet.\n"
NEW_QUESTION = "Vad gör Zetaverket?"


SMALL_CORPUS = [
    {"q": "Vem äger Almi?", "cat": "fact", "gold": ["Almi Företagspartner AB ägs av staten."]},
    {"q": "Vad kostar en pizza?", "cat": "out_of_scope", "gold": []},
]


def small_plan_config(folder: Any) -> Config:
    """A small plan (a build takes seconds), its own corpus and index, a quick poll, and no rate limit in the
    way. The shipped corpus is written for the real plan: embedding it would be most of a build."""
    knowledge = folder / "plan.md"
    knowledge.write_text(SMALL_PLAN.format(new_actor=""), encoding="utf-8")
    corpus = folder / "corpus"
    corpus.mkdir()
    lines = [json.dumps({"batch": "s1", **row}, ensure_ascii=False) for row in SMALL_CORPUS]
    (corpus / "s1.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return replace(
        LOCAL,
        knowledge_path=knowledge,
        corpus_dir=corpus,
        index_dir=folder / "var" / "index",
        index_poll_seconds=0.2,
        rate_limit_client="100000/minute",
        rate_limit_conversation="100000/minute",
    )


def real_loader(config: Config) -> Any:
    from handlers.engine.qa import QA

    return lambda: QA.load(config, progress=lambda message: None)


async def test_a_corrupt_index_is_rebuilt_at_start_and_the_server_becomes_healthy(
    start: Start, connector: FakeConnector, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from index.embed import make_embedder
    from index.store import build_index, check_index

    config = small_plan_config(tmp_path)
    args = (config.knowledge_path, config.index_dir, "e5", make_embedder("e5"), lambda message: None)
    await asyncio.to_thread(build_index, *args)
    corrupt_build = config.index_dir.resolve()
    vectors = config.index_dir / "chunks.faiss"
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2] ^= 0x01
    vectors.write_bytes(bytes(data))

    with caplog.at_level(logging.INFO, logger="index.store"):
        client = await start(real_loader(config), config=config, ready=False)
        await wait_loaded(client.app, timeout=60)
    [line] = [r for r in caplog.records if r.name == "index.store"]
    assert line.levelno == logging.WARNING
    assert "chunks.faiss stämmer inte med sin kontrollsumma" in line.getMessage()
    assert "bygger om det" in line.getMessage()
    response = await client.get("/healthz")
    assert (response.status, await response.json()) == (200, {"status": "ok"})
    assert config.index_dir.resolve() != corrupt_build
    assert check_index(config.index_dir, config.knowledge_path, "e5").state == "current"
    assert "lån" in (await ask(client, connector, "Vad gör Almi?"))["text"]


@dataclass
class Asked:
    """One question of the load, and what came back."""

    question: str
    sent: float
    done: float
    status: int
    replies: list[str]

    @property
    def failed(self) -> bool:
        if self.status >= 300 or len(self.replies) != 1:
            return True
        text = self.replies[0]
        return text in (texts.SV.not_ready, texts.SV.error_apology) or (
            self.question != NEW_QUESTION and "lån" not in text
        )

    @property
    def from_new_index(self) -> bool:
        return any("glasblåsning" in reply for reply in self.replies)


async def test_a_rebuilt_index_is_switched_to_while_serving_without_a_failed_request(
    start: Start, connector: FakeConnector, tmp_path: Any
) -> None:
    import os
    import sys
    import time

    from conftest import ROOT

    config = small_plan_config(tmp_path)
    await asyncio.to_thread(real_loader(config))  # the first index, built before the server starts
    client = await start(real_loader(config), config=config)
    first_build = os.path.realpath(config.index_dir)
    results: list[Asked] = []
    swapped_at: list[float] = []

    async def ask_one(n: int) -> None:
        question = NEW_QUESTION if n % 2 else "Vad gör Almi?"
        activity = emulator_activity(connector, question, id=f"q{n}", conversation={"id": f"load-{n}"})
        sent = time.monotonic()
        response = await client.post("/api/messages", json=activity)
        replies = [a.get("text", "") for a in connector.received if a.get("replyToId") == f"q{n}"]
        results.append(Asked(question, sent, time.monotonic(), response.status, replies))

    async def rebuild() -> None:
        """Another process rebuilds the index from a changed plan, as an operator would."""
        await asyncio.sleep(1.0)
        config.knowledge_path.write_text(SMALL_PLAN.format(new_actor=NEW_ACTOR), encoding="utf-8")
        paths = ["--index-dir", str(config.index_dir), "--knowledge", str(config.knowledge_path)]
        env = {**os.environ, "KOMPETENSBOT_CORPUS": str(config.corpus_dir)}
        command = [sys.executable, "bot.py", "index", "build", *paths]
        process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL
        )
        assert await process.wait() == 0

    async def watch_swap() -> None:
        while os.path.realpath(config.index_dir) == first_build:
            await asyncio.sleep(0.005)
        swapped_at.append(time.monotonic())

    def switched_at() -> float | None:
        return min((r.done for r in results if r.from_new_index), default=None)

    builder, watcher = asyncio.create_task(rebuild()), asyncio.create_task(watch_swap())
    asked: list[asyncio.Task] = []
    deadline = time.monotonic() + 90
    def settled() -> bool:  # built, and the new index has been answering for a second
        return builder.done() and (switched_at() or time.monotonic()) < time.monotonic() - 1

    # About 20 questions a second, at least 60 (3 s) however quickly the small plan is rebuilt.
    while len(asked) < 60 or not settled():
        assert time.monotonic() < deadline, "the server did not switch to the rebuilt index"
        asked.append(asyncio.create_task(ask_one(len(asked))))
        await asyncio.sleep(0.05)
    await builder
    await watcher
    await asyncio.gather(*asked)

    failed = [r for r in results if r.failed]
    switched = switched_at()
    assert switched is not None
    span = max(r.done for r in results) - min(r.sent for r in results)
    print(
        f"\nswap under load: {len(results)} requests, {len(failed)} failed, {len(results) / span:.1f}/s, "
        f"answered from the new index {switched - swapped_at[0]:.2f} s after the link swap"
    )
    assert failed == []
    assert len(results) >= 60
    # Every question sent after the first answer from the new index is answered from it.
    later = [r for r in results if r.question == NEW_QUESTION and r.sent > switched]
    assert later and all(r.from_new_index for r in later)
    assert client.app[STATE].generation == 2
    assert (await client.get("/healthz")).status == 200
