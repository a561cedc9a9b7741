"""Scrubbing personal data from what people write: the formats people type, and nothing of the plan's own."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from handlers.insights.scrub import pseudonym, scrub

ROOT = Path(__file__).resolve().parent.parent

SCRUBBED = [
    # e-mail addresses
    ("Mejla anna.svensson@regionorebrolan.se tack", "Mejla [e-post] tack"),
    ("ANNA+bot@Example.co.uk.", "[e-post]."),
    ("kontakt: per_o-lund99@firma.se, eller", "kontakt: [e-post], eller"),
    # Swedish phone numbers
    ("Ring 070-123 45 67", "Ring [telefon]"),
    ("Ring 0701234567!", "Ring [telefon]!"),
    ("mobil 070 123 45 67", "mobil [telefon]"),
    ("mobil 070-1234567", "mobil [telefon]"),
    ("+46 70 123 45 67", "[telefon]"),
    ("+46701234567", "[telefon]"),
    ("+46 (0)70-123 45 67", "[telefon]"),
    ("0046 70 123 45 67", "[telefon]"),
    ("08-123 456 78", "[telefon]"),
    ("08-12345678", "[telefon]"),
    ("08 – 123 45 67", "[telefon]"),
    ("019-602 70 00", "[telefon]"),
    ("0911-123 45", "[telefon]"),
    ("(tel. 031-12 34 56)", "(tel. [telefon])"),
    ("+44 20 7946 0958", "[telefon]"),
    ("Ring 070-123 45 67 2021 om Almi", "Ring [telefon] 2021 om Almi"),
    # personnummer and samordningsnummer
    ("Mitt pnr är 850714-1234.", "Mitt pnr är [personnummer]."),
    ("8507141234", "[personnummer]"),
    ("19850714-1234", "[personnummer]"),
    ("198507141234", "[personnummer]"),
    ("201207141234", "[personnummer]"),
    ("120714+1234 fyllde 100", "[personnummer] fyllde 100"),
    ("850774-1234", "[personnummer]"),  # samordningsnummer: day + 60
    ("850714 - 1234", "[personnummer]"),
    # a name given by the writer
    ("Hej, jag heter Anna Svensson och undrar vad Almi gör", "Hej, jag heter [namn] och undrar vad Almi gör"),
    ("jag heter anna och undrar", "jag heter [namn] och undrar"),
    ("Mitt namn är Anna-Karin Lind. Vad gör Almi?", "Mitt namn är [namn]. Vad gör Almi?"),
    ("MITT NAMN ÄR Åsa Öberg", "MITT NAMN ÄR [namn]"),
    ("Jag kallas Kalle, vad är YH?", "Jag kallas [namn], vad är YH?"),
    ("My name is John O'Brien and I work in HR", "My name is [namn] and I work in HR"),
    ("Hi, my name's Jane.", "Hi, my name's [namn]."),
    # several at once
    (
        "Jag heter Per Ek, 850714-1234, per.ek@x.se, 070-123 45 67",
        "Jag heter [namn], [personnummer], [e-post], [telefon]",
    ),
]

KEPT = [
    "Strategin gäller 2018-2030 och planen 2022–2025.",
    "Sysselsättningsgraden för 20-64 år ska öka till 80 procent.",
    "Barn 0-5 år och ungdomar 16–19 år",
    "Beslutad 2021-03-15, reviderad 01.02.2022 och 15/3 2023.",
    "Se sidan 24 och avsnitt 3.2; 1 200 personer, 12 000 kr, 0,5 procent.",
    "Diarienummer 21RS1234 och organisationsnummer 202100-1234.",
    "Under 2020 2021 2022 ökade antalet.",
    "Vad gör Almi? Vad heter planen? Vad är mitt namn på engelska?",
    "Jag undrar vad Region Örebro län gör.",
    "SFS 2010:800, 1 000 000 invånare, år 1990–2019",
]


@pytest.mark.parametrize(("text", "expected"), SCRUBBED)
def test_scrubs_personal_data(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_keeps_ordinary_text_and_numbers(text: str) -> None:
    assert scrub(text) == text


def test_the_plan_loses_only_its_own_contact_details() -> None:
    plan = (ROOT / "knowledge" / "handlingsplan.md").read_text(encoding="utf-8")
    changed = [
        (before, after)
        for before, after in zip(plan.splitlines(), scrub(plan).splitlines(), strict=True)
        if before != after
    ]
    assert [after for _, after in changed] == ["- Telefonnummer: [telefon]", "- E-post: [e-post]"]


@pytest.mark.parametrize(
    "hostile",
    [
        "0" * 200_000,
        "0 " * 100_000,
        "a" * 200_000 + "@",
        "a." * 100_000,
        "jag heter " * 20_000,
        "Jag heter " + "Anna-" * 40_000,
        "+46 " * 50_000,
    ],
)
def test_linear_time_on_hostile_input(hostile: str) -> None:
    started = time.perf_counter()
    scrub(hostile)
    assert time.perf_counter() - started < 1.0


def test_pseudonym_is_keyed_and_stable() -> None:
    assert pseudonym("a:1personal", b"salt") == pseudonym("a:1personal", b"salt")
    assert pseudonym("a:1personal", b"salt") != pseudonym("a:1personal", b"other")
    assert pseudonym("a:1personal", b"salt") != pseudonym("a:2personal", b"salt")
    assert len(pseudonym("x", b"salt")) == 16 and "1personal" not in pseudonym("a:1personal", b"salt")
