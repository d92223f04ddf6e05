"""Per-queue counters for today and the recent handle times the wait estimate uses.

The supervisor snapshot (``QueueSnapshot``) reads the counters; the estimate announced to a
waiting caller reads the handle times. Both are updated by the call centre core as calls
end; the day boundary is passed in (``day_start``), never read from a clock.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

DEFAULT_HANDLE_TIME = 180.0
"""Assumed handle time (talk + wrap-up) before a queue has any history: a typical 3 minutes."""
HANDLE_WINDOW = 50
"""How many recent calls the average handle time looks at."""


@dataclass
class QueueDay:
    """One queue's counters since ``day_start``."""

    day_start: float
    service_level: int
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_within_sl: int = 0
    abandoned_within_sl: int = 0
    hold_total: float = 0.0
    talk_total: float = 0.0
    talked: int = 0


@dataclass
class QueueStats:
    """Counters and recent handle times of one queue."""

    service_level: int
    short_abandon: float = 5.0
    day: QueueDay = field(default_factory=lambda: QueueDay(-math.inf, 20))
    handle_times: deque[float] = field(default_factory=lambda: deque(maxlen=HANDLE_WINDOW))

    def _today(self, day_start: float) -> QueueDay:
        if self.day.day_start != day_start:
            self.day = QueueDay(day_start, self.service_level)
        return self.day

    def answered(self, hold: float, day_start: float) -> None:
        """A call of this queue was answered after ``hold`` seconds."""
        day = self._today(day_start)
        day.offered += 1
        day.answered += 1
        day.hold_total += hold
        if hold <= self.service_level:
            day.answered_within_sl += 1

    def abandoned(self, hold: float, day_start: float) -> None:
        """A caller hung up after ``hold`` seconds; short abandons are not offered calls."""
        if hold < self.short_abandon:
            return
        day = self._today(day_start)
        day.offered += 1
        day.abandoned += 1
        if hold <= self.service_level:
            day.abandoned_within_sl += 1

    def left(self, day_start: float) -> None:
        """A call left otherwise (exit key, overflow, callback): offered, neither answered nor abandoned."""
        self._today(day_start).offered += 1

    def completed(self, talk: float, handle: float, day_start: float) -> None:
        """A conversation ended: ``talk`` for the averages, ``handle`` (talk + wrap-up) for estimates."""
        day = self._today(day_start)
        day.talk_total += talk
        day.talked += 1
        self.handle_times.append(handle)

    def average_handle(self) -> float:
        """Mean handle time of the recent calls, or the default before any."""
        if not self.handle_times:
            return DEFAULT_HANDLE_TIME
        return sum(self.handle_times) / len(self.handle_times)

    def view(self, day_start: float) -> QueueDay:
        """Today's counters (zeros once the day has turned)."""
        return self._today(day_start)


def estimate_wait(position: int, average_handle: float, serving: int, free_now: int) -> float:
    """Seconds until the caller at ``position`` (1-based) is likely answered.

    ``serving`` agents (logged in, not paused, able to take this queue's calls) each finish a
    call every ``average_handle`` seconds on average, so the queue drains at
    ``serving / average_handle`` calls a second; the caller waits for the ``position - free_now``
    calls ahead of them (and their own) to find an agent. With nobody serving, the estimate is
    unbounded (``inf``): the caller must not be told a number.
    """
    if position <= free_now:
        return 0.0
    if serving <= 0:
        return math.inf
    return (position - free_now) * average_handle / serving
