"""The Bot Framework layer: the only part of handlers/ that imports botbuilder."""

from handlers.botframework.activity_handler import MAX_QUESTION_CHARS, KompetensBot, QAUnavailable
from handlers.botframework.app import create_app, run

__all__ = ["MAX_QUESTION_CHARS", "KompetensBot", "QAUnavailable", "create_app", "run"]
