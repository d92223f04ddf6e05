"""The ACD engine: the one task that owns the call centre core, and the effects it executes.

Everything that changes ACD state becomes a message in one inbox: FastAGI sessions (a
caller queued, pressed a key, left), AMI events, timers, supervisor commands. One task
takes them in order and applies them to the pure core (:class:`acd.center.core.CallCenter`),
then carries out the effects: AMI actions as tasks of their own (their answers come back
as messages), records handed to the storage writer, queue_log lines, notices to the
waiting caller's session, events to supervisor adapters. Nothing here blocks: a slow AMI
or a slow disk never delays the next message.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from acd.center.core import CallCenter
from acd.center.messages import (
    AgentRequest,
    AmiEvent,
    CallbackStored,
    CancelTimer,
    ChannelsAlive,
    Effect,
    HangupChannel,
    Message,
    Notice,
    Notify,
    Originate,
    OriginateQueued,
    Publish,
    Reply,
    SetTimer,
    Store,
    TimerFired,
    WriteQueueLog,
)
from acd.commands import Command, CommandResult, RequestCallback
from acd.events import AcdEvent
from acd.records import AnyRecord, CallRecord
from acd.snapshot import CenterSnapshot
from ivr_acd.storage.writer import StorageError
from telephony.ami.errors import AmiError
from telephony.ami.message import AmiMessage, action

log = logging.getLogger(__name__)

YIELD_EVERY = 50
"""Messages the engine applies in a row before letting the event loop run other tasks."""

# AMI events the core reads; everything else is dropped before it reaches the inbox.
INTERESTING_EVENTS = frozenset(
    {"OriginateResponse", "Newchannel", "BridgeEnter", "Hangup", "HangupRequest", "SoftHangupRequest"}
)


class AmiSender(Protocol):
    """The part of :class:`telephony.ami.client.AmiClient` the engine uses."""

    async def send_action(self, message: AmiMessage, *, timeout: float | None = None) -> object:  # noqa: ASYNC109 (AmiClient's signature)
        """Send an action and wait for its result."""
        ...


class RecordSink(Protocol):
    """The part of the storage writer the engine uses."""

    def submit(self, record: AnyRecord) -> None:
        """Queue a record for the next batch."""
        ...

    async def write(self, record: AnyRecord) -> None:
        """Store a record; returns once it is committed (raises if it could not be)."""
        ...


class LineSink(Protocol):
    """The queue_log file."""

    def write(self, line: str) -> None:
        """Append a line."""
        ...


class CallPort:
    """A waiting caller's session listens here for what the ACD decides about its call."""

    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        self._notices: asyncio.Queue[Notice] = asyncio.Queue()

    def put(self, notice: Notice) -> None:
        """Deliver a notice (from the engine task)."""
        self._notices.put_nowait(notice)

    async def get(self, within: float | None = None) -> Notice | None:
        """The next notice, or None after ``within`` seconds."""
        try:
            async with asyncio.timeout(within):
                return await self._notices.get()
        except TimeoutError:
            return None

    def get_nowait(self) -> Notice | None:
        """A notice already delivered, if any."""
        try:
            return self._notices.get_nowait()
        except asyncio.QueueEmpty:
            return None


