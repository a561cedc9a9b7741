"""Replies on the Microsoft Teams channel: the Adaptive Card, the AI label and citations, feedback, welcome.

The wire-format tests run the real aiohttp app and read what it POSTs to a loopback Bot Connector
(tests/connector.py): that JSON, not botbuilder's objects, is what Teams gets.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from botbuilder.core import ConversationState, MemoryStorage
from botbuilder.core.adapters import TestAdapter
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    Entity,
    TextFormatTypes,
)
from botframework.connector import models as connector_models
from conftest import Start
from connector import FakeConnector
from msrest import Serializer

from handlers.channels.botframework import create_app, teams
from handlers.channels.botframework.activity_handler import KompetensBot
from handlers.channels.botframework.app import BOT
from handlers.insights.feedback import FEEDBACK, FeedbackStore
from handlers.insights.store import Database
from handlers.model.answer import DECLINED, PARTIAL, Answer, Source
from handlers.model.context import Context
from handlers.operations import logs
from handlers.wording import render, texts
from index.config import Config

# The servers are started by fixtures, and botbuilder keeps HTTP clients between turns: every async test
# runs on the session's event loop, like tests/test_server_e2e.py.
session_loop = pytest.mark.asyncio(loop_scope="session")

LOCAL = Config()  # no MicrosoftAppId: no authentication

ALMI = Source(
    id="almi-103",
    section="Aktörer > Almi",
    page=27,
    text=(
        "Aktörer – Almi\nAlmi Företagspartner AB ägs av staten och är moderbolag i en koncern med 16 "
        "regionala dotterbolag och underkoncernen Almi Invest. Almi erbjuder lån och affärsutveckling till "
        "företag med tillväxtpotential."
    ),
    score=0.9,
)
INSATSER = Source(
    id="insatsområden-086",
    section="Förbättra arbetsgivarnas strategiska arbete > Insatsområden",
    page=22,
    text=(
        "Förbättra arbetsgivarnas strategiska arbete – Insatsområden\n**Insatsområden**\nArbetsgivare, "
        "branschorganisationer och kompetensfrämjande aktörer är särskilt viktiga.\n- Strukturer för "
        "arbetsgivares arbete\n- Validering som del i rekrytering"
    ),
    score=0.5,
)
SUGGESTIONS = ["Vad gör REKO?", "Vad gör Arbetsförmedlingen?", "Hur kan insatser finansieras?", "Vad är YH?"]
# The answer's body, in Markdown: the sources are data (Answer.sources), never part of the body.
ANSWER_BODY = (
    "Almi erbjuder lån och affärsutveckling till företag med tillväxtpotential.\n\n"
    "Planen tar också upp Almi här:\n"
    "- Exempelvis Almi, Arbetsförmedlingen och Region Örebro län. "
    "(Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22)\n"
    "- Det företagsfrämjande systemet, exempelvis Almi."
)
SOURCES_LINE = (
    "Källor: Aktörer › Almi, s. 27 · Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22"
)
MARKED_SOURCES_LINE = (
    "Källor: Aktörer › Almi, s. 27 [1] · "
    "Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22 [2]"
)
# What Web Chat, the Emulator and the CLI show: body and sources line, rendered by handlers.wording.render.
ANSWER_TEXT = f"{ANSWER_BODY}\n\n{SOURCES_LINE}"
DECLINE = "Det kan jag tyvärr inte svara på."
LACKING = "Planen anger ingen budget för Almi."


def almi_answer(question: str = "Vad gör Almi?", **fields: Any) -> Answer:
    values: dict[str, Any] = {
        "question": question,
        "body": ANSWER_BODY,
        # A repeated label (two chunks of one section) is cited once.
        "sources": [ALMI, INSATSER, Source("almi-104", "Aktörer > Almi", 27, "Aktörer – Almi\nMer.", 0.4)],
        "suggestions": list(SUGGESTIONS),
        "context": Context(question=question, topic="Almi"),
    }
    values.update(fields)
    return Answer(**values)


def partial_answer(question: str = "Vilken budget har Almi?", **fields: Any) -> Answer:
    """The plan does not say what was asked (Almi's budget), but says what Almi does."""
    return almi_answer(question, **{"outcome": PARTIAL, "note": LACKING, **fields})


class FakeQA:
    """Answers about Almi with two sources and four suggestions; declines questions about pizza; answers
    questions about a budget in part (the plan has none)."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    def answer(self, question: str, context: Context | None = None) -> Answer:
        self.questions.append(question)
        if "pizza" in question:
            return Answer(question=question, body=DECLINE, outcome=DECLINED)
        if question == "kompetens":
            return ask_back_answer(question)
        if "budget" in question:
            return partial_answer(question)
        return almi_answer(question)


CHOICES = ["Aktörer > Almi", "Finansiering", "Strategiska inriktningar > Insatsområden"]


def ask_back_answer(question: str) -> Answer:
    labels = render.choice_labels(CHOICES)
    context = Context(question, "", "", CHOICES)
    return Answer(question, texts.SV.ask_back, DECLINED, suggestions=labels, context=context, choices=CHOICES)


# --- The Adaptive Card --------------------------------------------------------------------------------------

# Element types and TextBlock properties of Adaptive Cards 1.0–1.2: every Teams client renders them.
CARD_TYPES = {"AdaptiveCard", "TextBlock", "Action.Submit"}
TEXT_BLOCK_KEYS = {"type", "text", "wrap", "spacing", "separator", "size", "weight", "isSubtle"}


def walk(node: Any) -> list[dict]:
    """Every dict with a "type" in a card, depth first."""
    found: list[dict] = []
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            found.append(node)
        for value in node.values():
            found += walk(value)
    elif isinstance(node, list):
        for value in node:
            found += walk(value)
    return found


SERIALIZER = Serializer({k: v for k, v in vars(connector_models).items() if isinstance(v, type)})
SOURCE_HEADINGS = {"Källa", "Källor", "Source", "Sources"}


def wire(activity: Activity) -> dict[str, Any]:
    """The activity as the connector client serialises it (msrest drops what a model does not declare)."""
    return SERIALIZER.body(activity, "Activity")


def sources_lines(card: dict) -> tuple[str | None, list[str]]:
    """The card's sources heading and the lines under it (None and [] without a sources section)."""
    blocks = card["body"]
    at = [i for i, b in enumerate(blocks) if b.get("separator") and b["text"] in SOURCE_HEADINGS]
    if not at:
        return None, []
    [heading] = at  # one section, and it is the last part of the body
    return blocks[heading]["text"], [b["text"] for b in blocks[heading + 1 :]]


def assert_teams_answer(reply: dict[str, Any]) -> tuple[dict, dict]:
    """Every rule of a Teams answer, checked on the wire JSON; returns the card and the Message entity.

    One message with one Adaptive Card 1.5 and no text; a summary; no suggested actions; at most three
    imBack buttons; ONE schema.org Message entity with the AI label and citations 1..n; the card's sources
    line n is citation n's label with "[n]", and the fallbackText ends with the same labels and markers;
    and the feedback buttons.
    """
    assert reply["type"] == "message"
    assert "text" not in reply  # text plus a card would show as two messages in Teams
    assert "suggestedActions" not in reply  # Teams shows none on a message with attachments
    assert 0 < len(reply["summary"]) <= teams.MAX_SUMMARY
    assert reply["channelData"]["feedbackLoopEnabled"] is True
    [attachment] = reply["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["version"] == "1.5"
    elements = [e for e in walk(card) if e is not card and "msteams" not in e]
    # Action.Submit data carries {"msteams": {"type": "imBack"}}, which walk() sees as a typed dict too.
    elements = [e for e in elements if e["type"] != "imBack"]
    assert {e["type"] for e in elements} <= CARD_TYPES
    assert card["body"] and all(b["type"] == "TextBlock" and b["wrap"] is True for b in card["body"])
    assert all(set(b) <= TEXT_BLOCK_KEYS for b in card["body"])
    actions = card.get("actions", [])
    assert len(actions) <= 3  # the product's limit, not just the module's constant
    for action in actions:
        assert action == {
            "type": "Action.Submit",
            "title": action["title"],
            "data": {"msteams": {"type": "imBack", "value": action["title"]}},
        }
    # One root Message entity (Teams rejects several), with the AI label.
    [entity] = reply["entities"]
    assert entity["type"] == "https://schema.org/Message"
    assert (entity["@type"], entity["@context"]) == ("Message", "https://schema.org")
    assert entity["additionalType"] == ["AIGeneratedContent"]
    citations = entity.get("citation", [])
    assert len(citations) <= teams.MAX_CITATIONS
    assert [c["position"] for c in citations] == list(range(1, len(citations) + 1))
    heading, lines = sources_lines(card)
    assert len(lines) == len(citations)
    for n, (line, claim) in enumerate(zip(lines, citations, strict=True), start=1):
        assert line.endswith(f" [{n}]")
        label = line.removesuffix(f" [{n}]")
        assert "[" not in label
        appearance = claim["appearance"]
        assert appearance["@type"] == "DigitalDocument"
        assert 0 < len(appearance["abstract"]) <= teams.MAX_CITATION_ABSTRACT
        if len(label) <= teams.MAX_CITATION_NAME:
            assert appearance["name"] == label
        else:  # a long label is cited by its last heading and page
            assert appearance["name"].startswith("… › ") and len(appearance["name"]) <= 80
            assert appearance["name"].rsplit(", s. ", 1)[-1] == label.rsplit(", s. ", 1)[-1]
    if citations:
        # The fallback text is the whole answer, its sources line carrying the same markers.
        assert card["fallbackText"].endswith(f"\n\n{heading}: " + " · ".join(lines))
        assert f"[{len(citations) + 1}]" not in card["fallbackText"]
    return card, entity


def answer_card_of(message: Activity) -> dict:
    [attachment] = message.attachments
    assert attachment.content_type == teams.CARD_CONTENT_TYPE
    return attachment.content


def test_answer_card_structure() -> None:
    message = teams.answer_message(almi_answer())
    card, _ = assert_teams_answer(wire(message))
    assert card == answer_card_of(message)
    blocks = card["body"]
    texts = [b["text"] for b in blocks]
    # The answer without its "Källor:" line: the sources have their own section.
    assert texts[0] == "Almi erbjuder lån och affärsutveckling till företag med tillväxtpotential."
    assert not any(t.startswith(("Källa:", "Källor:")) for t in texts)
    # A Markdown list stays one TextBlock with its items on separate lines.
    assert texts[2].startswith("- Exempelvis Almi") and "\n- Det företagsfrämjande systemet" in texts[2]
    # The sources section: a small, subtle heading and one small, subtle line per source (no repeats), each
    # with the marker of its citation.
    heading = texts.index("Källor")
    assert blocks[heading]["separator"] is True
    section = blocks[heading:]
    assert [b["text"] for b in section[1:]] == [
        "Aktörer › Almi, s. 27 [1]",
        "Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22 [2]",
    ]
    assert all(b["size"] == "Small" and b["isSubtle"] is True for b in section)
    # At most three follow-ups (of four suggestions), each an imBack that posts the question.
    assert card["actions"] == [
        {"type": "Action.Submit", "title": q, "data": {"msteams": {"type": "imBack", "value": q}}}
        for q in SUGGESTIONS[:3]
    ]
    assert card["fallbackText"] == f"{ANSWER_BODY}\n\n{MARKED_SOURCES_LINE}"
    assert card["fallbackText"] == render.markdown(almi_answer(), markers=True)
    # answer_card() renders the same card (used to preview it in a browser).
    without_fallback = {k: v for k, v in card.items() if k != "fallbackText"}
    assert {
        k: v for k, v in teams.answer_card(almi_answer()).items() if k != "fallbackText"
    } == without_fallback


def test_card_with_one_source_says_kalla_and_english_says_sources() -> None:
    one = teams.answer_message(almi_answer(sources=[ALMI], body="Almi lånar ut."))
    card, entity = assert_teams_answer(wire(one))
    assert [b["text"] for b in card["body"]] == ["Almi lånar ut.", "Källa", "Aktörer › Almi, s. 27 [1]"]
    assert card["fallbackText"] == "Almi lånar ut.\n\nKälla: Aktörer › Almi, s. 27 [1]"
    assert [c["appearance"]["name"] for c in entity["citation"]] == ["Aktörer › Almi, s. 27"]
    english = teams.answer_message(
        almi_answer(lang="en", lead="The plan says (in Swedish):", body="Almi lånar ut.")
    )
    card, _ = assert_teams_answer(wire(english))
    texts = [b["text"] for b in card["body"]]
    # The lead and the body are paragraphs of their own; the summary is the body, not the lead.
    assert texts[:3] == ["The plan says (in Swedish):", "Almi lånar ut.", "Sources"]
    assert not any(t.startswith("Sources:") for t in texts)
    assert english.summary == "Almi lånar ut."
    assert card["fallbackText"] == (
        "The plan says (in Swedish):\n\nAlmi lånar ut.\n\nSources: Aktörer › Almi, s. 27 [1] · "
        "Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22 [2]"
    )


def test_card_without_sources_or_suggestions_has_no_section_or_actions() -> None:
    card = teams.adaptive_card("Hej!\nRad två.")
    assert [b["text"] for b in card["body"]] == ["Hej!", "Rad två."]
    assert "actions" not in card


def test_no_rendered_answer_is_parsed_back() -> None:
    """The sources are data: a body that itself reads like a sources line is shown as it is, everywhere."""
    body = "Svar.\n\nKällor: x"  # e.g. a quoted passage ending in such a line
    answer = almi_answer(body=body, sources=[ALMI])
    assert not hasattr(teams, "split_sources_line")
    card, entity = assert_teams_answer(wire(teams.answer_message(answer)))
    assert [b["text"] for b in card["body"]] == ["Svar.", "Källor: x", "Källa", "Aktörer › Almi, s. 27 [1]"]
    assert card["fallbackText"] == "Svar.\n\nKällor: x\n\nKälla: Aktörer › Almi, s. 27 [1]"
    assert [c["appearance"]["name"] for c in entity["citation"]] == ["Aktörer › Almi, s. 27"]
    assert render.markdown(answer) == "Svar.\n\nKällor: x\n\nKälla: Aktörer › Almi, s. 27"
    # Without sources, nothing is taken away from the body, and no section or citation is made up.
    bare = teams.answer_message(almi_answer(body=body, sources=[]))
    card, entity = assert_teams_answer(wire(bare))
    assert [b["text"] for b in card["body"]] == ["Svar.", "Källor: x"]
    assert card["fallbackText"] == body
    assert "citation" not in entity


def test_partial_answer_card_says_first_what_the_plan_lacks() -> None:
    message = teams.answer_message(partial_answer())
    card, entity = assert_teams_answer(wire(message))
    blocks = card["body"]
    # The note first, in bold, and a separator line before the plan's part.
    assert blocks[0] == {"type": "TextBlock", "text": LACKING, "wrap": True, "weight": "Bolder"}
    assert blocks[1]["text"] == "Almi erbjuder lån och affärsutveckling till företag med tillväxtpotential."
    assert blocks[1]["separator"] is True and blocks[1]["spacing"] == "Medium"
    assert "weight" not in blocks[1]
    assert not any(b.get("weight") == "Bolder" for b in blocks[1:] if b["text"] not in SOURCE_HEADINGS)
    # The sources, as a section with markers and as citations, exactly as on an answer.
    assert sources_lines(card) == (
        "Källor",
        [
            "Aktörer › Almi, s. 27 [1]",
            "Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22 [2]",
        ],
    )
    assert [c["appearance"]["name"] for c in entity["citation"]] == [
        "Aktörer › Almi, s. 27",
        "Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22",
    ]
    # Feedback stays on; the fallback and the summary start with what the plan lacks.
    assert message.channel_data == {"feedbackLoopEnabled": True}
    assert card["fallbackText"] == f"{LACKING}\n\n{ANSWER_BODY}\n\n{MARKED_SOURCES_LINE}"
    assert message.summary == LACKING
    assert [a["title"] for a in card["actions"]] == SUGGESTIONS[:3]


def test_partial_answer_card_with_truncation_note_and_lead() -> None:
    answer = partial_answer(lang="en", lead="The plan says (in Swedish):", note="The plan has no budget.")
    card, _ = assert_teams_answer(wire(teams.answer_message(answer, note="_Long question._")))
    blocks = card["body"]
    assert [b["text"] for b in blocks[:4]] == [
        "_Long question._",
        "The plan has no budget.",
        "The plan says (in Swedish):",
        "Almi erbjuder lån och affärsutveckling till företag med tillväxtpotential.",
    ]
    assert "weight" not in blocks[0] and "separator" not in blocks[0]
    assert (
        blocks[1]["weight"] == "Bolder" and blocks[1]["spacing"] == "Medium" and "separator" not in blocks[1]
    )
    assert blocks[2]["separator"] is True and "weight" not in blocks[2]
    assert card["fallbackText"].startswith(
        "_Long question._\n\nThe plan has no budget.\n\nThe plan says (in Swedish):\n\nAlmi erbjuder"
    )
    assert card["fallbackText"].endswith(
        "\n\nSources: Aktörer › Almi, s. 27 [1] · "
        "Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22 [2]"
    )


def test_welcome_card_message_has_summary_and_no_text() -> None:
    message = teams.text_card_message(texts.SV.welcome, texts.EXAMPLES_SV)
    assert message.text is None  # text plus a card would show as two messages in Teams
    assert message.summary.startswith("Hej! Jag svarar på frågor om Region Örebro läns")
    assert len(message.summary) <= teams.MAX_SUMMARY
    [attachment] = message.attachments
    assert attachment.content_type == "application/vnd.microsoft.card.adaptive"
    card = attachment.content
    assert card["fallbackText"] == texts.SV.welcome
    assert [a["data"]["msteams"]["value"] for a in card["actions"]] == list(texts.EXAMPLES_SV)
    assert (
        "- Vad gör Almi?\n- Vilka insatsområden finns för arbetsgivare?"
        in [b["text"] for b in card["body"]][2]
    )


# --- Citations ---------------------------------------------------------------------------------------------


def test_answer_text_gets_a_marker_per_cited_source() -> None:
    marked = f"\n\n{MARKED_SOURCES_LINE}"
    sources = teams.cited_sources(almi_answer())
    assert [s.id for s in sources] == ["almi-103", "insatsområden-086"]
    assert teams.fallback_text(almi_answer()).endswith(marked)
    message = teams.answer_message(almi_answer())
    assert message.text is None
    assert message.suggested_actions is None
    assert message.summary == "Almi erbjuder lån och affärsutveckling till företag med tillväxtpotential."
    card = answer_card_of(message)
    assert card["fallbackText"].startswith("Almi erbjuder lån")
    assert card["fallbackText"].endswith(marked)
    assert card["fallbackText"] == teams.fallback_text(almi_answer())
    assert sources_lines(card) == (
        "Källor",
        [
            "Aktörer › Almi, s. 27 [1]",
            "Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22 [2]",
        ],
    )
    [entity] = message.entities
    assert isinstance(entity, teams.MessageEntity)
    assert [(c["position"], c["appearance"]["name"]) for c in entity.citation] == [
        (1, "Aktörer › Almi, s. 27"),
        (2, "Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22"),
    ]
    assert message.channel_data == {"feedbackLoopEnabled": True}


def test_truncation_note_comes_first() -> None:
    message = teams.answer_message(almi_answer(), note="_Lång fråga._")
    card, _ = assert_teams_answer(wire(message))
    assert [b["text"] for b in card["body"][:2]] == [
        "_Lång fråga._",
        "Almi erbjuder lån och affärsutveckling till företag med tillväxtpotential.",
    ]
    assert "spacing" not in card["body"][0] and card["body"][1]["spacing"] == "Medium"


def test_citation_name_and_abstract_respect_the_teams_limits() -> None:
    long = Source(
        "x",
        "Utveckling är något vi skapar tillsammans > Vi vill göra det enklare för länets aktörer att driva "
        "utveckling > Förmobilisering av utvecklingssatsningar",
        25,
        "Utveckling är något vi skapar tillsammans – Vi vill göra det enklare för länets aktörer att driva "
        "utveckling – Förmobilisering av utvecklingssatsningar\n" + "Region Örebro län kan bidra. " * 20,
        0.3,
    )
    name = teams.citation_name(long)
    assert len(name) <= 80
    assert name.endswith("Förmobilisering av utvecklingssatsningar, s. 25")
    abstract = teams.citation_abstract(long)
    assert len(abstract) <= 160
    assert abstract.startswith("Region Örebro län kan bidra.")
    assert abstract.endswith("…")
    # The heading line and Markdown marks are not part of the passage.
    insatser = teams.citation_abstract(INSATSER)
    assert insatser.startswith("Insatsområden Arbetsgivare, branschorganisationer")
    assert "**" not in insatser and "– Insatsområden" not in insatser
    assert teams.citation_name(ALMI) == "Aktörer › Almi, s. 27"


def test_more_than_twenty_sources_are_cut_to_twenty_citations() -> None:
    sources = [Source(f"s{i}", f"Avsnitt {i}", i, f"Avsnitt {i}\nText {i}.", 0.1) for i in range(25)]
    message = teams.answer_message(almi_answer(sources=sources))
    card, entity = assert_teams_answer(wire(message))
    assert len(entity["citation"]) == 20
    heading, lines = sources_lines(card)
    assert lines[0] == "Avsnitt 0, s. 0 [1]" and lines[-1] == "Avsnitt 19, s. 19 [20]"
    assert "[20]" in card["fallbackText"] and "[21]" not in card["fallbackText"]
    assert not any("[21]" in b["text"] for b in card["body"])


def test_botbuilders_entity_and_dict_entities_lose_the_teams_keys_on_serialisation() -> None:
    """Why MessageEntity exists: the connector client serialises with msrest, which re-reads the activity
    as botbuilder models first and keeps only the keys a model declares."""
    wanted = {
        "type": "https://schema.org/Message",
        "@type": "Message",
        "additionalType": ["AIGeneratedContent"],
    }
    serializer = Serializer({k: v for k, v in vars(connector_models).items() if isinstance(v, type)})
    entity = Entity(type=wanted["type"])
    entity.additional_properties = {k: v for k, v in wanted.items() if k != "type"}
    for entities in ([entity], [dict(wanted)]):
        body = serializer.body(Activity(type="message", text="x", entities=entities), "Activity")
        assert body["entities"] == [{"type": "https://schema.org/Message"}]
    body = serializer.body(Activity(type="message", entities=[teams.ai_entity([ALMI])]), "Activity")
    assert body["entities"][0]["additionalType"] == ["AIGeneratedContent"]
    assert body["entities"][0]["citation"][0]["appearance"]["@type"] == "DigitalDocument"


def test_invoke_body_pitfall() -> None:
    """Why EmptyBody exists: CloudAdapter runs the invoke body through msrest's serializer."""
    with pytest.raises(AttributeError):
        serializer_helper({})
    assert serializer_helper(teams.EmptyBody()) == {}


# --- Feedback parsing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"feedbackText":"Bra svar, tack!"}', "Bra svar, tack!"),
        ({"feedbackText": " Fel sida "}, "Fel sida"),
        ('{"feedbackText":""}', ""),
        ("Bara text", "Bara text"),
        (None, ""),
    ],
)
def test_feedback_text(raw: object, expected: str) -> None:
    assert teams.feedback_text(raw) == expected


