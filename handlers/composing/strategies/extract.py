"""The plain answer: the plan's sentences that answer the question, around the best one.

The best sentence comes with its neighbours in the passage (the plan often states a point, then says what it
means, and a sentence often leans on the one before). The next best sentences from elsewhere follow as what
the plan also says, each with its source: on questions as people write them the best-scoring sentence holds
the answer only about half the time, one of the best four in 78-83 % (the realistic development sets), and the
plan often says one thing in two places.
"""

from __future__ import annotations

import re

import numpy as np

from handlers.composing.strategies import Draft, join, source, spread
from handlers.understanding.analyser import Query
from index.search import Hit, HybridSearcher, Ranking
from index.store import Sentence
from index.text import fold, stem, tokens

MAX_ANSWER_CHARS = 550  # the best passage's part of the answer
MAX_TOTAL_CHARS = 850  # with the further sentences from elsewhere, before the sources
CANDIDATES = 12  # the best sentences looked at
# Before saying the plan lacks what was asked: the sentences looked at for it. Of a question's best 40
# sentences of e5 and BM25, one or two hold the answer for 0.95 of unseen questions (issue 18).
# Only sentences that score nearly as well as the best (FURTHER_MARGIN, what the plan also says): a figure
# in a sentence about something else does not answer ("Hur lång är utbildningen?" is not "två år" of
# another matter).
STATING_CANDIDATES = 40
# Further sentences: at most this many, scoring within this margin (fused-score units) of the best sentence:
# about the usual gap between the best and the fourth best sentence (median 1.1 on the development questions).
# Two, not three: the third cost length (fresh f1-f7 reply p90 1002 -> 914 chars) and answered nothing more.
MAX_FURTHER = 2
FURTHER_MARGIN = 1.2
SAME_PASSAGE_MARGIN = 0.3  # other sentences of the best passage this close join the answer
MAX_SENTENCES = 4
# A passage this short is quoted whole: its lines only make sense together (a contact card, a short list).
SHORT_PASSAGE_CHARS = 250
HEADING_FOLLOWERS = 2  # a heading is no answer alone: the sentences under it come along
# Preferences among the best sentences, in fused-score units (about a tenth of the usual spread).
NAMED_BONUS = 0.3  # names the actor the question names
OTHER_NAMED_PENALTY = 0.3  # names another actor, and not the one asked about
FACT_BONUS = 0.3  # holds the fact asked for: a number for "how many", a definition, the kind "which" names
# Holds the specific thing asked ("vilken andel" -> a share): without it the answer is only partial, so a
# sentence that has it wins over a somewhat closer one that does not.
ASK_BONUS = 1.0
FACT_PASSAGES = 3  # the best passages whose every sentence is looked at for the fact asked
# A sentence that opens by pointing back ("I dessa fall …", "Detta gör …") goes on with the one before it.
POINTS_BACK = frozenset("detta dessa denna sadan sadant sadana".split())  # folded
DEFINING_VERBS = ("ar", "innebar", "betyder")  # "Validering är …", folded like the sentence it opens
DEFINING_PHRASE = "(?:handlar (?:i grunden )?om|innebar|definieras|avses)"  # folded, after the term


