"""The `hours` step: a weekly timetable, holidays and exceptions, in a time zone."""

from __future__ import annotations

import itertools
import re
from datetime import date

from configlang.docpath import DocPath
from configlang.expect import describe, expect_map
from configlang.mark import Mark
from configlang.source import Node, ScalarNode, SeqNode
from ivr.compiler.context import FileContext
from ivr.compiler.stepsource import StepSource, options_of
from ivr.compiler.zones import load_zone
from ivr.model import HoursStep
from ivr.schedule import WEEKDAYS, Hours, Interval, Schedule, format_minutes

HOURS_KEYS = ("timezone", "weekly", "holidays", "open", "closed")
_INTERVAL = re.compile(r"\s*([0-2]?[0-9]):([0-5][0-9])\s*-\s*([0-2]?[0-9]):([0-5][0-9])\s*")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_YEARLY = re.compile(r"([0-9]{2})-([0-9]{2})")
_HOURS_WHAT = 'closed, "HH:MM-HH:MM" or a list of "HH:MM-HH:MM"'


def compile_hours(ctx: FileContext, src: StepSource) -> HoursStep | None:
    """`hours:` go to `open` or `closed` depending on the time of the call."""
    fields = options_of(ctx, src, allowed=HOURS_KEYS, required=("weekly", "open", "closed"))
    if fields is None:
        return None
    errors = ctx.diags.error_count()
    timezone = fields.text("timezone", ctx.timezone, what="a time zone such as Europe/Paris")
    zone = load_zone(timezone)
    if zone is None:
        ctx.error(fields.mark("timezone"), f'timezone: unknown time zone "{timezone}"', fields.at("timezone"))
    weekly_node = fields.value("weekly")
    weekly = _weekly(ctx, weekly_node, fields.at("weekly")) if weekly_node is not None else None
    dated: dict[date, Hours] = {}
    yearly: dict[tuple[int, int], Hours] = {}
    holidays_node = fields.value("holidays")
    if holidays_node is not None:
        _holidays(ctx, holidays_node, fields.at("holidays"), dated, yearly)
    open_node = fields.value("open")
    closed_node = fields.value("closed")
    open_target = ctx.target(open_node, fields.at("open")) if open_node is not None else None
    closed_target = ctx.target(closed_node, fields.at("closed")) if closed_node is not None else None
    if (
        zone is None
        or weekly is None
        or open_target is None
        or closed_target is None
        or ctx.diags.error_count() > errors
    ):
        return None
    schedule = Schedule(timezone, zone, weekly, dated, yearly)
    return HoursStep(
        id=src.id, mark=src.mark, next=None, schedule=schedule, open=open_target, closed=closed_target
    )


def _day_keys(ctx: FileContext, key: str, mark: Mark, path: DocPath) -> list[int] | None:
    first, dash, last = key.partition("-")
    names = [first, last] if dash else [first]
    for name in names:
        if name not in WEEKDAYS:
            ctx.error(mark, f'weekly: "{key}" is not a day or a range of days (mon..sun, or mon-fri)', path)
            return None
    start = WEEKDAYS.index(first)
    end = WEEKDAYS.index(last) if dash else start
    if end < start:
        ctx.error(mark, f'weekly: the range "{key}" runs backwards; write it from the earlier day', path)
        return None
    return list(range(start, end + 1))


def _weekly(ctx: FileContext, node: Node, path: DocPath) -> tuple[Hours, ...] | None:
    mapping = expect_map(node, path, ctx.diags, "a mapping of days (mon, tue... or mon-fri) to hours")
    if mapping is None:
        return None
    days: list[Hours | None] = [None] * 7
    ok = True
    for entry in mapping.entries:
        entry_path = path.key(entry.key)
        indexes = _day_keys(ctx, entry.key, entry.key_mark, entry_path)
        hours = _hours(ctx, entry.value, entry_path)
        if indexes is None or hours is None:
            ok = False
            continue
        for index in indexes:
            if days[index] is not None:
                ctx.error(entry.key_mark, f"weekly: {WEEKDAYS[index]} is given twice", entry_path)
                ok = False
            days[index] = hours
    if not ok:
        return None
    # A day that is not listed is closed: an engineer lists the days the centre opens.
    return tuple(day if day is not None else () for day in days)


def _holidays(
    ctx: FileContext,
    node: Node,
    path: DocPath,
    dated: dict[date, Hours],
    yearly: dict[tuple[int, int], Hours],
) -> None:
    mapping = expect_map(
        node, path, ctx.diags, 'a mapping of dates ("2025-12-25", or "12-25" every year) to hours'
    )
    if mapping is None:
        return
    for entry in mapping.entries:
        entry_path = path.key(entry.key)
        hours = _hours(ctx, entry.value, entry_path)
        day = _date_key(entry.key)
        if day is None:
            ctx.error(
                entry.key_mark,
                f'holidays: "{entry.key}" is not a date (YYYY-MM-DD, or MM-DD for every year)',
                entry_path,
            )
            continue
        if hours is None:
            continue
        if isinstance(day, date):
            dated[day] = hours
        else:
            yearly[day] = hours


def _date_key(text: str) -> date | tuple[int, int] | None:
    full = _DATE.fullmatch(text)
    if full is not None:
        try:
            return date(int(full[1]), int(full[2]), int(full[3]))
        except ValueError:
            return None
    every_year = _YEARLY.fullmatch(text)
    if every_year is not None:
        month, day = int(every_year[1]), int(every_year[2])
        try:
            date(2000, month, day)  # a leap year, so that 02-29 is accepted
        except ValueError:
            return None
        return month, day
    return None


def _hours(ctx: FileContext, node: Node, path: DocPath) -> Hours | None:
    if isinstance(node, ScalarNode) and node.value == "closed":
        return ()
    items = list(node.items) if isinstance(node, SeqNode) else [node]
    intervals: list[Interval] = []
    for item in items:
        interval = _interval(item)
        if interval is None:
            ctx.error(item.mark, f"{path.last}: expected {_HOURS_WHAT}, got {describe(item)}", path)
            return None
        intervals.append(interval)
    intervals.sort()
    for (_, end), (start, _) in itertools.pairwise(intervals):
        if start < end:
            ctx.error(
                node.mark, f"{path.last}: the opening hours overlap around {format_minutes(start)}", path
            )
            return None
    return tuple(intervals)


def _interval(node: Node) -> Interval | None:
    if not isinstance(node, ScalarNode) or not isinstance(node.value, str):
        return None
    match = _INTERVAL.fullmatch(node.value)
    if match is None:
        return None
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    if start >= 1440 or end > 1440 or start >= end:
        return None
    return start, end
