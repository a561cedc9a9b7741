"""Specific asks: what kind of fact a question wants, so the bot can say plainly when the plan lacks it.

Classic QA answer-type classification, kept narrow. A question asks for a specific kind of fact when an
interrogative frame meets a word for that kind: "vad kostar …", "hur mycket pengar …", "vem är chef …",
"när hålls …", "hur lång tid …", "hur stor andel …", "Region Gävleborgs plan", "nästa år". `find_ask`
returns that `Ask` (or None for an ordinary question about the plan); `Ask.satisfied_by` tells whether an
answer text (the plan's sentences) holds such a fact; `Ask.note` is the one sentence that says it does not
(both in handlers/understanding/satisfy.py).

The kinds: amount (money), count, date, duration, person, other_plan (another region's or organisation's
plan), future (a relative or future time the plan cannot know), statistic (a current figure, or the top
place of a set), outcome (what a project achieved), procedure (personal instructions) and moment (the moment
of asking: "just nu", "right now"). Flagging an in-scope question turns a full answer into a partial one,
so every cue is an interrogative frame plus a word of the kind, never a topic word alone: "hur kan insatser
finansieras", "framtidens kompetensbehov" and "de kommande åren" are ordinary questions.

The cues are reviewed data, each with the questions it must and must not flag, in the TOML files of
handlers/understanding/lexicon/ (the package that loads them) and the plan's names in knowledge/names.toml.
Matching runs on the question folded to lower case without diacritics (`index.text.fold`, which keeps
offsets, so the phrase is returned as written), except where folding merges words: "vilket år" is not
"vilket är", and "i vår" is not "i var". This module finds the ask, its phrase and its subject.
"""

from __future__ import annotations

import re

from handlers.understanding.lexicon import CUES, KINDS, NAMES, WORDS, Cue
from handlers.understanding.satisfy import YEAR, Ask, fold_chars
from index.text import ENGLISH_STOPWORDS, SWEDISH_STOPWORDS, stem

__all__ = ["CUES", "KINDS", "PRIORITY", "YEAR", "Ask", "Cue", "find_ask", "year_ask"]

# When a question asks two things, the one the plan can never supply wins: another's plan, then a time the
# plan cannot know, then the specific kinds before the generic count.
PRIORITY = (
    "other_plan",
    "future",
    "procedure",
    "person",
    "amount",
    "outcome",
    "statistic",
    "duration",
    "date",
    "count",
    "moment",  # last: any more specific ask says better what the plan lacks ("ingen arbetslöshet")
)

MAX_SUBJECT_WORDS = 6
MAX_TERSE_WORDS = 6  # a keyword query ("budget kompetensforum") has no interrogative to frame its noun
INTERROGATIVES = frozenset(
    "vad vilken vilket vilka hur nar vem varfor what which how when who where why".split()
)
YES_NO_OPENERS = frozenset(
    "har finns kan ar far ska bor maste galler do does is are can will has have".split()
)

# The regions, countries and organisations that are another's plan (knowledge/names.toml), folded.
REGIONS = NAMES.regions  # folded -> written
COUNTRIES = NAMES.countries
KNOWN_ORGANISATIONS = NAMES.known_organisations  # whose genitive a lower-case question may use
NOT_OTHERS = NAMES.not_others  # genitives (without their -s) that name this region or nothing


# --- The ask ---------------------------------------------------------------------------------------


def find_ask(question: str, lang: str) -> Ask | None:
    """The specific fact the question asks for, or None for an ordinary question about the plan.

    `lang` ("sv" or "en") selects the language's cues; names of regions and countries are matched in both."""
    text = question.replace("’", "'")
    folded = fold_chars(text)
    lower = "".join(c.lower()[:1] for c in text)
    terse = _is_terse(folded)
    for kind in PRIORITY:
        for cue in CUES:
            if cue.kind != kind or cue.lang not in ("*", lang) or (cue.terse_only and not terse):
                continue
            for match in cue.pattern.finditer(lower if cue.lower else folded):
                ask = _ask(cue, match, text, folded, terse)
                if ask is not None:
                    return ask
    return None


