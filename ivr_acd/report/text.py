"""The text report: aligned tables a supervisor can scan in a terminal or an e-mail."""

from __future__ import annotations

from collections.abc import Sequence

from acd.metrics import QueueMetrics
from ivr_acd.report.document import ReportDocument
from ivr_acd.report.fields import (
    AGENT_COLUMNS,
    INTERVAL_EXTRA,
    STEP_COLUMNS,
    Kind,
    band_label,
    human,
    pick,
    queue_columns,
    sl_name,
)

QUEUE_TABLE = (
    "offered", "answered", "abandoned", "short_abandons", "abandon_rate", "SL", "asa",
    "avg_abandon_time", "longest_abandon_time", "aht", "callbacks_requested", "overflowed", "exited_by_key",
)  # fmt: skip
INTERVAL_TABLE = ("offered", "answered", "abandoned", "short_abandons", "abandon_rate", "SL", "asa", "aht")
AGENT_TABLE = (
    "calls_handled", "rna", "aht", "avg_talk", "avg_wrapup", "logged_in", "occupancy", "utilisation",
    "survey_average",
)  # fmt: skip


def render_text(doc: ReportDocument) -> str:
    """The whole report as plain text."""
    report = doc.report
    config = report.config
    queue_filter = ", ".join(report.queues) if report.queues else "all"
    out = [
        f"ivr-acd report: {doc.period_text()} ({doc.zone_name})",
        (
            f"Queues: {queue_filter} · interval {report.interval_minutes} min · "
            f"short abandon < {config.short_abandon_threshold:g} s · "
            f"SL target {100 * config.service_level_target:g}% in {config.headline_threshold:g} s"
        ),
    ]
    if doc.source:
        out.append(f"Source: {doc.source}")
    out += ["", "OVERALL", *_overall(doc)]
    columns = queue_columns(config)
    headline = sl_name(config.headline_threshold)

    def names(selection: Sequence[str]) -> list[str]:
        return [headline if n == "SL" else n for n in selection]

    if report.by_queue:
        chosen = pick(columns, names(QUEUE_TABLE))
        rows = [[name, *(human(c.get(m), c.kind) for c in chosen)] for name, m in report.by_queue.items()]
        out += ["", "BY QUEUE", *table(["Queue", *(c.label for c in chosen)], rows)]
    if report.intervals:
        chosen = pick(columns, names(INTERVAL_TABLE))
        labels = doc.interval_labels()
        rows = [
            [
                label,
                *(human(c.get(i.queue), c.kind) for c in chosen),
                *(human(c.get(i), c.kind) for c in INTERVAL_EXTRA),
            ]
            for label, i in zip(labels, report.intervals)
        ]
        headers = ["Interval", *(c.label for c in chosen), *(c.label for c in INTERVAL_EXTRA)]
        out += ["", f"BY INTERVAL ({report.interval_minutes} min, by time offered)", *table(headers, rows)]
    if report.agents:
        chosen_agents = pick(AGENT_COLUMNS, AGENT_TABLE)
        rows = [[a.agent_id, *(human(c.get(a), c.kind) for c in chosen_agents)] for a in report.agents]
        out += ["", "BY AGENT", *table(["Agent", *(c.label for c in chosen_agents)], rows)]
    out += ["", "IVR", *_ivr(doc)]
    out += ["", "ABANDON TIME PROFILE", *_profile(doc)]
    return "\n".join(out) + "\n"


