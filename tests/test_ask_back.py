"""Asking back when unsure ("Menar du …?"): the sections offered, and choosing one answers the question
from it (composing/composer.py, understanding/dialogue.chosen_section, engine/qa.py, wording/render.py)."""

from __future__ import annotations

import numpy as np
import pytest

from handlers.composing.composer import ASK_BACK_GAP
from handlers.composing.strategies import spread
from handlers.model.answer import ANSWERED, DECLINED
from handlers.model.context import Context
from handlers.understanding.dialogue import chosen_section
from handlers.wording.render import answer_json, choice_labels, markdown

CHOICES = ["Aktörer > Almi", "A > Insatsområden", "B > Insatsområden"]


def test_labels_are_the_innermost_heading_with_the_parent_when_two_share_it() -> None:
    assert choice_labels(CHOICES) == ["Almi", "A › Insatsområden", "B › Insatsområden"]
    assert choice_labels(["Aktörer > Personal- och HR*"]) == ["Personal- och HR"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("2", "A > Insatsområden"),
        ("nr 3", "B > Insatsområden"),
        ("3.", "B > Insatsområden"),
        ("Almi", "Aktörer > Almi"),
        ("a › insatsomraden", "A > Insatsområden"),
        ("4", ""),
        ("0", ""),
        ("Vad gör Almi?", ""),  # a new question
    ],
)
def test_a_message_chooses_by_number_or_label(message: str, expected: str) -> None:
    assert chosen_section(message, Context("Vad?", "", "", CHOICES)) == expected


def test_without_choices_nothing_is_chosen() -> None:
    assert chosen_section("1", Context("Vad?")) == ""
    assert chosen_section("1", None) == ""


def test_stored_context_keeps_the_choices_and_old_state_reads() -> None:
    context = Context("Vad?", "Almi", "", CHOICES)
    assert Context.from_dict(context.to_dict()) == context
    assert Context.from_dict({"question": "q", "topic": "t", "actor": ""}).choices == []  # written before
    assert Context.from_dict({"choices": "not a list"}).choices == []
    assert len(Context.from_dict({"choices": [str(n) for n in range(50)]}).choices) == 3


def test_unsure_when_the_best_sentence_hardly_stands_out_from_the_fifth() -> None:
    assert spread(np.array([3.0, 2.95, 2.9, 2.9, 3.0 - ASK_BACK_GAP / 2, 0.1])) < ASK_BACK_GAP
    assert spread(np.array([3.0, 2.95, 2.9, 2.9, 3.0 - ASK_BACK_GAP * 2, 0.1])) > ASK_BACK_GAP
    assert spread(np.array([3.0, 2.99])) == float("inf")  # too few sentences to say


def test_a_sentence_that_defines_the_term_asked_about_is_a_clear_answer(real_qa) -> None:
    # Many sentences speak of "kompetensförsörjning"; the one that says what it is stands out for a
    # definition question once that is weighed in, so the bot answers instead of asking back.
    for question in ("Vad betyder kompetensförsörjning?", "kompetensförsörjning betyder?"):
        answer = real_qa.answer(question)
        assert answer.answered and "matchar arbetsgivar" in answer.body


def test_the_real_engine_asks_back_and_a_choice_answers(real_qa) -> None:
    asked = real_qa.answer("kompetensförsörjning")
    assert asked.asks_back and asked.outcome == DECLINED
    assert 1 <= len(asked.choices) <= 3 and not asked.sources
    assert asked.suggestions == choice_labels(asked.choices)  # the buttons send the labels
    shown = markdown(asked)
    assert shown.startswith("Jag är inte säker på vilken del av planen du menar")
    assert f"1. {asked.suggestions[0]}" in shown
    assert answer_json(asked)["choices"] == asked.choices
    for message in ("2", asked.suggestions[1]):
        chosen = real_qa.answer(message, asked.context)
        assert chosen.outcome == ANSWERED
        assert chosen.sources[0].section == asked.choices[1]
        assert not chosen.asks_back


async def test_a_choice_answers_on_the_servers_path_too(real_qa) -> None:
    asked = await real_qa.answer_async("kompetensförsörjning")
    chosen = await real_qa.answer_async("1", asked.context)
    assert chosen.outcome == ANSWERED and chosen.sources[0].section == asked.choices[0]


def test_a_clear_question_is_answered_without_asking_back(real_qa) -> None:
    answer = real_qa.answer("Vem äger Almi?")
    assert answer.outcome == ANSWERED and not answer.choices
