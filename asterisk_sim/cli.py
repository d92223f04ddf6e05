"""``python -m asterisk_sim``: the simulator as a separate process.

The benchmarks run it apart from the daemon so the daemon's CPU is measured alone. It
listens for AMI, sends FastAGI sessions to ``--agi``, runs ``--scenario`` (then exits,
printing a JSON report) or, without one, serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from asterisk_sim import scenario_file
from asterisk_sim.simulator import SHIPPED_DIALPLAN, Simulator, SimulatorConfig


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host or "127.0.0.1", int(port)


def _user(text: str) -> tuple[str, str]:
    name, sep, secret = text.partition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME:SECRET, got {text!r}")
    return name, secret


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m asterisk_sim", description=__doc__)
    parser.add_argument("--ami-host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--ami-port", type=int, default=5038, help="AMI port (0 picks a free one)")
    parser.add_argument(
        "--ami-user",
        type=_user,
        action="append",
        default=[],
        metavar="NAME:SECRET",
        help="AMI user (repeatable)",
    )
    parser.add_argument("--agi", type=_host_port, metavar="HOST:PORT", help="where FastAGI sessions connect")
    parser.add_argument(
        "--dialplan",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="extensions.conf file (repeatable)",
    )
    parser.add_argument("--speed", type=float, help="real seconds per simulated second (default 1.0)")
    parser.add_argument("--scenario", type=Path, metavar="FILE.yaml", help="traffic and devices to simulate")
    parser.add_argument("--recordings", type=Path, help="where RECORD FILE writes relative paths")
    parser.add_argument("--report", type=Path, help="write the JSON report here instead of stdout")
    parser.add_argument("--log-level", default="WARNING")
    return parser


async def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the simulator as the arguments say; returns the report."""
    scenario = scenario_file.load(args.scenario) if args.scenario else None
    speed = args.speed if args.speed is not None else (scenario.speed if scenario and scenario.speed else 1.0)
    config = SimulatorConfig(
        dialplan_files=tuple(args.dialplan) or (SHIPPED_DIALPLAN,),
        host=args.ami_host,
        ami_port=args.ami_port,
        agi_target=args.agi,
        speed=speed,
    )
    if args.ami_user:
        config.ami_users = dict(args.ami_user)
    if args.recordings:
        config.recordings_dir = args.recordings
    async with Simulator(config) as sim:
        print(json.dumps({"ami_port": sim.ami_port, "speed": speed}), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        if scenario is not None:
            work = loop.create_task(scenario_file.run(sim, scenario))
            stopper = loop.create_task(stop.wait())
            await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if not work.done():
                work.cancel()
            await asyncio.gather(work, stopper, return_exceptions=True)
            if work.done() and not work.cancelled():
                work.result()  # re-raises what went wrong in the scenario
        else:
            await stop.wait()
        return {
            "simulated_seconds": round(sim.now(), 3),
            "stats": sim.stats.as_dict(),
            "calls": [call.as_dict() for call in sim.calls],
            "device_calls": [call.as_dict() for call in sim.device_calls],
        }


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        report = asyncio.run(run(args))
    except scenario_file.ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(report, indent=2)
    if args.report:
        args.report.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0
