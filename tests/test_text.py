"""index.text: tokens, stems, stopwords, language, sentences and Swedish compounds."""

from __future__ import annotations

import pytest

from index.text import (
    Decompounder,
    content_tokens,
    detect_language,
    fold,
    split_sentences,
    stem,
    tokens,
    word_pieces,
)

# --- tokens, stem, content_tokens ----------------------------------------------------------------------


def test_tokens_fold_case_and_diacritics():
    assert tokens("Region Örebro Län") == ["region", "orebro", "lan"]


def test_fold_lower_cases_and_drops_diacritics_keeping_length():
    assert fold("Örebro") == "orebro"
    assert fold("Förordet ÅÄÖ é ü") == "forordet aao e u"
    for text in ("Länsstyrelsen", "Ærø", "Ångström – 2030"):
        assert len(fold(text)) == len(text)


def test_spelling_with_or_without_diacritics_gives_the_same_tokens_and_stems():
    assert tokens("Länsstyrelsen") == tokens("lansstyrelsen") == tokens("LANSSTYRELSEN") == ["lansstyrelsen"]
    assert [stem(t) for t in tokens("Länsstyrelsen")] == [stem(t) for t in tokens("lansstyrelsen")]
    assert (
        content_tokens("Vad gör länsstyrelsen?")
        == content_tokens("vad gor lansstyrelsen")
        == ["lansstyrelsen"]
    )
    decompounder = Decompounder(tokens("kompetens försörjning"))
    assert decompounder.terms("kompetensförsörjning") == decompounder.terms("kompetensforsorjning")


def test_stopwords_match_without_diacritics():
    # The stopword lists are folded too: "gör", "när", "då" are stopwords however they are written.
    assert content_tokens("Vad gör Almi när det är dags?") == content_tokens("vad gor almi nar det ar dags")
    assert content_tokens("vad gor almi nar det ar dags") == ["almi", "dags"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3 345 personer", ["3345", "personer"]), ("1.000", ["1000"]), ("12,500", ["12500"])],
)
def test_tokens_join_thousands(text, expected):
    assert tokens(text) == expected


def test_tokens_keep_separate_numbers_apart():
    assert tokens("16 regionala dotterbolag") == ["16", "regionala", "dotterbolag"]
    assert tokens("2018-2030") == ["2018", "2030"]


def test_a_number_with_decimals_is_one_token():
    # "5.4" names a development area: as two one-digit tokens it would be dropped from every comparison.
    assert tokens("utvecklingsområde 5.4 i RUS") == ["utvecklingsomrade", "5.4", "i", "rus"]
    assert "5.4" in content_tokens("Vad säger planen om 5.4?")
    assert tokens("12.500 kr") == ["12500", "kr"]  # three digits after the point are still thousands


def test_hyphenated_word_is_one_token():
    assert tokens("HR-avdelningen och e-post") == ["hr-avdelningen", "och", "e-post"]


def test_tokens_drop_punctuation():
    assert tokens("Vad gör Almi?!, (och REKO).") == ["vad", "gor", "almi", "och", "reko"]


def test_stem_groups_inflections():
    assert stem("arbetsgivare") == stem("arbetsgivarna")
    assert stem("utbildningar") == stem("utbildningen") == stem("utbildning")
    assert stem("aktörer") == stem("aktör")


def test_content_tokens_drop_swedish_and_english_stopwords():
    assert content_tokens("Vad gör Almi i länet?") == ["almi", "lanet"]
    assert content_tokens("What does the plan say about skills?") == ["skills"]


def test_light_verbs_and_kind_nouns_are_stopwords_in_both_languages():
    # "give" and "kind/sort" were English stopwords; their Swedish counterparts carry no more meaning.
    assert content_tokens("Vad kan den sortens stegvisa förflyttning ge?") == ["stegvisa", "forflyttning"]
    assert content_tokens("What can that kind of gradual move give?") == ["gradual", "move"]


