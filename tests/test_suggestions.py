"""Suggested follow-ups: drawn from the plan's structure, checked to be answerable, at most three."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.composing.suggestions import MAX_SUGGESTIONS, Suggester
from handlers.understanding.actors import ActorDirectory
from index.knowledge import load_document

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def candidates() -> dict[str, str]:
    document = load_document(ROOT / "knowledge" / "handlingsplan.md")
    actors = ActorDirectory.from_document(document, ROOT / "knowledge" / "aliases_sv.tsv")
    return Suggester.candidates(document, actors)


def test_candidates_read_naturally(candidates: dict[str, str]) -> None:
    assert candidates["Aktörer > Almi"] == "Vad gör Almi?"
    assert candidates["Aktörer > Länets kommuner"] == "Vad gör länets kommuner?"
    assert candidates["Aktörer > Stiftelsen Activa"] == "Vad gör Stiftelsen Activa?"
    assert candidates["Strategiska inriktningar"] == "Vilka strategiska inriktningar finns?"
    assert candidates["Finansiering"] == "Vad säger planen om finansiering?"
    statement = (
        "Förbättra arbetsgivarnas strategiska arbete > Offentlig sektor har de största kompetensbehoven"
    )
    assert candidates[statement] == "Vad står det under ”Offentlig sektor har de största kompetensbehoven”?"
    assert not any(":" in name.rsplit(" > ", 1)[-1] for name in candidates)  # no figure captions


def test_engine_suggestions_are_checked_and_answerable(real_qa) -> None:
    answer = real_qa.answer("Vad gör Almi?")
    assert 1 <= len(answer.suggestions) <= MAX_SUGGESTIONS
    assert "Vad gör Almi?" not in answer.suggestions  # never the question just answered
    for suggestion in answer.suggestions:
        assert suggestion in real_qa.composer.suggester.questions.values()
        assert real_qa.answer(suggestion).answered, suggestion


def test_actors_named_in_the_answer_come_first(real_qa) -> None:
    answer = real_qa.answer("Vad gör Almi?")
    assert answer.suggestions[0] == "Vad gör Arbetsförmedlingen?"  # named with Almi for the insatsområden


def test_declined_answers_suggest_nothing(real_qa) -> None:
    assert real_qa.answer("Hur lagar man köttbullar?").suggestions == []


def test_checked_suggestions_are_stored_with_the_index(real_qa, real_config) -> None:
    stored = real_config.index_dir.resolve() / "suggestions.json"
    assert stored.exists()
