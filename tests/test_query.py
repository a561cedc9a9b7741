"""Understanding a question once: what the Query says about it (the real plan's analyser)."""

from __future__ import annotations

import pytest

from index.text import stem


@pytest.fixture(scope="module")
def analyse(real_qa):
    return real_qa.analyser.analyse


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("Vad är APL för något?", "APL"),
        ("vad betyder förmobilisering egentligen", "förmobilisering"),
        ("What does YH stand for?", "YH"),
        ("Vad gör Almi?", ""),
        ("Vad är länsstyrelsens roll i arbetet?", ""),
    ],
)
def test_a_definition_question_names_its_term(analyse, question: str, term: str) -> None:
    assert analyse(question).defines == term


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("I vilka yrken behövs stödstrukturer mest?", "yrken"),
        ("Vilken grupp ska utbildningen riktas till?", "grupp"),
        ("Which sectors are short of staff?", "sectors"),
        ("Vilka ska lockas till bristyrkesutbildningar?", ""),  # "vilka ska": no noun asked for
        ("Vilka tre sorters hållbarhet motsvarar målen?", "hallbarhet"),  # past the number and the kind word
        ("Which two kinds of skills are scarce?", "skills"),
    ],
)
def test_a_which_question_names_the_kind_asked_for(analyse, question: str, noun: str) -> None:
    assert analyse(question).kind_asked == (stem(noun) if noun else "")


@pytest.mark.parametrize(
    ("question", "who"),
    [
        ("Vem samordnar folkhögskolornas samverkan?", True),
        ("Vilken organisation leder arbetet?", True),
        ("Who runs the network for YH providers?", True),
        ("När antogs strategin och av vem?", True),
        ("När antogs strategin, och av vilket organ?", True),
        ("Vad gör Almi?", False),
        ("Vilka insatsområden finns för arbetsgivare?", False),
    ],
)
def test_who_questions_ask_for_an_actor(analyse, question: str, who: bool) -> None:
    assert analyse(question).asks_who is who


@pytest.mark.parametrize(
    ("question", "chapter"),
    [
        ("Vad säger förordet om hållbarhet?", "Förord"),
        ("vilka trender nämns i sammanfattningen", "Sammanfattning"),
        ("Vilka finns i aktörskapitlet?", "Aktörer"),
        ("What does the foreword say about cooperation?", "Förord"),
        ("Vad säger planen om hållbarhet?", ""),
    ],
)
def test_a_question_pointing_into_a_chapter_names_it(analyse, question: str, chapter: str) -> None:
    assert analyse(question).chapter == chapter


def test_a_follow_up_keeps_its_subject_as_data_not_in_the_question(real_qa) -> None:
    first = real_qa.answer("Vad gör Handelskammaren Mälardalen?")
    query = real_qa.analyser.analyse("Är de offentliga eller privata?", first.context)
    assert query.follow_up
    assert query.question == "Är de offentliga eller privata?"
    assert query.subject == "Handelskammaren Mälardalen"
    assert query.subject in query.search_text


def test_a_pronoun_after_a_situation_points_to_the_actor_it_names(analyse) -> None:
    query = analyse("Vi har haft kontakt med Almi om ett lån. Vad kan de hjälpa till med mer?")
    assert query.situation.startswith("Vi har haft kontakt med Almi")
    assert [a.name for a in query.actors] == ["Almi"]
    assert query.leans_on_situation


@pytest.mark.parametrize(
    "message",
    [
        "Jag leder vuxenutbildningen i en liten kommun. Många elever är nyanlända. Vad föreslår planen?",
        "We run a small bakery and take in trainees. What does the plan suggest for us?",
    ],
)
def test_a_question_put_to_the_plan_after_a_situation_asks_about_the_situation(analyse, message) -> None:
    # Its own words ("Vad föreslår planen?") are no subject: the situation told before it is.
    assert analyse(message).leans_on_situation


def test_a_question_with_a_subject_of_its_own_does_not_lean_on_the_situation(analyse) -> None:
    assert not analyse("Vi ska gå på Fredagsakademin. Blir det snö i Örebro på fredag?").leans_on_situation


def test_where_to_turn_after_a_situation_asks_who_helps_not_for_the_phone_number(analyse) -> None:
    told = analyse("Vi är ett litet företag utan HR-avdelning. Vart kan vi vända oss?")
    assert told.ask is None and told.asks_who
    alone = analyse("Vart vänder jag mig med frågor om planen?")
    assert alone.ask is not None and alone.ask.asks_contact and not alone.asks_who


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("kompetensförsörjning betyder?", "kompetensförsörjning"),
        ("validering definition", "validering"),
        ("definition av APL", "APL"),
        ("Vad är APL för något?", "APL"),
        ("Vad gör Almi?", ""),
    ],
)
def test_a_definition_asked_as_a_keyword_query_names_its_term(analyse, question, term) -> None:
    assert analyse(question).defines == term


def test_english_is_not_normalised_and_swedish_is(analyse) -> None:
    assert analyse("Action areas for employers?").lang == "en"
    assert analyse("Action areas for employers?").text == "Action areas for employers?"
    swedish = analyse("vilka insatsomraden finns for arbetsgivare")
    assert swedish.text == "vilka insatsområden finns för arbetsgivare"


def test_the_plans_title_names_the_document_and_is_no_search_term(analyse) -> None:
    named = analyse("Vem skrev förordet till regionala handlingsplanen för kompetensförsörjning?")
    assert named.terms.terms == [stem("forordet")]
    english = analyse("Who signed the foreword of the regional skills supply plan?")
    assert "regional" not in english.terms.terms
    # The title's words without the plan: a project's name, what the question is about.
    project = analyse("Hur många fick jobb efter projektet Integration i regional kompetensförsörjning?")
    assert "regional" in project.terms.terms
    # The title alone: the question asks about the plan itself, and keeps its words.
    assert analyse("Vad är regional handlingsplan för kompetensförsörjning?").terms.terms


def test_a_pronoun_in_a_long_message_points_into_the_sentence_before_the_question(analyse) -> None:
    query = analyse(
        "Vi driver ett integrationsprojekt i kommunen. I planen läste jag om förmobilisering. "
        "Kan vi få stöd till det?"
    )
    assert query.actors == []  # not the municipality of the first sentence
    assert "förmobilisering" in query.subject and "förmobilisering" in query.search_text
    assert stem("formobilisering") in query.terms.terms
    named = analyse("Jag jobbar i en kommun. Jag har kontakt med Almi. Vad kan de hjälpa till med?")
    assert [a.name for a in named.actors] == ["Almi"]