def test_feedback_from_other_invokes_is_none() -> None:
    other = Activity(type=ActivityTypes.invoke, name="message/fetchTask", value={"actionName": "feedback"})
    assert teams.feedback_from(other) is None
    not_feedback = Activity(type=ActivityTypes.invoke, name="message/submitAction", value={"actionName": "x"})
    assert teams.feedback_from(not_feedback) is None


# --- The bot on the Teams channel (botbuilder's TestAdapter) ------------------------------------------------


def teams_bot(qa: object | None = None) -> tuple[TestAdapter, KompetensBot]:
    bot = KompetensBot(lambda: qa if qa is not None else FakeQA(), ConversationState(MemoryStorage()))
    adapter = TestAdapter(bot.on_turn)
    adapter.template.channel_id = "msteams"
    return adapter, bot


def in_teams(conversation_type: str, **fields: Any) -> Activity:
    return Activity(
        conversation=ConversationAccount(id=f"{conversation_type}-1", conversation_type=conversation_type),
        **fields,
    )


async def send(adapter: TestAdapter, activity: Activity | str) -> list[Activity]:
    adapter.activity_buffer.clear()
    await adapter.receive_activity(activity)
    return list(adapter.activity_buffer)


@session_loop
async def test_teams_answer_has_ai_label_citations_feedback_and_follow_ups() -> None:
    adapter, _ = teams_bot()
    [reply] = await send(adapter, "Vad gör Almi?")
    assert reply.text is None
    assert reply.suggested_actions is None
    [entity] = reply.entities
    assert entity.additional_type == ["AIGeneratedContent"]
    assert [c["position"] for c in entity.citation] == [1, 2]
    assert reply.channel_data == {"feedbackLoopEnabled": True}
    card, _ = assert_teams_answer(wire(reply))
    assert card == answer_card_of(reply)
    assert [a["data"]["msteams"]["value"] for a in card["actions"]] == SUGGESTIONS[:3]
    assert sources_lines(card)[1][0] == "Aktörer › Almi, s. 27 [1]"


