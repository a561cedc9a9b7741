"""The curated plan: Markdown with headings, paragraphs, lists and page markers, parsed into sections.

Format (knowledge/handlingsplan.md): "# Title", then "##"/"###"/"####" headings in the plan's structure;
one paragraph per line; "- item" and "1. item" lists; "<!-- page N -->" before the first block of page N.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")
PAGE_MARKER = re.compile(r"^<!--\s*page\s+(\d+)\s*-->$")
LIST_ITEM = re.compile(r"^(?:[-*•]|\d+[.)])\s+(.*)$")


@dataclass(frozen=True)
class Block:
    """A paragraph (one item) or a list (one or more items), on the page where it starts."""

    kind: str  # "paragraph" | "list"
    items: tuple[str, ...]
    page: int | None

    @property
    def text(self) -> str:
        if self.kind == "list":
            return "\n".join(f"- {item}" for item in self.items)
        return self.items[0]


@dataclass
class Section:
    path: tuple[str, ...]  # headings below the document title, e.g. ("Aktörer", "Almi")
    page: int | None
    blocks: list[Block] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " > ".join(self.path)


@dataclass
class Document:
    title: str
    sections: list[Section]

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def children(self, section: Section) -> list[Section]:
        depth = len(section.path)
        return [s for s in self.sections if len(s.path) == depth + 1 and s.path[:depth] == section.path]


def load_document(path: Path) -> Document:
    return parse_markdown(path.read_text(encoding="utf-8"))


def parse_markdown(text: str) -> Document:
    title = ""
    headings: list[str] = []
    sections: list[Section] = []
    page: int | None = None
    pending: list[str] = []  # lines of the block being read
    pending_kind = ""
    pending_page: int | None = None

    def flush() -> None:
        nonlocal pending, pending_kind
        if pending and sections:
            items = tuple(pending) if pending_kind == "list" else (" ".join(pending),)
            sections[-1].blocks.append(Block(pending_kind, items, pending_page))
        pending, pending_kind = [], ""

    for raw_line in text.splitlines():
        line = raw_line.strip()
        marker = PAGE_MARKER.match(line)
        heading = HEADING.match(line)
        item = LIST_ITEM.match(line)
        if not line:
            flush()
        elif marker:
            flush()
            page = int(marker.group(1))
        elif heading:
            flush()
            level, name = len(heading.group(1)), heading.group(2)
            if level == 1:
                title = name
                continue
            headings = headings[: level - 2] + [name]
            sections.append(Section(tuple(headings), page))
        elif item:
            if pending_kind != "list":
                flush()
                pending_kind, pending_page = "list", page
            pending.append(item.group(1))
        else:
            if pending_kind == "list":
                flush()
            if not pending:
                pending_kind, pending_page = "paragraph", page
            pending.append(line)
    flush()
    return Document(title, sections)
