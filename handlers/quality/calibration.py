"""Figures on the corpus that measure unseen questions: the ask-back threshold's calibration curve
(`bot.py eval --ask-back-curve`), the scope decision's fit and curve (`bot.py eval --scope-curve`) and the
corpus's figures per style (`bot.py eval --corpus-cv`).

Each corpus batch is answered with the memory of the other batches only (composing/memory.py), so a figure
measures questions the memory has not seen, as unseen traffic is. Per band of the composer's standout (how far
the best sentence leads the fifth best): how many in-scope questions were answered, the share whose lead held
the answer, and how many off-topic questions got plan text. ASK_BACK_GAP is set where the lead stops being
right more often than about one time in five.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handlers.composing.memory import Memory, corpus_rows
from handlers.engine.qa import QA
from handlers.model.answer import DECLINED
from handlers.quality.evaluation import Case, Result, answer_matches, lead, run
from handlers.wording.render import markdown

EDGES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5)


@dataclass(frozen=True)
class Point:
    standout: float
    in_scope: bool
    answered: bool
    shown: bool  # plan text shown (answered, or partial)
    lead_correct: bool


def measure(qa: QA, corpus_dir: Path) -> list[Point]:
    """Every corpus question answered (never asked back) with the other batches' memory."""
    points: list[Point] = []
    gap = qa.composer.ask_back_gap
    try:
        qa.composer.ask_back_gap = 0.0  # the answers themselves, to see how often their lead is right
        for rows in held_out(qa, corpus_dir):
            points += [_point(qa, row) for row in rows]
    finally:
        qa.composer.ask_back_gap = gap
    return points


def cross_validated(qa: QA, corpus_dir: Path) -> list[Result]:
    """`bot.py eval --corpus-cv`: the corpus answered as the engine answers, each batch with the memory of
    the others, so that the figures measure questions the memory has not seen."""
    results: list[Result] = []
    for rows in held_out(qa, corpus_dir):
        results += run([_case(row) for row in rows], qa.answer)
    return results


def held_out(qa: QA, corpus_dir: Path) -> Iterator[list[dict]]:
    """Each corpus batch in turn, while the engine's memory holds the other batches only (restored after)."""
    batches = {p.stem: _rows(p) for p in sorted(corpus_dir.glob("*.jsonl"))}
    known, vectors = corpus(qa, corpus_dir)
    table = dict(zip([r["q"] for r in known], vectors, strict=True))
    stored = qa.searcher.stored
    kept = qa.composer.memory
    try:
        for name, rows in batches.items():
            others = [r for r in known if r["batch"] != name]
            lookup = lambda questions: np.vstack([table[q] for q in questions])  # noqa: E731
            dimension = stored.sentence_vectors.shape[1]
            qa.composer.memory = Memory.build(others, stored.sentences, dimension, lookup)
            yield rows
    finally:
        qa.composer.memory = kept


def corpus(qa: QA, corpus_dir: Path) -> tuple[list[dict], np.ndarray]:
    """The corpus's questions (in scope with gold, and off topic) and their vectors."""
    rows = corpus_rows(corpus_dir)
    return rows, qa.embed_questions([r["q"] for r in rows])


@dataclass(frozen=True)
class ScopePoint:
    batch: str
    lang: str
    in_scope: bool
    score: float  # the answerability score (answerability.evidence)
    share: float  # of the nearest corpus questions of the other batches, the share about the plan


def scope_points(qa: QA, corpus_dir: Path) -> list[ScopePoint]:
    """Every corpus question's scope evidence, its neighbours taken from the other batches only."""
    points = []
    for rows in held_out(qa, corpus_dir):
        for row in rows:
            evidence = qa.judge(row["q"])
            share = evidence.in_scope_share if evidence.in_scope_share is not None else 1.0
            in_scope = row.get("cat") != "out_of_scope"
            points.append(ScopePoint(row["batch"], row.get("lang", "sv"), in_scope, evidence.score, share))
    return points


