"""The release check for a revised plan (`bot.py knowledge check PATH`), run before it goes live.

The new plan's index is built in a temporary folder and the live one is read from a copy, so the live index
is never touched; only a passed check is followed by `index build`, whose atomic swap running servers pick
up by themselves (handlers/engine/live.py). Stages: the plan's structure (actors, lists, action areas), the
suggested follow-ups, the eval sets whose evidence the new plan still has (accuracy against the live plan's
on the same questions), and the questions whose answers change.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from handlers.engine.qa import QA
from handlers.model.answer import DECLINED, PARTIAL, Answer
from handlers.quality.evaluation import Case, Result, load_cases, normalise, run
from index.config import ROOT, Config
from index.knowledge import Document, load_document
from index.revision import outline
from index.store import check_index

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

# A file's accuracy on the new plan may fall this much below the live plan's on the same questions.
MAX_ACCURACY_DROP = 0.05
# Changed answers listed in full; the rest are counted.
MAX_CHANGED_SHOWN = 40
FIRST_LINE_CHARS = 140


def default_eval_files() -> list[Path]:
    """The shared dev set and our own sets, those that exist."""
    shared = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    return [p for p in [shared, *sorted((ROOT / "tests" / "data").glob("*.jsonl"))] if p.exists()]


@dataclass(frozen=True)
class FileScore:
    path: Path
    asked: int
    skipped: int  # questions whose evidence the new plan no longer has
    live_accuracy: float | None
    new_accuracy: float | None


@dataclass(frozen=True)
class ChangedAnswer:
    question: str
    before: str
    after: str


@dataclass
class ReleaseReport:
    plan: Path
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    scores: list[FileScore] = field(default_factory=list)
    changed: list[ChangedAnswer] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def lines(self) -> list[str]:
        lines = [f"Kontroll av {self.plan}", *self.notes]
        if self.scores:
            lines += ["", "Utvärdering (svarsträffsäkerhet, live → ny, på frågorna som fortfarande gäller):"]
            lines += [f"  {_score_line(s)}" for s in self.scores]
        if self.changed:
            lines += ["", f"Frågor vars svar ändras ({len(self.changed)}):"]
            for change in self.changed[:MAX_CHANGED_SHOWN]:
                lines += [
                    f"  ? {change.question}",
                    f"    före:  {change.before}",
                    f"    efter: {change.after}",
                ]
            if len(self.changed) > MAX_CHANGED_SHOWN:
                lines.append(f"  … och {len(self.changed) - MAX_CHANGED_SHOWN} till")
        lines.append("")
        if self.ok:
            return [
                *lines,
                f"Godkänd. Byt in den: ersätt den plan boten läser (KOMPETENSBOT_KNOWLEDGE) med {self.plan} "
                "och kör `python bot.py index build` (servrar som kör byter själva).",
            ]
        return [*lines, "Inte godkänd:", *(f"  - {f}" for f in self.failures)]


def check_release(
    plan: Path,
    config: Config,
    eval_files: Iterable[Path],
    limit: int | None = None,
    progress: Progress = log.info,
) -> ReleaseReport:
    """Check the plan at `plan` against the live one (config.knowledge_path, config.index_dir)."""
    report = ReleaseReport(plan)
    try:
        document = load_document(plan)
    except (OSError, UnicodeDecodeError) as error:
        report.failures.append(f"Planen går inte att läsa: {error}")
        return report
    report.failures += structure_failures(document)
    if report.failures:
        report.notes.append("Planens struktur är trasig; indexet byggdes inte.")
        return report
    report.notes.append(_structure_note(document))
    with tempfile.TemporaryDirectory(prefix="kompetensbot-check-") as folder:
        progress("Bygger indexet för den nya planen i en tillfällig mapp")
        new = QA.load(
            replace(config, knowledge_path=plan, index_dir=Path(folder) / "new" / "index"), progress
        )
        report.failures += suggestion_failures(new)
        report.notes.append(f"Följdfrågor: {len(new.composer.suggester.questions)} besvarbara")
        live = _load_live(config, Path(folder) / "live" / "index", progress)
        _compare_answers(report, live, new, document, eval_files, limit)
    return report


def structure_failures(document: Document) -> list[str]:
    """What the bot cannot do without: sections, actors, lists and the action areas."""
    parts = outline(document)
    failures = []
    if not document.sections:
        failures.append("Planen har inga avsnitt (rubriker med ##).")
    if not parts.actors:
        failures.append("Inga aktörer hittades: planen behöver kapitlet ”## Aktörer” med en ”###” per aktör.")
    if not parts.lists and not parts.action_areas:
        failures.append("Inga listor hittades (rader som börjar med ”- ”).")
    if not parts.action_areas:
        failures.append("Inga insatsområden hittades: en lista under en rubrik med ”Insatsområden”.")
    return failures


def suggestion_failures(qa: QA) -> list[str]:
    """Every actor needs an answerable follow-up ("Vad gör X?"), and every kept one must still answer."""
    questions = qa.composer.suggester.questions
    failures = [
        f"Frågan om aktören {actor.name} besvaras inte från dess avsnitt."
        for actor in qa.actors.actors
        if actor.section not in questions
    ]
    for question in questions.values():
        if not qa.answer(question).answered:
            failures.append(f"Följdfrågan ”{question}” besvaras inte.")
    return failures


def applicable(cases: list[Case], plan_text: str) -> list[Case]:
    """The cases the new plan can still answer: their evidence (or expected words) occur in it. A dialog
    goes whole or not at all, since its turns lean on each other."""
    dropped = {c.dialog or c.id for c in cases if not _still_applies(c, plan_text)}
    return [c for c in cases if (c.dialog or c.id) not in dropped]


def plan_text(document: Document) -> str:
    """The plan's headings and text, normalised like the eval sets' evidence phrases."""
    parts = [
        part for s in document.sections for part in (s.path[-1], *(i for b in s.blocks for i in b.items))
    ]
    return normalise(" ".join(parts))


def _still_applies(case: Case, text: str) -> bool:
    if not case.in_scope or not case.scored:
        return True
    if case.evidence:
        return any(normalise(phrase) in text for phrase in case.evidence)
    return all(any(str(option).lower() in text for option in group) for group in case.answer_any)


def _load_live(config: Config, copy: Path, progress: Progress) -> QA:
    """The live plan's engine from a copy of the live index (built afresh when that is not current)."""
    if check_index(config.index_dir, config.knowledge_path, config.embedder).state == "current":
        shutil.copytree(config.index_dir.resolve(), copy)
    else:
        progress("Det aktuella indexet är inte färskt; bygger det för jämförelsen i en tillfällig mapp")
    return QA.load(replace(config, index_dir=copy), progress)


