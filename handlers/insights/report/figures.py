"""The report's figures, computed from the question log and the feedback of one period.

Days are Swedish calendar days (Europe/Stockholm), the days a content owner lives in; a period longer than
WEEKLY_AFTER days is counted per week (Monday first) so that charts and tables stay readable.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.insights.feedback import StoredFeedback
from handlers.insights.question_log import LoggedQuestion
from handlers.insights.report.clusters import Group
from handlers.model.answer import OUTCOMES

WEEKLY_AFTER = 62  # days
MAX_DISLIKES = 200  # thumbs-down rows shown, newest first; the CSV has all
_SINCE = re.compile(r"^\s*(\d{1,4})\s*([dw])\s*$", re.IGNORECASE)


def local_zone() -> tzinfo:
    try:
        return ZoneInfo("Europe/Stockholm")
    except ZoneInfoNotFoundError:  # a minimal image without tz data: UTC days rather than failing
        return UTC


def parse_since(text: str) -> timedelta:
    """ "7d", "30d", "12w" → the period's length."""
    match = _SINCE.match(text)
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"ogiltig period {text!r}: ange t.ex. 7d, 30d eller 12w (dagar eller veckor)")
    number, unit = int(match.group(1)), match.group(2).lower()
    return timedelta(days=number * (7 if unit == "w" else 1))


@dataclass(frozen=True)
class Period:
    start: datetime  # UTC
    end: datetime  # UTC
    zone: tzinfo = field(default_factory=local_zone)

    @property
    def weekly(self) -> bool:
        return (self.end - self.start).days > WEEKLY_AFTER

    def bucket(self, moment: datetime) -> date:
        """The day (or the week's Monday) a moment falls on, in Swedish time."""
        day = moment.astimezone(self.zone).date()
        return day - timedelta(days=day.weekday()) if self.weekly else day

    def buckets(self) -> list[date]:
        """Every day (or week) of the period, empty ones too, so charts show the quiet days."""
        first, last = self.bucket(self.start), self.bucket(self.end)
        step = timedelta(days=7 if self.weekly else 1)
        return [first + step * i for i in range((last - first) // step + 1)]


@dataclass(frozen=True)
class Figures:
    period: Period
    buckets: list[date]
    channels: list[str]  # most questions first
    per_bucket: dict[date, Counter[str]]  # bucket → questions per channel
    outcomes: Counter[str]
    outcomes_per_channel: dict[str, Counter[str]]
    thumbs: dict[date, Counter[str]]  # bucket → like/dislike
    cited: list[tuple[str, int]]  # sections, most cited first
    never_cited: list[str]  # the plan's sections with text that no answer cited, in the plan's order
    declined: list[Group]
    dislikes: list[StoredFeedback]  # newest first, at most MAX_DISLIKES

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    def reactions(self, reaction: str) -> int:
        return sum(counts[reaction] for counts in self.thumbs.values())

    def share(self, outcome: str) -> float:
        return self.outcomes[outcome] / self.total if self.total else 0.0


def compute(
    period: Period,
    questions: list[LoggedQuestion],
    feedback: list[StoredFeedback],
    plan_sections: list[str],
    declined: list[Group],
) -> Figures:
    buckets = period.buckets()
    per_bucket: dict[date, Counter[str]] = {b: Counter() for b in buckets}
    thumbs: dict[date, Counter[str]] = {b: Counter() for b in buckets}
    outcomes_per_channel: dict[str, Counter[str]] = {}
    for question in questions:
        per_bucket.setdefault(period.bucket(question.time), Counter())[question.channel] += 1
        outcomes_per_channel.setdefault(question.channel, Counter())[question.outcome] += 1
    for reaction in feedback:
        thumbs.setdefault(period.bucket(reaction.time), Counter())[reaction.reaction] += 1
    channels = Counter(q.channel for q in questions)
    cited = Counter(section for q in questions for section in q.sections)
    return Figures(
        period=period,
        buckets=buckets,
        channels=[name for name, _ in sorted(channels.items(), key=lambda kv: (-kv[1], kv[0]))],
        per_bucket=per_bucket,
        outcomes=Counter({o: sum(c[o] for c in outcomes_per_channel.values()) for o in OUTCOMES}),
        outcomes_per_channel=outcomes_per_channel,
        thumbs=thumbs,
        cited=sorted(cited.items(), key=lambda kv: (-kv[1], kv[0])),
        never_cited=[s for s in plan_sections if s not in cited],
        declined=declined,
        dislikes=[f for f in reversed(feedback) if f.reaction == "dislike"][:MAX_DISLIKES],
    )
