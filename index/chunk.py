"""Section-aware chunking: a chunk never crosses a section and carries its heading path and page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.knowledge import Block, Document
from index.text import split_sentences

TARGET_CHARS = 700  # about 150 tokens: room for the heading path in e5's 512-token window
MAX_LIST_CHARS = 1600  # a list stays whole up to this size


@dataclass(frozen=True)
class Chunk:
    id: str
    section: str  # "Aktörer > Almi"
    page: int | None
    text: str  # the plan's words; list items as "- item" lines
    is_list: bool = False

    @property
    def heading(self) -> str:
        """The last heading, the chunk's own subject."""
        return self.section.rsplit(" > ", 1)[-1]

    @property
    def search_text(self) -> str:
        """What is embedded and searched: the heading path, then the text."""
        return f"{self.section.replace(' > ', ' – ')}\n{self.text}"


def chunk_document(document: Document, target_chars: int = TARGET_CHARS) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in document.sections:
        for part, page, is_list in _pack(section.blocks, target_chars):
            chunks.append(
                Chunk(f"{_slug(section.name)}-{len(chunks):03d}", section.name, page, part, is_list)
            )
    return chunks


def _pack(blocks: list[Block], target: int) -> list[tuple[str, int | None, bool]]:
    """Group a section's blocks into pieces of about `target` characters.

    A list is kept whole, together with the paragraph that leads into it when both fit; a paragraph longer
    than the target is split between sentences.
    """
    pieces: list[tuple[str, int | None, bool]] = []
    current: list[str] = []
    current_page: int | None = None
    current_is_list = False

    def emit() -> None:
        nonlocal current, current_is_list
        if current:
            pieces.append(("\n".join(current), current_page, current_is_list))
        current, current_is_list = [], False

    for block in blocks:
        units = [block.text] if block.kind == "list" else _split_long(block.text, target)
        for unit in units:
            size = sum(len(u) + 1 for u in current) + len(unit)
            fits = size <= target or (block.kind == "list" and size <= MAX_LIST_CHARS)
            if current and not fits:
                emit()
            if not current:
                current_page = block.page
            current.append(unit)
            current_is_list = current_is_list or block.kind == "list"
    emit()
    return pieces


def _split_long(paragraph: str, target: int) -> list[str]:
    if len(paragraph) <= target:
        return [paragraph]
    parts: list[str] = []
    for sentence in split_sentences(paragraph):
        if parts and len(parts[-1]) + len(sentence) + 1 <= target:
            parts[-1] = f"{parts[-1]} {sentence}"
        else:
            parts.append(sentence)
    return parts


def _slug(text: str) -> str:
    last = text.rsplit(" > ", 1)[-1].lower()
    return re.sub(r"[^a-z0-9åäö]+", "-", last).strip("-")[:40] or "avsnitt"
