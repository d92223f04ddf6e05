"""The HTML report: one self-contained file (inline CSS, inline SVG, no script, no fetch).

Layout: a header with the period; KPI tiles; the charts (calls per interval, service
level and ASA over the day, abandon-time profile, agent occupancy, IVR funnel); then
the tables. Every text that comes from the records (queue, agent and step names) is
escaped: a report must not run what a caller typed into a variable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import TypeVar

from acd.metrics import MetricsReport, QueueMetrics
from ivr_acd.report.document import ReportDocument
from ivr_acd.report.fields import (
    AGENT_COLUMNS,
    INTERVAL_EXTRA,
    STEP_COLUMNS,
    Column,
    Kind,
    band_label,
    duration,
    human,
    pick,
    queue_columns,
    sl_name,
)
from ivr_acd.report.svg import HBar, Series, empty_chart, funnel, horizontal_bars, line_chart, stacked_bars

T = TypeVar("T")
WIDE = 1160.0
"""SVG width of a chart that spans the page (shown about 1160 px wide)."""
HALF = 560.0
"""SVG width of a chart in a half-width card."""

QUEUE_TABLE = (
    "offered", "answered", "abandoned", "short_abandons", "abandon_rate", "SL", "SL+", "asa",
    "longest_answer_wait", "avg_abandon_time", "aht", "callbacks_requested", "overflowed", "exited_by_key", "nps",
)  # fmt: skip
INTERVAL_TABLE = ("offered", "answered", "abandoned", "short_abandons", "abandon_rate", "SL", "asa", "aht")
AGENT_TABLE = (
    "calls_handled", "rna", "aht", "avg_talk", "avg_wrapup", "logged_in", "occupancy", "utilisation",
    "survey_average", "time_ready", "time_paused", "time_on_call", "time_wrap_up",
)  # fmt: skip

CSS = """
:root {
  --bg: #f3f5f9; --card: #ffffff; --ink: #1b2433; --muted: #5f6b7d; --line: #e3e8ef; --grid: #edf0f5;
  --answered: #2a9d8f; --abandoned: #e76f51; --other: #a7b4c6; --short: #f4c095;
  --sl: #2f5bd3; --asa: #e09f1f; --target: #d62839;
  --occupancy: #2f5bd3; --utilisation: #9db7f5; --entered: #6a6fd6; --dropout: #e76f51;
  --good: #1f8a5b; --warn: #c27c0e; --bad: #c0392b;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #11161f; --card: #1a212d; --ink: #e6ebf2; --muted: #98a3b3; --line: #2b3443; --grid: #253041;
          --other: #5b6b82; --utilisation: #4b66a8; --good: #3ccf8e; --warn: #f0b44c; --bad: #ff6b5e; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 20px 40px; }
header h1 { margin: 0; font-size: 24px; letter-spacing: -0.01em; }
header p { margin: 4px 0 0; color: var(--muted); }
.chips { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }
.chip { background: var(--card); border: 1px solid var(--line); border-radius: 999px; padding: 2px 10px;
        color: var(--muted); font-size: 12px; }
.kpis { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 12px; margin: 20px 0; }
@media (max-width: 900px) { .kpis { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 12px 14px;
       border-top: 4px solid var(--line); }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.kpi .value { font-size: 28px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; }
.kpi .sub { color: var(--muted); font-size: 12px; }
.kpi.good { border-top-color: var(--good); } .kpi.good .value { color: var(--good); }
.kpi.warn { border-top-color: var(--warn); } .kpi.warn .value { color: var(--warn); }
.kpi.bad { border-top-color: var(--bad); } .kpi.bad .value { color: var(--bad); }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px;
        margin: 0; box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04); }
.card.wide { grid-column: 1 / -1; }
.card h2 { margin: 0; font-size: 16px; }
.card .hint { margin: 2px 0 10px; color: var(--muted); font-size: 12px; }
section.tables .card { margin-top: 16px; }
svg.chart { width: 100%; height: auto; display: block; font-size: 12px; }
svg.chart text { fill: var(--muted); }
svg.chart .legend text { fill: var(--ink); }
svg.chart .note { fill: var(--ink); }
svg.chart .empty { fill: var(--muted); font-size: 14px; }
svg.chart .grid { stroke: var(--grid); stroke-width: 1; }
svg.chart .axis { stroke: var(--muted); stroke-width: 1; }
svg.chart .track { fill: var(--grid); }
svg.chart path, svg.chart .legend line, svg.chart line.l-target { fill: none; stroke-width: 2.5;
  stroke-linejoin: round; stroke-linecap: round; }
