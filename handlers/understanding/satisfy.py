"""Whether an answer holds the fact a specific ask wants, and the one sentence that says the plan lacks it.

`Ask` (found by `handlers.understanding.asks.find_ask`) is what a question asks for; `Ask.satisfied_by`
tells whether an answer text (the plan's sentences) holds such a fact, by recognisers of amounts, numbers,
dates, durations, names and contact details; `Ask.note` is the sentence for a reply when it does not. The
notes' vocabulary (what is missing, by the words of the ask; the plurals of sets; the Swedish spelling of
time words) is data in handlers/understanding/lexicon/ (any.toml, sv.toml), the plan's organisations and
municipalities in knowledge/names.toml. The recognisers stay code: they read answers, not questions, and
are patterns of numbers and forms rather than word lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from handlers.understanding.lexicon import LEXICON, NAMES, WORDS
from handlers.wording.texts import Texts
from index.text import SWEDISH_STOPWORDS, fold, stem

# Word lists of the lexicon that the checks and notes use too.
AUTHORSHIP_SV = WORDS["authorship_sv"]
AUTHORSHIP_EN = WORDS["authorship_en"]
EVENTS = WORDS["events"]
PLAN_WORDS = WORDS["plan_words"]
SUPERLATIVES = WORDS["superlatives"]
FUTURE_CONTENT_SV = WORDS["future_content_sv"]
FUTURE_CONTENT_EN = WORDS["future_content_en"]
YEAR_ASK = WORDS["year_ask"]  # on the lower-cased phrase: "vilket år", not "när är"


@dataclass(frozen=True)
class Ask:
    kind: str  # one of KINDS
    phrase: str  # the words of the question that ask it, as written: "budget", "Region Gävleborgs plan"
    subject: str  # what it is asked about ("Kompetensforum"); "" when unclear
    counted: str = ""  # a count's noun, folded: "personer" in "hur många personer har validerats"
    lang: str = "*"  # the cue's language: an English subject's words are not looked for in Swedish text

    @property
    def precise(self) -> bool:
        """Whether the check names exactly what answers: the counted noun, a share, a phone number or an
        e-mail address (not just any number or any name)."""
        return bool(self.counted) or self.kind == "statistic" or self.asks_contact or self.asks_author

    @property
    def asks_author(self) -> bool:
        """Who wrote or signed: a personal name answers, not an organisation."""
        authorship = rf"{AUTHORSHIP_SV}|{AUTHORSHIP_EN}|author"
        return self.kind == "person" and re.search(authorship, fold_chars(self.phrase)) is not None

    @property
    def about_another_plan(self) -> bool:
        """Asks what another region's plan says: nothing of this plan answers it, so no plan text follows
        the note (what this plan says on the subject would read as the other plan's answer)."""
        return self.kind == "other_plan"

    @property
    def asks_contact(self) -> bool:
        return self.kind == "person" and CONTACT_PHRASE.search(fold_chars(self.phrase)) is not None

    @property
    def asks_where_to_turn(self) -> bool:
        return self.asks_contact and TURN_TO.search(fold_chars(self.phrase)) is not None

    def satisfied_by(self, text: str, passage: str = "") -> bool:
        """Does an answer text (the plan's sentences) hold this kind of fact? `passage`: the text around it,
        which may name whom a contact is for ("Region Örebro län" above "Telefonnummer: 019-…")."""
        if self.kind == "person":
            return _person(self, text, passage)
        return SATISFIERS[self.kind](self, text)

    def note(self, texts: Texts) -> str:
        """One sentence saying what the plan does not give, in the reply's language."""
        return NOTES[self.kind](self, texts)


class _OneForOne(dict[int, str]):
    """`str.translate`'s table for fold_chars, filled as characters come (a few hundred in practice; an
    exotic text's characters beyond CACHED_CHARACTERS are folded without being kept)."""

    def __missing__(self, code: int) -> str:
        folded = fold(chr(code))[:1]  # lower() may lengthen a character ("İ"): its first is kept
        if len(self) < CACHED_CHARACTERS:
            self[code] = folded
        return folded


CACHED_CHARACTERS = 4096
_ONE_FOR_ONE = _OneForOne()


def fold_chars(text: str) -> str:
    """`index.text.fold`, one character for one, so a span of the folded text is a span of the question."""
    return text.translate(_ONE_FOR_ONE)


# --- Satisfaction ----------------------------------------------------------------------------------

NUMBER = re.compile(r"\d+(?:[\s\u00a0]\d{3})*(?:[.,]\d+)?")
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# Number words, matching folded and unfolded text alike ("två", "tva"); not "en/ett/one" alone. Ordinals
# count too: "vart fjärde år" answers "med hur många års mellanrum" ("andra" is left out: mostly "other").
NUMBER_WORD = (
    r"(?:tv[åa]|tre|fyra|fem|sex|sju|[åa]tta|nio|tio|elva|tolv|tretton|fjorton|femton|sexton|sjutton|arton"
    r"|nitton|(?:tjugo|trettio|fyrtio|femtio|sextio|sjuttio|[åa]ttio|nittio)\w*|hundra\w*|tusen\w*|miljon\w*"
    r"|miljard\w*|dussin|tredje|fj[äa]rde|femte|sj[äa]tte|sjunde|[åa]ttonde|nionde|tionde"
    r"|var(?:t ?)?ann(?:at|an)|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
    r"|hundreds?|thousands?|millions?|billions?|dozens?)"
)
NUMBER_WORDS = re.compile(rf"\b{NUMBER_WORD}\b")
# "Samtliga kommuner", "alla länets kommuner": all of them answers how many of them take part.
ALL_OF = r"(?:samtliga|alla|all|every)"
ONCE = re.compile(r"\ben gang\b|\bonce\b")
ONCE_ROOT = "gang"  # the stem of "gång(er)", folded
# Nouns for people, by their first five letters (folded), any of which counts people.
PEOPLE = ("perso", "invan", "manni", "indiv", "folk", "befol", "peopl", "resid", "inhab", "citiz")
CURRENCY = re.compile(
    r"\d[\d\s\u00a0.,]*\s*(?:kr\b|kronor|sek\b|mkr\b|mnkr\b|tkr\b|msek\b|(?:miljon|miljard)\w* kronor|€|euro"
    r"|eur\b|\$|dollar)|(?:€|\$|\bsek)\s?\d|\b\w+ (?:miljon|miljard)\w* kronor\b"
)
PERCENT = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:%|procent|percent)|\b(?:halften|tredjedel|fjardedel|half|third|quarter)\b"
    r"|\b(?:majoritet|merpart|minoritet|majority|minority)\w*"
)
MONTHS = (
    r"(?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december|january"
    r"|february|march|june|july|august|october)"
)
# Weekdays with Swedish endings only: "Fredagsakademin" names an event, not a day.
WEEKDAYS = (
    r"(?:mandag|tisdag|onsdag|torsdag|fredag|lordag|sondag)(?:en|ar|arna)?"
    r"|(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?"
)
DAY_DATE = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}/\d{{1,2}}\b|\b\d{{1,2}}(?::e|e)? {MONTHS}\b"
    rf"|\b{MONTHS} \d{{1,2}}\b"
    rf"|\b(?:{WEEKDAYS})\b|\bmay \d{{1,2}}\b|\b\d{{1,2}} may\b"
)
CLOCK = re.compile(r"\b(?:kl\.?|klockan)\s*\d{1,2}|\b\d{1,2}[:.]\d{2}\b(?!\d)")
ANY_DATE = re.compile(rf"{YEAR.pattern}|\b{MONTHS}\b|{DAY_DATE.pattern}|{CLOCK.pattern}")
YEAR_RANGE = re.compile(r"\b(?:19|20)\d\d\s?[-–]\s?(?:19|20)\d\d\b")
# On the lower-cased text with its å/ä/ö: "tre år" is a duration, "tre är" is not.
DURATION = re.compile(
    rf"(?:\d+(?:[.,]\d+)?|\b{NUMBER_WORD}|\bett|\bone|\bvart \w+)\s+(?:\w+\s+)?(?:år|året|månad(?:er)?"
    r"|veck(?:a|or)|dag(?:ar)?|timm(?:e|ar)|termin(?:er)?|läsår|halvår|years?|months?|weeks?|days?|hours?"
    r"|semesters?|terms?)\b"
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
# The head words of the roles a person ask names ("regiondirektör" -> "direktor"), folded: a name answers
# "Vem är X?" only next to the role X.
ROLE_HEADS = (
    "ordforande", "direktor", "rektor", "chef", "handlaggare", "projektledare", "samordnare", "landshovding",
    "talesperson", "director", "chair", "principal", "manager", "rector", "chancellor", "president",
    "coordinator", "governor", "ceo",
)
# A contact detail, not a person, is asked: a number, an address, or how to get in touch.
CONTACT_PHRASE = re.compile(
    r"telefon|phone|post|mejl|mail|kontakta|kontaktuppgift|contact(?! ?person)|touch|hold of|fa tag|vand"
)
# Where to turn, no contact detail named ("Vart kan vi vända oss?"): after a situation, who helps with it.
TURN_TO = re.compile(r"\bvand|\bturn to\b")
PHONE = re.compile(r"(?:\+46|\b0)\d{1,3}[-\s]?\d{2,3}(?:[\s-]?\d{2}){1,3}\b")
# A lookahead, so pairs overlap: "Kontakta Anna Berg" yields "Kontakta Anna" and "Anna Berg".
NAME = re.compile(r"\b(?=([A-ZÅÄÖÉ][a-zåäöéü]+(?:-[A-ZÅÄÖÉ][a-zåäöéü]+)?) ([A-ZÅÄÖÉ][a-zåäöéü]+)\b)")
# Capitalised words that make a pair an organisation or a place rather than a person (knowledge/names.toml).
ORGANISATION_WORDS = NAMES.organisation_words
MUNICIPALITIES = NAMES.municipalities  # a top place among them answers "vilken kommun har flest"
PLACE = re.compile(rf"\b({MUNICIPALITIES})\b(?! län)|\b([A-ZÅÄÖ]\w+) kommun\b")
LIST_ITEM = re.compile(r"^\s*(?:[-•*]|\d+\.)\s+\S", re.MULTILINE)
# A series in prose counts as a list: "hälso- och sjukvård, tandvård, infrastruktur, kultur och …" (three
# items at least, each a few words, the last joined by och/samt/and).
SERIES_ITEM = r"[\w-]+(?: [\w-]+){0,3}"
SERIES = re.compile(rf"{SERIES_ITEM}(?:, {SERIES_ITEM})+,? (?:och|samt|and) {SERIES_ITEM}")


def _amount(ask: Ask, text: str) -> bool:
    rate = re.search(r"rant|interest|\brate", fold_chars(ask.phrase))
    folded = fold_chars(text)
    return bool(CURRENCY.search(folded) or (rate and PERCENT.search(folded)))


def _numbers(text: str) -> list[str]:
    """Numbers that are not years: a year is no count."""
    return [n for n in NUMBER.findall(text) if not YEAR.fullmatch(n.strip())]


def _count(ask: Ask, text: str) -> bool:
    # A complete list answers "how many" by enumeration, in lines or in a sentence.
    if len(LIST_ITEM.findall(text)) >= 2 or SERIES.search(text):
        return True
    folded = fold_chars(text)
    if not ask.counted:
        return bool(_numbers(text) or NUMBER_WORDS.search(folded))
    # "Hur många personer …" is answered by a number of persons, not by "17 procent" of something else:
    # a number (or number word) within a few words before the counted noun, matched by its stem (so the
    # singular counts: "en gång per år" answers "hur många gånger"), quotes and dashes allowed between.
    # People are counted under many names: "hur många invånare" is answered by "302 252 personer".
    root = "" if ask.counted[:5] in PEOPLE else stem(ask.counted)
    if not root:
        counted = r"[\w-]*(?:" + "|".join(re.escape(n) for n in PEOPLE) + r")\w*"
    else:
        # A short stem ("år") is a word of its own with an ending at most, not any word that contains it.
        counted = rf"[\w-]*{re.escape(root)}\w*" if len(root) >= 4 else rf"\b{re.escape(root)}\w{{0,3}}\b"
    number = rf"(?:\d[\d\s.,]*|{NUMBER_WORD}|{ALL_OF})"
    between = r"[”“\"'’]?\s*(?:[\w”“\"'’-]+\s+){0,3}?[”“\"'’]?"
    if re.search(rf"\b{number}\s+{between}{counted}", folded):
        return True
    # "Hur många gånger per år": "en gång per år", "once a year" (for other nouns "en" is the article).
    return root == ONCE_ROOT and ONCE.search(folded) is not None


def _date(ask: Ask, text: str) -> bool:
    phrase, folded = fold_chars(ask.phrase), fold_chars(text)
    if re.search(r"oppet|oppettid|hur dags|what time|opening|vilken tid|klockslag", phrase):
        return bool(CLOCK.search(folded))
    if re.search(r"ansokningsd|ansokningstid|sista d|deadline|due date", phrase):
        return bool(DAY_DATE.search(folded))
    if re.search(YEAR_ASK, ask.phrase.lower()):
        return bool(YEAR.search(folded))
    return bool(ANY_DATE.search(folded))


def _duration(ask: Ask, text: str) -> bool:
    return bool(DURATION.search(text.lower()) or YEAR_RANGE.search(text))


def _person(ask: Ask, text: str, passage: str = "") -> bool:
    if not _about_subject(ask, f"{passage} {text}"):
        return False  # the region's number does not answer "Arbetsförmedlingen Lindesberg telefonnummer"
    contact = EMAIL.search(text) or PHONE.search(text)
    if ask.asks_contact:
        return bool(contact)
    role = next((head for head in ROLE_HEADS if head in fold_chars(ask.phrase)), "")
    if role and role not in fold_chars(text):
        return False  # a regionråd's name does not answer "Vem är regiondirektör?"
    return bool(contact or _personal_name(text))


def _about_subject(ask: Ask, text: str) -> bool:
    """Whether the text names everything the ask's subject names (each word of 4+ letters, by its first five
    letters, so inflections match): a contact is only an answer for whom it was asked."""
    if ask.lang == "en":
        return True
    folded = fold_chars(text)
    words = [w for w in re.findall(r"[a-z]{4,}", fold_chars(ask.subject)) if w not in SWEDISH_STOPWORDS]
    return all(w[:5] in folded for w in words)


def _personal_name(text: str) -> bool:
    for match in NAME.finditer(text):
        if {fold_chars(match.group(1)), fold_chars(match.group(2))} & ORGANISATION_WORDS:
            continue
        before = text[: match.start()].rstrip(" \t")
        opens_sentence = not before or before[-1] in ".!?:\n"
        # A signature opens its line but is followed by a title: "Irén Lejegren, Regionråd (S)".
        if not opens_sentence or text[match.end(2) : match.end(2) + 1] == ",":
            return True
    return False


def _never(ask: Ask, text: str) -> bool:
    return False


def _future(ask: Ask, text: str) -> bool:
    year = YEAR.search(ask.phrase)
    return bool(year and re.search(rf"\b{year.group()}\b", text))


def _statistic(ask: Ask, text: str) -> bool:
    if ask.counted:  # the figure must be of the thing asked about, not any figure in the answer
        near = rf"(?:\d[\d\s.,]*\s*(?:%|procent)?|{NUMBER_WORD})"
        noun = rf"[\w-]*{re.escape(ask.counted)}[\w-]*"
        gap = r"\s+(?:[\w-]+\s+){0,5}?"
        return re.search(rf"{near}{gap}{noun}|{noun}{gap}{near}", fold_chars(text)) is not None
    folded = fold_chars(text)
    if re.search(SUPERLATIVES, fold_chars(ask.phrase)):
        places = {m.group(1) or m.group(2) for m in PLACE.finditer(text)}
        asked = set(re.findall(r"\w+", fold_chars(f"{ask.phrase} {ask.subject}")))
        new_place = any(fold_chars(p) not in asked for p in places)
        return new_place and bool(re.search(SUPERLATIVES, folded) or _numbers(text))
    if SHARE_ASK.search(fold_chars(ask.phrase)):  # "vilken andel", "what share": a share, not a count
        return PERCENT.search(folded) is not None
    return bool(PERCENT.search(folded) or _numbers(text))


SHARE_ASK = re.compile(r"andel|procent|share|percent|proportion|fraction")


def _outcome(ask: Ask, text: str) -> bool:
    return OUTCOME.search(fold_chars(text)) is not None


SATISFIERS: dict[str, Callable[[Ask, str], bool]] = {
    "amount": _amount,
    "count": _count,
    "date": _date,
    "duration": _duration,
    "person": _person,
    "other_plan": _never,
    "future": _future,
    "moment": _never,  # the plan cannot know the moment of asking
    "statistic": _statistic,
    "outcome": _outcome,
    "procedure": _never,
}
OUTCOME = re.compile(r"\b(?:resultat\w*|ledde till|har lett till|resulterade|utvardering\w*)")


# --- Notes -----------------------------------------------------------------------------------------

# What the plan does not give, by the words of the ask (folded), first match wins: (kind, cue, sv, en).
# Vocabulary, per language (any.toml); the sentence around it is the wording layer's (Texts.plan_lacks).
MISSING = LEXICON.missing
SET_PLURALS = LEXICON.set_plurals  # folded set word -> (sv, en), first match wins (any.toml)
TIME_WORDS = frozenset(
    "nasta kommande innevarande arets forra i till next this coming upcoming last tomorrow imorgon".split()
)
PAST = re.compile(r"forra|fjol|hostas|varas|somras|vintras|\blast\b")
EVENT_ASK = re.compile(rf"\b(?:nasta|kommande|arets|next|upcoming)\s+(?:[\w-]+\s+)?{EVENTS}")


def _missing(ask: Ask, texts: Texts) -> str:
    phrase, lower = fold_chars(ask.phrase), ask.phrase.lower()
    for kind, cue, sv_text, en_text in MISSING:
        if kind == ask.kind and (re.search(cue, phrase) or re.search(cue, lower)):
            what = en_text if texts.lang == "en" else sv_text
            break
    else:
        what = texts.lacks_such
    target = texts.lacks_target.format(subject=ask.subject) if ask.subject else ""
    return texts.plan_lacks.format(what=what, target=target)


def _other_note(ask: Ask, texts: Texts) -> str:
    other = ask.subject or ask.phrase
    plan = _plan_words(ask)
    if texts.lang == "en":
        genitive = f"{other}'s"
    else:
        genitive = other if other.endswith(("s", "x", "z")) else f"{other}s"
    target = f"{genitive} {plan}" if plan else other
    return texts.other_plan.format(plan=texts.plan_name, target=target)


def _plan_words(ask: Ask) -> str:
    """The words after the name in "Region Gävleborgs regionala plan": "regionala plan", or "" if none."""
    named = set(fold_chars(ask.subject).split()) | {"region", "landstinget", "lan", "county", "kommun"}
    words = ask.phrase.split()
    long_names = tuple(n for n in fold_chars(ask.subject).split() if len(n) > 3)
    while words and (
        fold_chars(words[0]) in named
        or re.sub(r"(?:'s|s)$", "", fold_chars(words[0])) in named
        or fold_chars(words[0]).startswith(long_names)  # "Götalandsregionens": the name as a compound
    ):
        words.pop(0)
    rest = " ".join(words).lower()
    return rest if re.search(rf"\b{PLAN_WORDS}", fold_chars(rest)) else ""


# Time words in their Swedish spelling: a question typed without å/ä/ö (or restored as "nästa är") still
# gets a note that reads "nästa år".
TIME_SPELLING = LEXICON.time_spelling  # sv.toml


def _time_phrase(phrase: str) -> str:
    words = phrase.split()
    spelled = [TIME_SPELLING.get(fold_chars(w), w) for w in words]
    if spelled and spelled[0][:1].isupper() and fold_chars(spelled[0]) in TIME_WORDS:
        spelled[0] = spelled[0].lower()  # "Nästa år …" opened the question; mid-sentence it is lower case
    return " ".join(spelled)


def _future_note(ask: Ask, texts: Texts) -> str:
    phrase = fold_chars(ask.phrase)
    content = re.search(FUTURE_CONTENT_SV, phrase) or re.search(FUTURE_CONTENT_EN, phrase)
    if content:  # "Vad kommer strategin att innehålla?" -> "vad strategin kommer att innehålla"
        written = ask.phrase[content.start("what") : content.end("what")].strip()
        doing = ask.phrase[content.start("will") : content.start("what")].strip()
        rest = ask.phrase[content.end("what") : content.end()].strip()
        return texts.future_content.format(what=f"{written} {doing} {rest}")
    written = _time_phrase(ask.phrase)
    if EVENT_ASK.search(phrase):
        article = "the " if texts.lang == "en" and not phrase.startswith("the ") else ""
        return texts.future_event.format(event=f"{article}{written}")
    past = bool(PAST.search(phrase))
    return (texts.future_happened if past else texts.future_happens).format(when=written)


def _statistic_note(ask: Ask, texts: Texts) -> str:
    phrase = fold_chars(ask.phrase)
    if not re.search(SUPERLATIVES, phrase):
        return _missing(ask, texts)
    plural = next((p for key, p in SET_PLURALS.items() if re.search(rf"\b{key}", phrase)), None)
    sv_set, en_set = plural or ("kommunerna", "municipalities")
    return texts.no_comparison.format(set=en_set if texts.lang == "en" else sv_set)


NOTES: dict[str, Callable[[Ask, Texts], str]] = {
    "amount": _missing,
    "count": _missing,
    "date": _missing,
    "duration": _missing,
    "person": _missing,
    "other_plan": _other_note,
    "future": _future_note,
    "moment": _future_note,  # "Planen säger inget om vad som händer just nu."
    "statistic": _statistic_note,
    "outcome": lambda ask, texts: texts.no_results,
    "procedure": lambda ask, texts: texts.no_instructions,
}
