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


def test_headings_are_cased_by_where_their_words_stand_in_the_plan() -> None:
    """A heading's first words are a name when the plan writes them capitalised inside sentences and never
    in lower case; looked up where the word stands, so the check grows with the plan, not its square."""
    from handlers.composing.suggestions import _Casing
    from index.knowledge import Block, Document, Section

    text = "Arbetet leds av Region Örebro län. Länets kommuner samverkar, och länets kommuner har ansvar."
    section = Section(("Om",), 1, [Block("paragraph", (text,), 1)])
    casing = _Casing(Document("Plan", [section]))
    assert casing.in_sentence("Region Örebro län") == "Region Örebro län"
    assert casing.in_sentence("Länets kommuner") == "länets kommuner"
    assert casing.in_sentence("Finansiering") == "finansiering"


def test_the_scale_bench_repeats_the_plan_with_sections_of_their_own() -> None:
    from handlers.quality.scalebench import repeated

    plan = "# Planen\n\n## Förord\n\nText.\n\n### Mål\n\nMer text.\n"
    tripled = repeated(plan, 3)
    assert tripled.count("# Planen") == 1 and tripled.count("Text.") == 3
    assert "## Förord (del 2)" in tripled and "### Mål (del 3)" in tripled


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
