"""Reading what ``bench/daemon_host.py``'s probes recorded: loop lag and GC pauses in a window."""

from __future__ import annotations

from typing import Any

from bench.stats import quantiles


def lags_between(probes: dict[str, Any], start: float, end: float) -> dict[str, float]:
    """Quantiles of the loop-lag samples taken between two wall-clock times."""
    return quantiles([v for t, v in zip(probes.get("t", []), probes.get("lag", [])) if start <= t <= end])


def gc_between(probes: dict[str, Any], start: float, end: float) -> dict[int, dict[str, float]]:
    """Per generation: collections, seconds paused in all, longest pause, between two times."""
    pauses = [p for p in probes.get("gc", []) if start <= p[0] <= end]
    summary: dict[int, dict[str, float]] = {}
    for generation in (0, 1, 2):
        times = [p[2] for p in pauses if p[1] == generation]
        if times:
            summary[generation] = {"count": len(times), "total_s": sum(times), "max_s": max(times)}
    return summary


def describe_gc(summary: dict[int, dict[str, float]]) -> str:
    """``gen0 120× (40 ms, ≤ 2.1 ms); gen2 1× (130 ms)``."""
    if not summary:
        return "no collections"
    return "; ".join(
        f"generation {g}: {s['count']:.0f} collections, {s['total_s'] * 1000:.0f} ms in all,"
        f" longest {s['max_s'] * 1000:.1f} ms"
        for g, s in sorted(summary.items())
    )