def fit_scope(points: list[ScopePoint]) -> tuple[float, float, float, np.ndarray]:
    """Logistic regression of in scope on (score, share): its weights and intercept fitted on every point,
    and each point's logit from the fit without its batch (batch-grouped cross-validation)."""
    from sklearn.linear_model import LogisticRegression  # the quality tooling's; the engine reads the weights

    features = np.array([[max(p.score, SCORE_FLOOR), p.share] for p in points])
    labels = np.array([p.in_scope for p in points])
    batches = np.array([p.batch for p in points])
    held = np.zeros(len(points))
    for batch in np.unique(batches):
        out = batches == batch
        model = LogisticRegression(C=1.0).fit(features[~out], labels[~out])
        held[out] = model.decision_function(features[out])
    model = LogisticRegression(C=1.0).fit(features, labels)
    return float(model.coef_[0][0]), float(model.coef_[0][1]), float(model.intercept_[0]), held


SCORE_FLOOR = -20.0  # a question with no word that means anything scores -inf: declined whatever else
FLOORS = (-0.25, -0.5, -1.0, -1.5)
LOGITS = (-2.0, -1.0, 0.0)


def scope_curve(points: list[ScopePoint]) -> list[str]:
    """The fit, then per rule (the score at or above a floor, and the logit at or above a threshold): the
    questions about the plan declined and the off-topic ones let through, per language."""
    w_score, w_share, bias, held = fit_scope(points)
    lines = [f"fit: SCOPE_W_SCORE = {w_score:.3f}, SCOPE_W_SHARE = {w_share:.3f}, SCOPE_BIAS = {bias:.3f}"]
    lines.append("rule                         declined in scope (sv, en)  let through off topic (sv, en)")
    score = np.array([p.score for p in points])
    in_scope = np.array([p.in_scope for p in points])
    english = np.array([p.lang == "en" for p in points])
    rules = [(f"score >= {THRESHOLD_NOW}", score >= THRESHOLD_NOW)]
    rules += [(f"score >= {f} & logit >= {t}", (score >= f) & (held >= t)) for f in FLOORS for t in LOGITS]
    for name, passes in rules:
        counts = []
        for wanted in (True, False):
            for lang in (~english, english):
                chosen = lang & (in_scope == wanted)
                wrong = (~passes if wanted else passes) & chosen
                counts.append(f"{int(wrong.sum())}/{int(chosen.sum())}")
        lines.append(f"{name:28} {counts[0]:>10} {counts[1]:>8}  {counts[2]:>18} {counts[3]:>8}")
    return lines


THRESHOLD_NOW = -0.25  # the score's own threshold before the neighbours (answerability.THRESHOLD)


def _case(row: dict) -> Case:
    return Case(
        id=row["id"],
        question=row["q"],
        category=row.get("cat", ""),
        evidence=row.get("evidence", []),
        answer_any=row.get("answer_any", []),
        style=row.get("style", ""),
        lang=row.get("lang", ""),
    )


def _point(qa: QA, row: dict) -> Point:
    answer = qa.answer(row["q"])
    in_scope = row.get("cat") != "out_of_scope"
    right = in_scope and answer.answered and answer_matches(lead(markdown(answer)), row["answer_any"])
    return Point(qa.standout(row["q"]), in_scope, answer.answered, answer.outcome != DECLINED, right)


def curve(points: list[Point]) -> list[str]:
    lines = ["standout        answered  lead right  off topic with plan text"]
    bounds = [*EDGES, float("inf")]
    for low, high in zip(bounds, bounds[1:], strict=False):
        band = [p for p in points if low <= p.standout < high]
        answered = [p for p in band if p.in_scope and p.answered]
        right = sum(p.lead_correct for p in answered) / len(answered) if answered else float("nan")
        outside = sum(not p.in_scope and p.shown for p in band)
        lines.append(f"[{low:.1f}, {high:.1f})  {len(answered):>9}  {right:>10.2f}  {outside:>24}")
    return lines


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
