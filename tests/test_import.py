"""`bot.py knowledge import`: realistic PDF and Word versions of the plan back into the curated Markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import pytest
from documents import (
    write_encrypted_pdf,
    write_image_only_pdf,
    write_plan_docx,
    write_plan_pdf,
    write_short_pdf,
)

import bot
from index.importer import Imported, ImportRefused, import_plan
from index.importer.blocks import build_blocks
from index.importer.hyphens import join_lines
from index.importer.layout import Line as LayoutLine
from index.importer.layout import Page as LayoutPage
from index.importer.layout import Word as LayoutWord
from index.importer.layout import page_numbering, reading_order, strip_margins
from index.importer.sniff import OLE as OLE_MAGIC
from index.importer.sniff import file_kind
from index.knowledge import Document, parse_markdown

ROOT = Path(__file__).resolve().parent.parent
CURATED = ROOT / "knowledge" / "handlingsplan.md"
WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


@dataclass(frozen=True)
class Recovery:
    words: float  # share of the curated words found in the import, in order
    headings: float  # share of the curated headings found at the same level
    lists_missing: list[tuple[str, ...]]


def words(document: Document) -> list[str]:
    texts = [document.title]
    for section in document.sections:
        texts.append(section.path[-1])
        texts += [item for block in section.blocks for item in block.items]
    return [w.lower() for text in texts for w in WORD.findall(text)]


def headings(markdown: str) -> list[tuple[int, str]]:
    return [
        (len(m.group(1)), " ".join(m.group(2).split()))
        for m in re.finditer(r"^(#{1,6})\s+(.+?)\s*$", markdown, re.MULTILINE)
    ]


def compare(curated: str, imported: str) -> Recovery:
    expected, got = words(parse_markdown(curated)), words(parse_markdown(imported))
    matcher = SequenceMatcher(None, expected, got, autojunk=False)
    found = sum(block.size for block in matcher.get_matching_blocks())
    wanted = headings(curated)
    have = set(headings(imported))
    imported_lists = {
        b.items for s in parse_markdown(imported).sections for b in s.blocks if b.kind == "list"
    }
    imported_items = {item for items in imported_lists for item in items}
    missing = [
        b.items
        for s in parse_markdown(curated).sections
        for b in s.blocks
        if b.kind == "list" and not set(b.items) <= imported_items
    ]
    return Recovery(found / len(expected), sum(h in have for h in wanted) / len(wanted), missing)


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The plan as a two-column PDF, a one-column PDF and a Word file, plus files that must be refused."""
    folder = tmp_path_factory.mktemp("documents")
    markdown = CURATED.read_text(encoding="utf-8")
    pdf = write_plan_pdf(markdown, folder / "handlingsplan.pdf")
    not_pdf = folder / "anteckningar.pdf"
    not_pdf.write_text("Det här är en textfil med fel filändelse.\n", encoding="utf-8")
    return {
        "pdf": pdf,
        "pdf_one_column": write_plan_pdf(markdown, folder / "en-spalt.pdf", columns=1),
        "docx": write_plan_docx(markdown, folder / "handlingsplan.docx"),
        "docx_no_title": write_plan_docx(markdown, folder / "utan-titelformat.docx", title_style=False),
        "scanned": write_image_only_pdf(folder / "skannad.pdf"),
        "encrypted": write_encrypted_pdf(pdf, folder / "krypterad.pdf"),
        "not_pdf": not_pdf,
        "letter": write_short_pdf(folder / "brev.pdf"),
    }


@pytest.fixture(scope="session")
def imported(documents: dict[str, Path]) -> dict[str, Imported]:
    kinds = ("pdf", "pdf_one_column", "docx", "docx_no_title")
    return {kind: import_plan(documents[kind]) for kind in kinds}


@pytest.mark.parametrize("kind", ["pdf", "pdf_one_column", "docx", "docx_no_title"])
def test_import_recovers_the_curated_plan(imported: dict[str, Imported], kind: str) -> None:
    recovery = compare(CURATED.read_text(encoding="utf-8"), imported[kind].markdown)
    print(f"{kind}: words {recovery.words:.2%}, headings {recovery.headings:.2%}")
    assert recovery.words >= 0.99
    assert recovery.headings >= 0.95
    assert recovery.lists_missing == []


