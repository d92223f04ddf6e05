"""B4 — the whole daemon under a contact-centre load.

Three processes: the simulator (``bench/sim_host.py``: the real ``asterisk_sim`` with the caller
mix of ``bench/center_setup.py``), the daemon (``bench/daemon_host.py``: the real ``Daemon`` with
the shipped dialplans and queues, a roster of 200 agents answered by the simulator, and an
event-loop lag sampler inside), and this driver, which samples the daemon's CPU and memory from
/proc. The simulator idles first (the daemon's baseline: started, AMI connected, agents ready),
then keeps 500 callers on the line for 60 s, then drains. The figures compare the load window
with the idle one; records written are compared with the calls the simulator ended.
"""

from __future__ import annotations

import contextlib
import json
import queue
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

from bench import center_setup
from bench.machine import cpu_seconds, rss_bytes
from bench.options import Options
from bench.probes import describe_gc, gc_between, lags_between
from bench.processes import AMI_SECRET, Child, python, running, start_daemon
from bench.report import Figure, Section

LAG_TARGET_S = 0.020
LAG_INTERVAL_S = 0.01
SAMPLE_EVERY_S = 0.5


def progress(message: str) -> None:
    """A progress line."""
    print(f"  [b4] {message}", flush=True)


def _reader(stream: IO[bytes], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line.decode(errors="replace"))


def run(options: Options) -> Section:
    """Run B4; its section of the results."""
    callers = 500
    idle, duration, drain = (3.0, 15.0, 3.0) if options.quick else (5.0, 60.0, 3.0)
    section = Section(
        "b4",
        "B4 — the whole daemon under a contact-centre load",
        f"The daemon with the shipped `dialplans/` and `config/queues.yaml`, {center_setup.AGENTS} agents"
        f" (generated roster, phones answered by the simulator), {callers} callers kept on the line for"
        f" {duration:.0f} s by the simulator in its own process. Baseline: the same daemon idle just before"
        " (started, AMI connected, agents ready).",
    )
    with tempfile.TemporaryDirectory(prefix="ivr-acd-bench-b4-", dir=options.work_dir) as tmp:
        root = Path(tmp)
        details = _run(root, callers, idle, duration, drain)
    section.details = details
    _figures(section, details, callers)
    _trim(details)
    return section


def _trim(details: dict[str, Any]) -> None:
    """Keep results.json small: summaries instead of every sample and every call."""
    details.pop("lag", None)
    sim = details.pop("sim", {})
    details["sim"] = {
        "stats": sim.get("stats"),
        "calls": len(sim.get("calls", [])),
        "ended_in_window": len(sim.get("ended_in_window", [])),
        "device_calls": sim.get("device_calls"),
    }
    details["records"].pop("channels", None)


def _run(root: Path, callers: int, idle: float, duration: float, drain: float) -> dict[str, Any]:
    report_path = root / "sim-report.json"
    lag_path = root / "lag.json"
    scenario = center_setup.write_scenario(root)
    options = {
        "--scenario": str(scenario),
        "--ami-secret": AMI_SECRET,
        "--callers": str(callers),
        "--idle": str(idle),
        "--duration": str(duration),
        "--drain": str(drain),
        "--recordings": str(root / "recordings"),
        "--report": str(report_path),
    }
    command = python("-m", "bench.sim_host", *(part for pair in options.items() for part in pair))
    sim = Child("sim_host", command, log=root / "sim.log", stdout_pipe=True)
    with running(sim):
        ami_port = int(sim.first_json_line()["ami_port"])
        settings = center_setup.write(root, ami_port)
        offset = center_setup.business_hours_offset(time.time())
        argv = python(
            "-m", "bench.daemon_host", "--config", str(settings), "--lag", str(lag_path),
            "--lag-interval", str(LAG_INTERVAL_S), "--clock-offset", f"{offset:.3f}",
        )  # fmt: skip
        daemon, port = start_daemon(settings, root / "daemon.log", argv)
        with running(daemon):
            assert sim.process.stdin is not None and sim.process.stdout is not None
            sim.process.stdin.write(f"127.0.0.1:{port}\n".encode())
            sim.process.stdin.flush()
            lines: queue.Queue[str] = queue.Queue()
            threading.Thread(target=_reader, args=(sim.process.stdout, lines), daemon=True).start()
            phases, usage = _sample(daemon.pid, sim, lines, idle + duration + drain + 120)
            sim.process.wait(timeout=60)
            rows_at_end = _rows(root)
        # The daemon has drained and written its lag samples.
    return {
        "callers": callers,
        "phases": phases,
        "usage": usage,
        "lag": _load_json(lag_path),
        "sim": _load_json(report_path),
        "rows_before_stop": rows_at_end,
        "records": _records(root),
        "clock_offset_s": offset,
        "daemon_log_lines": sum(1 for _ in (root / "daemon.log").open(errors="replace")),
    }


def _sample(
    pid: int, sim: Child, lines: queue.Queue[str], limit: float
) -> tuple[dict[str, float], list[tuple[float, float, int]]]:
    """Sample the daemon's CPU and memory until the simulator reports its end."""
    phases: dict[str, float] = {}
    usage: list[tuple[float, float, int]] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and "end" not in phases:
        usage.append((time.time(), cpu_seconds(pid), rss_bytes(pid)))
        with contextlib.suppress(queue.Empty):
            while True:
                message = json.loads(lines.get_nowait())
                if "phase" in message:
                    phases[message["phase"]] = float(message["t"])
                    progress(f"{message['phase']}")
        if sim.process.poll() is not None and lines.empty():
            break
        time.sleep(SAMPLE_EVERY_S)
    return phases, usage