@session_loop
async def test_teams_partial_answer_is_a_card_with_citations_and_feedback() -> None:
    adapter, _ = teams_bot()
    [reply] = await send(adapter, "Vilken budget har Almi?")
    assert reply.text is None
    card, entity = assert_teams_answer(wire(reply))
    assert card["body"][0]["text"] == LACKING and card["body"][0]["weight"] == "Bolder"
    assert card["body"][1]["separator"] is True
    assert [c["position"] for c in entity["citation"]] == [1, 2]
    assert reply.channel_data == {"feedbackLoopEnabled": True}


@session_loop
async def test_teams_declined_answer_is_plain_text_without_label_or_feedback() -> None:
    adapter, _ = teams_bot()
    [reply] = await send(adapter, "Vad kostar en pizza?")
    assert reply.text == DECLINE
    assert reply.text_format == TextFormatTypes.markdown
    assert not reply.entities
    assert reply.channel_data is None


@session_loop
async def test_teams_asking_back_offers_the_sections_as_card_buttons() -> None:
    adapter, _ = teams_bot()
    [reply] = await send(adapter, "kompetens")
    card = reply.attachments[0].content
    assert card["body"][0]["text"] == texts.SV.ask_back
    assert [a["data"]["msteams"] for a in card["actions"]] == [
        {"type": "imBack", "value": label} for label in ["Almi", "Finansiering", "Insatsområden"]
    ]
    assert "1. Almi" in card["fallbackText"]
    assert not reply.entities and reply.channel_data is None  # nothing cited, nothing to rate