.s-answered { fill: var(--answered); } .s-abandoned { fill: var(--abandoned); } .s-other { fill: var(--other); }
.s-short { fill: var(--short); } .s-occupancy { fill: var(--occupancy); } .s-utilisation { fill: var(--utilisation); }
.s-entered { fill: var(--entered); } .s-dropout { fill: var(--dropout); }
.l-sl { stroke: var(--sl); } .l-asa { stroke: var(--asa); } .l-target { stroke: var(--target); stroke-dasharray: 6 4; }
.p-sl { fill: var(--sl); } .p-asa { fill: var(--asa); }
rect.bar:hover, circle:hover { opacity: 0.8; }
.scroll { overflow: auto; max-height: 520px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { position: sticky; top: 0; background: var(--card); text-align: right; color: var(--muted); font-weight: 600;
     font-size: 12px; }
th:first-child, td:first-child { text-align: left; }
td { text-align: right; }
tbody tr:nth-child(even) td { background: color-mix(in srgb, var(--bg) 55%, transparent); }
td.below { color: var(--bad); font-weight: 600; }
tfoot td { font-weight: 650; border-top: 2px solid var(--line); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; text-align: center; }
@media print { body { background: #fff; } .card, .kpi { box-shadow: none; break-inside: avoid; } .scroll { max-height: none; } }
"""


@dataclass(frozen=True)
class Tile:
    """One KPI tile."""

    label: str
    value: str
    sub: str = ""
    status: str = ""
    """``good``, ``warn``, ``bad`` or empty."""


def render_html(doc: ReportDocument) -> str:
    """The whole report as one HTML document."""
    report = doc.report
    title = f"Contact centre report · {doc.period_text()}"
    body = [
        "<main>",
        _header(doc),
        _tiles(doc),
        '<section class="grid">',
        _card("Calls per interval", _calls_hint(report), _calls_chart(doc), wide=True),
        _card("Service level and ASA over the day", _sl_hint(report), _sl_chart(doc), wide=True),
        _card(
            "How long callers waited before hanging up",
            f"Abandons by wait; the first band (< {report.config.short_abandon_threshold:g} s) are short abandons.",
            _abandon_chart(doc),
        ),
        _card(
            "Agent occupancy",
            "Occupancy (thick): busy / available time. Utilisation (thin): busy / logged-in time.",
            _occupancy_chart(doc),
        ),
        _card(
            "IVR funnel: where callers leave the menu",
            "Calls that entered each step, and the callers who hung up while in it.",
            _funnel_chart(doc),
            wide=True,
        ),
        "</section>",
        '<section class="tables">',
        _queue_table(doc),
        _interval_table(doc),
        _agent_table(doc),
        _ivr_table(doc),
        _details(doc),
        "</section>",
        _footer(doc),
        "</main>",
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="ivr-acd report">',
            f"<title>{escape(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def _header(doc: ReportDocument) -> str:
    report = doc.report
    config = report.config
    chips = [
        f"Queues: {', '.join(report.queues) if report.queues else 'all'}",
        f"{report.interval_minutes}-minute intervals",
        f"Short abandon < {config.short_abandon_threshold:g} s",
        f"SL target {100 * config.service_level_target:g}% in {config.headline_threshold:g} s",
        f"Times in {doc.zone_name}",
    ]
    chip_html = "".join(f'<span class="chip">{escape(c)}</span>' for c in chips)
    return (
        "<header><h1>Contact centre report</h1>"
        f"<p>{escape(doc.period_text())}</p>"
        f'<div class="chips">{chip_html}</div></header>'
    )


def _tiles(doc: ReportDocument) -> str:
    report = doc.report
    m = report.overall
    config = report.config
    headline = m.service_level(config.headline_threshold)
    level = headline.level if headline else None
    tiles = [
        Tile("Offered", str(m.offered), f"{m.calls} calls in all"),
        Tile("Answered", str(m.answered), f"{human(m.answer_rate, Kind.RATIO)} of offered"),
        Tile(
            "Abandoned",
            str(m.abandoned),
            f"{human(m.abandon_rate, Kind.RATIO)} · {m.short_abandons} short not counted",
        ),
        Tile(
            f"Service level {config.headline_threshold:g} s",
            human(level, Kind.RATIO),
            f"target {100 * config.service_level_target:g}%",
            _status(level, config.service_level_target),
        ),
        Tile("ASA", human(m.asa, Kind.SECONDS), f"longest {human(m.longest_answer_wait, Kind.SECONDS)}"),
        Tile("AHT", human(m.aht, Kind.SECONDS), f"talk {human(m.avg_talk, Kind.SECONDS)}"),
        Tile("Occupancy", human(report.occupancy, Kind.RATIO), f"{len(report.agents)} agents"),
        Tile(
            "IVR containment",
            human(report.ivr.containment, Kind.RATIO),
            f"{report.ivr.dropped_out} hung up in a menu",
        ),
        Tile(
            "Callbacks",
            str(m.callbacks.requested),
            f"{m.callbacks.connected} connected · {m.callbacks.in_progress} open",
        ),
        Tile(
            "NPS",
            human(m.survey.nps, Kind.SIGNED),
            f"avg {human(m.survey.average, Kind.SCORE)} · n={m.survey.responses}",
        ),
    ]
    cells = [
        f'<div class="kpi {t.status}"><div class="label">{escape(t.label)}</div>'
        f'<div class="value">{escape(t.value)}</div><div class="sub">{escape(t.sub)}</div></div>'
        for t in tiles
    ]
    return f'<section class="kpis">{"".join(cells)}</section>'


def _status(level: float | None, target: float) -> str:
    if level is None:
        return ""
    if level >= target:
        return "good"
    return "warn" if level >= target - 0.1 else "bad"


def _card(title: str, hint: str, content: str, *, wide: bool = False) -> str:
    return (
        f'<figure class="card{" wide" if wide else ""}"><figcaption><h2>{escape(title)}</h2>'
        f'<p class="hint">{escape(hint)}</p></figcaption>{content}</figure>'
    )


def _calls_hint(report: MetricsReport) -> str:
    return (
        "Offered calls by the interval they were queued in: answered, abandoned, and other "
        f"(callback, overflow, exit key…). Short abandons (< {report.config.short_abandon_threshold:g} s) "
        "are not offered and not shown."
    )


def _sl_hint(report: MetricsReport) -> str:
    config = report.config
    return (
        f"Service level: answered within {config.headline_threshold:g} s / offered (left axis); "
        "ASA: mean wait of answered calls (right axis). Dashed: the target."
    )


def _calls_chart(doc: ReportDocument) -> str:
    report = doc.report
    if not report.intervals:
        return empty_chart("Calls per interval", "No queued calls in this period", width=WIDE)
    rows = [i.queue for i in report.intervals]
    return stacked_bars(
        doc.interval_labels(),
        [
            Series("Answered", "answered", [m.answered for m in rows]),
            Series("Abandoned", "abandoned", [m.abandoned for m in rows]),
            Series("Other", "other", [m.offered - m.answered - m.abandoned for m in rows]),
        ],
        label="Calls offered per interval",
        width=WIDE,
    )


def _sl_chart(doc: ReportDocument) -> str:
    report = doc.report
    config = report.config
    if not report.intervals:
        return empty_chart("Service level and ASA", "No queued calls in this period", width=WIDE)
    levels: list[float | None] = []
    for i in report.intervals:
        sl = i.queue.service_level(config.headline_threshold)
        levels.append(None if sl is None or sl.level is None else 100.0 * sl.level)
    return line_chart(
        doc.interval_labels(),
        [Series(f"Service level {config.headline_threshold:g} s", "sl", levels)],
        [Series("ASA", "asa", [i.queue.asa for i in report.intervals])],
        label="Service level and ASA per interval",
        left_format=lambda v: f"{v:.0f}%",
        right_format=duration,
        left_top=100.0,
        target=100.0 * config.service_level_target,
        target_label=f"target {100 * config.service_level_target:g}%",
        width=WIDE,
    )


def _abandon_chart(doc: ReportDocument) -> str:
    bands = doc.report.abandon_profile
    if not any(b.count for b in bands):
        return empty_chart("Abandon time profile", "No abandons in this period", width=HALF)
    return stacked_bars(
        [band_label(b, compact=True) for b in bands],
        [
            Series("Short abandons", "short", [b.count if b.short else 0 for b in bands]),
            Series("Abandons", "abandoned", [0 if b.short else b.count for b in bands]),
        ],
        label="Abandons by time waited",
        width=HALF,
        height=280.0,
        fill=0.86,
    )


def _occupancy_chart(doc: ReportDocument) -> str:
    agents = [a for a in doc.report.agents if a.occupancy is not None or a.utilisation is not None]
    if not agents:
        return empty_chart("Agent occupancy", "No agent time in this period", width=HALF)
    return horizontal_bars(
        [
            HBar(
                a.agent_id,
                [
                    None if a.occupancy is None else 100 * a.occupancy,
                    None if a.utilisation is None else 100 * a.utilisation,
                ],
                f"{human(a.occupancy, Kind.RATIO)} · {a.calls_handled} calls",
            )
            for a in agents
        ],
        [("Occupancy", "occupancy"), ("Utilisation", "utilisation")],
        label="Agent occupancy and utilisation",
        maximum=100.0,
        value_format=lambda v: f"{v:.0f}%",
        ticks=(0.0, 25.0, 50.0, 75.0, 100.0),
        width=HALF,
    )


def _funnel_chart(doc: ReportDocument) -> str:
    steps = doc.report.ivr.steps
    if not steps:
        return empty_chart("IVR funnel", "No IVR steps recorded in this period", width=WIDE)
    return funnel(
        [s.step for s in steps],
        [s.entered for s in steps],
        [s.dropped_out for s in steps],
        label="IVR funnel",
        width=WIDE,
    )


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, foot: Sequence[str] | None = None
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    footer = ""
    if foot is not None:
        footer = "<tfoot><tr>" + "".join(foot) + "</tr></tfoot>"
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{footer}</table></div>'


def _cell(text: str, *, below: bool = False) -> str:
    return f'<td class="below">{escape(text)}</td>' if below else f"<td>{escape(text)}</td>"


def _metric_cells(
    columns: Sequence[Column[T]], item: T, *, sl_names: frozenset[str], target: float
) -> list[str]:
    cells = []
    for column in columns:
        value = column.get(item)
        below = column.name in sl_names and isinstance(value, float) and value < target
        cells.append(_cell(human(value, column.kind), below=below))
    return cells


def _queue_columns(doc: ReportDocument, selection: Sequence[str]) -> list[Column[QueueMetrics]]:
    headline = doc.report.config.headline_threshold
    names = [
        sl_name(headline) if n == "SL" else sl_name(headline, with_abandons=True) if n == "SL+" else n
        for n in selection
    ]
    return pick(queue_columns(doc.report.config), names)


def _queue_table(doc: ReportDocument) -> str:
    report = doc.report
    columns = _queue_columns(doc, QUEUE_TABLE)
    sl = frozenset({sl_name(report.config.headline_threshold)})
    target = report.config.service_level_target
    rows = [
        [_cell(name), *_metric_cells(columns, m, sl_names=sl, target=target)]
        for name, m in report.by_queue.items()
    ]
    foot = [_cell("All queues"), *_metric_cells(columns, report.overall, sl_names=sl, target=target)]
    return _section(
        "Queues",
        "Per queue over the period; the last row is the whole report.",
        _table(["Queue", *(c.label for c in columns)], rows, foot=foot),
    )


def _interval_table(doc: ReportDocument) -> str:
    report = doc.report
    if not report.intervals:
        return ""
    columns = _queue_columns(doc, INTERVAL_TABLE)
    sl = frozenset({sl_name(report.config.headline_threshold)})
    target = report.config.service_level_target
    rows = [
        [
            _cell(label),
            *_metric_cells(columns, i.queue, sl_names=sl, target=target),
            *_metric_cells(INTERVAL_EXTRA, i, sl_names=sl, target=target),
        ]
        for label, i in zip(doc.interval_labels(), report.intervals)
    ]
    headers = ["Interval", *(c.label for c in columns), *(c.label for c in INTERVAL_EXTRA)]
    return _section(
        f"Intervals ({report.interval_minutes} min)",
        "Calls count in the interval they were queued in; agent time is split at the interval edges.",
        _table(headers, rows),
    )


def _agent_table(doc: ReportDocument) -> str:
    report = doc.report
    if not report.agents:
        return ""
    columns = pick(AGENT_COLUMNS, AGENT_TABLE)
    rows = [
        [_cell(a.agent_id), *_metric_cells(columns, a, sl_names=frozenset(), target=0.0)]
        for a in report.agents
    ]
    return _section(
        "Agents",
        "RNA: rings not answered. Logged-in and state times are clipped to the period.",
        _table(["Agent", *(c.label for c in columns)], rows),
    )


def _ivr_table(doc: ReportDocument) -> str:
    ivr = doc.report.ivr
    if not ivr.steps:
        return ""
    rows = [
        [_cell(s.step), *_metric_cells(STEP_COLUMNS, s, sl_names=frozenset(), target=0.0)] for s in ivr.steps
    ]
    return _section(
        "IVR steps",
        f"Containment {human(ivr.containment, Kind.RATIO)}: {ivr.contained} of {ivr.calls} calls ended in the IVR.",
        _table(["Step", *(c.label for c in STEP_COLUMNS)], rows),
    )


def _details(doc: ReportDocument) -> str:
    m = doc.report.overall
    facts: list[tuple[str, str]] = []
    for sl in m.service_levels:
        facts.append(
            (
                f"Service level {sl.threshold:g} s",
                (
                    f"{human(sl.level, Kind.RATIO)} answered in time · {human(sl.level_with_abandons, Kind.RATIO)} "
                    f"counting abandons in time ({sl.answered_within} + {sl.abandoned_within} of {m.offered})"
                ),
            )
        )
    facts += [
        (
            "Abandon time",
            f"avg {human(m.avg_abandon_time, Kind.SECONDS)} · longest {human(m.longest_abandon_time, Kind.SECONDS)}",
        ),
        ("Exits by key", ", ".join(f"{k}: {n}" for k, n in m.exits_by_key.items()) or "none"),
        ("Overflow / no agents / full", f"{m.overflowed} / {m.no_agents} / {m.queue_full}"),
        (
            "Callback requests",
            (
                f"{m.callbacks.requested} requested · {m.callbacks.connected} connected · {m.callbacks.failed} failed · "
                f"{m.callbacks.expired} expired · {m.callbacks.cancelled} cancelled · {m.callbacks.in_progress} open · "
                f"connect rate {human(m.callbacks.connect_rate, Kind.RATIO)} · "
                f"avg time to connect {human(m.callbacks.avg_time_to_connect, Kind.SECONDS)}"
            ),
        ),
        (
            "Wait estimate",
            (
                f"mean absolute error {human(m.wait_estimate.mean_absolute_error, Kind.SECONDS)} · "
                f"bias {human(m.wait_estimate.mean_signed_error, Kind.SECONDS)} "
                f"(n={m.wait_estimate.samples}; positive = announced longer than the wait)"
            ),
        ),
        (
            "Surveys",
            (
                f"{m.survey.responses} responses · avg {human(m.survey.average, Kind.SCORE)} · "
                f"{m.survey.promoters} promoters, {m.survey.passives} passives, {m.survey.detractors} detractors"
            ),
        ),
        ("Calls by outcome", ", ".join(f"{k}: {n}" for k, n in m.outcomes.items()) or "none"),
    ]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    return _section("Details", "", f'<dl class="facts">{items}</dl>')


def _section(title: str, hint: str, content: str) -> str:
    hint_html = f'<p class="hint">{escape(hint)}</p>' if hint else ""
    return f'<div class="card"><h2>{escape(title)}</h2>{hint_html}{content}</div>'


def _footer(doc: ReportDocument) -> str:
    parts = ["Generated by ivr-acd"]
    if doc.generated_at is not None:
        parts.append(f"on {doc.clock(doc.generated_at, with_date=True)}")
    if doc.source:
        parts.append(f"from {doc.source}")
    return f"<footer>{escape(' '.join(parts))} · formulas in docs/metrics.md</footer>"
