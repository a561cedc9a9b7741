"""Lines in reading order into headings, paragraphs and list items, with heading levels from the fonts."""

from __future__ import annotations

import re
from collections import Counter

from index.importer.layout import Line
from index.importer.model import Block

BULLET = re.compile(r"^(?:(?P<glyph>[•▪◦●■])|[–\-*]|(?P<number>\d{1,2}[.)]))\s+")
SENTENCE_END = re.compile(r"[.:!?)\]”\"]$")
# A table-of-contents line: "Förord ........ 7". The bot cites sections itself; the contents are noise.
CONTENTS_LINE = re.compile(r"(?:\.\s?){4,}\s*\d{1,3}$")
INDENT = 3.0  # points beyond the column edge that make a line a list item's continuation

Style = tuple[float, bool]


def body_style(lines: list[Line]) -> Style:
    weights: Counter[Style] = Counter()
    for line in lines:
        weights[line.style] += len(line.text)
    return weights.most_common(1)[0][0]


def is_heading_style(style: Style, body: Style) -> bool:
    size, bold = style
    return size > body[0] + 0.5 or (bold and not body[1] and size >= body[0] - 0.5)


def build_blocks(lines: list[Line], pages: dict[int, int]) -> list[Block]:
    """Group lines into blocks; `pages` maps physical pages to the numbers cited."""
    body = body_style(lines)
    blocks: list[Block] = []
    styles: list[Style | None] = []  # each block's heading style, None for text
    previous: Line | None = None
    for line in (line for line in lines if not CONTENTS_LINE.search(line.text)):
        style = line.style
        bullet = _bullet(line, blocks[-1] if blocks else None, previous, body[0])
        heading = is_heading_style(style, body) and not bullet
        last = blocks[-1] if blocks else None
        if heading and last and styles[-1] == style and _same_block(previous, line, style[0]):
            last.lines.append(line.text)
        elif heading:
            blocks.append(Block("heading", [line.text], pages.get(line.page)))
            styles.append(style)
        elif bullet:
            numbered = bool(bullet.group("number"))
            blocks.append(Block("item", [line.text[bullet.end() :]], pages.get(line.page), numbered=numbered))
            styles.append(None)
        elif last and styles[-1] is None and _continues(last, previous, line, body[0]):
            last.lines.append(line.text)
        else:
            blocks.append(Block("paragraph", [line.text], pages.get(line.page)))
            styles.append(None)
        previous = line
    _assign_levels(blocks, styles)
    return blocks


def _bullet(line: Line, last: Block | None, previous: Line | None, size: float) -> re.Match[str] | None:
    """A list item's marker. A dash or number starting a line in the middle of a sentence is text."""
    match = BULLET.match(line.text)
    if not match or match.group("glyph") or last is None or last.kind != "paragraph" or previous is None:
        return match
    ended = SENTENCE_END.search(last.lines[-1])
    apart = line.new_column or line.top - previous.bottom >= _paragraph_gap(size)
    return match if ended or apart else None


def _same_block(previous: Line | None, line: Line, size: float) -> bool:
    return previous is not None and not line.new_column and line.top - previous.bottom < 0.6 * size


def _continues(block: Block, previous: Line | None, line: Line, size: float) -> bool:
    """Whether a text line goes on with the block before it (a wrapped line, or across a column)."""
    if previous is None:
        return False
    indented = line.x0 > line.column_left + INDENT
    if block.kind == "item" and not indented:
        return False
    if line.new_column:
        open_end = not SENTENCE_END.search(block.lines[-1])
        return block.kind == "item" or (open_end and line.text[:1].islower())
    return line.top - previous.bottom < _paragraph_gap(size)


def _paragraph_gap(size: float) -> float:
    # Lines of a paragraph are about a third of the font size apart; paragraphs are further.
    return 0.6 * size


def _assign_levels(blocks: list[Block], styles: list[Style | None]) -> None:
    """Rank heading styles by size, then weight. The biggest is the title when it is used only once."""
    used = Counter(style for style in styles if style is not None)
    ranked = sorted(used, key=lambda s: (-s[0], not s[1]))
    first = 1 if ranked and used[ranked[0]] == 1 else 2
    levels = {style: min(6, first + i) for i, style in enumerate(ranked)}
    for block, style in zip(blocks, styles, strict=True):
        if style is not None:
            block.level = levels[style]
