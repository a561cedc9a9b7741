"""Answer composition, free of any bot SDK: retrieved passages -> a short extractive Answer.

The answer is made of the plan's own sentences (or a whole list, for list questions), followed by where
they come from. When the evidence is weak, or the question is not about the plan, it declines politely and
gives the region's contact from the plan itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from handlers.actors import ActorDirectory
from handlers.answer_types import ANSWERED, DECLINED, Answer, Source
from handlers.dialogue import Context, Resolved
from handlers.lists import ListSection, StructuralLists
from handlers.subjects import Subject, SubjectAnswers
from handlers.suggestions import Suggester
from index.knowledge import Document
from index.search import Hit, HybridSearcher, QueryTerms
from index.store import Sentence
from index.text import content_tokens, stem

CANDIDATE_CHUNKS = 3  # sentences are picked from the best few passages
MAX_ANSWER_CHARS = 550  # answer body, before the sources
RETRIEVED_K = 8

# Sentence choice: cosine to the question, plus a little for shared words, minus a little per passage rank.
LEXICAL_WEIGHT = 0.1
RANK_PENALTY = 0.01
SAME_PASSAGE_MARGIN = 0.04  # other sentences of the best passage this close to the best join the answer
OTHER_SOURCE_MARGIN = 0.025  # a sentence from another section this close is added as a second source
NUMBER_BONUS = 0.03
QUANTITY_QUESTION = re.compile(
    r"\b(hur (många|mycket|stor|stora|gammal)|vilken andel|how (many|much|large)|what (share|percentage))\b",
    re.IGNORECASE,
)
NUMBER = re.compile(r"\d")
FOLLOW_UP_BELOW_CHARS = 200  # a best sentence shorter than this brings the next one along
# A sentence that introduces the sub-sections after it ("Följande är exempel på stödjande aktiviteter.").
LEAD_IN = re.compile(r"\b(följande|nedan|listas|exempel på|these|following)\b|:$", re.IGNORECASE)

# The decline rule, chosen on the dev questions and a held-out set of our own (tests/data): cosines of
# multilingual-e5 sit in a narrow band, so meaning alone decides only when it is strong; otherwise most of
# the question's words must occur in the plan.
MIN_COVERAGE = 0.65
DENSE_WITH_WORDS = 0.82
DENSE_ALONE = 0.86
DENSE_WITH_WORDS_EN = 0.78
DENSE_ALONE_EN = 0.88

# Questions about an actor's role get its description and the other places the plan names it.
ROLE_QUESTION = re.compile(
    r"\b(vad gör|vad håller|vilken roll|vilka roller|vad förväntas|förväntningar|berätta om|vad är|vem är|"
    r"vad innebär|vilket ansvar|what does|what do|what is|what are|who is|who are|role|tell me about|"
    r"expected|expect)\b",
    re.IGNORECASE,
)
ROLE_WORDS = frozenset(
    stem(w)
    for w in "gör roll roller förväntas förväntningar förväntar berätta ansvar ansvarar uppgift uppgifter "
    "innebär jobbar arbetar håller do does role roles responsibility expected tell".split()
)
ACTOR_DESCRIPTION_CHARS = 400
TOPIC_DESCRIPTION_CHARS = 700  # a topic chapter such as Finansiering is quoted nearly whole
# "Vilka … ?" asks for a list, which the list machinery answers better than a topic summary.
LIST_QUESTION = re.compile(r"^\s*(vilka|which|list|lista|räkna upp)\b", re.IGNORECASE)

LIST_CUES = re.compile(
    r"^\s*(vilka|vilken|which|what are|list|lista|räkna upp|nämn)\b|\b(insatsområden|inriktningar|aktörer"
    r"|aktörerna|fokusområden|effektmål|mål(en)?|områden|grupper|actors|areas|organisations)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Texts:
    lead: str
    source: str
    sources: str
    decline: str
    also_mentions: str


SWEDISH = Texts(
    lead="",
    source="Källa",
    sources="Källor",
    decline=(
        "Det kan jag tyvärr inte svara på. Jag svarar på frågor om Region Örebro läns regionala "
        "handlingsplan för kompetensförsörjning, till exempel om aktörernas roller, insatsområdena och "
        "finansiering."
    ),
    also_mentions="Planen tar också upp {name} här:",
)
ENGLISH = Texts(
    lead="The plan says (in Swedish):",
    source="Source",
    sources="Sources",
    decline=(
        "I'm sorry, I can't answer that. I answer questions about Region Örebro län's regional action plan "
        "for skills supply (Regional handlingsplan för kompetensförsörjning), for example the actors' roles, "
        "the action areas and funding."
    ),
    also_mentions="The plan also mentions {name} here:",
)


@dataclass(frozen=True)
class Pick:
    sentence: int  # index into the stored sentences
    chunk_index: int
    score: float


class Composer:
    def __init__(self, searcher: HybridSearcher, document: Document, actors: ActorDirectory):
        self.searcher = searcher
        self.document = document
        self.actors = actors
        self.sentences = searcher.stored.sentences
        self.sentence_vectors = searcher.stored.sentence_vectors
        self.sentence_terms = [frozenset(searcher.decompounder.terms(s.text)) for s in self.sentences]
        self.subjects = SubjectAnswers(searcher)
        self.lists = StructuralLists(document, searcher.decompounder)
        self.suggester: Suggester | None = None  # set once the engine can check its suggestions
        self.contact_sv, self.contact_en = _contact_lines(document)

    def compose(
        self,
        question: str,
        resolved: Resolved,
        query_vector: np.ndarray,
        hits: list[Hit],
        terms: QueryTerms,
        lang: str,
    ) -> Answer:
        texts = ENGLISH if lang == "en" else SWEDISH
        retrieved = [_source(h) for h in hits[:RETRIEVED_K]]
        if not in_scope(hits, terms, lang):
            contact = self.contact_en if lang == "en" else self.contact_sv
            return Answer(question, f"{texts.decline} {contact}".strip(), DECLINED, [], retrieved, [], lang)
        actor = resolved.actors[0] if len(resolved.actors) == 1 else None
        # Topic words are Swedish; an English question is checked through its glossary translation.
        topic = None if resolved.actors else self.actors.topic(f"{resolved.question} {' '.join(terms.words)}")
        if actor and self._asks_about_role(resolved.question, terms.words if lang == "en" else None):
            subject = Subject(actor.section, actor.short_name, actor.aliases, ACTOR_DESCRIPTION_CHARS)
            body, cited = self._subject_answer(subject, query_vector, texts)
        elif topic and not LIST_QUESTION.search(resolved.question):
            body, cited = self._subject_answer(self._topic(topic), query_vector, texts)
        else:
            body, cited = self._body(resolved.question, query_vector, hits, terms)
        topic = actor.name if actor else cited[0].section.rsplit(" > ", 1)[-1].rstrip("*")
        context = Context(resolved.question, topic, actor.name if actor else "")
        suggestions = self._suggest(cited, body, lang)
        return Answer(question, body, ANSWERED, cited, retrieved, suggestions, lang, context, lead=texts.lead)

    def _suggest(self, cited: list[Source], text: str, lang: str) -> list[str]:
        """Follow-ups next to what was cited; for an answer that names other actors, those actors too.
        The checked questions are Swedish, so an English answer gets none rather than mixed languages."""
        if self.suggester is None or lang == "en":
            return []
        named = [a.name for a in self.actors.find(text)]
        return self.suggester.suggest([s.section for s in cited], named)

    def _topic(self, section: str) -> Subject:
        aliases = frozenset(alias for alias, name in self.actors.topics.items() if name == section)
        heading = section.rsplit(" > ", 1)[-1]
        return Subject(section, heading[:1].lower() + heading[1:], aliases, TOPIC_DESCRIPTION_CHARS)

    def _asks_about_role(self, question: str, swedish_words: list[str] | None = None) -> bool:
        """ "Vad gör Almi?", "Vad förväntas av oss som kommun?": a role question with nothing else asked.
        "Vem äger Almi?" or "Vad är regionens postadress?" ask for one fact and get the ordinary answer.
        An English question is judged on its words in the plan's Swedish (`swedish_words`)."""
        if not ROLE_QUESTION.search(question):
            return False
        if swedish_words is not None:
            question = " ".join(swedish_words)
        rest = re.sub(r"\([^)]*\)", " ", question)  # a follow-up's "(topic)"
        while (span := self.actors.span(rest)) is not None:  # every naming of the actor goes
            rest = rest[: span[0]] + " " + rest[span[1] :]
        return all(stem(word) in ROLE_WORDS for word in content_tokens(rest))

    def _subject_answer(
        self, subject: Subject, query_vector: np.ndarray, texts: Texts
    ) -> tuple[str, list[Source]]:
        """A subject's own section, then the other places the plan speaks of it, each with its source."""
        described, first_chunk = self.subjects.description(subject)
        body = _join(described)
        cited = [_source(_hit(self.searcher, first_chunk, 1.0))]
        lines = []
        for mention in self.subjects.mentions(subject, query_vector):
            source = _source(_hit(self.searcher, mention.chunk, mention.score))
            quote = " ".join(markdown_escape(self.sentences[i].text) for i in mention.sentences)
            lines.append(f"- {quote} ({source.label})")
            cited.append(source)
        if lines:
            body = f"{body}\n\n{texts.also_mentions.format(name=subject.name)}\n" + "\n".join(lines)
        return body, cited

    def _body(
        self, question: str, query_vector: np.ndarray, hits: list[Hit], terms: QueryTerms
    ) -> tuple[str, list[Source]]:
        quantity = QUANTITY_QUESTION.search(question) is not None
        picks = self._rank_sentences(query_vector, hits[:CANDIDATE_CHUNKS], terms, quantity)
        best = picks[0]
        hit = next(h for h in hits if h.chunk_index == best.chunk_index)
        if LIST_CUES.search(question):
            structural = self.lists.find(terms.words)
            if structural:
                return self._list_answer(structural)
            listed = self._whole_list(hit, best)
            if listed:
                return listed, [_source(hit)]
        chosen = self._sentences_around(best, picks)
        body = _join(self.sentences[p.sentence] for p in chosen)
        cited = [_source(hit)]
        second = self._second_source(best, picks, hit)
        if second is not None:
            other = next(h for h in hits if h.chunk_index == second.chunk_index)
            if len(body) + len(self.sentences[second.sentence].text) <= MAX_ANSWER_CHARS + 120:
                body = f"{body}\n\n{_join([self.sentences[second.sentence]])}"
                cited.append(_source(other))
        return body, cited

    def _list_answer(self, entries: list[ListSection]) -> tuple[str, list[Source]]:
        """Whole lists in the plan's order, each under its heading (the full path when there are several)."""
        parts, cited = [], []
        for entry in entries:
            path = entry.section.path
            title = " › ".join(path) if len(entries) > 1 else path[-1]
            head = f"**{markdown_escape(title.rstrip('*'))}**"
            if entry.lead:
                head = f"{head}\n{markdown_escape(entry.lead)}"
            items = "\n".join(f"- {markdown_escape(item)}" for item in entry.items)
            parts.append(f"{head}\n\n{items}")
            chunk_index = self._first_chunk_under(entry.section.name)
            if chunk_index is not None:
                chunk = self.searcher.chunks[chunk_index]
                page = entry.section.page if entry.section.page is not None else chunk.page
                cited.append(Source(chunk.id, entry.section.name, page, parts[-1], 1.0))
        return "\n\n".join(parts), cited

    def _first_chunk_under(self, section: str) -> int | None:
        """The section's first chunk, or its first sub-section's when it has no text of its own."""
        for i, chunk in enumerate(self.searcher.chunks):
            if chunk.section == section or chunk.section.startswith(f"{section} > "):
                return i
        return None

    def _whole_list(self, hit: Hit, best: Pick) -> str | None:
        """For a list question: the list the best passage holds, or the sub-sections of its section."""
        chunk = hit.chunk
        if chunk.is_list and self._introduces_list(best):
            return _display(chunk.text)
        section = self.document.section(chunk.section)
        children = self.document.children(section) if section else []
        first_chunk = not self.searcher.is_continuation(best.chunk_index)
        lead_in = LEAD_IN.search(self.sentences[best.sentence].text)
        if len(children) >= 2 and first_chunk and lead_in:
            lead = _join([self.sentences[best.sentence]])
            names = "\n".join(f"- {c.path[-1].rstrip('*').strip()}" for c in children)
            return f"{lead}\n\n{names}"
        return None

    def _introduces_list(self, pick: Pick) -> bool:
        """Whether a sentence belongs to a list: an item, the heading over it, or the lead-in right before
        (a lead-in may be two sentences: "… följande insatsområden. Exempelvis Almi, …")."""
        if self.sentences[pick.sentence].kind in ("item", "heading"):
            return True
        after = self.sentences[pick.sentence + 1 : pick.sentence + 3]
        return any(s.kind == "item" and s.chunk == pick.chunk_index for s in after)

    def _sentences_around(self, best: Pick, picks: list[Pick]) -> list[Pick]:
        """The best sentence, what follows it when it is short (a heading, or a statement whose reason or
        example comes next), and other strong sentences of the same passage, in the plan's order."""
        chosen = [best]
        length = len(self.sentences[best.sentence].text)
        following = best.sentence + 1
        wanted = 2 if self.sentences[best.sentence].kind == "heading" else 1
        while (
            wanted
            and length < FOLLOW_UP_BELOW_CHARS
            and following < len(self.sentences)
            and self.sentences[following].chunk == best.chunk_index
            and self.sentences[following].kind == "sentence"
        ):
            chosen.append(Pick(following, best.chunk_index, best.score))
            length += len(self.sentences[following].text) + 1
            following += 1
            wanted -= 1
        previous = best.sentence - 1
        if (
            len(chosen) == 1
            and length < FOLLOW_UP_BELOW_CHARS
            and previous >= 0
            and self.sentences[previous].chunk == best.chunk_index
            and self.sentences[previous].kind == "sentence"
        ):
            # Nothing follows a short last sentence ("Länsbildningsförbundet organiserar deras samverkan."):
            # what it refers to comes before it.
            chosen.append(Pick(previous, best.chunk_index, best.score))
            length += len(self.sentences[previous].text) + 1
        for pick in picks[1:]:
            if pick.chunk_index != best.chunk_index or pick.score < best.score - SAME_PASSAGE_MARGIN:
                continue
            if (
                any(p.sentence == pick.sentence for p in chosen)
                or self.sentences[pick.sentence].kind == "heading"
            ):
                continue
            text = self.sentences[pick.sentence].text
            if length + len(text) > MAX_ANSWER_CHARS or len(chosen) >= 3:
                break
            chosen.append(pick)
            length += len(text) + 1
        return sorted(chosen, key=lambda p: p.sentence)

    def _second_source(self, best: Pick, picks: list[Pick], hit: Hit) -> Pick | None:
        """A near-equal sentence from another section: the plan often says one thing in two places."""
        for pick in picks[1:]:
            if pick.score < best.score - OTHER_SOURCE_MARGIN:
                return None
            other = self.searcher.chunks[pick.chunk_index].section != hit.chunk.section
            repeated = self.sentences[pick.sentence].text == self.sentences[best.sentence].text
            if other and not repeated and self.sentences[pick.sentence].kind != "heading":
                return pick
        return None

    def _rank_sentences(
        self, query_vector: np.ndarray, hits: list[Hit], terms: QueryTerms, quantity: bool = False
    ) -> list[Pick]:
        """Sentences of the best passages, most answering first. `quantity`: the question asks "how many",
        so a sentence with a number in it is what answers it."""
        query_terms = set(terms.focus)
        # Shared rare words ("postadress") say more than shared common ones ("region").
        weight = {t: self.searcher.idf(t) for t in query_terms}
        total = sum(weight.values())
        picks = []
        for rank, hit in enumerate(hits):
            ids = self.searcher.sentences_of(hit.chunk_index)
            if not ids:
                continue
            similarity = self.sentence_vectors[ids] @ query_vector
            for sentence_id, cosine in zip(ids, similarity, strict=True):
                shared = query_terms & self.sentence_terms[sentence_id]
                overlap = sum(weight[t] for t in shared) / total if total else 0.0
                score = float(cosine) + LEXICAL_WEIGHT * overlap - RANK_PENALTY * rank
                if quantity and NUMBER.search(self.sentences[sentence_id].text):
                    score += NUMBER_BONUS
                picks.append(Pick(sentence_id, hit.chunk_index, score))
        picks.sort(key=lambda p: -p.score)
        return picks


