"""English -> Swedish glossary of the plan's terms, for searching the Swedish plan with English questions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index.text import tokens


@dataclass(frozen=True)
class Translation:
    swedish: str  # the Swedish terms of the matched phrases, space-separated
    matched: frozenset[str]  # the English tokens the glossary recognised


class Glossary:
    def __init__(self, entries: dict[tuple[str, ...], str]):
        self._entries = entries
        self._longest = max((len(k) for k in entries), default=1)

    def english_words(self) -> set[str]:
        """Every English word of the glossary's phrases (folded tokens)."""
        return {word for phrase in self._entries for word in phrase}

    @classmethod
    def load(cls, path: Path) -> Glossary:
        entries: dict[tuple[str, ...], str] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith("#") and "\t" in line:
                    english, swedish = line.split("\t", 1)
                    entries[tuple(tokens(english))] = swedish.strip()
        return cls(entries)

    def translate(self, text: str) -> Translation:
        """Longest-match lookup of English phrases; plural "-s" forms fall back to the singular."""
        words = tokens(text)
        found: list[str] = []
        matched: set[str] = set()
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                phrase = tuple(words[i : i + size])
                swedish = self._entries.get(phrase) or self._entries.get(_singular(phrase))
                if swedish:
                    found.append(swedish)
                    matched.update(phrase)
                    i += size
                    break
            else:
                i += 1
        return Translation(" ".join(found), frozenset(matched))


def _singular(phrase: tuple[str, ...]) -> tuple[str, ...]:
    last = phrase[-1]
    return (*phrase[:-1], last[:-1]) if last.endswith("s") and len(last) > 3 else phrase
