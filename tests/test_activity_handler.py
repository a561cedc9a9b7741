"""KompetensBot against botbuilder's in-memory TestAdapter, with a fake answering engine."""

from __future__ import annotations

import threading
import time
from copy import deepcopy

import pytest

# The project is not installed into the venv; make `handlers`/`index` importable however pytest is started.
from botbuilder.core import ConversationState, MemoryStorage
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import (
    ActionTypes,
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    TextFormatTypes,
)

from handlers.channels.botframework.activity_handler import (
    MAX_QUESTION_CHARS,
    KompetensBot,
    QAUnavailable,
    clean_text,
    truncate,
)
from handlers.model.answer import DECLINED, PARTIAL, Answer, Source
from handlers.model.context import Context
from handlers.wording import texts
from index.text import detect_language


class FakeQA:
    """Answers with a recognisable text and context; remembers what it was asked, with which context, and in
    which thread. `suggestions` are returned with every answer."""

    def __init__(self, lang: str = "sv", suggestions: list[str] | None = None) -> None:
        self.questions: list[str] = []
        self.contexts: list[Context | None] = []
        self.threads: list[str] = []
        self.lang = lang
        self.suggestions = suggestions or []

    def answer(self, question: str, context: Context | None = None) -> Answer:
        self.questions.append(question)
        self.contexts.append(deepcopy(context))
        self.threads.append(threading.current_thread().name)
        return Answer(
            question=question,
            body=f"SVAR på: {question}",
            lang=self.lang,
            suggestions=list(self.suggestions),
            context=context_after(question),
        )


def context_after(question: str) -> Context:
    """The context FakeQA leaves after answering `question`."""
    return Context(question=question, topic=f"ämnet i {question}", actor=f"aktören i {question}")


class CopyingStorage(MemoryStorage):
    """MemoryStorage hands out its own dicts, so a turn's changes reach it even without save_changes; a real
    store (Cosmos DB, Blob) does not. Reading copies, so only what the bot saves is kept."""

    async def read(self, keys: list[str]) -> dict:
        return deepcopy(await super().read(keys))


def make_bot(qa: object | None, storage: MemoryStorage | None = None) -> tuple[TestAdapter, KompetensBot]:
    bot = KompetensBot(lambda: qa, ConversationState(storage if storage is not None else CopyingStorage()))
    return TestAdapter(bot.on_turn), bot


def in_conversation(conversation_id: str, text: str) -> Activity:
    return Activity(
        type=ActivityTypes.message, text=text, conversation=ConversationAccount(id=conversation_id)
    )


def mentioning_bot(text: str) -> Activity:
    """A message as Teams sends it when the user @-mentions the bot: the tag in the text, and an entity."""
    mention = {"type": "mention", "mentioned": {"id": "bot", "name": "Kompetensbot"}}
    mention["text"] = "<at>Kompetensbot</at>"
    return Activity().deserialize({"type": "message", "text": text, "entities": [mention]})


async def send(adapter: TestAdapter, activity: Activity | str) -> list[Activity]:
    """Run one turn and return everything the bot sent during it."""
    adapter.activity_buffer.clear()
    await adapter.receive_activity(activity)
    return list(adapter.activity_buffer)


async def test_question_gets_the_answer_text_as_markdown() -> None:
    qa = FakeQA()
    adapter, _ = make_bot(qa)
    replies = await send(adapter, "  Vad gör Almi?  ")
    assert [r.text for r in replies] == ["SVAR på: Vad gör Almi?"]
    assert replies[0].type == ActivityTypes.message
    assert replies[0].text_format == TextFormatTypes.markdown
    assert qa.questions == ["Vad gör Almi?"]


async def test_answer_runs_off_the_event_loop_thread() -> None:
    qa = FakeQA()
    adapter, _ = make_bot(qa)
    await send(adapter, "Vad gör Almi?")
    assert qa.threads and qa.threads[0] != threading.current_thread().name


@pytest.mark.parametrize("text", ["", "   \n\t ", None, mentioning_bot("<at>Kompetensbot</at>")])
async def test_empty_message_gets_a_prompt(text: str | Activity | None) -> None:
    qa = FakeQA()
    adapter, _ = make_bot(qa)
    activity = text if isinstance(text, Activity) else Activity(type=ActivityTypes.message, text=text)
    replies = await send(adapter, activity)
    assert [r.text for r in replies] == [texts.SV.empty_prompt]
    assert qa.questions == []


