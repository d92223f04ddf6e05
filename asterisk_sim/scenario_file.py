"""The YAML scenario format (``python -m asterisk_sim --scenario FILE.yaml``).

::

    speed: 0.05                # optional; the command line wins
    devices:                   # agents' phones and customers' phones
      - match: PJSIP/10XX
        mode: answer           # answer | noanswer | busy | congestion | unreachable
        answer_after: 2
        talk: 60
      - match: PJSIP/_555XXXX@trunk
        mode: answer
        answer_after: 4
    traffic:                   # Poisson arrivals
      - rate: 0.5              # callers per simulated second
        count: 100             # how many calls this stream places
        start: 0               # simulated seconds after start
        caller:
          number: 555XXXX      # X: a random digit per call
          dnis: "5000"
          patience: 120
          talk: 90
          presses: [{digits: "1", after: 1.5}]
    calls:                     # explicit calls
      - at: 3
        caller: {number: "5551234", name: Alice, dnis: "5000", presses: ["2"]}

Unknown keys are errors, so a typo does not silently change a benchmark.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from asterisk_sim.devices import DeviceBehaviour, Mode
from asterisk_sim.scenario import Caller, Press
from asterisk_sim.simulator import Simulator


class ScenarioError(ValueError):
    """A scenario file that cannot be used."""


@dataclass(frozen=True)
class Stream:
    """Poisson arrivals of similar callers."""

    rate: float
    count: int
    start: float
    caller: Mapping[str, Any]


@dataclass(frozen=True)
class PlannedCall:
    """One explicit call."""

    at: float
    caller: Mapping[str, Any]


@dataclass
class Scenario:
    """A parsed scenario."""

    speed: float | None = None
    devices: list[tuple[str, DeviceBehaviour]] = field(default_factory=list)
    streams: list[Stream] = field(default_factory=list)
    calls: list[PlannedCall] = field(default_factory=list)
    seed: int | None = None


def _check_keys(where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}")


def load(path: Path) -> Scenario:
    """Read a scenario file."""
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, str(path))


def parse(data: Any, where: str = "<scenario>") -> Scenario:
    """Validate a scenario already read from YAML."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: a scenario is a mapping")
    _check_keys(where, data, {"speed", "devices", "traffic", "calls", "seed"})
    scenario = Scenario(speed=data.get("speed"), seed=data.get("seed"))
    for index, device in enumerate(data.get("devices") or []):
        here = f"{where}: devices[{index}]"
        _check_keys(here, device, {"match", "mode", "answer_after", "talk", "context"})
        if "match" not in device:
            raise ScenarioError(f"{here}: 'match' is required")
        try:
            behaviour = DeviceBehaviour(
                Mode(device.get("mode", "answer")),
                float(device.get("answer_after", 1.0)),
                None if device.get("talk") is None else float(device["talk"]),
                str(device.get("context", "default")),
            )
        except ValueError as exc:
            raise ScenarioError(f"{here}: {exc}") from None
        scenario.devices.append((str(device["match"]), behaviour))
    for index, stream in enumerate(data.get("traffic") or []):
        here = f"{where}: traffic[{index}]"
        _check_keys(here, stream, {"rate", "count", "start", "caller"})
        rate = float(stream.get("rate", 0))
        if rate <= 0:
            raise ScenarioError(f"{here}: 'rate' must be positive")
        caller = stream.get("caller") or {}
        make_caller(caller, random.Random(0), here)
        scenario.streams.append(
            Stream(rate, int(stream.get("count", 1)), float(stream.get("start", 0)), caller)
        )
    for index, call in enumerate(data.get("calls") or []):
        here = f"{where}: calls[{index}]"
        _check_keys(here, call, {"at", "caller"})
        caller = call.get("caller") or {}
        make_caller(caller, random.Random(0), here)
        scenario.calls.append(PlannedCall(float(call.get("at", 0)), caller))
    return scenario


_CALLER_KEYS = {"number", "name", "dnis", "presses", "patience", "talk", "context", "speech"}


def make_caller(spec: Mapping[str, Any], rng: random.Random, where: str = "caller") -> Caller:
    """A :class:`Caller` from its YAML form; ``X`` in the number becomes a random digit."""
    _check_keys(where, spec, _CALLER_KEYS)
    number = "".join(str(rng.randrange(10)) if ch == "X" else ch for ch in str(spec.get("number", "5550100")))
    presses: list[Press | str] = []
    for press in spec.get("presses") or []:
        if isinstance(press, str | int):
            presses.append(str(press))
        elif isinstance(press, dict):
            _check_keys(f"{where}: press", press, {"digits", "after", "at", "gap", "duration"})
            presses.append(
                Press(
                    str(press["digits"]),
                    float(press.get("after", 0.5)),
                    None if press.get("at") is None else float(press["at"]),
                    float(press.get("gap", 0.25)),
                    float(press.get("duration", 0.1)),
                )
            )
        else:
            raise ScenarioError(f"{where}: a press is a string or a mapping")
    return Caller(
        number=number,
        name=str(spec.get("name", "")),
        dnis=str(spec.get("dnis", "5000")),
        presses=tuple(presses),
        patience=None if spec.get("patience") is None else float(spec["patience"]),
        talk=None if spec.get("talk") is None else float(spec["talk"]),
        context=str(spec.get("context", "ivr-acd-inbound")),
        speech=float(spec.get("speech", 2.0)),
    )


async def run(sim: Simulator, scenario: Scenario) -> None:
    """Register the devices, place every call at its time, return when all calls ended."""
    for name, behaviour in scenario.devices:
        sim.add_device(name, behaviour)
    rng = random.Random(scenario.seed)
    schedule: list[tuple[float, Caller]] = [(c.at, make_caller(c.caller, rng)) for c in scenario.calls]
    for stream in scenario.streams:
        at = stream.start
        for _ in range(stream.count):
            at += rng.expovariate(stream.rate)
            schedule.append((at, make_caller(stream.caller, rng)))
    schedule.sort(key=lambda item: item[0])
    for at, caller in schedule:
        delay = at - sim.now()
        if delay > 0:
            await sim.sleep(delay)
        sim.place_call(caller)
    await sim.wait_calls_ended()