@session_loop
async def test_teams_help_is_a_card_in_the_asked_language() -> None:
    adapter, _ = teams_bot()
    mention = {"type": "mention", "mentioned": {"id": "bot", "name": "Kompetensbot"}}
    mention["text"] = "<at>Kompetensbot</at>"
    asked = Activity().deserialize({"type": "message", "text": "<at>Kompetensbot</at> help"})
    asked.entities = Activity().deserialize({"entities": [mention]}).entities
    [reply] = await send(adapter, asked)
    card = reply.attachments[0].content
    assert card["fallbackText"] == texts.EN.help
    assert [a["title"] for a in card["actions"]] == list(texts.EXAMPLES_EN)
    [reply] = await send(adapter, "hjälp")
    assert reply.attachments[0].content["fallbackText"] == texts.SV.help


def added(conversation_type: str, *ids: str) -> Activity:
    return in_teams(
        conversation_type,
        type=ActivityTypes.conversation_update,
        members_added=[ChannelAccount(id=i) for i in ids],
    )


def is_welcome(activity: Activity) -> bool:
    return bool(activity.attachments) and activity.attachments[0].content["fallbackText"] == texts.SV.welcome


@session_loop
async def test_personal_chat_is_welcomed_once() -> None:
    adapter, _ = teams_bot()
    bot_id = adapter.template.recipient.id
    [welcome] = await send(adapter, added("personal", "user1"))
    assert is_welcome(welcome)
    # Teams may tell about the bot being added too, or tell again: the user already has the welcome.
    assert await send(adapter, added("personal", bot_id)) == []
    assert await send(adapter, added("personal", "user1")) == []


