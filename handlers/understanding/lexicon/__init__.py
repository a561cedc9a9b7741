"""The cue tables of the specific asks (handlers/understanding/asks.py), read from reviewed data files.

Vocabulary lives in TOML beside this module, one file per language: `sv.toml`, `en.toml`, and `any.toml` for
what holds in either language (the region and country cues, a year, the terse bare nouns, the word lists
that mix both languages, the notes' "what is missing" table). Plan-specific names (regions, countries,
the plan's organisations, its municipalities) are in `knowledge/names.toml` beside `aliases_sv.tsv`, for a
content owner to review; it is found the way the aliases are, from `index.config.Config`'s default
(`aliases_path` is not set from the environment, and `find_ask` has no configuration to pass it in).

A file has a `[words]` table and `[[cue]]` entries:

- A word is either a string, a regex piece kept verbatim (a long one may be a `[words.name]` table whose
  `pattern` is an array of pieces, joined as written), or an array of *spelled* items, joined as
  `(?:a|b|c)`. A cue names a word by placeholder, `{roles_sv}`; words may name other words.
- A cue has `kind`, `order`, and either `pattern` (a regex, verbatim; an array of pieces is joined as
  written, as Python joins adjacent strings) or `frame` (spelled; an array is alternatives, each bounded by
  `\\b`). Optional: `lower` (match the lower-cased text with its å/ä/ö rather than the folded text),
  `subject` ("after", "object" or "name") and `terse_only` (keyword queries only). Required: `asks`,
  questions the cue must flag with its kind, and `not`, near misses it must not flag with it
  (tests/test_lexicon.py runs them all).
- Spelled text is written as people spell it: it is folded with the project's normaliser (`index.text.fold`:
  "nästa" -> "nasta"; only lower-cased for a `lower` cue), a `*` is "any word characters" (`*chef` also
  matches "regionchef", `akademi*` "akademin"), and a plain group `(en|er)` becomes `(?:en|er)`, so
  `kostnad(en|er)?` spells its endings. It holds no backslash: a piece that needs one is a verbatim string.
- `order` places the cue among all cues, which `find_ask` tries kind by kind in its priority; within a kind
  (and the question's language plus "*") the first cue that matches wins, so order matters. It is a number
  rather than the place in a file because the files interleave: a year cue of any.toml comes between two
  Swedish future cues. The numbers are unique; leave gaps for new cues.

A `[notes]` table holds the notes' vocabulary: `missing` and `set_plurals` (any.toml), `time_spelling`
(sv.toml); `satisfy.py` says what they are for.

Everything is read and compiled once, at import: an unknown placeholder, a duplicate word, cue or order,
an unknown key or a missing example stops the start-up with a `LexiconError` that says where.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.config import Config
from index.text import fold

KINDS = (
    "amount",
    "count",
    "date",
    "duration",
    "person",
    "other_plan",
    "future",
    "statistic",
    "outcome",
    "procedure",
    "moment",
)
SUBJECTS = ("after", "object", "name")
LEXICON_DIR = Path(__file__).resolve().parent
FILES = (("any.toml", "*"), ("sv.toml", "sv"), ("en.toml", "en"))
NOTES = {"any.toml": {"missing", "set_plurals"}, "sv.toml": {"time_spelling"}, "en.toml": set()}
NAMES_PATH = Config().aliases_path.with_name("names.toml")

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")  # not a quantifier: "{0,3}" has no letter
CUE_KEYS = frozenset("kind order pattern frame lower subject terse_only asks not".split())
NAME_KEYS = frozenset(
    "regions city_regions countries known_organisations not_others organisation_words municipalities".split()
)


class LexiconError(ValueError):
    """A cue table that cannot be used as written."""


@dataclass(frozen=True)
class Cue:
    kind: str
    pattern: re.Pattern[str]
    lang: str = "*"  # "sv", "en" or "*" (names: either language)
    lower: bool = False  # match the lower-cased text with its å/ä/ö rather than the folded text
    # Where the subject is: "after" a preposition following the cue; "object", the words right after the
    # cue ("vad kostar X"); "name", only a capitalised name ("har ni öppet på lördagar" has none).
    subject: str = "after"
    terse_only: bool = False  # a bare noun, for keyword queries without an interrogative


@dataclass(frozen=True)
class Entry:
    """A cue as the files hold it: with its examples and where it was written (for messages)."""

    cue: Cue
    order: int
    asks: tuple[str, ...]
    not_: tuple[str, ...]
    source: str  # "sv.toml, cue 3"


@dataclass(frozen=True)
class Names:
    """knowledge/names.toml: the written names, keyed by their folded form where a question is matched."""

    regions: dict[str, str]  # the 20 regions and counties besides Örebro
    city_regions: tuple[str, ...]  # also cities: named alone they are no region
    countries: dict[str, str]
    known_organisations: list[str]  # whose genitive a lower-case question may use
    not_others: frozenset[str]  # genitives (without -s) that name this region or nothing
    organisation_words: frozenset[str]  # capitalised words that make a pair no personal name
    municipalities: str  # the county's municipalities, as a regex group, written as in text


@dataclass(frozen=True)
class Lexicon:
    entries: tuple[Entry, ...]  # in `order`
    words: dict[str, str] = field(repr=False)  # every word and name placeholder, expanded
    names: Names = field(repr=False)
    missing: tuple[tuple[str, str, str, str], ...] = ()  # (kind, words of the ask, sv, en)
    set_plurals: dict[str, tuple[str, str]] = field(default_factory=dict)
    time_spelling: dict[str, str] = field(default_factory=dict)

    @property
    def cues(self) -> tuple[Cue, ...]:
        return tuple(entry.cue for entry in self.entries)


# --- Spelling ----------------------------------------------------------------------------------------


def spell(text: str, where: str, *, lower: bool = False) -> str:
    """Spelled text as a regex piece: folded (or lower-cased), `*` -> `\\w*`, `(` -> `(?:`."""
    if "\\" in text:
        raise LexiconError(f"{where}: spelled text holds no backslash, write a verbatim pattern: {text!r}")
    written = text.lower() if lower else fold(text)
    return re.sub(r"\*|\((?!\?)", lambda m: r"\w*" if m.group() == "*" else "(?:", written)


def alternatives(names: list[str]) -> str:
    """Names as one regex alternation, longest first, a space matching any run of spaces."""
    return "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(names, key=len, reverse=True))


# --- Reading -----------------------------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise LexiconError(f"{path}: missing") from error
    except tomllib.TOMLDecodeError as error:
        raise LexiconError(f"{path}: {error}") from error


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{where}: expected an array of strings")
    return value


def read_names(path: Path) -> Names:
    data = _read(path)
    if set(data) != NAME_KEYS:
        raise LexiconError(f"{path.name}: expected the keys {sorted(NAME_KEYS)}, found {sorted(data)}")
    lists = {key: _strings(data[key], f"{path.name}: {key}") for key in NAME_KEYS}
    for key, written in lists.items():
        folded = [fold(name) for name in written]
        twice = sorted({name for name in folded if folded.count(name) > 1})
        if twice:
            raise LexiconError(f"{path.name}: {key} names {twice} more than once (folded)")
    return Names(
        regions={fold(name): name for name in lists["regions"]},
        city_regions=tuple(fold(name) for name in lists["city_regions"]),
        countries={fold(name): name for name in lists["countries"]},
        known_organisations=[fold(name) for name in lists["known_organisations"]],
        not_others=frozenset(fold(name) for name in lists["not_others"]),
        organisation_words=frozenset(fold(name) for name in lists["organisation_words"]),
        municipalities="(?:" + "|".join(re.escape(name) for name in lists["municipalities"]) + ")",
    )


def _name_words(names: Names) -> dict[str, str]:
    """The placeholders the names give: the regions (all, counties only, cities) and the countries."""
    return {
        "region_names": alternatives(list(names.regions)),
        "county_only": alternatives([k for k in names.regions if k not in names.city_regions]),
        "cities": alternatives(list(names.city_regions)),
        "country_names": alternatives(list(names.countries)),
    }


class _Words:
    """The `[words]` of all files, expanded on demand, placeholders substituted, circles refused."""

    def __init__(self, raw: dict[str, tuple[object, str]], given: dict[str, str]) -> None:
        self.raw = raw  # name -> (value, file)
        self.done = dict(given)

    def expand(self, name: str, stack: tuple[str, ...] = ()) -> str:
        if name in self.done:
            return self.done[name]
        if name in stack:
            raise LexiconError(f"words: {' -> '.join([*stack, name])} is a circle")
        value, source = self.raw[name]
        where = f"{source}: words.{name}"
        if isinstance(value, str):
            text = value
        elif isinstance(value, dict) and set(value) == {"pattern"}:  # a long regex, in pieces
            text = "".join(_strings(value["pattern"], where))
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            text = "(?:" + "|".join(spell(item, where) for item in value) + ")"
        else:
            raise LexiconError(f"{where}: a word is a regex, an array of spelled items or a `pattern` table")
        self.done[name] = self.substitute(text, where, (*stack, name))
        return self.done[name]

    def substitute(self, text: str, where: str, stack: tuple[str, ...] = ()) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.done and name not in self.raw:
                raise LexiconError(f"{where}: unknown placeholder {{{name}}}")
            return self.expand(name, stack)

        return PLACEHOLDER.sub(one, text)


def _cue(raw: object, lang: str, where: str, words: _Words) -> Entry:
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: a cue is a table")
    unknown = set(raw) - CUE_KEYS
    if unknown:
        raise LexiconError(f"{where}: unknown keys {sorted(unknown)}")
    kind, order = raw.get("kind"), raw.get("order")
    if kind not in KINDS:
        raise LexiconError(f"{where}: kind {kind!r} is none of {KINDS}")
    if not isinstance(order, int) or isinstance(order, bool):
        raise LexiconError(f"{where}: `order` (an integer) is required")
    lower, terse, subject = raw.get("lower", False), raw.get("terse_only", False), raw.get("subject", "after")
    if not isinstance(lower, bool) or not isinstance(terse, bool) or subject not in SUBJECTS:
        raise LexiconError(f"{where}: `lower` and `terse_only` are true/false, `subject` one of {SUBJECTS}")
    if ("pattern" in raw) == ("frame" in raw):
        raise LexiconError(f"{where}: give either `pattern` or `frame`")
    if "pattern" in raw:
        pieces = raw["pattern"] if isinstance(raw["pattern"], list) else [raw["pattern"]]
        text = "".join(_strings(pieces, f"{where}: pattern"))
    else:
        frames = raw["frame"] if isinstance(raw["frame"], list) else [raw["frame"]]
        frames = _strings(frames, f"{where}: frame")
        text = "|".join(rf"\b{spell(f, where, lower=lower)}\b" for f in frames)
    examples = []
    for key in ("asks", "not"):
        found = _strings(raw.get(key), f"{where}: `{key}`")
        if not found:
            raise LexiconError(f"{where}: `{key}` needs at least one example")
        examples.append(tuple(found))
    try:
        pattern = re.compile(words.substitute(text, where))
    except re.error as error:
        raise LexiconError(f"{where}: the pattern does not compile: {error}") from error
    cue = Cue(kind, pattern, lang, lower, subject, terse)
    return Entry(cue, order, examples[0], examples[1], where)


def load(directory: Path = LEXICON_DIR, names_path: Path = NAMES_PATH) -> Lexicon:
    """Read the language files and the names, expand and compile every cue; entries in `order`."""
    names = read_names(names_path)
    given = _name_words(names)
    files = [(name, lang, _read(directory / name)) for name, lang in FILES]
    for name, _, data in files:
        unknown = set(data) - {"words", "cue", "notes"} or set(data.get("notes", {})) - NOTES[name]
        if unknown:
            raise LexiconError(f"{name}: unknown tables or keys {sorted(unknown)}")
    raw_words: dict[str, tuple[object, str]] = {}
    for name, _, data in files:
        for word, value in data.get("words", {}).items():
            if word in raw_words or word in given:
                first = raw_words[word][1] if word in raw_words else names_path.name
                raise LexiconError(f"{name}: words.{word} is already defined in {first}")
            raw_words[word] = (value, name)
    words = _Words(raw_words, given)
    entries: list[Entry] = []
    for name, lang, data in files:
        for number, raw in enumerate(data.get("cue", []), 1):
            entries.append(_cue(raw, lang, f"{name}, cue {number}", words))
    _refuse_duplicates(entries)
    for word in raw_words:
        words.expand(word)  # a word only code uses is checked too
    notes = {name: data.get("notes", {}) for name, _, data in files}
    plurals = notes["any.toml"].get("set_plurals", {})
    for key, pair in plurals.items():
        if len(_strings(pair, f"any.toml: notes.set_plurals.{key}")) != 2:
            raise LexiconError(f"any.toml: notes.set_plurals.{key} is [Swedish, English]")
    spelling = notes["sv.toml"].get("time_spelling", {})
    _strings(list(spelling.values()), "sv.toml: notes.time_spelling")
    return Lexicon(
        entries=tuple(sorted(entries, key=lambda e: e.order)),
        words=words.done,
        names=names,
        missing=_missing(notes["any.toml"].get("missing", []), words),
        set_plurals={key: (pair[0], pair[1]) for key, pair in plurals.items()},
        time_spelling=dict(spelling),
    )


def _refuse_duplicates(entries: list[Entry]) -> None:
    seen: dict[object, str] = {}
    for entry in entries:
        cue = entry.cue
        for key, what in (
            (("order", entry.order), f"order {entry.order}"),
            ((cue.kind, cue.lower, cue.pattern.pattern), "the same cue"),  # in two languages: "*"
        ):
            if key in seen:
                raise LexiconError(f"{entry.source}: {what} as {seen[key]}")
            seen[key] = entry.source


def _missing(rows: object, words: _Words) -> tuple[tuple[str, str, str, str], ...]:
    found = []
    for number, row in enumerate(rows if isinstance(rows, list) else [None], 1):
        where = f"any.toml, missing {number}"
        if not isinstance(row, Mapping) or set(row) != {"kind", "words", "sv", "en"}:
            raise LexiconError(f"{where}: expected kind, words, sv and en")
        if row["kind"] not in KINDS:
            raise LexiconError(f"{where}: kind {row['kind']!r} is none of {KINDS}")
        cue = words.substitute(row["words"], where)
        try:
            re.compile(cue)
        except re.error as error:
            raise LexiconError(f"{where}: `words` does not compile: {error}") from error
        found.append((row["kind"], cue, row["sv"], row["en"]))
    return tuple(found)


LEXICON = load()
CUES = LEXICON.cues
WORDS = LEXICON.words
NAMES = LEXICON.names
