"""`--csv DIR`: the period's raw rows as CSV files (UTF-8), for a spreadsheet or another tool.

Written with a byte-order mark, because Excel reads UTF-8 (å, ä, ö) correctly only with one. A cell that
starts like a formula (=, +, -, @) gets a leading apostrophe: the texts are what the public typed, and a
spreadsheet must not run them (CSV injection).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from handlers.insights.feedback import StoredFeedback
from handlers.insights.question_log import LoggedQuestion
from handlers.insights.store import format_time

QUESTION_COLUMNS = (
    "id",
    "time",
    "channel",
    "lang",
    "outcome",
    "sections",
    "latency_ms",
    "question",
    "conversation",
)
FEEDBACK_COLUMNS = (
    "id",
    "time",
    "channel",
    "reaction",
    "comment",
    "question",
    "sections",
    "conversation",
    "question_id",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_csv(folder: Path, questions: list[LoggedQuestion], feedback: list[StoredFeedback]) -> list[Path]:
    """questions.csv and feedback.csv in `folder` (created); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _write(folder / "questions.csv", QUESTION_COLUMNS, [_row(q, QUESTION_COLUMNS) for q in questions]),
        _write(folder / "feedback.csv", FEEDBACK_COLUMNS, [_row(f, FEEDBACK_COLUMNS) for f in feedback]),
    ]


def _row(record: LoggedQuestion | StoredFeedback, columns: tuple[str, ...]) -> list[str]:
    return [_cell(getattr(record, column)) for column in columns]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return json.dumps(list(value), ensure_ascii=False)
    if hasattr(value, "astimezone"):
        return format_time(value)  # type: ignore[arg-type]
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) and not isinstance(value, int) else text


def _write(path: Path, columns: tuple[str, ...], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path
