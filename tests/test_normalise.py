"""index.normalise: questions restored to the plan's spelling and typos corrected, never a correct word
changed; and handlers.understanding.analyser.split_question, which finds the question in a long message."""

from __future__ import annotations

import pytest

from handlers.understanding.analyser import LONG_MESSAGE_CHARS, split_question
from index.normalise import MIN_CORRECTED, Normaliser
from index.text import Decompounder, tokens


@pytest.fixture(scope="module")
def normaliser(real_qa) -> Normaliser:
    """The engine's own normaliser: the real plan's words and the lexicon stored with the real index."""
    return real_qa.analyser.normaliser


@pytest.fixture(scope="module")
def analyser(real_qa):
    return real_qa.analyser


# --- diacritics ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "restored"),
    [
        ("vad gor lansstyrelsen", "vad gör länsstyrelsen"),
        ("Vad gor lansstyrelsen?", "Vad gör länsstyrelsen?"),
        ("vard och omsorg", "vård och omsorg"),
        ("arbetsformedlingen", "arbetsförmedlingen"),
        ("kompetensforsorjning", "kompetensförsörjning"),
        ("aktorer i lanet", "aktörer i länet"),
        ("namns", "nämns"),  # not the plan's word: the spelling comes from the stored lexicon
    ],
)
def test_diacritics_are_restored(normaliser, written, restored):
    result = normaliser.normalise(written)
    assert result.text == restored
    assert result.corrections == ()  # restored letters are not typos


def test_letters_typed_with_diacritics_are_kept(normaliser):
    for text in ("Vad gör länsstyrelsen?", "Vilka mål har Region Örebro län?", "nämns"):
        assert normaliser.normalise(text).text == text


# --- typos ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "corrected"),
    [
        ("arbetsgiavre", "arbetsgivare"),  # two letters swapped: one edit
        ("konkurenskraft", "konkurrenskraft"),  # a letter missing
        ("valideing", "validering"),
        ("gymansiet", "gymnasiet"),
        ("arbetsfömredlingen", "arbetsförmedlingen"),  # a swap, and the å/ä/ö as the plan writes it
    ],
)
def test_typos_are_corrected_to_the_plans_word(normaliser, written, corrected):
    result = normaliser.normalise(written)
    assert result.text == corrected
    assert result.corrections == ((written, corrected),)


def test_corrections_in_a_question_are_reported_as_written(normaliser):
    result = normaliser.normalise("Vad ar konkurenskraft för arbetsgiavre?")
    assert result.text == "Vad är konkurrenskraft för arbetsgivare?"
    assert result.corrections == (("konkurenskraft", "konkurrenskraft"), ("arbetsgiavre", "arbetsgivare"))


# --- what is never changed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    [
        # Swedish words the plan does not use: known from the lexicon, so never "corrected" to a plan word.
        "kockar",
        "kockarna",
        "robotar",
        "robotarna",
        "plugga",
        "pluggar",
        # The plan's own words and compounds of them.
        "länet",
        "regionen",
        "Arbetsförmedlingen",
        "distansarbete",
        "kompetensförsörjningsarbetet",
    ],
)
def test_a_correct_word_is_never_changed(normaliser, word):
    result = normaliser.normalise(word)
    assert result.text == word
    assert result.corrections == ()


def test_a_question_of_correct_words_comes_back_as_written(normaliser):
    for question in (
        "Varför ska kockar och robotar plugga?",
        "Hur kan jag plugga till kock?",
        "Vad händer med kockarna?",
    ):
        assert normaliser.normalise(question).text == question
        assert normaliser.normalise(question).corrections == ()


def test_numbers_punctuation_and_hyphenated_words_are_left_alone(normaliser):
    for text in ("3 345 personer", "2018-2030", "HR-avdelningen och e-post", "?!", ""):
        assert normaliser.normalise(text).text == text


def test_short_words_are_not_corrected(normaliser):
    # Too ambiguous to correct: "almo" could be many words. One letter longer, the same kind of typo is.
    for word in ("almo", "skla", "lnet", "biil"):
        assert len(word) < MIN_CORRECTED
        assert normaliser.normalise(word).text == word
    assert normaliser.normalise("almii").text == "almi"


def test_normalising_twice_changes_nothing_more(normaliser):
    for text in ("vad gor lansstyrelsen", "Vilka arbetsgiavre finns?", "Varför ska kockar plugga?"):
        once = normaliser.normalise(text).text
        again = normaliser.normalise(once)
        assert again.text == once
        assert again.corrections == ()


