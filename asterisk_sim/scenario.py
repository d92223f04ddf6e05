"""Simulated callers: inbound calls that listen, press keys, wait, talk and hang up.

A :class:`Caller` arrives on a trunk channel (``PJSIP/trunk-0000001a``, state Ring) in a
context (default ``ivr-acd-inbound``, extension = the dialled number) and the dialplan
runs. Key presses are ordered; each is pressed either ``at`` seconds after the call was
answered, or (the default) ``after`` seconds once the channel is next listening for DTMF
(a prompt with escape digits, WAIT FOR DIGIT, GET DATA …), so a test does not depend on
prompt lengths. ``patience``: the caller hangs up if not bridged to anyone within that many
seconds of arriving (an abandon). ``talk``: once bridged, the caller hangs up after that
long unless the other side does first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from asterisk_sim.causes import Cause, State
from asterisk_sim.channel import CallerId, Channel
from asterisk_sim.core import Core
from asterisk_sim.records import CallRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Press:
    """One key press (or a run of keys, ``gap`` apart)."""

    digits: str
    after: float = 0.5
    """Seconds after the channel starts listening for DTMF (the default timing)."""
    at: float | None = None
    """If set: seconds after the call was answered, whatever the channel is doing."""
    gap: float = 0.25
    duration: float = 0.1
    when: str | None = None
    """If set: wait until the caller has heard this sound (once more than at the previous
    press), then press ``after`` seconds once the channel listens: answering one prompt
    (a callback offer) without being eaten by the music segments before it."""


@dataclass(frozen=True)
class Caller:
    """A simulated inbound caller."""

    number: str = "5550100"
    name: str = ""
    dnis: str = "5000"
    presses: Sequence[Press | str] = ()
    patience: float | None = None
    talk: float | None = None
    context: str = "ivr-acd-inbound"
    speech: float = 2.0
    """Seconds the caller speaks into a recording before falling silent."""
    trunk: str = "trunk"


def _presses(caller: Caller) -> list[Press]:
    return [Press(p) if isinstance(p, str) else p for p in caller.presses]


def place_call(core: Core, caller: Caller) -> CallRecord:
    """Start one inbound call; the record fills in as it goes."""
    core.stats.calls_placed += 1
    suffix = core.next_name_suffix("PJSIP")
    chan = Channel(
        core,
        name=f"PJSIP/{caller.trunk}-{suffix}",
        tech="PJSIP",
        device=f"PJSIP/{caller.trunk}",
        context=caller.context,
        exten=caller.dnis,
        state=State.RING,
        caller=CallerId(caller.number, caller.name),
        dnid=caller.dnis,
    )
    chan.speech = caller.speech
    record = CallRecord(
        "caller",
        chan.name,
        chan.uniqueid,
        number=caller.number,
        name=caller.name,
        dnis=caller.dnis,
        started_at=core.clock.now(),
    )
    chan.observer = record
    chan.announce()
    core.start_pbx(chan)
    core.spawn(_behave(chan, caller, record), name=f"caller {chan.name}")
    return record


async def _behave(chan: Channel, caller: Caller, record: CallRecord) -> None:
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(_press_keys(chan, _presses(caller), record))]
    if caller.patience is not None:
        tasks.append(loop.create_task(_patience(chan, caller.patience, record)))
    if caller.talk is not None:
        tasks.append(loop.create_task(_talk(chan, caller.talk, record)))
    try:
        await chan.wait_hangup()
    finally:
        for task in tasks:
            task.cancel()
        # gather re-raises if *this* task is cancelled; the children's own cancellations
        # come back as results.
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                log.error("%s: caller behaviour failed", chan.name, exc_info=result)


async def _press_keys(chan: Channel, presses: list[Press], record: CallRecord) -> None:
    clock = chan.core.clock
    heard: dict[str, int] = {}
    for press in presses:
        if press.at is not None:
            await record.answered_event.wait()
            assert record.answered_at is not None
            await clock.sleep(record.answered_at + press.at - clock.now())
        elif press.when is not None:
            await record.wait_heard(press.when, heard.get(press.when, 0))
            heard[press.when] = record.heard_sounds.count(press.when)
            await chan.until_listening()
            await clock.sleep(press.after)
        else:
            await chan.until_listening()
            await clock.sleep(press.after)
        for index, digit in enumerate(press.digits):
            if chan.hung_up:
                return
            if index:
                await clock.sleep(press.gap)
            chan.receive_dtmf(digit, press.duration)
            await clock.sleep(press.duration)


async def _patience(chan: Channel, patience: float, record: CallRecord) -> None:
    await chan.core.clock.sleep(patience)
    if not record.connected and not chan.hung_up:
        record.abandoned = True
        chan.remote_hangup(int(Cause.NORMAL_CLEARING))


async def _talk(chan: Channel, talk: float, record: CallRecord) -> None:
    await record.bridged_event.wait()
    await chan.core.clock.sleep(talk)
    chan.remote_hangup(int(Cause.NORMAL_CLEARING))