@session_loop
async def test_personal_chat_with_user_and_bot_in_one_event_gets_one_welcome() -> None:
    adapter, _ = teams_bot()
    replies = await send(adapter, added("personal", adapter.template.recipient.id, "user1"))
    assert len(replies) == 1 and is_welcome(replies[0])


@session_loop
@pytest.mark.parametrize("conversation_type", ["channel", "groupChat"])
async def test_team_and_group_chat_welcome_when_the_bot_is_added_only(conversation_type: str) -> None:
    adapter, _ = teams_bot()
    bot_id = adapter.template.recipient.id
    replies = await send(adapter, added(conversation_type, "user1", bot_id, "user2"))
    assert len(replies) == 1 and is_welcome(replies[0])
    # People joining later are not welcomed one by one in the channel.
    assert await send(adapter, added(conversation_type, "user3")) == []
    assert await send(adapter, added(conversation_type, "user4", "user5")) == []


@session_loop
async def test_installation_update_does_not_welcome_a_second_time() -> None:
    adapter, _ = teams_bot()
    install = in_teams("personal", type=ActivityTypes.installation_update, action="add")
    assert await send(adapter, install) == []
    replies = await send(adapter, added("personal", "user1"))
    assert len(replies) == 1 and is_welcome(replies[0])
    assert await send(adapter, install) == []


