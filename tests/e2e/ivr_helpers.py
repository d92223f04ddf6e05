"""Helpers for the IVR step tests: one running centre per test, calls and what they left behind.

Every test starts the real daemon and the simulator (:func:`tests.e2e.harness.running_center`)
with its own dialplans, places simulated callers and then compares two sides of each call:
what the caller experienced (sounds heard, keys pressed, who hung up) and what the daemon
wrote (the call record in SQLite: outcome, path, variables, survey score; the recordings
table).
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from acd.records import CallRecord
from asterisk_sim import Caller, DeviceBehaviour
from asterisk_sim import CallRecord as SimCall
from asterisk_sim.dialplan.parser import parse
from ivr_acd.daemon import Daemon
from ivr_acd.settings import Settings
from tests.e2e.harness import SAFETY, Center, running_center

SPEED = 0.02
"""Real seconds per simulated second: a 2 s prompt plays in 40 ms."""

QUEUES = """\
queues:
  support: {ring_timeout: 5, wrap_up: 0.2, segment: 1, announce: {frequency: 0}}
  empty: {when_no_agents: leave, announce: {frequency: 0}}
"""
NO_AGENTS = "agents: []\n"


@dataclass(frozen=True)
class Ended:
    """One finished call: the caller's side and the daemon's record of it."""

    call: SimCall
    record: CallRecord

    @property
    def heard(self) -> list[str]:
        """Sounds the caller heard, in order."""
        return self.call.heard_sounds

    @property
    def steps(self) -> list[str]:
        """Steps entered, in order, as the call record lists them."""
        return [event.step for event in self.record.ivr_path if event.kind == "step"]

    def path(self, *kinds: str) -> list[tuple[str, str, str]]:
        """(kind, step, detail) of the path events of these kinds (every kind when none given)."""
        return [
            (event.kind, event.step, event.detail)
            for event in self.record.ivr_path
            if not kinds or event.kind in kinds
        ]


@contextlib.asynccontextmanager
async def ivr_center(
    root: Path,
    dialplans: Mapping[str, str],
    *,
    devices: Mapping[str, DeviceBehaviour] | None = None,
    seed: int = 7,
    speed: float = SPEED,
    asterisk_dialplan: str = "",
) -> AsyncIterator[Center]:
    """A running centre for IVR tests.

    The split steps draw from a seeded generator, and ``asterisk_dialplan`` adds contexts to
    the simulated Asterisk's dialplan.
    """

    def daemon(settings: Settings) -> Daemon:
        return Daemon(settings, rng=random.Random(seed))

    async with running_center(
        root,
        dialplans=dialplans,
        queues=QUEUES,
        agents=NO_AGENTS,
        devices=devices,
        speed=speed,
        daemon_factory=daemon,
    ) as center:
        if asterisk_dialplan:
            center.sim.core.dialplan.merge(parse(asterisk_dialplan, source="<test>"))
        yield center


async def finished(center: Center, call: SimCall) -> Ended:
    """Wait until ``call`` ended and its call record is committed."""
    await call.wait_ended(SAFETY)
    await center.settle(lambda: any(r.uniqueid == call.uniqueid for r in center.read_records()))
    (record,) = [r for r in center.read_records() if r.uniqueid == call.uniqueid]
    return Ended(call, record)


async def one_call(center: Center, caller: Caller) -> Ended:
    """Place one call and wait for both sides to be done with it."""
    return await finished(center, center.sim.place_call(caller))


def recordings(center: Center) -> list[tuple[str, str, str, str, float]]:
    """(call_id, folder, path, tag, seconds) of every row of the recordings table."""
    with contextlib.closing(sqlite3.connect(center.daemon.settings.database)) as conn:
        return conn.execute(
            "SELECT call_id, folder, path, tag, seconds FROM recordings ORDER BY id"
        ).fetchall()


def digits(text: str) -> list[str]:
    """The files SAY DIGITS plays for ``text``."""
    return [f"digits/{char}" for char in text]