# --- case ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Lansstyrelsen", "Länsstyrelsen"),
        ("LANSSTYRELSEN", "LÄNSSTYRELSEN"),
        ("Arbetsgiavre", "Arbetsgivare"),
        ("ARBETSGIAVRE", "ARBETSGIVARE"),
        ("Orebro", "Örebro"),
    ],
)
def test_case_is_kept(normaliser, written, expected):
    assert normaliser.normalise(written).text == expected


def test_a_corrected_word_is_reported_as_written_and_as_the_plan_spells_it(normaliser):
    assert normaliser.normalise("Arbetsgiavre").corrections == (("Arbetsgiavre", "arbetsgivare"),)


# --- the rules, on a tiny plan -------------------------------------------------------------------------

TINY_PLAN = (
    "Länsstyrelsen samordnar arbetet med kompetensförsörjning och validering i länet. "
    "Kompetensplanen är en plan för kompetens."
)


def _tiny(lexicon: dict[str, str] | None = None) -> Normaliser:
    return Normaliser([TINY_PLAN], Decompounder(tokens(TINY_PLAN)), lexicon or {})


def test_a_known_swedish_word_is_kept_even_one_edit_from_a_plan_word():
    # "arbeten" is one edit from the plan's "arbetet": corrected only when the lexicon does not know it.
    assert _tiny().normalise("arbeten").text == "arbetet"
    assert _tiny({"arbeten": "arbeten"}).normalise("arbeten").text == "arbeten"


def test_the_lexicon_restores_diacritics_of_words_the_plan_lacks():
    assert _tiny({"forskning": "forskning", "nämns": "nämns"}).normalise("namns").text == "nämns"
    assert _tiny().normalise("namns").text == "namns"  # unknown, short of a plan word: left as written


def test_a_compound_of_plan_words_is_not_a_typo():
    # "kompetensplan" is two edits from the plan's "kompetensplanen", but it is "kompetens" + "plan".
    normaliser = _tiny()
    assert normaliser.normalise("kompetensplan").text == "kompetensplan"
    assert normaliser.normalise("kompetensplanen").text == "kompetensplanen"
    assert normaliser.normalise("kompetensplanne").text == "kompetensplanen"


def test_the_edit_distance_allowed_grows_with_the_word():
    normaliser = _tiny()
    assert normaliser.normalise("samordnr").text == "samordnar"  # one edit
    assert normaliser.normalise("validring").text == "validering"  # one edit
    assert normaliser.normalise("valdring").text == "validering"  # two edits in a long word
    assert normaliser.normalise("arbtet").text == "arbetet"  # one edit in a short word
    assert normaliser.normalise("arbqq").text == "arbqq"  # two edits from the word and its stem: too far
    assert normaliser.normalise("arbtt").text == "arbetet"  # two from "arbetet", one from its stem "arbet"


# --- the Analyser normalises Swedish, not English ------------------------------------------------------


def test_swedish_questions_are_normalised_and_the_original_kept(analyser):
    query = analyser.analyse("Vilka arbetsgiavre finns?")
    assert query.original == "Vilka arbetsgiavre finns?"
    assert query.text == query.question == "Vilka arbetsgivare finns?"
    assert analyser.analyse("vad gor lansstyrelsen").question == "vad gör länsstyrelsen"


@pytest.mark.parametrize(
    "question",
    ["What is konkurenskraft", "What does the county administrative board do?", "Who owns Almi?"],
)
def test_english_questions_are_not_normalised(analyser, question):
    query = analyser.analyse(question)
    assert query.lang == "en"
    assert query.text == query.question == question


def test_a_long_message_is_analysed_on_its_question(analyser):
    message = (
        "Vi ar ett vardforetag i Karlskoga. Vi behover fler underskoterskor och funderar pa validering av "
        "de som redan jobbar hos oss, men vet inte hur. Hur fungerar valideing?"
    )
    query = analyser.analyse(message)
    assert query.question == "Hur fungerar validering?"
    assert query.situation.startswith("Vi är ett")
    assert query.text.endswith("Hur fungerar validering?")
    assert query.original == message


# --- English ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def english(real_qa):
    return real_qa.analyser.english


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Which areas does the forewodr highlight?", "Which areas does the foreword highlight?"),
        ("Does the plan look outside Swedn into avcount?", "Does the plan look outside Sweden into account?"),
        ("What interestt rate does Almi chrge?", "What interest rate does Almi charge?"),
    ],
)
def test_english_typos_are_corrected(english, typed: str, meant: str) -> None:
    assert english.normalise(typed).text == meant