def _compare_answers(
    report: ReleaseReport, live: QA, new: QA, document: Document, files: Iterable[Path], limit: int | None
) -> None:
    text = plan_text(document)
    for path in files:
        cases = load_cases(path)
        kept = applicable(cases, text)
        before, after = run(kept[:limit], live.answer), run(kept[:limit], new.answer)
        skipped = sum(c.scored for c in cases) - sum(c.scored for c in kept)
        score = FileScore(path, len(after), skipped, _acc(before), _acc(after))
        report.scores.append(score)
        if _dropped(score):
            report.failures.append(
                f"{path.name}: träffsäkerheten sjunker från {score.live_accuracy:.2f} "
                f"till {score.new_accuracy:.2f}."
            )
        report.changed += [
            ChangedAnswer(b.case.question, _gist(b.answer), _gist(a.answer))
            for b, a in zip(before, after, strict=True)
            if _gist(b.answer) != _gist(a.answer)
        ]


def _dropped(score: FileScore) -> bool:
    old, new = score.live_accuracy, score.new_accuracy
    return old is not None and new is not None and new < old - MAX_ACCURACY_DROP


def _acc(results: list[Result]) -> float | None:
    inside = [r for r in results if r.case.in_scope]
    return sum(r.correct for r in inside) / len(inside) if inside else None


def _gist(answer: Answer) -> str:
    """What a content owner compares: how the answer ended, its first line and where it comes from."""
    if answer.outcome == DECLINED:
        return "[avböjer]"
    first = next((line.strip() for line in answer.body.splitlines() if line.strip()), "")
    if len(first) > FIRST_LINE_CHARS:
        first = first[:FIRST_LINE_CHARS].rstrip() + " …"
    section = answer.sources[0].section if answer.sources else "utan källa"
    partial = "[delvis] " if answer.outcome == PARTIAL else ""
    return f"{partial}{first} ({section})"


def _structure_note(document: Document) -> str:
    parts = outline(document)
    areas = sum(len(items) for items in parts.action_areas.values())
    return (
        f"Struktur: {len(document.sections)} avsnitt, {len(parts.actors)} aktörer, "
        f"{len(parts.lists) + len(parts.action_areas)} listor, {areas} insatsområden"
    )


def _score_line(score: FileScore) -> str:
    def fmt(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    skipped = f", {score.skipped} gäller inte längre" if score.skipped else ""
    return (
        f"{score.path.name}: {fmt(score.live_accuracy)} → {fmt(score.new_accuracy)} "
        f"({score.asked} frågor{skipped})"
    )
