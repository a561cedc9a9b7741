"""Answers about a subject the plan gives its own section: an actor ("Vad gör Almi?") or a chapter topic
("Hur kan vi finansiera …?"). The section's own words come first, then the other places the plan speaks of
the subject, each with its source: what an actor is named to drive, where money is mentioned elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from index.search import HybridSearcher
from index.store import Sentence
from index.text import stem, tokens

MAX_MENTIONS = 2
LEAD_IN_BONUS = 0.05  # being named in a list's lead-in ("… följande insatsområden. Exempelvis Almi …")
# A sentence that only makes sense with the one before: an example list, or a pronoun subject
# ("Det kan handla om …"), not an article ("Det företagsfrämjande systemet …").
LEANS_ON_PREVIOUS = re.compile(
    r"^(Exempelvis|Till exempel|Där|(Det|De|Detta|Dessa) (kan|är|har|handlar|innebär|blir|ska|gäller)\b)"
)


@dataclass(frozen=True)
class Subject:
    section: str  # "Aktörer > Almi", "Finansiering"
    name: str  # as the answer names it: "Almi", "finansiering"
    aliases: frozenset[tuple[str, ...]]  # stemmed token sequences that name it
    description_chars: int  # how much of its own section to quote


@dataclass(frozen=True)
class Mention:
    sentences: tuple[int, ...]  # the sentence that names the subject, with the one it leans on
    chunk: int
    score: float


class SubjectAnswers:
    def __init__(self, searcher: HybridSearcher):
        self.searcher = searcher
        self.sentences: list[Sentence] = searcher.stored.sentences
        self.vectors = searcher.stored.sentence_vectors
        # Stemmed tokens plus compound parts, so "projektfinansiering" names "finansiering".
        self._keys = [
            (tuple(stem(t) for t in tokens(s.text)), frozenset(searcher.decompounder.terms(s.text)))
            for s in self.sentences
        ]
        self._mentions: dict[str, list[tuple[int, ...]]] = {}

    def description(self, subject: Subject) -> tuple[list[Sentence], int]:
        """The opening sentences of the subject's section, and its first chunk."""
        own = [i for i, c in enumerate(self.searcher.chunks) if c.section == subject.section]
        chosen: list[Sentence] = []
        length = 0
        for i in (j for c in own for j in self.searcher.sentences_of(c)):
            sentence = self.sentences[i]
            if sentence.kind == "heading":
                continue
            if chosen and length + len(sentence.text) > subject.description_chars:
                break
            chosen.append(sentence)
            length += len(sentence.text) + 1
        return chosen, own[0]

    def mentions(self, subject: Subject, query_vector: np.ndarray) -> list[Mention]:
        """The places outside its section that name the subject, closest to the question first."""
        if subject.section not in self._mentions:
            self._mentions[subject.section] = self._find(subject)
        scored = [
            Mention(ids, self.sentences[ids[-1]].chunk, self._score(ids, query_vector))
            for ids in self._mentions[subject.section]
        ]
        return sorted(scored, key=lambda m: -m.score)[:MAX_MENTIONS]

    def _find(self, subject: Subject) -> list[tuple[int, ...]]:
        found = []
        for i, sentence in enumerate(self.sentences):
            if sentence.kind == "heading" or self.searcher.chunks[sentence.chunk].section == subject.section:
                continue
            sequence, terms = self._keys[i]
            named = any(
                _contains(sequence, alias) or (len(alias) == 1 and alias[0] in terms)
                for alias in subject.aliases
            )
            if named:
                leans = (
                    LEANS_ON_PREVIOUS.match(sentence.text)
                    and i > 0
                    and self.sentences[i - 1].chunk == sentence.chunk
                )
                found.append((i - 1, i) if leans else (i,))
        return found

    def _score(self, ids: tuple[int, ...], query_vector: np.ndarray) -> float:
        last = ids[-1]
        leads_list = any(
            s.kind == "item" and s.chunk == self.sentences[last].chunk
            for s in self.sentences[last + 1 : last + 3]
        )
        return float(self.vectors[last] @ query_vector) + (LEAD_IN_BONUS if leads_list else 0.0)


def _contains(sequence: tuple[str, ...], part: tuple[str, ...]) -> bool:
    n = len(part)
    return any(sequence[i : i + n] == part for i in range(len(sequence) - n + 1))