def _rows(root: Path) -> int:
    database = root / "var" / "ivr-acd.sqlite"
    if not database.exists():
        return 0
    with contextlib.closing(sqlite3.connect(database)) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM calls").fetchone()
    return int(count)


def _records(root: Path) -> dict[str, Any]:
    database = root / "var" / "ivr-acd.sqlite"
    with contextlib.closing(sqlite3.connect(database)) as conn:
        channels = {row[0] for row in conn.execute("SELECT channel FROM calls")}
        outcomes = dict(conn.execute("SELECT outcome, COUNT(*) FROM calls GROUP BY outcome").fetchall())
        intervals = conn.execute("SELECT COUNT(*) FROM agent_intervals").fetchone()[0]
        recordings = conn.execute("SELECT COUNT(*) FROM recordings").fetchone()[0]
    return {
        "calls": len(channels),
        "channels": sorted(channels),
        "outcomes": outcomes,
        "agent_intervals": intervals,
        "recordings": recordings,
    }


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else {}


def _window(usage: list[tuple[float, float, int]], start: float, end: float) -> dict[str, float | None]:
    """CPU share and peak memory of the daemon between two wall-clock times."""
    inside = [u for u in usage if start <= u[0] <= end]
    if len(inside) < 2:
        return {"cpu": None, "rss_peak": None, "rss_end": None}
    first, last = inside[0], inside[-1]
    return {
        "cpu": (last[1] - first[1]) / (last[0] - first[0]),
        "rss_peak": float(max(u[2] for u in inside)),
        "rss_end": float(last[2]),
    }


def _figures(section: Section, details: dict[str, Any], callers: int) -> None:
    phases = details["phases"]
    if not {"idle", "load", "drain"} <= set(phases):
        section.error = f"the simulator did not report its phases: {sorted(phases)}"
        return
    idle_span = (phases["idle"] + 1.0, phases["load"])
    load_span = (phases["load"], phases["drain"])
    usage = details["usage"]
    idle, load = _window(usage, *idle_span), _window(usage, *load_span)
    idle_lag, load_lag = lags_between(details["lag"], *idle_span), lags_between(details["lag"], *load_span)
    load_gc = gc_between(details["lag"], *load_span)
    details["windows"] = {"idle": {**idle, "lag": idle_lag}, "load": {**load, "lag": load_lag, "gc": load_gc}}
    point = f"{callers} callers, {center_setup.AGENTS} agents"
    idle_name = "same daemon, idle"
    for q in ("p50", "p99", "max"):
        f = section.add(Figure(f"event-loop lag {q}", point, load_lag[q], "s", idle_name, idle_lag[q]))
        if q == "p99":
            f.target = "< 20 ms"
            f.met = load_lag[q] < LAG_TARGET_S
    section.add(Figure("daemon CPU (share of one core)", point, load["cpu"], "%", idle_name, idle["cpu"]))
    section.add(
        Figure("daemon resident memory, peak", point, load["rss_peak"], "B", idle_name, idle["rss_peak"])
    )
    sim = details["sim"]
    calls = sim.get("calls", [])
    ended = sim.get("ended_in_window", [])
    recorded = set(details["records"]["channels"])
    covered = sum(1 for channel in ended if channel in recorded)
    section.add(
        Figure(
            "calls ended in the window with a record",
            point,
            float(covered),
            "count",
            "calls the simulator ended",
            float(len(ended)),
            "every one",
        )
    ).met = covered == len(ended)
    live = [n for t, n in sim.get("live_samples", []) if load_span[0] + 10 <= t <= load_span[1]]
    section.add(
        Figure(
            "callers on the line (mean after the ramp)",
            point,
            sum(live) / len(live) if live else None,
            "count",
            "asked",
            float(callers),
        )
    )
    answered = sum(1 for c in calls if c.get("bridged_at") is not None)
    section.notes.append(
        f"{len(calls)} calls placed, {answered} bridged to an agent, {len(ended)} ended by the end of the window;"
        f" {details['records']['calls']} call records written in all (outcomes {details['records']['outcomes']}),"
        f" {details['records']['agent_intervals']} agent intervals, {details['records']['recordings']} recordings"
        " (calls still up when the simulator stopped end as errors or abandons: they are not in the window)."
    )
    section.notes.append(
        f"Loop lag: a task inside the daemon sleeps {LAG_INTERVAL_S * 1000:.0f} ms in a loop and records how"
        f" late each wake-up is ({load_lag['n']} samples under load, {idle_lag['n']} idle)."
        " CPU is the daemon process's (all its threads) per wall-clock second."
    )
    section.notes.append(f"Garbage collections in the daemon under load: {describe_gc(load_gc)}.")
    section.notes.append(
        f"The daemon's clock ran {details['clock_offset_s'] / 3600:.1f} h ahead (a Tuesday at 10:00 in Paris)"
        " so that main.yaml's business hours let callers through to the queues."
    )
