"""Complete lists: from the plan's structure (a heading's list or its sub-sections), a list in the best
passage, or an enumeration in running text (a sequence of dated steps told as sentences).

"Vilka aktörer finns?" gets all 19 actors, the sub-sections of Aktörer; "Vilka insatsområden finns för
arbetsgivare?" the Insatsområden list under the chapter whose heading or lead-in names employers; "Hur togs
planen fram?" every dated step of the process, not the one sentence that matched best. The structural lists
come from the curated Markdown's headings and lists (`StructuralLists`), so a revised plan needs no
code changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.composing.strategies import Draft, chunk_source, join, markdown_escape
from handlers.understanding.analyser import Query
from index.knowledge import Document, Section
from index.search import HybridSearcher, Ranking
from index.store import Sentence
from index.text import Decompounder, content_tokens

MIN_COVERED = 0.5  # share of the question's words a list's heading and context must account for


@dataclass(frozen=True)
class ListSection:
    section: Section
    heading_terms: frozenset[str]
    context_terms: frozenset[str]  # parent headings and the lead-in paragraph
    items: tuple[str, ...]  # the list's items, or the names of the sub-sections
    lead: str  # the paragraph before the list, if any
    heading_words: tuple[frozenset[str], ...] = ()  # the terms of each content word of the heading


class StructuralLists:
    def __init__(self, document: Document, decompounder: Decompounder):
        self.document = document
        self._terms = decompounder.terms
        self.lists = [entry for s in document.sections if (entry := self._entry(s)) is not None]

    def _entry(self, section: Section) -> ListSection | None:
        list_blocks = [b for b in section.blocks if b.kind == "list"]
        children = self.document.children(section)
        if list_blocks:
            items = tuple(item for b in list_blocks for item in b.items)
            first_list = section.blocks.index(list_blocks[0])
            lead = " ".join(b.text for b in section.blocks[:first_list])
        elif len(children) >= 2:
            items = tuple(c.path[-1].rstrip("*").strip() for c in children)
            lead = ""
        else:
            return None
        context = " ".join([*section.path[:-1], lead])
        heading = section.path[-1]
        words = tuple(terms for word in content_tokens(heading) if (terms := frozenset(self._terms(word))))
        return ListSection(
            section, frozenset(self._terms(heading)), frozenset(self._terms(context)), items, lead, words
        )

    def find(self, words: list[str]) -> list[ListSection]:
        """The lists a question asks for. `words` are its content words in Swedish.

        A list qualifies when its heading's terms all occur in the question and its heading and context
        account for at least half of the question's words; when several qualify, those whose context
        explains words their heading does not are preferred ("… för arbetsgivare")."""
        word_terms = [set(self._terms(w)) for w in dict.fromkeys(words)]
        word_terms = [t for t in word_terms if t]
        if not word_terms:
            return []
        asked = set().union(*word_terms)
        scored = []
        for entry in self.lists:
            if not entry.heading_terms or not entry.heading_terms <= asked:
                continue
            by_heading = [bool(t & entry.heading_terms) for t in word_terms]
            by_context = [bool(t & (entry.heading_terms | entry.context_terms)) for t in word_terms]
            if sum(by_context) / len(word_terms) < MIN_COVERED:
                continue
            extra = sum(c and not h for c, h in zip(by_context, by_heading, strict=True))
            scored.append((entry, extra))
        if any(extra for _, extra in scored):
            scored = [(entry, extra) for entry, extra in scored if extra]
        return [entry for entry, _ in scored]

    def find_in(self, chapter: str, words: list[str]) -> list[ListSection]:
        """The lists under a chapter the question names ("… i sammanfattningen") that its other words point
        to: those with the most of their heading's words in the question, at least half of them. Inside one
        chapter a long heading ("Förbättra arbetsgivarnas strategiska kompetensförsörjningsarbete –
        insatsområden") need not be spelt out whole to be the one asked for."""
        named = set(self._terms(chapter))
        asked = {term for word in words if not set(self._terms(word)) <= named for term in self._terms(word)}
        shares = [
            (sum(bool(terms & asked) for terms in entry.heading_words) / len(entry.heading_words), entry)
            for entry in self.lists
            if entry.section.path[0] == chapter and len(entry.section.path) > 1 and entry.heading_words
        ]
        best = max((share for share, _ in shares), default=0.0)
        return [entry for share, entry in shares if share == best] if best >= MIN_COVERED else []


LIST_CUES = re.compile(
    r"^\s*(vilka|vilken|which|what are|list|lista|räkna upp|nämn)\b|\b(insatsområden|inriktningar|aktörer"
    r"|aktörerna|fokusområden|effektmål|mål(en)?|områden|grupper|actors|areas|organisations)\b",
    re.IGNORECASE,
)
# A question about how something came about or proceeds: its answer is the whole sequence of steps.
PROCESS_CUES = re.compile(
    r"\b(steg|process(en)?|hur\b.{0,40}\b(gick|gått|togs|tagits|tas|gjordes|arbetades)|tidplan|"
    r"i vilken ordning|genomfördes|steps|process|how (was|were|did)|drawn up|timeline)\b",
    re.IGNORECASE,
)
# A time a step took place: "hösten 2018", "under vintern 2019", "i mars 2020".
TIME_EXPRESSION = re.compile(
    r"\b((för|sen)?(våren|sommaren|hösten|vintern)|januari|februari|mars|april|maj|juni|juli|augusti|september|oktober"
    r"|november|december)\s+(19|20)\d\d\b",
    re.IGNORECASE,
)
STEP_SECTIONS = 10  # the best-ranked sections searched for a sequence of dated steps
# A sentence that introduces what follows ("Följande är exempel på stödjande aktiviteter.").
LEAD_IN = re.compile(r"\b(följande|nedan|listas|exempel på|these|following)\b|:$", re.IGNORECASE)


class ListStrategy:
    def __init__(self, searcher: HybridSearcher, document: Document):
        self.searcher = searcher
        self.document = document
        self.sentences: list[Sentence] = searcher.stored.sentences
        self.lists = StructuralLists(document, searcher.decompounder)

    @staticmethod
    def wants_list(query: Query) -> bool:
        return bool(LIST_CUES.search(query.question))

    def structural(self, query: Query) -> Draft | None:
        """The lists whose headings the question names, whole, in the plan's order."""
        entries = self.lists.find(query.terms.words)
        if not entries and query.kind_asked:
            # "Räkna upp alla aktörer som beskrivs …": the kind asked for is a heading with a list, whatever
            # else the question says.
            entries = [e for e in self.lists.lists if e.heading_terms == {query.kind_asked}]
        if query.chapter:  # "… enligt sammanfattningen": that chapter's lists, the one its words name first
            inside = [e for e in entries if e.section.path[0] == query.chapter]
            entries = self.lists.find_in(query.chapter, query.terms.words) or inside
        return self._lists(entries) if entries else None

    def in_passage(self, best: int) -> Draft | None:
        """The list the best sentence belongs to or leads into, or its section's sub-sections after a
        lead-in ("Följande är exempel på …")."""
        sentence = self.sentences[best]
        chunk = self.searcher.chunks[sentence.chunk]
        if chunk.is_list and self._introduces_list(best):
            return Draft(_display(chunk.text), [chunk_source(self.searcher, sentence.chunk)], structural=True)
        section = self.document.section(chunk.section)
        children = self.document.children(section) if section else []
        if len(children) >= 2 and not self.searcher.is_continuation(sentence.chunk) and LEAD_IN.search(
            sentence.text
        ):
            names = "\n".join(f"- {c.path[-1].rstrip('*').strip()}" for c in children)
            body = f"{join([sentence])}\n\n{names}"
            return Draft(body, [chunk_source(self.searcher, sentence.chunk)], structural=True)
        return None

    def steps(self, query: Query, ranking: Ranking) -> Draft | None:
        """For a question about a process: every dated step of the best-ranked section that tells one."""
        if not PROCESS_CUES.search(query.question):
            return None
        for hit in ranking.hits[:STEP_SECTIONS]:
            dated = self._dated(hit.chunk.section)
            if len(dated) >= 2:
                steps = "\n".join(f"- {markdown_escape(self.sentences[i].text)}" for i in dated)
                opening = self._opening(hit.chunk.section)  # what the steps are steps of
                if opening not in dated:
                    steps = f"{markdown_escape(self.sentences[opening].text)}\n\n{steps}"
                body = steps
                chunks = list(dict.fromkeys(self.sentences[i].chunk for i in dated))
                return Draft(body, [chunk_source(self.searcher, c) for c in chunks], structural=True)
        return None

    def _opening(self, section: str) -> int:
        return next(
            i
            for i, s in enumerate(self.sentences)
            if s.kind == "sentence" and self.searcher.chunks[s.chunk].section == section
        )

    def _dated(self, section: str) -> list[int]:
        return [
            i
            for i, s in enumerate(self.sentences)
            if s.kind == "sentence"
            and self.searcher.chunks[s.chunk].section == section
            and TIME_EXPRESSION.search(s.text)
        ]

    def _introduces_list(self, index: int) -> bool:
        """Whether a sentence belongs to a list: an item, the heading over it, or the lead-in right before
        (a lead-in may be two sentences: "… följande insatsområden. Exempelvis Almi, …")."""
        sentence = self.sentences[index]
        if sentence.kind in ("item", "heading"):
            return True
        after = self.sentences[index + 1 : index + 3]
        return any(s.kind == "item" and s.chunk == sentence.chunk for s in after)

    def _lists(self, entries: list[ListSection]) -> Draft:
        """Whole lists, each under its heading (the full path when there are several)."""
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
                where = chunk_source(self.searcher, chunk_index)
                page = entry.section.page if entry.section.page is not None else where.page
                cited.append(type(where)(where.id, entry.section.name, page, parts[-1], 1.0))
        return Draft("\n\n".join(parts), cited, structural=True)

    def _first_chunk_under(self, section: str) -> int | None:
        """The section's first chunk, or its first sub-section's when it has no text of its own."""
        for i, chunk in enumerate(self.searcher.chunks):
            if chunk.section == section or chunk.section.startswith(f"{section} > "):
                return i
        return None


def _display(chunk_text: str) -> str:
    """A passage as Markdown: a blank line between a paragraph and the list after it, so it renders."""
    lines = markdown_escape(chunk_text).split("\n")
    out = lines[:1]
    for previous, line in zip(lines, lines[1:], strict=False):
        if line.startswith("- ") != previous.startswith("- "):
            out.append("")
        out.append(line)
    return "\n".join(out)
