"""One reply to a message that asks several things: each part's answer in turn, each with its place.

Each part was answered from its own evidence (handlers.understanding.parts splits the message). The reply
leads with every part's answer, in the order asked, the plan's words followed by where they stand; what the
plan also says is left out, so all the answers come first. Only answered parts are combined: when the plan
does not answer a part on its own, the engine answers the message as a whole instead, so a reply never says
a part is missing from the plan when another part's passage, or the plan elsewhere, states it.
"""

from __future__ import annotations

from collections.abc import Iterator

from handlers.model.answer import ANSWERED, Answer, Source
from handlers.wording.render import short_label

RETRIEVED_K = 8


def combine(question: str, parts: list[str], answers: list[Answer]) -> Answer:
    """The reply to `question` from the answers to its `parts` (in order), every one of them answered."""
    if len(answers) != len(parts) or not all(a.outcome == ANSWERED for a in answers):
        raise ValueError("combine takes one answered answer per part")
    return Answer(
        question,
        "\n\n".join(_paragraph(answer) for answer in _distinct(answers)),
        ANSWERED,
        _unique([s for a in answers for s in a.sources]),
        _retrieved(answers),
        next((a.suggestions for a in answers if a.suggestions), []),
        answers[0].lang,
        answers[-1].context,  # a follow-up most likely refers to what was asked last
        lead=answers[0].lead,
    )


def _distinct(answers: list[Answer]) -> Iterator[Answer]:
    """The answers whose words an earlier part's answer does not already show: two parts answered by one
    passage ("Vad är REKO till för och vilka sitter med där?", both from REKO's section) show it once."""
    shown: list[str] = []
    for answer in answers:
        if not any(answer.body in earlier for earlier in shown):
            shown.append(answer.body)
            yield answer


def _paragraph(answer: Answer) -> str:
    """A part's answer: the plan's words, and where they stand."""
    if not answer.sources:
        return answer.body
    place = f"({short_label(answer.sources[0])})"
    ends_in_list = answer.body.splitlines()[-1].startswith("- ")
    return f"{answer.body}\n{place}" if ends_in_list else f"{answer.body} {place}"


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
