"""Parsing business hours: a weekly timetable and dated exceptions (shared by the dialplans'
`hours` step and the queues' callback hours)."""

from __future__ import annotations

import itertools
import re
from datetime import date

from configlang.diagnostics import Diagnostics
from configlang.docpath import DocPath
from configlang.expect import describe, expect_map
from configlang.mark import Mark
from configlang.source import Node, ScalarNode, SeqNode
from ivr.schedule import WEEKDAYS, Hours, Interval, format_minutes

_INTERVAL = re.compile(r"\s*([0-2]?[0-9]):([0-5][0-9])\s*-\s*([0-2]?[0-9]):([0-5][0-9])\s*")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_YEARLY = re.compile(r"([0-9]{2})-([0-9]{2})")
_HOURS_WHAT = 'closed, "HH:MM-HH:MM" or a list of "HH:MM-HH:MM"'


def _day_keys(diags: Diagnostics, key: str, mark: Mark, path: DocPath) -> list[int] | None:
    first, dash, last = key.partition("-")
    names = [first, last] if dash else [first]
    for name in names:
        if name not in WEEKDAYS:
            diags.error(mark, f'weekly: "{key}" is not a day or a range of days (mon..sun, or mon-fri)', path)
            return None
    start = WEEKDAYS.index(first)
    end = WEEKDAYS.index(last) if dash else start
    if end < start:
        diags.error(mark, f'weekly: the range "{key}" runs backwards; write it from the earlier day', path)
        return None
    return list(range(start, end + 1))


def parse_weekly(diags: Diagnostics, node: Node, path: DocPath) -> tuple[Hours, ...] | None:
    """Days (``mon``, ``mon-fri``) to opening hours; a day not listed is closed."""
    mapping = expect_map(node, path, diags, "a mapping of days (mon, tue... or mon-fri) to hours")
    if mapping is None:
        return None
    days: list[Hours | None] = [None] * 7
    ok = True
    for entry in mapping.entries:
        entry_path = path.key(entry.key)
        indexes = _day_keys(diags, entry.key, entry.key_mark, entry_path)
        hours = _hours(diags, entry.value, entry_path)
        if indexes is None or hours is None:
            ok = False
            continue
        for index in indexes:
            if days[index] is not None:
                diags.error(entry.key_mark, f"weekly: {WEEKDAYS[index]} is given twice", entry_path)
                ok = False
            days[index] = hours
    if not ok:
        return None
    # A day that is not listed is closed: an engineer lists the days the centre opens.
    return tuple(day if day is not None else () for day in days)


def parse_holidays(
    diags: Diagnostics,
    node: Node,
    path: DocPath,
    dated: dict[date, Hours],
    yearly: dict[tuple[int, int], Hours],
) -> None:
    """Dated (``2025-12-24``) and yearly (``12-25``) exceptions, into ``dated`` and ``yearly``."""
    mapping = expect_map(
        node, path, diags, 'a mapping of dates ("2025-12-25", or "12-25" every year) to hours'
    )
    if mapping is None:
        return
    for entry in mapping.entries:
        entry_path = path.key(entry.key)
        hours = _hours(diags, entry.value, entry_path)
        day = _date_key(entry.key)
        if day is None:
            diags.error(
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


def _hours(diags: Diagnostics, node: Node, path: DocPath) -> Hours | None:
    if isinstance(node, ScalarNode) and node.value == "closed":
        return ()
    items = list(node.items) if isinstance(node, SeqNode) else [node]
    intervals: list[Interval] = []
    for item in items:
        interval = _interval(item)
        if interval is None:
            diags.error(item.mark, f"{path.last}: expected {_HOURS_WHAT}, got {describe(item)}", path)
            return None
        intervals.append(interval)
    intervals.sort()
    for (_, end), (start, _) in itertools.pairwise(intervals):
        if start < end:
            diags.error(
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
