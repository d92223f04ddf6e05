"""The simulator, embedded: ``async with Simulator(config) as sim:``.

It wires the core (clock, bus, channels, dialplan, devices) to the dialplan runner, the
applications, the FastAGI client side and the AMI server, and exposes the scenario API:
:meth:`Simulator.place_call`, :meth:`Simulator.add_device`, the call records and counters.

A test instrument and a capacity-planning tool; never a replacement for Asterisk.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from asterisk_sim import apps, pbx
from asterisk_sim.ami.server import AmiServer
from asterisk_sim.ami.users import AmiUser
from asterisk_sim.channel import Channel
from asterisk_sim.clock import SimClock
from asterisk_sim.core import Core, CoreConfig, Stats, Timing
from asterisk_sim.devices import DeviceBehaviour, DeviceRegistry, Mode
from asterisk_sim.dialplan.model import Dialplan
from asterisk_sim.dialplan.parser import load_files, parse
from asterisk_sim.records import CallRecord
from asterisk_sim.scenario import Caller, place_call
from asterisk_sim.sounds import SoundTable

log = logging.getLogger(__name__)

SHIPPED_DIALPLAN = Path(__file__).resolve().parent.parent / "asterisk" / "extensions_ivr_acd.conf"


@dataclass
class SimulatorConfig:
    """Everything a simulator instance needs; the defaults run the shipped dialplan."""

    dialplan_files: Sequence[Path] = (SHIPPED_DIALPLAN,)
    dialplan_text: str | None = None
    """Extra dialplan text, parsed after the files (handy in tests)."""
    host: str = "127.0.0.1"
    ami_port: int = 0
    ami_users: Mapping[str, str | AmiUser] = field(default_factory=lambda: {"ivr-acd": "ivr-acd"})
    agi_target: tuple[str, int] | None = None
    """Where ``agi://`` URLs really connect (the daemon's FastAGI port); None keeps each URL's."""
    speed: float = 1.0
    sounds: SoundTable = field(default_factory=SoundTable)
    timing: Timing = field(default_factory=Timing)
    recordings_dir: Path = field(
        default_factory=lambda: Path(tempfile.gettempdir()) / "asterisk-sim-recordings"
    )
    devices: Mapping[str, DeviceBehaviour] = field(default_factory=dict)
    epoch: float | None = None


class Simulator:
    """A running simulated Asterisk: AMI on ``ami_port``, FastAGI toward the daemon."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.clock = SimClock(self.config.speed, epoch=self.config.epoch)
        self.devices = DeviceRegistry()
        for name, behaviour in self.config.devices.items():
            self.devices.add(name, behaviour)
        core_config = CoreConfig(
            sounds=self.config.sounds,
            timing=self.config.timing,
            recordings_dir=self.config.recordings_dir,
            agi_target=self.config.agi_target,
        )
        self.core = Core(core_config, _load_dialplan(self.config), self.clock, self.devices)
        self.core.start_pbx = pbx.start_pbx
        self.core.run_application = apps.run_application
        users = {
            name: user if isinstance(user, AmiUser) else AmiUser(user)
            for name, user in self.config.ami_users.items()
        }
        self.ami = AmiServer(self.core, users)
        self.calls: list[CallRecord] = []
        self.ami_port = 0
        self._started = False

    async def start(self) -> None:
        """Start the clock and the AMI listener."""
        self.clock.start()
        self.ami_port = await self.ami.start(self.config.host, self.config.ami_port)
        self._started = True
        log.info(
            "simulated Asterisk: AMI on %s:%s, speed %s", self.config.host, self.ami_port, self.clock.speed
        )

    async def stop(self) -> None:
        """Stop everything: close AMI sessions, cancel calls and sessions, await them."""
        if not self._started:
            return
        self._started = False
        self.core.closing = True
        await self.ami.stop()
        await self.core.cancel_tasks()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------ scenario API
    def set_agi_target(self, host: str, port: int) -> None:
        """Send every FastAGI connection to ``host:port`` (the daemon under test)."""
        self.core.config.agi_target = (host, port)

    def add_device(self, name: str, behaviour: DeviceBehaviour | None = None, **kwargs: object) -> None:
        """Register a device or pattern (``PJSIP/1001``, ``PJSIP/10XX``).

        ``kwargs`` build a :class:`DeviceBehaviour` when none is given:
        ``mode="answer"|"noanswer"|"busy"|"congestion"|"unreachable"``, ``answer_after``, ``talk``.
        """
        if behaviour is None:
            mode = kwargs.pop("mode", "answer")
            behaviour = DeviceBehaviour(Mode(str(mode)), **kwargs)  # type: ignore[arg-type]
        self.devices.add(name, behaviour)

    def place_call(self, caller: Caller | None = None, **kwargs: object) -> CallRecord:
        """Start an inbound call (a :class:`Caller`, or its fields as keywords)."""
        if caller is None:
            caller = Caller(**kwargs)  # type: ignore[arg-type]
        record = place_call(self.core, caller)
        self.calls.append(record)
        return record

    @property
    def device_calls(self) -> list[CallRecord]:
        """Records of the device legs (agents, customers) the simulator answered for."""
        return self.core.device_calls

    @property
    def stats(self) -> Stats:
        """AMI/AGI activity counters."""
        return self.core.stats

    @property
    def channels(self) -> dict[str, Channel]:
        """Live channels by name."""
        return self.core.channels

    def now(self) -> float:
        """Simulated seconds since start."""
        return self.clock.now()

    async def sleep(self, sim_seconds: float) -> None:
        """Sleep in simulated time."""
        await self.clock.sleep(sim_seconds)

    async def wait_calls_ended(self, within: float | None = None) -> None:
        """Wait (at most ``within`` real seconds) until every placed call has ended."""
        async with asyncio.timeout(within):
            for call in list(self.calls):
                await call.wait_ended()


def _load_dialplan(config: SimulatorConfig) -> Dialplan:
    plan = load_files(tuple(config.dialplan_files))
    if config.dialplan_text:
        plan.merge(parse(config.dialplan_text, source="<config>"))
    return plan
