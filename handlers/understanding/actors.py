"""The plan's actors, found in a question by name, abbreviation or common alias.

The actors are the sub-sections of the Aktörer chapter, so a revised plan brings its own. Aliases come from
the plan (the part before " - " in "REKO - Region Örebro län - …", abbreviations in parentheses such as
"(BRO)") and from knowledge/aliases_sv.tsv (what people call them: "AF", "kommunen", "universitetet").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from index.knowledge import Document
from index.text import TOKEN, fold, stem, tokens

ACTORS_CHAPTER = "Aktörer"
_ABBREVIATION = re.compile(r"\(([A-ZÅÄÖ]{2,6})\)")


@dataclass(frozen=True)
class Actor:
    name: str  # the heading, footnote marks removed: "Business Region Örebro"
    section: str  # "Aktörer > Business Region Örebro"
    aliases: frozenset[tuple[str, ...]] = field(default_factory=frozenset)  # stemmed token sequences

    @property
    def short_name(self) -> str:
        """ "REKO" for "REKO - Region Örebro län - samverkan kommunal vuxenutbildning"."""
        return re.split(r" - |, ", self.name)[0]


def _key(text: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in tokens(text))


class ActorDirectory:
    def __init__(
        self,
        actors: list[Actor],
        expansions: dict[tuple[str, ...], str],
        topics: dict[tuple[str, ...], str] | None = None,
    ):
        self.actors = actors
        self._by_alias: dict[tuple[str, ...], Actor] = {}
        for actor in actors:
            for alias in actor.aliases:
                self._by_alias.setdefault(alias, actor)
        self._expansions = expansions  # aliases of plan terms that are not actors ("YH" -> "Yrkeshögskolan")
        self.topics = topics or {}  # aliases of chapters ("finansiera" -> "Finansiering"): key -> section
        self._longest = max((len(a) for a in [*self._by_alias, *expansions]), default=1)

    @classmethod
    def from_document(cls, document: Document, aliases_path: Path | None = None) -> ActorDirectory:
        chapter = document.section(ACTORS_CHAPTER)
        sections = document.children(chapter) if chapter else []
        extra = _read_aliases(aliases_path)
        actors = []
        for section in sections:
            name = section.path[-1].rstrip("*").strip()
            names = {name, re.split(r" - |, ", name)[0]}
            first_text = section.blocks[0].text if section.blocks else ""
            names.update(_ABBREVIATION.findall(first_text))
            names.update(alias for alias, target in extra.items() if target == name)
            actors.append(Actor(name, section.name, frozenset(_key(n) for n in names if _key(n))))
        known = {a.name for a in actors}
        chapters = {s.path[-1]: s.name for s in document.sections}
        topics = {_key(alias): chapters[t] for alias, t in extra.items() if t in chapters and t not in known}
        expansions = {_key(alias): t for alias, t in extra.items() if t not in known and t not in chapters}
        return cls(actors, expansions, topics)

    def find(self, question: str) -> list[Actor]:
        """Actors named in the question, in the order they are named (longest alias wins at each place)."""
        keys = _key(question)
        found: list[Actor] = []
        i = 0
        while i < len(keys):
            for size in range(min(self._longest, len(keys) - i), 0, -1):
                actor = self._by_alias.get(keys[i : i + size])
                if actor:
                    if actor not in found:
                        found.append(actor)
                    i += size
                    break
            else:
                i += 1
        return found

    def span(self, text: str) -> tuple[int, int] | None:
        """Character span of the first actor named in the text."""
        matches = list(TOKEN.finditer(fold(text)))  # folded like the aliases; same length as text
        keys = [stem(m.group()) for m in matches]
        for i in range(len(keys)):
            for size in range(min(self._longest, len(keys) - i), 0, -1):
                if tuple(keys[i : i + size]) in self._by_alias:
                    return matches[i].start(), matches[i + size - 1].end()
        return None

    def expand(self, question: str) -> str:
        """The plan's own terms for aliases in the question ("YH" -> "Yrkeshögskolan"), for searching."""
        keys = _key(question)
        extra = [
            target
            for alias, target in self._expansions.items()
            if any(keys[i : i + len(alias)] == alias for i in range(len(keys)))
        ]
        return " ".join(extra)

    def topic(self, text: str) -> str | None:
        """The chapter a question's words point to ("Hur kan vi finansiera …" -> "Finansiering")."""
        keys = _key(text)
        for alias, section in self.topics.items():
            if any(keys[i : i + len(alias)] == alias for i in range(len(keys))):
                return section
        return None

    def by_name(self, name: str) -> Actor | None:
        return next((a for a in self.actors if a.name == name), None)


def _read_aliases(path: Path | None) -> dict[str, str]:
    if path is None or not path.exists():
        return {}
    aliases = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            alias, target = line.split("\t", 1)
            aliases[alias.strip()] = target.strip()
    return aliases
