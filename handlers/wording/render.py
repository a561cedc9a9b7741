"""Rendering an Answer: Markdown for the CLI, the web chat and Teams' fallback text, and the JSON contract.

The answer's parts stay data until here: the note (what the plan lacks), the body, and the sources line
built from `Answer.sources`. Teams renders the same parts as a card (handlers/channels/botframework/teams.py),
with the labels and headings of this module.
"""

from __future__ import annotations

from dataclasses import asdict

from handlers.model.answer import YES, Answer, Source
from handlers.wording.texts import pick


def label(source: Source) -> str:
    """Human-readable place in the plan: "Aktörer › Almi, s. 24"."""
    where = source.section.replace(" > ", " › ")
    return f"{where}, s. {source.page}" if source.page is not None else where


def short_label(source: Source) -> str:
    """The innermost heading and the page, for a quote inside an answer: "Almi, s. 24"."""
    where = source.section.rsplit(" > ", 1)[-1]
    return f"{where}, s. {source.page}" if source.page is not None else where


def sources_heading(count: int, lang: str | None) -> str:
    texts = pick(lang)
    return texts.source if count == 1 else texts.sources


def sources_line(answer: Answer, markers: bool = False, limit: int | None = None) -> str:
    """ "Källor: Aktörer › Almi, s. 24 · …"; with `markers`, each label gets its citation number "[n]".

    `limit` keeps the first sources only (Teams cites at most 20), so that the line lists what is cited."""
    sources = answer.unique_sources[:limit]
    if not sources:
        return ""
    labels = [f"{label(s)} [{n}]" if markers else label(s) for n, s in enumerate(sources, start=1)]
    return f"{sources_heading(len(sources), answer.lang)}: {' · '.join(labels)}"


def markdown_escape(text: str) -> str:
    """The plan's footnote asterisks ("HR*", "**Svenskt näringsliv") must not turn into emphasis; a footnote
    mark that opens a sentence is dropped, it points at nothing in an answer."""
    return text.lstrip("*").replace("*", "\\*")


def related_markdown(answer: Answer) -> str:
    """What the plan also says: "Planen säger också:" and a list of its sentences, each with its place."""
    if not answer.related:
        return ""
    lines = [f"- {markdown_escape(q.text)} ({short_label(q.source)})" for q in answer.related]
    return f"{pick(answer.lang).related}\n" + "\n".join(lines)


def mentions_markdown(answer: Answer) -> str:
    """The other places the plan speaks of the actor answered about: "Planen tar också upp Almi här:" and
    a list of them, each with its place."""
    if not answer.mentions:
        return ""
    lines = [f"- {markdown_escape(q.text)} ({label(q.source)})" for q in answer.mentions]
    return f"{pick(answer.lang).also_mentions.format(name=answer.mentioned)}\n" + "\n".join(lines)


def named_body(answer: Answer) -> str:
    """The body, opened by the name of the actor it speaks of when its first sentence does not name it."""
    if not answer.about:
        return answer.body
    return f"{pick(answer.lang).about.format(name=markdown_escape(answer.about))} {answer.body}"


def plan_markdown(answer: Answer) -> str:
    """The answer's part in the plan's words: "Ja." when the plan settles a yes/no question, the lead ("The
    plan says (in Swedish):"), the body and what the plan also says. "Ja." opens the body's paragraph
    unless a lead stands between them."""
    yes = pick(answer.lang).yes if answer.verdict == YES else ""
    body = named_body(answer)
    if answer.lead:
        parts = [" ".join(p for p in (yes, answer.lead) if p), body]
    elif yes and answer.body.startswith(("- ", "**")):  # a list or a heading keeps its own line
        parts = [yes, body]
    else:
        parts = [" ".join(p for p in (yes, body) if p)]
    extras = (mentions_markdown(answer), related_markdown(answer))
    return "\n\n".join(part for part in (*parts, *extras) if part)


def choice_labels(sections: list[str]) -> list[str]:
    """What the sections offered when asking back are called: the innermost heading, with its parent when
    two offered sections share it ("Insatsområden" is a heading in two chapters)."""
    last = [section.rsplit(" > ", 1)[-1].rstrip("*") for section in sections]
    return [
        " › ".join(section.split(" > ")[-2:]).rstrip("*") if last.count(name) > 1 else name
        for section, name in zip(sections, last, strict=True)
    ]


def choices_markdown(answer: Answer) -> str:
    """The sections offered, numbered (a terminal user answers with the number), and how to choose."""
    if not answer.choices:
        return ""
    lines = [f"{n}. {markdown_escape(label)}" for n, label in enumerate(choice_labels(answer.choices), 1)]
    return "\n".join(lines) + f"\n\n{pick(answer.lang).ask_back_hint}"


def body_markdown(answer: Answer) -> str:
    """The note, then the plan's part (or the sections offered when asking back), without sources."""
    parts = (answer.note, plan_markdown(answer), choices_markdown(answer))
    return "\n\n".join(part for part in parts if part)


def markdown(answer: Answer, markers: bool = False, limit: int | None = None) -> str:
    """The whole answer as Markdown: body, then the sources line. What the user reads on the CLI and in
    the web chat, and the JSON contract's "answer"."""
    line = sources_line(answer, markers, limit)
    body = body_markdown(answer)
    return f"{body}\n\n{line}" if line else body


def answer_json(answer: Answer) -> dict:
    """The CLI contract of DESIGN.md (`bot.py ask --json`)."""
    return {
        "question": answer.question,
        "answer": markdown(answer),
        "answered": answer.answered,
        "outcome": answer.outcome,
        "sources": [asdict(s) for s in answer.sources],
        "retrieved": [asdict(s) for s in answer.retrieved],
        "suggestions": list(answer.suggestions),
        "choices": list(answer.choices),  # asking back: the sections offered (heading paths), else []
    }
