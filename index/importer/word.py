"""Read a Word file (.docx, python-docx, MIT) into the plan's blocks: headings from the paragraph styles."""

from __future__ import annotations

import re
from pathlib import Path

from index.importer.model import Block, Extracted, ImportRefused

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HEADING_STYLE = re.compile(r"^(?:heading|rubrik)\s*(\d)$", re.IGNORECASE)


def read_docx(path: Path) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as error:
        raise ImportRefused(f"{path.name} går inte att läsa som Word-fil ({error}).") from error
    rendered = document.element.body.find(f".//{W}lastRenderedPageBreak") is not None
    blocks: list[Block] = []
    page = 1
    for paragraph in _paragraphs(document):
        before, after = _page_breaks(paragraph._p, rendered)
        page += before
        text = paragraph.text.replace("\u00ad", "").strip()
        if text:
            blocks.append(_block(paragraph, text, page))
        page += after
    return Extracted(blocks=_titled(blocks), pages=page, title=document.core_properties.title or "")


def _paragraphs(document):
    """Body paragraphs in order, and the paragraphs inside tables, cell by cell."""
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):
            for row in item.rows:
                for cell in row.cells:
                    yield from cell.paragraphs
        else:
            yield item


def _block(paragraph, text: str, page: int) -> Block:
    style = paragraph.style.name if paragraph.style is not None else ""
    level = _heading_level(paragraph, style)
    if level:
        return Block("heading", [text], page, level=level)
    if style.lower().startswith("list") or paragraph._p.find(f"{W}pPr/{W}numPr") is not None:
        return Block("item", [text], page, numbered="number" in style.lower())
    return Block("paragraph", [text], page)


def _titled(blocks: list[Block]) -> list[Block]:
    """Heading levels as the document means them. With a Title style, Title is the plan's title (level 1)
    and Heading 1 its sections (2). Many files have no Title: their title is a Heading 1, the only one, and
    their sections Heading 2, so every heading is one level up (else the sections come in a level too deep
    and the title twice, once from the file's properties). A file whose Heading 1s are its chapters keeps
    them as sections."""
    headings = [b for b in blocks if b.kind == "heading"]
    if not headings or any(b.level == 1 for b in headings):
        return blocks
    first = headings[0]
    if first.level != 2 or sum(b.level == 2 for b in headings) != 1:
        return blocks
    for block in headings:
        block.level = max(1, block.level - 1)
    return blocks


def _heading_level(paragraph, style: str) -> int:
    if style.lower() in ("title", "rubrik"):
        return 1
    match = HEADING_STYLE.match(style)
    if match:
        return min(6, int(match.group(1)) + 1)
    outline = paragraph._p.find(f"{W}pPr/{W}outlineLvl")  # a custom heading style set directly
    if outline is not None:
        return min(6, int(outline.get(f"{W}val", "0")) + 2)
    return 0


def _page_breaks(p, rendered: bool) -> tuple[int, int]:
    """Page breaks before and after the paragraph's text.

    Word records where it broke pages (lastRenderedPageBreak); a file from elsewhere has only the
    explicit breaks.
    """
    before = after = 0
    seen_text = False
    for element in p.iter():
        tag = element.tag
        if tag == f"{W}t" and (element.text or "").strip():
            seen_text = True
        elif _is_break(element, tag, rendered):
            if seen_text:
                after += 1
            else:
                before += 1
    if p.find(f"{W}pPr/{W}pageBreakBefore") is not None and not rendered:
        before += 1
    return before, after


def _is_break(element, tag: str, rendered: bool) -> bool:
    if rendered:
        return tag == f"{W}lastRenderedPageBreak"
    return tag == f"{W}br" and element.get(f"{W}type") == "page"
