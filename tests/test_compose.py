"""Answer composition and declining, on the real engine and the real plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handlers.compose import in_scope, markdown_escape
from handlers.evaluation import answer_matches
from index.search import Hit, QueryTerms

HELDOUT = Path(__file__).parent / "data" / "heldout.jsonl"


def heldout(category: str | None = None, outside: bool = False) -> list[dict]:
    rows = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if (r["cat"] == "out_of_scope") == outside]


def test_fact_answer_quotes_the_plan_and_cites_section_and_page(real_qa) -> None:
    answer = real_qa.answer("Vem äger Almi?")
    assert answer.answered
    assert "Almi Företagspartner AB ägs av staten" in answer.text
    assert answer.sources[0].section == "Aktörer > Almi"
    assert isinstance(answer.sources[0].page, int)
    assert answer.text.rstrip().endswith(f"Källa: Aktörer › Almi, s. {answer.sources[0].page}")


def test_answer_sentences_come_from_the_cited_passages(real_qa) -> None:
    answer = real_qa.answer("Varför står vård och omsorg inför dubbla utmaningar?")
    body = answer.text.split("\n\nKäll")[0]
    cited = " ".join(s.text for s in answer.sources)
    for sentence in body.replace("**", "").split(". "):
        assert sentence.strip(" .\n") in cited


@pytest.mark.parametrize("row", heldout(outside=True), ids=lambda r: r["id"])
def test_out_of_scope_questions_are_declined_with_the_contact(real_qa, row) -> None:
    answer = real_qa.answer(row["q"])
    assert not answer.answered, answer.text
    assert answer.sources == []
    assert "019-602 70 00" in answer.text  # the region's contact, taken from the plan's Kontakt section


def test_heldout_in_scope_questions_are_answered_correctly(real_qa) -> None:
    rows = heldout()
    answers = {r["id"]: real_qa.answer(r["q"]) for r in rows}
    wrong = [
        r["id"]
        for r in rows
        if not (answers[r["id"]].answered and answer_matches(answers[r["id"]].text, r["answer_any"]))
    ]
    # Held-out questions of our own, not the dev set: allow one miss, as the dev bar does.
    assert len(wrong) <= 1, wrong


def test_decline_in_english_for_english_questions(real_qa) -> None:
    answer = real_qa.answer("What is the capital of Australia?")
    assert not answer.answered
    assert answer.text.startswith("I'm sorry")
    assert answer.lang == "en"


def test_english_question_gets_english_framing_around_swedish_words(real_qa) -> None:
    answer = real_qa.answer("Who owns Almi?")
    assert answer.answered and answer.lang == "en"
    assert answer.text.startswith("The plan says (in Swedish):")
    assert "ägs av staten" in answer.text
    assert "\n\nSource: Aktörer › Almi" in answer.text


def test_list_question_gets_the_whole_list(real_qa) -> None:
    answer = real_qa.answer("Vilka insatsområden finns för arbetsgivare?")
    items = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert len(items) == 6
    assert items[0] == "- Strukturer för arbetsgivares arbete med strategisk kompetensförsörjning"


def test_list_of_subsections_for_a_list_question(real_qa) -> None:
    answer = real_qa.answer("Vilka aktörer listas i planen?")
    items = [line[2:] for line in answer.text.splitlines() if line.startswith("- ")]
    assert len(items) == 19
    assert items[0] == "Almi" and items[-1] == "Örebro universitet"


def test_retrieved_passages_are_at_least_five_and_best_first(real_qa) -> None:
    answer = real_qa.answer("Vad är Fredagsakademin?")
    assert len(answer.retrieved) >= 5
    scores = [s.score for s in answer.retrieved]
    assert scores == sorted(scores, reverse=True)
    assert answer.sources[0].id in {s.id for s in answer.retrieved}


def test_json_contract(real_qa) -> None:
    data = real_qa.answer("Vad gör Almi?").to_json()
    assert set(data) == {"question", "answer", "answered", "sources", "retrieved", "suggestions"}
    assert set(data["sources"][0]) == {"id", "section", "page", "text", "score"}
    json.dumps(data)  # serialisable as it is


def test_huge_input_is_cut_and_still_answered(real_qa) -> None:
    answer = real_qa.answer("Vad gör Almi? " + "bla " * 10_000)
    assert len(answer.question) <= 2000


def test_markdown_escape_keeps_footnote_asterisks_literal() -> None:
    assert markdown_escape("Personal- och HR*") == "Personal- och HR\\*"


def _hit(dense: float) -> Hit:
    return Hit(0, None, 0.0, dense, 0.0)  # type: ignore[arg-type]


def test_in_scope_rule() -> None:
    strong, middling, weak = _hit(0.90), _hit(0.83), _hit(0.80)
    assert in_scope([strong], QueryTerms([], 0.0), "sv")
    assert in_scope([middling], QueryTerms([], 1.0), "sv")
    assert not in_scope([middling], QueryTerms([], 0.2), "sv")
    assert not in_scope([weak], QueryTerms([], 1.0), "sv")
    assert not in_scope([], QueryTerms([], 1.0), "sv")
