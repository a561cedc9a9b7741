"""What an answer opens with: "Ja." when the plan's words settle a yes/no question, and the actor's name
when the body speaks of it without naming it (composing/verdict.py, rendered by wording/render.py)."""

from __future__ import annotations

import pytest

from handlers.model.answer import YES, Answer
from handlers.understanding.analyser import _yes_no
from handlers.wording.render import markdown, plan_markdown


@pytest.mark.parametrize(
    "question",
    ["Ägs Almi av staten?", "Finns det en budget?", "Revideras planen?", "Is Almi owned by the state?",
     "Har regeringen gett regionen ett uppdrag?"],
)
def test_yes_no_questions_open_with_their_verb(question: str) -> None:
    assert _yes_no(question)


@pytest.mark.parametrize(
    "question",
    ["Vem äger Almi?", "Kan du säga vem som äger Almi?", "Almi roll?", "Kommunernas roll i planen?",
     "Does the plan say when it was adopted?", "När revideras planen?"],
)
def test_open_questions_are_not_yes_no(question: str) -> None:
    assert not _yes_no(question)


def test_the_plan_restating_the_question_opens_with_yes(real_qa) -> None:
    answer = real_qa.answer("Ägs Almi av staten?")
    assert answer.verdict == YES
    assert markdown(answer).startswith("Ja. Almi Företagspartner AB ägs av staten")
    english = real_qa.answer("Is Almi owned by the state?")
    assert english.verdict == YES
    assert markdown(english).startswith("Yes. The plan says (in Swedish):")


@pytest.mark.parametrize(
    "question",
    [
        "Revideras handlingsplanen varje år?",  # "vart fjärde år": a restriction the plan does not state
        "Är Almi inte statligt?",  # a negated question: "Ja" would be ambiguous
        "Is Handelskammaren Mälardalen a public authority?",  # words the sentence does not hold
        "Är Handelskammaren Mälardalen en myndighet?",
        "Måste folkhögskolorna följa en centralt bestämd läroplan?",  # the sentence negates: no "Ja"
    ],
)
def test_no_yes_unless_the_sentence_says_what_was_asked(real_qa, question: str) -> None:
    answer = real_qa.answer(question)
    assert answer.verdict == ""
    assert not markdown(answer).startswith(("Ja", "Yes"))


def test_an_actor_the_opening_sentence_does_not_name_is_named(real_qa) -> None:
    answer = real_qa.answer("Vad gör Stiftelsen Sky?")
    assert answer.about == "Stiftelsen Sky"
    assert markdown(answer).startswith("**Stiftelsen Sky:** Stiftelsens verksamhet")
    named = real_qa.answer("Vem äger Almi?")  # the sentence names Almi itself
    assert named.about == ""


def test_yes_stays_on_its_own_line_before_a_list() -> None:
    answer = Answer("Finns det insatsområden?", "- Ett\n- Två", verdict=YES)
    assert plan_markdown(answer) == "Ja.\n\n- Ett\n- Två"
    assert plan_markdown(Answer("q", "Text.", verdict=YES, about="Almi")) == "Ja. **Almi:** Text."
