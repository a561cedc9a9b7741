"""How the bot's replies look on the Microsoft Teams channel (`activity.channel_id == "msteams"`).

Plain functions that build dicts and botbuilder objects, so that everything here is unit-testable without a
turn; handlers.channels.botframework.activity_handler decides when to use them. Other channels keep
Markdown text.

Wire decisions (checked against the Teams platform docs, "Enhance AI-generated bot messages", "Suggested
actions" and "Format cards in Teams"):

* **Answers are Adaptive Cards (1.5) with the AI label, citations and feedback buttons**, as the product
  asks: the card is built from the answer's parts as data (handlers.model.answer.Answer: note, lead, body
  and sources; nothing here parses rendered text): the answer, a subtle "Källor" section whose lines end
  in "[n]", and up to three follow-up buttons (`Action.Submit` with an `imBack` payload: clicking posts
  the question as if typed; Teams shows no suggested actions on a message with attachments). The activity
  carries one schema.org Message entity with the AI label (`additionalType: ["AIGeneratedContent"]`) and
  the citations (position n ↔ "[n]", name = the section label, abstract = the start of the passage), and
  `channelData.feedbackLoopEnabled` for the 👍/👎 buttons. A card message has no `text` (Teams would show
  text and card as two bubbles) but a `summary` for notifications and the chat list; the card's
  `fallbackText` is the whole answer with its markers (handlers.wording.render.markdown), for clients without
  cards. Trade-off: the Teams docs describe in-text citation markers for text messages; in a 1.5 card the
  "[n]" markers are plain text and Teams lists the citations from the entity.
* **Partial answers** (the plan lacks what was asked but says something related) are answer cards too,
  with citations and feedback: the note on what the plan lacks comes first, in bold, and a separator line
  sets the plan's part apart, so nobody reads the quoted passage as the answer to what was asked.
* **Welcome and help** are cards too, with their example questions as buttons.
* **Declined answers, prompts and notices stay Markdown text** without AI label, citations or feedback
  buttons: they are the bot's fixed wording, not generated from the plan, and there is nothing to cite.

botbuilder 4.17.1 pitfalls handled here: its `Entity` model knows only `type`, and the connector client
re-reads every outgoing activity through msrest before serialising it, so extra keys of an `Entity` or of
a plain dict entity are silently dropped. `MessageEntity` declares every key Teams reads in its
`_attribute_map`. And an `InvokeResponse` whose body is a dict makes CloudAdapter fail with an
AttributeError (it passes the body through msrest's model serializer), so the feedback invoke is answered
with `EmptyBody`, a model that serialises to `{}` (what Teams expects: 200 with an empty object).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from http import HTTPStatus

from botbuilder.core import InvokeResponse
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    Entity,
)
from msrest.serialization import Model

from handlers.insights.feedback import FeedbackEntry, FeedbackStore
from handlers.model.answer import DECLINED, DISLIKE, LIKE, REACTIONS, Answer, Source
from handlers.operations import logs
from handlers.operations.metrics import Metrics
from handlers.wording import render

log = logging.getLogger(__name__)

CHANNEL_ID = "msteams"

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"  # the newest version every Teams client renders

# Follow-up buttons under a reply; Teams shows at most three suggested actions, and more crowd a card too.
MAX_FOLLOW_UPS = 3
# Teams limits (the platform answers 400 beyond the first; the others are cut on display).
MAX_CITATIONS = 20
MAX_CITATION_NAME = 80
MAX_CITATION_ABSTRACT = 160
MAX_SUMMARY = 200

_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def is_teams(activity: Activity | None) -> bool:
    return activity is not None and activity.channel_id == CHANNEL_ID


def follow_ups(questions: Iterable[str], limit: int = MAX_FOLLOW_UPS) -> list[str]:
    """The questions to offer as buttons: trimmed, no blanks or repeats, at most `limit`."""
    return list(dict.fromkeys(q.strip() for q in questions if q and q.strip()))[:limit]



# --- Sources and citations -------------------------------------------------------------------------------


def is_card_answer(answer: Answer) -> bool:
    """Whether Teams shows the answer as an answer card: answered and partial answers, not declines."""
    return answer.outcome != DECLINED


def cited_sources(answer: Answer, limit: int = MAX_CITATIONS) -> list[Source]:
    """The sources the answer cites, one per label (section and page), best first, at most `limit`: the
    same list, in the same order, as the answer's sources line, so that marker n is citation n."""
    return answer.unique_sources[:limit]


