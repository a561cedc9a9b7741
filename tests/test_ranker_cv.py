"""The learned ranker's measurement (handlers/quality/ranker_cv.py, `bot.py eval --ranker-cv`): fitted with
each batch held out, and reported against the engine's ranking."""

from __future__ import annotations

import numpy as np

from handlers.quality.ranker_cv import FEATURES, Sample, cross_validated, report


def _samples() -> list[Sample]:
    """Questions whose gold candidate stands out by its first feature; the engine's ranking finds it for
    every other question."""
    rng = np.random.default_rng(7)
    found = []
    for batch in ("c1", "c2", "c3"):
        for n in range(60):
            features = rng.normal(size=(12, len(FEATURES)))
            gold = np.zeros(12, bool)
            gold[int(rng.integers(12))] = True
            features[gold, 0] += 4.0  # what marks it
            preferred = rng.normal(size=12)
            if n % 2:
                preferred[gold] = 9.0
            row = {"batch": batch, "style": "nat" if n % 3 else "en"}
            found.append(Sample(row, np.arange(100, 112) * 3, features, gold, preferred))
    return found


def test_the_model_is_fitted_without_the_batch_it_scores_and_learns_what_marks_the_gold() -> None:
    scored = cross_validated(_samples())
    assert len(scored) == 180
    best = [bool(sample.gold[int(np.argmax(predicted))]) for sample, predicted in scored]
    assert np.mean(best) > 0.7  # by chance 1 in 12


def test_the_report_has_a_line_per_style_after_all() -> None:
    lines = report(cross_validated(_samples()))
    assert lines[0].split()[:3] == ["style", "n", "engine@1"]
    assert lines[1].split()[:2] == ["all", "180"]
    engine = float(lines[1].split()[2])
    assert 0.45 < engine < 0.65  # half found by the engine's ranking, a few more by chance
    assert {line.split()[0] for line in lines[2:]} == {"nat", "en"}
