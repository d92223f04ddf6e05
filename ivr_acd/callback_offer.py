"""Callbacks booked by a caller on the line: the in-queue offer, and a dialplan's ``callback`` step.

Both go through one flow (:class:`CallbackBooking`), in the caller's AGI session:

1. the number: their caller ID read back for confirmation (1 yes, 2 another), or keyed in
   (an anonymous or unusable caller ID must key one in), checked against the queue's rules;
2. optionally when (the queue's ``slots: true``): as soon as possible, or one of the next
   free hours in callback hours;
3. the request goes to the ACD, which stores it **before** we say anything (a duplicate —
   the same number already pending in this queue — keeps its earlier place, and the caller
   is told so);
4. the confirmation.

They differ in what comes around it:

- **The offer** (:class:`CallbackOffer`), when the queue's policy says so (estimate, time
  waited, repeat interval, callback hours), is heard between two music segments ("press 1 to
  be called back"). The request names the live call, so it keeps the caller's place; then the
  line is released (the dialplan's ``on: {callback: …}``). If anything fails (bad number
  three times, storage error), the caller simply keeps waiting, in the same place.
- **The step** (:func:`book_callback`) has no offer prompt and no live call: the request
  joins the queue now, ranked by the queue's priority rules on the dialplan's variables.
  Any failure — callbacks off or closed for the queue, no valid number, a refusal or a
  storage error — is told to the caller and reported as ``failed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Literal

from acd.callback_policy import CallbackPolicy
from acd.commands import RequestCallback
from acd.queue_config import QueueConfig
from configlang.values import Value
from ivr.interpreter.actions import CallbackResult, QueueResult
from ivr_acd.acd_engine import AcdEngine
from telephony.agi import commands
from telephony.agi.channel import AgiChannel

log = logging.getLogger(__name__)

OFFER = "custom/callback-offer"
NUMBER_IS = "custom/callback-number-is"
CONFIRM_NUMBER = "custom/callback-1-to-confirm-2-for-another"
ENTER_NUMBER = "custom/callback-enter-number"
INVALID_NUMBER = "custom/callback-invalid-number"
WHEN = "custom/callback-1-now-2-later"
SLOT_PRESS = "custom/callback-press"
SLOT_FOR = "custom/callback-for"
CONFIRMED = "custom/callback-confirmed"
AT = "custom/callback-at"
ALREADY = "custom/callback-already-pending"
FAILED = "custom/callback-failed"

KEY_WAIT = 5.0
DIGIT_TIMEOUT = 6.0
ATTEMPTS = 3

Booking = Literal["booked", "duplicate", "no_number", "refused"]
"""How a booking ended: stored (and confirmed), an earlier request kept (and the caller told),
no valid number given, or the ACD refused or could not store it (the caller not told yet)."""


class CallbackBooking:
    """Number, time, request, confirmation: the flow both the offer and the step run.

    ``call_id``: the live call asking from a queue (its place is kept); None from a dialplan
    step. ``variables``: the dialplan's variables, for the queue's priority rules (step only).
    """

    def __init__(
        self,
        engine: AcdEngine,
        *,
        clock: Callable[[], float],
        call_id: str | None = None,
        variables: Mapping[str, Value] | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._call_id = call_id
        self._variables = variables

    async def run(self, channel: AgiChannel, queue: QueueConfig) -> Booking:
        """Run the flow once on ``channel`` for ``queue``."""
        policy = queue.callback
        number = await self._number(channel, policy)
        if number is None:
            return "no_number"
        not_before = await self._slot(channel, policy) if policy.slots else None
        result = await self._engine.command(
            RequestCallback(
                number,
                queue.name,
                channel.env.caller_name,
                not_before,
                source="ivr",
                call_id=self._call_id,
                variables=self._variables,
            )
        )
        if not result.ok:
            call = self._call_id or channel.env.uniqueid
            log.warning("callback refused call=%s queue=%s reason=%s", call, queue.name, result.message)
            return "refused"
        if result.duplicate:
            await channel.execute(commands.stream_file(ALREADY))
            return "duplicate"
        await channel.execute(commands.stream_file(CONFIRMED))
        await channel.execute(commands.say_digits(number.removeprefix("+")))
        if not_before is not None:
            await channel.execute(commands.stream_file(AT))
            await channel.execute(commands.say_datetime(int(not_before), tz=_zone(policy)))
        return "booked"

    async def _number(self, channel: AgiChannel, policy: CallbackPolicy) -> str | None:
        caller = channel.env.caller_number
        if caller and policy.number.check(caller) is None:
            await channel.execute(commands.stream_file(NUMBER_IS))
            await channel.execute(commands.say_digits(caller.removeprefix("+")))
            if await _ask_key(channel, CONFIRM_NUMBER, "12") == "1":
                return caller
        for _ in range(ATTEMPTS):
            reply = await channel.execute(
                commands.get_data(ENTER_NUMBER, DIGIT_TIMEOUT, policy.number.max_length)
            )
            keyed = reply.result or ""
            if keyed.isdigit() and policy.number.check(keyed) is None:
                return keyed
            await channel.execute(commands.stream_file(INVALID_NUMBER))
        return None

    async def _slot(self, channel: AgiChannel, policy: CallbackPolicy) -> float | None:
        if await _ask_key(channel, WHEN, "12") != "2":
            return None
        slots = policy.slots_after(self._clock())
        if not slots:
            return None
        for index, slot in enumerate(slots, 1):
            await channel.execute(commands.stream_file(SLOT_PRESS))
            await channel.execute(commands.say_number(index))
            await channel.execute(commands.stream_file(SLOT_FOR))
            await channel.execute(commands.say_datetime(int(slot), tz=_zone(policy)))
        choice = (await channel.execute(commands.wait_for_digit(KEY_WAIT))).digit
        if choice is not None and choice.isdigit() and 1 <= int(choice) <= len(slots):
            return slots[int(choice) - 1]
        return None


class CallbackOffer:
    """Offers callbacks to one waiting caller (see the module docstring)."""

    def __init__(self, engine: AcdEngine, call_id: str, *, clock: Callable[[], float]) -> None:
        self._engine = engine
        self._call_id = call_id
        self._clock = clock
        self._last_offer: float | None = None
        self._booking = CallbackBooking(engine, clock=clock, call_id=call_id)

    def due(self, queue: QueueConfig, waited: float) -> bool:
        """Whether the caller should hear the offer now."""
        found = self._engine.position(self._call_id)
        if found is None:
            return False
        return queue.callback.should_offer(waited, found[1], self._clock(), self._last_offer)

    async def run(self, channel: AgiChannel, queue: QueueConfig) -> QueueResult | None:
        """Offer once; a result when the caller took a callback, None to keep waiting."""
        self._last_offer = self._clock()
        if await _ask_key(channel, OFFER, queue.callback.key) != queue.callback.key:
            return None
        match await self._booking.run(channel, queue):
            case "booked" | "duplicate":
                return QueueResult("callback")
            case "refused":
                await channel.execute(commands.stream_file(FAILED))
        return None


async def book_callback(
    engine: AcdEngine,
    channel: AgiChannel,
    queue_name: str,
    *,
    clock: Callable[[], float],
    variables: Mapping[str, Value],
) -> CallbackResult:
    """A dialplan's ``callback`` step: book without an offer prompt and without a live call."""
    queue = engine.core.queue(queue_name)
    if queue is None or not queue.callback.enabled or not queue.callback.open_at(clock()):
        # Lint refuses a step naming a queue without callbacks; a reload or callback hours
        # can still make it so while a call runs.
        log.info("callback step: queue %s takes no callbacks now call=%s", queue_name, channel.env.uniqueid)
    else:
        booking = CallbackBooking(engine, clock=clock, variables=variables)
        match await booking.run(channel, queue):
            case "booked" | "duplicate" as outcome:
                return CallbackResult(outcome)
    await channel.execute(commands.stream_file(FAILED))
    return CallbackResult("failed")


async def _ask_key(channel: AgiChannel, prompt: str, keys: str) -> str | None:
    """Play ``prompt`` (interruptible by ``keys``), then wait a little: the key, or None."""
    reply = await channel.execute(commands.stream_file(prompt, keys))
    digit = reply.digit
    if digit is None:
        digit = (await channel.execute(commands.wait_for_digit(KEY_WAIT))).digit
    return digit if digit is not None and digit in keys else None


def _zone(policy: CallbackPolicy) -> str | None:
    return policy.hours.timezone if policy.hours is not None else None
