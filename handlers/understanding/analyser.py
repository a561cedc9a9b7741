"""Understanding a question, once: the `Query` every later step reads.

A message is normalised (the plan's spelling, typos corrected), its language detected, the question found in
a long message, a follow-up resolved against the conversation, and the actors, topic, lexical terms and any
specific ask (an amount, a date, a person …) picked out. Nothing after this re-reads the raw text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from handlers.model.context import Context
from handlers.understanding.actors import Actor, ActorDirectory
from handlers.understanding.asks import YEAR, Ask, find_ask, year_ask
from handlers.understanding.dialogue import Resolved, refers_back, resolve
from index.glossary import Glossary, Translation
from index.knowledge import Document
from index.normalise import EnglishSpeller, Normaliser
from index.search import HybridSearcher, QueryTerms
from index.text import (
    ENGLISH_STOPWORDS,
    SWEDISH_STOPWORDS,
    detect_language,
    fold,
    split_sentences,
    stem,
    tokens,
)

MAX_QUESTION_CHARS = 2000  # longer input is cut for search; e5 reads 512 tokens at most anyway
# A message this long with several sentences tells a situation before it asks: search on the question.
LONG_MESSAGE_CHARS = 150
# A question word further in a sentence typed without a question mark ("pivottabell excel hur gör man").
ASKING_WORD = re.compile(
    r"\b(vad|vilka|vilken|vilket|vem|hur|varför|what|which|who|how|why)\b", re.IGNORECASE
)
QUESTION_WORD = re.compile(
    r"^\s*(vad|vilka|vilken|vilket|vem|hur|varför|när|var|finns|kan|går|ska|bör|är|har|what|which|who|how|"
    r"why|when|where|is|are|does|do|can|should)\b",
    re.IGNORECASE,
)
# "Vad är APL för något?", "Vad betyder kompetensförsörjning?", "What does YH stand for?": one term defined.
DEFINITION = re.compile(
    r"\b(?:vad (?:är|betyder|innebär|menas med|står)|what(?:'s| is| are| does))\s+(?:en |ett |an |a |the )?"
    r"(?P<term>[^\W\d_][\w-]{1,40})(?:\s+(?:för (?:något|nåt|för)?|egentligen|mean|stand for))*\s*\??\s*$"
    # typed as a keyword query: "kompetensförsörjning betyder?", "validering definition", "definition of APL"
    r"|^\s*(?P<keyword>[^\W\d_][\w-]{1,40})\s+(?:betyder|innebär|definition|definieras|means|meaning)"
    r"\s*\??\s*$|^\s*(?:definition(?:en)? (?:av|på|of)|define)\s+(?P<defined>[^\W\d_][\w-]{1,40})\s*\??\s*$",
    re.IGNORECASE,
)

# Words that point back into what was told before ("den sortens förflyttning", "hjälpa mot sådant").
SITUATION_REFERENCE = re.compile(r"\b(sådan|sådant|sådana|sortens|such|this kind)\b", re.IGNORECASE)
# A question put to the plan after a situation ("Vad föreslår planen att vi gör?", "Does the plan say anything
# for us?") asks what the plan says about what was told: its own words are seldom the subject.
PLAN_ADDRESSED = re.compile(
    r"\b(planen|planens|handlingsplanen|handlingsplanens|the (?:action )?plan(?:'s)?|this plan)\b",
    re.IGNORECASE,
)
WHO = re.compile(
    r"\b(vem|vilka|vilken|vilket) (organisation|organisationer|aktör|aktörer|myndighet|nätverk|organ"
    r"|instans)\b|"
    r"^\s*vem\b|\bav vem\b|\bwho\b|\bwhich (organisation|organization|body|actor|agency|network)s?\b",
    re.IGNORECASE,
)
# The noun after "vilka", past a number and a word for kinds: "vilka tre sorters hållbarhet" -> "hållbarhet".
WHICH_NOUN = re.compile(
    r"\b(?:vilka|vilken|vilket|which|rakna upp(?: alla)?|namn(?: alla)?|list(?: all)?(?: the)?)"
    r"(?:\s+(?:\d+|tva|tre|fyra|fem|sex|sju|atta|nio|tio|two|three|four|five|six|seven|eight|nine|ten))?"
    r"(?:\s+(?:sorters|sortens|slags|typer av|sorts of|kinds of|types of))?"
    r"\s+([a-z]{3,})\b"
)
DEFINITE_ENDINGS = ("et", "en", "na", "n")  # förordet, sammanfattningen, aktörerna
# A yes/no question opens with its verb: an auxiliary or copula (a closed class), or a passive ("Revideras
# planen …?", "Räknas …?", "Ägs …?"; "-rnas" is a plural genitive: "Kommunernas roll?"). A question word
# anywhere makes it an open question ("Kan du säga vem …?").
YES_NO = re.compile(
    r"^\s*(?:är|var|har|hade|finns|fanns|kan|kunde|ska|skall|skulle|bör|borde|får|fick|måste|vill|gäller"
    r"|ingår|blir|behöver|brukar|stämmer|[^\W\d_]{3,}(?<!rn)as|[^\W\d_]{1,3}s"
    r"|is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|must|may)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Query:
    original: str  # as asked, whitespace collapsed and cut to MAX_QUESTION_CHARS
    text: str  # the whole message in the plan's spelling
    question: str  # the question to answer: a long message's question sentence; a follow-up rewritten
    situation: str  # the rest of a long message ("" when it is all question)
    lang: str  # "sv" or "en"
    actors: list[Actor]  # named in the question (or referred back to)
    subject: str  # what a follow-up refers back to ("" otherwise)
    follow_up: bool
    topic: str | None  # a chapter the question's words point to ("Finansiering")
    translation: Translation | None  # the plan's terms for an English question's words
    expansion: str  # the plan's names for what the question calls otherwise ("AF" -> Arbetsförmedlingen)
    terms: QueryTerms
    ask: Ask | None  # something specific the question asks for: an amount, a date, a person …
    defines: str = ""  # the term a definition question asks about ("APL" in "Vad är APL för något?")
    chapter: str = ""  # a chapter the question points into: "Förord" for "… enligt förordet?"
    leans_on_situation: bool = False  # the question refers into the situation ("den sortens", "sådant")
    kind_asked: str = ""  # the stem of the noun a "which" question asks for: "yrk" in "i vilka yrken …"
    asks_who: bool = False  # "Vem …?", "Vilken organisation …?", "Who …?": an actor answers
    situation_terms: list[str] = dataclasses.field(default_factory=list)  # the situation's lexical terms
    yes_no: bool = False  # "Ägs Almi av staten?": a yes/no question, which its evidence may settle
    # A later part of a message that asks several things: the plan's sentences (numbers) that answer the
    # earlier parts, so that this part is answered from its own evidence (set by the engine).
    shown: frozenset[int] = frozenset()

    @property
    def search_text(self) -> str:
        """What is embedded: the question with what it refers back to and the plan's names."""
        return " ".join(part for part in (self.question, self.subject, self.expansion) if part)