async def test_attachment_only_message_gets_a_prompt() -> None:
    adapter, _ = make_bot(FakeQA())
    activity = Activity(
        type=ActivityTypes.message,
        attachments=[Attachment(content_type="image/png", content_url="https://example.org/a.png")],
    )
    replies = await send(adapter, activity)
    assert [r.text for r in replies] == [texts.SV.empty_prompt]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hjälp", texts.SV.help),
        ("  HJÄLP ", texts.SV.help),
        ("?", texts.SV.help),
        (mentioning_bot("<at>Kompetensbot</at> hjälp"), texts.SV.help),
        ("help", texts.EN.help),
        ("/Help", texts.EN.help),
    ],
)
async def test_help_commands(text: str, expected: str) -> None:
    qa = FakeQA()
    adapter, _ = make_bot(qa)
    replies = await send(adapter, text)
    assert [r.text for r in replies] == [expected]
    assert qa.questions == []


async def test_teams_mention_is_removed_from_the_question() -> None:
    qa = FakeQA()
    adapter, _ = make_bot(qa)
    await send(adapter, mentioning_bot("<at>Kompetensbot</at> Vad gör Almi?"))
    assert qa.questions == ["Vad gör Almi?"]


async def test_long_question_is_cut_and_the_reply_says_so() -> None:
    qa = FakeQA()
    adapter, _ = make_bot(qa)
    question = "Vad gör Almi? " + "mycket " * 400  # ~2800 characters
    replies = await send(adapter, question)
    asked = qa.questions[0]
    assert len(asked) <= MAX_QUESTION_CHARS
    assert question.startswith(asked)
    note = texts.truncated_note(MAX_QUESTION_CHARS, "sv")
    assert replies[0].text.startswith(note)
    assert replies[0].text.endswith(f"SVAR på: {asked}")


async def test_question_at_the_limit_is_not_cut() -> None:
    qa = FakeQA()
    adapter, _ = make_bot(qa)
    question = "a" * MAX_QUESTION_CHARS
    replies = await send(adapter, question)
    assert qa.questions == [question]
    assert replies[0].text == f"SVAR på: {question}"


async def test_truncation_note_follows_the_answer_language() -> None:
    adapter, _ = make_bot(FakeQA(lang="en"))
    replies = await send(adapter, "What does Almi do? " + "very " * 500)
    assert replies[0].text.startswith(texts.truncated_note(MAX_QUESTION_CHARS, "en"))


ALMI = Source("almi-1", "Aktörer > Almi", 27, "Aktörer – Almi\nAlmi erbjuder lån.", 0.9)
REKO = Source("reko-1", "Aktörer > REKO", 31, "Aktörer – REKO\nREKO samordnar.", 0.5)


class StructuredQA:
    """Answers as the engine does, with the parts kept apart: a partial answer for "budget", a decline for
    "pizza", a body that reads like a sources line for "källor", else an answer with two sources."""

    def answer(self, question: str, context: Context | None = None) -> Answer:
        if "pizza" in question:
            return Answer(question, "Det kan jag inte svara på.", outcome=DECLINED)
        if "budget" in question:
            return Answer(
                question, "Almi erbjuder lån.", PARTIAL, [ALMI], note="Planen anger ingen budget för Almi."
            )
        if "källor" in question:
            return Answer(question, "Svar.\n\nKällor: x", sources=[ALMI])
        return Answer(question, "Almi erbjuder lån.", sources=[ALMI, REKO, ALMI])


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Vad gör Almi?", "Almi erbjuder lån.\n\nKällor: Aktörer › Almi, s. 27 · Aktörer › REKO, s. 31"),
        (
            "Vilken budget har Almi?",
            "Planen anger ingen budget för Almi.\n\nAlmi erbjuder lån.\n\nKälla: Aktörer › Almi, s. 27",
        ),
        ("Vad kostar en pizza?", "Det kan jag inte svara på."),
        # The body is rendered as it is: nothing parses a sources line back out of it.
        ("Vilka källor finns?", "Svar.\n\nKällor: x\n\nKälla: Aktörer › Almi, s. 27"),
    ],
)
async def test_other_channels_get_the_answer_rendered_as_markdown(question: str, expected: str) -> None:
    adapter, _ = make_bot(StructuredQA())
    [reply] = await send(adapter, question)
    assert reply.text == expected
    assert reply.text_format == TextFormatTypes.markdown
    assert not reply.attachments and not reply.entities and reply.channel_data is None


