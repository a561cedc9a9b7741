"""What a revised plan changes: sections added, removed, renamed and changed, and the actors, action areas
(insatsområden) and lists that changed, for `bot.py knowledge diff OLD NEW`.

Everything comes from the curated Markdown's structure (index/knowledge.py), so any revision can be compared.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from index.knowledge import Document, Section

# The actors are the sub-sections of this chapter (as in handlers/understanding/actors.py; index/ does not
# import handlers).
ACTORS_CHAPTER = "Aktörer"
# Action areas: the items of lists under headings that name them ("Insatsområden", "… - insatsområden").
ACTION_AREAS = re.compile(r"insatsområden", re.IGNORECASE)
# A removed and an added section (or item) this alike are one renamed thing, not two changes.
RENAMED_RATIO = 0.8
RENAMED_ITEM_RATIO = 0.6
# A changed section's summary shows this many edits, each cut to this many words.
MAX_EDITS = 3
MAX_EDIT_WORDS = 12


@dataclass(frozen=True)
class Outline:
    """The parts of a plan that a revision can change, each keyed by section name."""

    sections: dict[str, Section]
    actors: list[str]
    action_areas: dict[str, tuple[str, ...]]  # section name -> its action areas
    lists: dict[str, tuple[str, ...]]  # section name -> its list items (action areas excluded)


@dataclass(frozen=True)
class ItemChanges:
    section: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SectionChange:
    section: str
    page: int | None
    summary: str  # word-level, short


@dataclass
class Revision:
    added: list[Section] = field(default_factory=list)
    removed: list[Section] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    changed: list[SectionChange] = field(default_factory=list)
    actors_added: list[str] = field(default_factory=list)
    actors_removed: list[str] = field(default_factory=list)
    action_areas: list[ItemChanges] = field(default_factory=list)
    lists: list[ItemChanges] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        parts = [self.added, self.removed, self.renamed, self.changed, self.actors_added, self.actors_removed]
        return not any([*parts, self.action_areas, self.lists])


def outline(document: Document) -> Outline:
    sections = {s.name: s for s in document.sections}
    chapter = document.section(ACTORS_CHAPTER)
    actors = [_clean(c.path[-1]) for c in document.children(chapter)] if chapter else []
    areas: dict[str, tuple[str, ...]] = {}
    lists: dict[str, tuple[str, ...]] = {}
    for section in document.sections:
        items = tuple(item for b in section.blocks if b.kind == "list" for item in b.items)
        if items:
            target = areas if ACTION_AREAS.search(section.path[-1]) else lists
            target[section.name] = items
    return Outline(sections, actors, areas, lists)


def compare(old: Document, new: Document) -> Revision:
    before, after = outline(old), outline(new)
    added = [s for name, s in after.sections.items() if name not in before.sections]
    removed = [s for name, s in before.sections.items() if name not in after.sections]
    renamed = _renamed_sections(removed, added)
    gone = {a for a, _ in renamed}
    came = {b for _, b in renamed}
    revision = Revision(
        added=[s for s in added if s.name not in came],
        removed=[s for s in removed if s.name not in gone],
        renamed=renamed,
        actors_added=[a for a in after.actors if a not in before.actors],
        actors_removed=[a for a in before.actors if a not in after.actors],
        action_areas=_item_changes(before.action_areas, after.action_areas),
        lists=_item_changes(before.lists, after.lists),
    )
    pairs = [(n, n) for n in before.sections if n in after.sections] + renamed
    for old_name, new_name in pairs:
        old_text, new_text = section_text(before.sections[old_name]), section_text(after.sections[new_name])
        if old_text != new_text:
            page = after.sections[new_name].page
            revision.changed.append(SectionChange(new_name, page, word_summary(old_text, new_text)))
    return revision


def section_text(section: Section) -> str:
    return "\n".join(b.text for b in section.blocks)


def word_summary(old: str, new: str) -> str:
    """The first few word-level edits: ”old words” → ”new words”, tillagt: ”…”, borttaget: ”…”."""
    a, b = old.split(), new.split()
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    edits = [op for op in opcodes if op[0] != "equal"]
    parts = []
    for tag, i1, i2, j1, j2 in edits[:MAX_EDITS]:
        if tag == "replace":
            parts.append(f"{_quote(a[i1:i2])} → {_quote(b[j1:j2])}")
        elif tag == "insert":
            parts.append(f"tillagt: {_quote(b[j1:j2])}")
        else:
            parts.append(f"borttaget: {_quote(a[i1:i2])}")
    if len(edits) > MAX_EDITS:
        parts.append(f"och {len(edits) - MAX_EDITS} ändringar till")
    return "; ".join(parts)


def report(revision: Revision, old_label: str, new_label: str) -> list[str]:
    """The Swedish report for a content owner."""
    lines = [f"Jämförelse av {old_label} (gammal) med {new_label} (ny)"]
    if revision.empty:
        return [*lines, "Inga skillnader i innehållet."]
    lines.append(
        f"Avsnitt: {len(revision.added)} nya, {len(revision.removed)} borttagna, "
        f"{len(revision.renamed)} med ny rubrik, {len(revision.changed)} ändrade"
    )
    lines += _block("Nya avsnitt", [f"+ {s.name}{_page(s.page)}" for s in revision.added])
    lines += _block("Borttagna avsnitt", [f"- {s.name}{_page(s.page)}" for s in revision.removed])
    lines += _block("Avsnitt med ny rubrik", [f"~ {a} → {b}" for a, b in revision.renamed])
    changed = [f"~ {c.section}{_page(c.page)}: {c.summary}" for c in revision.changed]
    lines += _block("Ändrade avsnitt", changed)
    actors = [f"+ {a}" for a in revision.actors_added] + [f"- {a}" for a in revision.actors_removed]
    lines += _block("Aktörer", actors)
    lines += _block("Insatsområden", [line for c in revision.action_areas for line in _items(c)])
    lines += _block("Listor", [line for c in revision.lists for line in _items(c)])
    return lines


def _renamed_sections(removed: list[Section], added: list[Section]) -> list[tuple[str, str]]:
    """Removed and added sections under the same parent with nearly the same text: a new heading."""
    pairs = []
    taken: set[str] = set()
    for old in removed:
        for new in added:
            if new.name in taken or old.path[:-1] != new.path[:-1]:
                continue
            old_text, new_text = section_text(old), section_text(new)
            if old_text and difflib.SequenceMatcher(None, old_text, new_text).ratio() >= RENAMED_RATIO:
                pairs.append((old.name, new.name))
                taken.add(new.name)
                break
    return pairs


def _item_changes(before: dict[str, tuple[str, ...]], after: dict[str, tuple[str, ...]]) -> list[ItemChanges]:
    changes = []
    for name in [*before, *(n for n in after if n not in before)]:
        old, new = before.get(name, ()), after.get(name, ())
        removed = [i for i in old if i not in new]
        added = [i for i in new if i not in old]
        renamed = []
        for item in list(removed):
            match = difflib.get_close_matches(item, added, n=1, cutoff=RENAMED_ITEM_RATIO)
            if match:
                renamed.append((item, match[0]))
                removed.remove(item)
                added.remove(match[0])
        if added or removed or renamed:
            changes.append(ItemChanges(name, added, removed, renamed))
    return changes


def _items(change: ItemChanges) -> list[str]:
    return (
        [f"{change.section}:"]
        + [f"  + {i}" for i in change.added]
        + [f"  - {i}" for i in change.removed]
        + [f"  ~ {a} → {b}" for a, b in change.renamed]
    )


def _block(title: str, lines: list[str]) -> list[str]:
    return ["", f"{title}:", *(f"  {line}" for line in lines)] if lines else []


def _page(page: int | None) -> str:
    return f" (s. {page})" if page else ""


def _quote(words: list[str]) -> str:
    cut = words[:MAX_EDIT_WORDS]
    return "”" + " ".join(cut) + (" …" if len(words) > len(cut) else "") + "”"


def _clean(heading: str) -> str:
    return heading.rstrip("*").strip()  # footnote marks ("Personal- och HR*")