def _hit(searcher: HybridSearcher, chunk_index: int, score: float) -> Hit:
    return Hit(chunk_index, searcher.chunks[chunk_index], score, score, 0.0)


def in_scope(hits: list[Hit], terms: QueryTerms, lang: str) -> bool:
    """Answer when the plan knows most of the question's words and a passage is close in meaning, or when
    the meaning match alone is strong. English questions score lower against the Swedish plan."""
    if not hits:
        return False
    best_dense = max(h.dense for h in hits)
    alone, with_words = (
        (DENSE_ALONE_EN, DENSE_WITH_WORDS_EN) if lang == "en" else (DENSE_ALONE, DENSE_WITH_WORDS)
    )
    return best_dense >= alone or (terms.coverage >= MIN_COVERAGE and best_dense >= with_words)


def _join(sentences: Iterable[Sentence]) -> str:
    """Sentences of one passage as prose; list items as a list; a heading in bold on its own line."""
    lines: list[str] = []
    for sentence in sentences:
        text = markdown_escape(sentence.text)
        if sentence.kind == "heading":
            lines.append(f"**{text}**")
        elif sentence.kind == "item":
            lines.append(f"- {text}")
        elif lines and not lines[-1].startswith(("- ", "**")):
            lines[-1] = f"{lines[-1]} {text}"
        else:
            lines.append(text)
    return "\n".join(lines)


