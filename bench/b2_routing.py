"""B2 — routing: decision time of the real router against the naive reference router.

For each grid point (``bench/routing_workload.py``) a router is built in steady state, then
events alternate between *agent ready* and *call arrives* (biased to keep the waiting calls at
the point's count) and each decision is timed. The reference router (the test oracle, which
re-scans every waiting call and available agent) is run on a snapshot of the same state for a
sample of the decisions, within a time budget per point, and its answer is checked against the
router's. Runs in this process: routing is pure computation.
"""

from __future__ import annotations

import gc
import math
import time
from typing import Any

from bench.options import Options
from bench.report import Figure, Section
from bench.routing_workload import GridPoint, Workload
from bench.stats import log_law_exponent, power_law_exponent, quantiles

AGENTS = (100, 1000, 10_000)
SKILLS = (10, 100)
WAITING = (100, 1000, 10_000)
QUICK_GRID = (
    GridPoint(100, 100, 100),
    GridPoint(1000, 100, 100),
    GridPoint(1000, 100, 1000),
    GridPoint(1000, 100, 10_000),
)
TARGET = GridPoint(1000, 100, 10_000)
P99_TARGET_S = 100e-6
SPEEDUP_TARGET = 50.0
EXPONENT_TOLERANCE = 0.05
"""Allowed above the log-law exponent for measurement noise."""
KINDS = ("ready", "arrival")
LABELS = {"ready": "agent ready", "arrival": "call arrives"}


def progress(message: str) -> None:
    """A progress line."""
    print(f"  [b2] {message}", flush=True)


def grid(quick: bool) -> list[GridPoint]:
    """The points to run: the full grid (18 points), or a quick subset with the target point."""
    if quick:
        return list(QUICK_GRID)
    return [GridPoint(a, s, w) for a in AGENTS for s in SKILLS for w in WAITING]