@session_loop
async def test_other_channels_welcome_once_per_event_with_text() -> None:
    bot = KompetensBot(lambda: FakeQA())
    adapter = TestAdapter(bot.on_turn)  # channel "test"
    replies = await send(
        adapter,
        Activity(
            type=ActivityTypes.conversation_update,
            members_added=[ChannelAccount(id="user1"), ChannelAccount(id="user2")],
        ),
    )
    assert [r.text for r in replies] == [texts.SV.welcome]  # one per event, however many were added
    assert all(not r.attachments for r in replies)


# --- On the wire: the real app, replies captured at the loopback connector ---------------------------------


@pytest.fixture
async def bot(start: Start) -> TestClient:
    return await start(FakeQA)


def teams_activity(connector: FakeConnector, text: str | None = "", **fields: Any) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": "message",
        "id": "1700000000001",
        "text": text,
        "from": {
            "id": "29:user1",
            "name": "Användare",
            "aadObjectId": "00000000-0000-0000-0000-00000000000a",
        },
        "recipient": {"id": "28:bot", "name": "Kompetensbot"},
        "conversation": {"id": "a:1personal", "conversationType": "personal", "tenantId": "t1"},
        "channelId": "msteams",
        "serviceUrl": connector.url,
        "locale": "sv-SE",
        "channelData": {"tenant": {"id": "t1"}},
    }
    activity.update(fields)
    return activity