class AcdEngine:
    """Owns the core; implements :class:`acd.commands.CenterPort` for supervisor adapters."""

    def __init__(
        self,
        core: CallCenter,
        *,
        ami: AmiSender | None = None,
        records: RecordSink | None = None,
        queue_log: LineSink | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.core = core
        self._ami = ami
        self._records = records
        self._queue_log = queue_log
        self._clock = clock
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._ports: dict[str, CallPort] = {}
        self._subscribers: list[Callable[[AcdEvent], None]] = []
        self._replies: dict[int, asyncio.Future[CommandResult]] = {}
        self._tokens = itertools.count(1)
        self._background: set[asyncio.Task[None]] = set()
        self.handled = 0
        """Messages applied (for /metrics and the benchmark)."""
        self.on_record: Callable[[CallRecord], None] | None = None
        """Called with each call record as it is stored (the demo's live view)."""

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Start the engine task and apply the start-of-run effects (agents logged in at start)."""
        self._execute(self.core.start(self._clock()))
        self._task = asyncio.create_task(self._run(), name="acd-engine")

    async def flush_calls(self) -> None:
        """Write the records of calls still in progress (the daemon is stopping)."""
        await self.idle()
        self._execute(self.core.shutdown(self._clock()))

    async def close(self) -> None:
        """Stop the task, cancel timers and background actions."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    def post(self, message: Message) -> None:
        """Queue a message for the engine task (never blocks)."""
        self._inbox.put_nowait(message)

    async def idle(self) -> None:
        """Wait until every message posted so far has been applied (tests, drain)."""
        await self._inbox.join()

    async def _run(self) -> None:
        applied = 0
        while True:
            if applied >= YIELD_EVERY and not self._inbox.empty():
                # Queue.get() returns without suspending while messages are waiting: after a
                # burst (a reconnection's resync, thousands of calls ending at once) the loop
                # would run nothing else until the inbox is empty. Let FastAGI replies through.
                applied = 0
                await asyncio.sleep(0)
            message = await self._inbox.get()
            applied += 1
            try:
                effects = self.core.handle(message, self._clock())
            except Exception:
                # A bug in the core must not stop every other call: log it with the
                # message and go on with the next.
                log.exception("acd core failed on message=%s", type(message).__name__)
                effects = []
            self.handled += 1
            self._execute(effects)
            self._inbox.task_done()

    # ---------------------------------------------------------------- effects

    def _execute(self, effects: list[Effect]) -> None:
        for effect in effects:
            try:
                self._one(effect)
            except Exception:
                log.exception("acd effect failed effect=%s", type(effect).__name__)

    def _one(self, effect: Effect) -> None:
        match effect:
            case Notify():
                port = self._ports.get(effect.call_id)
                if port is not None:
                    port.put(effect.notice)
            case Store():
                if self._records is not None:
                    self._records.submit(effect.record)
                if isinstance(effect.record, CallRecord) and self.on_record is not None:
                    self.on_record(effect.record)
            case WriteQueueLog():
                if self._queue_log is not None:
                    self._queue_log.write(effect.line)
            case Publish():
                for handler in list(self._subscribers):
                    try:
                        handler(effect.event)
                    except Exception:
                        log.exception("acd subscriber failed event=%s", type(effect.event).__name__)
            case SetTimer():
                self._set_timer(effect.key, effect.at)
            case CancelTimer():
                handle = self._timers.pop(effect.key, None)
                if handle is not None:
                    handle.cancel()
            case Originate():
                self._spawn(self._originate(effect), f"originate {effect.attempt_id}")
            case HangupChannel():
                self._spawn(self._hangup(effect), f"hangup {effect.channel}")
            case Reply():
                future = self._replies.pop(effect.token, None)
                if future is not None and not future.done():
                    future.set_result(effect.result)

    def _set_timer(self, key: tuple[str, str], at: float) -> None:
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        delay = max(0.0, at - self._clock())

        def fire() -> None:
            self._timers.pop(key, None)
            self.post(TimerFired(key))

        self._timers[key] = asyncio.get_running_loop().call_later(delay, fire)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _originate(self, effect: Originate) -> None:
        if self._ami is None:
            self.post(OriginateQueued(effect.attempt_id, False, "no AMI connection"))
            return
        message = action(
            "Originate",
            [("Variable", f"{name}={value}") for name, value in effect.variables],
            ActionID=effect.attempt_id,
            Channel=effect.channel,
            ChannelId=effect.channel_id,
            Context=effect.context,
            Exten=effect.exten,
            Priority=1,
            Timeout=round(effect.timeout * 1000),
            CallerID=effect.caller_id,
            Async="true",
        )
        try:
            result = await self._ami.send_action(message)
        except AmiError as exc:
            # Never re-sent: if it may have run, the ring timer and the resync after the
            # reconnect settle the agent leg.
            self.post(OriginateQueued(effect.attempt_id, False, str(exc)))
            return
        ok = bool(getattr(result, "ok", False))
        self.post(OriginateQueued(effect.attempt_id, ok, str(getattr(result, "message", ""))))

    async def _hangup(self, effect: HangupChannel) -> None:
        if self._ami is None:
            return
        with contextlib.suppress(AmiError):
            await self._ami.send_action(action("Hangup", Channel=effect.channel, Cause=effect.cause))

    # ---------------------------------------------------------------- AMI in

    def on_ami_event(self, message: AmiMessage) -> None:
        """The AMI client's event handler: forward what the core reads (never blocks)."""
        if message.name in INTERESTING_EVENTS:
            self.post(AmiEvent(message))

    async def resync(self, ami: object) -> None:
        """After every AMI (re)connect: tell the core which channels still exist."""
        send = getattr(ami, "send_action", None)
        if send is None:
            return
        try:
            result = await send(action("CoreShowChannels"))
        except AmiError as exc:
            log.warning("acd resync failed error=%s", exc)
            return
        uniqueids = frozenset(e.get("Uniqueid") or "" for e in getattr(result, "events", ()))
        self.post(ChannelsAlive(uniqueids))

    # ---------------------------------------------------------------- sessions of waiting callers

    def open_port(self, call_id: str) -> CallPort:
        """Where the ACD's notices about ``call_id`` will arrive."""
        port = CallPort(call_id)
        self._ports[call_id] = port
        return port

    def close_port(self, call_id: str) -> None:
        """The session is gone; later notices are dropped."""
        self._ports.pop(call_id, None)

    def position(self, call_id: str) -> tuple[int, float] | None:
        """A waiting call's current position and estimate (read straight from the core)."""
        return self.core.position(call_id)

    # ---------------------------------------------------------------- CenterPort

    def snapshot(self) -> CenterSnapshot:
        """The contact centre now."""
        return self.core.snapshot(self._clock())

    def subscribe(self, handler: Callable[[AcdEvent], None]) -> Callable[[], None]:
        """Receive every event; returns the unsubscriber."""
        self._subscribers.append(handler)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(handler)

        return remove

    async def command(self, command: Command) -> CommandResult:
        """Apply a command through the engine task (so it is ordered with everything else)."""
        if isinstance(command, RequestCallback):
            return await self.request_callback(command)
        return await self._apply(command)

    async def request_callback(self, request: RequestCallback) -> CommandResult:
        """Plan, store, then activate a callback: it is on disk before anyone is told it exists."""
        planned = await self._apply(request)
        if not planned.ok or planned.duplicate or planned.reference is None:
            return planned
        record = self.core.planned_callback(planned.reference)
        if record is None:  # pragma: no cover - planned just now by the same task
            return CommandResult(False, "callback vanished before it was stored")
        try:
            if self._records is None:
                raise StorageError("no database")
            await self._records.write(record)
        except StorageError as exc:
            log.error("callback not stored callback=%s error=%s", planned.reference, exc)
            self.post(CallbackStored(planned.reference, False))
            return CommandResult(False, "the callback could not be stored")
        self.post(CallbackStored(planned.reference, True))
        return CommandResult(True, "callback registered", planned.reference)

    async def _apply(self, command: Command) -> CommandResult:
        token = next(self._tokens)
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._replies[token] = future
        self.post(AgentRequest(command, token))
        try:
            return await future
        finally:
            self._replies.pop(token, None)
