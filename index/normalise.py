"""Question normalisation: restore å/ä/ö and correct typos against the plan's own vocabulary.

Matching is already case- and diacritic-insensitive (`index.text.tokens` folds). This module gives the
question back in the plan's spelling, so that the embedder, which does see diacritics and typos, reads
"vad gör länsstyrelsen" for "vad gor lansstyrelsen" and "arbetsgivare" for "arbetsgiavre":

- a word the plan (or Swedish function words) has, up to diacritics, takes the plan's spelling;
- a word that is neither the plan's nor a known Swedish word (wordfreq's list, stored with the index) nor a
  compound of the plan's words is corrected to the closest word of the plan within a small edit distance
  (rapidfuzz, optimal string alignment: a swap of two letters is one edit);
- anything else is left as written: a correct word is never changed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from index.text import SWEDISH_FUNCTION_WORDS, TOKEN, Decompounder, fold, stem

LEXICON_FILE = "lexicon.txt"
LEXICON_MIN_ZIPF = 2.0  # wordfreq: once per 10 million words; rarer entries are often misspellings
ENGLISH_LEXICON_FILE = "lexicon_en.txt"
ENGLISH_MIN_ZIPF = 3.0  # English is the second language here: its common words, once per million
MIN_CORRECTED = 5  # shorter words are too ambiguous to correct ("mal": mål, mal, mall …)
MAX_CORRECTED = 40  # longer "words" are not typos of the plan's words (and would cost time to compare)
MAX_LOOKUPS = 30  # edit-distance searches per message: a long or hostile message costs little more


@dataclass(frozen=True)
class Normalised:
    text: str  # the question in the plan's spelling (what is embedded and analysed)
    corrections: tuple[tuple[str, str], ...]  # (as written, as corrected), typos only; accents not listed


class Normaliser:
    def __init__(self, plan_texts: Iterable[str], decompounder: Decompounder, lexicon: dict[str, str]):
        counts = Counter(m.lower() for text in plan_texts for m in TOKEN.findall(text) if m.isalpha())
        counts.update({w: 1 for w in SWEDISH_FUNCTION_WORDS if w not in counts})
        # The plan's most frequent spelling of each folded word: "lansstyrelsen" -> "länsstyrelsen".
        self._spelling: dict[str, str] = {}
        for word, _ in counts.most_common():
            self._spelling.setdefault(fold(word), word)
        self._frequency = {fold(w): n for w, n in counts.items()}
        self._choices = list(self._spelling)
        # The plan's words by stem too, so a typo in another inflection is found: "yrkevserksam" is two
        # edits from no form in the plan, but one from the stem of "yrkesverksamma".
        self._by_stem: dict[str, str] = {}
        for key, spelling in self._spelling.items():
            if len(stem(key)) >= MIN_CORRECTED:
                self._by_stem.setdefault(stem(key), spelling)
        self._stem_choices = list(self._by_stem)
        self._decompounder = decompounder
        self._lexicon = lexicon  # folded -> spelling, for Swedish words the plan does not use
        # Typos rarely hit the first letter; searching only words that share it keeps the large list fast.
        self._lexicon_by_initial: dict[str, list[str]] = {}
        for key in lexicon:
            self._lexicon_by_initial.setdefault(key[0], []).append(key)

    def normalise(self, text: str) -> Normalised:
        return respell(text, self.spell)

    def spell(self, word: str, lookups: list[int] | None = None) -> str | None:
        """The plan's spelling of `word`, or None to keep it as written. `lookups`: how many edit-distance
        searches the message may still make (counted down)."""
        lower, key = word.lower(), fold(word)
        if lower in self._spelling.values() or lower in SWEDISH_FUNCTION_WORDS:
            return None
        for spelling in (self._spelling, self._lexicon):
            if key in spelling:  # only restores letters that are missing, never changes ones typed
                return spelling[key] if lower == key and spelling[key] != lower else None
        if not MIN_CORRECTED <= len(key) <= MAX_CORRECTED:
            return None
        if self._decompounder.parts(key):
            # A compound of the plan's words, unless one edit from a long word of the plan: "arbetsmarknaen"
            # splits into "arbets" + "marknaen" but is a typo of "arbetsmarknaden".
            near = self._closest(key, self._choices, self._spelling, limit=1) if len(key) >= 8 else None
            return near
        if lookups is not None:
            if lookups[0] <= 0:
                return None
            lookups[0] -= 1
        # The plan's words first: a typo in a question about the plan is most likely one of them.
        return (
            self._closest(key, self._choices, self._spelling)
            or self._closest(stem(key), self._stem_choices, self._by_stem)
            or self._closest(key, self._lexicon_by_initial.get(key[0], []), self._lexicon)
        )

    def _closest(
        self, key: str, choices: list[str], spelling: dict[str, str], limit: int | None = None
    ) -> str | None:
        limit = limit if limit is not None else 1 if len(key) < 8 else 2
        found = process.extract(key, choices, scorer=OSA.distance, score_cutoff=limit, limit=8)
        if not found:
            return None
        # Fewest edits; then a candidate that keeps the first letter; then the more frequent word.
        best = min(found, key=lambda c: (c[1], c[0][0] != key[0], -self._frequency.get(c[0], 0), c[2]))
        return spelling[best[0]]


_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def respell(text: str, spell: Callable[[str, list[int]], str | None]) -> Normalised:
    """Every word of the text through `spell` (None keeps it), in its own case, with at most MAX_LOOKUPS
    edit-distance searches for the whole message."""
    corrections: list[tuple[str, str]] = []
    lookups = [MAX_LOOKUPS]

    def replace(match: re.Match[str]) -> str:
        word = match.group()
        better = spell(word, lookups)
        if better is None:
            return word
        if fold(better) != fold(word):  # restored diacritics are no typo
            corrections.append((word, better))
        return _same_case(word, better)

    return Normalised(_WORD.sub(replace, text), tuple(corrections))


def _same_case(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def build_lexicon(folder: Path) -> None:
    """Store the known Swedish and English words beside the index, most frequent first: what the normaliser
    never corrects, and the spelling it restores ("namns" -> "nämns")."""
    from wordfreq import get_frequency_dict  # build time only; a list loads in about 0.3 s

    lists = (("sv", LEXICON_FILE, LEXICON_MIN_ZIPF), ("en", ENGLISH_LEXICON_FILE, ENGLISH_MIN_ZIPF))
    for lang, name, zipf in lists:
        minimum = 10 ** (zipf - 9)
        frequencies = get_frequency_dict(lang)  # most frequent first
        words = [w for w, f in frequencies.items() if f >= minimum and w.isalpha() and w == w.lower()]
        (folder / name).write_text("\n".join(words), encoding="utf-8")


def load_lexicon(folder: Path) -> dict[str, str]:
    """Folded word -> its most frequent spelling."""
    path = folder / LEXICON_FILE
    lexicon: dict[str, str] = {}
    if path.exists():
        for word in path.read_text(encoding="utf-8").split():
            lexicon.setdefault(fold(word), word)
    return lexicon


def load_english(folder: Path) -> list[str]:
    """The known English words, most frequent first."""
    path = folder / ENGLISH_LEXICON_FILE
    return path.read_text(encoding="utf-8").split() if path.exists() else []


class EnglishSpeller:
    """Typos in an English question, corrected the same way: a word that is neither a known English word
    nor the plan's is corrected to the closest word within a small edit distance, the glossary's English
    words (the plan's subjects) first. "forewodr" -> "foreword", "intereest" -> "interest"; "Almi" stays."""

    def __init__(self, english: list[str], preferred: Iterable[str], plan_texts: Iterable[str]):
        self._rank = {w: i for i, w in enumerate(english)}  # most frequent first
        self._preferred = sorted({w for w in preferred if w.isalpha()})
        plan = {m.lower() for text in plan_texts for m in _WORD.findall(text)}
        self._known = frozenset(english) | frozenset(self._preferred) | {fold(w) for w in plan} | plan
        self._by_initial: dict[str, list[str]] = {}
        for word in english:
            self._by_initial.setdefault(word[0], []).append(word)

    def normalise(self, text: str) -> Normalised:
        return respell(text, self.spell)

    def spell(self, word: str, lookups: list[int]) -> str | None:
        key = word.lower()
        if key in self._known or fold(key) in self._known or not MIN_CORRECTED <= len(key) <= MAX_CORRECTED:
            return None
        if lookups[0] <= 0:
            return None
        lookups[0] -= 1
        limit = 1 if len(key) < 8 else 2
        for choices in (self._preferred, self._by_initial.get(key[0], [])):
            found = process.extract(key, choices, scorer=OSA.distance, score_cutoff=limit, limit=8)
            if found:
                # Fewest edits; then one that keeps the first letter; then the more frequent word.
                best = min(found, key=lambda c: (c[1], c[0][0] != key[0], self._rank.get(c[0], 10**9), c[2]))
                return best[0]
        return None