async def test_truncation_note_comes_before_a_partial_answer() -> None:
    adapter, _ = make_bot(StructuredQA())
    [reply] = await send(adapter, "Vilken budget har Almi? " + "mycket " * 400)
    note = texts.truncated_note(MAX_QUESTION_CHARS, "sv")
    assert reply.text == (
        f"{note}\n\nPlanen anger ingen budget för Almi.\n\nAlmi erbjuder lån.\n\nKälla: Aktörer › Almi, s. 27"
    )


def test_truncate_prefers_a_word_boundary() -> None:
    cut, truncated = truncate("ord " * 1000, limit=100)
    assert truncated
    assert cut.endswith("ord")
    assert len(cut) <= 100
    assert truncate("kort fråga") == ("kort fråga", False)


def _mentioning(text: object, *mentions: tuple[str, str]) -> Activity:
    entities = [
        {"type": "mention", "mentioned": {"id": who, "name": shown}, "text": f"<at>{shown}</at>"}
        for who, shown in mentions
    ]
    return Activity().deserialize(
        {"type": "message", "text": text, "recipient": {"id": "bot"}, "entities": entities}
    )


def test_clean_text_removes_only_the_bots_own_mention() -> None:
    assert clean_text(Activity(type="message")) == ""
    assert clean_text(_mentioning(" <at>Bot</at>\u00a0hej ", ("bot", "Bot"))) == "hej"
    # Another person's mention keeps its name (it may be part of the question), not its tags.
    asked = _mentioning("<at>Bot</at> vad gör <at>Almi</at>?", ("bot", "Bot"), ("u1", "Almi"))
    assert clean_text(asked) == "vad gör  Almi ?"


def test_clean_text_survives_malformed_and_hostile_mentions() -> None:
    hostile = Activity().deserialize(
        {
            "type": "message",
            "text": "(a|a)*b" + "a" * 40 + " hej",
            "recipient": {"id": "bot"},
            "entities": [
                {"type": "mention", "mentioned": "nobody"},
                {"type": "mention"},
                {"type": "mention", "mentioned": {"id": "bot"}, "text": "<at>(a|a)*b</at>"},
            ],
        }
    )
    assert clean_text(hostile).endswith("hej")  # the name is not used as a pattern


def test_clean_text_is_linear_on_unclosed_mention_tags() -> None:
    """234 KB of unclosed <at> tags once blocked the event loop for 51 s (a regex with quadratic time)."""
    text = "<at>" * 60_000
    started = time.perf_counter()
    assert clean_text(_mentioning(text, ("bot", "Bot"))) == ""
    assert time.perf_counter() - started < 1.0


async def test_message_while_loading_gets_not_ready() -> None:
    adapter, _ = make_bot(None)
    replies = await send(adapter, "Vad gör Almi?")
    assert [r.text for r in replies] == [texts.SV.not_ready]


async def test_english_message_while_loading_gets_english_not_ready() -> None:
    adapter, _ = make_bot(None)
    replies = await send(adapter, "What does Almi do?")
    assert [r.text for r in replies] == [texts.EN.not_ready]


async def test_help_works_while_loading() -> None:
    adapter, _ = make_bot(None)
    replies = await send(adapter, "hjälp")
    assert [r.text for r in replies] == [texts.SV.help]


async def test_failed_engine_gets_an_apology() -> None:
    def failed() -> None:
        raise QAUnavailable("index missing")

    bot = KompetensBot(failed)
    adapter = TestAdapter(bot.on_turn)
    replies = await send(adapter, "Vad gör Almi?")
    assert [r.text for r in replies] == [texts.SV.error_apology]


async def test_one_welcome_per_event_when_people_are_added() -> None:
    adapter, _ = make_bot(FakeQA())
    bot_account = adapter.template.recipient
    update = Activity(
        type=ActivityTypes.conversation_update,
        members_added=[ChannelAccount(id="user1"), bot_account, ChannelAccount(id="user2")],
    )
    replies = await send(adapter, update)
    # One welcome per event: 2,000 members added must not make the bot post 2,000 times.
    assert [r.text for r in replies] == [texts.SV.welcome]
    only_the_bot = Activity(type=ActivityTypes.conversation_update, members_added=[bot_account])
    assert await send(adapter, only_the_bot) == []


