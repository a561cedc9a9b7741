"""What an answer is: the SDK-free result every channel (CLI, Bot Framework, tests) renders.

An answer keeps its parts apart: the `note` that says what the plan lacks (partial answers), the `body` in
the plan's words, and the `sources` as data. Each channel renders them its own way (handlers/render.py for
text and Markdown, handlers/botframework/teams.py for cards); nothing parses a rendered answer back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from handlers.dialogue import Context

ANSWERED = "answered"
PARTIAL = "partial"  # the plan lacks what was asked; `note` says so and `body` gives what it does say
DECLINED = "declined"


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

    @property
    def short_label(self) -> str:
        """The innermost heading and the page, for a quote inside an answer: "Almi, s. 24"."""
        where = self.section.rsplit(" > ", 1)[-1]
        return f"{where}, s. {self.page}" if self.page is not None else where


@dataclass
class Answer:
    question: str
    body: str  # the answer in Markdown, without its sources (a decline: the decline text and contact)
    outcome: str = ANSWERED  # ANSWERED, PARTIAL or DECLINED
    sources: list[Source] = field(default_factory=list)  # cited passages, best first
    retrieved: list[Source] = field(default_factory=list)  # top retrieval results, best first
    suggestions: list[str] = field(default_factory=list)
    lang: str = "sv"
    context: Context = field(default_factory=Context)  # what the next question may refer back to
    note: str = ""  # a partial answer's one sentence on what the plan does not say
    lead: str = ""  # framing before the body, e.g. "The plan says (in Swedish):" for an English question

    @property
    def answered(self) -> bool:
        """True only when the plan answers what was asked (a partial answer is not answered)."""
        return self.outcome == ANSWERED

    @property
    def text(self) -> str:
        """What the user reads, as Markdown with the sources line: the CLI's and the JSON's rendering."""
        from handlers.render import markdown  # render depends on this module

        return markdown(self)

    @property
    def unique_sources(self) -> list[Source]:
        """One source per label (section and page), best first."""
        by_label: dict[str, Source] = {}
        for source in self.sources:
            by_label.setdefault(source.label, source)
        return list(by_label.values())

    def to_json(self) -> dict:
        """The CLI contract of DESIGN.md."""
        return {
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "outcome": self.outcome,
            "sources": [asdict(s) for s in self.sources],
            "retrieved": [asdict(s) for s in self.retrieved],
            "suggestions": list(self.suggestions),
        }
