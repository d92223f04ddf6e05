"""A simulated channel: identity, state, caller ID, variables, and how it is interrupted.

Rules (Asterisk 22 as the transcripts show them):

1. Whatever a channel is doing (an application, an AGI command, a bridge) waits through
   :meth:`Channel.wait`. A wait ends on its timeout, on an accepted DTMF digit, when the
   channel is *interrupted*, or when its bridge dissolves (*kicked*).
2. Interruptions are Asterisk's soft hang-ups: a hang-up queued from the far end or the
   other half of a Local channel (``HangupRequest``), an explicit one (AGI ``HANGUP``, AMI
   ``Hangup``: ``SoftHangupRequest`` cause 32), an async goto (AMI ``Redirect``: no
   event), and a bridge pull (another channel ran ``Bridge()`` on this one).
3. A Local channel is two halves. Answering ``;2`` answers ``;1``; hanging up one half
   queues a hang-up on the other with its cause; a connected-line change on one half
   becomes the other half's caller ID the next time that half reads a frame: at its next
   dialplan step, or at its hang-up (connect_moh.txt 2.715 and 5.723).
4. DTMF: ``DTMFBegin`` when the key goes down, ``DTMFEnd`` (``DurationMs``) when it comes
   up, and only then is the digit delivered to a wait that accepts it (agi_basic.txt).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from asterisk_sim import events
from asterisk_sim.causes import SoftHangup, State, cause_text
from asterisk_sim.core import Core
from telephony.ami.message import AmiMessage

if TYPE_CHECKING:
    from asterisk_sim.bridge import Bridge

ANY_DIGIT = "0123456789*#ABCD"
PRES_ALLOWED = "0 (Presentation Allowed, Not Screened)"
PRES_UNAVAILABLE = "67 (Number Unavailable)"


@dataclass(frozen=True)
class CallerId:
    """A number and a name; empty strings are Asterisk's ``<unknown>``."""

    num: str = ""
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> CallerId:
        """``"Alice" <5551234>``, ``Alice <5551234>``, ``<5551234>`` or a bare number/name."""
        text = text.strip()
        if "<" in text and text.endswith(">"):
            name, _, num = text[:-1].partition("<")
            return cls(num.strip(), name.strip().strip('"').strip())
        if text.replace("+", "").replace("-", "").isdigit():
            return cls(text, "")
        return cls("", text.strip('"'))

    def all(self) -> str:
        """``CALLERID(all)``."""
        if self.name:
            return f'"{self.name}" <{self.num}>'
        return f"<{self.num}>" if self.num else ""


class WaitKind(enum.Enum):
    """Why :meth:`Channel.wait` returned."""

    TIMEOUT = "timeout"
    DIGIT = "digit"
    INTERRUPTED = "interrupted"
    KICKED = "kicked"


@dataclass(frozen=True)
class WaitResult:
    """The outcome of a wait; ``digit`` is set for :attr:`WaitKind.DIGIT`."""

    kind: WaitKind
    digit: str = ""


_TIMEOUT = WaitResult(WaitKind.TIMEOUT)
_INTERRUPTED = WaitResult(WaitKind.INTERRUPTED)
_KICKED = WaitResult(WaitKind.KICKED)


class Observer(Protocol):
    """Receives what happens to one call (the scenario's call records implement it)."""

    def heard(self, name: str, language: str = "") -> None:
        """A sound started playing to the caller (``language``: the channel's, for a sound file)."""
        ...

    def pressed(self, digit: str, at: float) -> None:
        """A key was pressed (at its DTMFEnd)."""
        ...

    def answered(self, at: float) -> None:
        """The channel went Up."""
        ...

    def bridged(self, peer: str, at: float) -> None:
        """The channel entered a bridge with ``peer``."""
        ...

    def unbridged(self, at: float, *, left_first: bool) -> None:
        """The channel left its bridge; ``left_first`` unless the other side's leaving kicked it."""
        ...

    def far_end_hangup(self) -> None:
        """The simulated phone on this channel hung up (before anything else ended the call)."""
        ...

    def hung_up(self, cause: int, at: float) -> None:
        """The channel is gone."""
        ...


class DialListener(Protocol):
    """Whoever placed an outgoing call on this channel (Originate, Dial) and waits for its fate."""

    def ringing(self) -> None:
        """The called side started ringing."""
        ...

    def answered(self) -> None:
        """The called side answered."""
        ...

    def failed(self, reason: str) -> None:
        """The called side reported BUSY or CONGESTION."""
        ...


