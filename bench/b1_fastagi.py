"""B1 — FastAGI / IVR throughput: the real daemon, the floor and a pyst2 classic AGI script.

The system under test is ``python -m ivr_acd.cli run`` with ``bench/fastagi_setup.py``'s
configuration (the real FastAGI server, dialplan runner and interpreter running a compiled YAML
dialplan; the simulator serves its AMI). For each N the load generator (another process, see
``bench/loadgen.py``) runs, against a freshly started daemon: a warm-up, a *hold* of N sessions
at once (memory per session), a *saturated* closed loop of N callers (calls/s, CPU per call,
turnaround at saturation) and a *paced* one at half the saturated command rate (turnaround at N
sessions). The floor server (``bench/floor_server.py``) replays the daemon's command sequence
through the same phases, the paced one at the same offered rate as the daemon's. pyst2 runs the
same call as one process per call, two processes per core at a time.
"""

from __future__ import annotations

import contextlib
import json
import pstats
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.fastagi_setup import CALLER_KEYS, HOLD_AT, SCRIPT, write_config
from bench.machine import cores, fd_soft_limit_of, raise_fd_limit
from bench.options import Options
from bench.probes import describe_gc, gc_between, lags_between
from bench.processes import (
    Child,
    run_loadgen,
    running,
    start_ami_peer,
    start_daemon,
    start_floor,
)
from bench.processes import python as python_command
from bench.report import Figure, Section

SESSIONS = (100, 1000, 5000)
QUICK_SESSIONS = (100, 1000)
LOAD = 0.5
"""The paced phase's command rate, as a fraction of the daemon's saturated rate at the same N."""
P99_TARGET_S = 0.005
SESSION_MEMORY_TARGET = 64 * 1024
FLOOR = "floor"
PYST2 = "pyst2"


def progress(message: str) -> None:
    """A progress line."""
    print(f"  [b1] {message}", flush=True)


def _phases(sessions: int, window: float, paced_think: float | None = None) -> list[dict[str, Any]]:
    paced: dict[str, Any] = {"kind": "paced", "sessions": sessions, "warmup": 0.5, "duration": window}
    if paced_think is None:
        paced["load"] = LOAD
    else:
        paced["think"] = paced_think
    return [
        {"kind": "warmup", "sessions": 10, "duration": 1.0},
        {"kind": "hold", "sessions": sessions, "at": HOLD_AT},
        {"kind": "saturated", "sessions": sessions, "warmup": 1.0, "duration": window},
        paced,
    ]


def _target(kind: str, port: int, pid: int, commands_per_call: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "port": port,
        "script": SCRIPT,
        "keys": CALLER_KEYS,
        "server_pid": pid,
        "commands_per_call": commands_per_call,
    }


@contextlib.contextmanager
def _daemon(
    root: Path, ami_port: int, max_sessions: int, argv: list[str] | None = None
) -> Iterator[tuple[Child, int]]:
    """A fresh daemon (its own database) and its FastAGI port; stopped on leaving."""
    # INFO, as shipped: the daemon's per-session log lines are part of its cost.
    config = write_config(root, ami_port, max_sessions=max_sessions, log_level="INFO")
    command = None if argv is None else [*argv, "--config", str(config)]
    child, port = start_daemon(config, root / "daemon.log", command)
    with running(child):
        yield child, port


def run(options: Options) -> Section:
    """Run B1; its section of the results."""
    section = Section(
        "b1",
        "B1 — FastAGI / IVR throughput",
        "The real daemon process (`ivr-acd run`, FastAGI server + runner + interpreter on a compiled"
        " 6-step YAML dialplan) against the floor (a minimal asyncio FastAGI server replaying the same"
        " command sequence) and pyst2 (classic AGI, one process per call). Media time is zero; the load"
        " generator is a separate process.",
    )
    sizes = QUICK_SESSIONS if options.quick else SESSIONS
    window = 2.5 if options.quick else 5.0
    fd = raise_fd_limit()
    runnable = [n for n in sizes if fd.enough_for(n)]
    for n in sizes:
        if n not in runnable:
            section.notes.append(
                f"N={n} skipped: RLIMIT_NOFILE soft limit {fd.soft} (hard {fd.hard}) is too low;"
                " raise the hard limit (ulimit -Hn) to run it."
            )
    details: dict[str, Any] = {"sessions": runnable, "window_s": window, "load": LOAD}
    section.details = details
    with tempfile.TemporaryDirectory(prefix="ivr-acd-bench-b1-", dir=options.work_dir) as tmp:
        root = Path(tmp)
        ami, ami_port = start_ami_peer(root / "ami.log")
        with running(ami):
            daemon: dict[int, dict[str, Any]] = {}
            floor: dict[int, dict[str, Any]] = {}
            commands: list[str] = []
            for n in runnable:
                # Each N: the daemon, then the floor at once (the machine's state drifts).
                daemon[n], commands = _run_daemon(root, ami_port, n, max(runnable) + 1000, window, details)
                floor[n] = _run_floor(root, commands, n, window, float(daemon[n]["paced"]["think_mean_s"]))
            if options.profile:
                details["profile"] = _profile(root, ami_port, window, len(commands), options.results_dir)
        pyst2 = _run_pyst2(window, len(commands), details)
    details["daemon"] = daemon
    details["floor"] = floor
    details["pyst2"] = pyst2
    details["commands"] = commands
    _figures(section, runnable, daemon, floor, pyst2)
    _notes(section, runnable, daemon, floor, pyst2, commands)
    return section


