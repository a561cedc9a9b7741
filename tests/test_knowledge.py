"""index.knowledge: the curated Markdown parsed into sections, blocks and pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.knowledge import Block, load_document, parse_markdown

CURATED_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "handlingsplan.md"

DOC = """\
# Planens titel

<!-- page 3 -->

## Kapitel ett

Första stycket
fortsätter på nästa rad.

### Avsnitt A

Text i A.

<!-- page 4 -->

#### Delavsnitt A1

Text i A1 som börjar på sidan 4.

### Avsnitt B

Ett stycke som leder in i en lista:
- första punkten
- andra punkten
* tredje punkten

1. ett
2) två

Efter listan.

## Kapitel två

<!-- page 5 -->

Text på sidan 5.
"""


@pytest.fixture(scope="module")
def doc():
    return parse_markdown(DOC)


def test_title_is_read_and_not_a_section(doc):
    assert doc.title == "Planens titel"
    assert all("Planens titel" not in s.path for s in doc.sections)


def test_heading_paths_at_levels_two_to_four(doc):
    assert [s.path for s in doc.sections] == [
        ("Kapitel ett",),
        ("Kapitel ett", "Avsnitt A"),
        ("Kapitel ett", "Avsnitt A", "Delavsnitt A1"),
        ("Kapitel ett", "Avsnitt B"),
        ("Kapitel två",),
    ]
    assert doc.sections[2].name == "Kapitel ett > Avsnitt A > Delavsnitt A1"


def test_section_and_block_pages_follow_markers(doc):
    pages = {s.name: s.page for s in doc.sections}
    assert pages["Kapitel ett"] == 3
    assert pages["Kapitel ett > Avsnitt A"] == 3
    assert pages["Kapitel ett > Avsnitt A > Delavsnitt A1"] == 4
    assert pages["Kapitel ett > Avsnitt B"] == 4
    # The marker comes after the heading of "Kapitel två": the section starts on page 4, its text on 5.
    kapitel_tva = doc.section("Kapitel två")
    assert kapitel_tva.page == 4
    assert kapitel_tva.blocks == [Block("paragraph", ("Text på sidan 5.",), 5)]


def test_multi_line_paragraph_is_joined(doc):
    assert doc.section("Kapitel ett").blocks == [
        Block("paragraph", ("Första stycket fortsätter på nästa rad.",), 3)
    ]


def test_list_right_after_paragraph_is_its_own_block(doc):
    blocks = doc.section("Kapitel ett > Avsnitt B").blocks
    assert blocks[0] == Block("paragraph", ("Ett stycke som leder in i en lista:",), 4)
    assert blocks[1] == Block("list", ("första punkten", "andra punkten", "tredje punkten"), 4)


def test_numbered_items_and_paragraph_after_list(doc):
    blocks = doc.section("Kapitel ett > Avsnitt B").blocks
    assert blocks[2] == Block("list", ("ett", "två"), 4)
    assert blocks[3] == Block("paragraph", ("Efter listan.",), 4)
    assert len(blocks) == 4


def test_block_text():
    assert Block("list", ("a", "b"), 1).text == "- a\n- b"
    assert Block("paragraph", ("Ett stycke.",), 1).text == "Ett stycke."


def test_paragraph_line_after_list_item_ends_the_list():
    doc = parse_markdown("# T\n\n## S\n\n- punkt\nEtt stycke direkt efter.\n")
    assert doc.sections[0].blocks == [
        Block("list", ("punkt",), None),
        Block("paragraph", ("Ett stycke direkt efter.",), None),
    ]


def test_text_before_first_heading_is_ignored():
    doc = parse_markdown("# T\n\nIngress utan avsnitt.\n\n## S\n\nText.\n")
    assert [s.name for s in doc.sections] == ["S"]
    assert [b.text for b in doc.sections[0].blocks] == ["Text."]


def test_no_page_markers_means_no_pages():
    doc = parse_markdown("# T\n## S\nText.\n")
    assert doc.sections[0].page is None
    assert doc.sections[0].blocks[0].page is None


def test_children_and_section_lookup(doc):
    kapitel_ett = doc.section("Kapitel ett")
    assert [s.name for s in doc.children(kapitel_ett)] == [
        "Kapitel ett > Avsnitt A",
        "Kapitel ett > Avsnitt B",
    ]
    assert doc.section("Finns inte") is None


# --- the real curated plan -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan():
    return load_document(CURATED_PATH)


def test_real_title(plan):
    assert plan.title == "Regional handlingsplan för kompetensförsörjning"


def test_real_almi_section(plan):
    almi = plan.section("Aktörer > Almi")
    assert almi is not None
    assert almi.page is not None
    assert any("ägs av staten" in b.text for b in almi.blocks)
    assert all(b.page == almi.page for b in almi.blocks)


def test_real_actors_have_19_children(plan):
    actors = plan.children(plan.section("Aktörer"))
    assert len(actors) == 19
    assert actors[0].name == "Aktörer > Almi"
    assert all(a.page is not None for a in actors)


def test_real_contact_has_phone_number(plan):
    contact = plan.section("Kontakt")
    assert contact is not None
    assert any("019-602 70 00" in b.text for b in contact.blocks)
    assert any(b.kind == "list" for b in contact.blocks)


def test_real_every_section_has_a_page_within_the_plan(plan):
    pages = [s.page for s in plan.sections]
    assert None not in pages
    assert min(pages) >= 5 and max(pages) == 30
