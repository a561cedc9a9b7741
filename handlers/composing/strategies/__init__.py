"""Answer strategies, one per kind of answer; handlers.composing.composer routes a question to one of them.

Each strategy turns a question's ranking into a `Draft`: Markdown in the plan's words and the passages it
cites. Framing, gaps and sources lines are the router's and the renderers' business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from handlers.model.answer import Source
from handlers.wording.render import markdown_escape
from index.search import Hit, HybridSearcher
from index.store import Sentence


@dataclass
class Draft:
    body: str  # what answers the question
    cited: list[Source] = field(default_factory=list)
    # Further sentences from elsewhere in the plan that rank nearly as well, best first, with the passage each
    # comes from: shown after the answer as what the plan also says, never taken as holding what the question
    # specifically asks.
    related: list[tuple[str, Source]] = field(default_factory=list)
    # An actor's or topic's answer: the other places the plan speaks of it (the sentence, its passage), and
    # the name they are listed under ("Planen tar också upp Almi här:").
    mentions: list[tuple[str, Source]] = field(default_factory=list)
    mentioned: str = ""
    # Chosen by the plan's structure (a list, a section, steps), not by the ranking: its passages lead the
    # retrieved ones.
    structural: bool = False
    # The plan's sentence that answers best (a yes/no question's evidence), and the one the body opens with
    # (which may need its subject named): plain text, as the plan has them; "" when the strategy has none.
    best: str = ""
    opening: str = ""
    evidence: tuple[int, ...] = ()  # the sentences the body quotes, when the ranking chose them
    # How far the best evidence stands out from the rest (fused-score units, see spread()): chosen by the
    # plan's structure, an answer is as clear as it gets.
    standout: float = float("inf")

    @property
    def shown(self) -> str:
        """What the reply shows as the answer: the body and the other places that speak of its subject."""
        return "\n".join([self.body, *(text for text, _ in self.mentions)])


ASK_BACK_RANK = 5  # how far the best sentence stands out is measured to this one


def spread(scores: np.ndarray) -> float:
    """How far the best sentence stands out: its lead over the fifth best (composer.ASK_BACK_GAP), infinite
    when there are too few sentences to say."""
    if len(scores) < ASK_BACK_RANK:
        return float("inf")
    best = np.partition(scores, len(scores) - ASK_BACK_RANK)[-ASK_BACK_RANK:]  # the five highest
    return float(best.max() - best.min())


def join(sentences: Iterable[Sentence]) -> str:
    """Sentences of one passage as prose; list items as a list; a heading in bold on its own line."""
    lines: list[str] = []
    for sentence in sentences:
        text = markdown_escape(sentence.text)
        if sentence.kind == "heading":
            lines.append(f"**{text}**")
        elif sentence.kind == "item":
            if lines and not lines[-1].startswith(("- ", "**")):
                lines.append("")  # a blank line before a list, so Markdown renders it as one
            lines.append(f"- {text}")
        elif lines and lines[-1] and not lines[-1].startswith(("- ", "**")):
            lines[-1] = f"{lines[-1]} {text}"
        else:
            if lines and lines[-1].startswith("- "):
                lines.append("")
            lines.append(text)
    return "\n".join(lines)


def source(hit: Hit) -> Source:
    c = hit.chunk
    return Source(id=c.id, section=c.section, page=c.page, text=c.search_text, score=round(hit.score, 5))


def chunk_source(searcher: HybridSearcher, chunk_index: int, score: float = 1.0) -> Source:
    chunk = searcher.chunks[chunk_index]
    return source(Hit(chunk_index, chunk, score, score, 0.0))
