"""Question variants for invariance tests (CheckList style): the same question, typed the way people type.

Every function here is pure and deterministic: a variant depends only on the question and the case id, so two
runs ask the same variants and their figures can be compared.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

NO_DIACRITICS = "no_diacritics"
TYPO1 = "typo1"
TYPO2 = "typo2"
LOWER_NOPUNCT = "lower_nopunct"
CONTEXT = "context"
KINDS = (NO_DIACRITICS, TYPO1, TYPO2, LOWER_NOPUNCT, CONTEXT)

_PLAIN_LETTERS = str.maketrans("åäöéÅÄÖÉ", "aaoeAAOE")
_WORD = re.compile(r"[^\W\d_]+")  # a run of letters: digits and underscores split words
_APOSTROPHES = re.compile(r"['’]")
_MIN_TYPO_WORD = 5

# A Swedish keyboard: a mistyped letter is one of its neighbours on the same row.
_ROWS = ("qwertyuiopå", "asdfghjklöä", "zxcvbnm")
_NEIGHBOURS = {row[i]: row[max(0, i - 1) : i] + row[i + 1 : i + 2] for row in _ROWS for i in range(len(row))}

# Neutral situations people open with; they name nothing the plan is about.
CONTEXT_SV = (
    "Jag jobbar på en kommun i länet och håller på med en ansökan.",
    "Jag är ny på min arbetsplats och försöker förstå hur saker hänger ihop.",
    "Vi ska ha ett möte på jobbet nästa vecka och jag vill vara påläst.",
    "En kollega frågade mig om det här i går.",
)
CONTEXT_EN = (
    "I work for an employer in the county and I'm preparing a meeting.",
    "I'm new in my job and trying to understand how things fit together.",
    "A colleague asked me about this yesterday.",
    "I'm writing a short report for my manager.",
)


@dataclass(frozen=True)
class Variant:
    kind: str
    text: str


def variants(case_id: str, question: str, lang: str = "") -> list[Variant]:
    """The question's variants, one per kind; one equal to the question or an earlier variant is left out."""
    candidates = [
        Variant(NO_DIACRITICS, without_diacritics(question)),
        Variant(TYPO1, with_typos(question, 1, case_id)),
        Variant(TYPO2, with_typos(question, 2, case_id)),
        Variant(LOWER_NOPUNCT, lower_without_punctuation(question)),
        Variant(CONTEXT, with_context(question, case_id, lang)),
    ]
    seen = {question}
    kept = []
    for variant in candidates:
        if variant.text not in seen:  # asking the same text twice would count one answer twice
            seen.add(variant.text)
            kept.append(variant)
    return kept


def without_diacritics(text: str) -> str:
    """å, ä → a, ö → o, é → e (either case): how Swedish is typed on a foreign keyboard."""
    return text.translate(_PLAIN_LETTERS)


def with_typos(text: str, count: int, case_id: str) -> str:
    """`count` typos, each in a different word of at least five letters, never in its first letter or a digit.

    Seeded from the case id and the count, so a run's variants are the next run's variants.
    """
    rng = random.Random(f"{case_id}:{count}")
    parts = _WORD.split(text)
    words = _WORD.findall(text)
    eligible = [i for i, word in enumerate(words) if len(word) >= _MIN_TYPO_WORD]
    for i in sorted(rng.sample(eligible, min(count, len(eligible)))):
        words[i] = typo(words[i], rng)
    pieces = [parts[0]]
    for word, after in zip(words, parts[1:], strict=True):
        pieces += [word, after]
    return "".join(pieces)


def typo(word: str, rng: random.Random) -> str:
    """One typo, never in the first letter: swap two neighbours, drop, double or mistype a letter."""
    operations = [_drop, _double]
    if any(a.lower() != b.lower() for a, b in zip(word[1:], word[2:], strict=False)):
        operations.append(_swap)
    if any(c.lower() in _NEIGHBOURS for c in word[1:]):
        operations.append(_mistype)
    return rng.choice(operations)(word, rng)


def _drop(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + word[i + 1 :]


def _double(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[: i + 1] + word[i:]


def _swap(word: str, rng: random.Random) -> str:
    i = rng.choice([i for i in range(1, len(word) - 1) if word[i].lower() != word[i + 1].lower()])
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _mistype(word: str, rng: random.Random) -> str:
    i = rng.choice([i for i in range(1, len(word)) if word[i].lower() in _NEIGHBOURS])
    neighbour = rng.choice(_NEIGHBOURS[word[i].lower()])
    return word[:i] + (neighbour.upper() if word[i].isupper() else neighbour) + word[i + 1 :]


def lower_without_punctuation(text: str) -> str:
    """Lower case without punctuation; a mark between digits stays (5.4, 20–64): numbers keep their sense."""
    text = _APOSTROPHES.sub("", text.lower())  # I'm → im, not "i m"
    chars = [" " if _is_punctuation(c) and not _between_digits(text, i) else c for i, c in enumerate(text)]
    return " ".join("".join(chars).split())


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _between_digits(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()


def with_context(text: str, case_id: str, lang: str = "") -> str:
    """The question after a sentence about the asker's situation, in the question's language."""
    sentences = CONTEXT_EN if lang == "en" else CONTEXT_SV
    return f"{random.Random(f'{case_id}:context').choice(sentences)} {text}"
