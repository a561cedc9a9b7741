"""The report's charts: matplotlib (Agg, no display) drawn to SVG text for inlining in the HTML page.

Text stays text in the SVG (svg.fonttype none: small, searchable, printed sharply) and math parsing is off,
since labels come from stored data ("$" in a channel name must not become TeX). Matplotlib escapes the
text it writes into the SVG.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display on a server

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from handlers.insights.report.labels import OUTCOME_LABELS, channel_label, percent, short_date, short_section  # noqa: E402

COLOURS = ("#1f5f8b", "#e08a1e", "#4f9a57", "#8e5ea2", "#c44e52", "#6b6b6b")
OUTCOME_COLOURS = {"answered": "#4f9a57", "partial": "#e0b01e", "declined": "#c44e52"}
LIKE, DISLIKE = "#4f9a57", "#c44e52"
STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "kompetensbot-report",  # stable ids: the same data gives the same file
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#dddddd",
    "axes.axisbelow": True,
}
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def questions_per_day(buckets: list[date], channels: list[str], counts: dict[date, Counter[str]]) -> str:
    """Stacked bars: questions per day (or week), one colour per channel."""
    figure, axes = _figure(9, 3.2)
    bottom = [0] * len(buckets)
    for i, channel in enumerate(channels):
        heights = [counts[b][channel] for b in buckets]
        axes.bar(
            range(len(buckets)),
            heights,
            bottom=bottom,
            color=COLOURS[i % len(COLOURS)],
            label=channel_label(channel),
        )
        bottom = [a + b for a, b in zip(bottom, heights, strict=True)]
    _date_axis(axes, buckets)
    axes.set_ylabel("Frågor")
    figure.legend(frameon=False, ncols=min(len(channels), 4), loc="outside upper left")
    return _svg(figure)


def outcome_shares(outcomes: Counter[str]) -> str:
    """One horizontal bar split into answered, partial and declined, with the percentages written in."""
    figure, axes = _figure(9, 1.3)
    total = sum(outcomes.values()) or 1
    left = 0.0
    for outcome, label in OUTCOME_LABELS.items():
        share = outcomes[outcome] / total
        axes.barh([0], [share], left=left, color=OUTCOME_COLOURS[outcome], label=label)
        if share >= 0.06:
            axes.text(
                left + share / 2,
                0,
                percent(share),
                ha="center",
                va="center",
                color="white",
                fontweight="bold",
            )
        left += share
    axes.set_xlim(0, 1)
    axes.set_yticks([])
    axes.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: percent(v)))
    axes.grid(False)
    figure.legend(frameon=False, ncols=3, loc="outside upper left")
    return _svg(figure)


def thumbs_per_day(buckets: list[date], thumbs: dict[date, Counter[str]]) -> str:
    """Thumbs up above the line, thumbs down below it, per day (or week)."""
    figure, axes = _figure(9, 2.6)
    positions = range(len(buckets))
    axes.bar(positions, [thumbs[b]["like"] for b in buckets], color=LIKE, label="Tumme upp")
    axes.bar(positions, [-thumbs[b]["dislike"] for b in buckets], color=DISLIKE, label="Tumme ned")
    axes.axhline(0, color="#444444", linewidth=0.8)
    axes.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{abs(v):.0f}"))
    axes.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    _date_axis(axes, buckets)
    figure.legend(frameon=False, ncols=2, loc="outside upper left")
    return _svg(figure)


def cited_sections(cited: list[tuple[str, int]]) -> str:
    """Horizontal bars for the most cited sections, the most cited at the top."""
    shown = cited[::-1]
    figure, axes = _figure(9, 0.6 + 0.28 * len(shown))
    axes.barh(range(len(shown)), [count for _, count in shown], color=COLOURS[0])
    axes.set_yticks(range(len(shown)), [short_section(name) for name, _ in shown])
    axes.grid(True, axis="x")
    axes.grid(False, axis="y")
    axes.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    axes.set_xlabel("Svar som citerar avsnittet")
    return _svg(figure)


def _figure(width: float, height: float) -> tuple[Figure, plt.Axes]:
    with plt.rc_context(STYLE):
        figure = Figure(figsize=(width, height), layout="constrained")  # not pyplot: nothing global kept
        axes = figure.add_subplot()
    return figure, axes


def _date_axis(axes: plt.Axes, buckets: list[date]) -> None:
    step = max(1, len(buckets) // 12)
    ticks = list(range(0, len(buckets), step))
    axes.set_xticks(ticks, [short_date(buckets[i]) for i in ticks])
    axes.set_xlim(-0.6, len(buckets) - 0.4)
    axes.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with plt.rc_context(STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _PROLOGUE.sub("", buffer.getvalue(), count=1)  # the XML declaration and DOCTYPE: not inline
    return _METADATA.sub("", svg, count=1)  # RDF about the file, with links to vocabularies
