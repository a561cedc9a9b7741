"""`bot.py knowledge import`: a revised plan (PDF or Word) into the curated Markdown the bot reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index.importer.markdown import to_markdown
from index.importer.model import ImportRefused
from index.importer.report import Report, make_report, refuse_reason
from index.importer.sniff import file_kind

__all__ = ["ImportRefused", "Imported", "import_plan"]


@dataclass
class Imported:
    markdown: str
    report: Report


def import_plan(path: Path) -> Imported:
    """Read the plan; ImportRefused (a Swedish message) when the file cannot be, or is not, a plan."""
    kind = file_kind(path)
    if kind == "pdf":
        from index.importer.pdf import read_pdf

        extracted = read_pdf(path)
    else:
        from index.importer.word import read_docx

        extracted = read_docx(path)
    markdown = to_markdown(extracted.blocks, extracted.title or path.stem)
    report = make_report(
        markdown, extracted.pages, extracted.removed_margin_lines, extracted.printed_page_numbers
    )
    reason = refuse_reason(report)
    if reason:
        raise ImportRefused(f"{path.name} ser inte ut som en handlingsplan: {reason}.")
    return Imported(markdown, report)
