"""The JSON report: the full metrics structure, with ISO times next to epoch seconds."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ivr_acd.report.document import ReportDocument
from ivr_acd.report.fields import band_label


def report_dict(doc: ReportDocument) -> dict[str, Any]:
    """The report as JSON-ready data (every metric of every cut; rates as fractions 0–1)."""
    report = doc.report
    data = dataclasses.asdict(report)
    period = report.period
    data["period"] = {
        "start": period.start,
        "end": period.end,
        "from": None if period.start is None else doc.iso(period.start),
        "to": None if period.end is None else doc.iso(period.end),
    }
    data["queues"] = None if report.queues is None else list(report.queues)
    for interval in data["intervals"]:
        interval["from"] = doc.iso(interval["start"])
        interval["to"] = doc.iso(interval["end"])
    for band, raw in zip(report.abandon_profile, data["abandon_profile"]):
        raw["label"] = band_label(band)
    return {
        "report": "ivr-acd",
        "timezone": doc.zone_name,
        "source": doc.source,
        "generated_at": None if doc.generated_at is None else doc.iso(doc.generated_at),
        **data,
    }


def render_json(doc: ReportDocument) -> str:
    """The report as indented JSON text."""
    return json.dumps(report_dict(doc), indent=2, ensure_ascii=False) + "\n"
