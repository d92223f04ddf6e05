"""``ivr-acd report``: read the records database, compute the metrics, write a report.

Exit status: 0 done, 1 the database could not be read or the output not written,
2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from acd.metrics import BUCKET_MINUTES, MetricsConfig, Period, build_report
from acd.records import AgentInterval, CallbackRecord, CallRecord
from ivr_acd.report.dates import parse_when
from ivr_acd.report.document import ReportDocument
from ivr_acd.report.page import render_html
from ivr_acd.report.structured import render_json
from ivr_acd.report.tabular import render_csv
from ivr_acd.report.text import render_text
from ivr_acd.storage.reader import ReaderError, RecordReader
from ivr_acd.storage.schema import DatabaseTooNewError

DEFAULT_DB = Path("var/ivr-acd.sqlite")
RENDERERS: dict[str, Callable[[ReportDocument], str]] = {
    "text": render_text,
    "csv": render_csv,
    "json": render_json,
    "html": render_html,
}
Records = tuple[list[CallRecord], list[AgentInterval], list[CallbackRecord]]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``ivr-acd report``."""
    parser = argparse.ArgumentParser(
        prog="ivr-acd report",
        description="Contact-centre report from the ivr-acd records database (formulas: docs/metrics.md).",
        epilog=(
            "WHEN is an ISO date (2026-05-09: local midnight; as --to, the end of that day), an ISO "
            "time (2026-05-09T08:30, local unless it has an offset), today, yesterday or now. "
            "Without --from/--to the report covers every record."
        ),
    )
    parser.add_argument(
        "--db", type=Path, default=DEFAULT_DB, help=f"records database (default {DEFAULT_DB})"
    )
    parser.add_argument("--from", dest="start", metavar="WHEN", help="start of the period (inclusive)")
    parser.add_argument("--to", dest="end", metavar="WHEN", help="end of the period (exclusive)")
    parser.add_argument(
        "--queue",
        action="append",
        default=None,
        metavar="NAME",
        help="only this queue (repeat, or separate with commas, for several)",
    )
    parser.add_argument(
        "--interval",
        type=int,
        choices=BUCKET_MINUTES,
        default=30,
        help="interval bucket in minutes (default 30)",
    )
    parser.add_argument(
        "--format", choices=sorted(RENDERERS), default="text", help="output format (default text)"
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="write here instead of standard output")
    parser.add_argument(
        "--tz", metavar="ZONE", help="IANA time zone of times and buckets (default: system local)"
    )
    parser.add_argument(
        "--short-abandon",
        type=float,
        default=MetricsConfig.short_abandon_threshold,
        metavar="SECONDS",
        help="abandons with a shorter wait are short abandons (default 5)",
    )
    parser.add_argument(
        "--sl",
        default=",".join(f"{t:g}" for t in MetricsConfig.service_level_thresholds),
        metavar="SECONDS[,SECONDS…]",
        help="service-level thresholds; the first is the headline (default 20,30,60)",
    )
    parser.add_argument(
        "--sl-target",
        type=float,
        default=100 * MetricsConfig.service_level_target,
        metavar="PERCENT",
        help="service-level goal drawn on the charts (default 80)",
    )
    return parser


def report_main(argv: list[str]) -> int:
    """Run ``ivr-acd report`` with ``argv`` (the arguments after ``report``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on errors; we return instead
        return exc.code if isinstance(exc.code, int) else 2
    try:
        tz = _zone(args.tz)
        now = datetime.now(UTC)
        start = None if args.start is None else parse_when(args.start, tz=tz, now=now, end=False)
        end = None if args.end is None else parse_when(args.end, tz=tz, now=now, end=True)
        period = Period(start, end)
        config = MetricsConfig(
            short_abandon_threshold=args.short_abandon,
            service_level_thresholds=_thresholds(args.sl),
            service_level_target=args.sl_target / 100.0,
        )
    except ValueError as exc:
        parser.print_usage(sys.stderr)
        print(f"ivr-acd report: error: {exc}", file=sys.stderr)
        return 2
    queues = _queues(args.queue)
    try:
        calls, intervals, callbacks = asyncio.run(load(args.db, period, queues))
    except (ReaderError, DatabaseTooNewError) as exc:
        print(f"ivr-acd report: {exc}", file=sys.stderr)
        return 1
    report = build_report(
        calls,
        intervals,
        callbacks,
        period=period,
        queues=queues,
        config=config,
        interval_minutes=args.interval,
        tz=tz,
    )
    document = ReportDocument(report, tz=tz, source=str(args.db), generated_at=time.time())
    output = RENDERERS[args.format](document)
    try:
        if args.output is None:
            sys.stdout.write(output)
        else:
            args.output.write_text(output, encoding="utf-8")
    except OSError as exc:
        print(f"ivr-acd report: cannot write {args.output}: {exc}", file=sys.stderr)
        return 1
    return 0


async def load(db: Path, period: Period, queues: Sequence[str] | None) -> Records:
    """Read the records a report of ``period`` needs (calls, agent intervals, callbacks)."""
    async with RecordReader(db) as reader:
        calls = await reader.calls(period.start, period.end, queues)
        intervals = await reader.agent_intervals(period.start, period.end)
        callbacks = await reader.callbacks(period.start, period.end, queues)
    return calls, intervals, callbacks


def _zone(name: str | None) -> tzinfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Paris)") from None


def _thresholds(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"--sl takes seconds separated by commas, not {text!r}") from None
    if not values:
        raise ValueError("--sl needs at least one threshold")
    return values


def _queues(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]
