"""The question log (handlers/insights/question_log.py) on a real SQLite file and a real PostgreSQL: a row per
question through the real server on every channel, personal data scrubbed, no user id anywhere, feedback
linked to its question, retention, and logging that never fails an answer."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from conftest import Start, everything_stored
from connector import FakeConnector
from test_server_e2e import emulator_activity

from handlers.channels.botframework.app import BOT
from handlers.insights.feedback import FeedbackEntry, FeedbackStore
from handlers.insights.question_log import QuestionEntry, QuestionLog
from handlers.model.answer import ANSWERED, DECLINED, PARTIAL, Answer, Source
from handlers.model.context import Context
from index.config import Config

session_loop = pytest.mark.asyncio(loop_scope="session")

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ALMI = Source("a1", "Aktörer > Almi", 24, "Almi erbjuder lån.", 0.9)
RUS = Source("r1", "Bakgrund > RUS", 5, "RUS 2018–2030.", 0.8)




class OutcomeQA:
    """Declines the weather, answers "budget" in part, answers the rest citing Almi (twice) and RUS."""

    def answer(self, question: str, context: Context | None = None) -> Answer:
        lang = "en" if question.startswith("What") else "sv"
        if "vädret" in question:
            return Answer(question=question, body="Det kan jag inte svara på.", outcome=DECLINED, lang=lang)
        if "budget" in question:
            return Answer(question, "Planen anger ingen budget.", PARTIAL, sources=[RUS], lang=lang)
        return Answer(question, f"SVAR på: {question}", ANSWERED, sources=[ALMI, ALMI, RUS], lang=lang)


# --- The log itself -----------------------------------------------------------------------------------------


def test_a_question_is_kept_scrubbed_and_hashed(store: FeedbackStore) -> None:
    questions = QuestionLog(store.database)
    questions.add(
        QuestionEntry(
            question="Jag heter Anna Berg, ring 070-123 45 67 eller anna@example.se. Vad gör Almi?",
            channel="msteams",
            lang="sv",
            outcome=ANSWERED,
            sections=("Aktörer > Almi",),
            latency_ms=41,
            conversation_id="a:1personal",
            time=NOW,
        )
    )
    [row] = questions.entries()
    assert (row.time, row.channel, row.lang, row.outcome, row.sections, row.latency_ms) == (
        NOW, "msteams", "sv", ANSWERED, ("Aktörer > Almi",), 41,
    )  # fmt: skip
    assert row.question == "Jag heter [namn], ring [telefon] eller [e-post]. Vad gör Almi?"
    assert row.conversation == store.database.hash_id("a:1personal")
    stored = everything_stored(store.database)
    for personal in ("Anna Berg", "070-123", "anna@example", "a:1personal"):
        assert personal not in stored


def test_unknown_outcomes_are_refused() -> None:
    with pytest.raises(ValueError, match="outcome"):
        QuestionEntry(question="?", channel="webchat", lang="sv", outcome="maybe")


def test_an_entry_from_an_answer() -> None:
    answer = OutcomeQA().answer("Vad gör Almi?")
    entry = QuestionEntry.from_answer("Vad gör Almi?", answer, None, "c1", 0.0123)
    assert (entry.channel, entry.lang, entry.outcome, entry.latency_ms) == ("unknown", "sv", ANSWERED, 12)
    assert entry.sections == ("Aktörer > Almi", "Bakgrund > RUS")  # each cited section once, best first


def test_questions_are_purged_with_the_feedback(store: FeedbackStore) -> None:
    questions = QuestionLog(store.database)
    for days, text in ((91, "gammal-fråga-markör"), (89, "ny fråga")):
        entry = QuestionEntry(text, "webchat", "sv", DECLINED, time=NOW - timedelta(days=days))
        questions.add(entry)
        store.add(FeedbackEntry("dislike", "webchat", question=text, time=NOW - timedelta(days=days)))
    assert store.database.purge(NOW) == {"feedback": 1, "questions": 1}
    assert [q.question for q in questions.entries()] == ["ny fråga"]
    assert "gammal-fråga-markör" not in everything_stored(store.database)


def test_feedback_is_linked_to_the_question_it_rates(store: FeedbackStore) -> None:
    questions = QuestionLog(store.database)

    def ask(text: str, conversation: str, seconds: int) -> int:
        at = NOW + timedelta(seconds=seconds)
        return questions.add(
            QuestionEntry(text, "webchat", "sv", ANSWERED, conversation_id=conversation, time=at)
        )

    ask("Vad gör Almi? Mejla anna@example.se", "c1", 0)
    asked_again = ask("Vad gör Almi? Mejla anna@example.se", "c1", 5)
    other_conversation = ask("Vad gör Almi? Mejla anna@example.se", "c2", 6)
    store.add(
        FeedbackEntry(
            "dislike", "webchat", question="Vad gör Almi? Mejla anna@example.se", conversation_id="c1",
            time=NOW + timedelta(seconds=10),
        )
    )  # fmt: skip
    store.add(FeedbackEntry("like", "webchat", question="Något annat", conversation_id="c1", time=NOW))
    linked, unknown = sorted(store.entries(), key=lambda e: e.reaction)
    assert (linked.question_id, unknown.question_id) == (asked_again, None)
    assert linked.question_id != other_conversation
    # The join a report makes.
    [(outcome, question)] = store.database.query(
        "SELECT q.outcome, q.question FROM feedback f JOIN questions q ON q.id = f.question_id"
    )
    assert (outcome, question) == (ANSWERED, "Vad gör Almi? Mejla [e-post]")


@session_loop
async def test_a_failure_to_log_is_one_warning_and_no_error(
    store: FeedbackStore, caplog: pytest.LogCaptureFixture
) -> None:
    questions = QuestionLog(store.database)
    answer = OutcomeQA().answer("Vad gör Almi?")
    broken = Answer("x", "y", outcome="maybe")  # the entry cannot be made
    with caplog.at_level(logging.WARNING, logger="handlers.insights.question_log"):
        assert questions.record("Anna Berg?", broken, "webchat", "c1", 0.1) is None
        store.close()
        assert questions.record("Anna Berg?", answer, "webchat", "c1", 0.1) is None  # the store is closed
    assert [r.getMessage() for r in caplog.records] == ["Could not log a question: ValueError"] + [
        "Could not log a question: RuntimeError"
    ]
    assert "Anna" not in caplog.text and "c1" not in caplog.text


# --- Through the real server, on every channel --------------------------------------------------------------

CHANNELS = ("emulator", "webchat", "directline", "msteams")


@session_loop
async def test_every_question_on_every_channel_gets_a_row(
    start: Start, connector: FakeConnector, database_url: str
) -> None:
    client = await start(OutcomeQA, config=replace(Config(), database_url=database_url))
    asked = [
        ("emulator", "Jag heter Anna Berg och undrar vad Almi gör?"),
        ("webchat", "Vad blir vädret? Ring 070-123 45 67"),
        ("directline", "Vilken budget har planen? 850714-1234"),
        ("msteams", "What does Almi do? mail anna@example.se"),
    ]
    for n, (channel, text) in enumerate(asked):
        activity = emulator_activity(
            connector, text, id=f"m{n}", channelId=channel, conversation={"id": f"conv-{channel}"},
            **{"from": {"id": "user-id-secret", "name": "Anna Berg", "aadObjectId": "aad-secret"}},
        )  # fmt: skip
        assert (await client.post("/api/messages", json=activity)).status < 300
    await connector.replies(len(asked))
    for text in ("hjälp", ""):  # help and empty messages are not questions
        assert (await client.post("/api/messages", json=emulator_activity(connector, text))).status < 300
    await connector.replies(2)
    bot = client.app[BOT]
    await bot.question_log.flush()
    rows = bot.question_log.entries()
    assert [(r.channel, r.outcome, r.lang) for r in rows] == [
        ("emulator", ANSWERED, "sv"),
        ("webchat", DECLINED, "sv"),
        ("directline", PARTIAL, "sv"),
        ("msteams", ANSWERED, "en"),
    ]
    assert [r.question for r in rows] == [
        "Jag heter [namn] och undrar vad Almi gör?",
        "Vad blir vädret? Ring [telefon]",
        "Vilken budget har planen? [personnummer]",
        "What does Almi do? mail [e-post]",
    ]
    assert [r.sections for r in rows] == [
        ("Aktörer > Almi", "Bakgrund > RUS"), (), ("Bakgrund > RUS",), ("Aktörer > Almi", "Bakgrund > RUS"),
    ]  # fmt: skip
    database = bot.question_log.database
    assert [r.conversation for r in rows] == [database.hash_id(f"conv-{c}") for c in CHANNELS]
    assert all(0 <= r.latency_ms < 5000 for r in rows)
    assert all(abs(r.time - datetime.now(UTC)) < timedelta(minutes=1) for r in rows)
    stored = "\n".join(
        repr(row) for table in database.tables for row in database.query(f"SELECT * FROM {table.name}")
    )
    for personal in ("user-id-secret", "aad-secret", "Anna Berg", "070-123", "850714", "anna@", "conv-"):
        assert personal not in stored


@session_loop
async def test_web_chat_thumbs_are_linked_to_the_logged_question(
    start: Start, connector: FakeConnector, database_url: str
) -> None:
    client = await start(OutcomeQA, config=replace(Config(), database_url=database_url))
    question = emulator_activity(connector, "Vad gör Almi?", channelId="webchat", conversation={"id": "dl1"})
    assert (await client.post("/api/messages", json=question)).status == 201
    await connector.replies(1)
    rated = f"reply-{len(connector.received)}"
    entity = {"type": "https://schema.org/LikeAction", "@type": "DislikeAction", "object": {"@id": rated}}
    event = emulator_activity(
        connector, None, type="event", name="webchat:activity-status/feedback", channelId="webchat",
        conversation={"id": "dl1"}, entities=[entity],
    )  # fmt: skip
    assert (await client.post("/api/messages", json=event)).status == 201
    bot = client.app[BOT]
    [logged] = bot.question_log.entries()
    [feedback] = bot.feedback_log.store.entries()
    assert (feedback.reaction, feedback.question_id) == ("dislike", logged.id)
