"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no scripts, no external
resources, so it can be mailed, archived and printed. Every stored text goes through html.escape."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from handlers.insights.report import charts
from handlers.insights.report.clusters import Group
from handlers.insights.report.figures import Figures
from handlers.insights.report.labels import (
    OUTCOME_LABELS,
    channel_label,
    long_date,
    percent,
    short_date,
    short_section,
)

TOP_SECTIONS = 15
SINGLES_SHOWN = 15

CSS = """
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5b5b66; --line: #d9d9e0; --accent: #1f5f8b; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink);
  margin: 0 auto; padding: 24px 32px 48px; max-width: 1100px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; color: var(--accent); }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 12px; border-top: 2px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 6px; }
p.lead, .muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 12px;
  margin: 20px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card b { display: block; font-size: 26px; }
.card span { color: var(--muted); font-size: 13px; }
figure { margin: 12px 0; }
figure svg { width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
thead th { background: #f3f4f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tfoot td, tfoot th { font-weight: bold; border-top: 2px solid var(--ink); }
ul.examples { margin: 0; padding-left: 18px; }
ul.never { columns: 2; column-gap: 32px; font-size: 13px; }
ul.never li { break-inside: avoid; }
.scroll { max-height: 420px; overflow: auto; }
footer { margin-top: 40px; font-size: 13px; color: var(--muted); }
@page { size: A4; margin: 14mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 11pt; }
  h2 { break-after: avoid; }
  figure, tr, .card { break-inside: avoid; }
  .scroll { max-height: none; overflow: visible; }
}
"""


def render(figures: Figures, questions_by_id: dict[int, str], generated: datetime) -> str:
    """The whole page."""
    body = _sections(figures, questions_by_id) if figures.total or figures.dislikes else [_empty()]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="sv"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Kompetensbot – rapport {escape(_period(figures))}</title>",
            f"<style>{CSS}</style></head><body>",
            _header(figures, generated),
            *body,
            _footer(),
            "</body></html>",
        ]
    )


def _sections(figures: Figures, questions_by_id: dict[int, str]) -> list[str]:
    return [
        _cards(figures),
        _per_day(figures),
        _outcomes(figures),
        _thumbs(figures),
        _sections_cited(figures),
        _declined(figures.declined),
        _dislikes(figures, questions_by_id),
    ]


def _period(figures: Figures) -> str:
    period = figures.period
    return (
        f"{long_date(period.bucket(period.start))} – {long_date(period.end.astimezone(period.zone).date())}"
    )


def _header(figures: Figures, generated: datetime) -> str:
    days = (figures.period.end - figures.period.start).days
    return (
        "<header><h1>Kompetensbot: vad frågar man om?</h1>"
        f'<p class="lead">Frågor och återkoppling {escape(_period(figures))} ({days} dagar). '
        f"Skapad {escape(generated.astimezone(figures.period.zone).strftime('%Y-%m-%d %H:%M'))}. "
        "Underlaget är botens logg över frågor och tummar, utan personuppgifter.</p></header>"
    )


def _empty() -> str:
    return (
        '<section id="tomt"><h2>Inget att visa ännu</h2>'
        "<p>Inga frågor eller tummar har loggats under perioden. Rapporten fylls när boten har använts.</p>"
        "</section>"
    )


def _cards(figures: Figures) -> str:
    cards = [
        (f"{figures.total}", "frågor"),
        *((percent(figures.share(o)), label.lower()) for o, label in OUTCOME_LABELS.items()),
        (f"{figures.reactions('like')}", "tummar upp"),
        (f"{figures.reactions('dislike')}", "tummar ned"),
    ]
    items = "".join(f'<div class="card"><b>{escape(v)}</b><span>{escape(t)}</span></div>' for v, t in cards)
    return f'<section class="cards" aria-label="Nyckeltal">{items}</section>'


