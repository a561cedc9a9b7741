"""What an answer is: the SDK-free result every channel (CLI, Bot Framework, tests) renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from handlers.dialogue import Context


@dataclass(frozen=True)
class Source:
    """A passage of the plan, as retrieved or cited."""

    id: str
    section: str  # heading path, e.g. "Aktörer > Almi"
    page: int | None
    text: str
    score: float

    @property
    def label(self) -> str:
        """Human-readable place in the plan: "Aktörer › Almi, s. 24"."""
        where = self.section.replace(" > ", " › ")
        return f"{where}, s. {self.page}" if self.page is not None else where


@dataclass
class Answer:
    question: str
    text: str  # what the user reads, sources included
    answered: bool  # False when the bot declines (out of scope or weak evidence)
    sources: list[Source] = field(default_factory=list)  # cited passages, best first
    retrieved: list[Source] = field(default_factory=list)  # top retrieval results, best first
    suggestions: list[str] = field(default_factory=list)
    lang: str = "sv"
    context: Context = field(default_factory=Context)  # what the next question may refer back to

    def to_json(self) -> dict:
        """The CLI contract of DESIGN.md."""
        return {
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "sources": [asdict(s) for s in self.sources],
            "retrieved": [asdict(s) for s in self.retrieved],
            "suggestions": list(self.suggestions),
        }