class Extractive:
    def __init__(self, searcher: HybridSearcher, actor_keys: list[frozenset[str]], author: str = ""):
        self.searcher = searcher
        # The plan's author (the region) speaks throughout, mostly without naming itself ("Minst en gång per
        # år bjuds länets aktörer in …"): a question naming it is not thereby about its own section.
        self.author = author
        self.sentences: list[Sentence] = searcher.stored.sentences
        self._actor_keys = actor_keys  # per sentence: the names of the actors it names
        self._stems = [frozenset(stem(t) for t in tokens(s.text)) for s in self.sentences]
        self._terms = [frozenset(searcher.decompounder.terms(s.text)) for s in self.sentences]  # as searched
        # Headings by their first two words, so a list item can point to its section without a scan.
        self._headings: dict[tuple[str, ...], int] = {}
        for i, s in enumerate(self.sentences):
            opening = tuple(tokens(s.text)[:2])
            if s.kind == "heading" and len(opening) == 2:
                self._headings.setdefault(opening, i)

    def draft(self, query: Query, ranking: Ranking, best: int | None = None) -> Draft:
        """The answer around the best sentence (`best`: a sentence chosen before, see stating())."""
        scores = self._preferences(query, ranking)
        order = [int(i) for i in np.argsort(-scores, kind="stable")[:CANDIDATES]]
        best = self._expanded(order[0]) if best is None else best
        chosen = self._continued(self._around(best, query.shown), query.shown)
        chosen = self._with_close(chosen, order, scores, best)
        chosen = self._with_missing_words(query, chosen, order, scores, best)
        further = [] if self._settled(query, chosen) else self._further(order, scores, chosen)
        # A neighbour may sit across a chunk boundary (a long paragraph is split): its chunk is cited too.
        chunks = [self.sentences[best].chunk] + [self.sentences[i].chunk for i in [*chosen, *further]]
        cited = {chunk: source(self._hit(ranking, chunk)) for chunk in chunks}
        related = [(self.sentences[i].text, cited[self.sentences[i].chunk]) for i in further]
        body = join(self.sentences[i] for i in chosen)
        texts = self.sentences[best].text, self.sentences[chosen[0]].text
        return Draft(
            body,
            list(cited.values()),
            related,
            best=texts[0],
            opening=texts[1],
            evidence=tuple(chosen),
            standout=spread(scores),
        )

    def stating(self, query: Query, ranking: Ranking) -> int | None:
        """The best of the candidate sentences that holds what the question specifically asks for (a figure,
        a date, a name …), or None: before the bot says the plan lacks it, it looks this far."""
        if query.ask is None:
            return None
        scores = self._preferences(query, ranking)
        order = np.argsort(-scores, kind="stable")[:STATING_CANDIDATES].tolist()
        for i in order:
            if scores[i] < scores[order[0]] - FURTHER_MARGIN:
                break  # no longer about what was asked, whatever figure it holds
            sentence = self.sentences[i]
            passage = self.searcher.chunks[sentence.chunk].text
            if sentence.kind != "heading" and query.ask.satisfied_by(sentence.text, passage):
                return int(i)
        return None

    def standout(self, query: Query, ranking: Ranking) -> float:
        """How far the best sentence stands out once what the question asks for is weighed in (a sentence
        that defines the term asked about, holds the figure asked for, names the actor asked about)."""
        return spread(self._preferences(query, ranking))

    def _settled(self, query: Query, chosen: list[int]) -> bool:
        """Whether the answer holds the facts the question asks for (a date, a number, a definition, and who
        when it also asks who): then it is the answer, and what else the plan says would only bury it."""
        texts = [self.sentences[i].text for i in chosen]
        held: list[bool] = []
        if query.ask is not None:
            held.append(query.ask.satisfied_by(" ".join(texts)))
        if query.defines:
            held.append(any(_defines(text, query.defines) for text in texts))
        if held and query.asks_who:  # "När antogs RUS och av vem?": the date alone does not settle it
            held.append(any(self._actor_keys[i] for i in chosen))
        return bool(held) and all(held)

    def _preferences(self, query: Query, ranking: Ranking) -> np.ndarray:
        """The ranking's scores, adjusted for what the question names and the kind of fact it asks for."""
        scores = ranking.sentence_scores.copy()
        # The best sentences, and every sentence of the best passages: a short line that holds the fact
        # asked for ("Telefonnummer: 019-…") may score low on its own in a passage that ranks first.
        top = dict.fromkeys(np.argsort(-scores, kind="stable")[: CANDIDATES * 2].tolist())
        for hit in ranking.hits[: FACT_PASSAGES if query.ask is not None else 0]:
            top.update(dict.fromkeys(self.searcher.sentences_of(hit.chunk_index)))
        named = {a.name for a in query.actors} - {self.author}
        # A check that names what it needs (the counted noun, a share) may pull far; a loose one ("any
        # number" for an English "how many") only a little, or any number would win.
        precise = query.ask is not None and query.ask.precise
        ask_bonus = ASK_BONUS if precise else FACT_BONUS
        for i in top:
            keys = self._actor_keys[i]
            text = self.sentences[i].text
            passage = self.searcher.chunks[self.sentences[i].chunk].text if query.ask is not None else ""
            holds_ask = query.ask is not None and query.ask.satisfied_by(text, passage)
            # A contact detail is for whom its passage names (checked by the ask): it counts as naming them.
            about_named = keys & named or (holds_ask and query.ask is not None and query.ask.kind == "person")
            if named and about_named:
                scores[i] += NAMED_BONUS
            elif named and keys:
                scores[i] -= OTHER_NAMED_PENALTY
            if holds_ask:
                scores[i] += ask_bonus
            if query.defines and _defines(text, query.defines):
                scores[i] += FACT_BONUS
            if query.kind_asked and query.kind_asked in self._stems[i]:
                scores[i] += FACT_BONUS
            if query.asks_who and keys:
                scores[i] += FACT_BONUS
        return scores

    def _around(self, best: int, shown: frozenset[int] = frozenset()) -> list[int]:
        """The best sentence with the one after and the one before it in the same passage, as room allows;
        a heading brings the sentences under it, and a short passage comes whole. What an earlier part of
        the message is answered with (`shown`) is not repeated."""
        sentence = self.sentences[best]
        whole = [
            i
            for i in self.searcher.sentences_of(sentence.chunk)
            if self.sentences[i].kind != "heading" and i not in shown
        ]
        if whole and len(self.searcher.chunks[sentence.chunk].text) <= SHORT_PASSAGE_CHARS:
            after = whole[-1] + 1  # the paragraph may go on in the next chunk
            return whole + [after] if self._same_passage(best, after) else whole
        chosen = [best]
        length = len(sentence.text)
        wanted = HEADING_FOLLOWERS if sentence.kind == "heading" else 1
        following = best + 1
        while wanted and self._same_passage(best, following):
            if following in shown:
                following += 1
                continue
            if length + len(self.sentences[following].text) > MAX_ANSWER_CHARS:
                break
            chosen.append(following)
            length += len(self.sentences[following].text) + 1
            following += 1
            wanted -= 1
        previous = best - 1
        if (
            sentence.kind != "heading"
            and previous not in shown
            and self._same_passage(best, previous)
            and length + len(self.sentences[previous].text) <= MAX_ANSWER_CHARS
        ):
            chosen.insert(0, previous)
        return chosen

    def _continued(self, chosen: list[int], shown: frozenset[int]) -> list[int]:
        """The chosen sentences with the ones after them that point back into them ("I dessa fall vore det
        önskvärt …"), as room allows: the thought goes on there, often to what it comes to."""
        length = sum(len(self.sentences[i].text) + 1 for i in chosen)
        following = chosen[-1] + 1
        while (
            following not in shown
            and self._same_passage(chosen[-1], following)
            and POINTS_BACK & set(tokens(self.sentences[following].text)[:3])
            and length + len(self.sentences[following].text) <= MAX_ANSWER_CHARS
        ):
            chosen = [*chosen, following]
            length += len(self.sentences[following].text) + 1
            following += 1
        return chosen

    def _with_close(self, chosen: list[int], order: list[int], scores: np.ndarray, best: int) -> list[int]:
        """Other sentences of the best passage that score nearly as well join, in the plan's order."""
        length = sum(len(self.sentences[i].text) + 1 for i in chosen)
        for i in order[1:]:
            if scores[i] < scores[best] - SAME_PASSAGE_MARGIN or len(chosen) >= MAX_SENTENCES:
                break
            text = self.sentences[i].text
            if i in chosen or not self._same_chunk(best, i) or length + len(text) > MAX_ANSWER_CHARS:
                continue
            chosen.append(i)
            length += len(text) + 1
        return sorted(chosen)

    def _with_missing_words(
        self, query: Query, chosen: list[int], order: list[int], scores: np.ndarray, best: int
    ) -> list[int]:
        """A sentence of the best passage that holds a word of the question the answer still lacks joins it,
        if it ranks among the further ones: "exempel projektägare regionen" gets the passage's examples."""
        asked = set(query.terms.focus)
        held = set().union(*(self._terms[i] for i in chosen)) & asked
        length = sum(len(self.sentences[i].text) + 1 for i in chosen)
        for i in order[1:]:
            if scores[i] < scores[best] - FURTHER_MARGIN or len(chosen) >= MAX_SENTENCES:
                break
            new = (self._terms[i] & asked) - held
            text = self.sentences[i].text
            fits = length + len(text) <= MAX_ANSWER_CHARS
            if not new or i in chosen or not self._same_chunk(best, i) or not fits:
                continue
            chosen.append(i)
            held |= new
            length += len(text) + 1
        return sorted(chosen)

    def _expanded(self, best: int) -> int:
        """A list item that names a section of its own ("Breddad rekrytering genom …" and the section
        "Breddad rekrytering och kompetensutveckling") is a pointer: the section's heading answers."""
        sentence = self.sentences[best]
        if sentence.kind != "item":
            return best
        return self._headings.get(tuple(tokens(sentence.text)[:2]), best)

    def _same_passage(self, i: int, j: int) -> bool:
        return (
            0 <= j < len(self.sentences)
            and self._section(j) == self._section(i)
            and self.sentences[j].kind != "heading"
        )

    def _same_chunk(self, i: int, j: int) -> bool:
        return self.sentences[j].chunk == self.sentences[i].chunk and self.sentences[j].kind != "heading"

    def _section(self, i: int) -> str:
        return self.searcher.chunks[self.sentences[i].chunk].section

    def _further(self, order: list[int], scores: np.ndarray, chosen: list[int]) -> list[int]:
        """The next best sentences not yet in the answer, best first, as room allows. A heading is left out
        (it names a subject, it says nothing about it), and so is a sentence the answer already holds."""
        top = scores[order[0]]
        texts = {self.sentences[i].text for i in chosen}
        length = sum(len(t) + 1 for t in texts)
        further: list[int] = []
        for i in order[1:]:
            if scores[i] < top - FURTHER_MARGIN or len(further) >= MAX_FURTHER:
                break
            sentence = self.sentences[i]
            if sentence.kind == "heading" or sentence.text in texts:
                continue
            if length + len(sentence.text) > MAX_TOTAL_CHARS:
                continue
            further.append(i)
            texts.add(sentence.text)
            length += len(sentence.text) + 2
        return further

    def _hit(self, ranking: Ranking, chunk: int) -> Hit:
        found = next((h for h in ranking.hits if h.chunk_index == chunk), None)
        if found is not None:
            return found
        cosine = float(ranking.chunk_cosines[chunk])
        return Hit(chunk, self.searcher.chunks[chunk], cosine, cosine, 0.0)


def _defines(text: str, term: str) -> bool:
    """Whether a sentence defines the term: spells out the abbreviation ("arbetsplatsförlagt lärande (APL)"),
    opens with it ("Förmobilisering är …"), or says what it is about ("… handlar kompetensförsörjning i
    grunden om att …", "… validering innebär att …")."""
    folded, key = fold(text), fold(term)
    if f"({key})" in folded or folded.startswith(tuple(f"{key} {verb} " for verb in DEFINING_VERBS)):
        return True
    key = re.escape(key)
    about = rf"\bhandlar {key}\b.{{0,30}}\bom\b|\b{key}\b.{{0,20}}\b{DEFINING_PHRASE}\b"
    return re.search(about, folded) is not None
