"""handlers.evaluation: the dev-set scoring rules on hand-made answers."""

from __future__ import annotations

import json

import pytest

from handlers.answer_types import Answer, Source
from handlers.dialogue import Context
from handlers.evaluation import (
    Case,
    Result,
    answer_matches,
    evidence_rank,
    failures,
    load_cases,
    metrics,
    normalise,
    run,
)


def source(text: str, i: int = 0) -> Source:
    return Source(f"s-{i:03d}", "Aktörer > Almi", 27, text, 1.0)


def answer(text: str = "", answered: bool = True, retrieved: list[str] | None = None) -> Answer:
    return Answer("fråga", text, answered, retrieved=[source(t, i) for i, t in enumerate(retrieved or [])])


def case(
    category: str = "role",
    evidence: list[str] | None = None,
    answer_any: list[list[str]] | None = None,
    id: str = "c1",
) -> Case:
    return Case(id, "Vad gör Almi?", category, evidence or [], answer_any or [])


# --- normalise, evidence_rank, answer_matches ----------------------------------------------------------


def test_normalise_lower_cases_and_collapses_whitespace():
    assert normalise("  Almi   Företagspartner\n\tAB  ") == "almi företagspartner ab"


def test_normalise_joins_hyphenated_line_breaks():
    assert normalise("Kompetens-\nförsörjning") == "kompetensförsörjning"
    assert normalise("kompetens- \n  försörjning") == "kompetensförsörjning"


def test_normalise_keeps_hyphen_without_line_break():
    assert normalise("HR-avdelning och vård- och omsorg") == "hr-avdelning och vård- och omsorg"


def test_evidence_rank_is_one_based_rank_of_first_match():
    a = answer(
        retrieved=["Något annat.", "Om banker.", "Almi Företagspartner AB ägs av staten.", "ägs av staten"]
    )
    assert evidence_rank(a, ["ägs av staten"]) == 3


def test_evidence_rank_matches_any_phrase_after_normalising_both_sides():
    a = answer(retrieved=["Text", "Arbetet med kompetens-\nförsörjning   i LÄNET"])
    assert evidence_rank(a, ["finns inte", "Kompetensförsörjning i länet"]) == 2


def test_evidence_rank_none_when_missing_or_beyond_k():
    texts = [f"avsnitt {i}" for i in range(12)] + ["ägs av staten"]
    a = answer(retrieved=texts)
    assert evidence_rank(a, ["ägs av staten"]) is None  # rank 13, beyond the first 10
    assert evidence_rank(a, ["ägs av staten"], k=13) == 13
    assert evidence_rank(answer(retrieved=[]), ["ägs av staten"]) is None


def test_evidence_rank_with_no_evidence_is_none():
    assert evidence_rank(answer(retrieved=["text"]), []) is None


def test_answer_matches_every_group_needs_one_option():
    text = "Almi erbjuder lån och affärsutveckling till företag."
    assert answer_matches(text, [["lån", "kredit"], ["AFFÄRSUTVECKLING"]])
    assert not answer_matches(text, [["lån"], ["riskkapital", "ägarkapital"]])


def test_answer_matches_no_groups_is_true():
    assert answer_matches("vad som helst", [])


def test_answer_matches_numbers_as_options():
    assert answer_matches("Almi har 16 dotterbolag.", [[16, "sexton"]])


# --- Result.correct and metrics ------------------------------------------------------------------------


def result(c: Case, a: Answer, rank: int | None, seconds: float = 0.1) -> Result:
    return Result(c, a, seconds, rank)


def test_result_correct_needs_answered_and_match():
    c = case(answer_any=[["lån"]])
    assert result(c, answer("Almi erbjuder lån."), 1).correct
    assert not result(c, answer("Almi erbjuder lån.", answered=False), 1).correct
    assert not result(c, answer("Almi erbjuder rådgivning."), 1).correct


