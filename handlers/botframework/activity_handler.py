"""KompetensBot: turns Bot Framework activities into questions for the answering engine and back.

Deliberately thin: everything about *what* to answer lives in the SDK-free engine (handlers.qa) and the
fixed texts in handlers.messages; this class only reads the activity, picks the right text and sends it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Protocol

from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.schema import Activity, ChannelAccount, TextFormatTypes

from handlers import messages
from handlers.answer_types import Answer
from handlers.qa import MAX_QUESTION_CHARS
from index.text import detect_language

# Trimmed, lower-cased message texts that ask for help, and the language to answer in.
HELP_COMMANDS = {"hjälp": "sv", "/hjälp": "sv", "?": "sv", "help": "en", "/help": "en"}

# Teams puts "<at>Bot name</at>" into the text when a user @-mentions the bot in a group chat or channel.
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)


class Answerer(Protocol):
    """What the bot needs from the answering engine (handlers.qa.QA satisfies it)."""

    def answer(self, question: str) -> Answer: ...


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


def markdown_message(text: str) -> Activity:
    reply = MessageFactory.text(text)
    reply.text_format = TextFormatTypes.markdown
    return reply


class KompetensBot(ActivityHandler):
    def __init__(self, qa: QAProvider) -> None:
        super().__init__()
        self._qa = qa
        # One question at a time: the engine does not promise to be thread-safe, and at ~20 ms an answer
        # queueing costs nothing. An asyncio lock (not a thread lock) keeps waiting turns off worker threads,
        # which botbuilder's HTTP client also needs to send replies.
        self._answering = asyncio.Lock()

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        reply = await self.reply_to(clean_text(turn_context.activity.text))
        await turn_context.send_activity(markdown_message(reply))

    async def reply_to(self, text: str) -> str:
        """The reply text for a cleaned message text (empty for attachment-only messages)."""
        if not text:
            return messages.EMPTY_PROMPT
        command = HELP_COMMANDS.get(text.lower())
        if command:
            return messages.texts(command).help
        try:
            qa = self._qa()
        except QAUnavailable:
            return messages.texts(detect_language(text)).error_apology
        if qa is None:
            return messages.texts(detect_language(text)).not_ready
        question, truncated = truncate(text)
        # The engine is synchronous and CPU-bound; a worker thread keeps the event loop serving others.
        async with self._answering:
            answer = await asyncio.to_thread(qa.answer, question)
        if truncated:
            return f"{messages.truncated_note(MAX_QUESTION_CHARS, answer.lang)}\n\n{answer.text}"
        return answer.text

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        for member in members_added:
            if member.id != bot_id:
                await turn_context.send_activity(markdown_message(messages.WELCOME))