def test_content_tokens_drop_one_letter_words():
    assert content_tokens("x y kompetens") == ["kompetens"]


def test_content_tokens_drop_the_plans_own_name():
    assert content_tokens("Vad står i handlingsplanen om validering?") == ["validering"]


# --- detect_language -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Vad gör Almi?",
        "Vilka aktörer finns i länet?",
        "Hur många bor i länet?",
        "Vem äger Almi?",
        "Almi?",
        "Vilka insatsområden finns för validering?",
    ],
)
def test_swedish_questions(question):
    assert detect_language(question) == "sv"


@pytest.mark.parametrize(
    "question",
    [
        "What does Almi do?",
        "Who owns Almi?",
        "Tell me about validation",
        "Which actors are involved in the plan?",
        "What is the plan about?",
    ],
)
def test_english_questions(question):
    assert detect_language(question) == "en"


# Frequency ranks as wordfreq's lists give them (0 the most frequent); Swedish web text has English words far
# down its list ("project"), and the plan's own words rank first in Swedish.
SWEDISH_RANKS = {"validering": 0, "almi": 0, "region": 900, "project": 40_000, "groups": 60_000}
ENGLISH_RANKS = {"vulnerable": 5_000, "groups": 800, "project": 700, "funding": 4_000, "region": 1_500}
KNOWN = (SWEDISH_RANKS, ENGLISH_RANKS)


@pytest.mark.parametrize(
    ("query", "lang"),
    [
        ("vulnerable groups", "en"),  # no function word: the words tell
        ("project funding", "en"),  # "project" is Swedish web text too, far down its list
        ("validering", "sv"),
        ("almi", "sv"),
        ("region", "sv"),  # common in both: a tie, and Swedish wins ties
        ("Vad är project funding?", "sv"),  # a function word tells first
    ],
)
def test_a_keyword_query_is_told_by_its_words_frequencies(query: str, lang: str) -> None:
    assert detect_language(query, KNOWN) == lang
    assert detect_language(query) == "sv"  # without the vocabularies, Swedish wins the tie


# --- split_sentences -----------------------------------------------------------------------------------


def test_split_sentences_at_full_stops():
    assert split_sentences("Första meningen. Andra meningen! Tredje?") == [
        "Första meningen.",
        "Andra meningen!",
        "Tredje?",
    ]


def test_no_break_at_abbreviations():
    text = "Det finns bl.a. Almi och t.ex. REKO. Nästa mening."
    assert split_sentences(text) == ["Det finns bl.a. Almi och t.ex. REKO.", "Nästa mening."]


def test_no_break_before_lower_case():
    assert split_sentences("Se avsnitt 3. sedan nästa del.") == ["Se avsnitt 3. sedan nästa del."]


def test_sentence_may_start_with_a_number():
    assert split_sentences("Slut. 16 bolag finns.") == ["Slut.", "16 bolag finns."]


def test_a_typed_message_splits_before_a_lower_case_sentence():
    text = "Vi har ett möte på jobbet. vad händer t.ex. i programråd"
    assert split_sentences(text) == [text]  # the plan's text: a sentence opens with a capital
    typed = split_sentences(text, typed=True)
    assert typed == ["Vi har ett möte på jobbet.", "vad händer t.ex. i programråd"]


def test_split_sentences_empty():
    assert split_sentences("   ") == []


# --- Decompounder --------------------------------------------------------------------------------------

SMALL_VOCABULARY = ["kompetens", "försörjning", "arbete", "och", "av"]


def test_two_part_compound_splits():
    assert Decompounder(SMALL_VOCABULARY).parts("kompetensförsörjning") == ("kompetens", "försörjning")


def test_linking_s_is_handled():
    parts = Decompounder(SMALL_VOCABULARY).parts("försörjningsarbete")
    assert len(parts) == 2
    assert stem(parts[0]) == stem("försörjning")
    assert parts[1] == "arbete"


