"""The scope decision's fit (handlers/quality/calibration.py, `bot.py eval --scope-curve`): a logistic
regression of in scope on the answerability score and the neighbours' share, each batch scored by the fit
without it."""

from __future__ import annotations

import numpy as np

from handlers.quality.calibration import ScopePoint, fit_scope, scope_curve


def _points() -> list[ScopePoint]:
    rng = np.random.default_rng(7)
    points = []
    for batch in ("c1", "c2", "c3"):
        for n in range(40):
            in_scope = n % 4 != 0
            share = float(np.clip(rng.normal(0.8 if in_scope else 0.2, 0.15), 0, 1))
            score = float(rng.normal(0.5 if in_scope else -0.5, 0.8))
            points.append(ScopePoint(batch, "en" if n % 5 == 0 else "sv", in_scope, score, share))
    return points


def test_the_fit_weighs_both_and_scores_each_batch_without_it() -> None:
    points = _points()
    w_score, w_share, _, held = fit_scope(points)
    assert w_score > 0 and w_share > 0
    assert held.shape == (len(points),)
    labels = np.array([p.in_scope for p in points])
    assert held[labels].mean() > held[~labels].mean()


def test_the_curve_prints_the_fit_and_a_line_per_rule() -> None:
    lines = scope_curve(_points())
    assert lines[0].startswith("fit: SCOPE_W_SCORE = ")
    assert any(line.startswith("score >= -1.0 & logit >= -1.0") for line in lines)
    counts = lines[2].split()[-4:]  # declined in scope (sv, en), let through off topic (sv, en)
    assert all("/" in count for count in counts)