class Analyser:
    def __init__(
        self,
        normaliser: Normaliser,
        english: EnglishSpeller,
        actors: ActorDirectory,
        glossary: Glossary,
        searcher: HybridSearcher,
        document: Document,
        vocabularies: tuple[Mapping[str, int], Mapping[str, int]] | None = None,
    ):
        self.normaliser = normaliser
        self.vocabularies = vocabularies  # Swedish and English word ranks: a keyword query's language
        self.english = english
        self.actors = actors
        self.glossary = glossary
        self.searcher = searcher
        # The plan's title ("Regional handlingsplan för kompetensförsörjning"): a question that names the plan
        # by it says which document it asks about, not what in it.
        self._title_terms = frozenset(searcher.decompounder.terms(document.title))
        self._years = frozenset(y for c in searcher.chunks for y in YEAR.findall(c.search_text))
        self._title_words = frozenset(stem(t) for t in tokens(document.title) if len(t) > 3)  # not "för"
        # One-word chapter headings ("Förord", "Sammanfattning", "Aktörer"), folded.
        self.chapters = {
            fold(s.path[0]): s.name
            for s in document.sections
            if len(s.path) == 1 and len(tokens(s.path[0])) == 1
        }

    def analyse(self, message: str, context: Context | None = None) -> Query:
        original = " ".join(message.split())[:MAX_QUESTION_CHARS]
        lang = detect_language(original, self.vocabularies)
        speller = self.normaliser if lang == "sv" else self.english
        text = speller.normalise(original).text
        asked, situation = split_question(text)
        first = self.glossary.translate(asked) if lang == "en" else None
        resolved = resolve(asked, context, self.actors, first.swedish if first else "")
        if situation and not resolved.actors and refers_back(tokens(asked)):
            # The pronoun points into the situation, at the sentence just before the question: an actor it
            # names ("Jag har kontakt med Almi. Vad kan de hjälpa till med?"), or what it tells ("… det finns
            # ett regionalt nätverk för oss. Vilka ingår i det?").
            antecedent = split_sentences(situation, typed=True)[-1]
            named = self.actors.find(antecedent)
            if len(named) == 1:
                resolved = Resolved(resolved.question, named, True, named[0].name)
            elif not resolved.follow_up:
                resolved = Resolved(resolved.question, [], False, antecedent)
        question = resolved.question
        translation = self.glossary.translate(question) if lang == "en" else None
        names = [a.name for a in resolved.actors if a.name.lower() not in question.lower()]
        expansion = " ".join([*names, self.actors.expand(question)]).strip()
        terms = self.searcher.query_terms(
            " ".join(p for p in (question, resolved.subject) if p), translation, expansion
        )
        terms = self._without_title(terms, f"{question} {translation.swedish if translation else ''}")
        topic_words = f"{question} {' '.join(terms.words)}"
        topic = None if resolved.actors else self.actors.topic(topic_words)
        ask = year_ask(question, lang, self._years) or find_ask(question, lang)
        # "Vart kan vi vända oss?" after a situation asks who helps with it, as the plan says, not for the
        # region's phone number: an actor answers.
        helper = bool(situation) and ask is not None and ask.asks_where_to_turn
        return Query(
            original=original,
            text=text,
            question=question,
            situation=situation,
            lang=lang,
            actors=resolved.actors,
            subject=resolved.subject,
            follow_up=resolved.follow_up,
            topic=topic,
            translation=translation,
            expansion=expansion,
            terms=terms,
            ask=None if helper else ask,
            defines=_defined(question),
            chapter=self._chapter(question, translation),
            kind_asked=_kind_asked(question),
            asks_who=helper or WHO.search(question) is not None,
            leans_on_situation=bool(situation)
            and (
                refers_back(tokens(asked))
                or SITUATION_REFERENCE.search(asked) is not None
                or PLAN_ADDRESSED.search(asked) is not None
            ),
            situation_terms=self._situation_terms(situation, lang),
            yes_no=_yes_no(question),
        )

    def _situation_terms(self, situation: str, lang: str) -> list[str]:
        """The situation's words as search terms (an English one's through the glossary): the subject of
        a long message is often there, not in its question ("… Vad säger planen om det?")."""
        if not situation:
            return []
        translation = self.glossary.translate(situation) if lang == "en" else None
        return self.searcher.query_terms(situation, translation).terms

    def _without_title(self, terms: QueryTerms, text: str) -> QueryTerms:
        """The terms without the plan's title, when the question names the plan by it ("Vem skrev förordet
        till regionala handlingsplanen för kompetensförsörjning?"): every passage shares those words, so
        they would only rank the passages that repeat them most."""
        if not self._title_words or not self._title_words <= {stem(t) for t in tokens(text)}:
            return terms
        kept = [t for t in terms.terms if t not in self._title_terms]
        focus = [t for t in terms.focus if t not in self._title_terms]
        if not focus:  # "Vad är regional handlingsplan för kompetensförsörjning?" asks about the plan itself
            return terms
        return dataclasses.replace(terms, terms=kept, focus=focus)

    def _chapter(self, question: str, translation: Translation | None) -> str:
        """The chapter a question names as a part of the document: a one-word chapter heading in its
        definite form ("förordet", "sammanfattningen") or as a chapter ("aktörskapitlet")."""
        words = tokens(f"{question} {translation.swedish if translation else ''}")
        for word in words:
            for heading, section in self.chapters.items():
                definite = word.startswith(heading) and word[len(heading) :] in DEFINITE_ENDINGS
                if definite or (word.startswith(stem(heading)) and "kapit" in word[len(stem(heading)) :]):
                    return section
        return ""


