"""``python -m bench`` (``make bench``): run the benchmarks, print progress, write the results.

    python -m bench                  everything (about 8 minutes on 2 cores)
    python -m bench --quick          a shorter run with fewer points, for development
    python -m bench --only b1,b3     some benchmarks
    python -m bench --profile        B1 also profiles the daemon (results/profile-b1.txt)

Results go to ``bench/results/results.md`` and ``results.json`` (see docs/benchmarks.md).
Benchmarks never fail: the exit status is 0 even when targets are missed, or when a
benchmark broke (its section then says why). Only a bad command line exits 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import b1_fastagi, b2_routing, b3_records, b4_center, machine
from bench.options import RESULTS_DIR, Options
from bench.processes import ROOT
from bench.report import Section, targets_summary, write

BENCHMARKS: dict[str, tuple[str, Callable[[Options], Section]]] = {
    "b1": ("FastAGI / IVR throughput", b1_fastagi.run),
    "b2": ("routing decisions", b2_routing.run),
    "b3": ("call records into SQLite", b3_records.run),
    "b4": ("the whole daemon under a contact-centre load", b4_center.run),
}


def parse(argv: list[str]) -> tuple[Options, list[str]]:
    """The options and the benchmarks to run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run the ivr-acd benchmarks.")
    parser.add_argument("--only", help="comma-separated benchmarks to run (b1,b2,b3,b4)")
    parser.add_argument("--quick", action="store_true", help="shorter, fewer points (development)")
    parser.add_argument("--profile", action="store_true", help="B1 also writes a cProfile of the daemon")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="output folder (bench/results)")
    args = parser.parse_args(argv)
    selected = (
        list(BENCHMARKS) if not args.only else [b.strip().lower() for b in args.only.split(",") if b.strip()]
    )
    unknown = [b for b in selected if b not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose among {', '.join(BENCHMARKS)}")
    return Options(quick=args.quick, results_dir=args.results, profile=args.profile), selected


def commit() -> str:
    """The checked-out commit, marked ``+dirty`` when the tree has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def run_one(key: str, options: Options) -> Section:
    """One benchmark; a failure becomes a section that says what broke."""
    title, runner = BENCHMARKS[key]
    print(f"{key.upper()} — {title}", flush=True)
    start = time.perf_counter()
    try:
        section = runner(options)
    except Exception as exc:  # a broken benchmark must not hide the others' results
        traceback.print_exc()
        section = Section(key, f"{key.upper()} — {title}", "", error=f"{type(exc).__name__}: {exc}")
    section.seconds = time.perf_counter() - start
    print(f"{key.upper()} done in {section.seconds:.0f} s", flush=True)
    return section


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    options, selected = parse(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    fd = machine.raise_fd_limit()
    info = machine.describe()
    cores = machine.cores()
    print(
        f"ivr-acd benchmarks: {', '.join(selected)} ({'quick' if options.quick else 'full'}), {cores} cores"
    )
    info["cpu_share_1"] = machine.cpu_share(1)
    info["cpu_share_all"] = machine.cpu_share(cores)
    info["python_sum_range_1000_s"] = machine.python_speed()
    info["load_average_at_start"] = os.getloadavg()
    sections = [run_one(key, options) for key in selected]
    info["load_average_at_end"] = os.getloadavg()
    header = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "wall_seconds": time.perf_counter() - started,
        "mode": "quick" if options.quick else "full",
        "benchmarks": selected,
        "machine": info,
        "fd_limit": {"soft": fd.soft, "hard": fd.hard, "raised_from": fd.raised_from},
        "commit": commit(),
    }
    markdown, data = write(options.results_dir, header, sections)
    print()
    print("\n".join(targets_summary(sections)))
    print(f"\nTotal {header['wall_seconds']:.0f} s on {cores} cores. Results: {markdown} and {data}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