def _shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:–-") + "…"


def citation_name(source: Source) -> str:
    """The citation's title, at most 80 characters: the label, or its last heading and page if too long."""
    if len(render.label(source)) <= MAX_CITATION_NAME:
        return render.label(source)
    last = source.section.rsplit(" > ", 1)[-1]
    page = f", s. {source.page}" if source.page is not None else ""
    return f"… › {_shorten(last, MAX_CITATION_NAME - len(page) - 4)}{page}"


def citation_abstract(source: Source) -> str:
    """The start of the passage, at most 160 characters, without its heading line and Markdown marks."""
    lines = source.text.splitlines()
    if lines and lines[0].strip() == source.section.replace(" > ", " – "):
        lines = lines[1:]
    words = " ".join(_LIST_ITEM.sub("", line) for line in lines if line.strip())
    words = words.replace("**", "").replace("\\*", "*")
    return _shorten(words, MAX_CITATION_ABSTRACT)


def citation(position: int, source: Source) -> dict:
    """One schema.org Claim: what Teams shows when the user hovers or clicks the `[position]` marker."""
    return {
        "@type": "Claim",
        "position": position,
        "appearance": {
            "@type": "DigitalDocument",
            "name": citation_name(source),
            "abstract": citation_abstract(source),
            "image": {"@type": "ImageObject", "name": "PDF"},  # the plan is a PDF document
        },
    }


