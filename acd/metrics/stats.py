"""Arithmetic shared by the metrics: means and ratios that are ``None`` when undefined.

A rate over zero calls is not 0 %, it is undefined; the reports print it as "n/a"
instead of inventing a number. Counts, on the other hand, are plain zeros.
"""

from __future__ import annotations

from collections.abc import Iterable


def mean(values: Iterable[float]) -> float | None:
    """The arithmetic mean, or ``None`` for no values."""
    items = list(values)
    if not items:
        return None
    return sum(items) / len(items)


def ratio(part: float, whole: float) -> float | None:
    """``part / whole`` as a fraction, or ``None`` when ``whole`` is zero."""
    if whole == 0:
        return None
    return part / whole


def maximum(values: Iterable[float]) -> float | None:
    """The largest value, or ``None`` for no values."""
    return max(values, default=None)
