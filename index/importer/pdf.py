"""Read a PDF's text layer (pdfplumber, MIT) into the plan's blocks."""

from __future__ import annotations

from pathlib import Path

from index.importer.blocks import body_style, build_blocks
from index.importer.layout import Line, Page, Word, page_numbering, reading_order, rows, strip_margins
from index.importer.model import Extracted, ImportRefused, encrypted

BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demi")
# Typeset ligatures come out as one character ("ﬁ"); the plan's words have the letters.
LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
MIN_CHARS_PER_PAGE = 40  # fewer letters than this on average: a scan without a text layer


def read_pdf(path: Path) -> Extracted:
    pages, title, pictures = _load_pages(path)
    letters = sum(len(w.text) for page in pages for w in page.words)
    if not letters or (pictures and letters < MIN_CHARS_PER_PAGE * len(pages)):
        raise ImportRefused(
            f"{path.name} saknar textlager (en skannad PDF?). Gör om den till text med OCR, "
            "eller använd originalfilen som planen exporterades från."
        )
    pages, printed, removed = strip_margins(pages)
    numbers, printed_used = page_numbering(len(pages), printed)
    all_lines = [line for page in pages for line in _lines(page)]
    body = body_style(all_lines)
    lines: list[Line] = [line for page in pages for line in reading_order(page, body[0])]
    return Extracted(
        blocks=build_blocks(lines, numbers),
        pages=len(pages),
        title=title,
        removed_margin_lines=removed,
        printed_page_numbers=printed_used,
    )


def _lines(page: Page) -> list[Line]:
    return [Line(row, page.number) for row in rows(page.words)]


def _load_pages(path: Path) -> tuple[list[Page], str, bool]:
    """The pages' words, the document's title from its metadata, and whether any page has pictures."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        with pdfplumber.open(path) as pdf:
            title = str(pdf.metadata.get("Title") or "")
            pages = [_page(i + 1, page) for i, page in enumerate(pdf.pages)]
            return pages, title, any(page.images for page in pdf.pages)
    except PdfminerException as error:
        cause = error.args[0] if error.args else error
        if isinstance(cause, PDFPasswordIncorrect):
            raise encrypted(path.name) from error
        raise ImportRefused(f"{path.name} går inte att läsa som PDF ({cause}).") from error


def _page(number: int, page) -> Page:  # page: a pdfplumber Page
    words = [
        Word(
            text=w["text"].translate(LIGATURES),
            x0=w["x0"],
            x1=w["x1"],
            top=w["top"],
            bottom=w["bottom"],
            size=w["size"],
            bold=any(name in w["fontname"].lower() for name in BOLD_NAMES),
        )
        for w in page.extract_words(extra_attrs=["size", "fontname"], x_tolerance=1.5)
        if w["text"].strip()
    ]
    return Page(number, float(page.width), float(page.height), words)
