"""Follow-ups: pronouns and ellipses refer back to the previous turn; a new subject starts afresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.model.context import Context
from handlers.understanding.actors import ActorDirectory
from handlers.understanding.dialogue import refers_back, resolve
from index.knowledge import load_document
from index.text import tokens

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def actors() -> ActorDirectory:
    document = load_document(ROOT / "knowledge" / "handlingsplan.md")
    return ActorDirectory.from_document(document, ROOT / "knowledge" / "aliases_sv.tsv")


HANDELSKAMMAREN = Context(
    "Vad gör Handelskammaren?", "Handelskammaren Mälardalen", "Handelskammaren Mälardalen"
)
FREDAGSAKADEMIN = Context("Vad är Fredagsakademin?", "Fredagsakademi – forskning och dialog", "")


def test_no_context_means_no_follow_up(actors: ActorDirectory) -> None:
    resolved = resolve("Är de offentliga eller privata?", None, actors)
    assert resolved.question == "Är de offentliga eller privata?"
    assert not resolved.follow_up


def test_pronoun_refers_to_the_previous_actor(actors: ActorDirectory) -> None:
    resolved = resolve("Är de offentliga eller privata?", HANDELSKAMMAREN, actors)
    assert resolved.follow_up
    assert resolved.question == "Är de offentliga eller privata?"  # what it refers to is data, not text
    assert resolved.subject == "Handelskammaren Mälardalen"
    assert [a.name for a in resolved.actors] == ["Handelskammaren Mälardalen"]


def test_pronoun_refers_to_the_previous_topic(actors: ActorDirectory) -> None:
    resolved = resolve("Hur ofta anordnas den?", FREDAGSAKADEMIN, actors)
    assert resolved.follow_up
    assert resolved.question == "Hur ofta anordnas den?"
    assert resolved.subject == "Fredagsakademi – forskning och dialog"
    assert resolved.actors == []


def test_a_question_that_does_not_refer_back_has_no_subject(actors: ActorDirectory) -> None:
    assert resolve("Är de offentliga eller privata?", None, actors).subject == ""
    assert resolve("Vad gör Almi?", HANDELSKAMMAREN, actors).subject == ""


def test_ellipsis_asks_the_same_question_about_another_actor(actors: ActorDirectory) -> None:
    resolved = resolve("Och REKO då?", HANDELSKAMMAREN, actors)
    assert resolved.question == "Vad gör REKO?"
    assert resolved.follow_up
    assert resolve("What about Almi?", HANDELSKAMMAREN, actors).question == "Vad gör Almi?"


def test_follow_ups_are_recognised_without_diacritics(actors: ActorDirectory) -> None:
    assert resolve("Och REKO da?", HANDELSKAMMAREN, actors).question == "Vad gör REKO?"
    resolved = resolve("ar de offentliga eller privata", HANDELSKAMMAREN, actors)
    assert resolved.follow_up and resolved.subject == "Handelskammaren Mälardalen"


def test_a_question_with_its_own_subject_starts_afresh(actors: ActorDirectory) -> None:
    resolved = resolve("Vad gör Almi?", HANDELSKAMMAREN, actors)
    assert resolved.question == "Vad gör Almi?" and not resolved.follow_up
    fresh = resolve("Vilka är de övergripande målen i RUS?", FREDAGSAKADEMIN, actors)
    assert not fresh.follow_up


def test_relative_clause_and_article_are_not_references(actors: ActorDirectory) -> None:
    assert not resolve("Vad görs för de som står utanför arbetsmarknaden?", HANDELSKAMMAREN, actors).follow_up
    assert not resolve("Vad säger den regionala utvecklingsstrategin?", HANDELSKAMMAREN, actors).follow_up


@pytest.mark.parametrize(
    "question", ["Vilka samarbetar i det?", "Vem äger bolaget?", "Hur finansieras det?", "Vad gör de?"]
)
def test_short_questions_with_a_pronoun_refer_back(actors: ActorDirectory, question: str) -> None:
    assert resolve(question, HANDELSKAMMAREN, actors).follow_up


def test_context_round_trips_through_storage() -> None:
    assert Context.from_dict(HANDELSKAMMAREN.to_dict()) == HANDELSKAMMAREN
    assert Context.from_dict(None) == Context()
    assert Context.from_dict({"question": 3, "unexpected": "x"}) == Context("3", "", "")


@pytest.mark.parametrize(
    "question",
    [
        "Finns det något liknande för vården?",
        "Går det att söka pengar för validering?",
        "Behövs det fler lärare?",
    ],
)
def test_an_empty_det_after_finns_or_gar_does_not_refer_back(question: str) -> None:
    assert not refers_back(tokens(question))


def test_det_last_in_a_question_still_refers_back() -> None:
    assert refers_back(tokens("Vem finansierar det?"))


def test_a_demonstrative_refers_back() -> None:
    assert refers_back(tokens("Vad säger planen om det här problemet?"))
    assert refers_back(tokens("Hur kan de där grupperna nås?"))
    assert not refers_back(tokens("Finns det här i länet något stöd?"))  # "det" of "finns det", "här" = here


def test_a_possessive_always_refers_back() -> None:
    assert refers_back(tokens("Vad säger planen om att låta branschen bedöma deras kunnande?"))
    assert refers_back(tokens("What does the plan say about their skills?"))