class _Waiter:
    __slots__ = ("digits", "future", "timer")

    def __init__(self, future: asyncio.Future[WaitResult], digits: str) -> None:
        self.future = future
        self.digits = digits
        self.timer: asyncio.TimerHandle | None = None

    def resolve(self, result: WaitResult) -> None:
        if not self.future.done():
            self.future.set_result(result)


class Channel:
    """One channel of the simulated Asterisk."""

    def __init__(
        self,
        core: Core,
        *,
        name: str,
        tech: str,
        device: str,
        context: str,
        exten: str,
        state: State = State.DOWN,
        caller: CallerId | None = None,
        priority: int = 1,
        linkedid: str | None = None,
        language: str = "en",
        dnid: str = "",
        uniqueid: str | None = None,
    ) -> None:
        self.core = core
        self.name = name
        self.tech = tech
        self.device = device
        self.uniqueid, self.seq = core.next_uniqueid()
        if uniqueid:
            # Originate's ChannelId: the client chose the uniqueid so it can follow the
            # channel's events before OriginateResponse names it. The sequence number is
            # still drawn, so creation order is kept.
            self.uniqueid = uniqueid
        self.linkedid = linkedid or self.uniqueid
        self.linked_seq = self.seq
        self.state = state
        self.caller = caller or CallerId()
        self.connected = CallerId()
        self.language = language
        self.accountcode = ""
        self.context = context
        self.exten = exten
        self.priority = priority
        self.dnid = dnid
        self.variables: dict[str, str] = {}
        self.app = ""
        self.appdata = ""
        self.created_at = core.clock.now()
        self.hangupcause = 0
        self.partner: Channel | None = None
        self.half = 0
        self.bridge: Bridge | None = None
        self.pending_callerid: CallerId | None = None
        self.runs_pbx = False
        self.hung_up = False
        self.softhangup = SoftHangup(0)
        self.goto_target: tuple[str, str, int] | None = None
        # Where a channel pulled by Bridge() goes when the bridger hangs up (Bridge's F()
        # option), or "hangup" (its x option); None: the next priority.
        self.after_bridge: tuple[str, str, int] | str | None = None
        self.jumped = False
        self.pull_pending = False
        self.moh_class: str | None = None
        self.dial_listener: DialListener | None = None
        self.observer: Observer | None = None
        self.answer_delay = core.config.timing.device_answer
        self.device_invalid = False
        self.speech = 2.0
        """Seconds the simulated caller talks into a recording before falling silent."""
        self._waiter: _Waiter | None = None
        self._listen_waiters: list[asyncio.Future[None]] = []
        self._interrupt_hooks: list[Callable[[], None]] = []
        self._hangup_futures: list[asyncio.Future[None]] = []
        self.remote_hangup_timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------ views used by events
    @property
    def state_value(self) -> int:
        """``ChannelState``."""
        return int(self.state)

    @property
    def state_desc(self) -> str:
        """``ChannelStateDesc``."""
        return self.state.desc

    @property
    def caller_num(self) -> str:
        """``CallerIDNum`` (empty is printed ``<unknown>``)."""
        return self.caller.num

    @property
    def caller_name(self) -> str:
        """``CallerIDName``."""
        return self.caller.name

    @property
    def connected_num(self) -> str:
        """``ConnectedLineNum``."""
        return self.connected.num

    @property
    def connected_name(self) -> str:
        """``ConnectedLineName``."""
        return self.connected.name

    def __repr__(self) -> str:
        return f"<Channel {self.name} {self.state.desc}>"

    # ------------------------------------------------------------ lifecycle
    def publish(self, message: AmiMessage) -> None:
        """Publish an event (a helper so callers need not reach for the bus)."""
        self.core.bus.publish(message)

    def announce(self) -> None:
        """Register the channel and publish ``Newchannel``."""
        self.core.register(self)
        self.publish(events.channel_event("Newchannel", self))

    def set_state(self, state: State) -> None:
        """Change state: ``Newstate`` and the device's ``DeviceStateChange``."""
        if state == self.state or self.hung_up:
            return
        self.state = state
        self.publish(events.channel_event("Newstate", self))
        self._device_state(hangup=False)
        if state == State.RINGING and self.dial_listener is not None:
            self.dial_listener.ringing()

    def answer(self) -> bool:
        """Answer: Up here, and Up on the other half of a Local channel. True if it changed."""
        if self.state == State.UP or self.hung_up:
            return False
        self.set_state(State.UP)
        if self.observer is not None:
            self.observer.answered(self.core.clock.now())
        partner = self.partner
        if self.half == 2 and partner is not None and not partner.hung_up and partner.state != State.UP:
            partner.set_state(State.UP)
            if partner.dial_listener is not None:
                partner.dial_listener.answered()
        if self.half != 2 and self.dial_listener is not None:
            self.dial_listener.answered()
        return True

    def indicate(self, kind: str) -> None:
        """``ast_indicate``: ringing, busy or congestion toward whoever called this channel."""
        partner = self.partner
        if self.half == 2 and partner is not None and not partner.hung_up:
            if kind == "ringing":
                partner.set_state(State.RINGING)
            elif partner.dial_listener is not None:
                partner.dial_listener.failed(kind)
        elif self.observer is not None:
            self.observer.heard(f"tone:{kind}")

    def indicate_failure(self, kind: str) -> None:
        """A called device answers the dial with BUSY or CONGESTION."""
        if self.dial_listener is not None:
            self.dial_listener.failed(kind)

    def _device_state(self, *, hangup: bool) -> None:
        if self.tech == "Local":
            if hangup:
                state = "INVALID" if self.device_invalid else "NOT_INUSE"
            else:
                state = "INUSE" if self.state != State.DOWN else "NOT_INUSE"
        elif hangup:
            state = "NOT_INUSE"
        else:
            state = {State.RINGING: "RINGING", State.UP: "INUSE", State.BUSY: "BUSY"}.get(self.state, "INUSE")
        self.publish(events.device_state_change(self.device, state))

    def hangup(self) -> None:
        """Destroy the channel: the other Local half is told, then ``Hangup``."""
        if self.hung_up:
            return
        if self.moh_class is not None:
            self.stop_moh()
        partner = self.partner
        if partner is not None and not partner.hung_up:
            partner.queue_hangup(self.hangupcause)
        pending = self.pending_callerid
        if pending is not None:
            # The caller-ID frame is read during the hang-up: the Hangup event already shows
            # the new value and NewCallerid follows it (connect_moh.txt 5.723).
            self.caller = pending
            self.pending_callerid = None
        self.hung_up = True
        if self.remote_hangup_timer is not None:
            self.remote_hangup_timer.cancel()
        self.publish(events.hangup(self, self.hangupcause, cause_text(self.hangupcause)))
        if pending is not None:
            self.publish(events.newcallerid(self, PRES_UNAVAILABLE if not pending.num else PRES_ALLOWED))
        self._device_state(hangup=True)
        self.core.unregister(self)
        if self._waiter is not None:
            self._waiter.resolve(_INTERRUPTED)
        if self.observer is not None:
            self.observer.hung_up(self.hangupcause, self.core.clock.now())
        for fut in self._hangup_futures:
            if not fut.done():
                fut.set_result(None)
        self._hangup_futures.clear()

    async def wait_hangup(self) -> None:
        """Wait until the channel is gone."""
        if self.hung_up:
            return
        fut: asyncio.Future[None] = self.core.clock.loop.create_future()
        self._hangup_futures.append(fut)
        await fut

    # ------------------------------------------------------------ interruptions
    @property
    def interrupted(self) -> bool:
        """Something asked this channel to stop what it is doing."""
        return bool(self.softhangup) or self.pull_pending or self.hung_up

    @property
    def hangup_requested(self) -> bool:
        """A real hang-up (not just a redirect) is pending."""
        return self.hung_up or bool(self.softhangup & ~SoftHangup.ASYNCGOTO)

    def add_interrupt_hook(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` on the next interruption (AGI sessions send ``HANGUP`` from it)."""
        self._interrupt_hooks.append(hook)

    def remove_interrupt_hook(self, hook: Callable[[], None]) -> None:
        """Undo :meth:`add_interrupt_hook`."""
        if hook in self._interrupt_hooks:
            self._interrupt_hooks.remove(hook)

    def _interrupt(self) -> None:
        if self._waiter is not None:
            self._waiter.resolve(_INTERRUPTED)
        for hook in list(self._interrupt_hooks):
            hook()

    def queue_hangup(self, cause: int = 0) -> None:
        """``ast_queue_hangup_with_cause``: the far end or the other Local half hung up."""
        if self.hung_up:
            return
        self.publish(events.channel_event("HangupRequest", self, ("Cause", cause)))
        if cause and not self.hangupcause:
            self.hangupcause = cause
        self.softhangup |= SoftHangup.DEV
        self._interrupt()

    def request_softhangup(self, flag: SoftHangup = SoftHangup.EXPLICIT, cause: int | None = None) -> None:
        """``ast_softhangup``: publishes ``SoftHangupRequest`` with the flag as its cause."""
        if self.hung_up:
            return
        if cause:
            self.hangupcause = cause
        self.publish(events.channel_event("SoftHangupRequest", self, ("Cause", int(flag))))
        self.softhangup |= flag
        self._interrupt()

    def async_goto(self, context: str, exten: str, priority: int) -> None:
        """``ast_async_goto`` (AMI Redirect): stop, then continue there. No event."""
        self.goto_target = (context, exten, priority)
        self.softhangup |= SoftHangup.ASYNCGOTO
        self._interrupt()

    def pull(self) -> None:
        """Another channel's ``Bridge()`` takes this one out of whatever it runs.

        The pulled channel resumes at the next priority after the bridge (its BridgeEnter
        already shows it, connect_moh.txt 2.215), and its music stops first.
        """
        if self.moh_class is not None:
            self.stop_moh()
        self.pull_pending = True
        self.priority += 1
        self._interrupt()

    def kick(self) -> None:
        """The bridge this channel waits in dissolved."""
        if self._waiter is not None:
            self._waiter.resolve(_KICKED)

    def remote_hangup(self, cause: int = 16) -> None:
        """The far end (a simulated phone) hangs up."""
        if self.hung_up or self.hangup_requested:
            return
        if self.observer is not None:
            self.observer.far_end_hangup()
        self.queue_hangup(cause)

    # ------------------------------------------------------------ waiting and DTMF
    async def wait(self, duration: float | None, digits: str = "") -> WaitResult:
        """Wait up to ``duration`` simulated seconds (None: forever) for a digit in ``digits``."""
        if self.interrupted:
            return _INTERRUPTED
        if self._waiter is not None:
            raise RuntimeError(f"{self.name}: two waits at once")
        loop = self.core.clock.loop
        waiter = _Waiter(loop.create_future(), digits)
        if duration is not None:
            waiter.timer = self.core.clock.call_later(duration, lambda: waiter.resolve(_TIMEOUT))
        self._waiter = waiter
        if digits:
            self._notify_listening()
        try:
            return await waiter.future
        finally:
            if waiter.timer is not None:
                waiter.timer.cancel()
            self._waiter = None

    @property
    def listening(self) -> bool:
        """True while a wait accepts DTMF (a simulated caller presses keys then)."""
        return self._waiter is not None and bool(self._waiter.digits)

    def _notify_listening(self) -> None:
        waiters, self._listen_waiters = self._listen_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def until_listening(self) -> None:
        """Return once the channel listens for DTMF (at once if it does now)."""
        if self.listening:
            return
        fut: asyncio.Future[None] = self.core.clock.loop.create_future()
        self._listen_waiters.append(fut)
        hangup = asyncio.ensure_future(self.wait_hangup())
        try:
            await asyncio.wait({fut, hangup}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            hangup.cancel()
            if not fut.done():
                fut.cancel()

    def receive_dtmf(self, digit: str, duration: float | None = None) -> None:
        """A key press arriving on this channel: DTMFBegin now, DTMFEnd and delivery later."""
        if self.hung_up:
            return
        length = self.core.config.timing.dtmf_duration if duration is None else duration
        self.publish(events.dtmf_begin(self, digit))
        self.core.clock.call_later(length, lambda: self._dtmf_end(digit, length))

    def _dtmf_end(self, digit: str, length: float) -> None:
        if self.hung_up:
            return
        self.publish(events.dtmf_end(self, digit, round(length * 1000)))
        if self.observer is not None:
            self.observer.pressed(digit, self.core.clock.now())
        waiter = self._waiter
        if waiter is not None and digit in waiter.digits:
            waiter.resolve(WaitResult(WaitKind.DIGIT, digit))

    # ------------------------------------------------------------ music on hold
    def start_moh(self, music_class: str) -> None:
        """``MusicOnHoldStart``."""
        if self.moh_class is not None:
            return
        self.moh_class = music_class or "default"
        self.publish(events.channel_event("MusicOnHoldStart", self, ("Class", self.moh_class)))
        if self.observer is not None:
            self.observer.heard(f"moh:{self.moh_class}")

    def stop_moh(self) -> None:
        """``MusicOnHoldStop``."""
        if self.moh_class is None:
            return
        self.moh_class = None
        self.publish(events.channel_event("MusicOnHoldStop", self))

    # ------------------------------------------------------------ caller ID
    def set_caller(self, caller: CallerId) -> None:
        """Change the caller ID (``NewCallerid``)."""
        self.caller = caller
        self.publish(events.newcallerid(self, PRES_ALLOWED if caller.num else PRES_UNAVAILABLE))

    def set_connected(self, connected: CallerId) -> None:
        """Change the connected line (``NewConnectedLine``); a Local half passes it on."""
        self.connected = connected
        self.publish(events.channel_event("NewConnectedLine", self))

    def forward_connected_to_partner(self) -> None:
        """After a bridge changed this half's connected line, the other half will see it."""
        partner = self.partner
        if partner is not None and not partner.hung_up:
            partner.pending_callerid = self.connected

    def take_pending_callerid(self) -> bool:
        """Take a caller-ID change the other Local half passed on (at a dialplan step).

        The frame is read as the step starts: its ``Newexten`` already shows the new caller
        ID and ``NewCallerid`` follows (connect_moh.txt 2.715). True when there was one;
        the caller then publishes :meth:`announce_callerid` after its event.
        """
        pending = self.pending_callerid
        if pending is None:
            return False
        self.pending_callerid = None
        self.caller = pending
        return True

    def announce_callerid(self) -> None:
        """``NewCallerid`` for the current caller ID."""
        self.publish(events.newcallerid(self, PRES_ALLOWED if self.caller.num else PRES_UNAVAILABLE))

    # ------------------------------------------------------------ variables
    def set_variable(self, name: str, value: str, *, publish: bool = True) -> None:
        """Set a channel variable (``VarSet``); ``_``/``__`` inheritance prefixes are dropped."""
        name = name.lstrip("_") or name
        if name.upper() == "CHANNEL(LANGUAGE)":
            # A function write (ast_func_write), not a variable: no VarSet; later sounds
            # and SAY commands use the new language.
            self.language = value
            return
        if value == "":
            self.variables.pop(name, None)
        else:
            self.variables[name] = value
        if publish and not self.hung_up:
            self.publish(events.varset(self, name, value))

    def get_variable(self, name: str) -> str | None:
        """A variable: built-ins, then the channel's, then globals."""
        builtin = self._builtin(name)
        if builtin is not None:
            return builtin
        value = self.variables.get(name)
        if value is not None:
            return value
        return self.core.dialplan.globals.get(name)

    def _builtin(self, name: str) -> str | None:
        match name:
            case "EXTEN":
                return self.exten
            case "CONTEXT":
                return self.context
            case "PRIORITY":
                return str(self.priority)
            case "CHANNEL":
                return self.name
            case "UNIQUEID":
                return self.uniqueid
            case "EPOCH":
                return str(int(self.core.clock.wall()))
            case "HANGUPCAUSE":
                return str(self.hangupcause)
            case "LANGUAGE":
                return self.language
        return None

    def call_function(self, name: str, args: str) -> str | None:
        """Dialplan functions that read channel or database state."""
        arg = args.strip().lower()
        match name:
            case "CALLERID":
                return {
                    "num": self.caller.num,
                    "number": self.caller.num,
                    "name": self.caller.name,
                    "all": self.caller.all(),
                    "dnid": self.dnid,
                    "ani": self.caller.num,
                }.get(arg, "")
            case "CONNECTEDLINE":
                return {
                    "num": self.connected.num,
                    "number": self.connected.num,
                    "name": self.connected.name,
                }.get(arg, "")
            case "CHANNEL":
                return {
                    "name": self.name,
                    "state": self.state.desc,
                    "language": self.language,
                    "uniqueid": self.uniqueid,
                    "linkedid": self.linkedid,
                    "context": self.context,
                    "exten": self.exten,
                }.get(arg, "")
            case "GLOBAL":
                return self.core.dialplan.globals.get(args.strip(), "")
            case "DB" | "DB_EXISTS":
                family, _, key = args.strip().partition("/")
                value = self.core.astdb.get((family, key))
                if name == "DB_EXISTS":
                    return "1" if value is not None else "0"
                return value or ""
        return None

    def goto(self, context: str | None, exten: str | None, priority: int) -> None:
        """An explicit goto from an application: the next step runs exactly there."""
        if context:
            self.context = context
        if exten:
            self.exten = exten
        self.priority = priority
        self.jumped = True


def merge_linkedids(members: list[Channel]) -> None:
    """Channels sharing a bridge take the oldest linkedid among them (connect_moh.txt)."""
    oldest = min(members, key=lambda c: c.linked_seq)
    for member in members:
        member.linkedid = oldest.linkedid
        member.linked_seq = oldest.linked_seq
