"""Answers about a subject the plan gives its own section: an actor's role ("Vad gör Almi?") or a chapter
topic ("Hur kan vi finansiera …?"). The section's own words come first (`SubjectAnswers`), then the other
places the plan speaks of the subject, each with its source: what an actor is named to drive, where money is
mentioned elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from handlers.composing.strategies import Draft, chunk_source, join
from handlers.understanding.actors import Actor, ActorDirectory
from handlers.understanding.analyser import Query
from index.search import HybridSearcher
from index.store import Sentence
from index.text import content_tokens, fold, stem, tokens

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


ACTOR_DESCRIPTION_CHARS = 400
TOPIC_DESCRIPTION_CHARS = 700  # a topic chapter such as Finansiering is quoted nearly whole
ROLE_QUESTION = re.compile(
    r"\b(vad gör|vad håller|vilken roll|vilka roller|vad förväntas|förväntningar|berätta om|vad är|vem är|"
    r"vad innebär|vilket ansvar|what does|what do|what is|what are|who is|who are|role|tell me about|"
    r"expected|expect)\b",
    re.IGNORECASE,
)
ROLE_WORDS = frozenset(
    stem(fold(w))  # compared with folded tokens
    for w in "gör roll roller förväntas förväntningar förväntar berätta ansvar ansvarar uppgift uppgifter "
    "innebär jobbar arbetar håller bidrar bidra bidrag do does role roles responsibility expected tell "
    "contribute contributes".split()
)
DOMAIN_SHARE = 0.2  # a word in at least this share of the passages is the plan's subject, not a question's


class SubjectStrategy:
    def __init__(self, searcher: HybridSearcher, actors: ActorDirectory):
        self.searcher = searcher
        self.actors = actors
        self.subjects = SubjectAnswers(searcher)
        self.sentences = searcher.stored.sentences

    def actor_asked(self, query: Query) -> Actor | None:
        """The actor whose role the question asks about, with nothing else asked: "Vad gör Almi?", "What
        does Almi do?"; not "Vem äger Almi?", which asks one fact and gets the ordinary answer."""
        if len(query.actors) != 1 or not ROLE_QUESTION.search(query.question):
            return None
        rest = " ".join(query.terms.words) if query.lang == "en" else query.question
        while (span := self.actors.span(rest)) is not None:  # every naming of the actor goes
            rest = rest[: span[0]] + " " + rest[span[1] :]
        asked = [w for w in content_tokens(rest) if not self._everywhere(w)]
        return query.actors[0] if all(stem(w) in ROLE_WORDS for w in asked) else None

    def _everywhere(self, word: str) -> bool:
        """A word the whole plan is about ("kompetensförsörjningen"): it does not narrow a question."""
        return self.searcher.document_share(stem(word)) >= DOMAIN_SHARE

    def actor(self, actor: Actor, vector: np.ndarray) -> Draft:
        subject = Subject(actor.section, actor.short_name, actor.aliases, ACTOR_DESCRIPTION_CHARS)
        return self._answer(subject, vector)

    def topic(self, section: str, vector: np.ndarray) -> Draft:
        aliases = frozenset(alias for alias, name in self.actors.topics.items() if name == section)
        heading = section.rsplit(" > ", 1)[-1]
        name = heading[:1].lower() + heading[1:]
        return self._answer(Subject(section, name, aliases, TOPIC_DESCRIPTION_CHARS), vector)

    def card(self, section: str) -> Draft | None:
        """A short section quoted whole, alone: the plan's contact card answers how to get in touch."""
        chunks = [i for i, c in enumerate(self.searcher.chunks) if c.section == section]
        if not chunks:
            return None
        sentences = [
            self.sentences[i]
            for chunk in chunks
            for i in self.searcher.sentences_of(chunk)
            if self.sentences[i].kind != "heading"
        ]
        return Draft(join(sentences), [chunk_source(self.searcher, chunks[0])], structural=True)

    def _answer(self, subject: Subject, vector: np.ndarray) -> Draft:
        """The subject's own section, then the other places the plan speaks of it, each with its source."""
        described, first_chunk = self.subjects.description(subject)
        opening = described[0].text if described else ""
        cited = [chunk_source(self.searcher, first_chunk)]
        mentions = []
        for mention in self.subjects.mentions(subject, vector):
            where = chunk_source(self.searcher, mention.chunk, mention.score)
            mentions.append((" ".join(self.sentences[i].text for i in mention.sentences), where))
            cited.append(where)
        body = join(described)
        return Draft(body, cited, structural=True, opening=opening, mentions=mentions, mentioned=subject.name)
