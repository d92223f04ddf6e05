"""Placing an outgoing leg: a Local channel pair or a simulated device, for Originate and Dial.

Local channels (every transcript): ``Newchannel ;1`` (Down), ``Newchannel ;2`` (Ring),
``Newexten ;1 AppDial2 (Outgoing Line)``, caller ID and variables on both halves,
``LocalBridge``, ``DialBegin``, then ``;2`` runs the dialplan at ``exten@context``. When
that extension does not exist, ``;2`` is hung up at once (no LocalBridge, no DialBegin)
and the devices report ``INVALID`` (misc.txt, ``no-such-context``).

Devices (``PJSIP/1001``) follow their registered behaviour; an unknown or unreachable
device gets no channel at all and the dial fails at once (Originate ``Reason: 0``).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from asterisk_sim import events
from asterisk_sim.causes import Cause, State
from asterisk_sim.channel import CallerId, Channel
from asterisk_sim.core import Core
from asterisk_sim.devices import DeviceBehaviour, Mode
from asterisk_sim.records import CallRecord

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    """How a dial attempt ended."""

    ANSWER = "ANSWER"
    BUSY = "BUSY"
    CONGESTION = "CONGESTION"
    NOANSWER = "NOANSWER"
    CHANUNAVAIL = "CHANUNAVAIL"
    HANGUP = "HANGUP"
    """The called side went away before answering."""


@dataclass(frozen=True)
class Target:
    """A parsed dial string."""

    tech: str
    resource: str
    options: str

    @classmethod
    def parse(cls, dialstring: str) -> Target | None:
        """``Local/1001@agent-phone/n`` → (Local, 1001@agent-phone, n); ``PJSIP/1001`` …"""
        tech, sep, rest = dialstring.strip().partition("/")
        if not sep or not rest:
            return None
        resource, _, options = rest.partition("/")
        return cls(tech, resource, options)

    @property
    def dialstring(self) -> str:
        """``tech/resource`` without options: the device name."""
        return f"{self.tech}/{self.resource}"


class Leg:
    """An outgoing leg being dialled; becomes the channel's :class:`DialListener`."""

    def __init__(self, core: Core, chan: Channel, target: Target, caller: Channel | None) -> None:
        self.core = core
        self.chan = chan
        self.target = target
        self.caller = caller
        self.rang = False
        self.on_ringing: Callable[[], None] | None = None
        """Dial() passes the callee's ringing back to its own caller, as app_dial does."""
        self._outcome: asyncio.Future[Outcome] = core.clock.loop.create_future()
        chan.dial_listener = self
        chan.add_interrupt_hook(self._interrupted)

    # DialListener
    def ringing(self) -> None:
        """The called side rings: ``DialState RINGING`` once."""
        if self.rang or self._outcome.done():
            return
        self.rang = True
        self.chan.publish(events.dial_event("DialState", self.caller, self.chan, ("DialStatus", "RINGING")))
        if self.on_ringing is not None:
            self.on_ringing()

    def answered(self) -> None:
        """The called side answered: ``DialEnd ANSWER``."""
        self._finish(Outcome.ANSWER)

    def failed(self, reason: str) -> None:
        """BUSY or CONGESTION from the called side."""
        self._finish(Outcome.BUSY if reason == "busy" else Outcome.CONGESTION)

    @property
    def failed_already(self) -> bool:
        """The call failed while being placed (no such extension)."""
        return self._outcome.done() and self._outcome.result() is not Outcome.ANSWER

    def fail_now(self, outcome: Outcome) -> None:
        """The call could not even be placed (no DialEnd: there was no DialBegin)."""
        if not self._outcome.done():
            self._outcome.set_result(outcome)

    def _interrupted(self) -> None:
        if not self._outcome.done() and self.chan.hangup_requested:
            self._outcome.set_result(Outcome.HANGUP)

    def _finish(self, outcome: Outcome) -> None:
        if self._outcome.done():
            return
        self._outcome.set_result(outcome)
        self.chan.publish(events.dial_event("DialEnd", self.caller, self.chan, ("DialStatus", outcome.value)))

    async def wait(self, ring_for: float | None) -> Outcome:
        """The dial's outcome, or NOANSWER after ``ring_for`` simulated seconds."""
        timer = None
        if ring_for is not None:
            timer = self.core.clock.call_later(ring_for, self._timeout)
        try:
            return await self._outcome
        finally:
            if timer is not None:
                timer.cancel()
            self.chan.remove_interrupt_hook(self._interrupted)
            self.chan.dial_listener = None

    def _timeout(self) -> None:
        if not self._outcome.done():
            self._outcome.set_result(Outcome.NOANSWER)

    def cancel(self, caller_gone: bool) -> None:
        """The caller gave up (Dial's caller hung up): ``DialEnd CANCEL``."""
        if not self._outcome.done():
            self._outcome.set_result(Outcome.HANGUP)
            if caller_gone:
                self.chan.publish(
                    events.dial_event("DialEnd", self.caller, self.chan, ("DialStatus", "CANCEL"))
                )


def place(
    core: Core,
    dialstring: str,
    *,
    caller: Channel | None = None,
    callerid: CallerId | None = None,
    variables: list[tuple[str, str]] | None = None,
    app_name: str = "AppDial2",
    channel_ids: tuple[str | None, str | None] = (None, None),
) -> Leg | None:
    """Create the outgoing channel(s) and start the call; None when no channel could be made.

    ``channel_ids`` are Originate's ChannelId and OtherChannelId: the uniqueids of the
    channel (the ``;1`` half of a Local pair) and of the Local pair's ``;2`` half.
    """
    target = Target.parse(dialstring)
    if target is None:
        return None
    if target.tech.lower() == "local":
        return _place_local(core, target, caller, callerid, variables or [], app_name, channel_ids)
    return _place_device(core, target, caller, callerid, variables or [], app_name, channel_ids[0])


