"""Runs a dialplan on one FastAGI channel: the interpreter's actions become AGI commands.

The interpreter (:class:`ivr.interpreter.machine.Machine`) is pure; this adapter owns the
channel. For each command it sends the AGI commands that carry it out, turns the replies
into the interpreter's input, and hands path events and the end of the run to the
services the daemon provides (records, the ACD, HTTP).

Hang-ups: an :class:`~telephony.agi.channel.AgiHangup` from any command becomes
``CallerHungUp``, which ends the run at once with the step recorded. Whether the caller
really hung up, or was pulled into a bridge, is the ACD's business (AMI tells), not ours.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from acd.records import PathEvent as RecordedPathEvent
from configlang.values import Value
from ivr.interpreter.actions import (
    Action,
    BookCallback,
    CallbackResult,
    CallerHungUp,
    Command,
    Dial,
    DialResult,
    DigitResult,
    Done,
    Enqueue,
    Finished,
    Hangup,
    HttpRequest,
    HttpResult,
    Input,
    PathEvent,
    Play,
    PlayDone,
    PlayItem,
    QueueResult,
    Record,
    RecordResult,
    SayDateTime,
    SayDigits,
    SayNumber,
    SetLanguage,
    SetVariable,
    Sound,
    Start,
    WaitDigit,
)
from ivr.interpreter.machine import Machine
from telephony.agi import commands
from telephony.agi.channel import AgiChannel, AgiHangup

log = logging.getLogger(__name__)

DONE_VARIABLE = "IVR_ACD_DONE"
"""Set to 1 when the daemon ends a call on purpose; asterisk/extensions_ivr_acd.conf sends a
caller whose AGI returned without it to the fallback (the daemon failed or was unreachable)."""

SAMPLE_RATE = 8000  # endpos and RECORD FILE positions are in 8 kHz samples


@dataclass
class CallContext:
    """What the runner knows about its call, shared with the services."""

    call_id: str
    channel: AgiChannel
    dialplan: str
    started_at: float
    path: list[RecordedPathEvent] = field(default_factory=list)
    survey_score: int | None = None
    last_step: str = ""
    variables: Mapping[str, Value] = field(default_factory=dict)
    """The dialplan's variables when the call was queued or booked a callback (the queue's
    priority rules read them)."""

    @property
    def caller_number(self) -> str:
        """The caller ID number ("" when withheld)."""
        return self.channel.env.caller_number


@dataclass(frozen=True)
class RecordingSaved:
    """A recording the caller left (voicemail, suggestion line)."""

    folder: str
    path: str
    seconds: float
    tag: str
    metadata: dict[str, str]


class RunnerServices(Protocol):
    """What the daemon provides to every dialplan run."""

    recordings_path: str
    """Where recordings go, as a path on the Asterisk machine (RECORD FILE writes there)."""

    async def http(self, request: HttpRequest) -> HttpResult:
        """Run a lookup."""
        ...

    async def enqueue(self, context: CallContext, request: Enqueue) -> QueueResult:
        """Hand the call to the ACD; returns when it has left the queue (or was answered)."""
        ...

    async def callback(self, context: CallContext, request: BookCallback) -> CallbackResult:
        """Let the caller book a callback on the channel (number, time); returns once the
        request is stored and the caller has heard the outcome."""
        ...

    async def recording_saved(self, context: CallContext, recording: RecordingSaved) -> None:
        """Store what a recording step produced."""
        ...

    async def finished(self, context: CallContext, finished: Finished | None) -> None:
        """The run is over (``None``: it ended abnormally); write the call's IVR part."""
        ...