class MessageEntity(Entity):
    """The schema.org Message entity Teams reads for the AI label, citations (and sensitivity labels).

    botbuilder's Entity serialises only `type`; each further key must be in `_attribute_map`, or msrest drops
    it on the way to the connector. `citation` items are plain dicts (msrest's "object" keeps their keys).
    Teams allows ONE such root entity per message ("Multiple root message entities found" is a 400).
    """

    _attribute_map = {
        "type": {"key": "type", "type": "str"},
        "at_type": {"key": "@type", "type": "str"},
        "at_context": {"key": "@context", "type": "str"},
        "at_id": {"key": "@id", "type": "str"},
        "additional_type": {"key": "additionalType", "type": "[str]"},
        "citation": {"key": "citation", "type": "[object]"},
    }

    def __init__(
        self,
        *,
        ai_generated: bool = True,
        citation: list[dict] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(type="https://schema.org/Message", **kwargs)
        self.at_type = "Message"
        self.at_context = "https://schema.org"
        self.at_id = ""
        self.additional_type = ["AIGeneratedContent"] if ai_generated else None
        self.citation = citation or None


def ai_entity(sources: Sequence[Source]) -> MessageEntity:
    """The AI label plus one citation per source, positions 1..n in the given order."""
    return MessageEntity(citation=[citation(n, source) for n, source in enumerate(sources, start=1)])


def fallback_text(answer: Answer, note: str = "") -> str:
    """The whole answer as Markdown, its sources line with the citation markers: "Källor: label [1] · …"."""
    text = render.markdown(answer, markers=True, limit=MAX_CITATIONS)
    return f"{note}\n\n{text}" if note else text


def answer_message(answer: Answer, note: str = "") -> Activity:
    """A Teams answer: the answer card (body, sources with citation markers, follow-up buttons), the AI label
    and the citations in the schema.org Message entity, and the feedback buttons. `note` (e.g. "your question
    was cut") goes first in the card. The summary (notifications, chat list) is the start of the answer's
    body, or of a partial answer's note on what the plan lacks (what the card says first)."""
    message = card_message(answer_card(answer, note), summary_of(answer.note or answer.body))
    message.entities = [ai_entity(cited_sources(answer))]
    message.channel_data = {"feedbackLoopEnabled": True}
    return message


# --- Adaptive Card ------------------------------------------------------------------------------------------


def text_blocks(text: str) -> list[dict]:
    """Markdown text as TextBlocks: one per line, a list's items together in one block.

    Adaptive Card Markdown renders a list only when its items are separated by single newlines within one
    TextBlock, while a single newline between ordinary lines is lost; so each other line is a block of its
    own, with more space above the first line of a paragraph than above the next lines.
    """
    blocks: list[dict] = []

    def add(block_text: str, new_paragraph: bool) -> None:
        spacing = None if not blocks else ("Medium" if new_paragraph else "Small")
        blocks.append(_text_block(block_text, spacing=spacing))

    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        first = True
        items: list[str] = []
        for line in lines:
            if _LIST_ITEM.match(line):
                items.append(line)
                continue
            if items:
                add("\n".join(items), first)
                items, first = [], False
            add(line, first)
            first = False
        if items:
            add("\n".join(items), first)
    return blocks


def _text_block(text: str, spacing: str | None = None, **style: object) -> dict:
    block: dict = {"type": "TextBlock", "text": text, "wrap": True}
    if spacing:
        block["spacing"] = spacing
    block.update(style)
    return block


def sources_section(sources: Sequence[Source], lang: str | None) -> list[dict]:
    """A small, subtle "Källor" heading and one line per source: "section › path, s. N"."""
    if not sources:
        return []
    heading = render.sources_heading(len(sources), lang)
    blocks = [
        _text_block(heading, spacing="Medium", separator=True, size="Small", weight="Bolder", isSubtle=True)
    ]
    # "[n]" is citation n of the message's schema.org entity: Teams lists the citations under the message.
    blocks += [
        _text_block(f"{render.label(s)} [{n}]", spacing="None", size="Small", isSubtle=True)
        for n, s in enumerate(sources, start=1)
    ]
    return blocks


def submit_action(question: str) -> dict:
    """A button that posts `question` to the chat as if the user typed it."""
    return {
        "type": "Action.Submit",
        "title": question,
        "data": {"msteams": {"type": "imBack", "value": question}},
    }


def adaptive_card(
    text: str | list[dict],
    sources: Sequence[Source] = (),
    suggestions: Iterable[str] = (),
    lang: str | None = "sv",
    fallback_text: str | None = None,
) -> dict:
    """An Adaptive Card 1.5: `text` as TextBlocks (or ready TextBlocks, then with a `fallback_text`), an
    optional sources section and up to three buttons."""
    if not isinstance(text, str) and fallback_text is None:
        raise ValueError("a card of ready TextBlocks needs its fallback_text")
    card: dict = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": (text_blocks(text) if isinstance(text, str) else list(text)) + sources_section(sources, lang),
        "fallbackText": fallback_text if fallback_text is not None else text,
        "msteams": {"width": "Full"},
    }
    actions = [submit_action(q) for q in follow_ups(suggestions)]
    if actions:
        card["actions"] = actions
    return card


def answer_blocks(answer: Answer, note: str = "") -> list[dict]:
    """What the answer says, as TextBlocks: `note` (e.g. "your question was cut"), then a partial answer's
    note on what the plan lacks, in bold, then (under a separator line, after such a note) the lead and the
    body. Each part is a paragraph of its own."""
    blocks = text_blocks(note) if note else []
    if answer.note:
        lacking = [{**block, "weight": "Bolder"} for block in text_blocks(answer.note)]
        if blocks:
            lacking[0]["spacing"] = "Medium"
        blocks += lacking
    plan = text_blocks(render.plan_markdown(answer))
    if plan and blocks:
        plan[0]["spacing"] = "Medium"
        if answer.note:  # the plan's part set apart from what the plan lacks
            plan[0]["separator"] = True
    return blocks + plan