def _place_local(
    core: Core,
    target: Target,
    caller: Channel | None,
    callerid: CallerId | None,
    variables: list[tuple[str, str]],
    app_name: str,
    channel_ids: tuple[str | None, str | None],
) -> Leg | None:
    exten, _, context = target.resource.partition("@")
    context = context or "default"
    suffix = core.next_name_suffix("Local")
    base = f"Local/{exten}@{context}-{suffix}"
    device = f"Local/{exten}@{context}"
    one = Channel(
        core,
        name=f"{base};1",
        tech="Local",
        device=device,
        context=context,
        exten=exten,
        uniqueid=channel_ids[0],
    )
    one.half = 1
    linkedid = caller.linkedid if caller is not None else one.uniqueid
    two = Channel(
        core,
        name=f"{base};2",
        tech="Local",
        device=device,
        context=context,
        exten=exten,
        state=State.RING,
        uniqueid=channel_ids[1],
    )
    two.linkedid = linkedid
    if caller is not None:
        one.linkedid, one.linked_seq = caller.linkedid, caller.linked_seq
        two.linked_seq = caller.linked_seq
    else:
        two.linked_seq = one.seq
    for half in (one, two):
        half.answer_delay = core.config.timing.local_answer
    one.partner, two.partner = two, one
    two.half = 2
    one.announce()
    two.announce()
    one.publish(events.newexten(one, app_name, "(Outgoing Line)"))
    one.app, one.appdata = app_name, "(Outgoing Line)"
    _apply_identity(one, two, callerid, variables)
    if not core.dialplan.exists(context, exten):
        log.info("Local/%s@%s: no such extension", exten, context)
        one.device_invalid = two.device_invalid = True
        one.partner = two.partner = None
        two.hangup()
        leg = Leg(core, one, target, caller)
        leg.fail_now(Outcome.CHANUNAVAIL)
        return leg
    one.publish(events.local_bridge(one, two, context, exten))
    leg = Leg(core, one, target, caller)
    one.publish(events.dial_event("DialBegin", caller, one, ("DialString", f"{exten}@{context}")))
    core.start_pbx(two)
    return leg


def _apply_identity(
    one: Channel, two: Channel | None, callerid: CallerId | None, variables: list[tuple[str, str]]
) -> None:
    if callerid is not None and (callerid.num or callerid.name):
        one.set_caller(callerid)
        one.set_connected(callerid)
        if two is not None:
            two.connected = callerid
            two.set_caller(callerid)
            two.set_connected(callerid)
    for name, value in variables:
        one.set_variable(name, value)
        if two is not None:
            two.set_variable(name, value)


def _place_device(
    core: Core,
    target: Target,
    caller: Channel | None,
    callerid: CallerId | None,
    variables: list[tuple[str, str]],
    app_name: str,
    channel_id: str | None,
) -> Leg | None:
    behaviour = core.devices.find(target.dialstring)
    if behaviour is None or behaviour.mode is Mode.UNREACHABLE:
        log.info("%s: no such device or unreachable", target.dialstring)
        return None
    number, _, endpoint = target.resource.partition("@")
    endpoint = endpoint or number
    suffix = core.next_name_suffix(target.tech)
    chan = Channel(
        core,
        name=f"{target.tech}/{endpoint}-{suffix}",
        tech=target.tech,
        device=f"{target.tech}/{endpoint}",
        context=behaviour.context,
        exten="s",
        linkedid=caller.linkedid if caller is not None else None,
        uniqueid=channel_id,
    )
    if caller is not None:
        chan.linked_seq = caller.linked_seq
    chan.dnid = number
    record = CallRecord(
        "device",
        chan.name,
        chan.uniqueid,
        number=number,
        device=target.dialstring,
        started_at=core.clock.now(),
    )
    chan.observer = record
    core.device_calls.append(record)
    chan.announce()
    chan.publish(events.newexten(chan, app_name, "(Outgoing Line)"))
    chan.app, chan.appdata = app_name, "(Outgoing Line)"
    _apply_identity(chan, None, callerid, variables)
    leg = Leg(core, chan, target, caller)
    chan.publish(events.dial_event("DialBegin", caller, chan, ("DialString", target.resource)))
    _run_behaviour(core, chan, behaviour)
    return leg


def _run_behaviour(core: Core, chan: Channel, behaviour: DeviceBehaviour) -> None:
    clock = core.clock
    match behaviour.mode:
        case Mode.BUSY:
            clock.call_later(behaviour.answer_after, lambda: chan.indicate_failure("busy"))
        case Mode.CONGESTION:
            clock.call_later(behaviour.answer_after, lambda: chan.indicate_failure("congestion"))
        case Mode.NOANSWER:
            chan.set_state(State.RINGING)
        case _:
            chan.set_state(State.RINGING)

            def pick_up() -> None:
                if chan.hung_up or chan.dial_listener is None:
                    return
                chan.answer()
                if behaviour.talk is not None:
                    chan.remote_hangup_timer = clock.call_later(
                        behaviour.talk, lambda: chan.remote_hangup(int(Cause.NORMAL_CLEARING))
                    )

            clock.call_later(behaviour.answer_after, pick_up)
