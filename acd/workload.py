"""An agent's recent workload: busy intervals (for occupancy) and calls handled today.

Both are small immutable values the engine replaces as calls finish; the router only reads them.
The busy history stays compact: intervals that can no longer reach any occupancy window are
dropped when a new one is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BusyHistory:
    """Disjoint busy intervals ``(start, end)``, sorted, with ``start < end``."""

    intervals: tuple[tuple[float, float], ...] = ()

    def record(self, start: float, end: float, horizon: float) -> BusyHistory:
        """Add the busy interval ``[start, end]``, merging overlaps.

        Intervals that ended at or before ``end - horizon`` are dropped: ``horizon`` must be at
        least the longest occupancy window in use, and ``now`` never goes back before ``end``.
        """
        if end <= start:
            return self
        merged: list[tuple[float, float]] = []
        placed = False
        for s, e in self.intervals:
            if e < start or placed:
                merged.append((s, e))
            elif s > end:
                merged.append((start, end))
                merged.append((s, e))
                placed = True
            else:
                # Overlap or touch: absorb into the new interval (concurrent calls count once).
                start, end = min(s, start), max(e, end)
        if not placed:
            merged.append((start, end))
        keep_after = max(e for _, e in merged) - horizon
        return BusyHistory(tuple((s, e) for s, e in merged if e > keep_after))

    def busy_seconds(self, since: float, until: float) -> float:
        """Busy time inside ``[since, until]``."""
        total = 0.0
        for s, e in self.intervals:
            lo, hi = max(s, since), min(e, until)
            if hi > lo:
                total += hi - lo
        return total

    def occupancy(self, now: float, window: float) -> float:
        """Busy fraction of the ``window`` seconds ending at ``now`` (0.0 .. 1.0)."""
        return self.busy_seconds(now - window, now) / window


@dataclass(frozen=True, slots=True)
class CallTally:
    """Calls handled since ``day_start`` (the day boundary is always passed in, never guessed)."""

    day_start: float = -float("inf")
    count: int = 0

    def count_on(self, day_start: float) -> int:
        """Calls handled in the day starting at ``day_start``: a tally from an older day reads 0."""
        return self.count if self.day_start >= day_start else 0

    def record(self, day_start: float) -> CallTally:
        """One more call handled in the day starting at ``day_start``."""
        return CallTally(day_start, self.count_on(day_start) + 1)


NO_BUSY_TIME = BusyHistory()
NO_CALLS_HANDLED = CallTally()