def test_linking_s_dropped_when_only_the_bare_form_is_known():
    parts = Decompounder(["arbete", "plats"]).parts("arbetsplats")
    assert parts == ("arbete", "plats") or [stem(p) for p in parts] == [stem("arbete"), stem("plats")]


def test_three_part_compound_splits_when_its_head_is_a_corpus_word():
    parts = Decompounder([*SMALL_VOCABULARY, "kompetensförsörjning"]).parts("kompetensförsörjningsarbete")
    stems = {stem(p) for p in parts}
    assert {stem("kompetens"), stem("försörjning"), stem("arbete")} <= stems


def test_three_part_compound_splits_from_its_parts():
    parts = Decompounder(SMALL_VOCABULARY).parts("kompetensförsörjningsarbete")
    stems = {stem(p) for p in parts}
    assert {stem("kompetens"), stem("försörjning"), stem("arbete")} <= stems


def test_unknown_words_give_no_parts():
    decompounder = Decompounder(SMALL_VOCABULARY)
    assert decompounder.parts("köttbullarna") == ()
    assert decompounder.parts("kompetensbullar") == ()  # only one part known


def test_short_and_non_alphabetic_words_give_no_parts():
    decompounder = Decompounder(SMALL_VOCABULARY)
    assert decompounder.parts("arbete") == ()
    assert decompounder.parts("kompetens-försörjning") == ()
    assert decompounder.parts("kompetens2030") == ()


def test_vocabulary_ignores_short_and_non_alphabetic_words():
    # "av" (too short) cannot be a part: "kompetensav" is not a compound of known words.
    assert Decompounder(SMALL_VOCABULARY).parts("kompetensav") == ()


def test_word_pieces():
    assert word_pieces("kompetens") == ["kompetens"]
    assert word_pieces("e-postadress") == ["epostadress", "postadress"]
    assert word_pieces("hr-avdelning") == ["hravdelning", "hr", "avdelning"]


def test_terms_make_paraphrase_and_compound_share_terms():
    # The index's vocabulary is its folded tokens, and so are the terms.
    decompounder = Decompounder(tokens(" ".join(SMALL_VOCABULARY)))
    paraphrase = set(decompounder.terms("försörjning av kompetens"))
    compound = set(decompounder.terms("kompetensförsörjning"))
    assert {stem("kompetens"), stem("forsorjning")} <= paraphrase & compound
    # The compound keeps its own stem too, for exact matches.
    assert stem("kompetensforsorjning") in compound


def test_terms_drop_stopwords_and_include_hyphen_pieces():
    terms = Decompounder(SMALL_VOCABULARY).terms("Vad gör HR-avdelningen?")
    assert stem("hravdelningen") in terms
    assert stem("avdelningen") in terms
    assert stem("vad") not in terms


# --- Particle verbs ----------------------------------------------------------------------------------------

PARTICLE_VOCABULARY = tokens("framtagandet av planen uppföljning framtiden medarbetare tillgång ta följa")


def test_particle_verb_finds_the_word_derived_from_it():
    decompounder = Decompounder(PARTICLE_VOCABULARY)
    assert decompounder.derived("Vilka var med och ta fram planen?") == [stem("framtagandet")]
    assert decompounder.derived("Hur ska planen följas upp?") == [stem("uppfoljning")]


def test_particle_verb_needs_a_verb_then_its_particle():
    decompounder = Decompounder(PARTICLE_VOCABULARY)
    assert decompounder.derived("fram till planen") == []  # no verb before the particle
    assert decompounder.derived("framtagandet av planen") == []  # the derived word itself adds nothing
    # A preposition is no particle: "arbeta med" is not "medarbetare", "gå till" not "tillgång".
    assert decompounder.derived("arbeta med planen och gå till jobbet") == []
    # A function word is no verb: "ut" after "man" does not make "utman…".
    assert Decompounder(tokens("utmaning")).derived("vad gör man ut") == []
