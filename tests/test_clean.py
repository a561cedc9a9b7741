"""index.clean: the rules that turn the PDF's raw text into paragraphs with page numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.clean import clean_page, content_words, dehyphenate, draft_markdown, split_pages

RAW_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "source"


# --- dehyphenate ---------------------------------------------------------------------------------------


def test_word_broken_at_line_end_is_joined():
    assert (
        dehyphenate("Arbetet med kompetensför-\nsörjning i länet")
        == "Arbetet med kompetensförsörjning i länet"
    )


def test_broken_word_with_space_after_hyphen_is_joined():
    assert dehyphenate("kompetensför- \nsörjning") == "kompetensförsörjning"


def test_coordination_keeps_hyphen_and_space():
    assert dehyphenate("inom vård-\noch omsorg") == "inom vård- och omsorg"


@pytest.mark.parametrize("word", ["eller", "samt", "respektive", "till"])
def test_other_coordinations_keep_hyphen(word):
    assert dehyphenate(f"bransch-\n{word} programråd") == f"bransch- {word} programråd"


def test_coordination_word_must_be_whole_word():
    # "ochså" is not the coordination "och": the word is joined.
    assert dehyphenate("samver-\nkansformer") == "samverkansformer"
    assert dehyphenate("ut-\nochsåvidare") == "utochsåvidare"


def test_upper_case_before_hyphen_keeps_hyphen():
    result = dehyphenate("HR-\navdelning")
    assert "HR-" in result
    assert "HRavdelning" not in result


def test_upper_case_continuation_is_not_joined():
    assert dehyphenate("bygg-\nOch sedan") == "bygg-\nOch sedan"


def test_number_range_keeps_hyphen_and_drops_break():
    assert dehyphenate("strategin 2018-\n2030 visar") == "strategin 2018-2030 visar"


def test_break_across_blank_line_with_lower_case_continuation_is_joined():
    assert dehyphenate("arbetsgivar-\n\n   nas behov") == "arbetsgivarnas behov"
    assert dehyphenate("arbetsgivar-\n \n\nnas behov") == "arbetsgivarnas behov"


def test_text_without_breaks_is_unchanged():
    text = "Region Örebro län och HR-avdelningen, 2018-2030.\n\nNy rad."
    assert dehyphenate(text) == text


# --- split_pages ---------------------------------------------------------------------------------------

RAW_WITH_FOOTER = "\n".join(
    [
        " Första sidan börjar här",
        "och fortsätter på nästa rad",
        "",
        " Andra sidan har rubrik",
        "med text",
        "Avgränsning och metod | Region Örebro län  11",
        "",
        " m",
        "",
        " Tredje sidan",
        "slut",
    ]
)


def test_pages_are_split_at_leading_single_space():
    pages = split_pages(RAW_WITH_FOOTER)
    assert len(pages) == 3
    assert pages[0].lines[0] == " Första sidan börjar här"
    assert pages[1].lines[0] == " Andra sidan har rubrik"
    assert pages[2].lines[0] == " Tredje sidan"


def test_page_numbers_counted_from_footer_forwards_and_backwards():
    assert [p.number for p in split_pages(RAW_WITH_FOOTER)] == [10, 11, 12]


def test_footer_line_is_removed():
    pages = split_pages(RAW_WITH_FOOTER)
    assert all("| Region Örebro län" not in p.text for p in pages)
    assert "med text" in pages[1].text


def test_one_letter_fragment_is_not_a_page_start():
    pages = split_pages(RAW_WITH_FOOTER)
    # " m" stays on the second page instead of opening a page of its own.
    assert " m" in pages[1].lines
    assert not any(p.lines[0] == " m" for p in pages)


def test_line_with_two_leading_spaces_is_not_a_page_start():
    pages = split_pages(" Sida ett\n  indragen rad\nmer")
    assert len(pages) == 1


def test_no_footer_leaves_numbers_none():
    pages = split_pages(" Sida ett\ntext\n\n Sida två\nmer text")
    assert len(pages) == 2
    assert [p.number for p in pages] == [None, None]


def test_footer_on_first_page_counts_forwards():
    raw = " Sida\nText | Region Örebro län 3\n Nästa sida\nx\n Sista sida\ny"
    assert [p.number for p in split_pages(raw)] == [3, 4, 5]


# --- clean_page, content_words, draft_markdown ----------------------------------------------------------


def test_clean_page_joins_lines_and_words_and_collapses_spaces():
    text = " Rubrik  \nEn  mening om kompetens-\nförsörjning som\nfortsätter.\n\n\nNy   paragraf "
    assert clean_page(text) == "Rubrik En mening om kompetensförsörjning som fortsätter.\n\nNy paragraf"


def test_clean_page_drops_empty_paragraphs():
    assert clean_page("\n\n   \n\nText\n\n \n") == "Text"


def test_content_words():
    words = content_words("Kompetensför-\nsörjning och HR-avdelning i länet, 2018 år ab")
    assert words == {"kompetensförsörjning", "hr-avdelning", "länet"}


def test_content_words_min_length():
    assert content_words("ab abc abcd", min_length=3) == {"abc", "abcd"}


def test_draft_markdown_has_page_markers_and_clean_paragraphs():
    draft = draft_markdown(RAW_WITH_FOOTER)
    markers = re.findall(r"<!-- page (\d+) -->", draft)
    assert markers == ["10", "11", "12"]
    assert "Första sidan börjar här och fortsätter på nästa rad" in draft
    assert "Region Örebro län  11" not in draft
    assert draft.endswith("\n")
    # Each marker comes before its page's text.
    assert draft.index("<!-- page 11 -->") < draft.index("Andra sidan") < draft.index("<!-- page 12 -->")


# --- the real raw text ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_pages():
    paths = sorted(RAW_DIR.glob("*.txt"))
    assert paths, "knowledge/source/*.txt saknas"
    return split_pages(paths[0].read_text(encoding="utf-8"))


def test_real_footer_page_is_11(raw_pages):
    footer_pages = [p for p in raw_pages if p.text.lstrip().startswith("Avgränsning")]
    assert footer_pages and footer_pages[0].number == 11


def test_real_page_numbers_increase_by_one(raw_pages):
    numbers = [p.number for p in raw_pages]
    assert None not in numbers
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert len(numbers) > 20


def test_real_footer_lines_removed(raw_pages):
    assert not any("Avgränsning och metod | Region Örebro län" in p.text for p in raw_pages)


def test_real_draft_markdown_has_a_marker_per_page(raw_pages):
    draft = draft_markdown(next(RAW_DIR.glob("*.txt")).read_text(encoding="utf-8"))
    markers = [int(n) for n in re.findall(r"<!-- page (\d+) -->", draft)]
    assert 11 in markers
    assert markers == sorted(markers)
