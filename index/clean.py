"""Cleaning rules for text extracted from the plan's PDF.

The extraction has known defects (see DESIGN.md): words hyphenated across lines, a leading single space on
the first line of each page, page footers such as "Avgränsning och metod | Region Örebro län  11", and
figure labels that leak in as fragments. These rules turn such text into clean paragraphs with page numbers,
so a revised plan can be brought in the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "Avgränsning och metod | Region Örebro län  11": a running footer that carries the printed page number.
FOOTER = re.compile(r"^\s*(?P<title>[^|\n]{2,80}?)\s*\|\s*Region Örebro län\s+(?P<page>\d{1,3})\s*$")
# The first line of a page starts with exactly one space; a page's first line has at least two letters,
# so a lone figure letter (" m") does not count as a page.
PAGE_START = re.compile(r"^ (?=\S)(?=.*[^\W\d_]{2})")
# A word broken at the end of a line: "kompetensför-" + "sörjning", also across the blank lines of a column
# gap. The part before the hyphen must end in a lower-case letter (so "HR-" keeps its hyphen) and the text
# must go on in lower case.
BROKEN_WORD = re.compile(r"(?<=[a-zåäöé])- ?\n(?:[ \t]*\n)*[ \t]*(?=[a-zåäöé])")
# A number range broken after its hyphen ("2018-" + "2030"): the hyphen stays, the line break goes.
BROKEN_RANGE = re.compile(r"(?<=\d)- ?\n[ \t]*(?=\d)")
# Words that follow a hyphen in Swedish coordinations ("vård- och omsorg"): the hyphen stays.
COORDINATION = re.compile(r"^(och|eller|samt|respektive|som|till)\b")
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass(frozen=True)
class Page:
    number: int | None
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def dehyphenate(text: str) -> str:
    """Join words split across lines, keeping the hyphen of coordinations such as "vård- och omsorg"."""

    def join(match: re.Match[str]) -> str:
        rest = text[match.end() :]
        return "- " if COORDINATION.match(rest) else ""

    return BROKEN_RANGE.sub("-", BROKEN_WORD.sub(join, text))


def split_pages(raw: str) -> list[Page]:
    """Split raw text at page starts and number the pages from the printed footers.

    Pages without a footer are numbered by counting from the nearest page that has one; with no footer at
    all the pages are left unnumbered (None) rather than guessed.
    """
    chunks: list[list[str]] = [[]]
    for line in raw.split("\n"):
        if PAGE_START.match(line) and any(s.strip() for s in chunks[-1]):
            chunks.append([])
        chunks[-1].append(line)
    printed = [_footer_page(lines) for lines in chunks]
    anchor = next(((i, n) for i, n in enumerate(printed) if n is not None), None)
    pages = []
    for i, lines in enumerate(chunks):
        number = None if anchor is None else anchor[1] + (i - anchor[0])
        pages.append(Page(number, [line for line in lines if not FOOTER.match(line)]))
    return pages


def _footer_page(lines: list[str]) -> int | None:
    for line in lines:
        match = FOOTER.match(line)
        if match:
            return int(match.group("page"))
    return None


def clean_page(text: str) -> str:
    """One page's text as paragraphs: broken words joined, lines of a paragraph joined, spacing collapsed."""
    text = dehyphenate(text)
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(p for p in (_join_lines(p) for p in paragraphs) if p)


def _join_lines(paragraph: str) -> str:
    lines = [line.strip() for line in paragraph.split("\n")]
    lines = [line for line in lines if line]
    return re.sub(r"[ \t]+", " ", " ".join(lines)).strip()


def content_words(text: str, min_length: int = 4) -> set[str]:
    """Lower-cased words of at least min_length letters, after joining broken words."""
    return {w.lower() for w in WORD.findall(dehyphenate(text)) if len(w) >= min_length}


def draft_markdown(raw: str) -> str:
    """A first draft of the curated Markdown: cleaned paragraphs with page markers, for a person to edit."""
    parts = []
    for page in split_pages(raw):
        body = clean_page(page.text)
        if body:
            parts.append(f"<!-- page {page.number} -->\n\n{body}")
    return "\n\n".join(parts) + "\n"