async def test_welcome_offers_the_examples_as_suggested_actions() -> None:
    adapter, _ = make_bot(FakeQA())
    update = Activity(type=ActivityTypes.conversation_update, members_added=[ChannelAccount(id="user1")])
    [welcome] = await send(adapter, update)
    actions = welcome.suggested_actions.actions
    assert [(a.type, a.title, a.value) for a in actions] == [
        (ActionTypes.im_back, example, example) for example in texts.EXAMPLES_SV
    ]


async def test_no_welcome_when_only_the_bot_is_added() -> None:
    adapter, _ = make_bot(FakeQA())
    update = Activity(type=ActivityTypes.conversation_update, members_added=[adapter.template.recipient])
    assert await send(adapter, update) == []


@pytest.mark.parametrize(
    "activity_type",
    [
        ActivityTypes.typing,
        ActivityTypes.end_of_conversation,
        ActivityTypes.installation_update,
        ActivityTypes.event,
        ActivityTypes.message_reaction,
        ActivityTypes.conversation_update,  # e.g. members removed, topic renamed
        "somethingNew",
    ],
)
async def test_other_activities_are_ignored(activity_type: str) -> None:
    qa = FakeQA()
    adapter, _ = make_bot(qa)
    assert await send(adapter, Activity(type=activity_type)) == []
    assert qa.questions == []


def test_messages_are_swedish_and_name_the_examples() -> None:
    for example in texts.EXAMPLES_SV:
        assert example in texts.SV.welcome
        assert example in texts.SV.help
    assert "kompetensförsörjning" in texts.SV.welcome
    assert "2\u00a0000" in texts.truncated_note(2000)
    assert detect_language("Vad gör Almi?") == "sv"
    assert detect_language("What does Almi do?") == "en"


# --- Conversation state: the context a follow-up question refers back to ---------------------------------


async def test_follow_up_gets_the_previous_answers_context() -> None:
    qa = FakeQA()
    adapter, _ = make_bot(qa)
    await send(adapter, "Vad gör Handelskammaren?")
    await send(adapter, "Och REKO då?")
    await send(adapter, "Vilka samarbetar de med?")
    assert qa.contexts == [None, context_after("Vad gör Handelskammaren?"), context_after("Och REKO då?")]


async def test_conversations_do_not_share_context() -> None:
    qa = FakeQA()
    adapter, _ = make_bot(qa)
    await send(adapter, in_conversation("a", "Vad gör Almi?"))
    await send(adapter, in_conversation("b", "Är de offentliga eller privata?"))
    await send(adapter, in_conversation("a", "Är de offentliga eller privata?"))
    await send(adapter, in_conversation("b", "Hur ofta?"))
    assert qa.contexts == [
        None,
        None,
        context_after("Vad gör Almi?"),
        context_after("Är de offentliga eller privata?"),
    ]


@pytest.mark.parametrize(
    "between",
    [
        "hjälp",
        "help",
        "",
        Activity(type=ActivityTypes.conversation_update, members_added=[ChannelAccount(id="user2")]),
        Activity(type=ActivityTypes.typing),
    ],
    ids=["hjälp", "help", "empty", "welcome", "typing"],
)
async def test_help_welcome_and_empty_turns_keep_the_context(between: Activity | str) -> None:
    qa = FakeQA()
    adapter, _ = make_bot(qa)
    await send(adapter, "Vad gör Almi?")
    await send(adapter, between)
    await send(adapter, "Är de privata?")
    assert qa.contexts == [None, context_after("Vad gör Almi?")]


async def test_turns_while_loading_keep_the_context() -> None:
    qa = FakeQA()
    engine: list[FakeQA | None] = [qa]
    bot = KompetensBot(lambda: engine[0], ConversationState(CopyingStorage()))
    adapter = TestAdapter(bot.on_turn)
    await send(adapter, "Vad gör Almi?")
    engine[0] = None  # e.g. a reload: the engine is not there for a moment
    assert [r.text for r in await send(adapter, "Och REKO då?")] == [texts.SV.not_ready]
    engine[0] = qa
    await send(adapter, "Är de privata?")
    assert qa.contexts == [None, context_after("Vad gör Almi?")]


