"""Complete lists from the plan's structure."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.composing.strategies.listing import StructuralLists
from index.knowledge import load_document, parse_markdown
from index.text import Decompounder, content_tokens, tokens

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lists() -> StructuralLists:
    text = (ROOT / "knowledge" / "handlingsplan.md").read_text(encoding="utf-8")
    document = load_document(ROOT / "knowledge" / "handlingsplan.md")
    return StructuralLists(document, Decompounder(tokens(text)))


def find(lists: StructuralLists, question: str) -> list[str]:
    return [entry.section.name for entry in lists.find(content_tokens(question))]


def test_strategic_directions(lists: StructuralLists) -> None:
    (entry,) = lists.find(content_tokens("Vilka är de strategiska inriktningarna?"))
    assert entry.items == (
        "Möt arbetskraftsefterfrågan i bristyrken och regionala styrkeområden",
        "Förbättra arbetsgivarnas strategiska kompetensförsörjningsarbete",
        "Riv hinder för utsatta grupper på arbetsmarknaden",
    )


def test_actors_are_the_sub_sections(lists: StructuralLists) -> None:
    (entry,) = lists.find(content_tokens("Vilka aktörer finns?"))
    assert len(entry.items) == 19
    assert "Personal- och HR" in entry.items  # footnote marks dropped


def test_insatsomraden_for_employers_only(lists: StructuralLists) -> None:
    assert find(lists, "Vilka insatsområden finns för arbetsgivare?") == [
        "Förbättra arbetsgivarnas strategiska arbete > Insatsområden"
    ]


def test_insatsomraden_of_both_directions(lists: StructuralLists) -> None:
    both = [
        "Möt arbetskraftsefterfrågan i bristyrken och regionala styrkeområden > Insatsområden",
        "Förbättra arbetsgivarnas strategiska arbete > Insatsområden",
    ]
    assert find(lists, "Vilka insatsområden finns?") == both
    assert (
        find(lists, "Vilka insatsområden leder utbildningsaktörerna, och vilka leder arbetsgivarna?") == both
    )


def test_list_with_its_lead_in_names_the_actors(lists: StructuralLists) -> None:
    (entry,) = lists.find(content_tokens("Vilka insatsområden finns för arbetsgivare?"))
    assert "Almi" in entry.lead
    assert len(entry.items) == 6
    assert entry.items[0] == "Strukturer för arbetsgivares arbete med strategisk kompetensförsörjning"


def test_goals_and_priority_areas(lists: StructuralLists) -> None:
    (goals,) = lists.find(content_tokens("Vilka är de övergripande målen i RUS?"))
    assert goals.items == ("Stark konkurrenskraft", "Hög och jämlik livskvalitet", "God resurseffektivitet")
    (areas,) = lists.find(content_tokens("Vilka prioriterade områden finns?"))
    assert len(areas.items) == 10


def test_a_named_chapters_list_need_not_be_named_whole(lists: StructuralLists) -> None:
    # The summary has a list per strategic direction; the question names one by a few of its heading's words.
    question = "Vilka insatsområden nämns i sammanfattningen för arbetsgivarnas strategiska arbete?"
    words = content_tokens(question)
    (entry,) = lists.find_in("Sammanfattning", words)
    assert entry.section.name.startswith("Sammanfattning > Förbättra arbetsgivarnas")
    assert "Validering som del i rekrytering och kompetensutveckling." in entry.items


def test_a_chapters_own_name_picks_none_of_its_lists(lists: StructuralLists) -> None:
    # "aktörerna" names the Aktörer chapter: it says where to look, not which of its lists is asked for.
    assert lists.find_in("Aktörer", content_tokens("Behöver aktörerna bidra med egna resurser?")) == []
    assert lists.find_in("Sammanfattning", content_tokens("Vad står i sammanfattningen?")) == []


def test_a_specific_question_is_not_a_list_question(lists: StructuralLists) -> None:
    assert find(lists, "Vilka aktörer organiseras av Länsbildningsförbundet?") == []
    assert find(lists, "Vad är klockan?") == []


def test_lists_follow_the_document(tmp_path: Path) -> None:
    document = parse_markdown("# P\n\n## Mål\n\nVi har mål.\n\n- Ett\n- Två\n\n## Annat\n\nText.\n")
    lists = StructuralLists(document, Decompounder(["mål", "ett", "två"]))
    (entry,) = lists.find(["målen"])
    assert entry.items == ("Ett", "Två") and entry.lead == "Vi har mål."
