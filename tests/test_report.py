"""`bot.py report` (handlers/insights/report/): a generated month of realistic traffic written through the
real store API into a SQLite file, then the report built from it: its figures match the log, the HTML has
every part with inline SVG charts and nothing external, declined questions asked in different words are
grouped together (the bundled e5), stored text is escaped, an empty store says so, and the CLI writes HTML
and CSV."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from handlers.insights.feedback import FeedbackEntry, FeedbackStore
from handlers.insights.question_log import QuestionEntry, QuestionLog
from handlers.insights.report import Report, build_report, parse_since
from handlers.insights.report.clusters import group_questions
from handlers.insights.report.sample import DECLINED_TOPICS, SampleLog, write_sample_log
from index.config import ROOT, Config
from index.embed import embed_queries, make_embedder
from index.knowledge import load_document

END = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
DAYS = 29  # every generated question falls inside a 30-day report
SCRIPT_QUESTION = "<script>alert('hej')</script> Vad kostar kursen?"
HOSTILE_COMMENT = "<img src=x onerror=alert(1)> =SUMMA(A1) dåligt svar"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture(scope="module")
def e5():
    """The bundled e5, remembering vectors: the tests embed the same questions several times."""
    model = make_embedder("e5")
    cache: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            cache.update(zip(missing, embed_queries(model, missing), strict=True))
        return np.stack([cache[t] for t in texts])

    return lambda: embed


@pytest.fixture(scope="module")
def plan_sections() -> list[str]:
    return [s.name for s in load_document(Config().knowledge_path).sections if s.blocks]


def open_store(path: Path | str) -> tuple[Config, FeedbackStore, QuestionLog]:
    """The store at a SQLite file's path, or at a database URL (PostgreSQL)."""
    url = path if isinstance(path, str) else f"sqlite:///{path}"
    config = replace(Config(), database_url=url)
    store = FeedbackStore.open(config)
    return config, store, QuestionLog(store.database)


def write_log(path: Path | str, end: datetime) -> tuple[Config, SampleLog]:
    """The generated month, plus hostile text and one question from before the period."""
    config, store, log = open_store(path)
    sample = write_sample_log(store, log, end, days=DAYS)
    hostile = QuestionEntry(SCRIPT_QUESTION, "webchat", "sv", "partial", ("Finansiering",), 90, "c-x", end)
    log.add(hostile)
    sample.questions.append(hostile)
    reaction = FeedbackEntry(
        "dislike", "webchat", HOSTILE_COMMENT, SCRIPT_QUESTION, ("Finansiering",), "c-x", end
    )
    store.add(reaction)
    sample.feedback.append(reaction)
    log.add(
        QuestionEntry("Gammal fråga", "msteams", "sv", "answered", (), 50, "c-old", end - timedelta(days=40))
    )
    store.close()
    return config, sample


@pytest.fixture(scope="module")
def store_config(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, SampleLog]:
    return write_log(tmp_path_factory.mktemp("report") / "store.sqlite3", END)


@pytest.fixture(scope="module")
def generated(store_config: tuple[Config, SampleLog], e5, plan_sections) -> tuple[SampleLog, Report]:
    config, sample = store_config
    store = FeedbackStore.open(config)
    try:
        report = build_report(store, plan_sections, e5, timedelta(days=30), now=END)
    finally:
        store.close()
    return sample, report


def test_since_accepts_days_and_weeks() -> None:
    assert parse_since("7d") == timedelta(days=7)
    assert parse_since("30d") == timedelta(days=30)
    assert parse_since("12w") == timedelta(weeks=12)
    for bad in ("", "30", "0d", "3x", "-5d", "1y"):
        with pytest.raises(ValueError, match="ogiltig period"):
            parse_since(bad)


