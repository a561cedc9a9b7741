"""Rendering an Answer as text: Markdown for the CLI, the JSON contract and the web chat.

The answer's parts stay data until here: the note (what the plan lacks), the body, and the sources line
built from `Answer.sources`. Teams renders the same parts as a card (handlers/botframework/teams.py).
"""

from __future__ import annotations

from handlers.answer_types import Answer

SOURCES_HEADING = {"sv": ("Källa", "Källor"), "en": ("Source", "Sources")}


def sources_heading(count: int, lang: str) -> str:
    one, many = SOURCES_HEADING["en" if lang == "en" else "sv"]
    return one if count == 1 else many


def sources_line(answer: Answer, markers: bool = False, limit: int | None = None) -> str:
    """ "Källor: Aktörer › Almi, s. 24 · …"; with `markers`, each label gets its citation number "[n]".

    `limit` keeps the first sources only (Teams cites at most 20), so that the line lists what is cited."""
    sources = answer.unique_sources[:limit]
    if not sources:
        return ""
    labels = [f"{s.label} [{n}]" if markers else s.label for n, s in enumerate(sources, start=1)]
    return f"{sources_heading(len(sources), answer.lang)}: {' · '.join(labels)}"


def body_markdown(answer: Answer) -> str:
    """The note, the lead and the body, each its own paragraph: what the answer says, without sources."""
    return "\n\n".join(part for part in (answer.note, answer.lead, answer.body) if part)


def markdown(answer: Answer, markers: bool = False, limit: int | None = None) -> str:
    """The whole answer as Markdown: body, then the sources line."""
    line = sources_line(answer, markers, limit)
    body = body_markdown(answer)
    return f"{body}\n\n{line}" if line else body
