"""The cue tables as reviewed data (handlers/understanding/lexicon/, knowledge/names.toml): every cue flags
the questions its `asks` examples give and none of its `not` near misses; the loader refuses what it
cannot use (an unknown placeholder, a cue or an order twice) and keeps the cues in their order."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from handlers.understanding.asks import CUES, PRIORITY, find_ask
from handlers.understanding.lexicon import KINDS, LEXICON, LEXICON_DIR, NAMES_PATH, Entry, LexiconError, load
from handlers.understanding.satisfy import fold_chars


def _langs(entry: Entry) -> tuple[str, ...]:
    return ("sv", "en") if entry.cue.lang == "*" else (entry.cue.lang,)


def _label(entry: Entry) -> str:
    return f"{entry.source} ({entry.cue.kind}, order {entry.order})"


ENTRIES = [pytest.param(entry, id=_label(entry)) for entry in LEXICON.entries]


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_cue_flags_its_examples_with_its_kind(entry):
    cue = entry.cue
    for question in entry.asks:
        text = question.replace("’", "'")
        matched = "".join(c.lower()[:1] for c in text) if cue.lower else fold_chars(text)
        assert cue.pattern.search(matched), f"{_label(entry)}: its pattern misses {question!r}"
        for lang in _langs(entry):  # a "*" cue holds in either language
            ask = find_ask(question, lang)
            assert ask is not None and ask.kind == cue.kind, (question, lang, ask)


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_cue_leaves_its_near_misses_alone(entry):
    for question in entry.not_:
        for lang in _langs(entry):
            ask = find_ask(question, lang)
            assert ask is None or ask.kind != entry.cue.kind, (question, lang, ask)


def test_every_cue_has_one_to_three_examples_each_way():
    for entry in LEXICON.entries:
        assert 1 <= len(entry.asks) <= 3 and 1 <= len(entry.not_) <= 3, _label(entry)


def test_every_kind_has_cues_and_a_priority():
    assert {cue.kind for cue in CUES} == set(KINDS) == set(PRIORITY)


# --- Order -----------------------------------------------------------------------------------------


def test_the_cues_keep_their_order():
    orders = [entry.order for entry in LEXICON.entries]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert tuple(entry.cue for entry in LEXICON.entries) == CUES  # what find_ask tries, in order


@pytest.mark.parametrize(
    ("question", "lang", "phrase"),
    [
        # Within a kind the first cue that matches wins: an event's year (any.toml) before what something
        # yet to come will hold (sv.toml, en.toml), though the files are read the other way round.
        ("Vad kommer konferensen 2025 att innehålla?", "sv", "2025"),
        ("What will the conference in 2025 contain?", "en", "2025"),
        ("Vad kostar det och hur mycket pengar finns?", "sv", "Vad kostar"),
        ("Vem är kontaktperson och vad är telefonnumret?", "sv", "kontaktperson"),
    ],
)
def test_the_first_cue_of_a_kind_wins(question, lang, phrase):
    assert find_ask(question, lang).phrase == phrase


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    directory = tmp_path / "lexicon"
    directory.mkdir()
    for path in LEXICON_DIR.glob("*.toml"):
        shutil.copy(path, directory / path.name)
    names = tmp_path / "names.toml"
    shutil.copy(NAMES_PATH, names)
    return directory, names


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_order_comes_from_the_numbers_not_the_place_in_a_file(tmp_path):
    directory, names = _copy(tmp_path)
    for path in directory.glob("*.toml"):  # each file's cues written in reverse
        body, notes, tail = path.read_text(encoding="utf-8").partition("\n[notes")
        head, *cues = re.split(r"(?m)^(?=\[\[cue\]\])", body)
        cues = [cue.rstrip("\n") + "\n\n" for cue in cues]
        path.write_text(head + "".join(reversed(cues)) + notes + tail, encoding="utf-8")
    assert load(directory, names).cues == LEXICON.cues


# --- Errors ----------------------------------------------------------------------------------------


def test_an_unknown_placeholder_is_refused(tmp_path):
    directory, names = _copy(tmp_path)
    _edit(directory / "sv.toml", "{roles_sv}", "{roller_sv}")
    with pytest.raises(LexiconError, match=r"sv\.toml, cue \d+: unknown placeholder \{roller_sv\}"):
        load(directory, names)


def test_a_duplicate_cue_is_refused(tmp_path):
    directory, names = _copy(tmp_path)
    # The terse "antal" cue again, also for English: the same pattern of the same kind.
    extra = '\n[[cue]]\nkind = "count"\norder = 735\nframe = "antal(et)?"\nterse_only = true\n'
    extra += 'asks = ["antal skolor"]\nnot = ["skolor"]\n'
    _edit(directory / "en.toml", "\n[[cue]]\n", extra + "\n[[cue]]\n")
    with pytest.raises(LexiconError, match=r"the same cue as sv\.toml, cue \d+"):
        load(directory, names)


def test_a_duplicate_order_is_refused(tmp_path):
    directory, names = _copy(tmp_path)
    _edit(directory / "en.toml", "order = 130", "order = 90")
    with pytest.raises(LexiconError, match=r"order 90 as sv\.toml, cue 1"):
        load(directory, names)


def test_a_duplicate_word_is_refused(tmp_path):
    directory, names = _copy(tmp_path)
    _edit(directory / "en.toml", "[words]\n", '[words]\ngap = "x"\n')
    with pytest.raises(LexiconError, match=r"words\.gap is already defined in any\.toml"):
        load(directory, names)


def test_a_cue_without_near_misses_is_refused(tmp_path):
    directory, names = _copy(tmp_path)
    _edit(directory / "sv.toml", 'not = ["Vilka folkhögskolor finns det?"]', "not = []")
    with pytest.raises(LexiconError, match="`not` needs at least one example"):
        load(directory, names)


def test_spelled_text_holds_no_regex_escapes(tmp_path):
    directory, names = _copy(tmp_path)
    _edit(directory / "sv.toml", 'frame = "hur många"', 'frame = "hur\\\\s+många"')
    with pytest.raises(LexiconError, match="no backslash"):
        load(directory, names)


def test_names_that_fold_alike_are_refused(tmp_path):
    directory, names = _copy(tmp_path)
    _edit(names, '"Sörmland",', '"Sörmland",\n    "Sormland",')
    with pytest.raises(LexiconError, match=r"regions names \['sormland'\] more than once"):
        load(directory, names)


def test_the_files_are_package_data():
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"handlers.understanding.lexicon" = ["*.toml"]' in pyproject


def test_a_misspelt_key_is_refused(tmp_path):
    directory, names = _copy(tmp_path)
    _edit(directory / "en.toml", "\nnot = [", "\nnots = [")
    with pytest.raises(LexiconError, match=r"en\.toml, cue 1: unknown keys \['nots'\]"):
        load(directory, names)


def test_fold_chars_folds_one_character_for_one() -> None:
    """fold_chars is str.translate on a table filled as characters come: the same as folding each character
    and keeping its first, for any character, so a span of the folded text is a span of the original."""
    from index.text import fold

    text = "Förordet ÅÄÖ åäö éü ß İstanbul ﬁ Σς \u00a0 " + "".join(map(chr, range(0x20, 0x3000, 7)))
    assert fold_chars(text) == "".join(fold(c)[:1] for c in text)
    assert len(fold_chars(text)) == len(text)
