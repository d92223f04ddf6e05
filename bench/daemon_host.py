"""The daemon with a probe: ``python -m bench.daemon_host --config FILE [options]``.

It runs :class:`ivr_acd.daemon.Daemon` exactly as ``ivr-acd run`` does (settings, logging,
start, serve until SIGTERM, drain), plus what a benchmark needs to see inside the process:

* ``--lag FILE``: an event-loop lag sampler, a task that sleeps ``--lag-interval`` seconds in a
  loop and records how late each wake-up was (``loop.time()`` after the sleep minus the time it
  was due). Every callback, task step and I/O handler the loop runs before the sampler's timer
  delays it, so the lag is what a FastAGI reply or an AMI event waits before the daemon runs.
  Samples are written as JSON (``{"t": [wall clock…], "lag": [seconds…], "gc": [pauses…]}``)
  when the daemon stops, with every garbage collection's pause (``gc.callbacks``).
* ``--clock-offset S``: the daemon's clock (``Daemon(clock=…)``) runs S seconds ahead of the
  wall clock, so business-hours steps see the hour the benchmark wants.
* ``--profile FILE``: cProfile of the event-loop thread, written when the daemon stops.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import sys
import time
from pathlib import Path

from bench.machine import raise_fd_limit
from configlang.diagnostics import Diagnostics
from ivr_acd import logs
from ivr_acd.daemon import Daemon
from ivr_acd.daemon import serve as serve_daemon
from ivr_acd.settings import load_settings


class GcProbe:
    """Times every garbage collection (``gc.callbacks``): when, which generation, how long."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, int, float, int]] = []
        """(wall clock at the end, generation, seconds, objects collected)."""
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(
                (time.time(), info["generation"], time.perf_counter() - self._started, info["collected"])
            )


class LagProbe:
    """Samples event-loop lag: how late a timer of ``interval`` seconds fires."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.times: list[float] = []
        self.lags: list[float] = []

    async def run(self) -> None:
        """Sample until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, loop.time() - due))
            self.times.append(time.time())

    def dump(self, path: Path, gc_probe: GcProbe) -> None:
        """Write the samples (and the collector's pauses) as JSON."""
        path.write_text(
            json.dumps({"interval": self.interval, "t": self.times, "lag": self.lags, "gc": gc_probe.pauses})
        )


async def serve(args: argparse.Namespace) -> int:
    """Start the daemon, serve until signalled, stop; the exit code."""
    diags = Diagnostics()
    settings = load_settings(args.config, diags)
    for diagnostic in diags:
        print(diagnostic.format(), file=sys.stderr)
    if settings is None:
        return 2
    logs.setup(settings.log_level)
    offset = float(args.clock_offset)
    daemon = Daemon(settings, clock=(lambda: time.time() + offset) if offset else time.time)
    probe = LagProbe(args.lag_interval) if args.lag else None
    gc_probe = GcProbe()
    if probe is not None:
        gc.callbacks.append(gc_probe)
    sampler = asyncio.create_task(probe.run(), name="bench-lag-probe") if probe else None
    try:
        return await serve_daemon(daemon)
    finally:
        if sampler is not None:
            sampler.cancel()
            await asyncio.gather(sampler, return_exceptions=True)
        if probe is not None:
            probe.dump(args.lag, gc_probe)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.daemon_host", description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--lag", type=Path, help="write event-loop lag samples here")
    parser.add_argument("--lag-interval", type=float, default=0.01)
    parser.add_argument("--clock-offset", type=float, default=0.0)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the loop thread here")
    args = parser.parse_args(argv)
    raise_fd_limit()
    if args.profile is None:
        return asyncio.run(serve(args))
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        return asyncio.run(serve(args))
    finally:
        profiler.disable()
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    sys.exit(main())
