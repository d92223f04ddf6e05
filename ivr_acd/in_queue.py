"""What a caller hears and can do while waiting in a queue (in their own AGI session).

Music plays in short segments (``SET MUSIC on`` + ``WAIT FOR DIGIT``): each segment is
interruptible by a key and ends by itself, so between segments the session can announce the
caller's position and estimated wait (fresh from the ACD, which uses the caller's own
position and the current staffing) and act on what the ACD decided (leave for the exit or
overflow destination). When an agent answers, ``Bridge()`` pulls the caller out of this
session: the AGI command returns -1 and ``HANGUP`` follows. That looks exactly like a
hang-up, so the session never decides: it reports that it ended and waits for the ACD's
verdict, which comes from AMI.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Protocol

from acd.center.core import LIMBO_TIMEOUT
from acd.center.messages import (
    CallerAgiEnded,
    CallerKey,
    Concluded,
    Connecting,
    EnqueueCall,
    Joined,
    KeyIgnored,
    Leave,
    Notice,
    NotQueued,
)
from acd.events import CallerInfo
from acd.queue_config import Announcements, Destination, QueueConfig
from configlang.values import Value
from ivr.interpreter.actions import Enqueue, QueueResult
from ivr.runner import DONE_VARIABLE, CallContext
from ivr_acd.acd_engine import AcdEngine, CallPort
from telephony.agi import commands
from telephony.agi.channel import AgiChannel, AgiHangup

log = logging.getLogger(__name__)

VERDICT_GRACE = LIMBO_TIMEOUT + 5.0
"""Seconds to wait for the ACD's verdict after the session ended (it decides within LIMBO)."""


class Offer(Protocol):
    """The callback offer (``ivr_acd.callback_offer.CallbackOffer``)."""

    def due(self, queue: QueueConfig, waited: float) -> bool:
        """Whether to make the offer now."""
        ...

    async def run(self, channel: AgiChannel, queue: QueueConfig) -> QueueResult | None:
        """Make it; a result when the caller took a callback."""
        ...


KEY_ANSWER_WITHIN = 2.0
"""Seconds the ACD has to say what a pressed key does (it answers at once in practice)."""


