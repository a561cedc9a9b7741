"""The evidence ranking: how well each of the plan's sentences answers the question.

Candidates are the best sentences of the fused ranking (index/search.py, with the corpus's vote added,
composing/memory.py), and every sentence of the best passages when the question asks for a specific fact.
Each candidate gets preferences for what the question asks: it holds the specific fact asked for, defines
the term asked about, holds the kind a "which" names, names the actor asked about (or another one).

A learned ranker over the same candidates and flags, with the vote, cosines, BM25 and the sentence's shape as
features (gradient-boosted trees fitted on the corpus, `bot.py eval --ranker-cv`,
handlers/quality/ranker_cv.py), was measured against these preferences with each corpus batch held out: the
best sentence is a gold one for 0.637 of 1,079 questions against 0.618; the best sentence or a neighbour of
a gold one (what an answer quotes) for 0.714, as for these preferences. Answering with it (one run, an
earlier variant, the extract's margins rescaled to its log-odds), the leads held the answer for 770 of 1,450
corpus questions against 771. On par, it is not used: it would add a model fitted at every index build for
no answer a reader would see improve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from handlers.understanding.analyser import Query
from index.search import HybridSearcher, Ranking
from index.text import fold, stem, tokens

CANDIDATES = 24  # the best sentences of the fused ranking that get preferences
FACT_PASSAGES = 3  # the best passages whose every sentence is a candidate when a specific fact is asked
DEFINING_VERBS = ("ar", "innebar", "betyder")  # "Validering är …", folded like the sentence it opens
DEFINING_PHRASE = "(?:handlar (?:i grunden )?om|innebar|definieras|avses)"  # folded, after the term
# Preferences among the candidates, in fused-score units (about a tenth of the usual spread).
NAMED_BONUS = 0.3  # names the actor the question names
OTHER_NAMED_PENALTY = 0.3  # names another actor, and not the one asked about
FACT_BONUS = 0.3  # holds the fact asked for: a number for "how many", a definition, the kind "which" names
# Holds the specific thing asked ("vilken andel" -> a share): without it the answer is only partial, so a
# sentence that has it wins over a somewhat closer one that does not.
ASK_BONUS = 1.0

@dataclass(frozen=True)
class SentenceFacts:
    """What the ranking needs of each stored sentence, computed once per index."""

    actor_keys: list[frozenset[str]]  # the names of the actors it names
    stems: list[frozenset[str]]
    terms: list[frozenset[str]]  # as searched (compound parts)

    @classmethod
    def of(cls, searcher: HybridSearcher, actor_keys: list[frozenset[str]]) -> SentenceFacts:
        sentences = searcher.stored.sentences
        return cls(
            actor_keys,
            [frozenset(stem(t) for t in tokens(s.text)) for s in sentences],
            [frozenset(searcher.decompounder.terms(s.text)) for s in sentences],
        )


@dataclass(frozen=True)
class Flags:
    """What each candidate holds of what the question asks."""

    holds_ask: np.ndarray
    precise: np.ndarray
    names_actor: np.ndarray
    names_other: np.ndarray
    defines: np.ndarray
    holds_kind: np.ndarray
    names_who: np.ndarray


class SentenceRanker:
    def __init__(self, searcher: HybridSearcher, facts: SentenceFacts, author: str = ""):
        self.searcher = searcher
        self.facts = facts
        # The plan's author (the region) speaks throughout, mostly without naming itself ("Minst en gång per
        # år bjuds länets aktörer in …"): a question naming it is not thereby about its own section.
        self.author = author

    def scores(self, query: Query, ranking: Ranking) -> np.ndarray:
        """Per stored sentence: the ranking's score, with preferences for the candidates that hold what the
        question asks for (`ranking`: with the corpus's vote, composer.Composer._ranked)."""
        candidates = self.candidates(query, ranking)
        return self.preferred(ranking, candidates, self.flags(query, candidates))

    def candidates(self, query: Query, ranking: Ranking) -> np.ndarray:
        """The best sentences of the ranking, with every sentence of the best passages when a specific fact
        is asked (a short line that holds it, "Telefonnummer: 019-…", may score low on its own)."""
        scores = ranking.sentence_scores
        top = dict.fromkeys(np.argsort(-scores, kind="stable")[:CANDIDATES].tolist())
        for hit in ranking.hits[: FACT_PASSAGES if query.ask is not None else 0]:
            top.update(dict.fromkeys(self.searcher.sentences_of(hit.chunk_index)))
        return np.fromiter(top, np.int64, len(top))

    def flags(self, query: Query, candidates: np.ndarray) -> Flags:
        facts, sentences = self.facts, self.searcher.stored.sentences
        named = {a.name for a in query.actors} - {self.author}
        n = len(candidates)
        holds, precise, names, other, defines, kind, who = (np.zeros(n, bool) for _ in range(7))
        for row, i in enumerate(candidates.tolist()):
            keys, text = facts.actor_keys[i], sentences[i].text
            if query.ask is not None:
                passage = self.searcher.chunks[sentences[i].chunk].text
                holds[row] = query.ask.satisfied_by(text, passage)
                precise[row] = holds[row] and query.ask.precise
            # A contact detail is for whom its passage names (checked by the ask): it counts as naming them.
            contact = holds[row] and query.ask is not None and query.ask.kind == "person"
            about = bool(keys & named) or contact
            names[row] = bool(named) and about
            other[row] = bool(named) and bool(keys) and not about
            defines[row] = bool(query.defines) and defines_term(text, query.defines)
            kind[row] = bool(query.kind_asked) and query.kind_asked in facts.stems[i]
            who[row] = query.asks_who and bool(keys)
        return Flags(holds, precise, names, other, defines, kind, who)

    def preferred(self, ranking: Ranking, candidates: np.ndarray, flags: Flags) -> np.ndarray:
        """The ranking's scores with the preferences for what the question asks."""
        scores = ranking.sentence_scores.copy()
        # A check that names what it needs may pull far; a loose one ("any number") only a little.
        ask_bonus = np.where(flags.precise, ASK_BONUS, FACT_BONUS) * flags.holds_ask
        bonus = (
            NAMED_BONUS * flags.names_actor
            - OTHER_NAMED_PENALTY * flags.names_other
            + ask_bonus
            + FACT_BONUS * (flags.defines.astype(float) + flags.holds_kind + flags.names_who)
        )
        scores[candidates] += bonus
        return scores


def defines_term(text: str, term: str) -> bool:
    """Whether a sentence defines the term: spells out the abbreviation ("arbetsplatsförlagt lärande (APL)"),
    opens with it ("Förmobilisering är …"), or says what it is about ("… handlar kompetensförsörjning i
    grunden om att …", "… validering innebär att …")."""
    folded, key = fold(text), fold(term)
    if f"({key})" in folded or folded.startswith(tuple(f"{key} {verb} " for verb in DEFINING_VERBS)):
        return True
    key = re.escape(key)
    about = rf"\bhandlar {key}\b.{{0,30}}\bom\b|\b{key}\b.{{0,20}}\b{DEFINING_PHRASE}\b"
    return re.search(about, folded) is not None