def test_figures_match_the_log(generated: tuple[SampleLog, Report], plan_sections: list[str]) -> None:
    sample, report = generated
    figures = report.figures
    asked = sample.questions
    assert 250 <= len(asked) <= 450 and figures.total == len(asked)  # the old question is left out
    assert figures.outcomes == Counter(q.outcome for q in asked)
    assert set(figures.outcomes) == {"answered", "partial", "declined"}
    assert figures.channels[0] == "msteams" and len(figures.channels) >= 3
    per_day = Counter(q.time.astimezone(STOCKHOLM).date() for q in asked)
    assert {b: sum(c.values()) for b, c in figures.per_bucket.items() if c} == per_day
    assert len(figures.buckets) == 31 and not figures.period.weekly
    reactions = Counter(f.reaction for f in sample.feedback)
    assert figures.reactions("like") == reactions["like"] > 0
    assert figures.reactions("dislike") == reactions["dislike"] > 0
    cited = Counter(s for q in asked for s in q.sections)
    assert figures.cited[0] == cited.most_common(1)[0]
    assert "Förord" in figures.never_cited and "Aktörer > Almi" not in figures.never_cited
    assert set(figures.never_cited) == set(plan_sections) - set(cited)
    assert len(figures.dislikes) == reactions["dislike"]
    assert figures.dislikes[0].comment == HOSTILE_COMMENT  # newest first


def test_page_has_every_part_inline(generated: tuple[SampleLog, Report]) -> None:
    html = generated[1].html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="sv">' in html
    for part in ("per-dag", "utfall", "tummar", "avsnitt", "avbojda", "tumme-ned"):
        assert f'<section id="{part}">' in html, part
    for heading in (
        "Frågor per dag och kanal",
        "Besvarade, delvis besvarade och avböjda",
        "Tummar upp och ned",
        "Avsnitt som aldrig citerats",
        "Avböjda frågor, grupperade efter innebörd",
        "Svar som fått tumme ned",
    ):
        assert heading in html, heading
    assert html.count("<svg") == 4 and "<style>" in html and "@media print" in html
    assert "<script" not in html.lower() and "<link" not in html and "<img" not in html
    without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", html)
    assert "http://" not in without_namespaces and "https://" not in without_namespaces
    assert not re.search(r"\b(src|href)=\"(?!#)", without_namespaces)  # only links inside an SVG


def test_page_shows_the_counts(generated: tuple[SampleLog, Report]) -> None:
    sample, report = generated
    html, figures = report.html, report.figures
    outcomes = [figures.outcomes[o] for o in ("answered", "partial", "declined")]
    totals = "".join(f'<td class="num">{n}</td>' for n in [*outcomes, figures.total])
    assert f"<td>Totalt</td>{totals}" in html  # the outcome table's totals row
    teams = figures.outcomes_per_channel["msteams"]
    assert f'<td>Teams</td><td class="num">{teams["answered"]}</td>' in html
    assert f"<b>{figures.total}</b><span>frågor</span>" in html
    likes = sum(f.reaction == "like" for f in sample.feedback)
    assert f"<b>{likes}</b><span>tummar upp</span>" in html
    name, count = figures.cited[0]
    assert f'<td>{name.replace(">", "&gt;")}</td><td class="num">{count}</td>' in html


def test_declined_questions_grouped_by_meaning(generated: tuple[SampleLog, Report]) -> None:
    sample, report = generated
    groups = report.figures.declined
    declined = [q.question for q in sample.questions if q.outcome == "declined"]
    assert sum(g.size for g in groups) == len(declined)
    assert [g.size for g in groups] == sorted((g.size for g in groups), reverse=True)
    assert all(1 <= len(g.examples) <= 3 and set(g.examples) <= set(g.wordings) for g in groups)
    for topic in ("lediga jobb", "studiemedel", "vädret"):  # e5 keeps these apart in any wording
        asked = {q for q in declined if sample.topics.get(q) == topic}
        holding = [g for g in groups if asked & set(g.wordings)]
        assert len(holding) == 1, (topic, [g.wordings for g in holding])
        assert set(holding[0].wordings) == asked, topic
        assert holding[0].size == sum(1 for q in declined if q in asked)
        examples = "".join(f"<li>{e}</li>" for e in holding[0].examples)
        assert f'<td class="num">{holding[0].size}</td>' in report.html and examples in report.html


def test_grouping_keeps_different_needs_apart(e5) -> None:
    questions = [q for topic in ("lediga jobb", "studiemedel", "vädret") for q in DECLINED_TOPICS[topic]]
    groups = group_questions(questions * 2, e5())
    assert len(groups) == 3 and sorted(g.size for g in groups) == [8, 10, 12]