class InQueue:
    """One caller waiting in one queue."""

    def __init__(
        self,
        engine: AcdEngine,
        context: CallContext,
        request: Enqueue,
        *,
        clock: Callable[[], float],
        variables: Mapping[str, Value] | None = None,
        offer: Offer | None = None,
    ) -> None:
        self._engine = engine
        self._ctx = context
        self._channel = context.channel
        self._request = request
        self._clock = clock
        self._variables: Mapping[str, Value] = variables or {}
        self._offer = offer
        self._music_on = False

    async def run(self, *, attach: bool = False) -> QueueResult:
        """Wait in the queue until the call is answered or leaves; raises AgiHangup if it was not answered.

        ``attach``: the call is already in the queue (a called-back customer taking the
        place their callback kept): wait without joining again.
        """
        call_id = self._ctx.call_id
        port = self._engine.open_port(call_id)
        try:
            if attach:
                return await self._attached(port)
            return await self._run(port)
        finally:
            self._engine.close_port(call_id)

    async def _attached(self, port: CallPort) -> QueueResult:
        queue = self._engine.core.queue(self._request.queue)
        found = self._engine.position(self._ctx.call_id)
        if queue is None or found is None:
            return QueueResult("error")
        try:
            return await self._wait(port, queue, Joined(*found))
        except AgiHangup:
            self._music_on = False
            return await self._after_session(port)

    async def _run(self, port: CallPort) -> QueueResult:
        env = self._channel.env
        self._engine.post(
            EnqueueCall(
                call_id=self._ctx.call_id,
                queue=self._request.queue,
                caller=CallerInfo(
                    self._ctx.call_id, env.channel, env.uniqueid, "", env.caller_number, env.caller_name
                ),
                skills=dict(self._request.skills),
                priority=self._request.priority if self._request.priority else None,
                data={k: _text(v) for k, v in self._request.data.items()},
                variables=dict(self._variables),
            )
        )
        first = await port.get()
        if isinstance(first, NotQueued):
            return await self._destination(first.outcome, first.destination)
        queue = self._engine.core.queue(self._request.queue)
        if not isinstance(first, Joined) or queue is None:
            return QueueResult("error")
        try:
            return await self._wait(port, queue, first)
        except AgiHangup:
            self._music_on = False
            return await self._after_session(port)

    async def _wait(self, port: CallPort, queue: QueueConfig, joined: Joined) -> QueueResult:
        announce = queue.announce
        joined_at = self._clock()
        speaks = announce.frequency > 0 and (announce.position or announce.wait_time)
        next_announcement = joined_at + announce.first_after if speaks else math.inf
        while True:
            notice = port.get_nowait()
            if notice is not None:
                result = await self._on_notice(notice, port)
                if result is not None:
                    return result
                continue
            now = self._clock()
            if now >= next_announcement:
                await self._announce(announce)
                next_announcement = now + announce.frequency if announce.frequency else math.inf
            if self._offer is not None and self._offer.due(queue, now - joined_at):
                await self._music(False)
                taken = await self._offer.run(self._channel, queue)
                if taken is not None:
                    return taken
            digit = await self._segment(queue)
            if digit is not None:
                self._engine.post(CallerKey(self._ctx.call_id, digit))
                answer = await port.get(KEY_ANSWER_WITHIN)
                if answer is not None and not isinstance(answer, KeyIgnored):
                    result = await self._on_notice(answer, port)
                    if result is not None:
                        return result

    async def _on_notice(self, notice: Notice, port: CallPort) -> QueueResult | None:
        match notice:
            case Leave():
                await self._music(False)
                return await self._destination(notice.outcome, notice.destination)
            case Connecting():
                # The agent answered: Bridge() is pulling the caller out of this session. Stop
                # sending anything that could delay it; the session ends with HANGUP.
                await self._channel.wait_hangup()
                raise AgiHangup("pulled into the agent's bridge")
            case Concluded():
                return QueueResult("answered") if notice.outcome == "answered" else None
        return None

    async def _after_session(self, port: CallPort) -> QueueResult:
        """The session ended (hang-up, bridge pull, redirect): wait for the ACD's verdict."""
        self._engine.post(CallerAgiEnded(self._ctx.call_id))
        loop_until = self._clock() + VERDICT_GRACE
        while (remaining := loop_until - self._clock()) > 0:
            notice = await port.get(remaining)
            if isinstance(notice, Concluded):
                if notice.outcome == "answered":
                    return QueueResult("answered")
                break
            if notice is None:
                break
        raise AgiHangup("caller left the queue")

    async def _destination(self, outcome: str, destination: Destination) -> QueueResult:
        if destination.kind == "hangup":
            try:
                await self._channel.execute(commands.set_variable(DONE_VARIABLE, "1"))
                await self._channel.execute(commands.hangup())
            except AgiHangup:
                pass
            return QueueResult(outcome)
        return QueueResult(outcome, destination.step if destination.kind == "step" else None)

    async def _segment(self, queue: QueueConfig) -> str | None:
        await self._music(True, queue.music_class)
        reply = await self._channel.execute(commands.wait_for_digit(queue.segment))
        return reply.digit

    async def _music(self, on: bool, music_class: str = "default") -> None:
        if on == self._music_on:
            return
        await self._channel.execute(commands.set_music(on, music_class if on else None))
        self._music_on = on

    async def _announce(self, announce: Announcements) -> None:
        found = self._engine.position(self._ctx.call_id)
        if found is None:
            return
        position, estimate = found
        items: list[commands.AgiCommand] = []
        if announce.position:
            if position <= 1:
                items.append(commands.stream_file("queue-youarenext"))
            else:
                items += [
                    commands.stream_file("queue-thereare"),
                    commands.say_number(position - 1),
                    commands.stream_file("queue-callswaiting"),
                ]
        if announce.wait_time and math.isfinite(estimate):
            minutes = max(1, math.ceil(estimate / 60))
            items.append(commands.stream_file("queue-holdtime"))
            if estimate < announce.min_wait_to_announce:
                items.append(commands.stream_file("queue-less-than"))
            items += [commands.say_number(minutes), commands.stream_file("queue-minutes")]
        if not items:
            return
        await self._music(False)
        for command in [*items, commands.stream_file("queue-thankyou")]:
            await self._channel.execute(command)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