def measure(point: GridPoint, events: int, reference_budget: float, min_samples: int = 3) -> dict[str, Any]:
    """Time ``events`` decisions at ``point``; sample the reference router within its budget."""
    started = time.perf_counter()
    workload = Workload(point)
    build = time.perf_counter() - started
    # The state built so far is long-lived: keep the collector from re-scanning it at every
    # full collection, which would time the benchmark's bookkeeping rather than the router.
    gc.collect()
    gc.freeze()
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    reference: dict[str, list[float]] = {kind: [] for kind in KINDS}
    spent = dict.fromkeys(KINDS, 0.0)
    due = dict.fromkeys(KINDS, 0)
    mismatches = 0
    waiting_seen = [len(workload.waiting), len(workload.waiting)]
    share = reference_budget / len(KINDS)
    last: list[str] = []
    try:
        for index in range(events):
            kind = _next_kind(workload, index, last)
            count = len(times[kind])
            sample = count >= due[kind] and (spent[kind] < share or len(reference[kind]) < min_samples)
            decision = workload.agent_ready(sample) if kind == "ready" else workload.call_arrives(sample)
            times[kind].append(decision.seconds)
            if decision.reference is not None:
                begin = time.perf_counter()
                expected = decision.reference()
                cost = time.perf_counter() - begin
                reference[kind].append(cost)
                spent[kind] += cost
                if _pairs(expected) != _pairs(decision.assignments):
                    mismatches += 1
                # Spread the remaining budget over the remaining decisions of this kind, but
                # leave room for the minimum number of samples.
                left = max(share - spent[kind], 1e-9)
                remaining = max(1, (events - index) // len(KINDS))
                stride = max(1, math.ceil(remaining * cost / left))
                if len(reference[kind]) < min_samples:
                    stride = min(stride, max(1, remaining // (min_samples + 1)))
                due[kind] = count + stride
            waiting_seen = [
                min(waiting_seen[0], len(workload.waiting)),
                max(waiting_seen[1], len(workload.waiting)),
            ]
    finally:
        gc.unfreeze()
    return {
        "point": {"agents": point.agents, "skills": point.skills, "waiting": point.waiting},
        "build_s": build,
        "router_s": {kind: quantiles(times[kind]) for kind in KINDS},
        "router_mean_s": {kind: sum(times[kind]) / max(1, len(times[kind])) for kind in KINDS},
        "reference_s": {kind: quantiles(reference[kind]) for kind in KINDS},
        "reference_samples": {kind: len(reference[kind]) for kind in KINDS},
        "reference_sampled": any(len(reference[k]) < len(times[k]) for k in KINDS),
        "mismatches": mismatches,
        "waiting_range": waiting_seen,
        "idle_agents_at_end": workload.idle,
        "seconds": time.perf_counter() - started,
    }


def _next_kind(workload: Workload, index: int, last: list[str]) -> str:
    """Alternate, but steer the waiting calls back towards the point's count; never three of a
    kind in a row, so both decisions are measured at every point."""
    target = workload.point.waiting
    waiting = len(workload.waiting)
    if not workload.busy or last[-2:] == ["ready", "ready"]:
        kind = "arrival"
    elif last[-2:] == ["arrival", "arrival"] or waiting > target * 1.02 + 1:
        kind = "ready"
    elif waiting < target * 0.98 - 1:
        kind = "arrival"
    else:
        kind = KINDS[index % 2]
    last.append(kind)
    del last[:-2]
    return kind


def _pairs(assignments: list[Any]) -> list[tuple[str, str]]:
    return sorted((a.call_id, a.agent_id) for a in assignments)


def run(options: Options) -> Section:
    """Run B2; its section of the results."""
    points = grid(options.quick)
    events = 1000 if options.quick else 3000
    budget = 0.5 if options.quick else 2.0
    section = Section(
        "b2",
        "B2 — routing decisions",
        "Decision time of the real router (`acd/router.py`) when a call arrives and when an agent"
        " becomes ready, in steady state, against the naive reference router (`acd/reference_router.py`,"
        " the test oracle) deciding on the same state.",
    )
    results: list[dict[str, Any]] = []
    for point in points:
        progress(point.label)
        results.append(measure(point, events, budget))
    section.details = {"events_per_point": events, "reference_budget_s": budget, "points": results}
    _figures(section, results)
    _exponents(section, results)
    ran = ", ".join(GridPoint(**r["point"]).label for r in results)
    sampled = [GridPoint(**r["point"]).label for r in results if r["reference_sampled"]]
    section.notes.append(f"Points run ({len(results)}): {ran}.")
    section.notes.append(
        f"{events} decisions per point. The reference router was sampled (it is too slow to run on every"
        f" decision) at: {', '.join(sampled) or 'none'}; at most {budget:.1f} s of reference time per point,"
        " and at least 3 decisions of each kind; the sample counts are in results.json."
    )
    drifted = [
        f"{GridPoint(**r['point']).label} ({r['waiting_range'][0]:,}…{r['waiting_range'][1]:,})"
        for r in results
        if r["waiting_range"][1] > 1.1 * r["point"]["waiting"] + 5
    ]
    if drifted:
        section.notes.append(
            "Waiting calls drifted above the point's count where few agents suit the waiting calls"
            " (agents freed find nothing to take, so arrivals pile up); measured range: "
            + ", ".join(drifted)
            + "."
        )
    mismatched = sum(r["mismatches"] for r in results)
    section.notes.append(
        f"The router's assignments differed from the reference's on {mismatched} sampled decisions."
    )
    return section


def _figures(section: Section, results: list[dict[str, Any]]) -> None:
    for result in results:
        point = GridPoint(**result["point"])
        is_target = point == TARGET
        for kind in KINDS:
            router = result["router_s"][kind]
            ref = result["reference_s"][kind]
            n = result["reference_samples"][kind]
            baseline = f"reference (n={n})"
            f = section.add(
                Figure(f"{LABELS[kind]} p50", point.label, router["p50"], "s", baseline, ref["p50"])
            )
            if is_target:
                f.target = f"≥ {SPEEDUP_TARGET:.0f}× faster (ratio ≤ {1 / SPEEDUP_TARGET:.2f})"
                f.met = f.ratio is not None and f.ratio <= 1 / SPEEDUP_TARGET
            f = section.add(
                Figure(f"{LABELS[kind]} p99", point.label, router["p99"], "s", baseline, ref["p99"])
            )
            if is_target:
                f.target = "< 100 µs"
                f.met = router["p99"] < P99_TARGET_S


def _exponents(section: Section, results: list[dict[str, Any]]) -> None:
    """Fit decision time (p50) against waiting calls for each fixed agent pool and skill count."""
    by_pool: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for result in results:
        by_pool.setdefault((result["point"]["agents"], result["point"]["skills"]), []).append(result)
    fits = {}
    for (agents, skills), rows in sorted(by_pool.items()):
        waiting = [float(r["point"]["waiting"]) for r in rows]
        if len(set(waiting)) < 2:
            continue
        low, high = min(waiting), max(waiting)
        log_law = log_law_exponent(low, high)
        for kind in KINDS:
            exponent = power_law_exponent(waiting, [r["router_s"][kind]["p50"] for r in rows])
            ref_exponent = power_law_exponent(waiting, [r["reference_s"][kind]["p50"] for r in rows])
            fits[f"A={agents} S={skills} {kind}"] = {"router": exponent, "reference": ref_exponent}
            f = section.add(
                Figure(
                    f"{LABELS[kind]}: exponent of p50 vs waiting calls",
                    f"A={agents} S={skills} W={low:.0f}…{high:.0f}",
                    exponent,
                    "exp",
                    "reference",
                    ref_exponent,
                    f"≤ {log_law:.2f} (log growth) + {EXPONENT_TOLERANCE}",
                )
            )
            f.met = math.isfinite(exponent) and exponent <= log_law + EXPONENT_TOLERANCE
    section.details["exponents"] = fits
    section.notes.append(
        "Exponent: the slope b of log(p50 decision time) against log(waiting calls), i.e. time ∝ W^b."
        " 0 is constant, 1 linear; a cost growing like log W shows b ≈ 0.15 between 100 and 10,000."
    )