async def test_context_is_saved_to_the_storage_as_a_plain_dict() -> None:
    storage = CopyingStorage()
    adapter, _ = make_bot(FakeQA(), storage)
    await send(adapter, "Vad gör Almi?")
    key = f"{adapter.template.channel_id}/conversations/{adapter.template.conversation.id}"
    stored = (await storage.read([key]))[key]
    assert stored["dialogue_context"] == context_after("Vad gör Almi?").to_dict()


async def test_help_alone_writes_nothing_to_the_storage() -> None:
    storage = CopyingStorage()
    adapter, _ = make_bot(FakeQA(), storage)
    await send(adapter, "hjälp")
    await send(adapter, "")
    assert storage.memory == {}


# --- Suggested follow-up questions ------------------------------------------------------------------------


async def test_suggestions_become_im_back_suggested_actions() -> None:
    suggestions = ["Vad gör REKO?", "Vad gör Almi?", "Hur kan insatser finansieras?", "En fjärde fråga?"]
    adapter, _ = make_bot(FakeQA(suggestions=suggestions))
    [reply] = await send(adapter, "Vad gör Handelskammaren?")
    assert reply.text == "SVAR på: Vad gör Handelskammaren?"
    actions = reply.suggested_actions.actions
    assert [(a.type, a.title, a.value) for a in actions] == [
        (ActionTypes.im_back, q, q) for q in suggestions[:3]
    ]


async def test_blank_and_repeated_suggestions_are_dropped() -> None:
    adapter, _ = make_bot(FakeQA(suggestions=["Vad gör REKO?", " ", "Vad gör REKO?", "Vad gör Almi?"]))
    [reply] = await send(adapter, "Vad gör Handelskammaren?")
    assert [a.value for a in reply.suggested_actions.actions] == ["Vad gör REKO?", "Vad gör Almi?"]


async def test_no_suggestions_no_suggested_actions() -> None:
    adapter, _ = make_bot(FakeQA())
    [reply] = await send(adapter, "Vad gör Almi?")
    assert reply.suggested_actions is None


async def test_truncated_question_keeps_its_suggestions() -> None:
    adapter, _ = make_bot(FakeQA(suggestions=["Vad gör REKO?"]))
    [reply] = await send(adapter, "Vad gör Almi? " + "mycket " * 400)
    assert reply.text.startswith(texts.truncated_note(MAX_QUESTION_CHARS, "sv"))
    assert [a.value for a in reply.suggested_actions.actions] == ["Vad gör REKO?"]


async def test_webchat_join_event_gets_the_welcome_in_the_page_language() -> None:
    """Through Azure Direct Line the page's `webchat/join` event reaches the bot, which welcomes."""
    from botbuilder.schema import ConversationAccount

    bot = KompetensBot(lambda: FakeQA(), ConversationState(CopyingStorage()))
    adapter = TestAdapter(bot.on_turn)
    for locale, expected in (("sv-SE", texts.SV.welcome), ("en-US", texts.EN.welcome)):
        join = Activity(
            type=ActivityTypes.event,
            name="webchat/join",
            locale=locale,
            channel_id="directline",
            from_property=ChannelAccount(id="user1"),
            recipient=ChannelAccount(id="bot"),
            conversation=ConversationAccount(id=f"conv-{locale}"),
        )
        (reply,) = await send(adapter, join)
        assert reply.text == expected
        assert [a.value for a in reply.suggested_actions.actions]
    other = Activity(
        type=ActivityTypes.event,
        name="something/else",
        channel_id="directline",
        from_property=ChannelAccount(id="u"),
        recipient=ChannelAccount(id="bot"),
        conversation=ConversationAccount(id="c3"),
    )
    assert await send(adapter, other) == []


async def test_a_failed_save_of_the_context_costs_no_apology_after_the_answer() -> None:
    """Two instances writing one conversation at once: the later save fails (its version is stale). The
    answer was sent; no apology must follow it."""

    class ConflictingStorage(CopyingStorage):
        async def write(self, changes: dict) -> None:
            raise RuntimeError("the conversation was written by another instance meanwhile")

    adapter, _ = make_bot(FakeQA(), ConflictingStorage())
    replies = await send(adapter, "Vad gör Almi?")
    assert [r.text for r in replies] == ["SVAR på: Vad gör Almi?"]
