"""Small statistics: percentiles of samples and a power-law fit (no numpy in the venv)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def quantiles(samples: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of ``samples`` (NaN when empty), plus the sample count."""
    if not samples:
        return {"p50": math.nan, "p99": math.nan, "max": math.nan, "n": 0}
    ordered = sorted(samples)
    n = len(ordered)

    def rank(fraction: float) -> float:
        return ordered[min(n - 1, max(0, math.ceil(fraction * n) - 1))]

    return {"p50": rank(0.50), "p99": rank(0.99), "max": ordered[-1], "n": n}


def power_law_exponent(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log(y) against log(x): ``y ~ x**b`` returns b (NaN if unfit)."""
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(points) < 2:
        return math.nan
    mean_x = sum(p[0] for p in points) / len(points)
    mean_y = sum(p[1] for p in points) / len(points)
    var = sum((p[0] - mean_x) ** 2 for p in points)
    if var == 0:
        return math.nan
    return sum((p[0] - mean_x) * (p[1] - mean_y) for p in points) / var


def log_law_exponent(low: float, high: float) -> float:
    """The power-law exponent a cost growing like ``log(x)`` shows between ``low`` and ``high``.

    Fitting ``c·log(x)`` with ``x**b`` over [100, 10,000] gives b = ln 2 / ln 100 ≈ 0.15: a
    fitted exponent at or below it means growth no faster than logarithmic.
    """
    return math.log(math.log(high) / math.log(low)) / math.log(high / low)


def ratio(value: float, baseline: float) -> float:
    """``value / baseline``; NaN when either is missing or the baseline is zero."""
    if not (math.isfinite(value) and math.isfinite(baseline)) or baseline == 0:
        return math.nan
    return value / baseline
