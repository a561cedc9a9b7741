"""Answer composition, free of any bot SDK: a question's ranking -> an Answer, by one of the strategies.

The router declines when the plan has no good evidence, then picks the strategy for the kind of question
(an actor's role, a chapter topic, a list, a process, or the plain extract), and finally checks that the
answer holds what was specifically asked (an amount, a date, a person …): when it does not, the answer is
partial, saying so first, or declined when the plan says little about the subject either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handlers.composing.answerability import Evidence, evidence
from handlers.composing.memory import Memory
from handlers.composing.ranker import SentenceFacts, SentenceRanker
from handlers.composing.strategies import Draft, source, spread
from handlers.composing.strategies.extract import Extractive
from handlers.composing.strategies.listing import ListStrategy
from handlers.composing.strategies.subject import SubjectStrategy
from handlers.composing.suggestions import Suggester
from handlers.composing.verdict import Verdicts
from handlers.model.answer import ANSWERED, DECLINED, PARTIAL, YES, Answer, Quote, Source
from handlers.model.context import MAX_CHOICES, Context
from handlers.understanding.actors import Actor, ActorDirectory
from handlers.understanding.analyser import Query
from handlers.wording.render import choice_labels
from handlers.wording.texts import EN, SV, Texts, pick
from index.knowledge import Document
from index.search import HybridSearcher, Ranking

RETRIEVED_K = 8
CONTACT_SECTION = "Kontakt"  # the plan's contact card: for how to get in touch, and with every decline
# The corpus's vote (composing/memory.py: the share of the nearest corpus questions a sentence answers): a
# full vote counts as much as about the spread of the fused scores among the best sentences.
W_MEMORY = 1.0
# A partial answer shows what the plan says about the subject only when that evidence is this good.
PARTIAL_MIN_SCORE = 1.0
# Asking back: when the best sentence stands out from the fifth best by less than this (fused-score units,
# the corpus's vote and what the question asks for included: Draft.standout), the ranker has no clear
# answer. Calibrated on the corpus, each batch answered with the memory of the others (`bot.py eval
# --ask-back-curve`, docs/ask-back.md): below 0.3 the lead held the answer for 13 of 71 answered questions;
# 11 off-topic questions that got plan text fall below it too. At 0.4 the band [0.3, 0.4) still held it for
# only 26 %, but the short questions of the realistic development set were asked back one in six.
ASK_BACK_GAP = 0.3
# A later part of a message that asks several things is answered from its own evidence: the sentences an
# earlier part's answer shows drop by this much (fused-score units, more than the spread of the best ones).
SHOWN_PENALTY = 2.0


@dataclass(frozen=True)
class Route:
    actor: Actor | None  # the actor whose role is asked about
    wants_list: bool
    structural: Draft | None  # the plan's own lists the question names


class Composer:
    def __init__(self, searcher: HybridSearcher, document: Document, actors: ActorDirectory):
        self.searcher = searcher
        self.actors = actors
        sentence_actors = [frozenset(a.name for a in actors.find(s.text)) for s in searcher.stored.sentences]
        self.contacts = {texts.lang: _contact_line(document, texts) for texts in (SV, EN)}
        # The plan's author: the actor its contact card names (Region Örebro län).
        author = next((a.name for a in actors.find(self.contacts[SV.lang])), "")
        facts = SentenceFacts.of(searcher, sentence_actors)
        self.ranker = SentenceRanker(searcher, facts, author)
        self.extract = Extractive(searcher, facts)
        self.lists = ListStrategy(searcher, document)
        self.subjects = SubjectStrategy(searcher, actors)
        self.verdicts = Verdicts(searcher, actors)
        self.ask_back_gap = ASK_BACK_GAP  # 0 never asks back (the calibration measures the answers)
        self.suggester: Suggester | None = None  # set once the engine can check its suggestions
        dimension = searcher.stored.sentence_vectors.shape[1]
        self.memory = Memory.empty(len(searcher.stored.sentences), dimension)  # set once the engine has one

    def compose(
        self,
        query: Query,
        vector: np.ndarray,
        ranking: Ranking,
        judged_on: Ranking | None = None,
        may_ask_back: bool = True,
    ) -> Answer:
        """The answer from `ranking`; whether the plan answers at all is judged on `judged_on` (the
        question's own ranking, without the situation told around it), by default the same. Unsure which
        part of the plan is meant, it asks back, unless `may_ask_back` is False (the user has chosen)."""
        texts = pick(query.lang)
        ranking, scores = self._ranked(query, vector, ranking)
        retrieved = [source(h) for h in ranking.hits[:RETRIEVED_K]]
        route = self._route(query)
        judged = self.judge(query, vector, judged_on or ranking, route)
        if not judged.answerable:
            # Another region's plan asked about: say whose plan this is, whatever declined it.
            other = query.ask is not None and query.ask.about_another_plan
            return self._decline(query, texts, retrieved, query.ask.note(texts) if other else "")
        draft, actor = self._draft(query, vector, ranking, scores, route)
        if query.ask is not None and not query.ask.satisfied_by(draft.shown):
            # Never "the plan does not say" while one of the candidate sentences says it.
            stated = self.extract.stating(query, scores)
            if stated is None:
                return self._partial(query, texts, retrieved, draft, judged)
            draft, actor = self.extract.draft(query, ranking, scores, stated), ""
        if may_ask_back and draft.standout < self.ask_back_gap:
            return self._ask_back(query, texts, retrieved, ranking)
        context = self._context(query, draft, actor, route)
        return Answer(
            query.original,
            draft.body,
            ANSWERED,
            draft.cited,
            retrieved,
            self._suggest(draft, query.lang),
            query.lang,
            context,
            lead=texts.answer_lead,
            related=_quotes(draft),
            mentions=_mentions(draft),
            mentioned=draft.mentioned,
            verdict=YES if self.verdicts.yes(query, draft.best) else "",
            evidence=draft.evidence,
            about=self.verdicts.about(draft.opening, draft.cited[0].section),
        )

    def standout(self, query: Query, vector: np.ndarray, ranking: Ranking) -> float:
        """How far the best evidence stands out for a question answered from `ranking` by the plain
        extract (what asking back is decided on; a structural answer never asks back)."""
        return spread(self._ranked(query, vector, ranking)[1])

    def _ranked(self, query: Query, vector: np.ndarray, ranking: Ranking) -> tuple[Ranking, np.ndarray]:
        """The ranking with what answered the corpus's questions most like this one (composing/memory.py),
        and without what earlier parts of the message were answered with; and the evidence ranker's score
        of every sentence (composing/ranker.py)."""
        bonus = W_MEMORY * self.memory.vote(vector)
        bonus[list(query.shown)] -= SHOWN_PENALTY
        remembered = self.searcher.with_bonus(ranking, bonus)
        return remembered, self.ranker.scores(query, remembered)

    def judge(
        self, query: Query, vector: np.ndarray, ranking: Ranking, route: Route | None = None
    ) -> Evidence:
        """Whether the plan answers the question (see handlers/composing/answerability.py)."""
        route = route or self._route(query)
        structural = route.actor is not None or route.structural is not None
        share = self.memory.in_scope_share(vector)
        return evidence(ranking, query.terms, query.lang, structural, bool(query.chapter), share)

    def _route(self, query: Query) -> Route:
        """What the question's structure asks for, found once: an actor's role, a list of the plan's."""
        wants_list = self.lists.wants_list(query)
        # A question naming an actor asks about that actor, not for a list that shares a word with it.
        structural = self.lists.structural(query) if wants_list and not query.actors else None
        return Route(self.subjects.actor_asked(query), wants_list, structural)

    def _draft(
        self, query: Query, vector: np.ndarray, ranking: Ranking, scores: np.ndarray, route: Route
    ) -> tuple[Draft, str]:
        """The strategy for this kind of question, and the actor the answer is about ("" if none)."""
        if route.actor is not None:
            return self.subjects.actor(route.actor, vector), route.actor.name
        named = query.actors[0].name if len(query.actors) == 1 else ""
        if self._asks_our_contact(query) and (card := self.subjects.card(CONTACT_SECTION)) is not None:
            return card, named
        if query.topic and not route.wants_list and query.ask is None:
            return self.subjects.topic(query.topic, vector), named
        best = ranking.best_sentences(1)[0]
        if route.wants_list:
            listed = route.structural or self.lists.in_passage(best)
            if listed is not None:
                return listed, named
        steps = self.lists.steps(query, ranking)
        if steps is not None:
            return steps, named
        return self.extract.draft(query, ranking, scores), named

    def _context(self, query: Query, draft: Draft, actor: str, route: Route) -> Context:
        """What a follow-up may refer back to: the actor when the answer is about the actor (its role, or
        its own section), else what the answer is about. "Vad är det för lägesrapport som regionen tar
        fram?" is about the report: "What is it for?" asks about the report, not the region."""
        section = draft.cited[0].section
        named = self.actors.by_name(actor) if actor else None
        if named is not None and route.actor is None and section != named.section:
            actor = ""
        return Context(query.question, actor or section.rsplit(" > ", 1)[-1].rstrip("*"), actor)

    def _asks_our_contact(self, query: Query) -> bool:
        """How to get in touch, with no one named but those the plan's contact card is for (the region): the
        card answers, whatever else the question's words match."""
        if query.ask is None or not query.ask.asks_contact:
            return False
        return all(actor.name in self.contacts[SV.lang] for actor in query.actors)

    def _decline(self, query: Query, texts: Texts, retrieved: list[Source], note: str = "") -> Answer:
        contact = self.contacts[texts.lang]
        body = f"{texts.decline} {contact}".strip() if not note else contact
        context = Context()  # the caller keeps the conversation's previous context
        return Answer(query.original, body, DECLINED, [], retrieved, [], query.lang, context, note=note)

    def _ask_back(self, query: Query, texts: Texts, retrieved: list[Source], ranking: Ranking) -> Answer:
        """ "Menar du …?": the best sections, offered as choices; choosing one answers the question from it
        (handlers/engine/qa.py). Never a low-confidence passage presented as the answer."""
        sections = list(dict.fromkeys(hit.chunk.section for hit in ranking.hits))[:MAX_CHOICES]
        context = Context(query.question, "", "", sections)
        return Answer(
            query.original,
            texts.ask_back,
            DECLINED,
            [],
            retrieved,
            choice_labels(sections),  # the buttons: each sends its label, which chooses it
            query.lang,
            context,
            choices=sections,
        )

    def _partial(
        self, query: Query, texts: Texts, retrieved: list[Source], draft: Draft, judged: Evidence
    ) -> Answer:
        """The plan lacks the specific thing asked: say so, then what it does say, or decline."""
        assert query.ask is not None
        note = query.ask.note(texts)
        if judged.score < PARTIAL_MIN_SCORE or query.ask.about_another_plan:
            return self._decline(query, texts, retrieved, note)
        topic = draft.cited[0].section.rsplit(" > ", 1)[-1].rstrip("*")
        return Answer(
            query.original,
            draft.body,
            PARTIAL,
            draft.cited,
            retrieved,
            [],
            query.lang,
            Context(query.question, topic, ""),
            note=note,
            lead=texts.partial_lead,
            related=_quotes(draft),
            mentions=_mentions(draft),
            mentioned=draft.mentioned,
            about=self.verdicts.about(draft.opening, draft.cited[0].section),
        )

    def _suggest(self, draft: Draft, lang: str) -> list[str]:
        """Follow-ups next to what was cited; for an answer that names other actors, those actors too.
        The checked questions are Swedish, so an English answer gets none rather than mixed languages."""
        if self.suggester is None or lang == "en":
            return []
        named = [a.name for a in self.actors.find(draft.shown)]
        return self.suggester.suggest([s.section for s in draft.cited], named)


def _quotes(draft: Draft) -> list[Quote]:
    """The further sentences an extract brings from elsewhere in the plan, each with its passage."""
    return [Quote(text, where) for text, where in draft.related]


def _mentions(draft: Draft) -> list[Quote]:
    """The other places the plan speaks of an actor or topic answered about, each with its passage."""
    return [Quote(text, where) for text, where in draft.mentions]


def _contact_line(document: Document, texts: Texts) -> str:
    """The region's contact, from the plan's own Kontakt section (so a revised plan brings its own)."""
    section = document.section(CONTACT_SECTION)
    if section is None:
        return ""
    names = [b.text for b in section.blocks if b.kind == "paragraph"]
    items = [item for b in section.blocks if b.kind == "list" for item in b.items]
    phone = next((i.split(":", 1)[1].strip() for i in items if i.lower().startswith("telefon")), "")
    email = next((i.split(":", 1)[1].strip() for i in items if i.lower().startswith("e-post")), "")
    who = ", ".join(names) if names else "Region Örebro län"
    ways = (phone and texts.contact_phone.format(phone=phone), email and
    texts.contact_email.format(email=email))
    return texts.contact.format(who=who, reach=texts.contact_or.join(x for x in ways if x))
