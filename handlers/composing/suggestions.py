"""Suggested follow-up questions, drawn from the plan's structure and checked to be answerable.

Each section gets one candidate question ("Vad gör Almi?" for an actor, "Vad säger planen om …?" for
others). A candidate is kept only if the bot, asked it, answers from that very section: that check runs once
per index (the result is stored next to it), so a suggestion never leads to a decline.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

from handlers.model.answer import Answer
from handlers.understanding.actors import ActorDirectory
from index.knowledge import Document, Section

log = logging.getLogger(__name__)
WORD = re.compile(r"\w+")

MAX_SUGGESTIONS = 3
# A heading that states something ("Offentlig sektor har de största kompetensbehoven") is quoted as it is.
STATEMENT = re.compile(r"\b(är|har|kan|behöver|skapar|vill|ska|utgår)\b")
FILE_NAME = "suggestions.json"
# Raised when the engine changes what it answers (2: it asks back when unsure), so a stored check is redone.
CHECKED_BY = 2


class Suggester:
    def __init__(self, document: Document, actors: ActorDirectory, questions: dict[str, str]):
        """`questions`: the checked candidates, section name -> question."""
        self.document = document
        self.actors = actors
        self.questions = questions  # section name -> a checked question answered from that section
        self._order = {s.name: i for i, s in enumerate(document.sections)}

    @staticmethod
    def candidates(document: Document, actors: ActorDirectory) -> dict[str, str]:
        """One question per section, phrased from its heading."""
        by_section = {a.section: a for a in actors.actors}
        casing = _Casing(document)
        out = {}
        for section in document.sections:
            if (not section.blocks and not document.children(section)) or ":" in section.path[-1]:
                continue  # nothing to answer from, or a figure
            actor = by_section.get(section.name)
            heading = casing.in_sentence(section.path[-1].rstrip("*").strip())
            if actor:
                out[section.name] = f"Vad gör {casing.in_sentence(actor.short_name)}?"
            elif _plural(heading) and (
                document.children(section) or any(b.kind == "list" for b in section.blocks)
            ):
                out[section.name] = f"Vilka {heading} finns?"
            elif STATEMENT.search(heading):
                out[section.name] = f"Vad står det under ”{section.path[-1].strip('*')}”?"
            else:
                out[section.name] = f"Vad säger planen om {heading}?"
        return out

    @classmethod
    def load_or_check(
        cls, document: Document, actors: ActorDirectory, folder: Path, ask: Callable[[str], Answer]
    ) -> Suggester:
        """Read the checked questions stored with the index, or check them now and store them."""
        path = folder / FILE_NAME
        candidates = cls.candidates(document, actors)
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored.get("candidates") == candidates and stored.get("checked_by") == CHECKED_BY:
                return cls(document, actors, stored["questions"])
        except (OSError, ValueError, AttributeError):
            pass
        questions = {name: q for name, q in candidates.items() if _answers_from(ask(q), name)}
        log.info("Förslag på följdfrågor: %d av %d kontrollerade", len(questions), len(candidates))
        try:
            path.write_text(
                json.dumps(
                    {"candidates": candidates, "questions": questions, "checked_by": CHECKED_BY},
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
        except OSError as error:  # a read-only index still works; the check just runs again next start
            log.warning("Kunde inte spara förslagen i %s: %s", path, error)
        return cls(document, actors, questions)

    def suggest(self, cited: list[str], actor_names: list[str] = ()) -> list[str]:
        """Up to three questions about what lies next to the cited sections, never about them again."""
        related: list[str] = [a.section for n in actor_names if (a := self.actors.by_name(n))]
        for name in cited[:1]:
            section = self.document.section(name)
            if section is None:
                continue
            related += [c.name for c in self.document.children(section)]
            related += self._siblings(section)
        seen = set(cited)
        out = []
        for name in related:
            question = self.questions.get(name)
            if question and name not in seen and question not in out:
                out.append(question)
                seen.add(name)
            if len(out) == MAX_SUGGESTIONS:
                break
        return out

    def _siblings(self, section: Section) -> list[str]:
        """The sections beside this one, nearest first (the next one before the previous one)."""
        parent = self.document.section(" > ".join(section.path[:-1])) if len(section.path) > 1 else None
        if parent is None:
            siblings = [s for s in self.document.sections if len(s.path) == 1]
        else:
            siblings = self.document.children(parent)
        names = [s.name for s in siblings]
        if section.name not in names:
            return []
        i = names.index(section.name)
        ordered = []
        for step in range(1, len(names)):
            ordered += [
                n
                for n in (
                    names[i + step] if i + step < len(names) else None,
                    names[i - step] if i - step >= 0 else None,
                )
                if n
            ]
        return ordered


def _answers_from(answer: Answer, section: str) -> bool:
    return answer.answered and any(
        s.section == section or s.section.startswith(f"{section} > ") for s in answer.sources
    )


def _plural(heading: str) -> bool:
    """A one- or two-word heading that names a kind of thing in the plural ("Insatsområden")."""
    words = heading.split()
    return (
        len(words) <= 3 and words[-1].lower().endswith(("er", "ar", "or", "en", "mål")) and ":" not in heading
    )


class _Casing:
    """Whether a heading's first word is a name (kept capitalised inside a sentence) or a common word."""

    def __init__(self, document: Document):
        self._text = " ".join(b.text for s in document.sections for b in s.blocks)
        # Where each word starts (lower case), so a heading is looked up where its first word stands, not by a
        # search through the whole plan: that made the check grow with the square of the plan's length.
        self._starts: dict[str, list[int]] = {}
        for match in WORD.finditer(self._text):
            self._starts.setdefault(match.group().lower(), []).append(match.start())

    def in_sentence(self, heading: str) -> str:
        """ "Länets kommuner" -> "länets kommuner", but "Region Örebro län", "Almi" and "REKO" stay."""
        words = heading.split()
        if not words or words[0].isupper() or any(c.isupper() for c in words[0][1:]):
            return heading
        if len(words) > 1 and words[1][:1].isupper():
            return heading  # "Stiftelsen Activa", "Svenskt Näringsliv", "Länsstyrelsen Örebro"
        start = " ".join(words[:2])
        as_name = self._found(re.compile(rf"[a-zåäö,] {re.escape(start)}\b"), start, 2)
        as_word = self._found(re.compile(rf"\b{re.escape(start.lower())}\b"), start, 0)
        return heading if as_name and not as_word else heading[:1].lower() + heading[1:]

    def _found(self, pattern: re.Pattern[str], start: str, before: int) -> bool:
        """Whether `pattern` (matching `before` characters ahead of `start`) occurs in the plan's text."""
        first = WORD.match(start)
        if first is None:  # no word to look up by
            return pattern.search(self._text) is not None
        positions = self._starts.get(first.group().lower(), [])
        return any(pattern.match(self._text, at - before) for at in positions if at >= before)