def year_ask(question: str, lang: str, years: frozenset[str]) -> Ask | None:
    """A year the plan never mentions ("Hur många var arbetslösa 2023?"): whatever is asked about it, the
    plan cannot say. `years`: the years the plan's text names."""
    unknown = [y for y in YEAR.findall(question) if y not in years]
    if not unknown:
        return None
    return Ask("future", f"in {unknown[0]}" if lang == "en" else f"år {unknown[0]}", "", "", lang)


def _is_terse(folded: str) -> bool:
    """A keyword query: a few words, no interrogative, not a yes/no question ("har ni öppet …")."""
    words = re.findall(r"[\w-]+", folded)
    yes_no = bool(words) and words[0] in YES_NO_OPENERS
    return len(words) <= MAX_TERSE_WORDS and not yes_no and not INTERROGATIVES.intersection(words)


def _ask(cue: Cue, match: re.Match[str], text: str, folded: str, terse: bool) -> Ask | None:
    start, end = match.span("ask" if "ask" in cue.pattern.groupindex else 0)
    phrase = text[start:end].strip()
    if cue.kind == "other_plan":
        other = _other(match, text)
        return Ask(cue.kind, phrase, other) if other else None
    seed = text[match.start("subj") : match.end("subj")] if "subj" in cue.pattern.groupindex else ""
    span = (match.start(), match.end())
    # Only a Swedish noun can be looked for in the plan's Swedish text.
    counted = _counted(folded, span[1]) if cue.kind == "count" and cue.lang == "sv" else ""
    if cue.kind == "statistic" and seed:  # "hur hög är arbetslösheten": a figure of unemployment
        counted = stem(fold_chars(seed))
    return Ask(cue.kind, phrase, _subject(text, folded, span, cue.subject, seed, terse), counted, cue.lang)


def _counted(folded: str, end: int) -> str:
    """The first word after "hur många"/"how many": what is counted, if it is a noun phrase at all."""
    part_of = re.match(r"\s*(?:av|of)\s+(?:(?:de|dem|the|[^\W\d_]+s)\s+)?(?=[^\W\d_]{3})", folded[end:])
    if part_of:  # "hur många av länets kommuner" counts "kommuner"
        end += part_of.end()
    following = re.match(r"\s*([^\W\d_]+)(?:\s+([^\W\d_]+))?", folded[end:])
    word = following.group(1) if following else ""
    if re.fullmatch(PEOPLE_VERBS, word):
        return "personer"  # "hur många bodde i länet" counts people
    if word in SWEDISH_STOPWORDS or word in ENGLISH_STOPWORDS or len(word) < 3:
        return ""
    then = following.group(2) if following else None
    if word.endswith("s") and then and then not in SWEDISH_STOPWORDS:
        return word[:-1]  # a genitive counts its noun: "hur många års mellanrum" counts "år"
    return word


def _other(match: re.Match[str], text: str) -> str:
    """The other region, country or organisation as the note names it, or "" when it is this region."""
    if match.groupdict().get("org"):
        word = text[match.start("org") : match.end("org")]
        key = fold_chars(word)
        capitalised = word[:1].isupper() and match.start("org") > 0  # not just opening the question
        if key in NOT_OTHERS or not (capitalised or key in KNOWN_ORGANISATIONS):
            return ""
        return word[:1].upper() + word[1:]
    written = text[match.start("name") : match.end("name")]
    key = re.sub(r"\s+", " ", fold_chars(written))
    display = REGIONS.get(key) or COUNTRIES.get(key) or written[:1].upper() + written[1:]
    head = fold_chars(text[match.start() : match.start("name")]).strip()
    tail = fold_chars(text[match.end("name") : match.end()])
    if head in ("region", "landstinget"):
        return f"{head.capitalize()} {display}"
    for pattern, form in (
        (r"s?\s+lans?\b", "{}s län"),
        (r"\s+county", "{} County"),
        (r"\s+region", "Region {}"),
        (r"\s+kommuns", "{} kommun"),
    ):
        if re.match(pattern, tail):
            return form.format(display)
    return display


# --- Subjects --------------------------------------------------------------------------------------

