"""The engine a server holds: `QA` (message → Query → Ranking → Answer, one typed pass), the live reload
that swaps in a rebuilt index (`LiveEngine`), and the micro-batching of embeddings. May import understanding,
composing, wording, model and index; channels and the CLI use only the names exported here."""

from handlers.engine.live import EngineUnavailable, LiveEngine
from handlers.engine.qa import MAX_QUESTION_CHARS, QA, LoadReport

__all__ = ["EngineUnavailable", "LiveEngine", "LoadReport", "MAX_QUESTION_CHARS", "QA"]
