"""The CSV report: one row per (cut, key), one column per metric.

Cuts: ``overall`` (key ``all``), ``queue``, ``interval`` (key = ISO start, local time),
``agent``, ``ivr_step``, ``exit_key`` and ``abandon_band``. A metric shared by several
cuts has one column; cells that do not apply to a cut are empty. Times are seconds
(one decimal), rates fractions (0–1), like the JSON output.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TypeVar

from ivr_acd.report.document import ReportDocument
from ivr_acd.report.fields import (
    AGENT_COLUMNS,
    INTERVAL_EXTRA,
    OVERALL_EXTRA,
    STEP_COLUMNS,
    Column,
    band_label,
    machine,
    queue_columns,
)

KEY_COLUMNS = ("cut", "key", "start", "end")
T = TypeVar("T")


def render_csv(doc: ReportDocument) -> str:
    """The report as CSV text (header first, ``\\n`` line ends)."""
    report = doc.report
    queue = queue_columns(report.config)
    header = _union(
        [
            *KEY_COLUMNS,
            *(c.name for c in queue),
            *(c.name for c in OVERALL_EXTRA),
            *(c.name for c in INTERVAL_EXTRA),
            *(c.name for c in AGENT_COLUMNS),
            *(c.name for c in STEP_COLUMNS),
            "band_abandons",
        ]
    )
    period = report.period
    rows: list[dict[str, str]] = []
    rows.append(
        {
            "cut": "overall",
            "key": "all",
            "start": "" if period.start is None else doc.iso(period.start),
            "end": "" if period.end is None else doc.iso(period.end),
            **_cells(queue, report.overall),
            **_cells(OVERALL_EXTRA, report),
        }
    )
    rows += [{"cut": "queue", "key": name, **_cells(queue, m)} for name, m in report.by_queue.items()]
    rows += [
        {
            "cut": "interval",
            "key": doc.iso(i.start),
            "start": doc.iso(i.start),
            "end": doc.iso(i.end),
            **_cells(queue, i.queue),
            **_cells(INTERVAL_EXTRA, i),
        }
        for i in report.intervals
    ]
    rows += [{"cut": "agent", "key": a.agent_id, **_cells(AGENT_COLUMNS, a)} for a in report.agents]
    rows += [{"cut": "ivr_step", "key": s.step, **_cells(STEP_COLUMNS, s)} for s in report.ivr.steps]
    rows += [
        {"cut": "exit_key", "key": key, "exited_by_key": str(n)}
        for key, n in report.overall.exits_by_key.items()
    ]
    rows += [
        {"cut": "abandon_band", "key": band_label(b), "band_abandons": str(b.count)}
        for b in report.abandon_profile
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _cells(columns: Sequence[Column[T]], item: T) -> dict[str, str]:
    return {c.name: machine(c.get(item), c.kind) for c in columns}


def _union(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))
