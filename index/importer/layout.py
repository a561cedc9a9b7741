"""Page geometry: words into lines, running headers and footers removed, two columns read in order.

Works on plain dataclasses, not on a PDF library's objects, so it can be tested with made-up pages.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

ROW_TOLERANCE = 2.0  # points: words whose tops differ less are on one row
MARGIN_SHARE = 0.3  # a margin row must recur at the same height on at least this share of pages
PAGE_NUMBER = re.compile(r"(?:^(\d{1,4})\b|\b(\d{1,4})$)")


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass
class Line:
    words: list[Word]
    page: int  # physical page, from 1
    column_left: float = 0.0  # left edge of the column the line is in (for list indentation)
    new_column: bool = False  # first line of a column, band or page: a paragraph may go on across it

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def style(self) -> tuple[float, bool]:
        """The (size, bold) that most of the line's letters have."""
        weights: Counter[tuple[float, bool]] = Counter()
        for w in self.words:
            weights[(round(w.size * 2) / 2, w.bold)] += len(w.text)
        return weights.most_common(1)[0][0]


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[Word]


def rows(words: list[Word]) -> list[list[Word]]:
    """Words grouped by height on the page, each row left to right, rows top to bottom."""
    result: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        if result and abs(result[-1][0].top - word.top) <= ROW_TOLERANCE:
            result[-1].append(word)
        else:
            result.append([word])
    return [sorted(row, key=lambda w: w.x0) for row in result]


def strip_margins(pages: list[Page]) -> tuple[list[Page], dict[int, int], int]:
    """Remove running headers, footers and page numbers.

    A margin row is the first or last row of a page, set apart from the text by at least its own height,
    that recurs at the same height on many pages and either repeats its text (digits aside) or carries a
    number. Returns the pages without them, the printed
    page number found in each page's margin rows, and how many rows were removed.
    """
    candidates = []
    for page in pages:
        page_rows = rows(page.words)
        if len(page_rows) > 1:
            if _apart(page_rows[0], page_rows[1]):
                candidates.append((page.number, "top", page_rows[0]))
            if _apart(page_rows[-2], page_rows[-1]):
                candidates.append((page.number, "bottom", page_rows[-1]))
    heights = Counter((edge, round(row[0].top)) for _, edge, row in candidates)
    texts = Counter(_shape(row) for _, _, row in candidates)
    enough = max(2, MARGIN_SHARE * len(pages))
    removed: dict[int, list[list[Word]]] = {}
    for number, edge, row in candidates:
        recurring = sum(heights[(edge, round(row[0].top) + d)] for d in (-1, 0, 1)) >= enough
        marked = texts[_shape(row)] >= 2 or PAGE_NUMBER.search(_text(row))
        if recurring and marked:
            removed.setdefault(number, []).append(row)
    printed = {n: _printed_number(found) for n, found in removed.items()}
    kept = []
    for page in pages:
        gone = {id(w) for row in removed.get(page.number, []) for w in row}
        kept.append(Page(page.number, page.width, page.height, [w for w in page.words if id(w) not in gone]))
    numbers = {n: p for n, p in printed.items() if p is not None}
    return kept, numbers, sum(len(found) for found in removed.values())


def _apart(upper: list[Word], lower: list[Word]) -> bool:
    gap = min(w.top for w in lower) - max(w.bottom for w in upper)
    return gap >= max(w.size for w in upper + lower)


def _text(row: list[Word]) -> str:
    return " ".join(w.text for w in row)


def _shape(row: list[Word]) -> str:
    return re.sub(r"\d+", "#", _text(row))


def _printed_number(found: list[list[Word]]) -> int | None:
    for row in reversed(found):  # footers first: they carry the number more often
        match = PAGE_NUMBER.search(_text(row))
        if match:
            return int(match.group(1) or match.group(2))
    return None