def test_a_word_file_titled_in_heading_1_imports_as_one_with_a_title_style(
    imported: dict[str, Imported],
) -> None:
    """Many Word files have no Title style: the title is their only Heading 1 and the sections Heading 2. The
    levels follow the document, and the title comes once."""
    titled, untitled = imported["docx"].markdown, imported["docx_no_title"].markdown
    headings = [line for line in titled.splitlines() if line.startswith("#")]
    assert [line for line in untitled.splitlines() if line.startswith("#")] == headings
    assert sum(line.startswith("# ") for line in untitled.splitlines()) == 1


def test_word_chapters_in_heading_1_stay_sections(tmp_path: Path) -> None:
    """A file whose Heading 1s are its chapters (several of them) has no title among them."""
    import docx

    document = docx.Document()
    for chapter in ("Förord", "Omvärld"):
        document.add_heading(chapter, level=1)
        document.add_heading(f"Om {chapter.lower()}", level=2)
        document.add_paragraph(f"Text om {chapter.lower()} som är tillräckligt lång för att räknas.")
    path = tmp_path / "kapitel.docx"
    document.save(path)
    from index.importer.word import read_docx

    levels = [(b.level, b.text) for b in read_docx(path).blocks if b.kind == "heading"]
    assert levels == [(2, "Förord"), (3, "Om förord"), (2, "Omvärld"), (3, "Om omvärld")]


def test_pdf_import_joins_broken_words_and_drops_running_footers(imported: dict[str, Imported]) -> None:
    markdown = imported["pdf"].markdown
    assert "\u2010" not in markdown and "\u00ad" not in markdown
    assert "kompetensförsörjning" in markdown
    assert "hälso- och sjukvård" in markdown  # a coordination keeps its hyphen
    assert "| Region Örebro län" not in markdown
    pages = [int(n) for n in re.findall(r"<!-- page (\d+) -->", markdown)]
    assert pages == sorted(pages) and len(pages) >= 10
    assert pages[:2] == [4, 5]  # the printed numbers from the footers (the cover counts as 4)


def test_import_report_counts_what_came_out(imported: dict[str, Imported]) -> None:
    report = imported["pdf"].report
    assert report.pages >= 10
    assert report.headings[1] == 1 and report.headings[2] >= 10 and report.headings[3] >= 40
    assert report.lists >= 10 and report.items >= 58
    assert report.removed_margin_lines >= report.pages and report.printed_page_numbers
    assert report.empty == [] and report.huge == []
    text = "\n".join(report.lines())
    assert "Rubriker:" in text and "Listor:" in text and "Ord som ser avbrutna ut:" in text


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("scanned", "saknar textlager"),
        ("encrypted", "krypterad"),
        ("not_pdf", "varken en PDF eller en Word-fil"),
        ("letter", "ser inte ut som en handlingsplan"),
    ],
)
def test_import_refuses_files_that_are_not_a_readable_plan(
    documents: dict[str, Path], kind: str, reason: str
) -> None:
    with pytest.raises(ImportRefused, match=reason):
        import_plan(documents[kind])


def test_cli_writes_the_markdown_and_prints_the_report(
    documents: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ny" / "handlingsplan.md"
    assert bot.main(["knowledge", "import", str(documents["docx"]), "--out", str(out)]) == 0
    assert parse_markdown(out.read_text(encoding="utf-8")).section("Aktörer > Almi") is not None
    printed = capsys.readouterr().out
    assert "Sidor:" in printed and str(out) in printed


def test_cli_refusal_exits_2_and_writes_nothing(
    documents: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "handlingsplan.md"
    out.write_text("# Gammal plan\n", encoding="utf-8")
    assert bot.main(["knowledge", "import", str(documents["encrypted"]), "--out", str(out)]) == 2
    assert "krypterad" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "# Gammal plan\n"


# --- The pieces, on made-up input ---


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["arbetet med kompetensför\u2010", "sörjning i länet"], "arbetet med kompetensförsörjning i länet"),
        (["kompetensför-", "sörjning"], "kompetensförsörjning"),
        (["inom vård-", "och omsorg"], "inom vård- och omsorg"),
        (["ett gemen-", "samt lärande"], "ett gemensamt lärande"),
        (["HR-", "frågor"], "HR-frågor"),
        (["under 2000-", "talet"], "under 2000-talet"),
        (["strategin 2018-", "2030"], "strategin 2018-2030"),
        (["Förord", "Nästa mening."], "Förord Nästa mening."),
    ],
)
def test_join_lines_puts_broken_words_together(lines: list[str], joined: str) -> None:
    assert join_lines(lines) == joined