class DialplanRunner:
    """One dialplan run on one channel."""

    def __init__(
        self,
        machine: Machine,
        context: CallContext,
        services: RunnerServices,
        *,
        clock: Callable[[], float],
        draw: Callable[[], float] | None = None,
        dialplan_clock: Callable[[], float] | None = None,
    ) -> None:
        self._machine = machine
        self._ctx = context
        self._channel = context.channel
        self._services = services
        self._clock = clock
        self._draw = draw or random.random
        # What time the dialplan sees (hours, time.* variables); records keep real time.
        # Only the demo sets it, to run the example's business hours on a Sunday.
        self._dialplan_clock = dialplan_clock or clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._dialplan_clock(), UTC)

    async def run(self) -> None:
        """Run to the end; never raises for a hang-up."""
        env = self._channel.env
        start = Start(
            caller_number=env.caller_number,
            caller_name=env.caller_name,
            dnis=env.query.get("dnis") or env.dialled_number,
            uniqueid=env.uniqueid,
            channel=env.channel,
            language=env.language,
            request=env.query,
        )
        finished: Finished | None = None
        try:
            await self._answer()
            actions = self._machine.feed(start, now=self._now(), draw=self._draw)
            while True:
                command, finished, hangup = self._notices(actions)
                if hangup:
                    await self._hangup()
                if finished is not None or command is None:
                    break
                reply = await self._carry_out(command)
                actions = self._machine.feed(reply, now=self._now(), draw=self._draw)
        finally:
            await self._services.finished(self._ctx, finished)

    async def _answer(self) -> None:
        """Answer the channel: AGI never does it, and an unanswered caller hears no prompt
        (a no-op on a channel already up, as after a queue's agent hung up)."""
        with contextlib.suppress(AgiHangup):  # the caller is gone: the first command will say so
            await self._channel.execute(commands.answer())

    def _notices(self, actions: Sequence[Action]) -> tuple[Command | None, Finished | None, bool]:
        """Record path events; return the pending command, the end (if any) and a hang-up flag."""
        command: Command | None = None
        finished: Finished | None = None
        hangup = False
        now = self._clock()
        for action in actions:
            if isinstance(action, PathEvent):
                # Steps of sub-dialplans are named dialplan:step, as Finished.last_step names them.
                own = not action.dialplan or action.dialplan == self._ctx.dialplan
                step = action.step if own else f"{action.dialplan}:{action.step}"
                self._ctx.path.append(RecordedPathEvent(now, action.kind, step, action.detail))
                self._ctx.last_step = step
                score = action.detail.rpartition("=")[2]  # "<survey name>=<score>"
                if action.kind == "survey_score" and score.isdigit():
                    self._ctx.survey_score = int(score)
            elif isinstance(action, Hangup):
                hangup = True
            elif isinstance(action, Finished):
                finished = action
            else:
                command = action
        return command, finished, hangup

    async def _carry_out(self, command: Command) -> Input:
        try:
            match command:
                case Play():
                    return PlayDone(await self._play(command.items, command.escape_digits))
                case WaitDigit():
                    reply = await self._channel.execute(commands.wait_for_digit(command.timeout))
                    if reply.failed:
                        # -1 is a hang-up, not a timeout (0): the caller must not be taken
                        # past the step with what was typed so far.
                        raise AgiHangup("WAIT FOR DIGIT failed: the channel hung up", reply)
                    return DigitResult(reply.digit)
                case SetLanguage():
                    await self._channel.execute(commands.set_variable("CHANNEL(language)", command.language))
                    return Done()
                case SetVariable():
                    await self._channel.execute(commands.set_variable(command.name, command.value))
                    return Done()
                case HttpRequest():
                    return await self._services.http(command)
                case Enqueue():
                    self._ctx.variables = dict(self._machine.variables)
                    return await self._services.enqueue(self._ctx, command)
                case BookCallback():
                    self._ctx.variables = dict(self._machine.variables)
                    return await self._services.callback(self._ctx, command)
                case Dial():
                    return await self._dial(command)
                case Record():
                    return await self._record(command)
        except AgiHangup:
            return CallerHungUp()
        raise AssertionError(f"unhandled interpreter command {command!r}")  # pragma: no cover

    async def _play(self, items: tuple[PlayItem, ...], escape: str) -> str | None:
        for item in items:
            reply = await self._channel.execute(_play_command(item, escape))
            if reply.failed:
                if self._channel.hungup:
                    # Stop here: after the last item, carrying on would take the caller into
                    # the next step.
                    raise AgiHangup("playback failed: the channel hung up", reply)
                # A missing sound file also answers -1; if the caller is gone and Asterisk's
                # HANGUP is still on its way, the next command raises AgiHangup.
                log.warning(
                    "agi playback failed channel=%s item=%s", self._channel.env.channel, _describe(item)
                )
            digit = reply.digit
            if digit is not None and digit in escape:
                return digit
        return None

    async def _dial(self, dial: Dial) -> DialResult:
        # AgiHangup: the caller hung up, while it rang or after talking; DIALSTATUS tells which.
        with contextlib.suppress(AgiHangup):
            await self._channel.execute(
                commands.exec_app("Dial", f"{dial.target},{round(dial.timeout)}"), timeout=None
            )
        # GET VARIABLE still works on a dead channel: a caller who hung up after the transfer
        # was answered was transferred all the same.
        reply = await self._channel.execute(commands.get_variable("DIALSTATUS"), after_hangup=True)
        status = (reply.data or "CHANUNAVAIL").upper()
        if status != "ANSWER" and (status == "CANCEL" or self._channel.hungup):
            raise AgiHangup("the caller hung up before the transfer was answered")
        return DialResult(status)

    async def _record(self, record: Record) -> RecordResult:
        base = self._services.recordings_path.rstrip("/")
        path = f"{base}/{record.folder}/{record.name}"
        command = commands.record_file(
            path, record.fmt, "#", record.max_seconds, beep=record.beep, silence=record.silence or None
        )
        try:
            reply = await self._channel.execute(command)
        except AgiHangup as exc:
            if exc.reply is None:
                raise
            reply = exc.reply
        seconds = (reply.endpos or 0) / SAMPLE_RATE
        # Most callers end a message by hanging up: RECORD FILE then answers
        # "-1 (hangup)" and Asterisk keeps the file with what was said.
        caller_left = reply.data == "hangup" or self._channel.hungup
        saved = reply.code == 200 and (not reply.failed or (caller_left and seconds > 0))
        if saved:
            await self._services.recording_saved(
                self._ctx,
                RecordingSaved(
                    record.folder, f"{path}.{record.fmt}", seconds, record.tag, dict(record.metadata)
                ),
            )
        if caller_left:
            raise AgiHangup("the caller hung up during the recording")
        return RecordResult(ok=saved, seconds=seconds)

    async def _hangup(self) -> None:
        try:
            await self._channel.execute(commands.set_variable(DONE_VARIABLE, "1"))
            await self._channel.execute(commands.hangup())
        except AgiHangup:
            pass  # already gone: what we wanted


def _play_command(item: PlayItem, escape: str) -> commands.AgiCommand:
    match item:
        case Sound():
            return commands.stream_file(item.name, escape)
        case SayNumber():
            return commands.say_number(item.value, escape)
        case SayDigits():
            return commands.say_digits(item.digits, escape)
        case SayDateTime():
            return commands.say_datetime(item.epoch, escape, tz=item.tz)


def _describe(item: PlayItem) -> str:
    match item:
        case Sound():
            return item.name
        case SayNumber():
            return "say-number"
        case SayDigits():
            return "say-digits"  # never the digits: they may be an account number
        case SayDateTime():
            return "say-datetime"
