"""One reply to a message that asks several things: each part's answer in turn, each with its place.

Each part was answered from its own evidence (handlers.understanding.parts splits the message). The reply
leads with every answered part, in the order asked, the plan's words followed by where they stand; what the
plan also says is left out, so both answers come first. A part the engine declined is named in one
sentence that says no answer was found in the plan, not that the plan lacks it (the engine may have missed).
"""

from __future__ import annotations

from handlers.model.answer import ANSWERED, DECLINED, PARTIAL, Answer, Source
from handlers.wording.render import short_label
from handlers.wording.texts import pick

RETRIEVED_K = 8


def combine(question: str, parts: list[str], answers: list[Answer]) -> Answer:
    """The reply to `question` from the answers to its `parts` (in order)."""
    kept = [a for a in answers if a.outcome != DECLINED]
    if not kept:
        first = answers[0]
        return Answer(question, first.body, DECLINED, [], _retrieved(answers), [], first.lang, first.context)
    texts = pick(kept[0].lang)
    paragraphs = []
    for part, answer in zip(parts, answers, strict=True):
        if answer.outcome == DECLINED:
            paragraphs.append(texts.part_unanswered.format(part=part.strip()))
        else:
            paragraphs.append(_paragraph(answer))
    answered = any(a.outcome == ANSWERED for a in kept)
    return Answer(
        question,
        "\n\n".join(paragraphs),
        ANSWERED if answered else PARTIAL,
        _unique([s for a in kept for s in a.sources]),
        _retrieved(answers),
        next((a.suggestions for a in kept if a.suggestions), []),
        kept[0].lang,
        kept[-1].context,  # a follow-up most likely refers to what was asked last
        lead=kept[0].lead if answered else texts.partial_lead,
    )


def _paragraph(answer: Answer) -> str:
    """A part's answer: what the plan lacks (a partial answer's note), the plan's words, and where."""
    place = f"({short_label(answer.sources[0])})" if answer.sources else ""
    body = answer.body
    if place:
        body = f"{body}\n{place}" if body.splitlines()[-1].startswith("- ") else f"{body} {place}"
    return f"{answer.note}\n\n{body}" if answer.outcome == PARTIAL and answer.note else body


def _retrieved(answers: list[Answer]) -> list[Source]:
    """What retrieval ranked for the parts, taken in turn (the best of each first), without repeats."""
    merged: list[Source] = []
    for rank in range(max(len(a.retrieved) for a in answers)):
        merged += [a.retrieved[rank] for a in answers if rank < len(a.retrieved)]
    return _unique(merged)[:RETRIEVED_K]


def _unique(sources: list[Source]) -> list[Source]:
    """One source per passage, where it first appears."""
    first: dict[str, Source] = {}
    for source in sources:
        first.setdefault(source.id, source)
    return list(first.values())
