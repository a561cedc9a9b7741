"""The actor directory: actors from the Aktörer chapter, found by name, abbreviation or alias."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.understanding.actors import ActorDirectory
from index.knowledge import load_document, parse_markdown

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def actors() -> ActorDirectory:
    document = load_document(ROOT / "knowledge" / "handlingsplan.md")
    return ActorDirectory.from_document(document, ROOT / "knowledge" / "aliases_sv.tsv")


def test_every_actor_of_the_chapter_is_known(actors: ActorDirectory) -> None:
    assert len(actors.actors) == 19
    assert actors.actors[0].name == "Almi" and actors.actors[-1].name == "Örebro universitet"
    assert all(a.section.startswith("Aktörer > ") for a in actors.actors)


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("Vad gör BRO?", "Business Region Örebro"),  # abbreviation in parentheses in the plan
        ("Vad gör REKO?", "REKO - Region Örebro län - samverkan kommunal vuxenutbildning"),  # before " - "
        ("Vad gör Gysam?", "Gysam - Region Örebro län - samverkan gymnasieskolan"),
        ("Vad gör AF?", "Arbetsförmedlingen"),  # aliases file
        ("Vilken roll har universitetet?", "Örebro universitet"),
        ("Vad förväntas av oss som kommun?", "Länets kommuner"),
        ("Vad ska kommunerna göra?", "Länets kommuner"),
        ("Vad gör regionen?", "Region Örebro län"),
        ("Vad gör Länsstyrelsen?", "Länsstyrelsen Örebro"),
        ("Är folkhögskolorna bundna av läroplaner?", "Folkhögskolor"),
        ("Vad är Vård- och omsorgscollege?", "Vård och omsorgscollege"),  # the hyphen people write
        ("Vad gör Yrkesutbildningscenter?", "Yrkesutbildningscenter, Örebro kommun"),
    ],
)
def test_actor_found_by_name_or_alias(actors: ActorDirectory, question: str, name: str) -> None:
    assert [a.name for a in actors.find(question)] == [name]


def test_longest_name_wins(actors: ActorDirectory) -> None:
    # "Region Örebro län" inside a longer actor name is not a second actor.
    assert [a.name for a in actors.find("Vad gör Business Region Örebro?")] == ["Business Region Örebro"]


def test_no_actor_in_an_ordinary_question(actors: ActorDirectory) -> None:
    assert actors.find("Vilka är de övergripande målen i RUS?") == []
    assert actors.find("regionala utvecklingsstrategin") == []  # "regionala" is not "regionen"


def test_several_actors_in_order(actors: ActorDirectory) -> None:
    names = [a.short_name for a in actors.find("Samarbetar Almi och AF?")]
    assert names == ["Almi", "Arbetsförmedlingen"]


def test_span_is_where_the_actor_is_named(actors: ActorDirectory) -> None:
    question = "Vad gör Handelskammaren idag?"
    start, end = actors.span(question)
    assert question[start:end] == "Handelskammaren"
    assert actors.span("Vad är klockan?") is None


def test_term_aliases_expand_to_the_plans_words(actors: ActorDirectory) -> None:
    assert actors.expand("Vad säger planen om YH?") == "Yrkeshögskolan"
    assert actors.find("Vad säger planen om YH?") == []


def test_topic_words_point_to_their_chapter(actors: ActorDirectory) -> None:
    assert actors.topic("Hur kan vi finansiera ett projekt?") == "Finansiering"
    assert actors.topic("Finns det pengar att söka?") == "Finansiering"
    assert actors.topic("Vad gör Almi?") is None


def test_actors_come_from_the_document_not_from_code(tmp_path: Path) -> None:
    document = parse_markdown(
        "# Plan\n\n## Aktörer\n\n### Nya Bolaget\n\nNya Bolaget (NB) gör saker.\n\n### Skolverket\n\nText.\n"
    )
    directory = ActorDirectory.from_document(document, tmp_path / "missing.tsv")
    assert [a.name for a in directory.actors] == ["Nya Bolaget", "Skolverket"]
    assert [a.name for a in directory.find("Vad gör NB?")] == ["Nya Bolaget"]


@pytest.mark.parametrize(
    "question", ["Vad gör Arbetsförmedlingen?", "vad gor arbetsformedlingen", "VAD GÖR ARBETSFÖRMEDLINGEN?"]
)
def test_span_finds_a_name_with_or_without_diacritics(actors: ActorDirectory, question: str) -> None:
    start, end = actors.span(question)
    assert question[start:end].lower() in ("arbetsförmedlingen", "arbetsformedlingen")