@pytest.mark.parametrize(
    "question",
    [
        "What does Almi do?",  # a name of the plan's
        "What does Business Region Örebro offer?",
        "How is validation of foreign qualifications handled?",
        "Wat is REKO?",  # too short to correct with confidence
    ],
)
def test_known_english_words_and_names_are_left_alone(english, question: str) -> None:
    assert english.normalise(question).text == question


def test_an_english_question_is_spelled_right_before_it_is_understood(real_qa) -> None:
    query = real_qa.analyser.analyse("What intereest rate does Almi charge on its business loans?")
    assert "interest rate" in query.text
    assert query.ask is not None and query.ask.kind == "amount"


# --- split_question ------------------------------------------------------------------------------------

SITUATION = (
    "Vi är ett vårdföretag i Karlskoga. Vi behöver fler undersköterskor och funderar på validering av de "
    "som redan jobbar hos oss, men vet inte hur."
)


def test_a_long_message_gives_its_question_and_the_situation():
    message = f"{SITUATION} Hur fungerar validering?"
    assert len(message) >= LONG_MESSAGE_CHARS
    assert split_question(message) == ("Hur fungerar validering?", SITUATION)


def test_the_question_may_come_first():
    situation = (
        "Vi är ett vårdföretag i Karlskoga och behöver fler undersköterskor och funderar på validering av "
        "de som redan jobbar hos oss."
    )
    assert split_question(f"Hur fungerar validering? {situation}") == ("Hur fungerar validering?", situation)


def test_the_last_asking_sentence_is_the_question():
    message = f"Vad gör Almi? {SITUATION} Hur fungerar validering?"
    question, situation = split_question(message)
    assert question == "Hur fungerar validering?"
    assert situation == f"Vad gör Almi? {SITUATION}"


def test_a_question_word_without_a_question_mark_marks_the_question():
    message = f"{SITUATION} Vilket stöd finns för oss. Tack på förhand."
    assert split_question(message) == ("Vilket stöd finns för oss.", f"{SITUATION} Tack på förhand.")


def test_without_a_question_the_last_sentence_is_asked():
    message = (
        "Vi är ett vårdföretag i Karlskoga och behöver fler undersköterskor. Vi funderar på validering av "
        "de som redan jobbar hos oss men vet inte hur det går till i praktiken"
    )
    question, situation = split_question(message)
    assert question.startswith("Vi funderar på validering")
    assert situation == "Vi är ett vårdföretag i Karlskoga och behöver fler undersköterskor."


def test_a_question_typed_in_lower_case_after_a_full_stop_is_its_own_sentence():
    message = "Vi ska ha ett möte nästa vecka. vad händer när skola och bransch träffas"
    question, situation = split_question(message)
    assert question == "vad händer när skola och bransch träffas"
    assert situation == "Vi ska ha ett möte nästa vecka."


def test_a_short_message_asking_further_in_is_asked_by_its_last_sentence():
    # "hur" further in marks a question; typed without a question mark, the question comes last. The first
    # sentence's "hur saker hänger ihop" tells, the last asks.
    assert split_question("Jag håller på med en ansökan. pivottabell excel hur gör man") == (
        "pivottabell excel hur gör man",
        "Jag håller på med en ansökan.",
    )
    assert split_question("Jag försöker förstå hur saker hänger ihop. kompetensforum antal deltagare") == (
        "kompetensforum antal deltagare",
        "Jag försöker förstå hur saker hänger ihop.",
    )


@pytest.mark.parametrize(
    "message",
    [
        "Vad gör Almi?",
        "Jag jobbar på en skola. Almi och BRO.",  # short, and no sentence asks
        "",
        # Long, but one sentence: all question.
        "Vilka insatser finns för arbetsgivare som vill arbeta strategiskt med kompetensförsörjning och "
        "validering av personal som redan finns i verksamheten i hela länet?",
    ],
)
def test_a_short_or_single_sentence_message_is_all_question(message):
    assert split_question(message) == (message, "")


def test_a_sentence_of_context_before_a_short_question_is_the_situation():
    question, situation = split_question("Jag jobbar på en skola. Vad gör Almi?")
    assert (question, situation) == ("Vad gör Almi?", "Jag jobbar på en skola.")
