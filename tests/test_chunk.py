"""index.chunk: section-aware chunks with heading paths and pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.chunk import MAX_LIST_CHARS, TARGET_CHARS, Chunk, chunk_document
from index.knowledge import load_document, parse_markdown
from index.text import split_sentences

CURATED_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "handlingsplan.md"


def sentence(i: int, words: int = 12) -> str:
    return "Mening nummer " + str(i) + " " + " ".join(["kompetens"] * words) + "."


def make_doc(body: str):
    return parse_markdown("# Titel\n\n" + body)


def test_chunk_never_crosses_a_section():
    doc = make_doc("## Ett\n\nKort text ett.\n\n## Två\n\nKort text två.\n\n### Tre\n\nKort text tre.\n")
    chunks = chunk_document(doc)
    assert [(c.section, c.text) for c in chunks] == [
        ("Ett", "Kort text ett."),
        ("Två", "Kort text två."),
        ("Två > Tre", "Kort text tre."),
    ]


def test_short_paragraphs_of_a_section_share_a_chunk():
    doc = make_doc("## Ett\n\nFörsta stycket.\n\nAndra stycket.\n")
    chunks = chunk_document(doc)
    assert len(chunks) == 1
    assert chunks[0].text == "Första stycket.\nAndra stycket."
    assert not chunks[0].is_list


def test_paragraphs_beyond_target_go_to_next_chunk():
    first = "A" * 400 + "."
    second = "B" * 400 + "."
    chunks = chunk_document(make_doc(f"## Ett\n\n{first}\n\n{second}\n"))
    assert [c.text for c in chunks] == [first, second]


def test_list_stays_whole_with_its_lead_in_paragraph():
    lead_in = "Följande insatsområden är prioriterade och beskrivs i detalj nedan i denna lista:"
    items = [f"Insatsområde {i} med en lång beskrivning av vad som ska göras och av vem" for i in range(10)]
    assert len("\n".join(f"- {i}" for i in items)) > TARGET_CHARS  # longer than a paragraph chunk
    body = "## Insatser\n\n" + lead_in + "\n\n" + "\n".join(f"- {i}" for i in items) + "\n"
    chunks = chunk_document(make_doc(body))
    assert len(chunks) == 1
    chunk = chunks[0]
    assert chunk.is_list
    assert chunk.text.startswith(lead_in + "\n- Insatsområde 0")
    assert all(f"- {item}" in chunk.text for item in items)


def test_paragraph_after_a_long_list_starts_a_new_chunk():
    items = ["punkt " + "x" * 90 for _ in range(8)]
    body = "## S\n\n" + "\n".join(f"- {i}" for i in items) + "\n\nEtt stycke efter listan.\n"
    chunks = chunk_document(make_doc(body))
    assert len(chunks) == 2
    assert chunks[0].is_list and chunks[0].text.count("\n- ") == 7
    assert chunks[1].text == "Ett stycke efter listan." and not chunks[1].is_list


def test_list_longer_than_max_is_kept_whole_in_its_own_chunk():
    items = ["punkt " + "y" * 300 for _ in range(7)]
    body = "## S\n\nInledning.\n\n" + "\n".join(f"- {i}" for i in items) + "\n"
    chunks = chunk_document(make_doc(body))
    assert len(chunks) == 2
    assert chunks[0].text == "Inledning."
    assert chunks[1].text == "\n".join(f"- {i}" for i in items)


def test_long_paragraph_is_split_between_sentences_below_target():
    sentences = [sentence(i) for i in range(20)]
    paragraph = " ".join(sentences)
    assert len(paragraph) > 2 * TARGET_CHARS
    chunks = chunk_document(make_doc(f"## Lång\n\n{paragraph}\n"))
    assert len(chunks) >= 3
    assert all(len(c.text) <= TARGET_CHARS for c in chunks)
    # Every chunk is whole sentences, and together they are the paragraph in order.
    assert [s for c in chunks for s in split_sentences(c.text)] == sentences
    assert " ".join(c.text for c in chunks) == paragraph


def test_custom_target():
    paragraph = " ".join(sentence(i, words=2) for i in range(6))
    chunks = chunk_document(make_doc(f"## S\n\n{paragraph}\n"), target_chars=80)
    assert len(chunks) > 1
    assert all(len(c.text) <= 80 for c in chunks)


def test_ids_are_unique_even_for_equal_headings():
    body = "## A\n\n### Insatsområden\n\nText.\n\n## B\n\n### Insatsområden\n\nText.\n\n" + (
        "## Lång\n\n" + " ".join(sentence(i) for i in range(20)) + "\n"
    )
    chunks = chunk_document(make_doc(body))
    ids = [c.id for c in chunks]
    assert len(ids) == len(set(ids))
    assert ids[0].startswith("insatsområden-") and ids[1].startswith("insatsområden-")


def test_chunk_page_is_the_page_of_its_first_block():
    body = "<!-- page 7 -->\n\n## S\n\nPå sidan sju.\n\n<!-- page 8 -->\n\nPå sidan åtta.\n"
    chunks = chunk_document(make_doc(body))
    assert len(chunks) == 1
    assert chunks[0].page == 7


def test_search_text_starts_with_heading_path():
    chunks = chunk_document(make_doc("## Aktörer\n\n### Almi\n\nAlmi erbjuder lån.\n"))
    chunk = chunks[0]
    assert chunk.section == "Aktörer > Almi"
    assert chunk.heading == "Almi"
    assert chunk.search_text == "Aktörer – Almi\nAlmi erbjuder lån."


def test_empty_document_gives_no_chunks():
    assert chunk_document(make_doc("## Tomt\n\n")) == []


# --- the real plan -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_and_chunks():
    plan = load_document(CURATED_PATH)
    return plan, chunk_document(plan)


def test_real_every_chunk_has_a_page(plan_and_chunks):
    _, chunks = plan_and_chunks
    assert chunks
    assert all(c.page is not None for c in chunks)


def test_real_no_chunk_longer_than_max_list_chars(plan_and_chunks):
    _, chunks = plan_and_chunks
    assert max(len(c.text) for c in chunks) <= MAX_LIST_CHARS


def test_real_ids_unique_and_sections_known(plan_and_chunks):
    plan, chunks = plan_and_chunks
    assert len({c.id for c in chunks}) == len(chunks)
    names = {s.name for s in plan.sections}
    assert all(c.section in names for c in chunks)


def test_real_all_text_is_chunked(plan_and_chunks):
    plan, chunks = plan_and_chunks
    by_section: dict[str, str] = {}
    for c in chunks:
        by_section[c.section] = by_section.get(c.section, "") + "\n" + c.text
    for section in plan.sections:
        for block in section.blocks:
            for piece in split_sentences(block.text) if block.kind == "paragraph" else [block.text]:
                assert piece in by_section[section.name]


LIST_SECTIONS = [
    "Sammanfattning",
    "Sammanfattning > Möt arbetskraftsefterfrågan i bristyrken och regionala styrkeområden - insatsområden",
    "Sammanfattning > Förbättra arbetsgivarnas strategiska kompetensförsörjningsarbete – insatsområden",
    "Möt arbetskraftsefterfrågan i bristyrken och regionala styrkeområden > Insatsområden",
    "Förbättra arbetsgivarnas strategiska arbete > Insatsområden",
]


@pytest.mark.parametrize("name", LIST_SECTIONS)
def test_real_insatsomraden_and_summary_lists_are_each_in_one_chunk(plan_and_chunks, name):
    plan, chunks = plan_and_chunks
    section = plan.section(name)
    assert section is not None
    lists = [b for b in section.blocks if b.kind == "list"]
    assert lists
    for block in lists:
        holding = [c for c in chunks if c.section == name and block.text in c.text]
        assert len(holding) == 1, f"{name}: list split over chunks"
        assert holding[0].is_list


def test_real_insatsomraden_list_keeps_its_lead_in(plan_and_chunks):
    _, chunks = plan_and_chunks
    chunk = next(
        c for c in chunks if c.section == "Förbättra arbetsgivarnas strategiska arbete > Insatsområden"
    )
    assert chunk.text.startswith("Arbetsgivare, branschorganisationer")
    assert "- Validering som del i rekrytering och kompetensutveckling." in chunk.text


def test_chunk_is_frozen():
    chunk = Chunk("a-000", "A", 1, "text")
    with pytest.raises(AttributeError):
        chunk.text = "other"  # type: ignore[misc]
