"""The plain answer: the plan's sentences that answer the question, around the best one.

The best sentence comes with its neighbours in the passage (the plan often states a point, then says what it
means, and a sentence often leans on the one before). The next best sentences from elsewhere follow as what
the plan also says, each with its source: on questions as people write them the best-scoring sentence holds
the answer only about half the time, one of the best four in 78-83 % (the realistic development sets), and the
plan often says one thing in two places.
"""

from __future__ import annotations

import numpy as np

from handlers.composing.ranker import SentenceFacts, defines_term
from handlers.composing.strategies import Draft, join, source, spread
from handlers.understanding.analyser import Query
from index.search import Hit, HybridSearcher, Ranking
from index.store import Sentence
from index.text import tokens

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
# A sentence that opens by pointing back ("I dessa fall …", "Detta gör …") goes on with the one before it.
POINTS_BACK = frozenset("detta dessa denna sadan sadant sadana".split())  # folded

class Extractive:
    def __init__(self, searcher: HybridSearcher, facts: SentenceFacts):
        self.searcher = searcher
        self.sentences: list[Sentence] = searcher.stored.sentences
        self._actor_keys = facts.actor_keys  # per sentence: the names of the actors it names
        self._terms = facts.terms  # as searched
        # Headings by their first two words, so a list item can point to its section without a scan.
        self._headings: dict[tuple[str, ...], int] = {}
        for i, s in enumerate(self.sentences):
            opening = tuple(tokens(s.text)[:2])
            if s.kind == "heading" and len(opening) == 2:
                self._headings.setdefault(opening, i)

    def draft(self, query: Query, ranking: Ranking, scores: np.ndarray, best: int | None = None) -> Draft:
        """The answer around the best sentence by the evidence ranking's `scores` (composing/ranker.py);
        `best`: a sentence chosen before, see stating()."""
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

    def stating(self, query: Query, scores: np.ndarray) -> int | None:
        """The best of the candidate sentences that holds what the question specifically asks for (a figure,
        a date, a name …), or None: before the bot says the plan lacks it, it looks this far."""
        if query.ask is None:
            return None
        order = np.argsort(-scores, kind="stable")[:STATING_CANDIDATES].tolist()
        for i in order:
            if scores[i] < scores[order[0]] - FURTHER_MARGIN:
                break  # no longer about what was asked, whatever figure it holds
            sentence = self.sentences[i]
            passage = self.searcher.chunks[sentence.chunk].text
            if sentence.kind != "heading" and query.ask.satisfied_by(sentence.text, passage):
                return int(i)
        return None

    def _settled(self, query: Query, chosen: list[int]) -> bool:
        """Whether the answer holds the facts the question asks for (a date, a number, a definition, and who
        when it also asks who): then it is the answer, and what else the plan says would only bury it."""
        texts = [self.sentences[i].text for i in chosen]
        held: list[bool] = []
        if query.ask is not None:
            held.append(query.ask.satisfied_by(" ".join(texts)))
        if query.defines:
            held.append(any(defines_term(text, query.defines) for text in texts))
        if held and query.asks_who:  # "När antogs RUS och av vem?": the date alone does not settle it
            held.append(any(self._actor_keys[i] for i in chosen))
        return bool(held) and all(held)

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

