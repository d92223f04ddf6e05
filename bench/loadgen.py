"""The load generator: plays Asterisk towards a FastAGI server (or a classic AGI script).

Run as its own process (``python -m bench.loadgen JOB_JSON``) so that the system under test's
CPU and memory are its own; prints one JSON object (the results) on standard output and
progress on standard error. A job is a target and a list of phases, run in order:

``probe``      one call; its command lines (the sequence the floor replays).
``warmup``     N callers for a while, replies at once, nothing recorded.
``hold``       N callers each stop at command ``at`` until all N are held: the server then holds
               N sessions at once and its resident memory is sampled; the calls are then dropped.
``saturated``  N callers in a closed loop (a new call as soon as one ends), replies at once:
               the server's capacity (calls/s, CPU per call) and turnaround at saturation.
``paced``      N callers in a closed loop who wait a think time before each reply, so that the
               command rate is ``load`` × the saturated rate (or a given ``think``): turnaround
               with N sessions open at a known utilisation.

Calls still running when a measurement ends are dropped (connection reset), and the phase
waits until the server's CPU use settles before the next one starts.

For the ``pyst2`` target every call is a new process running ``bench/pyst2_script.py``,
spoken to over its standard input and output exactly as Asterisk runs a classic AGI script.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.agi_caller import CallerProtocol, Hold, Tally, environment_block, reply_for, split_line
from bench.machine import cpu_seconds, raise_fd_limit, rss_bytes
from bench.stats import quantiles

CONNECT_CONCURRENCY = 256
"""Connections being opened at once: a burst of 5,000 SYNs would overflow the accept backlog."""
PYST2_SCRIPT = Path(__file__).with_name("pyst2_script.py")
SETTLED_UTILISATION = 0.10
"""The server counts as settled once it uses less than this fraction of a core."""


def log(message: str) -> None:
    """Progress, on standard error."""
    print(f"      loadgen: {message}", file=sys.stderr, flush=True)


@dataclass
class Target:
    """Where calls go and who is measured."""

    kind: str  # "socket" or "pyst2"
    host: str = "127.0.0.1"
    port: int = 0
    script: str = "bench"
    keys: str = ""
    server_pid: int = 0
    commands_per_call: int = 0
    """From the probe; turns a command rate into a call rate (0: count completed calls)."""


class Runner:
    """Runs callers against one target and measures windows."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.tally = Tally()
        self.think: Callable[[], float] | None = None
        self.stopping = False
        self.live: set[CallerProtocol] = set()
        self._processes: set[asyncio.subprocess.Process] = set()
        self._seq = 0
        self._connects = asyncio.Semaphore(CONNECT_CONCURRENCY)

    # ------------------------------------------------------------ one call

    async def call(self, hold: Hold | None = None, tally: Tally | None = None) -> bool:
        """One call to the end; True if it reached HANGUP and was then closed by the server."""
        self._seq += 1
        tally = tally or self.tally
        if self.target.kind == "pyst2":
            return await self._pyst2_call(self._seq, tally)
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        env = environment_block(self._seq, self.target.script, self.target.port)
        think = self._think_now if self.think is not None else None

        def protocol() -> CallerProtocol:
            return CallerProtocol(env, self.target.keys, tally, done, think=think, hold=hold, live=self.live)

        try:
            async with self._connects:
                await loop.create_connection(protocol, self.target.host, self.target.port)
        except OSError as exc:
            tally.failed += 1
            log(f"connect failed: {exc}")
            await asyncio.sleep(0.05)
            return False
        return await done

    def _think_now(self) -> float:
        think = self.think
        return think() if think is not None else 0.0

    async def _pyst2_call(self, seq: int, tally: Tally) -> bool:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(PYST2_SCRIPT),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,  # pyst2 traces every line there; Asterisk logs it
        )
        self._processes.add(process)
        assert process.stdin is not None and process.stdout is not None
        # Classic AGI: the same environment, without agi_network, on standard input.
        process.stdin.write(environment_block(seq, "bench", 0).replace(b"agi_network: yes\n", b""))
        keys = collections.deque(self.target.keys)
        sent_at: float | None = None
        hung_up = False
        try:
            while line := await process.stdout.readline():
                now = time.perf_counter()
                if sent_at is not None and tally.recording:
                    tally.turnaround.append(now - sent_at)
                tally.commands += 1
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if tally.transcript is not None:
                    tally.transcript.append(text)
                argv = split_line(text)
                hung_up = hung_up or (bool(argv) and argv[0].upper() == "HANGUP")
                process.stdin.write(reply_for(argv, keys))
                await process.stdin.drain()
                sent_at = time.perf_counter()
        except ConnectionError:
            pass
        process.stdin.close()
        code = await process.wait()
        self._processes.discard(process)
        ok = hung_up and code == 0
        if ok:
            tally.completed += 1
        else:
            tally.failed += 1
        return ok

    def drop_calls(self) -> None:
        """Abort every call in progress."""
        for call in list(self.live):
            call.abort()
        for process in list(self._processes):
            if process.returncode is None:
                process.kill()

    # ------------------------------------------------------------ phases

    async def closed_loop(
        self, count: int, spread: float, measure: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """Run ``count`` closed-loop callers (first calls spread over ``spread`` s) during
        ``measure``; then drop the calls in progress and wait for the server to settle."""
        self.stopping = False
        rng = random.Random(count)

        async def caller(first_delay: float) -> None:
            await asyncio.sleep(first_delay)
            while not self.stopping:
                await self.call()

        tasks = [asyncio.create_task(caller(rng.uniform(0, spread))) for _ in range(count)]
        try:
            result = await measure()
        finally:
            self.stopping = True
            self.think = None
            self.drop_calls()
            await asyncio.gather(*tasks, return_exceptions=True)
        result["settle_s"] = await self.settle()
        return result

    def _server_cpu(self) -> float:
        if self.target.kind == "pyst2":
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            return usage.ru_utime + usage.ru_stime
        return cpu_seconds(self.target.server_pid)

    async def settle(self, within: float = 30.0) -> float:
        """Wait until the server is (nearly) idle; the seconds it took."""
        if not self.target.server_pid:
            return 0.0
        start = time.perf_counter()
        while time.perf_counter() - start < within:
            before = self._server_cpu()
            await asyncio.sleep(0.25)
            if self._server_cpu() - before < 0.25 * SETTLED_UTILISATION:
                break
        return time.perf_counter() - start

    async def window(self, warmup: float, duration: float) -> dict[str, Any]:
        """Measure ``duration`` s after ``warmup`` s: rates, CPU, turnaround, memory."""
        await asyncio.sleep(warmup)
        tally = self.tally
        tally.turnaround = []
        tally.recording = True
        calls0, failed0, commands0 = tally.completed, tally.failed, tally.commands
        cpu0, own0, start = self._server_cpu(), time.process_time(), time.perf_counter()
        wall_start = time.time()
        rss_peak = 0
        while (elapsed := time.perf_counter() - start) < duration:
            if self.target.server_pid:
                rss_peak = max(rss_peak, rss_bytes(self.target.server_pid))
            await asyncio.sleep(min(0.25, duration - elapsed))
        tally.recording = False
        elapsed = time.perf_counter() - start
        completed = tally.completed - calls0
        commands = tally.commands - commands0
        per_call = self.target.commands_per_call
        calls = commands / per_call if per_call else float(completed)
        cpu = self._server_cpu() - cpu0
        result: dict[str, Any] = {
            "seconds": elapsed,
            "wall_start": wall_start,
            "wall_end": wall_start + elapsed,
            "completed_calls": completed,
            "failed_calls": tally.failed - failed0,
            "commands": commands,
            "calls_per_s": calls / elapsed,
            "commands_per_s": commands / elapsed,
            "server_cpu_s": cpu,
            "server_cpu_per_call_s": cpu / calls if calls else None,
            "server_cpu_utilisation": cpu / elapsed,
            "loadgen_cpu_utilisation": (time.process_time() - own0) / elapsed,
            "turnaround_s": quantiles(tally.turnaround),
            "server_rss_peak": rss_peak,
            "open_sessions_at_end": len(self.live) or len(self._processes),
        }
        if self.target.kind == "pyst2":
            # ru_maxrss of reaped children: the largest script process (KiB on Linux).
            result["process_rss_peak"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        return result

    async def hold(self, sessions: int, at: int, within: float) -> dict[str, Any]:
        """Hold ``sessions`` calls at command ``at`` at once and sample the server's memory."""
        pid = self.target.server_pid
        rss_before = rss_bytes(pid)
        hold = Hold(at)
        tasks = [asyncio.create_task(self.call(hold)) for _ in range(sessions)]
        start = time.perf_counter()
        while hold.count < sessions and time.perf_counter() - start < within:
            if all(task.done() for task in tasks):
                break
            await asyncio.sleep(0.05)
        held = hold.count
        ramp = time.perf_counter() - start
        await self.settle(5.0)  # the server's own follow-up work (records, logs) is done
        rss_held = rss_bytes(pid)
        hold.drop()
        self.drop_calls()
        await asyncio.gather(*tasks)
        log(f"held {held}/{sessions} sessions at once ({ramp:.1f} s to open them)")
        return {
            "sessions": sessions,
            "held": held,
            "ramp_s": ramp,
            "rss_before": rss_before,
            "rss_held": rss_held,
            "rss_per_session": (rss_held - rss_before) / held if held else None,
            "settle_s": await self.settle(),
        }

    async def probe(self) -> dict[str, Any]:
        """One call; its command lines."""
        tally = Tally(transcript=[])
        ok = await self.call(tally=tally)
        return {"ok": ok, "commands": tally.transcript}


async def run_phase(runner: Runner, phase: dict[str, Any], earlier: dict[str, Any]) -> dict[str, Any]:
    """Run one phase description (see the module docstring)."""
    kind = phase["kind"]
    sessions = int(phase.get("sessions", 1))
    if kind == "probe":
        return await runner.probe()
    if kind == "hold":
        return await runner.hold(sessions, int(phase["at"]), float(phase.get("within", 120)))
    if kind not in ("warmup", "saturated", "paced"):
        raise ValueError(f"unknown phase kind {kind!r}")
    think_mean = 0.0
    spread = min(1.0, sessions / 2000)
    runner.think = None
    if kind == "paced":
        think_mean = float(phase.get("think") or 0.0)
        if not think_mean:
            rate = earlier[phase.get("of", "saturated")]["commands_per_s"]
            think_mean = sessions / (float(phase["load"]) * rate)
        spread = think_mean
        rng = random.Random(sessions)
        # Uniform in [0.5, 1.5] × the mean, so that callers do not move in lockstep.
        runner.think = lambda: think_mean * (0.5 + rng.random())
    warmup = float(phase.get("warmup", 0.0)) + (spread if kind == "paced" else 0.0)
    duration = float(phase.get("duration", 1.0))
    result = await runner.closed_loop(sessions, spread, lambda: runner.window(warmup, duration))
    result["sessions"] = sessions
    result["think_mean_s"] = think_mean
    return result


async def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run the phases of ``job`` in order; their results by phase name."""
    runner = Runner(Target(**job["target"]))
    results: dict[str, Any] = {}
    for phase in job["phases"]:
        name = phase.get("name", phase["kind"])
        started = time.perf_counter()
        results[name] = await run_phase(runner, phase, results)
        log(f"{name} N={phase.get('sessions', 1)} done in {time.perf_counter() - started:.1f} s")
    return results


def main(argv: list[str]) -> int:
    """``python -m bench.loadgen JOB_JSON``."""
    raise_fd_limit()
    results = asyncio.run(run_job(json.loads(argv[0])))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
