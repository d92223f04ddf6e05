"""Callbacks end to end: offer, store-before-promise, keeping the place, dialling, retries.

The caller waits in a queue with no agent logged in, takes the callback offer and hangs up;
an agent then logs in and the callback is dialled agent first (agent hears who, customer is
called, ``Bridge()`` joins them) or customer first.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path

from acd.commands import AgentLogin, RequestCallback
from acd.records import AnyRecord, CallbackStatus, CallOutcome
from asterisk_sim import Caller, DeviceBehaviour, Mode, Press
from ivr_acd.daemon import Daemon
from ivr_acd.settings import Settings
from ivr_acd.storage.rows import CALLBACK_SELECT, callback_from_row
from telephony.ami.message import AmiMessage
from tests.e2e.harness import Center, running_center

DIALPLAN = """\
dialplan: main
numbers: ["5000"]
steps:
  q:
    queue: {name: support, on: {callback: thanks}}
    next: bye
  thanks:
    play: [custom/thank-you-goodbye]
    next: bye
  bye:
    hangup:
"""
AGENTS = 'agents:\n  - {id: "1001", name: Alice, device: PJSIP/1001, pin: "1111"}\n'
CUSTOMER = "PJSIP/5551234@trunk"


def queues(**callback: object) -> str:
    policy = {
        "offer": "always",
        "min_estimate": 0,
        "repeat_every": 60,
        "retry_delay": 0.3,
        "max_attempts": 2,
        "customer_ring": 4,
        "number": "{min_length: 6, max_length: 12}",
    }
    policy.update(callback)
    body = ", ".join(f"{k}: {v}" for k, v in policy.items())
    return f"queues:\n  support: {{ring_timeout: 4, wrap_up: 0.2, segment: 1, announce: {{frequency: 0}}, callback: {{{body}}}}}\n"


def callbacks(center: Center) -> list:  # type: ignore[type-arg]
    with contextlib.closing(sqlite3.connect(center.daemon.settings.database)) as conn:
        return [callback_from_row(row) for row in conn.execute(CALLBACK_SELECT + " ORDER BY requested_at")]


def attempts(center: Center) -> list[tuple[int, str]]:
    with contextlib.closing(sqlite3.connect(center.daemon.settings.database)) as conn:
        return conn.execute(
            "SELECT attempt, outcome FROM callback_attempts ORDER BY attempt, started_at"
        ).fetchall()


async def request_by_phone(center: Center, *presses: str | Press, number: str = "5551234") -> None:
    call = center.sim.place_call(Caller(number=number, dnis="5000", presses=presses))
    await call.wait_ended(20)
    assert "custom/callback-offer" in call.heard_sounds


async def until_status(center: Center, status: CallbackStatus, within: float = 20) -> None:
    await center.settle(lambda: bool(callbacks(center)) and callbacks(center)[-1].status is status, within)


async def test_offer_accept_then_agent_first_dialling(tmp_path: Path) -> None:
    committed: list[float] = []
    confirmed: list[float] = []

    def daemon(settings: Settings) -> Daemon:
        def on_commit(records: list[AnyRecord]) -> None:
            if any(type(r).__name__ == "CallbackRecord" for r in records):
                committed.append(time.monotonic())

        return Daemon(settings, on_commit=on_commit)

    devices = {
        "PJSIP/1001": DeviceBehaviour.answering(after=0.5, talk=3.0),
        CUSTOMER: DeviceBehaviour.answering(after=1.0),
    }
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(),
        agents=AGENTS,
        devices=devices,
        daemon_factory=daemon,
    ) as center:

        def tap(message: AmiMessage) -> None:
            if message.name == "AGIExecStart" and "callback-confirmed" in (message.get("Command") or ""):
                confirmed.append(time.monotonic())

        center.sim.core.bus.tap(tap)
        await request_by_phone(center, "1", "1")  # take the offer, confirm the caller ID
        [pending] = callbacks(center)
        assert pending.status is CallbackStatus.PENDING
        assert pending.number == "5551234"
        await center.engine.command(AgentLogin("1001"))
        await until_status(center, CallbackStatus.CONNECTED)
        [done] = callbacks(center)
        records = center.read_records()
        agent_leg, customer_leg = center.sim.device_calls[:2]
    # The request was on disk before the caller heard the confirmation.
    assert committed and confirmed and committed[0] < confirmed[0]
    assert records[0].outcome is CallOutcome.CALLBACK_REQUESTED
    assert records[0].callback_id == done.callback_id
    assert done.enqueued_at == records[0].enqueued_at  # it kept the caller's place
    assert (done.attempts, done.agent_id) == (1, "1001")
    assert done.connected_at is not None and done.talk_time is not None
    assert "custom/callback-whisper" in agent_leg.heard_sounds  # the agent heard who is called back
    assert agent_leg.device == "PJSIP/1001"
    assert customer_leg.device.startswith("PJSIP/5551234")
    assert customer_leg.connected
    assert attempts(center)[-1] == (1, "connected")


async def test_another_number_and_anonymous_caller_must_key_one(tmp_path: Path) -> None:
    devices = {CUSTOMER: DeviceBehaviour.answering()}
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS, devices=devices
    ) as center:
        # Caller ID offered, declined (2), another number keyed in.
        await request_by_phone(center, "1", "2", Press("5559876#", after=0.3), number="5551234")
        # Anonymous: straight to keying; a bad number first, then a good one.
        anonymous = center.sim.place_call(
            Caller(number="", dnis="5000", presses=["1", "12#", Press("5550000#", after=0.3)])
        )
        await anonymous.wait_ended(20)
        found = [c.number for c in callbacks(center)]
    assert found == ["5559876", "5550000"]
    assert "custom/callback-number-is" not in anonymous.heard_sounds
    assert "custom/callback-invalid-number" in anonymous.heard_sounds


async def test_duplicate_request_keeps_the_earlier_place(tmp_path: Path) -> None:
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS
    ) as center:
        await request_by_phone(center, "1", "1")
        second = center.sim.place_call(Caller(number="5551234", dnis="5000", presses=["1", "1"]))
        await second.wait_ended(20)
        stored = callbacks(center)
        records = await center.records(2)
    assert len(stored) == 1
    assert "custom/callback-already-pending" in second.heard_sounds
    assert records[1].outcome is CallOutcome.CALLBACK_REQUESTED
    assert records[1].callback_id == stored[0].callback_id


async def test_callback_keeps_its_place_ahead_of_later_live_callers(tmp_path: Path) -> None:
    devices = {
        "PJSIP/1001": DeviceBehaviour.answering(after=0.5, talk=2.0),
        CUSTOMER: DeviceBehaviour.answering(),
    }
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS, devices=devices
    ) as center:
        await request_by_phone(center, "1", "1")
        live = center.sim.place_call(Caller(number="5550002", dnis="5000"))  # joins after, declines nothing
        await center.settle(lambda: len(center.engine.snapshot().waiting) == 2)
        await center.engine.command(AgentLogin("1001"))
        await center.settle(lambda: bool(center.sim.device_calls))
        first_leg = center.sim.device_calls[0]
        await center.settle(lambda: bool(live.bridged_with), within=30)
    # Alice's first call was the callback (agent-hold whisper), not the later live caller.
    assert "custom/callback-whisper" in first_leg.heard_sounds


async def test_customer_no_answer_then_success_on_retry(tmp_path: Path) -> None:
    # The agent stays on the line longer than the customer's phone rings (4 s).
    devices = {
        "PJSIP/1001": DeviceBehaviour.answering(after=0.3, talk=30.0),
        CUSTOMER: DeviceBehaviour(mode=Mode.NOANSWER),
    }
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS, devices=devices
    ) as center:
        await request_by_phone(center, "1", "1")
        await center.engine.command(AgentLogin("1001"))
        await center.settle(lambda: bool(attempts(center)) and attempts(center)[0][1] == "no_answer")
        center.sim.add_device(CUSTOMER, DeviceBehaviour.answering(after=0.5))
        await until_status(center, CallbackStatus.CONNECTED)
        found = attempts(center)
    assert found == [(1, "no_answer"), (2, "connected")]


async def test_attempts_exhausted_mark_the_callback_failed(tmp_path: Path) -> None:
    devices = {
        "PJSIP/1001": DeviceBehaviour.answering(after=0.3, talk=30.0),
        CUSTOMER: DeviceBehaviour(mode=Mode.BUSY),
    }
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS, devices=devices
    ) as center:
        await request_by_phone(center, "1", "1")
        await center.engine.command(AgentLogin("1001"))
        await until_status(center, CallbackStatus.FAILED)
        [failed] = callbacks(center)
        found = attempts(center)
        alice = center.engine.snapshot().agents[0]
    assert failed.attempts == 2
    assert found == [(1, "busy"), (2, "busy")]
    assert alice.state == "ready"  # freed after each unreached customer


async def test_window_expiry(tmp_path: Path) -> None:
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(window=1), agents=AGENTS
    ) as center:
        await request_by_phone(center, "1", "1")
        await until_status(center, CallbackStatus.EXPIRED, within=10)
        [expired] = callbacks(center)
    assert expired.completed_at is not None
    assert expired.window_end is not None and expired.completed_at >= expired.window_end


async def test_request_from_outside_a_call(tmp_path: Path) -> None:
    devices = {
        "PJSIP/1001": DeviceBehaviour.answering(after=0.3, talk=2.0),
        CUSTOMER: DeviceBehaviour.answering(),
    }
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS, devices=devices
    ) as center:
        bad = await center.engine.command(RequestCallback("12", "support", source="ami"))
        good = await center.engine.command(RequestCallback("5551234", "support", "Eve", source="ami"))
        await center.engine.command(AgentLogin("1001"))
        await until_status(center, CallbackStatus.CONNECTED)
        [done] = callbacks(center)
    assert not bad.ok and "invalid number" in bad.message
    assert good.ok and good.reference == done.callback_id
    assert (done.source, done.caller_name) == ("ami", "Eve")


async def test_customer_first_mode(tmp_path: Path) -> None:
    devices = {
        "PJSIP/1001": DeviceBehaviour.answering(after=0.5, talk=2.0),
        CUSTOMER: DeviceBehaviour.answering(after=0.5, talk=20.0),
    }
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(mode="customer_first"),
        agents=AGENTS,
        devices=devices,
    ) as center:
        commands: list[str] = []
        center.sim.core.bus.tap(
            lambda m: commands.append(m.get("Command") or "") if m.name == "AGIExecStart" else None
        )
        await request_by_phone(center, "1", "1")
        await center.engine.command(AgentLogin("1001"))
        await until_status(center, CallbackStatus.CONNECTED)
        customer_leg, agent_leg = center.sim.device_calls[:2]
    assert customer_leg.device.startswith("PJSIP/5551234")  # dialled first…
    assert (
        customer_leg.answered_at is not None and customer_leg.answered_at <= agent_leg.started_at
    )  # …the agent after
    assert any(
        "custom/callback-hello" in c for c in commands
    )  # the customer was greeted while the agent rang
    assert agent_leg.device == "PJSIP/1001"
    assert agent_leg.connected


async def test_callbacks_survive_a_restart(tmp_path: Path) -> None:
    """In-process restart here; tests/e2e/test_restart.py stops and starts a real daemon process."""
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=AGENTS
    ) as center:
        await request_by_phone(center, "1", "1")
        await center.daemon.stop(drain_timeout=0)
        center.daemon.engine = None
        restarted = Daemon(center.daemon.settings)
        await restarted.start()
        try:
            await asyncio.sleep(0.1)
            waiting = restarted.engine.snapshot().waiting if restarted.engine else ()
        finally:
            await restarted.stop(drain_timeout=0)
    assert [w.is_callback for w in waiting] == [True]
