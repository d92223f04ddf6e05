"""The daemon as a real process (``python -m ivr_acd.cli run``): restart and crash.

* Callbacks survive a restart: the daemon process is stopped (SIGTERM) and started again;
  the pending request is reloaded and dialled, keeping its original place.
* No acknowledged record is lost when the daemon is killed (SIGKILL) under traffic: every
  call the writer reported committed is in the database afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from acd.records import CallbackStatus
from asterisk_sim import Caller, DeviceBehaviour, Simulator, SimulatorConfig
from ivr_acd.storage.rows import CALLBACK_SELECT, callback_from_row
from tests.e2e.harness import SECRET, write_config

ROOT = Path(__file__).resolve().parents[2]
STARTED = re.compile(r"daemon started fastagi=[\d.]+:(\d+)")
COMMITTED = re.compile(r"storage committed records=\d+ calls=(\S+)")

CALLBACK_DIALPLAN = """\
dialplan: main
numbers: ["5000"]
steps:
  q:
    queue: {name: support, on: {callback: bye}}
    next: bye
  bye:
    hangup:
"""
CALLBACK_QUEUES = (
    "queues:\n  support: {ring_timeout: 4, wrap_up: 0.2, segment: 1, announce: {frequency: 0}, "
    "callback: {offer: always, min_estimate: 0, customer_ring: 4}}\n"
)
AGENTS = 'agents:\n  - {id: "1001", name: Alice, device: PJSIP/1001, pin: "1111"}\n'


class DaemonProcess:
    """``ivr-acd run`` in a child process; its log lines are collected as they come."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.lines: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self.port = 0

    async def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ivr_acd.cli", "run", "--config", str(self.config),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env, cwd=str(ROOT),
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())
        async with asyncio.timeout(30):
            while not self.port:
                if self.process.returncode is not None:
                    raise AssertionError("daemon exited:\n" + "\n".join(self.lines[-30:]))
                await asyncio.sleep(0.05)

    async def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := await self.process.stderr.readline():
            text = line.decode(errors="replace").rstrip()
            self.lines.append(text)
            match = STARTED.search(text)
            if match:
                self.port = int(match.group(1))

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        async with asyncio.timeout(30):
            code = await self.process.wait()
        if self._reader is not None:
            await self._reader
        return code

    def committed_calls(self) -> set[str]:
        found: set[str] = set()
        for line in self.lines:
            match = COMMITTED.search(line)
            if match and match.group(1) != "-":
                found.update(match.group(1).split(","))
        return found


@contextlib.asynccontextmanager
async def simulator(root: Path, devices: dict[str, DeviceBehaviour]) -> AsyncIterator[Simulator]:
    sim = Simulator(
        SimulatorConfig(
            speed=0.05, ami_users={"ivr-acd": SECRET}, recordings_dir=root / "rec", devices=devices
        )
    )
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def test_callbacks_survive_a_daemon_process_restart(tmp_path: Path) -> None:
    devices = {
        "PJSIP/1001": DeviceBehaviour.answering(after=0.3, talk=30.0),
        "PJSIP/5551234@trunk": DeviceBehaviour.answering(),
    }
    async with simulator(tmp_path, devices) as sim:
        settings = write_config(
            tmp_path,
            dialplans={"main": CALLBACK_DIALPLAN},
            queues=CALLBACK_QUEUES,
            agents=AGENTS,
            ami_port=sim.ami_port,
        )
        first = DaemonProcess(tmp_path / "ivr-acd.yaml")
        await first.start()
        sim.set_agi_target("127.0.0.1", first.port)
        call = sim.place_call(Caller(number="5551234", dnis="5000", presses=["1", "1"]))
        await call.wait_ended(20)
        assert await first.stop() == 0
        with contextlib.closing(sqlite3.connect(settings.database)) as conn:
            [before] = [callback_from_row(r) for r in conn.execute(CALLBACK_SELECT)]
        assert before.status is CallbackStatus.PENDING

        second = DaemonProcess(tmp_path / "ivr-acd.yaml")
        await second.start()
        sim.set_agi_target("127.0.0.1", second.port)
        # Alice logs in from her phone; the reloaded callback is what she gets.
        login = sim.place_call(
            Caller(
                number="1001",
                dnis="*50",
                context="ivr-acd-agent-features",
                trunk="1001",
                presses=["1001#", "1111#"],
            )
        )
        await login.wait_ended(20)
        async with asyncio.timeout(30):
            while True:
                with contextlib.closing(sqlite3.connect(settings.database)) as conn:
                    [after] = [callback_from_row(r) for r in conn.execute(CALLBACK_SELECT)]
                if after.status is CallbackStatus.CONNECTED:
                    break
                await asyncio.sleep(0.1)
        assert await second.stop() == 0
    assert after.callback_id == before.callback_id
    assert after.enqueued_at == before.enqueued_at  # same place as before the restart
    assert any("callbacks reloaded count=1" in line for line in second.lines)


