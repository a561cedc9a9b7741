"""What every reader (PDF, Word) produces: the plan as a flat run of headings, paragraphs and list items."""

from __future__ import annotations

from dataclasses import dataclass

from index.importer.hyphens import join_lines


class ImportRefused(Exception):
    """The file cannot become the plan; the message (Swedish) says why and what to do."""


def encrypted(name: str) -> ImportRefused:
    return ImportRefused(
        f"{name} är krypterad (lösenordsskyddad). Spara en kopia utan lösenord och importera den."
    )


@dataclass
class Block:
    kind: str  # "heading" | "paragraph" | "item"
    lines: list[str]
    page: int | None
    level: int = 0  # headings: 1 is the document title, 2-6 the plan's sections
    numbered: bool = False  # items of a numbered list ("1.")

    @property
    def text(self) -> str:
        return join_lines(self.lines)


@dataclass
class Extracted:
    """A reader's result: the blocks in reading order, and what it saw on the way (for the report)."""

    blocks: list[Block]
    pages: int
    title: str = ""
    removed_margin_lines: int = 0
    printed_page_numbers: bool = False
