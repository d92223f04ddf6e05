"""Business hours: a weekly timetable plus dated exceptions, evaluated in a time zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# [start, end) in minutes since local midnight; end may be 1440 (24:00).
Interval = tuple[int, int]
Hours = tuple[Interval, ...]


@dataclass(frozen=True, slots=True)
class Schedule:
    """When the contact centre is open.

    `dated` exceptions (one calendar day) win over `yearly` ones (a month and day every year),
    which win over the `weekly` timetable; an empty tuple means closed all day.
    """

    timezone: str
    zone: ZoneInfo
    weekly: tuple[Hours, ...]  # seven entries, Monday first
    dated: Mapping[date, Hours]
    yearly: Mapping[tuple[int, int], Hours]

    def hours_on(self, day: date) -> Hours:
        """The opening intervals that apply on a local calendar day."""
        if day in self.dated:
            return self.dated[day]
        yearly = self.yearly.get((day.month, day.day))
        if yearly is not None:
            return yearly
        return self.weekly[day.weekday()]

    def is_open(self, now: datetime) -> bool:
        """Whether the schedule is open at the instant `now` (an aware datetime)."""
        local = now.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.hours_on(local.date()))


def format_minutes(minute: int) -> str:
    """`HH:MM` for a minute of the day (1440 is `24:00`)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"
