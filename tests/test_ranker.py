"""The evidence ranking (handlers/composing/ranker.py): the fused ranking's scores, with preferences for the
candidates that hold what the question asks."""

from __future__ import annotations

import numpy as np

from handlers.composing import ranker


def test_a_candidate_that_holds_what_was_asked_is_preferred(real_qa) -> None:
    query = real_qa.analyser.analyse("Vilket telefonnummer har Region Örebro län?")
    ranking = real_qa.ranking(query, real_qa.embed(query))
    evidence = real_qa.composer.ranker
    candidates = evidence.candidates(query, ranking)
    flags = evidence.flags(query, candidates)
    assert flags.holds_ask.any()  # the contact card's line with the number
    scores = evidence.preferred(ranking, candidates, flags)
    raised = scores[candidates] - ranking.sentence_scores[candidates]
    assert (raised[flags.holds_ask] >= ranker.FACT_BONUS - 1e-6).all()
    plain = ~(flags.holds_ask | flags.names_actor | flags.defines | flags.holds_kind | flags.names_who)
    assert (raised[plain] <= 1e-6).all()
    assert "019" in real_qa.searcher.stored.sentences[int(np.argmax(scores))].text