def page_numbering(physical: int, printed: dict[int, int]) -> tuple[dict[int, int], bool]:
    """Page numbers for citations: the printed ones when most follow the physical order, else physical.

    Also says whether the printed numbers were used.
    """
    offsets = Counter(number - page for page, number in printed.items())
    offset, count = offsets.most_common(1)[0] if offsets else (0, 0)
    used = count >= max(2, len(printed) // 2)
    return {page: page + (offset if used else 0) for page in range(1, physical + 1)}, used


@dataclass(frozen=True)
class Gutter:
    x: float  # the middle of the gap between the columns
    width: float

    def crossed_by(self, row: list[Word]) -> bool:
        """Whether a row runs across both columns: a word over the gap, or words closer than the gap."""
        if any(w.x0 < self.x < w.x1 for w in row):
            return True
        pairs = zip(row, row[1:], strict=False)
        return any(a.x1 <= self.x <= b.x0 and b.x0 - a.x1 < self.width / 2 for a, b in pairs)


def gutter(page: Page, page_rows: list[list[Word]]) -> Gutter | None:
    """The x just right of the left column, or None for a one-column page.

    The right column's lines start at the same x in the middle of the page; the left column's lines end
    at nearly the same x before it. Few rows cross that x (headings across both columns), while on a
    one-column page nearly every row does.
    """
    if len(page_rows) < 4:
        return None
    starts = Counter(round(w.x0) for row in page_rows for w in row if 0.35 < w.x0 / page.width < 0.7)
    often = [x for x, n in starts.items() if n >= max(3, 0.15 * len(page_rows))]
    if not often:
        return None
    right = min(often) - 3
    ends = sorted(
        max(w.x1 for w in left) for left in ([w for w in row if w.x1 < right] for row in page_rows) if left
    )
    if not ends:
        return None
    end = ends[int(0.9 * (len(ends) - 1))]  # most lines of the left column end here or before
    found = Gutter((end + right) / 2, right - end)
    crossing = sum(1 for row in page_rows if found.crossed_by(row))
    return found if crossing <= 0.25 * len(page_rows) else None


def reading_order(page: Page, body_size: float) -> list[Line]:
    """The page's lines in reading order: bands from top to bottom, each band's left column first.

    A band ends at a row across both columns (a spanning heading, with its wrapped lines) or at a gap
    across the whole width that is taller than a paragraph gap.
    """
    page_rows = rows(page.words)
    found = gutter(page, page_rows)
    if found is None:
        return _mark_columns([[Line(row, page.number) for row in page_rows]], page)
    columns: list[list[Line]] = []
    x = found.x
    for spanning, band in _bands(page_rows, found, body_size):
        if spanning:
            columns.append([Line(row, page.number) for row in band])
            continue
        for side in (lambda w: w.x1 <= x, lambda w: w.x1 > x):
            parts = ([w for w in row if side(w)] for row in band)
            lines = [Line(words, page.number) for words in parts if words]
            if lines:
                columns.append(lines)
    return _mark_columns(columns, page)


Band = tuple[bool, list[list[Word]]]  # (across both columns, rows)


def _bands(page_rows: list[list[Word]], found: Gutter, body_size: float) -> list[Band]:
    bands: list[Band] = []
    lowest: float | None = None
    for row in page_rows:
        top, bottom = min(w.top for w in row), max(w.bottom for w in row)
        crossing = found.crossed_by(row)
        if bands and bands[-1][0] and _wraps(bands[-1][1][-1], row):
            bands[-1][1].append(row)  # the next line of a heading across both columns
        elif crossing or not bands or bands[-1][0] or top - (lowest or top) > 1.3 * body_size:
            bands.append((crossing, [row]))
        else:
            bands[-1][1].append(row)
        lowest = bottom if lowest is None else max(lowest, bottom)
    return bands


def _wraps(previous: list[Word], row: list[Word]) -> bool:
    size = previous[0].size
    same_style = (row[0].size, row[0].bold) == (size, previous[0].bold)
    return same_style and min(w.top for w in row) - max(w.bottom for w in previous) < 0.6 * size


def _mark_columns(columns: list[list[Line]], page: Page) -> list[Line]:
    """Flatten the columns, noting where each starts and the left edge of its side of the page."""
    middle = page.width / 2
    lines = [line for column in columns for line in column]
    edges = {
        side: min((line.x0 for line in lines if (line.x0 < middle) == side), default=0.0)
        for side in (True, False)
    }
    result = []
    for column in columns:
        for i, line in enumerate(column):
            line.column_left = edges[line.x0 < middle]
            line.new_column = i == 0
            result.append(line)
    return result
