"""The dialplan's ``callback`` step end to end: the real daemon, the simulator, over TCP.

A caller picks "2: call me back" in a menu, never joining the queue: they confirm their caller
ID or key another number (an anonymous caller must key one), maybe pick a later time, and the
request is stored before they hear the confirmation. It then waits in the queue as a virtual
caller from the moment it was booked and is dialled agent first once an agent logs in.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from acd.commands import AgentLogin
from acd.records import CallbackRecord, CallbackStatus, CallOutcome
from asterisk_sim import Caller, DeviceBehaviour, Press
from asterisk_sim import CallRecord as SimCall
from ivr_acd.storage.rows import CALLBACK_SELECT, callback_from_row
from telephony.ami.message import AmiMessage
from tests.e2e.harness import SAFETY, Center, running_center

DIALPLAN = """\
dialplan: main
numbers: ["5000"]
steps:
  vip:
    set: {customer.vip: 'caller.number == "5551234"'}
  menu:
    menu: {prompt: custom/menu, options: {"2": call-me}, timeout: 3, on_failure: bye}
  call-me:
    callback: {queue: support, on: {duplicate: already, failed: sorry}}
    next: thanks
  thanks:
    play: custom/thanks-we-will-call
    next: bye
  already:
    play: custom/you-are-already-booked
    next: bye
  sorry:
    play: custom/sorry-no-callback
    next: bye
  bye:
    hangup:
"""
AGENTS = 'agents:\n  - {id: "1001", name: Alice, device: PJSIP/1001, pin: "1111"}\n'
CUSTOMER = "PJSIP/5551234@trunk"
CONFIRM = "custom/callback-1-to-confirm-2-for-another"
ENTER = "custom/callback-enter-number"


def queues(**callback: str) -> str:
    """The support queue: callbacks on (numbers of 6 to 12 digits), a VIP priority rule."""
    policy = {"offer": "always", "number": "{min_length: 6, max_length: 12}", "retry_delay": "0.3"}
    policy.update(callback)
    body = ", ".join(f"{key}: {value}" for key, value in policy.items())
    return (
        "queues:\n"
        "  support:\n"
        "    {ring_timeout: 4, wrap_up: 0.2, segment: 1, announce: {frequency: 0},\n"
        '     priority: {base: 2, rules: [{if: "customer.vip == true", priority: 10}]},\n'
        f"     callback: {{{body}}}}}\n"
    )


def callbacks(center: Center) -> list[CallbackRecord]:
    with contextlib.closing(sqlite3.connect(center.daemon.settings.database)) as conn:
        return [callback_from_row(row) for row in conn.execute(CALLBACK_SELECT + " ORDER BY requested_at")]


def attempts(center: Center) -> list[tuple[int, str]]:
    with contextlib.closing(sqlite3.connect(center.daemon.settings.database)) as conn:
        return conn.execute("SELECT attempt, outcome FROM callback_attempts ORDER BY attempt").fetchall()


async def call(center: Center, *presses: str | Press, number: str = "5551234") -> SimCall:
    """One caller through the menu (they press 2), until they hang up or are hung up."""
    placed = center.sim.place_call(Caller(number=number, dnis="5000", presses=("2", *presses)))
    await placed.wait_ended(SAFETY)
    return placed


def callback_path(center: Center, count: int) -> list[tuple[str, str]]:
    """(kind, detail) of the callback path events of every committed call record."""
    return [
        (event.kind, event.detail)
        for record in center.read_records()[:count]
        for event in record.ivr_path
        if event.kind == "callback_outcome"
    ]


async def test_confirmed_caller_id_is_stored_before_the_promise_then_dialled_agent_first(
    tmp_path: Path,
) -> None:
    devices = {
        "PJSIP/1001": DeviceBehaviour.answering(after=0.5, talk=3.0),
        CUSTOMER: DeviceBehaviour.answering(after=1.0),
    }
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS, devices=devices
    ) as center:
        on_disk_at_confirmation: list[list[CallbackRecord]] = []

        def tap(message: AmiMessage) -> None:
            # Runs as the simulated Asterisk starts playing the confirmation: what the
            # database holds at that very moment.
            if message.name == "AGIExecStart" and "callback-confirmed" in (message.get("Command") or ""):
                on_disk_at_confirmation.append(callbacks(center))

        center.sim.core.bus.tap(tap)
        caller = await call(center, Press("1", when=CONFIRM))
        [record] = await center.records(1)
        [pending] = callbacks(center)
        waiting = center.engine.snapshot().waiting
        await center.engine.command(AgentLogin("1001"))
        await center.settle(lambda: callbacks(center)[0].status is CallbackStatus.CONNECTED)
        [done] = callbacks(center)
        agent_leg, customer_leg = center.sim.device_calls[:2]
    # The request was on disk before the caller heard the confirmation, and only then did
    # the dialplan go on to its `next` step.
    assert on_disk_at_confirmation == [[pending]]
    heard = caller.heard_sounds
    assert "custom/callback-offer" not in heard  # a step makes no offer: the caller chose it
    assert heard.index("custom/callback-number-is") < heard.index(CONFIRM)
    assert heard.index("custom/callback-confirmed") < heard.index("custom/thanks-we-will-call")
    assert ENTER not in heard
    # The request: the caller ID, from the IVR, joining the queue when booked (no earlier
    # place, no live call), ranked by the queue's rule on this call's variables.
    assert (pending.number, pending.queue, pending.source) == ("5551234", "support", "ivr")
    assert pending.status is CallbackStatus.PENDING
    assert pending.call_id is None
    assert pending.enqueued_at == pending.requested_at
    assert pending.priority == 10
    assert [(w.is_callback, w.priority) for w in waiting] == [(True, 10)]
    # The call itself never queued: it ended in the IVR, with the outcome on its path.
    assert record.outcome is CallOutcome.IVR_ONLY
    assert record.variables["callback.outcome"] == "booked"
    assert callback_path(center, 1) == [("callback_outcome", "booked")]
    # Then dialled agent first, to the end.
    assert (done.callback_id, done.attempts, done.agent_id) == (pending.callback_id, 1, "1001")
    assert done.connected_at is not None
    assert agent_leg.device == "PJSIP/1001"
    assert "custom/callback-whisper" in agent_leg.heard_sounds
    assert customer_leg.device.startswith("PJSIP/5551234")
    assert customer_leg.connected
    assert attempts(center) == [(1, "connected")]


async def test_another_number_and_an_anonymous_caller_who_must_key_one(tmp_path: Path) -> None:
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS
    ) as center:
        other = await call(center, Press("2", when=CONFIRM), Press("5559876#", when=ENTER))
        anonymous = await call(center, Press("5550000#", when=ENTER), number="")
        stored = callbacks(center)
        await center.records(2)
        path = callback_path(center, 2)
    assert [(c.number, c.priority) for c in stored] == [("5559876", 10), ("5550000", 2)]
    assert "custom/thanks-we-will-call" in other.heard_sounds
    assert "custom/callback-number-is" not in anonymous.heard_sounds  # nothing to confirm
    assert "custom/thanks-we-will-call" in anonymous.heard_sounds
    assert path == [("callback_outcome", "booked"), ("callback_outcome", "booked")]


async def test_an_invalid_number_three_times_takes_the_failed_branch(tmp_path: Path) -> None:
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS
    ) as center:
        caller = await call(
            center,
            Press("12#", when=ENTER),
            Press("34#", when=ENTER),
            Press("5678#", when=ENTER),
            number="",
        )
        [record] = await center.records(1)
        stored = callbacks(center)
    heard = caller.heard_sounds
    assert heard.count(ENTER) == 3
    assert heard.count("custom/callback-invalid-number") == 3
    assert heard.index("custom/callback-failed") < heard.index("custom/sorry-no-callback")
    assert "custom/callback-confirmed" not in heard
    assert stored == []
    assert record.variables["callback.outcome"] == "failed"


async def test_a_duplicate_keeps_the_earlier_request_and_takes_the_duplicate_branch(tmp_path: Path) -> None:
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS
    ) as center:
        await call(center, Press("1", when=CONFIRM))
        [first] = callbacks(center)
        second = await call(center, Press("1", when=CONFIRM))
        stored = callbacks(center)
        await center.records(2)
        path = callback_path(center, 2)
        waiting = center.engine.snapshot().waiting
    assert stored == [first]  # nothing new stored; the earlier request unchanged
    assert [w.is_callback for w in waiting] == [True]
    heard = second.heard_sounds
    assert heard.index("custom/callback-already-pending") < heard.index("custom/you-are-already-booked")
    assert "custom/callback-confirmed" not in heard
    assert path == [("callback_outcome", "booked"), ("callback_outcome", "duplicate")]


async def test_a_later_slot_within_callback_hours(tmp_path: Path) -> None:
    always_open = '{timezone: UTC, weekly: {mon-sun: "00:00-24:00"}}'
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(slots="true", hours=always_open),
        agents=AGENTS,
    ) as center:
        caller = await call(
            center,
            Press("1", when=CONFIRM),
            Press("2", when="custom/callback-1-now-2-later"),
            Press("1", when="custom/callback-for"),
        )
        [booked] = callbacks(center)
    assert caller.heard_sounds.count("custom/callback-press") == 3  # three slots offered
    assert "custom/callback-at" in caller.heard_sounds  # the confirmation says when
    # The first slot offered: a whole hour, at least an hour after the request.
    assert booked.not_before is not None
    assert booked.not_before % 3600 == 0
    assert booked.not_before >= booked.requested_at + 3600
    assert booked.status is CallbackStatus.PENDING


async def test_outside_callback_hours_the_step_fails_at_once(tmp_path: Path) -> None:
    never_open = "{timezone: UTC, weekly: {mon-sun: closed}}"
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(hours=never_open), agents=AGENTS
    ) as center:
        caller = await call(center)
        [record] = await center.records(1)
        stored = callbacks(center)
    heard = caller.heard_sounds
    assert "custom/callback-number-is" not in heard  # no number asked for a callback never made
    assert heard.index("custom/callback-failed") < heard.index("custom/sorry-no-callback")
    assert stored == []
    assert record.variables["callback.outcome"] == "failed"


async def test_a_request_that_cannot_be_stored_is_never_promised(tmp_path: Path) -> None:
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS
    ) as center:
        with contextlib.closing(sqlite3.connect(center.daemon.settings.database)) as conn:
            conn.execute("DROP TABLE callbacks")  # the writer's commit of the request fails
        caller = await call(center, Press("1", when=CONFIRM))
        [record] = await center.records(1)
        waiting = center.engine.snapshot().waiting
    heard = caller.heard_sounds
    assert "custom/callback-confirmed" not in heard
    assert heard.index("custom/callback-failed") < heard.index("custom/sorry-no-callback")
    assert record.variables["callback.outcome"] == "failed"
    assert waiting == ()  # nothing waits for an agent on a request that is not on disk