def _overall(doc: ReportDocument) -> list[str]:
    report = doc.report
    m: QueueMetrics = report.overall
    pairs: list[tuple[str, str]] = [
        ("Calls", str(m.calls)),
        ("Offered", str(m.offered)),
        ("Answered", f"{m.answered} ({human(m.answer_rate, Kind.RATIO)})"),
        ("Abandoned", f"{m.abandoned} ({human(m.abandon_rate, Kind.RATIO)})"),
        ("Short abandons", str(m.short_abandons)),
        ("Left for callback", str(m.callbacks_requested)),
    ]
    for sl in m.service_levels:
        pairs.append((f"SL {sl.threshold:g}s", human(sl.level, Kind.RATIO)))
        pairs.append((f"SL {sl.threshold:g}s +abn", human(sl.level_with_abandons, Kind.RATIO)))
    pairs += [
        ("ASA", human(m.asa, Kind.SECONDS)),
        ("Longest wait (ans)", human(m.longest_answer_wait, Kind.SECONDS)),
        ("Avg abandon time", human(m.avg_abandon_time, Kind.SECONDS)),
        ("Longest abandon", human(m.longest_abandon_time, Kind.SECONDS)),
        ("AHT", human(m.aht, Kind.SECONDS)),
        ("Avg talk / wrap", f"{human(m.avg_talk, Kind.SECONDS)} / {human(m.avg_wrapup, Kind.SECONDS)}"),
        ("Overflowed", str(m.overflowed)),
        ("Exit by key", str(m.exited_by_key)),
        ("No agents / full", f"{m.no_agents} / {m.queue_full}"),
        ("Occupancy", human(report.occupancy, Kind.RATIO)),
        ("Callback requests", f"{m.callbacks.requested}, {m.callbacks.connected} connected"),
        ("Callback connect", human(m.callbacks.connect_rate, Kind.RATIO)),
        ("Survey avg", f"{human(m.survey.average, Kind.SCORE)} (n={m.survey.responses})"),
        ("NPS", human(m.survey.nps, Kind.SIGNED)),
        ("Wait estimate MAE", human(m.wait_estimate.mean_absolute_error, Kind.SECONDS)),
        ("Wait estimate bias", human(m.wait_estimate.mean_signed_error, Kind.SECONDS)),
    ]
    if m.exits_by_key:
        pairs.append(("Exits by key", ", ".join(f"{k}: {n}" for k, n in m.exits_by_key.items())))
    return _grid(pairs, per_line=3)


def _ivr(doc: ReportDocument) -> list[str]:
    ivr = doc.report.ivr
    lines = [
        (
            f"  Containment {human(ivr.containment, Kind.RATIO)} "
            f"({ivr.contained} of {ivr.calls} calls ended in the IVR); {ivr.dropped_out} hung up in a menu"
        )
    ]
    if ivr.steps:
        rows = [[s.step, *(human(c.get(s), c.kind) for c in STEP_COLUMNS)] for s in ivr.steps]
        lines += table(["Step", *(c.label for c in STEP_COLUMNS)], rows)
    return lines


def _profile(doc: ReportDocument) -> list[str]:
    bands = doc.report.abandon_profile
    peak = max((b.count for b in bands), default=0)
    rows = []
    for band in bands:
        bar = "#" * round(30 * band.count / peak) if peak else ""
        rows.append([band_label(band) + (" (short)" if band.short else ""), str(band.count), bar])
    return table(["Waited", "Abandons", ""], rows, align="lrl")


def _grid(pairs: list[tuple[str, str]], per_line: int) -> list[str]:
    # Align each of the ``per_line`` columns on its own widths, not on the widest value.
    columns = [pairs[i::per_line] for i in range(per_line)]
    label_widths = [max((len(k) for k, _ in col), default=0) for col in columns]
    value_widths = [max((len(v) for _, v in col), default=0) for col in columns]
    lines = []
    for start in range(0, len(pairs), per_line):
        cells = [
            f"{k:<{label_widths[i]}}  {v:>{value_widths[i]}}"
            for i, (k, v) in enumerate(pairs[start : start + per_line])
        ]
        lines.append(("  " + "    ".join(cells)).rstrip())
    return lines


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, align: str = "") -> list[str]:
    """Lines of an aligned table; ``align`` has an ``l`` or ``r`` per column (default: first left, rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            f"{cell:<{widths[i]}}" if align[i] == "l" else f"{cell:>{widths[i]}}"
            for i, cell in enumerate(cells)
        ]
        return ("  " + "  ".join(parts)).rstrip()

    rule = ("  " + "  ".join("-" * w for w in widths)).rstrip()
    return [line(headers), rule, *(line(r) for r in rows)]
