"""handlers.quality.perturb: question variants for invariance tests, pure and deterministic."""

from __future__ import annotations

import random
import re

import pytest

from handlers.quality.perturb import (
    CONTEXT,
    CONTEXT_EN,
    CONTEXT_SV,
    KINDS,
    LOWER_NOPUNCT,
    NO_DIACRITICS,
    TYPO1,
    TYPO2,
    lower_without_punctuation,
    typo,
    variants,
    with_context,
    with_typos,
    without_diacritics,
)

QUESTION = "Vilka insatsområden finns för arbetsgivare i Örebro län 2030 enligt handlingsplanen?"
IDS = [f"d{i:02d}" for i in range(200)]
WORD = re.compile(r"[^\W\d_]+")


def changed_words(original: str, variant: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(WORD.findall(original), WORD.findall(variant), strict=True) if a != b]


# --- without å/ä/ö ---------------------------------------------------------------------------------------


def test_without_diacritics_replaces_both_cases():
    assert (
        without_diacritics("Årets Ängar, Öppna för café och ÉLAN: åäö")
        == "Arets Angar, Oppna for cafe och ELAN: aao"
    )


def test_without_diacritics_leaves_nothing_swedish_behind():
    text = without_diacritics(QUESTION)
    assert not set("åäöéÅÄÖÉ") & set(text)
    assert len(text) == len(QUESTION)


# --- typos ------------------------------------------------------------------------------------------------


def test_typos_are_deterministic_per_id_and_count():
    assert with_typos(QUESTION, 1, "d01") == with_typos(QUESTION, 1, "d01")
    assert with_typos(QUESTION, 2, "d01") == with_typos(QUESTION, 2, "d01")
    assert len({with_typos(QUESTION, 1, i) for i in IDS}) > 20  # the id seeds them: they vary across ids


@pytest.mark.parametrize("count", [1, 2])
def test_typo_count_is_the_number_of_changed_words(count):
    for case_id in IDS:
        variant = with_typos(QUESTION, count, case_id)
        assert len(changed_words(QUESTION, variant)) == count, variant


def test_typos_never_touch_first_letters_digits_or_short_words():
    for case_id in IDS:
        variant = with_typos(QUESTION, 2, case_id)
        assert re.findall(r"\d+", variant) == ["2030"]
        # What lies between words (spaces, digits, punctuation) is unchanged.
        assert WORD.split(variant) == WORD.split(QUESTION)
        for before, after in changed_words(QUESTION, variant):
            assert len(before) >= 5
            assert after[0] == before[0]
            assert abs(len(after) - len(before)) <= 1  # one edit per word


def test_typos_need_words_of_five_letters():
    assert with_typos("Vem äger Almi 2030?", 1, "d03") == "Vem äger Almi 2030?"


def test_fewer_long_words_than_typos_gives_one_typo_per_word():
    variant = with_typos("Vad gör Almi idag?", 2, "x")
    assert changed_words("Vad gör Almi idag?", variant) == []  # "idag" has four letters
    variant = with_typos("Vad gör Handelskammaren?", 2, "x")
    assert len(changed_words("Vad gör Handelskammaren?", variant)) == 1


def test_typo_always_changes_the_word_and_keeps_its_first_letter():
    for seed in range(300):
        for word in ["Arbetsförmedlingen", "aaaaa", "Xyzzy", "länet"]:
            mistyped = typo(word, random.Random(seed))
            assert mistyped != word
            assert mistyped[0] == word[0]


def test_typo_operations_all_occur():
    """Swap, drop, double and keyboard neighbour: lengths -1, +1 and 0 (same letters or one replaced)."""
    word = "kompetens"
    seen = {typo(word, random.Random(seed)) for seed in range(300)}
    assert any(len(w) == len(word) - 1 for w in seen)
    assert any(len(w) == len(word) + 1 for w in seen)
    assert any(len(w) == len(word) and sorted(w) == sorted(word) for w in seen)  # swapped
    assert any(len(w) == len(word) and sorted(w) != sorted(word) for w in seen)  # a neighbour key


def test_mistyped_letter_keeps_its_case():
    for seed in range(100):
        mistyped = typo("KOMPETENS", random.Random(seed))
        assert mistyped.isupper()


# --- lower case without punctuation ---------------------------------------------------------------------


def test_lower_without_punctuation():
    assert lower_without_punctuation("Vad gör Almi? (Kort, tack!)") == "vad gör almi kort tack"
    assert lower_without_punctuation("Är Vård- och omsorgscollege med?") == "är vård och omsorgscollege med"


def test_lower_without_punctuation_keeps_numbers_whole():
    text = "Vad säger område 5.4 om åldern 20–64, år 2030?"
    assert lower_without_punctuation(text) == "vad säger område 5.4 om åldern 20–64 år 2030"


def test_lower_without_punctuation_joins_apostrophes():
    assert lower_without_punctuation("What's the county's plan?") == "whats the countys plan"


# --- a sentence of context in front ---------------------------------------------------------------------


def test_context_is_in_the_question_language_and_deterministic():
    swedish = with_context("Vad gör Almi?", "d03")
    english = with_context("What does Almi do?", "d03", "en")
    assert swedish.endswith(" Vad gör Almi?") and swedish.removesuffix(" Vad gör Almi?") in CONTEXT_SV
    assert (
        english.endswith(" What does Almi do?") and english.removesuffix(" What does Almi do?") in CONTEXT_EN
    )
    assert with_context("Vad gör Almi?", "d03") == swedish
    assert len({with_context("q", i) for i in IDS}) == len(CONTEXT_SV)  # every sentence is used


# --- all variants ---------------------------------------------------------------------------------------


def test_variants_one_per_kind_in_order():
    found = variants("d01", QUESTION)
    assert [v.kind for v in found] == list(KINDS)
    assert found[0].text == without_diacritics(QUESTION)
    assert found[1].text == with_typos(QUESTION, 1, "d01")
    assert found[2].text == with_typos(QUESTION, 2, "d01")
    assert found[3].text == lower_without_punctuation(QUESTION)
    assert found[4].text == with_context(QUESTION, "d01")
    assert variants("d01", QUESTION) == found


def test_variants_leave_out_copies_of_the_question():
    # No å/ä/ö, no word of five letters, already lower case without punctuation: only the context is new.
    assert [v.kind for v in variants("e1", "what does almi do")] == [CONTEXT]
    kinds = [v.kind for v in variants("d03", "Vem äger Almi?")]
    assert kinds == [NO_DIACRITICS, LOWER_NOPUNCT, CONTEXT]
    assert TYPO1 not in kinds and TYPO2 not in kinds


def test_variants_use_the_language_for_context():
    english = variants("e1", "What does Almi do?", "en")[-1]
    assert english.kind == CONTEXT and english.text.split(" What")[0] in CONTEXT_EN