PREPOSITIONS = frozenset("for pa hos i om till inom vid efter of at in on about within".split())
SUBJECT_STOPS = frozenset(
    """som att eller enligt just nu idag varje per nasta forra egentligen da dar nar hittills totalt
    sammanlagt this next last right now today currently each every according that which who or if when
    so far""".split()
)
PEOPLE_VERBS = WORDS["people_verbs_sv"]  # folded, as an alternation
PRONOUNS = frozenset("det den dem dessa detta de dom it that them this these those there".split())
# A phrase that opens with a clause's subject is a clause, not a noun phrase: "om man har frågor om …" is
# "if one has questions", not what the number is for.
CLAUSE_SUBJECTS = frozenset("man jag vi du ni han hon we you he she they one".split())
DANGLING = PREPOSITIONS | {"och", "and", "the", "a", "an"}
NAME_TAILS = frozenset("lan lans kommun kommuns universitet".split())


def _subject(text: str, folded: str, span: tuple[int, int], strategy: str, seed: str, terse: bool) -> str:
    """Best effort: the phrase after the cue's preposition, or the question's capitalised name."""
    words = _words(text, folded, span[1])
    follows = bool(words) and words[0][1] in PREPOSITIONS
    if seed:  # the cue's own noun, with the phrase that qualifies it: "arbetslösheten i Örebro län"
        rest = _phrase(words[1:]) if follows else ""
        return f"{seed} {words[0][0]} {rest}" if rest else seed
    candidates = []
    if strategy != "name":
        if follows:
            candidates.append(_phrase(words[1:]))
        elif strategy == "object" and words:
            candidates.append(_phrase(words))
    candidates.append(_capitalised_name(text, span))
    later = next((i for i, (_, key) in enumerate(words) if key in PREPOSITIONS), None)
    if strategy != "name" and later is not None:
        candidates.append(_phrase(words[later + 1 :]))
    if terse:
        candidates.append(_keywords(text, folded, span))
    # An English infinitive reads badly after "for" ("for to take part"); a name then serves better.
    return next((c for c in candidates if c and not fold_chars(c).startswith("to ")), "")


def _words(text: str, folded: str, position: int) -> list[tuple[str, str]]:
    """Words from `position` to the first punctuation, as (written, folded)."""
    stop = re.search(r"[?.!,;:()\"]", folded[position:])
    limit = position + stop.start() if stop else len(text)
    return [
        (text[position + m.start() : position + m.end()], m.group())
        for m in re.finditer(r"[\w'-]+", folded[position:limit])
    ]


def _phrase(words: list[tuple[str, str]]) -> str:
    """A noun phrase from the start of `words`, up to a word that begins something else."""
    if words and words[0][1] in CLAUSE_SUBJECTS:
        return ""
    taken: list[str] = []
    for i, (written, key) in enumerate(words):
        relative_time = key == "i" and i + 1 < len(words) and words[i + 1][1] in ("ar", "host", "var")
        ends_name = key in ("och", "and") and len(taken) != 1  # "Vård och omsorgscollege" is one name
        if key in SUBJECT_STOPS or relative_time or ends_name or len(taken) == MAX_SUBJECT_WORDS:
            break
        taken.append(written)
    while taken and fold_chars(taken[-1]) in DANGLING:
        taken.pop()  # a phrase cut short ends on a noun: "… inom förvaltningen", not "… förvaltningen för"
    if len(taken) == 1 and fold_chars(taken[0]) in PRONOUNS:
        return ""
    return " ".join(taken)


def _capitalised_name(text: str, span: tuple[int, int]) -> str:
    """The first capitalised words outside the cue, not opening the question: "Stiftelsen Activa"."""
    run: list[str] = []
    for match in re.finditer(r"[\w'-]+|[^\w\s]", text):
        word, at = match.group(), match.start()
        capital = word[:1].isupper() and len(word) > 1 and at > 0 and not span[0] <= at < span[1]
        if capital or (run and fold_chars(word) in NAME_TAILS):
            run.append(word)
        elif run:
            break
    return " ".join(run)


def _keywords(text: str, folded: str, span: tuple[int, int]) -> str:
    """A keyword query's other words: "arbetsförmedlingen lindesberg" in "… lindesberg telefonnummer"."""
    words = [
        text[m.start() : m.end()]
        for m in re.finditer(r"[\w'-]+", folded)
        if not span[0] <= m.start() < span[1] and m.group() not in PRONOUNS and m.group() not in PREPOSITIONS
    ]
    return " ".join(words[:MAX_SUBJECT_WORDS])
