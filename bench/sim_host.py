"""The simulator for B4, as its own process: ``python -m bench.sim_host --scenario FILE …``.

It runs :class:`asterisk_sim.Simulator` as ``python -m asterisk_sim`` does, with two changes a
port-0 benchmark needs:

* the FastAGI target is read from standard input after the AMI port has been printed (the
  daemon needs the simulator's AMI port to start, the simulator the daemon's FastAGI port to
  place calls: both are chosen by the kernel);
* instead of running the scenario's Poisson streams to their end it keeps ``--callers`` calls on
  the line for ``--duration`` real seconds, drawing each new caller from the scenario's streams
  (their rates are the weights of the mix); devices come from the scenario as usual.

Protocol on standard output (one JSON object per line): ``{"ami_port": …}``, then
``{"phase": "idle"|"load"|"drain"|"end", "t": wall clock}`` as phases begin; the report (every
call, live-call samples, stats) goes to ``--report``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from asterisk_sim import Simulator, SimulatorConfig
from asterisk_sim.scenario_file import Scenario, load, make_caller
from bench.machine import raise_fd_limit


def say(message: dict[str, Any]) -> None:
    """One protocol line."""
    print(json.dumps(message), flush=True)


async def keep_callers(
    sim: Simulator, scenario: Scenario, callers: int, duration: float, samples: list[tuple[float, int]]
) -> None:
    """Keep ``callers`` calls on the line for ``duration`` s (new ones ramp in over 10 s)."""
    rng = random.Random(scenario.seed)
    weights = [stream.rate for stream in scenario.streams]
    templates = [stream.caller for stream in scenario.streams]
    end = time.monotonic() + duration

    async def line(first: float) -> None:
        await asyncio.sleep(first)
        while time.monotonic() < end:
            template = rng.choices(templates, weights)[0]
            call = sim.place_call(make_caller(template, rng))
            remaining = end - time.monotonic()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(call.wait_ended(), remaining)
            except TimeoutError:
                break
            await asyncio.sleep(rng.uniform(0.1, 1.0))  # the next caller on this line

    async def sample() -> None:
        while True:
            samples.append((time.time(), sum(1 for call in sim.calls if call.ended_at is None)))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    ramp = min(10.0, duration / 4)
    await asyncio.gather(*(line(rng.uniform(0, ramp)) for _ in range(callers)))
    sampler.cancel()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Serve AMI, wait for the FastAGI target, idle, load, drain; the report."""
    scenario = load(args.scenario)
    config = SimulatorConfig(
        ami_users={"ivr-acd": args.ami_secret},
        speed=scenario.speed or 1.0,
        recordings_dir=args.recordings,
    )
    samples: list[tuple[float, int]] = []
    phases: dict[str, float] = {}
    async with Simulator(config) as sim:
        for name, behaviour in scenario.devices:
            sim.add_device(name, behaviour)
        say({"ami_port": sim.ami_port})
        line = await asyncio.to_thread(sys.stdin.readline)
        host, _, port = line.strip().rpartition(":")
        sim.set_agi_target(host or "127.0.0.1", int(port))
        ended: list[str] = []
        for phase, seconds in (("idle", args.idle), ("load", args.duration), ("drain", args.drain)):
            if phase == "drain":  # calls that ended while the load ran
                ended = [call.channel for call in sim.calls if call.ended_at is not None]
            phases[phase] = time.time()
            say({"phase": phase, "t": phases[phase]})
            if phase == "load":
                await keep_callers(sim, scenario, args.callers, seconds, samples)
            else:
                await asyncio.sleep(seconds)
        phases["end"] = time.time()
        report = {
            "phases": phases,
            "live_samples": samples,
            "ended_in_window": ended,
            "stats": sim.stats.as_dict(),
            "calls": [call.as_dict() for call in sim.calls],
            "device_calls": len(sim.device_calls),
        }
    say({"phase": "end", "t": phases["end"]})
    return report


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.sim_host", description=__doc__)
    parser.add_argument("--scenario", type=Path, required=True)
    parser.add_argument("--ami-secret", required=True)
    parser.add_argument("--callers", type=int, default=500)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--drain", type=float, default=3.0)
    parser.add_argument("--recordings", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)
    raise_fd_limit()
    report = asyncio.run(run(args))
    args.report.write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