def _run_daemon(
    root: Path, ami_port: int, n: int, max_sessions: int, window: float, details: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """A fresh daemon through the phases at ``n`` sessions; its results and a call's commands."""
    progress(f"daemon, N={n}")
    with _daemon(root / f"daemon-{n}", ami_port, max_sessions) as (child, port):
        details.setdefault("daemon_fd_limit", fd_soft_limit_of(child.pid))
        probe = run_loadgen({"target": _target("socket", port, child.pid, 0), "phases": [{"kind": "probe"}]})
        commands = list(probe["probe"]["commands"])
        details.setdefault("probe_ok", probe["probe"]["ok"])
        job = {"target": _target("socket", port, child.pid, len(commands)), "phases": _phases(n, window)}
        return run_loadgen(job), commands


def _run_floor(root: Path, commands: list[str], n: int, window: float, think: float) -> dict[str, Any]:
    """The floor server through the same phases (paced at the daemon's think time)."""
    progress(f"floor, N={n}")
    script = root / "floor-commands.json"
    script.write_text(json.dumps(commands))
    child, port = start_floor(script, root / f"floor-{n}.log")
    with running(child):
        job = {
            "target": _target("socket", port, child.pid, len(commands)),
            "phases": _phases(n, window, think),
        }
        return run_loadgen(job)


def _run_pyst2(window: float, commands_per_call: int, details: dict[str, Any]) -> dict[str, Any]:
    concurrency = 2 * cores()
    progress(f"pyst2, {concurrency} scripts at a time")
    job = {
        "target": _target(PYST2, 0, 0, commands_per_call),
        "phases": [
            {"kind": "probe"},
            {"kind": "saturated", "sessions": concurrency, "warmup": 1.0, "duration": window + 1.0},
        ],
    }
    details["pyst2_concurrency"] = concurrency
    return run_loadgen(job)


def _profile(root: Path, ami_port: int, window: float, commands_per_call: int, results_dir: Path) -> str:
    """The daemon under cProfile with the loop-lag and GC probes, N=1000 saturated then paced;
    writes where the time goes to ``results/profile-b1.txt``."""
    progress("daemon under cProfile with the lag and GC probes, N=1000")
    profile, lag = root / "daemon.prof", root / "lag.json"
    argv = python_command("-m", "bench.daemon_host", "--profile", str(profile), "--lag", str(lag))
    with _daemon(root / "profiled", ami_port, 2000, argv) as (child, port):
        results = run_loadgen(
            {
                "target": _target("socket", port, child.pid, commands_per_call),
                "phases": [
                    {"kind": "warmup", "sessions": 10, "duration": 1.0},
                    {"kind": "saturated", "sessions": 1000, "warmup": 1.0, "duration": window},
                    {"kind": "paced", "sessions": 1000, "load": LOAD, "warmup": 0.5, "duration": window},
                ],
            }
        )
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / "profile-b1.txt"
    probes = json.loads(lag.read_text()) if lag.exists() else {}
    with out.open("w") as stream:
        stream.write("B1 daemon at N=1000 under cProfile (about half its normal speed).\n\n")
        for phase in ("saturated", "paced"):
            stream.write(_probe_summary(phase, results[phase], probes) + "\n")
        stats = pstats.Stats(str(profile), stream=stream)
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(60)
    return str(out)


def _probe_summary(phase: str, window: dict[str, Any], probes: dict[str, Any]) -> str:
    """Loop lag and garbage-collector pauses inside one measurement window."""
    start, end = window["wall_start"], window["wall_end"]
    return (
        f"{phase}: turnaround {_ms(window['turnaround_s'])}; loop lag {_ms(lags_between(probes, start, end))}\n"
        f"  {describe_gc(gc_between(probes, start, end))}"
    )


def _ms(q: dict[str, float]) -> str:
    return ", ".join(f"{k} {v * 1000:.2f} ms" for k, v in q.items() if k != "n")


def _get(results: dict[int, dict[str, Any]], n: int, *path: str) -> float | None:
    value: Any = results.get(n)
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return float(value) if isinstance(value, int | float) else None


def _figures(
    section: Section,
    sizes: list[int],
    daemon: dict[int, dict[str, Any]],
    floor: dict[int, dict[str, Any]],
    pyst2: dict[str, Any],
) -> None:
    py_rate = pyst2["saturated"]["calls_per_s"]
    py_cpu = pyst2["saturated"]["server_cpu_per_call_s"]
    py_rss = pyst2["saturated"].get("process_rss_peak")
    for n in sizes:
        point = f"N={n}"
        rate = _get(daemon, n, "saturated", "calls_per_s")
        floor_rate = _get(floor, n, "saturated", "calls_per_s")
        f = section.add(
            Figure("calls/s at saturation", point, rate, "calls/s", FLOOR, floor_rate, "≥ 0.5× floor")
        )
        f.met = f.ratio is not None and f.ratio >= 0.5
        f = section.add(
            Figure("calls/s at saturation", point, rate, "calls/s", PYST2, py_rate, "≥ 20× pyst2")
        )
        f.met = f.ratio is not None and f.ratio >= 20
        cpu = _get(daemon, n, "saturated", "server_cpu_per_call_s")
        section.add(
            Figure(
                "CPU per call", point, cpu, "s", FLOOR, _get(floor, n, "saturated", "server_cpu_per_call_s")
            )
        )
        section.add(Figure("CPU per call", point, cpu, "s", PYST2, py_cpu))
        for q in ("p50", "p99"):
            value = _get(daemon, n, "paced", "turnaround_s", q)
            f = section.add(
                Figure(
                    f"turnaround {q}, 50 % load",
                    point,
                    value,
                    "s",
                    "floor, same offered load",
                    _get(floor, n, "paced", "turnaround_s", q),
                )
            )
            if q == "p99" and n == 1000:
                f.target = "< 5 ms at N=1,000"
                f.met = value is not None and value < P99_TARGET_S
        for q in ("p50", "p99"):
            section.add(
                Figure(
                    f"turnaround {q}, saturated",
                    point,
                    _get(daemon, n, "saturated", "turnaround_s", q),
                    "s",
                    FLOOR,
                    _get(floor, n, "saturated", "turnaround_s", q),
                )
            )
        memory = _get(daemon, n, "hold", "rss_per_session")
        f = section.add(
            Figure(
                "memory per session",
                point,
                memory,
                "B",
                FLOOR,
                _get(floor, n, "hold", "rss_per_session"),
                "< 64 KiB",
            )
        )
        f.met = memory is not None and memory < SESSION_MEMORY_TARGET
        section.add(Figure("memory per session", point, memory, "B", "pyst2 (a process per call)", py_rss))
        held = _get(daemon, n, "hold", "held")
        f = section.add(
            Figure("sessions held at once", point, held, "count", FLOOR, _get(floor, n, "hold", "held"))
        )
        if n == 5000:
            f.target = "5,000 in one process"
            f.met = held is not None and held >= 5000


def _notes(
    section: Section,
    sizes: list[int],
    daemon: dict[int, dict[str, Any]],
    floor: dict[int, dict[str, Any]],
    pyst2: dict[str, Any],
    commands: list[str],
) -> None:
    section.notes.append(
        f"One call is {len(commands)} AGI commands: " + ", ".join(c.split(" ")[0] for c in commands) + "."
    )
    ours = [_words(c) for c in commands]
    theirs = [_words(c) for c in pyst2.get("probe", {}).get("commands", [])]
    section.notes.append(
        "pyst2 sends the same command sequence (words compared; pyst2 quotes arguments and adds"
        " STREAM FILE's offset)."
        if ours == theirs
        else f"pyst2's command sequence differs: {theirs}"
    )
    section.notes.append(
        f"pyst2 ran {pyst2['saturated']['sessions']} script processes at a time (2 per core: its best"
        " throughput, CPU-bound on process start-up); N does not apply to it."
    )
    for n in sizes:
        for name, results in (("daemon", daemon), (FLOOR, floor)):
            sat = results[n]["saturated"]
            paced = results[n]["paced"]
            section.notes.append(
                f"N={n} {name}: server CPU {sat['server_cpu_utilisation']:.0%} of a core at saturation,"
                f" load generator {sat['loadgen_cpu_utilisation']:.0%}; paced think time"
                f" {paced['think_mean_s'] * 1000:.1f} ms, server at {paced['server_cpu_utilisation']:.0%};"
                f" calls failed: {sat['failed_calls'] + paced['failed_calls']}."
            )
    section.notes.append(
        "calls/s is the command rate ÷ commands per call (at N=5,000 a call outlasts the window, so"
        " completed calls would undercount); turnaround at saturation is queueing (Little's law: about"
        " N ÷ command rate), the paced figures show the daemon's own latency at N sessions."
    )


def _words(command: str) -> tuple[str, ...]:
    return tuple(w for w in command.split(" ") if w.isupper() and w.isalpha())
