"""The callback offer, in the waiting caller's AGI session.

When the queue's policy says so (estimate, time waited, repeat interval, callback hours),
the caller hears the offer between two music segments. Taking it:

1. the number: their caller ID read back for confirmation (1 yes, 2 another), or keyed in
   (an anonymous or unusable caller ID must key one in), checked against the queue's rules;
2. optionally when: as soon as possible, or one of the next free hours in callback hours;
3. the request goes to the ACD, which stores it **before** we say anything (a duplicate —
   the same number already pending in this queue — keeps its earlier place, and the caller
   is told so);
4. the confirmation, then the line is released (the dialplan's ``on: {callback: …}``).

If anything fails (bad number three times, storage error), the caller simply keeps
waiting, in the same place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from acd.callback_policy import CallbackPolicy
from acd.commands import RequestCallback
from acd.queue_config import QueueConfig
from ivr.interpreter.actions import QueueResult
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


class CallbackOffer:
    """Offers callbacks to one waiting caller (see the module docstring)."""

    def __init__(self, engine: AcdEngine, call_id: str, *, clock: Callable[[], float]) -> None:
        self._engine = engine
        self._call_id = call_id
        self._clock = clock
        self._last_offer: float | None = None

    def due(self, queue: QueueConfig, waited: float) -> bool:
        """Whether the caller should hear the offer now."""
        found = self._engine.position(self._call_id)
        if found is None:
            return False
        return queue.callback.should_offer(waited, found[1], self._clock(), self._last_offer)

    async def run(self, channel: AgiChannel, queue: QueueConfig) -> QueueResult | None:
        """Offer once; a result when the caller took a callback, None to keep waiting."""
        policy = queue.callback
        self._last_offer = self._clock()
        if await self._key(channel, OFFER, policy.key) != policy.key:
            return None
        number = await self._number(channel, policy)
        if number is None:
            return None
        not_before = await self._slot(channel, policy) if policy.slots else None
        result = await self._engine.command(
            RequestCallback(
                number, queue.name, channel.env.caller_name, not_before, source="ivr", call_id=self._call_id
            )
        )
        if not result.ok:
            log.warning(
                "callback refused call=%s queue=%s reason=%s", self._call_id, queue.name, result.message
            )
            await channel.execute(commands.stream_file(FAILED))
            return None
        if result.duplicate:
            await channel.execute(commands.stream_file(ALREADY))
        else:
            await channel.execute(commands.stream_file(CONFIRMED))
            await channel.execute(commands.say_digits(number.removeprefix("+")))
            if not_before is not None:
                await channel.execute(commands.stream_file(AT))
                zone = policy.hours.timezone if policy.hours is not None else None
                await channel.execute(commands.say_datetime(int(not_before), tz=zone))
        return QueueResult("callback")

    async def _key(self, channel: AgiChannel, prompt: str, keys: str) -> str | None:
        reply = await channel.execute(commands.stream_file(prompt, keys))
        digit = reply.digit
        if digit is None:
            digit = (await channel.execute(commands.wait_for_digit(KEY_WAIT))).digit
        return digit if digit is not None and digit in keys else None

    async def _number(self, channel: AgiChannel, policy: CallbackPolicy) -> str | None:
        caller = channel.env.caller_number
        if caller and policy.number.check(caller) is None:
            await channel.execute(commands.stream_file(NUMBER_IS))
            await channel.execute(commands.say_digits(caller.removeprefix("+")))
            choice = await self._key(channel, CONFIRM_NUMBER, "12")
            if choice == "1":
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
        if await self._key(channel, WHEN, "12") != "2":
            return None
        slots = policy.slots_after(self._clock())
        if not slots:
            return None
        zone = policy.hours.timezone if policy.hours is not None else None
        for index, slot in enumerate(slots, 1):
            await channel.execute(commands.stream_file(SLOT_PRESS))
            await channel.execute(commands.say_number(index))
            await channel.execute(commands.stream_file(SLOT_FOR))
            await channel.execute(commands.say_datetime(int(slot), tz=zone))
        choice = (await channel.execute(commands.wait_for_digit(KEY_WAIT))).digit
        if choice is not None and choice.isdigit() and 1 <= int(choice) <= len(slots):
            return slots[int(choice) - 1]
        return None