def answer_card(answer: Answer, note: str = "") -> dict:
    """An answer as a card, from its parts: answer_blocks(), then the sources section ("label [n]", from
    `answer.sources`), then the follow-ups. The fallbackText is the whole answer as Markdown with the same
    "[n]" markers."""
    return adaptive_card(
        answer_blocks(answer, note),
        cited_sources(answer),
        answer.suggestions,
        answer.lang,
        fallback_text=fallback_text(answer, note),
    )


def summary_of(text: str, limit: int = MAX_SUMMARY) -> str:
    """The first paragraph as plain text: what notifications and the chat list show for a card."""
    first = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    return _shorten(first.replace("**", "").replace("\\*", "*"), limit)


def card_message(card: dict, summary: str) -> Activity:
    """A message with one Adaptive Card and no `text` (Teams would show text and card as two messages)."""
    return Activity(
        type=ActivityTypes.message,
        summary=summary,
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=card)],
    )


def text_card_message(text: str, suggestions: Iterable[str] = (), lang: str | None = "sv") -> Activity:
    """A fixed text (welcome, help) as a card with its example questions as buttons."""
    return card_message(adaptive_card(text, suggestions=suggestions, lang=lang), summary_of(text))


# --- Welcome -----------------------------------------------------------------------------------------------


def welcome_wanted(conversation_type: str | None, added_ids: Iterable[str], bot_id: str | None) -> bool:
    """Whether a Teams membersAdded event deserves a welcome (one message, however many were added).

    Personal chat: yes when anyone was added (Teams lists the user or the bot, depending on how the app was
    installed); the caller also makes sure it happens once per conversation. Group chat and team channel:
    only when the bot itself was added, never for each new person joining a team, which would flood it.
    """
    ids = [i for i in added_ids if i]
    if (conversation_type or "personal") == "personal":
        return bool(ids)
    return bot_id is not None and bot_id in ids


# --- Feedback (the 👍/👎 buttons) ------------------------------------------------------------------------

FEEDBACK_INVOKE = "message/submitAction"


class EmptyBody(Model):
    """An invoke response body that msrest serialises to `{}`.

    CloudAdapter writes `serializer_helper(invoke_response.body)`: a dict body raises AttributeError there
    (a 500 to Teams), None becomes `null`; Teams wants a 200 with an empty object for message/submitAction.
    """

    _attribute_map: dict = {}


def feedback_invoke_response() -> InvokeResponse:
    return InvokeResponse(status=int(HTTPStatus.OK), body=EmptyBody())


@dataclass(frozen=True)
class Feedback:
    reaction: str  # "like" or "dislike"
    reply_to_id: str | None  # the id of the bot message the feedback is about
    conversation_id: str | None
    feedback: str  # the user's comment, "" if none
    question: str | None = None  # the question that message answered, if this process sent it
    channel: str | None = None
    sections: tuple[str, ...] = ()  # the sections that answer cited, if this process sent it


def feedback_from(activity: Activity) -> Feedback | None:
    """The feedback in a message/submitAction invoke, or None if the invoke is something else."""
    if activity.type != ActivityTypes.invoke or activity.name != FEEDBACK_INVOKE:
        return None
    value = activity.value if isinstance(activity.value, dict) else {}
    if value.get("actionName") != "feedback":
        return None
    action = value.get("actionValue") if isinstance(value.get("actionValue"), dict) else {}
    return Feedback(
        reaction=str(action.get("reaction") or ""),
        reply_to_id=activity.reply_to_id,
        conversation_id=activity.conversation.id if activity.conversation else None,
        feedback=feedback_text(action.get("feedback")),
        channel=activity.channel_id,
    )


WEBCHAT_FEEDBACK_EVENT = "webchat:activity-status/feedback"
WEBCHAT_REACTIONS = {"LikeAction": LIKE, "DislikeAction": DISLIKE}


