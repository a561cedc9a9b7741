"""The quality report printed after an import, and the check that the document is a plan at all."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from index.knowledge import Document, parse_markdown

MIN_WORDS = 800  # the plan has about 7 000 words; a letter or a cover page has far fewer
MIN_HEADINGS = 5
RARE, COMMON = 1.5, 2.5  # wordfreq Zipf values: a piece this rare, joined into a word this common
HUGE_SECTION_WORDS = 1500  # a section this long probably swallowed headings that were not recognised
WORD = re.compile(r"[^\W\d_]+(?:[-\u2010][^\W\d_]+)*")
# "kompetens- försörjning": a hyphen, a space and a lower-case word that is not a coordination's "och".
LOOSE_HYPHEN = re.compile(
    r"\b[^\W\d_]+[-\u2010\u00ad] (?!och\b|eller\b|samt\b|respektive\b|som\b|till\b)[a-zåäö]+"
)


@dataclass
class Report:
    pages: int
    words: int
    headings: Counter[int]
    lists: int
    items: int
    broken: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    huge: list[str] = field(default_factory=list)
    removed_margin_lines: int = 0
    printed_page_numbers: bool = False

    def lines(self) -> list[str]:
        levels = ", ".join(f"nivå {level}: {n}" for level, n in sorted(self.headings.items())) or "inga"
        numbering = "tryckta sidnummer" if self.printed_page_numbers else "sidornas ordning"
        return [
            f"Sidor: {self.pages} (sidhänvisningar enligt {numbering})",
            f"Ord: {self.words}",
            f"Rubriker: {sum(self.headings.values())} ({levels})",
            f"Listor: {self.lists} ({self.items} punkter)",
            f"Borttagna sidhuvuden, sidfötter och sidnummer: {self.removed_margin_lines}",
            _listed("Ord som ser avbrutna ut", self.broken),
            _listed("Tomma avsnitt", self.empty),
            _listed(f"Mycket stora avsnitt (över {HUGE_SECTION_WORDS} ord)", self.huge),
        ]


def _listed(label: str, names: list[str]) -> str:
    shown = "; ".join(names[:8]) + (" …" if len(names) > 8 else "")
    return f"{label}: {len(names)}" + (f" ({shown})" if names else "")


def make_report(markdown: str, pages: int, removed: int = 0, printed: bool = False) -> Report:
    document = parse_markdown(markdown)
    headings = Counter(len(line) - len(line.lstrip("#")) for line in markdown.splitlines() if line[:1] == "#")
    blocks = [b for s in document.sections for b in s.blocks]
    lists = [b for b in blocks if b.kind == "list"]
    return Report(
        pages=pages,
        words=len(WORD.findall(_plain(document))),
        headings=headings,
        lists=len(lists),
        items=sum(len(b.items) for b in lists),
        broken=_broken_words(_plain(document)),
        empty=[s.name for s in document.sections if not s.blocks and not document.children(s)],
        huge=[s.name for s in document.sections if _words(s) > HUGE_SECTION_WORDS],
        removed_margin_lines=removed,
        printed_page_numbers=printed,
    )


def refuse_reason(report: Report) -> str | None:
    """Why the document does not look like a plan, or None when it does."""
    if report.words < MIN_WORDS:
        return f"den har bara {report.words} ord (en plan har tusentals)"
    headings = sum(report.headings.values())
    if headings < MIN_HEADINGS:
        return f"den har bara {headings} rubriker, för få för att dela in planen i avsnitt"
    return None


def _plain(document: Document) -> str:
    return "\n".join([document.title] + [t for s in document.sections for t in (s.path[-1], *_texts(s))])


def _texts(section) -> list[str]:
    return [item for block in section.blocks for item in block.items]


def _words(section) -> int:
    return sum(len(WORD.findall(text)) for text in _texts(section))


def _broken_words(text: str) -> list[str]:
    """A hyphen left before a lower-case word ("kompetens- försörjning"), stray soft hyphens, and two
    pieces that are no words but together are one ("kompe tens")."""
    found = [m.group(0) for m in LOOSE_HYPHEN.finditer(text)]
    found += [w for w in WORD.findall(text) if "\u00ad" in w or "\u2010" in w]
    found += _split_words(text)
    return list(dict.fromkeys(found))


def _split_words(text: str) -> list[str]:
    from wordfreq import zipf_frequency

    def zipf(word: str) -> float:
        return zipf_frequency(word, "sv")

    tokens = re.findall(r"[a-zåäöé]+|\S+", text)
    found = []
    for a, b in zip(tokens, tokens[1:], strict=False):
        pieces = a.isalpha() and b.isalpha() and a.islower() and b.islower()
        if pieces and min(zipf(a), zipf(b)) < RARE and zipf(a + b) >= COMMON:
            found.append(f"{a} {b}")
    return found