def _yes_no(question: str) -> bool:
    open_question = ASKING_WORD.search(question) or re.search(r"\b(?:när|when|where)\b", question, re.I)
    return YES_NO.match(question) is not None and open_question is None


def _defined(question: str) -> str:
    """The term a definition question asks about, or ""."""
    match = DEFINITION.search(question)
    return next((term for term in match.groups() if term), "") if match else ""


def _kind_asked(question: str) -> str:
    """ "I vilka yrken …?", "Vilken grupp …?", "Which organisation …?": the stem of the noun asked for."""
    match = WHICH_NOUN.search(fold(question))
    if match is None or match.group(1) in SWEDISH_STOPWORDS or match.group(1) in ENGLISH_STOPWORDS:
        return ""
    return stem(match.group(1))


def split_question(text: str) -> tuple[str, str]:
    """A message's question and the situation told around it: the last sentence that ends with a question
    mark or opens with a question word; without one, its last sentence when the message is long or asks
    further in ("… en ansökan. pivottabell excel hur gör man")."""
    sentences = split_sentences(text, typed=True)
    if len(sentences) < 2:
        return text, ""
    asking = [i for i, s in enumerate(sentences) if s.rstrip().endswith("?") or QUESTION_WORD.match(s)]
    asks_further_in = any(ASKING_WORD.search(s) for s in sentences)
    if not asking and not asks_further_in and len(text) < LONG_MESSAGE_CHARS:
        return text, ""  # a few statements, no question: all of it is what is asked about
    at = asking[-1] if asking else len(sentences) - 1  # typed without a question mark, it comes last
    situation = " ".join(s for i, s in enumerate(sentences) if i != at)
    return sentences[at], situation
