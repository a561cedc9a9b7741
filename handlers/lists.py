"""Complete lists from the plan's structure: a list question gets the whole list, or all sub-sections.

"Vilka aktörer finns?" → the sub-sections of Aktörer; "Vilka insatsområden finns för arbetsgivare?" → the
Insatsområden list under the chapter whose heading or lead-in names employers. Everything comes from the
curated Markdown's headings and lists, so a revised plan needs no code changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.knowledge import Document, Section
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
