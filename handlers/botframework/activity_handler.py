"""KompetensBot: turns Bot Framework activities into questions for the answering engine and back.

Deliberately thin: everything about *what* to answer lives in the SDK-free engine (handlers.qa) and the
fixed texts in handlers.messages; this class only reads the activity, picks the right text and sends it.

The one thing it keeps between turns is the conversation's dialogue context (handlers.dialogue.Context, what
a follow-up question may refer back to), in botbuilder's ConversationState over any Storage: MemoryStorage
by default, a shared store (Cosmos DB, Blob) when the bot runs on more than one instance.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from typing import Protocol

from botbuilder.core import ActivityHandler, ConversationState, MemoryStorage, MessageFactory, TurnContext
from botbuilder.schema import (
    ActionTypes,
    Activity,
    CardAction,
    ChannelAccount,
    SuggestedActions,
    TextFormatTypes,
)

from handlers import messages
from handlers.answer_types import Answer
from handlers.dialogue import Context
from handlers.qa import MAX_QUESTION_CHARS
from index.text import detect_language

# Trimmed, lower-cased message texts that ask for help, and the language to answer in.
HELP_COMMANDS = {"hjälp": "sv", "/hjälp": "sv", "?": "sv", "help": "en", "/help": "en"}

# Teams puts "<at>Bot name</at>" into the text when a user @-mentions the bot in a group chat or channel.
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)

# Suggested follow-up questions shown as buttons under a reply; more than three crowd a Teams chat.
MAX_SUGGESTED_ACTIONS = 3

# The conversation-state property holding the dialogue context, as Context.to_dict().
CONTEXT_PROPERTY = "dialogue_context"


class Answerer(Protocol):
    """What the bot needs from the answering engine (handlers.qa.QA satisfies it)."""

    def answer(self, question: str, context: Context | None = None) -> Answer: ...


class QAUnavailable(RuntimeError):
    """Raised by a QA provider when the engine failed to load (the startup log says why and what to do)."""


# Gives the engine, or None while it is still loading.
QAProvider = Callable[[], Answerer | None]


def clean_text(text: str | None) -> str:
    """The user's words: mentions of the bot removed, surrounding whitespace trimmed."""
    return _MENTION.sub(" ", text or "").strip()


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
    unique = list(dict.fromkeys(q.strip() for q in questions if q and q.strip()))[:MAX_SUGGESTED_ACTIONS]
    if not unique:
        return None
    return SuggestedActions(actions=[CardAction(type=ActionTypes.im_back, title=q, value=q) for q in unique])


def markdown_message(text: str, suggestions: Iterable[str] = ()) -> Activity:
    reply = MessageFactory.text(text)
    reply.text_format = TextFormatTypes.markdown
    reply.suggested_actions = suggested_actions(suggestions)
    return reply


class KompetensBot(ActivityHandler):
    def __init__(self, qa: QAProvider, conversation_state: ConversationState | None = None) -> None:
        super().__init__()
        self._qa = qa
        if conversation_state is None:
            conversation_state = ConversationState(MemoryStorage())
        self._conversation_state = conversation_state
        self._context = self._conversation_state.create_property(CONTEXT_PROPERTY)
        # One question at a time: the engine does not promise to be thread-safe, and at ~20 ms an answer
        # queueing costs nothing. An asyncio lock (not a thread lock) keeps waiting turns off worker threads,
        # which botbuilder's HTTP client also needs to send replies.
        self._answering = asyncio.Lock()

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        # Writes only if the turn changed the state (an answered question); help, welcome and empty
        # messages never load it, so they leave the stored context as it was.
        await self._conversation_state.save_changes(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        reply = await self.reply_to(clean_text(turn_context.activity.text), turn_context)
        await turn_context.send_activity(reply)

    async def reply_to(self, text: str, turn_context: TurnContext) -> Activity:
        """The reply to a cleaned message text (empty for attachment-only messages)."""
        if not text:
            return markdown_message(messages.EMPTY_PROMPT)
        command = HELP_COMMANDS.get(text.lower())
        if command:
            return markdown_message(messages.texts(command).help)
        try:
            qa = self._qa()
        except QAUnavailable:
            return markdown_message(messages.texts(detect_language(text)).error_apology)
        if qa is None:
            return markdown_message(messages.texts(detect_language(text)).not_ready)
        question, truncated = truncate(text)
        # Read before queueing for the engine, so a slow shared store never holds the lock. Two questions
        # sent at once in the same conversation may both see the older context; the last answer wins.
        stored = await self._context.get(turn_context)
        context = Context.from_dict(stored) if stored else None
        # The engine is synchronous and CPU-bound; a worker thread keeps the event loop serving others.
        async with self._answering:
            answer = await asyncio.to_thread(qa.answer, question, context)
        await self._context.set(turn_context, answer.context.to_dict())
        reply = answer.text
        if truncated:
            reply = f"{messages.truncated_note(MAX_QUESTION_CHARS, answer.lang)}\n\n{reply}"
        return markdown_message(reply, answer.suggestions)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        for member in members_added:
            if member.id != bot_id:
                await turn_context.send_activity(markdown_message(messages.WELCOME, messages.EXAMPLES_SV))
