"""Swedish words and formats the report shows (no locale needed on the machine)."""

from __future__ import annotations

from datetime import date

OUTCOME_LABELS = {"answered": "Besvarade", "partial": "Delvis besvarade", "declined": "Avböjda"}
MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
CHANNEL_LABELS = {
    "msteams": "Teams",
    "webchat": "Webbchatt",
    "directline": "Direct Line",
    "emulator": "Emulator",
    "cli": "Terminal",
}


def short_section(name: str, limit: int = 60) -> str:
    """The last two levels of a section path, shortened: charts have little room."""
    tail = " › ".join(name.split(" > ")[-2:])
    return tail if len(tail) <= limit else tail[: limit - 1] + "…"


def percent(share: float) -> str:
    """0.123 → "12 %" (Swedish: a non-breaking space before the sign)."""
    return f"{share * 100:.0f}\u00a0%"


def short_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)