async def ask(client: TestClient, connector: FakeConnector, text: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/messages", json=teams_activity(connector, text, **fields))
    assert response.status < 300, await response.text()
    [reply] = await connector.replies(1)
    assert connector.pending() == 0
    return reply


EXPECTED_ENTITY = {
    "type": "https://schema.org/Message",
    "@type": "Message",
    "@context": "https://schema.org",
    "@id": "",
    "additionalType": ["AIGeneratedContent"],
    "citation": [
        {
            "@type": "Claim",
            "position": 1,
            "appearance": {
                "@type": "DigitalDocument",
                "name": "Aktörer › Almi, s. 27",
                "abstract": (
                    "Almi Företagspartner AB ägs av staten och är moderbolag i en koncern med 16 regionala "
                    "dotterbolag och underkoncernen Almi Invest. Almi erbjuder lån och…"
                ),
                "image": {"@type": "ImageObject", "name": "PDF"},
            },
        },
        {
            "@type": "Claim",
            "position": 2,
            "appearance": {
                "@type": "DigitalDocument",
                "name": "Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22",
                "abstract": (
                    "Insatsområden Arbetsgivare, branschorganisationer och kompetensfrämjande aktörer är "
                    "särskilt viktiga. Strukturer för arbetsgivares arbete Validering som del i…"
                ),
                "image": {"@type": "ImageObject", "name": "PDF"},
            },
        },
    ],
}


@session_loop
async def test_teams_answer_on_the_wire(bot: TestClient, connector: FakeConnector) -> None:
    reply = await ask(bot, connector, "<at>Kompetensbot</at> Vad gör Almi?")
    assert reply["_path"] == "/v3/conversations/a:1personal/activities/1700000000001"
    card, _ = assert_teams_answer(reply)
    # One root Message entity (Teams rejects several), every key as Teams reads it.
    assert reply["entities"] == [EXPECTED_ENTITY]
    assert reply["channelData"] == {"feedbackLoopEnabled": True}
    assert reply["summary"] == "Almi erbjuder lån och affärsutveckling till företag med tillväxtpotential."
    assert [b["text"] for b in card["body"]] == [
        "Almi erbjuder lån och affärsutveckling till företag med tillväxtpotential.",
        "Planen tar också upp Almi här:",
        "- Exempelvis Almi, Arbetsförmedlingen och Region Örebro län. "
        "(Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22)\n"
        "- Det företagsfrämjande systemet, exempelvis Almi.",
        "Källor",
        "Aktörer › Almi, s. 27 [1]",
        "Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22 [2]",
    ]
    assert card["fallbackText"].endswith(
        "Källor: Aktörer › Almi, s. 27 [1] · "
        "Förbättra arbetsgivarnas strategiska arbete › Insatsområden, s. 22 [2]"
    )
    assert card["actions"] == [
        {"type": "Action.Submit", "title": q, "data": {"msteams": {"type": "imBack", "value": q}}}
        for q in SUGGESTIONS[:3]
    ]


@session_loop
async def test_feedback_invoke_is_answered_200_and_recorded(
    bot: TestClient, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    reply = await ask(bot, connector, "Vad gör Almi?")
    answered_id = "reply-1"  # what the connector answered when the bot posted the answer
    assert reply["replyToId"] == "1700000000001"
    invoke = teams_activity(
        connector,
        None,
        type="invoke",
        id="f:1",
        name="message/submitAction",
        replyToId=answered_id,
        value={
            "actionName": "feedback",
            "actionValue": {"reaction": "dislike", "feedback": '{"feedbackText":"Fel sida för Almi"}'},
        },
    )
    with caplog.at_level(logging.INFO, logger="handlers.channels.botframework.teams"):
        response = await bot.post("/api/messages", json=invoke)
    assert response.status == 200
    assert await response.json() == {}  # Teams: "message/submitAction invoke response isn't empty" is a 400
    assert connector.received[1:] == []  # nothing sent to the chat
    [record] = bot.app[BOT].feedback_log.entries
    assert record == teams.Feedback(
        reaction="dislike",
        reply_to_id=answered_id,
        conversation_id="a:1personal",
        feedback="Fel sida för Almi",
        question="Vad gör Almi?",
        channel="msteams",
        sections=(ALMI.section, INSATSER.section),
    )
    # The log says the reaction, the channel and the hashed conversation; not what the user wrote.
    [entry] = [r for r in caplog.records if r.name == "handlers.channels.botframework.teams"]
    assert entry.getMessage() == "Feedback dislike"
    assert (entry.channel, entry.conversation) == ("msteams", logs.hash_id("a:1personal"))
    assert "Fel sida" not in caplog.text and "Almi" not in caplog.text and "a:1personal" not in caplog.text


@session_loop
async def test_feedback_is_stored_scrubbed_when_there_is_a_store(
    bot: TestClient, connector: FakeConnector, tmp_path: Path
) -> None:
    store = FeedbackStore(Database.open(f"sqlite:///{tmp_path / 'store.sqlite3'}", (FEEDBACK,)))
    bot.app[BOT].feedback_log = teams.FeedbackLog(store=store)
    await ask(bot, connector, "Jag heter Anna Berg, vad gör Almi?")
    invoke = teams_activity(
        connector,
        None,
        type="invoke",
        name="message/submitAction",
        replyToId="reply-1",
        value={
            "actionName": "feedback",
            "actionValue": {"reaction": "dislike", "feedback": '{"feedbackText":"Ring 070-123 45 67"}'},
        },
    )
    assert (await bot.post("/api/messages", json=invoke)).status == 200
    [stored] = store.entries()  # written before the invoke was answered
    assert (stored.reaction, stored.channel) == ("dislike", "msteams")
    assert stored.question == "Jag heter [namn], vad gör Almi?"
    assert stored.comment == "Ring [telefon]"
    assert stored.sections == (ALMI.section, INSATSER.section)
    assert stored.conversation == store.database.hash_id("a:1personal") != "a:1personal"
    store.close()


@session_loop
async def test_like_without_comment_is_recorded(bot: TestClient, connector: FakeConnector) -> None:
    invoke = teams_activity(
        connector,
        None,
        type="invoke",
        name="message/submitAction",
        replyToId="unknown-message",
        value={
            "actionName": "feedback",
            "actionValue": {"reaction": "like", "feedback": '{"feedbackText":""}'},
        },
    )
    response = await bot.post("/api/messages", json=invoke)
    assert response.status == 200
    [record] = bot.app[BOT].feedback_log.entries
    assert (record.reaction, record.feedback, record.question, record.sections) == ("like", "", None, ())


@session_loop
async def test_other_invokes_get_a_4xx_rather_than_failing(
    bot: TestClient, connector: FakeConnector
) -> None:
    invoke = teams_activity(connector, None, type="invoke", name="message/fetchTask", value={})
    response = await bot.post("/api/messages", json=invoke)
    assert response.status == 400
    assert "error" in await response.json()
    assert bot.app[BOT].feedback_log.entries == []


@session_loop
async def test_team_welcome_on_the_wire(bot: TestClient, connector: FakeConnector) -> None:
    channel = {"id": "19:general@thread.tacv2", "conversationType": "channel", "tenantId": "t1"}
    update = teams_activity(
        connector, None, type="conversationUpdate", conversation=channel, membersAdded=[{"id": "28:bot"}]
    )
    response = await bot.post("/api/messages", json=update)
    assert response.status < 300
    [welcome] = await connector.replies(1)
    assert welcome["_conversation"] == "19:general@thread.tacv2"
    assert "text" not in welcome
    assert welcome["summary"].startswith("Hej!")
    [attachment] = welcome["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["version"] == "1.5"
    assert len(attachment["content"]["actions"]) == 3
    # A colleague joining the team later: nothing is posted.
    joined = dict(update, membersAdded=[{"id": "29:user2"}])
    assert (await bot.post("/api/messages", json=joined)).status < 300
    await asyncio.sleep(0.05)
    assert connector.pending() == 0


@session_loop
async def test_emulator_gets_plain_markdown_without_teams_extras(
    bot: TestClient, connector: FakeConnector
) -> None:
    reply = await ask(bot, connector, "Vad gör Almi?", channelId="emulator", conversation={"id": "conv1"})
    assert reply["text"] == ANSWER_TEXT  # body and sources line, rendered once by handlers.wording.render
    assert reply["textFormat"] == "markdown"
    assert "entities" not in reply
    assert "channelData" not in reply
    assert "attachments" not in reply
    # A partial answer: what the plan lacks first, then what it does say, then its sources.
    reply = await ask(
        bot, connector, "Vilken budget har Almi?", channelId="emulator", conversation={"id": "conv1"}
    )
    assert reply["text"] == f"{LACKING}\n\n{ANSWER_TEXT}"
    assert "attachments" not in reply and "entities" not in reply


# --- The real engine ---------------------------------------------------------------------------------------


@session_loop
async def test_real_engine_cites_almi_on_teams(start: Start, connector: FakeConnector, real_qa: Any) -> None:
    client = await start(lambda: real_qa)
    reply = await ask(client, connector, "Vad gör Almi?")
    card, entity = assert_teams_answer(reply)
    assert entity["additionalType"] == ["AIGeneratedContent"]
    first = entity["citation"][0]
    assert first["position"] == 1
    assert re.fullmatch(r"Aktörer › Almi, s\. \d+", first["appearance"]["name"])
    assert "Almi" in first["appearance"]["abstract"]
    heading, lines = sources_lines(card)
    assert heading in ("Källa", "Källor")
    assert lines[0] == f"{first['appearance']['name']} [1]"
    assert f"{first['appearance']['name']} [1]" in card["fallbackText"]
    assert "lån" in card["fallbackText"]
    assert any("lån" in b["text"] for b in card["body"][: -len(lines) - 1])
    assert reply["channelData"]["feedbackLoopEnabled"] is True


def test_app_exposes_the_feedback_log() -> None:
    app = create_app(LOCAL, FakeQA)
    assert isinstance(app[BOT].feedback_log, teams.FeedbackLog)
    assert isinstance(app, web.Application)