IVR_ONLY = """\
dialplan: main
numbers: ["5000"]
steps:
  hello:
    play: [custom/hello]
  bye:
    hangup:
"""


async def test_no_acknowledged_record_is_lost_on_sigkill(tmp_path: Path) -> None:
    async with simulator(tmp_path, {}) as sim:
        settings = write_config(
            tmp_path,
            dialplans={"main": IVR_ONLY},
            queues="queues:\n  support: {}\n",
            agents="agents: []\n",
            ami_port=sim.ami_port,
            extra_settings="logging: {level: DEBUG}\n",
        )
        daemon = DaemonProcess(tmp_path / "ivr-acd.yaml")
        await daemon.start()
        sim.set_agi_target("127.0.0.1", daemon.port)

        async def traffic() -> None:
            while True:
                for _ in range(10):
                    sim.place_call(Caller(number="5550100", dnis="5000"))
                await asyncio.sleep(0.05)

        load = asyncio.create_task(traffic())
        async with asyncio.timeout(30):
            while len(daemon.committed_calls()) < 50:
                await asyncio.sleep(0.05)
        await daemon.stop(signal.SIGKILL)  # mid-traffic, no chance to flush anything
        load.cancel()
        await asyncio.gather(load, return_exceptions=True)
    acknowledged = daemon.committed_calls()
    with contextlib.closing(sqlite3.connect(settings.database)) as conn:
        stored = {row[0] for row in conn.execute("SELECT call_id FROM calls")}
    assert acknowledged, "the writer acknowledged nothing"
    assert acknowledged <= stored, f"lost: {sorted(acknowledged - stored)[:5]}"


async def test_reload_command_checks_first_then_signals_the_daemon(tmp_path: Path) -> None:
    async with simulator(tmp_path, {}) as sim:
        write_config(
            tmp_path,
            dialplans={"main": IVR_ONLY},
            queues="queues:\n  support: {}\n",
            agents="agents: []\n",
            ami_port=sim.ami_port,
        )
        daemon = DaemonProcess(tmp_path / "ivr-acd.yaml")
        await daemon.start()
        sim.set_agi_target("127.0.0.1", daemon.port)
        plan = tmp_path / "dialplans" / "main.yaml"

        async def reload() -> tuple[int, str]:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ivr_acd.cli", "reload", "--config", str(tmp_path / "ivr-acd.yaml"),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=str(ROOT),
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )  # fmt: skip
            out, _ = await process.communicate()
            return process.returncode or 0, out.decode()

        plan.write_text(IVR_ONLY.replace("custom/hello", "custom/hello]"))  # a YAML error
        code, out = await reload()
        assert code == 1
        assert "main.yaml:" in out and "error" in out
        plan.write_text(IVR_ONLY.replace("custom/hello", "custom/hello-again"))
        code, out = await reload()
        assert code == 0, out
        async with asyncio.timeout(20):
            while not any("reload done" in line for line in daemon.lines):
                await asyncio.sleep(0.05)
        call = sim.place_call(Caller(number="5550100", dnis="5000"))
        await call.wait_ended(20)
        assert await daemon.stop() == 0
    assert call.heard_sounds == ["custom/hello-again"]
    assert not (tmp_path / "var" / "daemon.pid").exists()
