"""Answers about a subject with its own section: an actor's role ("Vad gör Almi?") or a chapter topic
("Hur kan vi finansiera …?"): the section's own words, then the other places the plan speaks of it."""

from __future__ import annotations

import re

import numpy as np

from handlers.actors import Actor, ActorDirectory
from handlers.query import Query
from handlers.strategies import Draft, chunk_source, join, markdown_escape
from handlers.subjects import Subject, SubjectAnswers
from index.search import HybridSearcher
from index.text import content_tokens, fold, stem

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
ALSO_MENTIONS = {"sv": "Planen tar också upp {name} här:", "en": "The plan also mentions {name} here:"}


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

    def actor(self, actor: Actor, vector: np.ndarray, lang: str) -> Draft:
        subject = Subject(actor.section, actor.short_name, actor.aliases, ACTOR_DESCRIPTION_CHARS)
        return self._answer(subject, vector, lang)

    def topic(self, section: str, vector: np.ndarray, lang: str) -> Draft:
        aliases = frozenset(alias for alias, name in self.actors.topics.items() if name == section)
        heading = section.rsplit(" > ", 1)[-1]
        name = heading[:1].lower() + heading[1:]
        return self._answer(Subject(section, name, aliases, TOPIC_DESCRIPTION_CHARS), vector, lang)

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

    def _answer(self, subject: Subject, vector: np.ndarray, lang: str) -> Draft:
        """The subject's own section, then the other places the plan speaks of it, each with its source."""
        described, first_chunk = self.subjects.description(subject)
        body = join(described)
        cited = [chunk_source(self.searcher, first_chunk)]
        lines = []
        for mention in self.subjects.mentions(subject, vector):
            where = chunk_source(self.searcher, mention.chunk, mention.score)
            quote = " ".join(markdown_escape(self.sentences[i].text) for i in mention.sentences)
            lines.append(f"- {quote} ({where.label})")
            cited.append(where)
        if lines:
            also = ALSO_MENTIONS["en" if lang == "en" else "sv"].format(name=subject.name)
            body = f"{body}\n\n{also}\n" + "\n".join(lines)
        return Draft(body, cited, structural=True)