def _per_day(figures: Figures) -> str:
    unit = "vecka" if figures.period.weekly else "dag"
    head = ["Vecka från" if figures.period.weekly else "Dag", *map(channel_label, figures.channels), "Totalt"]
    rows = [
        [
            short_date(b),
            *(figures.per_bucket[b][c] for c in figures.channels),
            sum(figures.per_bucket[b].values()),
        ]
        for b in figures.buckets
    ]
    totals = ["Totalt", *(sum(figures.per_bucket[b][c] for b in figures.buckets) for c in figures.channels)]
    totals.append(figures.total)
    return (
        f'<section id="per-dag"><h2>Frågor per {unit} och kanal</h2>'
        + _figure(
            charts.questions_per_day(figures.buckets, figures.channels, figures.per_bucket),
            f"Antal frågor per {unit}, staplade per kanal.",
        )
        + '<div class="scroll">'
        + _table(head, rows, totals)
        + "</div></section>"
    )


def _outcomes(figures: Figures) -> str:
    head = ["Kanal", *OUTCOME_LABELS.values(), "Totalt"]
    rows = []
    for channel in figures.channels:
        counts = figures.outcomes_per_channel[channel]
        rows.append([channel_label(channel), *(counts[o] for o in OUTCOME_LABELS), sum(counts.values())])
    totals = ["Totalt", *(figures.outcomes[o] for o in OUTCOME_LABELS), figures.total]
    shares = [
        "Andel",
        *(percent(figures.share(o)) for o in OUTCOME_LABELS),
        percent(1.0 if figures.total else 0),
    ]
    return (
        '<section id="utfall"><h2>Besvarade, delvis besvarade och avböjda</h2>'
        "<p>En fråga är <em>delvis besvarad</em> när planen saknar det som efterfrågas men säger något om "
        "ämnet; <em>avböjd</em> när boten inte hittar svaret i planen.</p>"
        + _figure(charts.outcome_shares(figures.outcomes), "Andel av alla frågor under perioden.")
        + _table(head, rows, totals, shares)
        + "</section>"
    )


def _thumbs(figures: Figures) -> str:
    likes, dislikes = figures.reactions("like"), figures.reactions("dislike")
    rated = likes + dislikes
    summary = (
        f"{likes} tummar upp och {dislikes} tummar ned ({percent(likes / rated)} positiva)."
        if rated
        else "Ingen har gett tumme upp eller ned under perioden."
    )
    unit = "vecka" if figures.period.weekly else "dag"
    return (
        f'<section id="tummar"><h2>Tummar upp och ned</h2><p>{escape(summary)}</p>'
        + _figure(
            charts.thumbs_per_day(figures.buckets, figures.thumbs),
            f"Tummar upp (ovanför linjen) och ned (under linjen) per {unit}.",
        )
        + "</section>"
    )


def _sections_cited(figures: Figures) -> str:
    top = figures.cited[:TOP_SECTIONS]
    parts = ['<section id="avsnitt"><h2>Avsnitt i planen som svaren citerar</h2>']
    if top:
        parts.append(_figure(charts.cited_sections(top), f"De {len(top)} mest citerade avsnitten."))
        parts.append(_table(["Avsnitt", "Svar"], [[name, count] for name, count in top]))
    else:
        parts.append("<p>Inget svar har citerat planen under perioden.</p>")
    never = figures.never_cited
    parts.append(f"<h3>Avsnitt som aldrig citerats ({len(never)})</h3>")
    if never:
        parts.append(
            "<p>Avsnitt med text som inget svar har hänvisat till under perioden: kanske frågar ingen om "
            "dem, kanske hittar boten dem inte.</p>"
            '<ul class="never">' + "".join(f"<li>{escape(name)}</li>" for name in never) + "</ul>"
        )
    else:
        parts.append("<p>Alla avsnitt med text har citerats minst en gång.</p>")
    return "".join(parts) + "</section>"


