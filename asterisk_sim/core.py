"""The simulator's shared state: clock, event bus, channel registry, dialplan, devices, ids.

One :class:`Core` per simulator. Behaviour lives in the modules that use it (pbx, apps,
agi, originate, ami); this module only holds what they share and hands out ids the way
Asterisk does: uniqueids ``<epoch>.<sequence>`` from one global counter, channel names
with a per-technology 8-hex-digit sequence (``Local/s@agi-test-0000000a;2``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asterisk_sim.bus import EventBus
from asterisk_sim.clock import SimClock
from asterisk_sim.dialplan.model import Dialplan
from asterisk_sim.records import CallRecord
from asterisk_sim.sounds import SoundTable

if TYPE_CHECKING:
    from asterisk_sim.channel import Channel
    from asterisk_sim.devices import DeviceRegistry

log = logging.getLogger(__name__)

AGI_VERSION = "GIT-22-22.0.0-pre1-541-g69535d4837"


@dataclass
class Stats:
    """Activity counters (observability for tests and benchmark reports)."""

    ami_sessions: int = 0
    ami_logins: int = 0
    ami_actions: int = 0
    ami_errors: int = 0
    ami_events_sent: int = 0
    ami_connections_closed_on_garbage: int = 0
    agi_sessions: int = 0
    agi_connect_failures: int = 0
    agi_commands: int = 0
    agi_connections_closed_on_garbage: int = 0
    originates: int = 0
    channels_created: int = 0
    calls_placed: int = 0
    bridges: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counters by name."""
        return dict(vars(self))


@dataclass
class Timing:
    """Delays of the simulated Asterisk, in simulated seconds."""

    local_answer: float = 0.5
    """``__ast_answer`` waits up to 500 ms for media; a Local channel never gets any."""
    device_answer: float = 0.02
    """A SIP phone's first RTP frame arrives within a frame or two of the 200 OK."""
    dtmf_duration: float = 0.1
    agi_dead_command: float = 0.04
    """The dead-channel AGI loop polls every 40 ms or so (agi_basic.txt 9.326 → 9.366)."""
    originate_timeout: float = 30.0


@dataclass
class CoreConfig:
    """What the core needs to know beyond the dialplan."""

    sounds: SoundTable = field(default_factory=SoundTable)
    timing: Timing = field(default_factory=Timing)
    recordings_dir: Path = field(default_factory=lambda: Path("recordings"))
    agi_target: tuple[str, int] | None = None
    """Where every ``agi://`` URL really connects (the daemon under test); None keeps the URL's."""
    agi_connect_timeout: float = 2.0
    """Real seconds (a network timeout, not a simulated duration): res_agi's MAX_AGI_CONNECT."""


class Core:
    """Shared state of one simulator instance."""

    def __init__(
        self, config: CoreConfig, dialplan: Dialplan, clock: SimClock, devices: DeviceRegistry
    ) -> None:
        self.config = config
        self.dialplan = dialplan
        self.clock = clock
        self.devices = devices
        self.bus = EventBus()
        self.stats = Stats()
        self.astdb: dict[tuple[str, str], str] = {}
        self.device_calls: list[CallRecord] = []
        self.channels: dict[str, Channel] = {}
        self._by_uniqueid: dict[str, Channel] = {}
        self._uniqueid_seq = 0
        self._name_seq: dict[str, int] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closing = False
        # Wired by the simulator (they live in modules that import this one).
        self.start_pbx: Callable[[Channel], None] = _not_wired
        self.run_application: Callable[[Channel, str, str], Coroutine[Any, Any, int]] = _not_wired_app

    # ------------------------------------------------------------ ids
    def next_uniqueid(self) -> tuple[str, int]:
        """A new ``<epoch>.<seq>`` uniqueid and its sequence number (creation order)."""
        seq = self._uniqueid_seq
        self._uniqueid_seq += 1
        return f"{int(self.clock.wall())}.{seq}", seq

    def next_name_suffix(self, tech: str) -> str:
        """The 8-hex-digit sequence a channel technology appends to its channel names."""
        seq = self._name_seq.get(tech, 0)
        self._name_seq[tech] = seq + 1
        return f"{seq:08x}"

    def new_bridge_id(self) -> str:
        """A bridge's uniqueid (a UUID, as Asterisk 22 uses)."""
        return str(uuid.uuid4())

    # ------------------------------------------------------------ registry
    def register(self, chan: Channel) -> None:
        """Make a channel findable by name and uniqueid."""
        self.channels[chan.name] = chan
        self._by_uniqueid[chan.uniqueid] = chan
        self.stats.channels_created += 1

    def unregister(self, chan: Channel) -> None:
        """Forget a channel that hung up."""
        if self.channels.get(chan.name) is chan:
            del self.channels[chan.name]
        if self._by_uniqueid.get(chan.uniqueid) is chan:
            del self._by_uniqueid[chan.uniqueid]

    def find_channel(self, name: str) -> Channel | None:
        """A live channel by exact name or uniqueid (``ast_channel_get_by_name``)."""
        return self.channels.get(name) or self._by_uniqueid.get(name)

    # ------------------------------------------------------------ tasks
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run a background task that the simulator cancels and awaits on shutdown."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("simulator task %s failed", task.get_name(), exc_info=exc)

    async def cancel_tasks(self) -> None:
        """Cancel every background task and wait for them to finish."""
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def uptime(self) -> int:
        """Whole simulated seconds since start."""
        return int(self.clock.now())


def _not_wired(chan: Channel) -> None:
    raise RuntimeError("Core.start_pbx was not wired")


async def _not_wired_app(chan: Channel, app: str, data: str) -> int:
    raise RuntimeError("Core.run_application was not wired")
