"""Report periods and clock-aligned interval buckets.

Nothing here reads the clock: the period is always passed in. Buckets are aligned on the
wall clock of the given time zone (``None`` = the system's local time, with its DST rules),
so a 30-minute bucket starts at :00 or :30 local time even where the UTC offset is not a
whole hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

BUCKET_MINUTES: tuple[int, ...] = (15, 30, 60)
"""The bucket sizes the reports offer (any divisor of 60 works here)."""


@dataclass(frozen=True)
class Period:
    """The half-open range ``[start, end)`` in epoch seconds; ``None`` leaves a side open."""

    start: float | None = None
    end: float | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError("a period cannot end before it starts")

    def contains(self, t: float) -> bool:
        """Whether the instant ``t`` falls in the period."""
        return (self.start is None or t >= self.start) and (self.end is None or t < self.end)

    def overlap(self, start: float, end: float) -> float:
        """Seconds of ``[start, end)`` that fall inside the period (0 when disjoint)."""
        lo = start if self.start is None else max(start, self.start)
        hi = end if self.end is None else min(end, self.end)
        return max(0.0, hi - lo)


def local_datetime(t: float, tz: tzinfo | None) -> datetime:
    """The aware datetime of epoch ``t`` in ``tz`` (``None`` = system local time)."""
    if tz is not None:
        return datetime.fromtimestamp(t, tz)
    # fromtimestamp() without tz picks the right local offset (DST, fold); astimezone()
    # then attaches it, so arithmetic on the result stays exact.
    return datetime.fromtimestamp(t).astimezone()


def bucket_start(t: float, minutes: int, tz: tzinfo | None = None) -> float:
    """The start of the ``minutes``-long wall-clock bucket that holds ``t``."""
    _check_minutes(minutes)
    local = local_datetime(t, tz)
    floored = local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)
    return floored.timestamp()


def bucket_starts(first: float, last: float, minutes: int, tz: tzinfo | None = None) -> list[float]:
    """Every bucket start from the one holding ``first`` to the one holding ``last``, gaps included."""
    _check_minutes(minutes)
    if last < first:
        return []
    step = minutes * 60.0
    current = bucket_start(first, minutes, tz)
    final = bucket_start(last, minutes, tz)
    starts = [current]
    while current < final:
        following = bucket_start(current + step, minutes, tz)
        # A half-hour DST shift can floor back onto the same bucket; never loop on it.
        current = following if following > current else current + step
        starts.append(current)
    return starts


def _check_minutes(minutes: int) -> None:
    if minutes <= 0 or minutes > 60 or 60 % minutes:
        raise ValueError(f"bucket size must divide an hour, got {minutes} minutes")
