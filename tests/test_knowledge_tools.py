"""`knowledge diff` (what a revised plan changes) and `knowledge check` (the release check before a swap).

The check builds real e5 indexes, so it runs on a small plan cut from the real one (a few seconds a build).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import bot
from handlers.quality.evaluation import Case
from handlers.quality.release import ChangedAnswer, ReleaseReport, applicable, plan_text
from index.knowledge import load_document, parse_markdown
from index.revision import compare, report
from index.store import build_index

ROOT = Path(__file__).resolve().parent.parent
PLAN = (ROOT / "knowledge" / "handlingsplan.md").read_text(encoding="utf-8")
AREAS = "Förbättra arbetsgivarnas strategiska arbete > Insatsområden"
REMOVED_AREA = "Validering som del i rekrytering och kompetensutveckling."


def revise(text: str) -> str:
    """A revision with one change of each kind."""
    text = text.replace(
        "## Kontakt", "### Nya aktören AB\n\nNya aktören AB ger stöd till arbetsgivare.\n\n## Kontakt"
    )
    text = _drop_section(text, "### Globaliseringen\n")
    text = text.replace(
        "### Revidering av handlingsplanen",
        "### Uppföljning av handlingsplanen\n\nRegionen följer upp planen varje år.\n\n"
        "### Revidering av handlingsplanen",
    )
    text = text.replace("Vart fjärde år ses handlingsplanen över", "Vart femte år ses handlingsplanen över")
    head, tail = text.split("## Förbättra arbetsgivarnas strategiska arbete", 1)
    tail = tail.replace(f"- {REMOVED_AREA}\n", "", 1)
    return head + "## Förbättra arbetsgivarnas strategiska arbete" + tail


def _drop_section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.index("\n### ", start + len(heading))
    return text[:start] + text[end + 1 :]


# --- diff ---------------------------------------------------------------------------------------------


def test_diff_reports_each_change() -> None:
    revision = compare(parse_markdown(PLAN), parse_markdown(revise(PLAN)))
    added = [s.name for s in revision.added]
    assert "Aktörer > Nya aktören AB" in added
    assert "Utveckling är något vi skapar tillsammans > Uppföljning av handlingsplanen" in added
    assert [s.name for s in revision.removed] == [
        "Omvärld – var är vi och vart är vi på väg? > Globaliseringen"
    ]
    assert revision.actors_added == ["Nya aktören AB"] and not revision.actors_removed
    changed = {c.section: c.summary for c in revision.changed}
    assert changed["Utveckling är något vi skapar tillsammans > Revidering av handlingsplanen"] == (
        "”fjärde” → ”femte”"
    )
    areas = {c.section: c for c in revision.action_areas}
    assert areas[AREAS].removed == [REMOVED_AREA] and not areas[AREAS].added
    assert not revision.lists  # the only list that changed is an action area list

    text = "\n".join(report(revision, "gammal.md", "ny.md"))
    for expected in (
        "Nya avsnitt:",
        "+ Aktörer > Nya aktören AB",
        "Borttagna avsnitt:",
        "- Omvärld – var är vi och vart är vi på väg? > Globaliseringen",
        "Ändrade avsnitt:",
        "”fjärde” → ”femte”",
        "Aktörer:\n  + Nya aktören AB",
        f"Insatsområden:\n  {AREAS}:\n    - {REMOVED_AREA}",
    ):
        assert expected in text


def test_diff_sees_renamed_headings_and_action_areas() -> None:
    old_area = "Samverkan mellan arbetsgivare, branscher och utbildningssystemets aktörer."
    new_area = "Samverkan mellan arbetsgivare, branscher och utbildningsanordnare."
    text = PLAN.replace("### Prioriterade branscher", "### Prioriterade branscher i länet")
    text = text.replace(f"- {old_area}", f"- {new_area}")
    revision = compare(parse_markdown(PLAN), parse_markdown(text))
    chapter = "Möt arbetskraftsefterfrågan i bristyrken och regionala styrkeområden"
    assert revision.renamed == [
        (f"{chapter} > Prioriterade branscher", f"{chapter} > Prioriterade branscher i länet")
    ]
    assert not revision.added and not revision.removed
    assert all(change.renamed == [(old_area, new_area)] for change in revision.action_areas)
    assert len(revision.action_areas) == 2  # the summary's list and the chapter's


def test_diff_of_the_same_plan_finds_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "gammal.md", tmp_path / "ny.md"
    old.write_text(PLAN, encoding="utf-8")
    new.write_text(PLAN, encoding="utf-8")
    assert bot.main(["knowledge", "diff", str(old), str(new)]) == 0
    assert "Inga skillnader i innehållet." in capsys.readouterr().out


def test_diff_cli_prints_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "gammal.md", tmp_path / "ny.md"
    old.write_text(PLAN, encoding="utf-8")
    new.write_text(revise(PLAN), encoding="utf-8")
    assert bot.main(["knowledge", "diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "Avsnitt: 2 nya, 1 borttagna, 0 med ny rubrik, 2 ändrade" in out
    assert bot.main(["knowledge", "diff", str(tmp_path / "saknas.md"), str(new)]) == 2
    assert "Fel:" in capsys.readouterr().err


# --- check --------------------------------------------------------------------------------------------


def test_check_refuses_a_plan_without_actors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "utan-aktorer.md"
    broken.write_text(PLAN.split("## Aktörer")[0], encoding="utf-8")
    live = tmp_path / "live" / "index"
    code = bot.main(["knowledge", "check", str(broken), "--index-dir", str(live), "--eval"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Inga aktörer hittades" in err and "godkändes inte" in err
    assert "Inga aktörer hittades" in out and "Inte godkänd" in out and "indexet byggdes inte" in out
    assert not live.parent.exists()


def test_check_says_when_the_plan_cannot_be_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = bot.main(
        ["knowledge", "check", str(tmp_path / "saknas.md"), "--index-dir", str(tmp_path / "i"), "--eval"]
    )
    assert code == 1
    assert "Planen går inte att läsa" in capsys.readouterr().out


def test_applicable_cases_keep_their_evidence() -> None:
    text = plan_text(load_document(ROOT / "knowledge" / "handlingsplan.md"))
    cases = [
        Case("a", "Vem äger Almi?", "role", ["ägs av staten"], [["staten"]]),
        Case("b", "?", "fact", ["finns inte i planen"], [["x"]]),
        Case("c", "Vädret?", "out_of_scope"),
        Case("d.1", "Vad gör Almi?", "dialog", [], [["lån"]], dialog="d"),
        Case("d.2", "Och sen?", "dialog", [], [["saknas helt i planen"]], dialog="d"),
        Case("e", "Offentlig sektor?", "fact", ["offentlig sektor har de största"], [["offentlig"]]),
    ]
    assert [c.id for c in applicable(cases, text)] == ["a", "c", "e"]  # headings count; dialogs go whole


def test_report_lists_changed_answers_and_the_next_step() -> None:
    result = ReleaseReport(
        Path("ny.md"), changed=[ChangedAnswer("Vad gör X?", "[avböjer]", "X gör Y. (Aktörer > X)")]
    )
    text = "\n".join(result.lines())
    assert "Frågor vars svar ändras (1):\n  ? Vad gör X?\n    före:  [avböjer]\n    efter: X gör Y." in text
    assert "med ny.md och kör `python bot.py index build`" in text and result.ok


SMALL_CHAPTERS = {"Sammanfattning", "Finansiering", "Aktörer", "Kontakt"}
SMALL_ACTORS = {"Almi", "Business Region Örebro", "Stiftelsen Activa"}


def small_plan(text: str) -> str:
    """The real plan's summary, funding, three actors and contact: every kind of structure, quick to index."""
    kept, chapter, heading = [], "", ""
    for line in text.splitlines():
        if line.startswith("## "):
            chapter, heading = line[3:].strip(), ""
        elif line.startswith("### "):
            heading = line[4:].strip()
        if line.startswith("# ") or (
            chapter in SMALL_CHAPTERS and (chapter != "Aktörer" or heading in SMALL_ACTORS | {""})
        ):
            kept.append(line)
    return "\n".join(kept) + "\n"