@pytest.fixture
def results() -> list[Result]:
    groups = [["lån"]]
    evidence = ["almi erbjuder lån"]
    return [
        result(
            case(evidence=evidence, answer_any=groups, id="a"), answer("Almi ger lån."), 1, 0.010
        ),  # hit@1, correct
        result(
            case(evidence=evidence, answer_any=groups, id="b"), answer("Almi ger råd och lån."), 2, 0.020
        ),  # hit@3, correct
        result(
            case(evidence=evidence, answer_any=groups, id="c"), answer("Fel svar här."), 4, 0.030
        ),  # hit@5, wrong
        result(
            case(evidence=evidence, answer_any=groups, id="d"), answer("", answered=False), None, 0.040
        ),  # declined
        result(case("out_of_scope", id="e"), answer("", answered=False), None, 0.050),  # declined correctly
        result(case("out_of_scope", id="f"), answer("Ett svar."), None, 0.060),  # answered: wrong
    ]


def test_retrieval_is_scored_only_where_evidence_is_given(results):
    unscored = result(case(answer_any=[["lån"]], id="g"), answer("Almi ger lån."), None, 0.01)
    assert metrics([*results, unscored])["hit@1"] == pytest.approx(1 / 4)


def test_metrics(results):
    m = metrics(results)
    assert m["questions"] == 6
    assert m["hit@1"] == pytest.approx(1 / 4)
    assert m["hit@3"] == pytest.approx(2 / 4)
    assert m["hit@5"] == pytest.approx(3 / 4)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 2 + 1 / 4) / 4)
    assert m["answer_accuracy"] == pytest.approx(2 / 4)
    assert m["declined_correctly"] == pytest.approx(1 / 2)
    assert m["out_of_scope"] == 2
    assert m["wrongly_declined"] == 1
    # Answered in-scope answers: 13, 21 and 13 characters.
    assert m["median_answer_chars"] == 13
    assert m["latency_p50_ms"] == pytest.approx(30.0)
    assert m["latency_p95_ms"] == pytest.approx(60.0)


def test_metrics_median_of_even_count():
    rs = [
        result(case(id="a"), answer("abcd"), 1),
        result(case(id="b"), answer("abcdefgh"), 1),
    ]
    assert metrics(rs)["median_answer_chars"] == 6


def test_metrics_latency_percentiles_on_odd_count():
    rs = [result(case(id=str(i)), answer("x"), 1, seconds) for i, seconds in enumerate([0.03, 0.01, 0.02])]
    m = metrics(rs)
    assert m["latency_p50_ms"] == pytest.approx(20.0)
    assert m["latency_p95_ms"] == pytest.approx(30.0)


def test_metrics_empty_and_only_out_of_scope():
    empty = metrics([])
    assert empty["questions"] == 0
    assert empty["hit@1"] == 0.0 and empty["mrr@10"] == 0.0 and empty["answer_accuracy"] == 0.0
    assert empty["median_answer_chars"] == 0 and empty["latency_p50_ms"] == 0.0

    only_out = metrics([result(case("out_of_scope"), answer("", answered=False), None)])
    assert only_out["declined_correctly"] == 1.0
    assert only_out["hit@1"] == 0.0 and only_out["wrongly_declined"] == 0


# --- run, failures, load_cases -------------------------------------------------------------------------


def test_run_scores_evidence_only_for_in_scope_cases():
    cases = [
        case(evidence=["ägs av staten"], answer_any=[["staten"]], id="in"),
        Case("out", "Hur lagar man köttbullar?", "out_of_scope", ["ägs av staten"], []),
    ]
    asked: list[tuple[str, Context | None]] = []

    def ask(question: str, context: Context | None) -> Answer:
        asked.append((question, context))
        return answer("Almi ägs av staten.", retrieved=["Inget.", "Almi ägs av staten."])

    results = run(cases, ask)
    assert [r.rank for r in results] == [2, None]
    assert results[0].correct
    assert all(r.seconds >= 0 for r in results)
    # Questions outside a dialog are asked without context.
    assert asked == [("Vad gör Almi?", None), ("Hur lagar man köttbullar?", None)]


