"""KompetensBot: turns Bot Framework activities into questions for the answering engine and back.

Deliberately thin: everything about *what* to answer lives in the SDK-free engine (handlers.engine.qa) and the
fixed texts in handlers.wording.texts; this class only reads the activity, picks the right text and sends it.

The one thing it keeps between turns is the conversation's dialogue context
(handlers.model.context.Context, what a follow-up question may refer back to), in botbuilder's
ConversationState over any Storage: MemoryStorage by default, a shared store (Cosmos DB, Blob) when the bot
runs on more than one instance.

On Microsoft Teams (channel "msteams") replies take the shape handlers.channels.botframework.teams
describes: answers (and partial answers) as cards with citations, AI label and feedback buttons, welcome and
help as cards, a welcome only where it belongs. Every other channel, and a declined answer on Teams, gets
the answer as Markdown (handlers.wording.render.markdown: the answer's parts and its sources line, rendered
once).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from botbuilder.core import (
    ActivityHandler,
    ConversationState,
    InvokeResponse,
    MemoryStorage,
    MessageFactory,
    TurnContext,
)
from botbuilder.schema import (
    ActionTypes,
    Activity,
    CardAction,
    ChannelAccount,
    SuggestedActions,
    TextFormatTypes,
)

from handlers.channels.botframework import teams
from handlers.engine import MAX_QUESTION_CHARS
from handlers.insights.question_log import QuestionLog
from handlers.model.answer import Answer
from handlers.model.context import Context
from handlers.operations.metrics import Metrics
from handlers.wording import render, texts
from index.text import detect_language

log = logging.getLogger(__name__)

# Trimmed, lower-cased message texts that ask for help, and the language to answer in.
HELP_COMMANDS = {"hjälp": "sv", "/hjälp": "sv", "?": "sv", "help": "en", "/help": "en"}
WEBCHAT_JOIN = "webchat/join"  # the event Web Chat pages send when they open

# Teams puts "<at>Bot name</at>" into the text when a user @-mentions the bot in a group chat or channel;
# what is left of other mentions' tags goes, their names stay. Linear time: no nested quantifiers.
_AT_TAG = re.compile(r"</?at\b[^<>]{0,50}>", re.IGNORECASE)

# Suggested follow-up questions shown as buttons under a reply; more than three crowd a Teams chat.
MAX_SUGGESTED_ACTIONS = teams.MAX_FOLLOW_UPS

# The conversation-state property holding the dialogue context, as Context.to_dict().
CONTEXT_PROPERTY = "dialogue_context"
# The conversation-state property set once a Teams personal chat has been welcomed.
WELCOMED_PROPERTY = "welcomed"
# turn_state key under which reply_to() leaves the question a Teams answer answered (for feedback).
ANSWERED_QUESTION = "kompetensbot.answered_question"


class Answerer(Protocol):
    """What the bot needs from the answering engine (handlers.engine.qa.QA satisfies it)."""

    def answer(self, question: str, context: Context | None = None) -> Answer: ...


class QAUnavailable(RuntimeError):
    """Raised by a QA provider when the engine failed to load (the startup log says why and what to do)."""


# Gives the engine, or None while it is still loading.
QAProvider = Callable[[], Answerer | None]


def clean_text(activity: Activity) -> str:
    """The user's words: the bot's own mention removed, other mention tags dropped, whitespace trimmed.

    This is what botbuilder's TurnContext.remove_recipient_mention does, without its flaws: it uses the
    mention's name as a regular expression (a caller-chosen pattern, so catastrophic backtracking) and fails
    on a malformed mention entity. Here each of the bot's mention texts is removed as a literal string.
    """
    text = activity.text if isinstance(activity.text, str) else ""
    bot_id = activity.recipient.id if activity.recipient else None
    for mention in _own_mentions(activity, bot_id):
        text = text.replace(mention, " ")
    return _AT_TAG.sub(" ", text).strip()


def _own_mentions(activity: Activity, bot_id: str | None) -> list[str]:
    """The texts ("<at>Kompetensbot</at>") of the mention entities that mention the bot."""
    found = []
    for entity in activity.entities or []:
        extra = getattr(entity, "additional_properties", None) or {}
        mentioned = extra.get("mentioned")
        if (getattr(entity, "type", "") or "").lower() != "mention" or not isinstance(mentioned, dict):
            continue
        mention_text = extra.get("text")
        if bot_id and mentioned.get("id") == bot_id and isinstance(mention_text, str) and mention_text:
            found.append(mention_text)
    return found


def truncate(text: str, limit: int = MAX_QUESTION_CHARS) -> tuple[str, bool]:
    """Cut an over-long question to at most `limit` characters, at a word boundary where one is near."""
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    space = cut.rfind(" ")
    # Only back off to a space if it does not throw away much; a 2000-character "word" is cut as is.
    if space > limit * 0.9:
        cut = cut[:space]
    return cut.rstrip(), True


def suggested_actions(questions: Iterable[str]) -> SuggestedActions | None:
    """Buttons that send the question as if typed (imBack): at most three, no blanks or repeats."""
    unique = teams.follow_ups(questions, MAX_SUGGESTED_ACTIONS)
    if not unique:
        return None
    return SuggestedActions(actions=[CardAction(type=ActionTypes.im_back, title=q, value=q) for q in unique])


def markdown_message(text: str, suggestions: Iterable[str] = ()) -> Activity:
    reply = MessageFactory.text(text)
    reply.text_format = TextFormatTypes.markdown
    reply.suggested_actions = suggested_actions(suggestions)
    return reply


class KompetensBot(ActivityHandler):
    def __init__(
        self,
        qa: QAProvider,
        conversation_state: ConversationState | None = None,
        feedback_log: teams.FeedbackLog | None = None,
        metrics: Metrics | None = None,
        question_log: QuestionLog | None = None,
    ) -> None:
        super().__init__()
        self._qa = qa
        self.metrics = metrics if metrics is not None else Metrics()
        if conversation_state is None:
            conversation_state = ConversationState(MemoryStorage())
        self._conversation_state = conversation_state
        self._context = self._conversation_state.create_property(CONTEXT_PROPERTY)
        self._welcomed = self._conversation_state.create_property(WELCOMED_PROPERTY)
        # The 👍/👎 feedback Teams users give on answers (also logged at INFO, one JSON line each).
        self.feedback_log = feedback_log if feedback_log is not None else teams.FeedbackLog()
        # Every answered, partial or declined question, scrubbed (handlers.insights.question_log);
        # None: not logged.
        self.question_log = question_log

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        # Writes only if the turn changed the state (an answered question); help, welcome and empty
        # messages never load it, so they leave the stored context as it was.
        try:
            await self._conversation_state.save_changes(turn_context)
        except Exception as error:
            # The answer has been sent: a failed save (another instance wrote the conversation meanwhile,
            # the store unreachable) costs only what the next follow-up can refer back to, never an apology
            # after the answer.
            log.warning("Could not save the conversation's context: %s", type(error).__name__)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        reply = await self.reply_to(clean_text(turn_context.activity), turn_context)
        sent = await turn_context.send_activity(reply)
        answered = turn_context.turn_state.get(ANSWERED_QUESTION)
        if answered and sent is not None:
            # Feedback (Teams' invoke, the web chat's thumbs) names the answer by this id; keep what it was.
            self.feedback_log.remember_answer(sent.id, *answered)

    async def reply_to(self, text: str, turn_context: TurnContext) -> Activity:
        """The reply to a cleaned message text (empty for attachment-only messages)."""
        on_teams = teams.is_teams(turn_context.activity)
        if not text:
            return markdown_message(texts.SV.empty_prompt)
        command = HELP_COMMANDS.get(text.lower())
        if command:
            help_text = texts.pick(command).help
            if on_teams:
                return teams.text_card_message(help_text, examples(command), command)
            return markdown_message(help_text)
        try:
            qa = self._qa()
        except QAUnavailable:
            return markdown_message(texts.pick(detect_language(text)).error_apology)
        if qa is None:
            return markdown_message(texts.pick(detect_language(text)).not_ready)
        question, truncated = truncate(text)
        # Two questions sent at once in the same conversation may both see the older context; the last
        # answer wins.
        started = time.perf_counter()
        stored = await self._context.get(turn_context)
        context = Context.from_dict(stored) if stored else None
        # No lock: the engine is thread-safe, and its answer_async batches the embeddings of questions asked
        # at the same time on its own threads (handlers/engine/qa.py). An engine without it answers on
        # a thread.
        answer_async = getattr(qa, "answer_async", None)
        if answer_async is not None:
            answer = await answer_async(question, context)
        else:
            answer = await asyncio.to_thread(qa.answer, question, context)
        seconds = time.perf_counter() - started
        channel = turn_context.activity.channel_id
        self.metrics.answer(answer.outcome, channel, seconds)
        if self.question_log is not None:  # queued on the store's thread; a failure is only a warning
            conversation = turn_context.activity.conversation
            self.question_log.record(question, answer, channel, conversation and conversation.id, seconds)
        await self._context.set(turn_context, answer.context.to_dict())
        note = texts.truncated_note(MAX_QUESTION_CHARS, answer.lang) if truncated else ""
        turn_context.turn_state[ANSWERED_QUESTION] = (question, answer)  # for feedback on it, on any channel
        if on_teams and teams.is_card_answer(answer):
            return teams.answer_message(answer, note)
        if on_teams and answer.asks_back:  # the sections offered as card buttons (Teams: Action.Submit)
            return teams.text_card_message(markdown_answer(answer, note), answer.suggestions, answer.lang)
        # Declined answers stay plain text on Teams too: fixed wording, nothing to cite or to rate.
        return markdown_message(markdown_answer(answer, note), answer.suggestions)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if teams.is_teams(turn_context.activity):
            await self._welcome_on_teams([m.id for m in members_added], bot_id, turn_context)
            return
        # One welcome per event, however many members it lists: a conversationUpdate with 2,000 members
        # must not make the bot post 2,000 times to a serviceUrl of the caller's choosing.
        if any(member.id != bot_id for member in members_added):
            await turn_context.send_activity(markdown_message(texts.SV.welcome, texts.EXAMPLES_SV))

    async def _welcome_on_teams(
        self, added: list[str], bot_id: str | None, turn_context: TurnContext
    ) -> None:
        """One welcome card where it belongs (teams.welcome_wanted has the rules), once per personal chat.

        Only conversationUpdate welcomes: Teams also sends installationUpdate (action "add") when the app is
        installed, which ActivityHandler routes to on_installation_update_add, left as the no-op it is, so
        an install never welcomes twice.
        """
        conversation = turn_context.activity.conversation
        conversation_type = conversation.conversation_type if conversation else None
        if not teams.welcome_wanted(conversation_type, added, bot_id):
            return
        if (conversation_type or "personal") == "personal":
            # Teams may list the bot and the user in separate events; the user hears the welcome once.
            if await self._welcomed.get(turn_context, False):
                return
            await self._welcomed.set(turn_context, True)
        await turn_context.send_activity(teams.text_card_message(texts.SV.welcome, texts.EXAMPLES_SV))

    async def on_event_activity(self, turn_context: TurnContext) -> None:
        """Web Chat sends the event `webchat/join` when its page opens: the welcome, in the page's language.
        (The bot's own local Direct Line answers it itself; this is the path through Azure Direct Line.)"""
        feedback = teams.feedback_from_webchat(turn_context.activity)
        if feedback is not None:
            await self.feedback_log.record(feedback)
            return None
        if turn_context.activity.name != WEBCHAT_JOIN:
            return await super().on_event_activity(turn_context)
        locale = turn_context.activity.locale or "sv"
        await turn_context.send_activity(markdown_message(texts.pick(locale).welcome, examples(locale)))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        feedback = teams.feedback_from(turn_context.activity)
        if feedback is None:
            return unsupported_invoke(turn_context.activity)
        await self.feedback_log.record(feedback)
        return teams.feedback_invoke_response()


def unsupported_invoke(activity: Activity) -> InvokeResponse:
    """The bot's answer to an invoke it does not handle: a 4xx saying so, never botbuilder's 501 or 500.

    Teams single sign-on sends signin/tokenExchange; the bot has no sign-in, and 412 is the status the SSO
    protocol defines for "could not exchange the token" (Teams then stops asking).
    """
    if activity.name == "signin/tokenExchange":
        value = activity.value if isinstance(activity.value, dict) else {}
        body = {key: value[key] for key in ("id", "connectionName") if isinstance(value.get(key), str)}
        body["failureDetail"] = "Boten använder ingen inloggning."
        return InvokeResponse(status=412, body=body)
    return InvokeResponse(status=400, body={"error": "Boten hanterar inte den här typen av anrop."})


def markdown_answer(answer: Answer, note: str = "") -> str:
    """The answer as Markdown for Web Chat, the Emulator and a decline on Teams, `note` (e.g. "your question
    was cut") first."""
    text = render.markdown(answer)
    return f"{note}\n\n{text}" if note else text


def examples(lang: str) -> tuple[str, ...]:
    """The example questions in the language of `lang` ("sv" or "en")."""
    return texts.pick(lang).examples
