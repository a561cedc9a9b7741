"""Blocks into the curated Markdown that index/knowledge.py reads (the conventions of handlingsplan.md)."""

from __future__ import annotations

from index.importer.model import Block


def to_markdown(blocks: list[Block], title: str) -> str:
    """One line per heading, paragraph and list item; a page marker before the first block of each page."""
    out: list[str] = []
    if not any(b.kind == "heading" and b.level == 1 for b in blocks):
        out += [f"# {title}", ""]
    page: int | None = None
    number = 0
    previous = ""
    for block in blocks:
        text = block.text
        if not text:
            continue
        if block.page is not None and block.page != page:
            page = block.page
            out += [f"<!-- page {page} -->", ""]
            previous = ""
        if block.kind == "item":
            number = number + 1 if previous == "item" else 1
            marker = f"{number}." if block.numbered else "-"
            if previous not in ("item", ""):
                out.append("")
            out.append(f"{marker} {text}")
        else:
            if previous == "item":
                out.append("")
            out += [f"{'#' * block.level} {text}" if block.kind == "heading" else text, ""]
        previous = block.kind
    return "\n".join(out).rstrip() + "\n"