def _display(chunk_text: str) -> str:
    """A passage as Markdown: a blank line between a paragraph and the list after it, so it renders."""
    lines = markdown_escape(chunk_text).split("\n")
    out = lines[:1]
    for previous, line in zip(lines, lines[1:], strict=False):
        if line.startswith("- ") != previous.startswith("- "):
            out.append("")
        out.append(line)
    return "\n".join(out)


def markdown_escape(text: str) -> str:
    """The plan's footnote asterisks ("HR*", "**Svenskt näringsliv") must not turn into emphasis; a footnote
    mark that opens a sentence is dropped, it points at nothing in an answer."""
    return text.lstrip("*").replace("*", "\\*")


def _source(hit: Hit) -> Source:
    c = hit.chunk
    return Source(id=c.id, section=c.section, page=c.page, text=c.search_text, score=round(hit.score, 5))


def _contact_lines(document: Document) -> tuple[str, str]:
    """The region's contact, from the plan's own Kontakt section (so a revised plan brings its own)."""
    section = document.section("Kontakt")
    if section is None:
        return "", ""
    names = [b.text for b in section.blocks if b.kind == "paragraph"]
    items = [item for b in section.blocks if b.kind == "list" for item in b.items]
    phone = next((i.split(":", 1)[1].strip() for i in items if i.lower().startswith("telefon")), "")
    email = next((i.split(":", 1)[1].strip() for i in items if i.lower().startswith("e-post")), "")
    who = ", ".join(names) if names else "Region Örebro län"
    reach = " eller ".join(x for x in (phone and f"på {phone}", email and f"via {email}") if x)
    reach_en = " or ".join(x for x in (phone and f"on {phone}", email and f"at {email}") if x)
    return f"Du når {who} {reach}.", f"You can reach {who} {reach_en}."
