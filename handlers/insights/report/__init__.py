"""`bot.py report`: what people ask the bot, for the plan's content owners, as one HTML file.

Reads the question log and the feedback of a period from the store (handlers.insights.store), groups the
declined questions by meaning with the configured embedder, and writes a self-contained Swedish page
(handlers.insights.report.page) and, on request, the raw rows as CSV (handlers.insights.report.tables).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from handlers.insights.feedback import FeedbackStore, StoredFeedback
from handlers.insights.question_log import LoggedQuestion, QuestionLog
from handlers.insights.report.clusters import group_questions
from handlers.insights.report.figures import Figures, Period, compute, parse_since
from handlers.insights.report.labels import percent
from handlers.insights.report.page import render
from handlers.insights.report.tables import write_csv
from index.config import Config

__all__ = ["Report", "build_report", "parse_since", "write_report"]

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Report:
    html: str
    figures: Figures
    questions: list[LoggedQuestion]
    feedback: list[StoredFeedback]

    def summary(self) -> str:
        """One line for the terminal."""
        f = self.figures
        groups = sum(1 for g in f.declined if g.size > 1)
        answered, partial, declined = (percent(f.share(o)) for o in ("answered", "partial", "declined"))
        return (
            f"{f.total} frågor ({answered} besvarade, {partial} delvis, {declined} avböjda), "
            f"{f.reactions('like')} tummar upp, "
            f"{f.reactions('dislike')} tummar ned, {groups} grupper av återkommande avböjda frågor"
        )


def build_report(
    store: FeedbackStore,
    plan_sections: list[str],
    embed: Callable[[], Embed],
    since: timedelta,
    now: datetime | None = None,
) -> Report:
    """The report for the period `since` before `now`; `embed` is asked for only if something was declined."""
    end = now or datetime.now(UTC)
    period = Period(end - since, end)
    questions = QuestionLog(store.database).entries(period.start)
    feedback = store.entries(period.start)
    questions = [q for q in questions if q.time <= end]
    feedback = [f for f in feedback if f.time <= end]
    declined = [q.question for q in questions if q.outcome == "declined"]
    groups = group_questions(declined, embed()) if declined else []
    figures = compute(period, questions, feedback, plan_sections, groups)
    html = render(figures, {q.id: q.question for q in questions}, end)
    return Report(html, figures, questions, feedback)


def write_report(
    config: Config, since: timedelta, out: Path, csv_dir: Path | None = None, now: datetime | None = None
) -> Report:
    """Build the report from the configured store and plan; write the page (and the CSV files)."""
    from index.embed import embed_queries, make_embedder
    from index.knowledge import load_document

    sections = [s.name for s in load_document(config.knowledge_path).sections if s.blocks]

    def embedder() -> Embed:
        model = make_embedder(config.embedder)
        return lambda texts: embed_queries(model, texts)

    store = FeedbackStore.open(config)
    try:
        report = build_report(store, sections, embedder, since, now)
    finally:
        store.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.html, encoding="utf-8")
    if csv_dir is not None:
        write_csv(csv_dir, report.questions, report.feedback)
    return report
