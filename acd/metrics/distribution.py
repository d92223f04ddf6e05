"""The abandon-time profile: how long callers waited before giving up, in bands.

The first band is the short abandons ``[0, short threshold)``; the next ones end at the
configured band edges above the threshold, and the last is open-ended. A wait exactly
on an edge belongs to the band that *starts* there (bands are ``[lower, upper)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from acd.metrics.calls import is_queued, wait_of
from acd.metrics.config import MetricsConfig
from acd.records import CallOutcome, CallRecord


@dataclass(frozen=True)
class Band:
    """Abandons with a wait in ``[lower, upper)`` (``upper`` None = no upper bound)."""

    lower: float
    upper: float | None
    count: int
    short: bool
    """The short-abandon band (not counted as abandons)."""


def abandon_profile(calls: Iterable[CallRecord], config: MetricsConfig | None = None) -> tuple[Band, ...]:
    """Queued abandons (short ones included, in the first band) counted by wait band."""
    config = config or MetricsConfig()
    short = config.short_abandon_threshold
    edges = [0.0, short] if short > 0 else [0.0]
    edges += [e for e in config.abandon_bands if e > edges[-1]]
    waits = [
        max(0.0, w)
        for c in calls
        if c.outcome is CallOutcome.ABANDONED and is_queued(c) and (w := wait_of(c)) is not None
    ]
    bands = []
    for i, lower in enumerate(edges):
        upper = edges[i + 1] if i + 1 < len(edges) else None
        count = sum(1 for w in waits if w >= lower and (upper is None or w < upper))
        bands.append(Band(lower, upper, count, short=short > 0 and i == 0))
    return tuple(bands)