def test_stored_text_is_escaped(generated: tuple[SampleLog, Report]) -> None:
    html = generated[1].html
    assert "&lt;script&gt;alert(&#x27;hej&#x27;)&lt;/script&gt; Vad kostar kursen?" in html
    assert "&lt;img src=x onerror=alert(1)&gt; =SUMMA(A1) dåligt svar" in html
    assert "<script" not in html.lower() and "onerror=alert(1)>" not in html


def test_empty_store_says_there_is_nothing_yet(tmp_path: Path, plan_sections: list[str]) -> None:
    _, store, _ = open_store(tmp_path / "empty.sqlite3")
    asked: list[bool] = []
    report = build_report(store, plan_sections, lambda: asked.append(True), timedelta(days=7), now=END)
    store.close()
    assert report.figures.total == 0 and not asked  # no embedder loaded for nothing
    assert "Inget att visa ännu" in report.html and "<svg" not in report.html
    assert report.summary().startswith("0 frågor")


def test_weeks_for_a_long_period(
    store_config: tuple[Config, SampleLog], generated: tuple[SampleLog, Report], e5, plan_sections
) -> None:
    store = FeedbackStore.open(store_config[0])
    report = build_report(store, plan_sections, e5, parse_since("12w"), now=END)
    store.close()
    figures = report.figures
    assert figures.period.weekly and all(b.weekday() == 0 for b in figures.buckets)
    assert sum(sum(c.values()) for c in figures.per_bucket.values()) == figures.total
    assert figures.total == generated[1].figures.total + 1  # the 40-day-old question is in
    assert "Frågor per vecka och kanal" in report.html


def test_cli_writes_the_page_and_csv(tmp_path: Path) -> None:
    _, sample = write_log(tmp_path / "store.sqlite3", datetime.now(UTC))
    out, csv_dir = tmp_path / "out" / "report.html", tmp_path / "csv"
    env = {**os.environ, "KOMPETENSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"}
    command = [sys.executable, "bot.py", "report", "--since", "30d", "--out", str(out), "--csv", str(csv_dir)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith(f"{len(sample.questions)} frågor (") and "tummar ned" in lines[0]
    assert lines[1] == f"Rapport: {out} (CSV i {csv_dir})"
    assert "<svg" in out.read_text(encoding="utf-8")
    questions = read_csv(csv_dir / "questions.csv")
    feedback = read_csv(csv_dir / "feedback.csv")
    assert len(questions) == len(sample.questions) and len(feedback) == len(sample.feedback)
    assert questions[0].keys() >= {"time", "channel", "lang", "outcome", "sections", "question"}
    assert any(row["question"] == SCRIPT_QUESTION for row in questions)
    assert any(row["comment"] == HOSTILE_COMMENT for row in feedback)  # text, not a formula start
    assert any("Arbetsförmedlingen" in row["sections"] for row in questions)


def test_cli_refuses_a_bad_period(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import bot

    with pytest.raises(SystemExit) as exited:
        bot.main(["report", "--since", "en månad", "--out", str(tmp_path / "r.html")])
    assert exited.value.code == 2 and "ogiltig period" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_cells_never_start_a_formula() -> None:
    from handlers.insights.report.tables import _cell

    assert [_cell(v) for v in ("=SUMMA(A1)", "+46", "-1", "@x", "Vad gör Almi?")] == [
        "'=SUMMA(A1)",
        "'+46",
        "'-1",
        "'@x",
        "Vad gör Almi?",
    ]
    assert _cell(-5) == "-5" and _cell(None) == "" and _cell(("A > B",)) == '["A > B"]'


def test_the_report_reads_postgresql_the_same_way(
    postgres, generated: tuple[SampleLog, Report], e5, plan_sections: list[str]
) -> None:
    """Several instances share a PostgreSQL store: the same log there gives the same report."""
    config, _ = write_log(postgres.new_database(), END)
    store = FeedbackStore.open(config)
    try:
        report = build_report(store, plan_sections, e5, timedelta(days=30), now=END)
    finally:
        store.close()
    assert report.summary() == generated[1].summary()
    assert report.figures.total == generated[1].figures.total