def test_run_passes_context_within_a_dialog_only():
    cases = [
        Case("d1.1", "Vad gör Handelskammaren?", "dialog", [], [], "d1"),
        Case("d1.2", "Är de privata?", "dialog", ["privat"], [["privat"]], "d1"),
        Case("d2.1", "Vad gör REKO?", "dialog", [], [], "d2"),
        Case("single", "Vad gör Almi?", "role", ["staten"], [["staten"]]),
    ]
    seen: list[Context | None] = []

    def ask(question: str, context: Context | None) -> Answer:
        seen.append(context)
        a = answer(f"Svar på {question} privat staten", retrieved=["privat", "staten"])
        a.context = Context(question=question, topic=question.split()[-1])
        return a

    results = run(cases, ask)
    assert seen[0] is None  # a dialog starts afresh
    assert seen[1] is not None and seen[1].question == "Vad gör Handelskammaren?"
    assert seen[2] is None  # a new dialog does not inherit the previous one's context
    assert seen[3] is None
    # Turns without expectations only set the scene: they are not scored.
    assert [r.case.id for r in results] == ["d1.2", "single"]
    assert [r.rank for r in results] == [1, 2]


def test_failures_lists_only_misses(results):
    lines = failures(results)
    ids = [line.split(" ", 1)[0] for line in lines]
    assert ids == ["c", "d", "f"]
    assert "evidence rank 4" in lines[0] and "answer misses" in lines[0]
    assert "declined" in lines[1]
    assert "answered an out-of-scope question" in lines[2]


def test_load_cases(tmp_path):
    path = tmp_path / "dev.jsonl"
    rows = [
        {
            "id": "r1",
            "q": "Vad gör Almi?",
            "cat": "role",
            "evidence": ["ägs av staten"],
            "answer_any": [["lån", "kredit"]],
            "lang": "sv",
        },
        {"id": "o1", "q": "Hur lagar man köttbullar?", "cat": "out_of_scope"},
        {"id": "m1", "q": "Utan kategori"},
    ]
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows[:2])
        + "\n\n   \n"
        + json.dumps(rows[2])
        + "\n",
        encoding="utf-8",
    )
    cases = load_cases(path)
    assert [c.id for c in cases] == ["r1", "o1", "m1"]
    first = cases[0]
    assert first.question == "Vad gör Almi?"
    assert first.category == "role" and first.in_scope
    assert first.evidence == ["ägs av staten"]
    assert first.answer_any == [["lån", "kredit"]]
    assert not cases[1].in_scope
    assert cases[1].evidence == [] and cases[1].answer_any == []
    assert cases[2].category == "" and cases[2].in_scope


def test_load_cases_dialog_rows_give_one_case_per_turn(tmp_path):
    path = tmp_path / "dev_dialogs.jsonl"
    row = {
        "id": "dd1",
        "turns": [
            {"q": "Vad gör Handelskammaren Mälardalen?"},
            {
                "q": "Är de offentliga eller privata?",
                "evidence": ["oberoende privat"],
                "answer_any": [["privat"]],
            },
        ],
    }
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    first, second = load_cases(path)
    assert (first.id, second.id) == ("dd1.1", "dd1.2")
    assert first.dialog == second.dialog == "dd1"
    assert first.category == "dialog" and first.in_scope
    assert not first.scored and second.scored
    assert second.evidence == ["oberoende privat"] and second.answer_any == [["privat"]]


def test_single_questions_are_always_scored():
    assert case().scored
    assert case("out_of_scope").scored


def test_list_completeness():
    full = result(case(answer_any=[["a1"], ["b1"]], id="x"), answer("a1 b1"), 1)
    half = result(case(answer_any=[["a2"], ["b2", "c2"], ["d2"], ["e2"]], id="y"), answer("a2 C2"), 1)
    single = result(case(answer_any=[["zzz"]], id="z"), answer("nothing"), 1)  # one group: not a list
    assert metrics([full, half, single])["list_completeness"] == pytest.approx((1.0 + 0.5) / 2)
    assert metrics([single])["list_completeness"] == 1.0