def _word(text: str, x0: float, top: float, size: float = 10.0, bold: bool = False) -> LayoutWord:
    return LayoutWord(text, x0, x0 + 6.0 * len(text), top, top + size, size, bold)


def _row(text: str, x0: float, top: float) -> list[LayoutWord]:
    """A heading's words one after the other, a space apart."""
    words = []
    for part in text.split():
        words.append(_word(part, x0, top, size=16, bold=True))
        x0 = words[-1].x1 + 5.0
    return words


def test_two_columns_are_read_left_column_first_and_spanning_headings_in_place() -> None:
    words = _row("En rubrik som går tvärsöver båda spalterna", 50, 40)
    for i in range(6):  # a band of two columns under the heading, then a heading across both, then again
        words += [_word(f"vänster{i}", 50, 70 + 13 * i), _word(f"höger{i}", 310, 70 + 13 * i)]
        words += [_word(f"nedre{i}", 50, 200 + 13 * i), _word(f"sist{i}", 310, 200 + 13 * i)]
    words += _row("Andra rubriken", 50, 170)
    page = LayoutPage(1, 595.0, 842.0, words)
    order = [line.text for line in reading_order(page, 10.0)]
    assert order == (
        ["En rubrik som går tvärsöver båda spalterna"]
        + [f"vänster{i}" for i in range(6)]
        + [f"höger{i}" for i in range(6)]
        + ["Andra rubriken"]
        + [f"nedre{i}" for i in range(6)]
        + [f"sist{i}" for i in range(6)]
    )


def test_headings_get_levels_from_size_and_weight_and_contents_lines_are_dropped() -> None:
    def line(text: str, top: float, size: float = 10.0, bold: bool = False) -> LayoutLine:
        return LayoutLine([_word(text, 50, top, size, bold)], 1, column_left=50.0)

    lines = [
        line("Planen", 40, size=24, bold=True),
        line("Innehåll........ 2", 80),
        line("Förord", 100, size=16, bold=True),
        line("Detaljer", 130, size=10, bold=True),
        line("brödtext som är lång " * 3, 150),
        line("och fortsätter här.", 163),
    ]
    blocks = build_blocks(lines, {1: 5})
    assert [(b.kind, b.level, b.page) for b in blocks] == [
        ("heading", 1, 5),
        ("heading", 2, 5),
        ("heading", 3, 5),
        ("paragraph", 0, 5),
    ]
    assert blocks[-1].text.endswith("lång och fortsätter här.")


def test_running_footers_are_removed_and_give_the_printed_page_numbers() -> None:
    pages = []
    for number in range(1, 6):
        body = [_word(f"text{number}{i}", 50, 60 + 13 * i) for i in range(5)]
        footer = [_word(f"Förord | Region Örebro län {number + 6}", 300, 800, size=8)]
        pages.append(LayoutPage(number, 595.0, 842.0, body + footer))
    kept, printed, removed = strip_margins(pages)
    assert removed == 5 and all("Region" not in w.text for p in kept for w in p.words)
    numbers, used = page_numbering(5, printed)
    assert used and numbers == {1: 7, 2: 8, 3: 9, 4: 10, 5: 11}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (OLE_MAGIC + b"\0" * 64, "äldre Word-fil"),
        (OLE_MAGIC + "EncryptedPackage".encode("utf-16-le"), "krypterad"),
        (b"PK\x03\x04 inte en riktig zip", "varken en PDF eller en Word-fil"),
        (b"", "varken en PDF eller en Word-fil"),
    ],
)
def test_files_are_recognised_by_their_content(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "planen.docx"
    path.write_bytes(content)
    with pytest.raises(ImportRefused, match=reason):
        file_kind(path)
