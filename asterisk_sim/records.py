"""What happened to each simulated call, for tests and reports.

A :class:`CallRecord` is attached to a caller's channel (and follows it through redirects
and bridges) or to a device leg the simulator answered for an agent or a customer. It
collects the sounds played, the keys pressed, when the call was answered and bridged, with
whom, who hung up first and the hang-up cause.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["caller", "device"]


@dataclass
class CallRecord:
    """Observations of one simulated call (implements the channel Observer protocol)."""

    kind: Kind
    channel: str
    uniqueid: str
    number: str = ""
    name: str = ""
    dnis: str = ""
    device: str = ""
    started_at: float = 0.0
    answered_at: float | None = None
    bridged_at: float | None = None
    bridged_with: list[str] = field(default_factory=list)
    unbridged_at: float | None = None
    heard_sounds: list[str] = field(default_factory=list)
    heard_files: list[str] = field(default_factory=list)
    """The sound files among ``heard_sounds`` as Asterisk looks them up for the channel's
    language at the time: ``fr/custom/welcome``."""
    keys: list[tuple[float, str]] = field(default_factory=list)
    ended_at: float | None = None
    hangup_cause: int | None = None
    hung_up_by: str | None = None
    """``caller`` (for a device leg: ``device``), ``peer`` (the bridged party left first) or ``system``."""
    abandoned: bool = False
    """The caller ran out of patience before reaching an agent."""
    _far_end: bool = False
    _peer_left: bool = False
    _done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    answered_event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _heard_waiters: list[tuple[str, asyncio.Future[None]]] = field(default_factory=list, repr=False)
    bridged_event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    # ------------------------------------------------------------ Observer
    def heard(self, name: str, language: str = "") -> None:
        """A sound started (``language`` is given for sound files)."""
        self.heard_sounds.append(name)
        if language:
            self.heard_files.append(f"{language}/{name}")
        for wanted, future in list(self._heard_waiters):
            if wanted == name and not future.done():
                future.set_result(None)
        self._heard_waiters = [(w, f) for w, f in self._heard_waiters if not f.done()]

    async def wait_heard(self, name: str, count: int) -> None:
        """Return once ``name`` has been heard more than ``count`` times."""
        if self.heard_sounds.count(name) > count:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._heard_waiters.append((name, future))
        while self.heard_sounds.count(name) <= count:
            await future
            if self.heard_sounds.count(name) <= count:
                future = asyncio.get_running_loop().create_future()
                self._heard_waiters.append((name, future))

    def pressed(self, digit: str, at: float) -> None:
        """A key went up."""
        self.keys.append((at, digit))

    def answered(self, at: float) -> None:
        """The channel went Up."""
        if self.answered_at is None:
            self.answered_at = at
            self.answered_event.set()

    def bridged(self, peer: str, at: float) -> None:
        """Entered a bridge with ``peer``."""
        if self.bridged_at is None:
            self.bridged_at = at
        self.bridged_with.append(peer)
        self.bridged_event.set()

    def unbridged(self, at: float, *, left_first: bool) -> None:
        """Left the bridge."""
        self.unbridged_at = at
        if not left_first and not self._far_end:
            self._peer_left = True

    def far_end_hangup(self) -> None:
        """The simulated phone hung up."""
        if not self._peer_left:
            self._far_end = True

    def hung_up(self, cause: int, at: float) -> None:
        """The channel is gone."""
        self.ended_at = at
        self.hangup_cause = cause
        if self._far_end:
            self.hung_up_by = "caller" if self.kind == "caller" else "device"
        elif self._peer_left:
            self.hung_up_by = "peer"
        else:
            self.hung_up_by = "system"
        self._done.set()

    # ------------------------------------------------------------ queries
    @property
    def connected(self) -> bool:
        """The call reached a bridge (an agent, for a caller)."""
        return self.bridged_at is not None

    @property
    def ended(self) -> bool:
        """The channel hung up."""
        return self._done.is_set()

    @property
    def pressed_digits(self) -> str:
        """The keys pressed, in order."""
        return "".join(digit for _, digit in self.keys)

    async def wait_ended(self, within: float | None = None) -> CallRecord:
        """Wait (at most ``within`` real seconds) until the call ended."""
        async with asyncio.timeout(within):
            await self._done.wait()
        return self

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary."""
        return {
            "kind": self.kind,
            "channel": self.channel,
            "number": self.number,
            "dnis": self.dnis,
            "device": self.device,
            "started_at": self.started_at,
            "answered_at": self.answered_at,
            "bridged_at": self.bridged_at,
            "bridged_with": list(self.bridged_with),
            "heard": list(self.heard_sounds),
            "keys": self.pressed_digits,
            "ended_at": self.ended_at,
            "hangup_cause": self.hangup_cause,
            "hung_up_by": self.hung_up_by,
            "abandoned": self.abandoned,
        }