def feedback_from_webchat(activity: Activity) -> Feedback | None:
    """The thumbs Web Chat sends as an event (through Azure Direct Line) naming the rated answer by a
    schema.org Like/DislikeAction entity; None if the event is something else or names no answer."""
    if activity.type != ActivityTypes.event or activity.name != WEBCHAT_FEEDBACK_EVENT:
        return None
    for entity in activity.entities or []:
        extra = getattr(entity, "additional_properties", None) or {}
        reaction = WEBCHAT_REACTIONS.get(extra.get("@type"))
        target = extra.get("object")
        rated = target.get("@id") if isinstance(target, dict) else None
        if reaction and isinstance(rated, str) and rated:
            return Feedback(
                reaction=reaction,
                reply_to_id=rated,
                conversation_id=activity.conversation.id if activity.conversation else None,
                feedback="",
                channel=activity.channel_id,
            )
    return None


def feedback_text(raw: object) -> str:
    """The comment: Teams sends the form as a JSON string ('{"feedbackText": "…"}'), older clients as text."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            return raw.strip()
    else:
        parsed = raw
    if isinstance(parsed, dict):
        return str(parsed.get("feedbackText") or "").strip()
    return str(parsed).strip()


class FeedbackLog:
    """The feedback people give on answers (Teams' buttons; the web chat's thumbs arrive the same way).

    Stored durably in the feedback store when there is one (handlers.insights.store: the texts scrubbed of
    personal data, the conversation id hashed); the INFO log line says only the reaction, the channel and
    the hashed conversation id. Also kept in memory, bounded, for tests: the newest feedback, and which
    question (and cited sections) each recent answer message answered, since feedback names only the
    message. With several instances, feedback on an answer another instance sent has no question.
    """

    def __init__(
        self, max_entries: int = 1000, store: FeedbackStore | None = None, metrics: Metrics | None = None
    ) -> None:
        self.max_entries = max_entries
        self.store = store
        self.metrics = metrics
        self._entries: list[Feedback] = []
        self._answered: OrderedDict[str, tuple[str, tuple[str, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def remember_answer(self, message_id: str | None, question: str, answer: Answer | None = None) -> None:
        """`message_id` (the sent answer) answered `question`, citing `answer`'s sections."""
        if not message_id:
            return
        sections = tuple(dict.fromkeys(s.section for s in answer.unique_sources)) if answer else ()
        with self._lock:
            self._answered[message_id] = (question, sections)
            while len(self._answered) > self.max_entries:
                self._answered.popitem(last=False)

    async def record(self, feedback: Feedback) -> Feedback:
        """Keep the feedback (with the question it is about, when known), log it, store it."""
        with self._lock:
            if feedback.question is None and feedback.reply_to_id in self._answered:
                question, sections = self._answered[feedback.reply_to_id]
                feedback = replace(feedback, question=question, sections=sections)
            self._entries.append(feedback)
            del self._entries[: -self.max_entries]
        # Reaction and channel come from the caller: only known values, bounded, reach the log.
        reaction = feedback.reaction if feedback.reaction in REACTIONS else "other"
        channel = (feedback.channel or "")[:40]
        log.info(
            "Feedback %s",
            reaction,
            extra={"conversation": logs.hash_id(feedback.conversation_id), "channel": channel},
        )
        if self.metrics is not None:
            self.metrics.feedback_given(feedback.reaction, feedback.channel)
        if self.store is not None and feedback.reaction in REACTIONS:
            await self._store(self.store, feedback)
        return feedback

    @staticmethod
    async def _store(store: FeedbackStore, feedback: Feedback) -> None:
        entry = FeedbackEntry(
            reaction=feedback.reaction,
            channel=feedback.channel or "unknown",
            comment=feedback.feedback,
            question=feedback.question,
            sections=feedback.sections,
            conversation_id=feedback.conversation_id,
        )
        try:
            await store.add_async(entry)
        except Exception:  # the user's click is still answered; the failure is the operator's to see
            log.exception("Could not store feedback")

    @property
    def entries(self) -> list[Feedback]:
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self.entries)
