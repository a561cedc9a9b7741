"""The curated plan (knowledge/handlingsplan.md) against the raw PDF text it was made from.

Coverage: every word of four or more letters in the raw text is in the curated file, and the curated file
adds no such words of its own. Structure: the chapters, the actor subsections, the lists and the page
markers that the index relies on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.clean import WORD, content_words, dehyphenate

ROOT = Path(__file__).resolve().parent.parent

RAW_PATH = ROOT / "knowledge" / "source" / "regional-handlingsplan-kompetensforsorjning.txt"
CURATED_PATH = ROOT / "knowledge" / "handlingsplan.md"

PAGE_MARKER = re.compile(r"^<!-- page (\d+) -->$")
HEADING = re.compile(r"^(#{1,6}) (.+)$")

# Raw words (after index.clean's automatic joins) that are deliberately not in the curated file.
EXCEPTIONS = {
    "steggenom": "wrong automatic join: 'individuell steg-' is followed by the next page's first line "
    "'genom att ...', but the word goes on elsewhere as 'förflyttning kan bidra ...' (stegförflyttning)",
    "förflyttning": "second half of steg- + förflyttning, printed in another column; joined to "
    "stegförflyttning",
}

# Curated words of four or more letters that are not in the raw text.
ADDED = {
    "kontakt": "heading of the contact details; the plan prints them without a heading",
}

CHAPTERS = [
    "Figur 1: Översiktsbild av regionala utvecklingsstrategin, RUS",
    "Förord",
    "Sammanfattning",
    "Regional utvecklingsstrategi 2019 – 2030",
    "Avgränsning och metod",
    "Omvärld – var är vi och vart är vi på väg?",
    "Strategiska inriktningar",
    "Möt arbetskraftsefterfrågan i bristyrken och regionala styrkeområden",
    "Förbättra arbetsgivarnas strategiska arbete",
    "Utveckling är något vi skapar tillsammans",
    "Finansiering",
    "Aktörer",
    "Kontakt",
]

ACTORS = [
    "Almi",
    "Arbetsförmedlingen",
    "Business Region Örebro",
    "Folkhögskolor",
    "Gysam - Region Örebro län - samverkan gymnasieskolan",
    "Handelskammaren Mälardalen",
    "Länets kommuner",
    "Länsstyrelsen Örebro",
    "Personal- och HR*",
    "Region Örebro län",
    "REKO - Region Örebro län - samverkan kommunal vuxenutbildning",
    "Stiftelsen Activa",
    "Stiftelsen Sky",
    "Svenskt Näringsliv och bransch- och arbetsgivarorganisationer**",
    "Teknikcollege",
    "Vård och omsorgscollege",
    "Yrkesutbildningscenter, Örebro kommun",
    "Örebro läns bildningsförbund",
    "Örebro universitet",
]

# (heading path, number of list items) for the lists of insatsområden and the strategic directions.
MOT = "Möt arbetskraftsefterfrågan i bristyrken och regionala styrkeområden"
FORBATTRA = "Förbättra arbetsgivarnas strategiska kompetensförsörjningsarbete"
LISTS = [
    (("Sammanfattning",), 3),
    (("Sammanfattning", f"{MOT} - insatsområden"), 7),
    (("Sammanfattning", f"{FORBATTRA} – insatsområden"), 6),
    ((MOT, "Insatsområden"), 7),
    (("Förbättra arbetsgivarnas strategiska arbete", "Insatsområden"), 6),
]


@pytest.fixture(scope="module")
def raw() -> str:
    return RAW_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def curated() -> str:
    return CURATED_PATH.read_text(encoding="utf-8")


def words(text: str) -> set[str]:
    """Lower-cased words, hyphenated tokens also split into their parts ("vård-och" -> vård, och)."""
    found = set()
    for token in WORD.findall(text):
        token = token.lower()
        found.add(token)
        found.update(token.split("-"))
    return found


def without_markers(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not PAGE_MARKER.match(line))


def blocks(text: str) -> list[str]:
    """Blocks separated by blank lines (a list is one block)."""
    return [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]


def sections(text: str) -> dict[tuple[str, ...], list[str]]:
    """Lines under each heading path below the title, e.g. ("Aktörer", "Almi") -> its lines."""
    result: dict[tuple[str, ...], list[str]] = {}
    path: list[str] = []
    for line in text.splitlines():
        heading = HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            if level >= 2:
                path = path[: level - 2] + [heading.group(2)]
                result.setdefault(tuple(path), [])
            continue
        if path and line.strip():
            result[tuple(path)].append(line)
    return result


def test_every_raw_word_is_in_the_curated_file(raw, curated):
    missing = content_words(raw) - words(curated) - set(EXCEPTIONS)
    assert not missing, f"raw words missing from the curated file: {sorted(missing)}"


def test_exceptions_are_really_absent(raw, curated):
    present = set(EXCEPTIONS) & words(curated)
    assert not present, f"listed as exceptions but present in the curated file: {sorted(present)}"
    stale = set(EXCEPTIONS) - content_words(raw)
    assert not stale, f"listed as exceptions but not among the raw words: {sorted(stale)}"


def test_curated_file_adds_no_words(raw, curated):
    raw_words = words(dehyphenate(raw))
    added = {w for w in words(without_markers(curated)) if len(w) >= 4} - raw_words
    assert added == set(ADDED), f"words not in the raw text: {sorted(added - set(ADDED))}"


def test_title_and_chapters(curated):
    lines = curated.splitlines()
    assert lines[0] == "# Regional handlingsplan för kompetensförsörjning"
    assert sum(1 for line in lines if line.startswith("# ")) == 1
    chapters = [line[3:] for line in lines if line.startswith("## ")]
    assert chapters == CHAPTERS


def test_actor_subsections(curated):
    secs = sections(curated)
    actors = [path[1] for path in secs if len(path) == 2 and path[0] == "Aktörer"]
    assert actors == ACTORS
    for actor in ACTORS:
        assert secs[("Aktörer", actor)], f"actor {actor!r} has no text"


def test_lists(curated):
    secs = sections(curated)
    for path, count in LISTS:
        lines = secs[path]
        items = [line for line in lines if re.match(r"^(- |\d+\. )", line)]
        assert len(items) == count, f"{path}: {len(items)} items, expected {count}"
        # one list, in one run of lines
        first = lines.index(items[0])
        assert lines[first : first + count] == items, f"{path}: list items are not together"
    numbered = [line for line in secs[("Sammanfattning",)] if re.match(r"^\d+\. ", line)]
    assert [line.split(".")[0] for line in numbered] == ["1", "2", "3"]


def test_lists_are_preceded_by_a_blank_line(curated):
    lines = curated.splitlines()
    for i, line in enumerate(lines):
        is_item = re.match(r"^(- |\d+\. )", line)
        previous_is_item = i > 0 and re.match(r"^(- |\d+\. )", lines[i - 1])
        if is_item and not previous_is_item:
            assert lines[i - 1] == "", f"list at line {i + 1} is not preceded by a blank line"


def test_page_markers(curated):
    numbers = [int(m.group(1)) for line in curated.splitlines() if (m := PAGE_MARKER.match(line))]
    assert numbers, "no page markers"
    assert all(1 <= n <= 40 for n in numbers)
    # anything that looks like a marker is a well-formed one
    for line in curated.splitlines():
        if "<!--" in line:
            assert PAGE_MARKER.match(line), f"malformed marker: {line!r}"
    # every block after the title lies under a page marker: the first block after the title is a marker
    parts = blocks(curated)
    assert parts[0].startswith("# ")
    assert PAGE_MARKER.match(parts[1])
    # markers stand alone, with blank lines around them
    assert all(PAGE_MARKER.match(b) or "<!--" not in b for b in parts)


def test_one_line_per_paragraph_and_no_decoration(curated):
    for block in blocks(curated):
        lines = block.splitlines()
        if len(lines) > 1:
            assert all(re.match(r"^(- |\d+\. )", line) for line in lines), f"multi-line block: {block[:80]!r}"
    assert "•" not in curated
    assert not re.search(r"\*\*[^*\n]+\*\*", curated), "bold text"
    assert not re.search(r"^\* ", curated, re.M), "a paragraph that Markdown would read as a list item"