def snapshot(index_dir: Path) -> dict[str, object]:
    folder = index_dir.resolve()
    files = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}
    builds = sorted(p.name for p in (index_dir.parent / f"{index_dir.name}.builds").iterdir())
    return {"link": os.readlink(index_dir), "files": files, "builds": builds}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The live plan (the small one) and its index, built once for this module."""
    from index.embed import make_embedder

    folder = tmp_path_factory.mktemp("live")
    plan, index_dir = folder / "live.md", folder / "index"
    plan.write_text(small_plan(PLAN), encoding="utf-8")
    build_index(plan, index_dir, "e5", make_embedder("e5"), progress=lambda message: None)
    return plan, index_dir


def check(new_plan: Path, live: tuple[Path, Path], rows: list[dict], folder: Path) -> int:
    questions = folder / "fragor.jsonl"
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    argv = ["knowledge", "check", str(new_plan), "--knowledge", str(live[0]), "--index-dir", str(live[1])]
    return bot.main([*argv, "--embedder", "e5", "--eval", str(questions), "--limit", "5"])


def test_check_passes_the_unchanged_plan_and_leaves_the_live_index_alone(
    live: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_plan = tmp_path / "ny.md"
    new_plan.write_text(small_plan(PLAN), encoding="utf-8")
    before = snapshot(live[1])
    rows = [
        {
            "id": "q1",
            "q": "Vem äger Almi?",
            "cat": "role",
            "evidence": ["ägs av staten"],
            "answer_any": [["staten"]],
        },
        {"id": "q2", "q": "Vad blir vädret imorgon?", "cat": "out_of_scope"},
        {
            "id": "q3",
            "q": "Hur många folkhögskolor finns det?",
            "cat": "fact",
            "evidence": ["156 folkhögskolor"],
        },
    ]
    code = check(new_plan, live, rows, tmp_path)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "fragor.jsonl: 1.00 → 1.00 (2 frågor, 1 gäller inte längre)" in out
    assert "Frågor vars svar ändras" not in out
    assert f"Godkänd. Byt in den: ersätt den plan boten läser (KOMPETENSBOT_KNOWLEDGE) med {new_plan}" in out
    assert snapshot(live[1]) == before


def test_check_lists_the_answers_a_revision_changes(
    live: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_plan = tmp_path / "ny.md"
    new_plan.write_text(
        small_plan(PLAN).replace("16 regionala dotterbolag", "14 regionala dotterbolag"), "utf-8"
    )
    rows = [{"id": "q1", "q": "Vad gör Almi?", "cat": "role", "answer_any": [["lån"]]}]
    code = check(new_plan, live, rows, tmp_path)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Frågor vars svar ändras (1):\n  ? Vad gör Almi?" in out
    assert "före:  Almi Företagspartner AB ägs av staten och är moderbolag i en koncern med 16" in out
    assert "efter: Almi Företagspartner AB ägs av staten och är moderbolag i en koncern med 14" in out
