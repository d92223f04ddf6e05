"""End-to-end harness: the real daemon and the simulator, over real TCP on loopback.

A test writes its dialplans, queues and agents as YAML text, starts both with
:func:`running_center`, places simulated calls, and reads what the daemon wrote (database,
queue_log) and what the simulated callers experienced. Simulated time runs ``speed`` times
real time (audio, rings, talk); the daemon's own timers (wrap-up, max wait, relaxation) are
real seconds, so tests give them small values.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import textwrap
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from acd.records import CallRecord
from asterisk_sim import DeviceBehaviour, Simulator, SimulatorConfig
from configlang.diagnostics import Diagnostics
from ivr_acd.acd_engine import AcdEngine
from ivr_acd.daemon import Daemon
from ivr_acd.settings import Settings, load_settings
from ivr_acd.storage.rows import CALL_SELECT, call_from_row

SECRET = "e2e-ami-secret-123"
SAFETY = 20.0
"""Real seconds any wait may take before a test fails instead of hanging."""


@dataclass
class Center:
    """A running simulator + daemon pair."""

    sim: Simulator
    daemon: Daemon
    root: Path

    @property
    def engine(self) -> AcdEngine:
        """The daemon's ACD engine."""
        assert self.daemon.engine is not None
        return self.daemon.engine

    async def settle(self, condition: Callable[[], bool], within: float = SAFETY) -> None:
        """Wait until ``condition()`` holds (polling), or fail."""
        async with asyncio.timeout(within):
            while not condition():
                await asyncio.sleep(0.02)

    async def records(self, count: int, within: float = SAFETY) -> list[CallRecord]:
        """Wait until ``count`` call records are committed; return them by start time."""
        async with asyncio.timeout(within):
            while True:
                await self.engine.idle()
                found = self.read_records()
                if len(found) >= count:
                    return found
                await asyncio.sleep(0.05)

    def read_records(self) -> list[CallRecord]:
        """Call records committed so far."""
        path = self.daemon.settings.database
        if not path.exists():
            return []
        with contextlib.closing(sqlite3.connect(path)) as conn:
            rows = conn.execute(CALL_SELECT + " ORDER BY started_at").fetchall()
        return [call_from_row(row) for row in rows]

    def intervals(self) -> list[tuple[str, str, str]]:
        """(agent, state, reason) of every agent interval committed so far."""
        with contextlib.closing(sqlite3.connect(self.daemon.settings.database)) as conn:
            return conn.execute("SELECT agent_id, state, reason FROM agent_intervals ORDER BY id").fetchall()

    def queue_log(self) -> list[list[str]]:
        """queue_log lines split into fields."""
        path = self.daemon.settings.queue_log
        assert path is not None
        return [line.split("|") for line in path.read_text().splitlines()]

    def events(self, name: str) -> list[list[str]]:
        """queue_log lines of one event name."""
        return [fields for fields in self.queue_log() if fields[4] == name]


def write_config(
    root: Path,
    *,
    dialplans: Mapping[str, str],
    queues: str,
    agents: str,
    ami_port: int,
    extra_settings: str = "",
) -> Settings:
    """Write the YAML files under ``root`` and load the settings like ``ivr-acd run`` would."""
    (root / "dialplans").mkdir(parents=True, exist_ok=True)
    (root / "agents").mkdir(exist_ok=True)
    for name, text in dialplans.items():
        (root / "dialplans" / f"{name}.yaml").write_text(textwrap.dedent(text))
    (root / "queues.yaml").write_text(textwrap.dedent(queues))
    (root / "agents" / "team.yaml").write_text(textwrap.dedent(agents))
    settings_text = textwrap.dedent(
        f"""\
        fastagi: {{port: 0}}
        ami: {{port: {ami_port}, username: ivr-acd, secret: {SECRET}, auth: md5, ping_interval: 5}}
        paths:
          dialplans: dialplans
          agents: agents
          queues: queues.yaml
          database: var/db.sqlite
          queue_log: var/queue_log
          recordings: {root / "recordings"}
          pid_file: var/daemon.pid
        dialplans: {{default: main}}
        timezone: UTC
        drain_timeout: 2
        """
    ) + textwrap.dedent(extra_settings)
    if "supervisor:" not in settings_text:
        settings_text += "supervisor: {enabled: false}\n"
    (root / "ivr-acd.yaml").write_text(settings_text)
    diags = Diagnostics()
    settings = load_settings(root / "ivr-acd.yaml", diags)
    assert settings is not None, [d.format() for d in diags]
    return settings


@contextlib.asynccontextmanager
async def running_center(
    root: Path,
    *,
    dialplans: Mapping[str, str],
    queues: str,
    agents: str,
    devices: Mapping[str, DeviceBehaviour] | None = None,
    speed: float = 0.05,
    extra_settings: str = "",
    daemon_factory: Callable[[Settings], Daemon] = Daemon,
) -> AsyncIterator[Center]:
    """Start the simulator, then the daemon pointed at it; stop both afterwards."""
    sim = Simulator(
        SimulatorConfig(
            speed=speed,
            ami_users={"ivr-acd": SECRET},
            recordings_dir=root / "recordings",
            devices=dict(devices or {}),
        )
    )
    await sim.start()
    daemon: Daemon | None = None
    try:
        settings = write_config(
            root,
            dialplans=dialplans,
            queues=queues,
            agents=agents,
            ami_port=sim.ami_port,
            extra_settings=extra_settings,
        )
        daemon = daemon_factory(settings)
        await daemon.start()
        assert daemon.fastagi is not None and daemon.ami is not None
        sim.set_agi_target("127.0.0.1", daemon.fastagi.port)
        await daemon.ami.wait_connected(SAFETY)
        await asyncio.sleep(0.05)  # the resync after login
        yield Center(sim, daemon, root)
    finally:
        if daemon is not None:
            await daemon.stop(drain_timeout=1)
        await sim.stop()
