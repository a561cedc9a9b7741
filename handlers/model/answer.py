"""What an answer is: pure data, the SDK-free result every channel (CLI, Bot Framework, tests) renders.

An answer keeps its parts apart: the `note` that says what the plan lacks (partial answers), the `body` in
the plan's words, and the `sources` as data. Rendering is the wording layer's (handlers.wording.render: text,
Markdown, the JSON contract; handlers.channels.botframework.teams for cards); nothing parses a rendered answer
back. The names of outcomes and reactions are spelled here once, for the metrics and the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.model.context import Context

ANSWERED = "answered"
PARTIAL = "partial"  # the plan lacks what was asked; `note` says so and `body` gives what it does say
DECLINED = "declined"
OUTCOMES = (ANSWERED, PARTIAL, DECLINED)
YES = "yes"  # the verdict on a yes/no question that the plan's words settle (never "no": see verdict.py)

# The reactions a user can give an answer (👍/👎), as the channels report them.
LIKE = "like"
DISLIKE = "dislike"
REACTIONS = (LIKE, DISLIKE)


@dataclass(frozen=True)
class Source:
    """A passage of the plan, as retrieved or cited."""

    id: str
    section: str  # heading path, e.g. "Aktörer > Almi"
    page: int | None
    text: str
    score: float



@dataclass(frozen=True)
class Quote:
    """A further sentence of the plan shown after an answer (what the plan also says), with its passage."""

    text: str  # the plan's words
    source: Source


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
    related: list[Quote] = field(default_factory=list)  # what the plan also says, after the body
    # An actor's or a topic's answer: the other places the plan speaks of it, listed under its name.
    mentions: list[Quote] = field(default_factory=list)
    mentioned: str = ""
    verdict: str = ""  # YES when the plan's words settle a yes/no question; "" otherwise
    about: str = ""  # the actor the body speaks of without naming it ("Stiftelsens verksamhet …")
    # When the bot is unsure which part of the plan is meant, it asks back ("Menar du …?") instead of
    # answering: the sections it offers, best first (heading paths). The outcome is then DECLINED.
    choices: list[str] = field(default_factory=list)
    # The plan's sentences the body quotes (the index's sentence numbers), when the ranking chose them: a
    # later part of the same message is answered from other evidence.
    evidence: tuple[int, ...] = ()

    @property
    def asks_back(self) -> bool:
        return bool(self.choices)

    @property
    def answered(self) -> bool:
        """True only when the plan answers what was asked (a partial answer is not answered)."""
        return self.outcome == ANSWERED

    @property
    def unique_sources(self) -> list[Source]:
        """One source per place (section and page), best first."""
        by_place: dict[tuple[str, int | None], Source] = {}
        for source in self.sources:
            by_place.setdefault((source.section, source.page), source)
        return list(by_place.values())
