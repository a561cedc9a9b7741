"""handlers.quality.evaluation: the dev-set scoring rules on hand-made answers."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

import bot
from handlers.model.answer import DECLINED, PARTIAL, Answer, Source
from handlers.model.context import Context
from handlers.quality import perturb
from handlers.quality.evaluation import (
    Case,
    Result,
    VariantResult,
    answer_matches,
    by_style,
    curve,
    evidence_rank,
    failures,
    lead,
    load_cases,
    metrics,
    normalise,
    outcomes,
    perturbation_metrics,
    report,
    run,
    run_variants,
    style_table,
    variant_failures,
)


def source(text: str, i: int = 0) -> Source:
    return Source(f"s-{i:03d}", "Aktörer > Almi", 27, text, 1.0)


def answer(
    text: str = "", answered: bool = True, retrieved: list[str] | None = None, outcome: str | None = None
) -> Answer:
    outcome = outcome or ("answered" if answered else DECLINED)
    return Answer("fråga", text, outcome, retrieved=[source(t, i) for i, t in enumerate(retrieved or [])])


def case(
    category: str = "role",
    evidence: list[str] | None = None,
    answer_any: list[list[str]] | None = None,
    id: str = "c1",
    style: str = "",
) -> Case:
    return Case(id, "Vad gör Almi?", category, evidence or [], answer_any or [], style=style)


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


def test_load_cases_reads_style_and_language(tmp_path):
    path = tmp_path / "dev_realistic.jsonl"
    rows = [
        {"id": "x1", "q": "vad gor almi", "cat": "role", "style": "typo"},
        {"id": "x2", "q": "What does Almi do?", "cat": "role", "style": "en", "lang": "en"},
        {"id": "x3", "q": "Vad gör Almi?", "cat": "role"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    cases = load_cases(path)
    assert [(c.style, c.lang) for c in cases] == [("typo", ""), ("en", "en"), ("", "")]


# --- outcomes and figures per style ---------------------------------------------------------------------


def test_outcomes_count_in_and_out_of_scope_apart():
    rs = [
        result(case(id="a"), answer("Almi ger lån."), 1),
        result(case(id="b"), answer("Planen säger inte.", outcome=PARTIAL), 1),
        result(case(id="c"), answer("", answered=False), None),
        result(case(id="d"), answer("Almi ger lån."), 1),
        result(case("out_of_scope", id="e"), answer("", outcome=PARTIAL), None),
    ]
    assert outcomes(rs) == {
        "outcomes_in_scope": "answered 2, partial 1, declined 1",
        "outcomes_out_of_scope": "answered 0, partial 1, declined 0",
    }
    assert outcomes([]) == {}


@pytest.fixture
def styled() -> list[Result]:
    groups, evidence = [["lån"]], ["lån"]
    return [
        result(case(evidence=evidence, answer_any=groups, id="n1", style="nat"), answer("lån"), 1),
        result(case(evidence=evidence, answer_any=groups, id="t1", style="typo"), answer("fel"), 5),
        result(case(evidence=evidence, answer_any=groups, id="n2", style="nat"), answer("", False), 2),
        result(case(answer_any=groups, id="t2", style="typo"), answer("lån"), None),
        result(case("out_of_scope", id="o1", style="oos"), answer("", False), None),
        result(case("out_of_scope", id="o2", style="oos"), answer("svar"), None),
        result(case("out_of_scope", id="o3", style="oos"), answer("", False), None),
    ]


def test_by_style_in_order_of_first_appearance(styled):
    nat, typo, oos = by_style(styled)
    assert [nat.style, typo.style, oos.style] == ["nat", "typo", "oos"]
    assert (nat.n, nat.answer_accuracy, nat.declined_correctly, nat.wrongly_declined) == (2, 0.5, None, 1)
    assert nat.hit_at_3 == 1.0
    assert (typo.n, typo.answer_accuracy, typo.wrongly_declined, typo.hit_at_3) == (2, 0.5, 0, 0.0)
    assert oos.n == 3 and oos.answer_accuracy is None and oos.hit_at_3 is None
    assert oos.declined_correctly == pytest.approx(2 / 3)


def test_by_style_is_empty_without_styles(results):
    assert by_style(results) == []
    assert style_table([]) == []


def test_style_table_one_row_per_style(styled):
    header, *rows = style_table(by_style(styled))
    assert header.split() == ["style", "n", "accuracy", "declined_ok", "wrongly_declined", "hit@3", "lead"]
    assert [row.split() for row in rows] == [
        ["nat", "2", "0.500", "-", "1", "1.000", "0.500"],
        ["typo", "2", "0.500", "-", "0", "0.000", "0.500"],
        ["oos", "3", "-", "0.667", "-", "-", "-"],
    ]
    assert not any(": " in line for line in [header, *rows])  # not taken for "name: value" lines


def test_the_lead_is_the_reply_before_its_extras() -> None:
    reply = "Almi ägs av staten.\n\nPlanen säger också:\n- Almi erbjuder lån (s. 27)\n\nKälla: Aktörer › Almi"
    assert lead(reply) == "Almi ägs av staten."
    assert lead("Almi ägs av staten.\n\nKällor: Aktörer › Almi, s. 27 · Kontakt") == "Almi ägs av staten."
    mentions = "Almi är ett bolag.\n\nPlanen tar också upp Almi här:\n- Exempelvis Almi (s. 19)"
    assert lead(mentions) == "Almi är ett bolag."


def test_the_lead_skips_a_framing_line_and_is_at_most_600_characters() -> None:
    assert lead("The plan says (in Swedish):\n\nAlmi ägs av staten.\n\nSource: Aktörer › Almi") == (
        "Almi ägs av staten."
    )
    assert lead("Listan:") == "Listan:"  # a colon line with nothing after it is the reply itself
    assert len(lead("ord " * 400)) == 600


def test_lead_accuracy_and_reply_lengths_are_reported(styled) -> None:
    figures = metrics(styled)
    assert figures["lead_accuracy"] == pytest.approx(2 / 4)
    # New lines come after the old ones, which other tools parse in order.
    assert list(figures)[-3:] == ["lead_accuracy", "reply_chars_p50", "reply_chars_p90"]
    assert figures["reply_chars_p50"] <= figures["reply_chars_p90"]


# --- perturbation ---------------------------------------------------------------------------------------


def test_run_variants_asks_single_questions_without_context():
    cases = [
        Case("d1.1", "Vad gör Handelskammaren?", "dialog", ["privat"], [["privat"]], "d1"),
        Case("s1", "Vilka insatsområden finns för arbetsgivare?", "action_area", ["lån"], [["lån"]]),
    ]
    asked: list[tuple[str, Context | None]] = []

    def ask(question: str, context: Context | None) -> Answer:
        asked.append((question, context))
        return answer("privat lån", retrieved=["lån"])

    results = run(cases, ask)
    asked.clear()
    variants = run_variants(results, ask)
    expected = perturb.variants("s1", cases[1].question)
    assert [(v.kind, v.result.case.question) for v in variants] == [(v.kind, v.text) for v in expected]
    assert all(v.original is results[1] for v in variants)  # the dialog turn is not perturbed
    assert asked == [(v.text, None) for v in expected]
    assert all(v.result.rank == 1 and v.result.case.id == "s1" for v in variants)


def test_a_seed_draws_other_variants_and_the_same_seed_the_same_ones():
    case = Case("s1", "Vilka insatsområden finns för arbetsgivare?", "action_area", ["lån"], [["lån"]])
    results = run([case], lambda question, context: answer("lån", retrieved=["lån"]))

    def drawn(seed: int) -> list[str]:
        return [v.result.case.question for v in run_variants(results, lambda q, c: answer("lån"), seed)]

    assert drawn(7) == drawn(7)
    assert {tuple(drawn(seed)) for seed in (0, 7, 8, 9)} != {tuple(drawn(0))}


def variant(kind: str, original: Result, passes: bool) -> VariantResult:
    c = original.case
    if c.in_scope:
        a = answer("Almi ger lån.") if passes else answer("", answered=False)
    else:
        a = answer("", answered=False) if passes else answer("Ett svar.")
    asked = Case(c.id, f"{kind}: {c.question}", c.category, c.evidence, c.answer_any)
    return VariantResult(kind, original, result(asked, a, 1 if passes else None))


@pytest.fixture
def perturbed() -> tuple[list[Result], list[VariantResult]]:
    groups, evidence = [["lån"]], ["lån"]
    a = result(case(evidence=evidence, answer_any=groups, id="a"), answer("Almi ger lån."), 1)
    b = result(case(evidence=evidence, answer_any=groups, id="b"), answer("Almi ger lån."), 1)
    c = result(case(evidence=evidence, answer_any=groups, id="c"), answer("Fel."), 1)
    o = result(case("out_of_scope", id="o"), answer("", answered=False), None)
    p = result(case("out_of_scope", id="p"), answer("Ett svar."), None)
    variants = [
        variant("typo1", a, True),
        variant("context", a, True),
        variant("typo1", b, True),
        variant("context", b, False),  # b breaks under context
        variant("typo1", c, True),
        variant("context", c, False),  # c failed in the original too: not a regression
        variant("typo1", o, True),
        variant("context", o, False),  # o answered once a sentence is put in front
        variant("typo1", p, False),
    ]
    return [a, b, c, o, p], variants


def test_perturbation_metrics(perturbed):
    results, variants = perturbed
    m = perturbation_metrics(results, variants)
    assert m["perturbed_questions"] == 9
    assert m["original_answer_accuracy"] == pytest.approx(2 / 3)
    assert m["perturbed_answer_accuracy"] == pytest.approx(4 / 6)
    assert m["perturbed_answer_accuracy_typo1"] == 1.0
    assert m["perturbed_answer_accuracy_context"] == pytest.approx(1 / 3)
    assert m["original_declined_correctly"] == 0.5
    assert m["perturbed_declined_correctly"] == pytest.approx(1 / 3)
    assert m["perturbed_declined_correctly_typo1"] == 0.5
    assert m["perturbed_declined_correctly_context"] == 0.0
    assert m["perturbed_hit@3"] == pytest.approx(4 / 6)
    # Of a and b (correct originally) only a stays correct under every variant; o, declined, does not stay so.
    assert m["consistency"] == 0.5
    assert m["consistency_declined"] == 0.0
    # Kinds come in perturb.KINDS order; kinds not asked are left out.
    kinds = [name.rsplit("_", 1)[-1] for name in m if name.startswith("perturbed_answer_accuracy_")]
    assert kinds == ["typo1", "context"]


def test_perturbation_metrics_without_out_of_scope_questions(perturbed):
    results, variants = perturbed
    inside = [v for v in variants if v.original.case.in_scope]
    m = perturbation_metrics(results[:3], inside)
    assert "original_declined_correctly" not in m and "perturbed_declined_correctly" not in m
    assert m["consistency_declined"] == "n/a"


def test_variant_failures_only_where_the_original_passed(perturbed):
    _, variants = perturbed
    lines = variant_failures(variants)
    assert [line.split(" ", 2)[:2] for line in lines] == [["b", "context"], ["o", "context"]]
    assert lines[0] == "b context 'context: Vad gör Almi?': evidence rank None; declined"
    assert lines[1].endswith(": answered an out-of-scope question")


def test_report_keeps_metrics_first_and_adds_lines_after(styled):
    lines = report(styled)
    names = [line.split(":")[0] for line in lines[: len(metrics(styled))]]
    assert names == list(metrics(styled))
    rest = lines[len(names) :]
    assert rest[0].startswith("outcomes_in_scope: ") and rest[1].startswith("outcomes_out_of_scope: ")
    assert [line.split(":")[0] for line in rest[2:5]] == [
        "asked_back_in_scope",
        "asked_back_answered_by_a_choice",
        "asked_back_out_of_scope",
    ]
    assert rest[5].split()[0] == "style" and len(rest) == 9  # header and three styles


def test_report_with_failures_and_variants(perturbed):
    results, variants = perturbed
    lines = report(results, variants, show_failures=True)
    misses = failures(results) + variant_failures(variants)
    assert lines[: len(misses)] == misses
    assert lines[len(misses)].startswith("questions: ")
    assert lines[-2:] == ["consistency: 0.500", "consistency_declined: 0.000"]
    assert not any(line.startswith("perturbed_") for line in report(results, show_failures=True))


def test_cmd_eval_perturbs_only_the_main_file(tmp_path, monkeypatch, capsys):
    main = tmp_path / "dev.jsonl"
    main.write_text(
        json.dumps({"id": "m1", "q": "Vilka insatsområden finns?", "cat": "fact", "answer_any": [["lån"]]})
        + "\n",
        encoding="utf-8",
    )
    dialogs = tmp_path / "dialogs.jsonl"
    dialogs.write_text(json.dumps({"id": "dd1", "turns": [{"q": "Vad gör Almi?", "answer_any": [["lån"]]}]}))
    asked: list[str] = []

    def ask(question: str, context: Context | None = None) -> Answer:
        asked.append(question)
        return answer("lån" if "insatsområden" in question else "fel")

    monkeypatch.setattr(bot, "_load_qa", lambda config: SimpleNamespace(answer=ask))
    assert bot.main(["eval", str(main), "--perturb", "--failures", "--dialogs", str(dialogs)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert asked[:2] == ["Vad gör Almi?", "Vilka insatsområden finns?"]
    assert len(asked) == 2 + len(perturb.variants("m1", "Vilka insatsområden finns?"))
    main_part = out[out.index(f"== {main}") + 1 :]
    # The variants that lose "insatsområden" (no å, a typo in it) fail where the original passed.
    assert main_part[0].startswith("m1 no_diacritics 'Vilka insatsomraden finns?': answer misses")
    assert "consistency: 0.000" in main_part
    assert "answer_accuracy: 1.000" in main_part and "original_answer_accuracy: 1.000" in main_part
    assert not any(line.startswith("perturbed_") for line in out[: out.index(f"== {main}")])


def test_curve_ignores_the_infinite_score_of_a_question_without_words() -> None:
    cases = [
        Case("a", "Vad gör Almi?", "role"),
        Case("b", "a", "out_of_scope"),
        Case("c", "Vädret?", "out_of_scope"),
    ]
    scores = {"Vad gör Almi?": 2.0, "a": float("-inf"), "Vädret?": -1.0}
    lines = curve(cases, scores.__getitem__, steps=3)
    assert lines[0].startswith("curve: threshold")
    assert [line.split()[1] for line in lines[1:]] == ["-1.000", "0.500", "2.000"]
    assert lines[-1].split()[2:] == ["0", "0"]  # at the top score nothing in scope is declined, nothing off