def _declined(groups: list[Group]) -> str:
    recurring = [g for g in groups if g.size > 1]
    singles = [g for g in groups if g.size == 1]
    total = sum(g.size for g in groups)
    parts = ['<section id="avbojda"><h2>Avböjda frågor, grupperade efter innebörd</h2>']
    if not groups:
        return parts[0] + "<p>Inga frågor avböjdes under perioden.</p></section>"
    parts.append(
        f"<p>{total} avböjda frågor, grupperade efter vad de betyder (inte exakt ordalydelse), största "
        "gruppen först. Stora grupper visar återkommande luckor: ämnen som planen inte täcker eller som "
        "boten inte känner igen.</p>"
    )
    rows = [
        [str(i), g.size, percent(g.size / total), _examples(g.examples)] for i, g in enumerate(recurring, 1)
    ]
    if rows:
        parts.append(_table(["Grupp", "Frågor", "Andel", "Exempel"], rows, raw_columns={3}))
    if singles:
        shown = "".join(f"<li>{escape(g.examples[0])}</li>" for g in singles[:SINGLES_SHOWN])
        more = (
            f"<p class='muted'>… och {len(singles) - SINGLES_SHOWN} till.</p>"
            if len(singles) > SINGLES_SHOWN
            else ""
        )
        parts.append(f"<h3>Enstaka frågor utan likar ({len(singles)})</h3><ul>{shown}</ul>{more}")
    return "".join(parts) + "</section>"


def _examples(examples: Iterable[str]) -> str:
    return '<ul class="examples">' + "".join(f"<li>{escape(e)}</li>" for e in examples) + "</ul>"


def _dislikes(figures: Figures, questions_by_id: dict[int, str]) -> str:
    parts = ['<section id="tumme-ned"><h2>Svar som fått tumme ned</h2>']
    if not figures.dislikes:
        return parts[0] + "<p>Inga svar fick tumme ned under perioden.</p></section>"
    rows = []
    for reaction in figures.dislikes:
        question = reaction.question or questions_by_id.get(reaction.question_id or -1, "")
        local = reaction.time.astimezone(figures.period.zone)
        moment = f"{short_date(local.date())} {local:%H:%M}".replace(" ", "\u00a0")  # one line
        sections = ", ".join(short_section(s) for s in reaction.sections)
        rows.append(
            [
                moment,
                channel_label(reaction.channel),
                question or "(okänd)",
                reaction.comment or "–",
                sections or "–",
            ]
        )
    parts.append(f"<p>De senaste {len(rows)}, nyast först.</p>")
    parts.append(_table(["Tid", "Kanal", "Fråga", "Kommentar", "Avsnitt"], rows))
    return "".join(parts) + "</section>"


def _figure(svg: str, caption: str) -> str:
    label = escape(caption)
    return f'<figure role="img" aria-label="{label}">{svg}<figcaption>{label}</figcaption></figure>'


def _table(
    head: list[str],
    rows: list[list[object]],
    *footers: list[object],
    raw_columns: set[int] | frozenset[int] = frozenset(),
) -> str:
    """A table; numbers right-aligned; every cell escaped except `raw_columns` (already-built HTML)."""

    def cell(tag: str, index: int, value: object) -> str:
        numeric = isinstance(value, int) or (isinstance(value, str) and value.endswith("\u00a0%"))
        text = value if index in raw_columns else escape(str(value))
        return f'<{tag} class="num">{text}</{tag}>' if numeric else f"<{tag}>{text}</{tag}>"

    numeric = [cell("td", -1, v).startswith('<td class="num"') for v in (rows or [*footers, []])[0]]
    thead = (
        "<tr>"
        + "".join(
            f'<th class="num">{escape(h)}</th>'
            if i < len(numeric) and numeric[i]
            else f"<th>{escape(h)}</th>"
            for i, h in enumerate(head)
        )
        + "</tr>"
    )
    tbody = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows)
    tfoot = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in footers
    )
    return (
        f"<table><thead>{thead}</thead><tbody>{tbody}</tbody>"
        + (f"<tfoot>{tfoot}</tfoot>" if tfoot else "")
        + "</table>"
    )


def _footer() -> str:
    return (
        "<footer>Skapad med <code>bot.py report</code>. Frågorna lagras utan e-postadresser, telefonnummer, "
        "personnummer och namn, och samtalen endast som anonyma koder. Dagar i svensk tid.</footer>"
    )
