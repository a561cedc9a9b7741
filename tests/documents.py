"""Realistic test documents made from the curated plan: a two-column A4 PDF and a Word file.

The PDF is laid out like the printed plan: a title page, two columns with section headings across both,
running footers ("Förord | Region Örebro län 7") whose numbers are not the physical pages (the cover counts
as page 4, unnumbered), a running header and automatic Swedish hyphenation (WeasyPrint). The DOCX has real
heading styles (Title, Heading 1-3), list styles, the source's page breaks and a footer. Both are generated
in the test set-up and never committed.
"""

from __future__ import annotations

import html
from pathlib import Path

from index.knowledge import HEADING, LIST_ITEM, PAGE_MARKER

CSS = """
@page { size: A4; margin: 22mm 18mm 24mm 18mm;
  @top-right { content: "Regional handlingsplan för kompetensförsörjning"; font: 8pt 'Liberation Sans'; }
  @bottom-right { content: string(section) " | Region Örebro län  " counter(page);
                  font: 8pt 'Liberation Sans'; } }
@page :first { counter-reset: page 4; @top-right { content: none; } @bottom-right { content: none; } }
body { font: 10pt/1.35 'Liberation Serif'; columns: 2; column-gap: 9mm; }
p, li { hyphens: auto; text-align: justify; margin: 0 0 6pt 0; }
h1 { font: bold 26pt 'Liberation Sans'; column-span: all; break-after: page; margin-top: 60mm; }
h2 { font: bold 17pt 'Liberation Sans'; column-span: all; string-set: section content();
     margin: 18pt 0 8pt 0; }
h3 { font: bold 12.5pt 'Liberation Sans'; margin: 10pt 0 4pt 0; }
h4 { font: bold 10.5pt 'Liberation Sans'; margin: 8pt 0 3pt 0; }
h2, h3, h4 { break-after: avoid; }
ul, ol { margin: 0 0 6pt 0; padding-left: 14pt; }
"""


def markdown_blocks(markdown: str) -> list[tuple[str, int, str]]:
    """The curated Markdown as (kind, level, text): "heading", "paragraph", "bullet", "number", "page"."""
    blocks = []
    for raw in markdown.splitlines():
        line = raw.strip()
        if not line:
            continue
        if marker := PAGE_MARKER.match(line):
            blocks.append(("page", 0, marker.group(1)))
        elif heading := HEADING.match(line):
            blocks.append(("heading", len(heading.group(1)), heading.group(2)))
        elif item := LIST_ITEM.match(line):
            blocks.append(("number" if line[0].isdigit() else "bullet", 0, item.group(1)))
        else:
            blocks.append(("paragraph", 0, line))
    return blocks


def plan_html(markdown: str, columns: int = 2) -> str:
    css = CSS.replace("columns: 2;", f"columns: {columns};")
    parts = ['<html lang="sv"><head><meta charset="utf-8"><style>', css, "</style></head><body>"]
    open_list = ""
    for kind, level, text in markdown_blocks(markdown):
        tag = {"bullet": "ul", "number": "ol"}.get(kind, "")
        if open_list and tag != open_list and kind != "page":
            parts.append(f"</{open_list}>")
            open_list = ""
        if tag and not open_list:
            parts.append(f"<{tag}>")
            open_list = tag
        body = html.escape(text)
        if kind == "heading":
            parts.append(f"<h{level}>{body}</h{level}>")
        elif tag:
            parts.append(f"<li>{body}</li>")
        elif kind == "paragraph":
            parts.append(f"<p>{body}</p>")
    parts.append(f"</{open_list}>" if open_list else "")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_plan_pdf(markdown: str, path: Path, columns: int = 2) -> Path:
    import weasyprint  # test-only dependency (the dev extra)

    weasyprint.HTML(string=plan_html(markdown, columns)).write_pdf(path)
    return path


def write_plan_docx(markdown: str, path: Path, title_style: bool = True) -> Path:
    """The plan as a Word file: its title in the Title style and its sections Heading 1, 2 …, or (without
    `title_style`, as many files are) the title in Heading 1 and the sections from Heading 2."""
    import docx

    document = docx.Document()
    document.sections[0].footer.paragraphs[0].text = "Region Örebro län"
    seen_text = False
    for kind, level, text in markdown_blocks(markdown):
        if kind == "page":
            if seen_text:  # the source's page breaks, so the import can number pages
                document.add_page_break()
        elif kind == "heading":
            document.add_heading(text, level=level - 1 if title_style else level)  # level 0: Title
        elif kind in ("bullet", "number"):
            document.add_paragraph(text, style="List Bullet" if kind == "bullet" else "List Number")
        else:
            document.add_paragraph(text)
        seen_text = seen_text or kind != "page"
    document.save(path)
    return path


def write_image_only_pdf(path: Path) -> Path:
    """A "scanned" page: the plan's first lines as a picture, with no text layer."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(image)
    for row in range(40):
        draw.text((100, 100 + row * 36), "Regional handlingsplan för kompetensförsörjning", fill="black")
    image.save(path, "PDF", resolution=150.0)
    return path


def write_encrypted_pdf(source: Path, path: Path, password: str = "hemligt") -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(password, algorithm="AES-128")
    with path.open("wb") as out:
        writer.write(out)
    return path


def write_short_pdf(path: Path) -> Path:
    """A real PDF with text that is not a plan: one short letter."""
    import weasyprint

    letter = "<html lang='sv'><body><p>Hej! Tack för senast. Vi ses på mötet i morgon.</p></body></html>"
    weasyprint.HTML(string=letter).write_pdf(path)
    return path
