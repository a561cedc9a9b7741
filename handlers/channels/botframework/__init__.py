"""The Bot Framework layer: the only part of handlers/ that imports botbuilder."""

from handlers.channels.botframework.activity_handler import MAX_QUESTION_CHARS, KompetensBot, QAUnavailable
from handlers.channels.botframework.app import create_app, run

__all__ = ["MAX_QUESTION_CHARS", "KompetensBot", "QAUnavailable", "create_app", "run"]
