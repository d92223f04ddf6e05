"""The call centre core, driven message by message with time passed in (no I/O, no clock)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from acd.center.agents import AgentStateError, transition
from acd.center.base import FORGET_GRACE
from acd.center.core import LIMBO_TIMEOUT, RECORD_GRACE, RESERVE_TIMEOUT, CallCenter
from acd.center.messages import (
    AgentRequest,
    AmiEvent,
    CallerAgiEnded,
    CallStarted,
    ChannelsAlive,
    Concluded,
    Connecting,
    Effect,
    EnqueueCall,
    HangupChannel,
    IvrFinished,
    Joined,
    Message,
    Notify,
    NotQueued,
    Originate,
    OriginateQueued,
    Reconfigure,
    Reply,
    SetTimer,
    Store,
    TimerFired,
)
from acd.center.model import AgentRuntime
from acd.commands import AgentLogout, AgentPause
from acd.events import CallerInfo
from acd.queue_config import QueueConfig
from acd.records import AgentInterval, CallOutcome, CallRecord
from acd.roster import AgentConfig
from telephony.ami.message import event

ALICE = AgentConfig("1001", "Alice", "PJSIP/1001", login_at_start=True)
BRUNO = AgentConfig("1002", "Bruno", "PJSIP/1002", login_at_start=True)


class Harness:
    """A core plus the effects it produced, and helpers to speak AMI to it."""

    def __init__(self, queues: Sequence[QueueConfig], agents: Sequence[AgentConfig]) -> None:
        self.core = CallCenter({q.name: q for q in queues}, agents)
        self.effects: list[Effect] = list(self.core.start(0.0))
        self.now = 0.0

    def send(self, message: Message, at: float | None = None) -> list[Effect]:
        if at is not None:
            self.now = at
        out = self.core.handle(message, self.now)
        self.effects += out
        return out

    def call(self, call_id: str, queue: str = "q", at: float = 1.0) -> list[Effect]:
        caller = CallerInfo(call_id, f"PJSIP/trunk-{call_id}", call_id, "", "555", "Bob")
        self.send(CallStarted(call_id, caller, "5000", "main"), at)
        return self.send(EnqueueCall(call_id, queue, caller))

    def originates(self) -> list[Originate]:
        return [e for e in self.effects if isinstance(e, Originate)]

    def notices(self, call_id: str) -> list[object]:
        return [e.notice for e in self.effects if isinstance(e, Notify) and e.call_id == call_id]

    def records(self) -> list[CallRecord]:
        return [e.record for e in self.effects if isinstance(e, Store) and isinstance(e.record, CallRecord)]

    def state(self, agent_id: str) -> tuple[str, str]:
        agent = next(a for a in self.core.snapshot(self.now).agents if a.agent_id == agent_id)
        return agent.state, agent.pause_reason

    def answer(self, originate: Originate, at: float) -> None:
        self.send(OriginateQueued(originate.attempt_id, True), at)
        self.send(
            AmiEvent(event("OriginateResponse", ActionID=originate.attempt_id, Response="Success", Reason=4))
        )

    def bridge(self, call_id: str, at: float) -> None:
        self.send(AmiEvent(event("BridgeEnter", Uniqueid=call_id)), at)

    def hangup(self, uniqueid: str, at: float) -> None:
        self.send(AmiEvent(event("Hangup", Uniqueid=uniqueid, Cause=16)), at)


def queue(**kwargs: object) -> QueueConfig:
    defaults: dict[str, object] = {"name": "q", "wrap_up": 5.0, "ring_timeout": 10.0}
    defaults.update(kwargs)
    return QueueConfig(**defaults)  # type: ignore[arg-type]


def test_enqueue_rings_the_agent_with_a_channel_id_and_the_screen_pop() -> None:
    h = Harness([queue()], [ALICE])
    effects = h.call("c1")
    assert isinstance(h.notices("c1")[0], Joined)
    [originate] = [e for e in effects if isinstance(e, Originate)]
    assert originate.channel == "PJSIP/1001"
    assert originate.context == "ivr-acd-connect"
    assert dict(originate.variables)["ACD_CALLER"] == "PJSIP/trunk-c1"
    assert originate.channel_id
    assert h.state("1001")[0] == "reserved"
    assert SetTimer(("reserve", originate.attempt_id), 1.0 + RESERVE_TIMEOUT) in effects


def test_full_lifecycle_with_wrap_up_and_records() -> None:
    h = Harness([queue()], [ALICE])
    h.call("c1")
    [originate] = h.originates()
    h.answer(originate, at=3.0)
    assert h.state("1001")[0] == "on_call"
    assert isinstance(h.notices("c1")[-1], Connecting)
    h.send(CallerAgiEnded("c1"), at=3.1)  # the bridge pull ends the AGI session
    h.bridge("c1", at=3.2)
    assert h.notices("c1")[-1] == Concluded("answered")
    h.hangup(originate.channel_id, at=63.2)  # the agent hangs up after a minute
    assert h.state("1001")[0] == "wrap_up"
    h.send(IvrFinished("c1", "answered", "q", (), {}))
    [record] = h.records()
    assert record.outcome is CallOutcome.ANSWERED
    assert record.wait_time == pytest.approx(2.2)
    assert record.talk_time == pytest.approx(60.0)
    assert record.hangup_by == "agent"
    h.send(TimerFired(("wrap_up", "1001")), at=68.2)
    assert h.state("1001")[0] == "ready"
    assert h.records()[-1].wrapup_time == pytest.approx(5.0)


def test_unconfirmed_reservation_is_released_and_the_call_requeued() -> None:
    h = Harness([queue()], [ALICE])
    h.call("c1")
    [first] = h.originates()
    effects = h.send(TimerFired(("reserve", first.attempt_id)), at=1.0 + RESERVE_TIMEOUT)
    assert HangupChannel(first.channel_id) in effects
    # Never stuck reserved: Alice is ready again and immediately offered the call again.
    second = h.originates()[-1]
    assert second.attempt_id != first.attempt_id
    assert h.state("1001")[0] == "reserved"


def test_missing_originate_response_counts_as_no_answer() -> None:
    h = Harness([queue()], [ALICE, BRUNO])
    h.call("c1")
    [first] = h.originates()
    h.send(OriginateQueued(first.attempt_id, True), at=1.1)
    h.send(TimerFired(("ring", first.attempt_id)), at=30.0)
    assert h.state(first.channel.removeprefix("PJSIP/")) == ("paused", "no answer")
    assert h.originates()[-1].channel != first.channel


def test_agi_end_without_ami_evidence_is_an_abandon_after_the_limbo() -> None:
    h = Harness([queue()], [])
    h.call("c1")
    effects = h.send(CallerAgiEnded("c1"), at=5.0)
    assert SetTimer(("limbo", "c1"), 5.0 + LIMBO_TIMEOUT) in effects
    h.send(TimerFired(("limbo", "c1")), at=5.0 + LIMBO_TIMEOUT)
    assert h.notices("c1")[-1] == Concluded("abandoned")


def test_hangup_of_the_caller_is_an_abandon_at_once() -> None:
    h = Harness([queue()], [])
    h.call("c1")
    h.hangup("c1", at=9.0)
    h.send(IvrFinished("c1", "hangup_by_caller", "q", (), {}))
    [record] = h.records()
    assert record.outcome is CallOutcome.ABANDONED
    assert record.wait_time == pytest.approx(8.0)


def test_refusals() -> None:
    h = Harness([queue(name="full", max_size=1), queue(name="empty", when_no_agents="leave")], [])
    h.call("c1", queue="full")
    h.call("c2", queue="full")
    h.call("c3", queue="empty")
    h.call("c4", queue="nowhere")
    assert isinstance(h.notices("c1")[0], Joined)
    assert [type(n).__name__ for n in h.notices("c2")] == ["NotQueued"]
    assert h.notices("c2")[0].outcome == "queue_full"  # type: ignore[attr-defined]
    assert h.notices("c3") == [NotQueued("no_agents", h.core.queue("empty").on_no_agents)]  # type: ignore[union-attr]
    assert h.notices("c4")[0].outcome == "unknown_queue"  # type: ignore[attr-defined]


def test_resync_after_an_ami_outage() -> None:
    h = Harness([queue()], [ALICE, BRUNO])
    h.call("c1")
    h.call("c2")
    first, second = h.originates()
    h.answer(first, at=2.0)
    h.bridge(first.attempt_id and "c1", at=2.1)
    # While AMI was down: c1's agent hung up, and c2 hung up while waiting for its agent.
    h.send(ChannelsAlive(frozenset({"c1", second.channel_id})), at=50.0)
    h.send(IvrFinished("c1", "answered", "q", (), {}))
    h.send(IvrFinished("c2", "hangup_by_caller", "q", (), {}))
    by_id = {r.call_id: r for r in h.records()}
    assert by_id["c1"].hangup_by == "agent"
    assert by_id["c1"].talk_time == pytest.approx(47.9)
    assert by_id["c2"].outcome is CallOutcome.ABANDONED


def test_pause_asked_during_a_call_is_applied_after_wrap_up() -> None:
    h = Harness([queue()], [ALICE])
    h.call("c1")
    [originate] = h.originates()
    h.answer(originate, at=2.0)
    h.bridge("c1", at=2.1)
    h.send(AgentRequest(AgentPause("1001", True, "lunch"), token=7))
    reply = [e for e in h.effects if isinstance(e, Reply)][-1]
    assert reply.result.deferred
    assert h.state("1001")[0] == "on_call"
    h.hangup("c1", at=30.0)
    h.send(TimerFired(("wrap_up", "1001")), at=35.0)
    assert h.state("1001") == ("paused", "lunch")


def test_logout_asked_during_a_call_waits_for_its_end() -> None:
    h = Harness([queue(wrap_up=0.0)], [ALICE])
    h.call("c1")
    [originate] = h.originates()
    h.answer(originate, at=2.0)
    h.bridge("c1", at=2.1)
    h.send(AgentRequest(AgentLogout("1001"), token=1))
    assert h.state("1001")[0] == "on_call"
    h.hangup("c1", at=20.0)
    assert h.state("1001")[0] == "logged_out"


def test_reload_keeps_waiting_calls_and_logged_in_agents() -> None:
    h = Harness([queue(name="q"), queue(name="old")], [ALICE])
    h.send(AgentRequest(AgentPause("1001", True, "break"), token=1))
    h.call("c1", queue="old")
    h.send(Reconfigure({"q": queue(name="q")}, [ALICE, BRUNO]), at=2.0)
    snapshot = h.core.snapshot(2.0)
    assert [w.call_id for w in snapshot.waiting] == ["c1"]  # its queue was dropped, the call stays
    assert h.state("1001") == ("paused", "break")  # still logged in, still paused
    # The new agent logs in at start and takes the call still waiting in the dropped queue.
    assert h.state("1002")[0] == "reserved"
    assert [(o.channel, dict(o.variables)["ACD_CALL_ID"]) for o in h.originates()] == [("PJSIP/1002", "c1")]


def test_overflow_waits_for_a_ring_in_progress() -> None:
    h = Harness([queue(max_wait=10.0)], [ALICE])
    h.call("c1")
    [originate] = h.originates()
    h.send(OriginateQueued(originate.attempt_id, True), at=1.1)
    h.send(TimerFired(("max_wait", "c1")), at=11.0)
    assert not [n for n in h.notices("c1") if type(n).__name__ == "Leave"]
    h.send(
        AmiEvent(event("OriginateResponse", ActionID=originate.attempt_id, Response="Failure", Reason=3)),
        at=12.0,
    )
    assert [type(n).__name__ for n in h.notices("c1")][-1] == "Leave"


def test_ivr_only_call_is_recorded_when_the_ivr_ends() -> None:
    h = Harness([queue()], [])
    caller = CallerInfo("c9", "PJSIP/trunk-c9", "c9", "", "555", "")
    h.send(CallStarted("c9", caller, "5000", "main"), at=1.0)
    h.send(IvrFinished("c9", "hangup_by_caller", "menu", (), {"lang": "fr"}), at=9.0)
    [record] = h.records()
    assert (record.outcome, record.ivr_end_step, record.hangup_by) == (CallOutcome.IVR_ONLY, "menu", "caller")


def test_finished_calls_leave_memory_at_once_when_never_queued_else_after_a_grace() -> None:
    h = Harness([queue(), queue(name="surveyed", after_call="survey")], [ALICE])
    caller = CallerInfo("c9", "PJSIP/trunk-c9", "c9", "", "555", "")
    h.send(CallStarted("c9", caller, "5000", "main"), at=1.0)
    effects = h.send(IvrFinished("c9", "hangup_by_caller", "menu", (), {}), at=9.0)
    assert [type(e).__name__ for e in effects] == ["Store"]  # never queued: gone at once
    assert h.core.call_record("c9") is None
    assert h.send(AmiEvent(event("Hangup", Uniqueid="c9", Cause=16)), at=9.5) == []

    h.call("c1", queue="surveyed", at=100.0)
    [originate] = h.originates()
    h.answer(originate, at=102.0)
    h.send(CallerAgiEnded("c1"), at=102.1)
    h.bridge("c1", at=102.2)
    effects = h.send(IvrFinished("c1", "answered", "q", (), {}), at=102.3)
    effects += h.send(AmiEvent(event("Hangup", Uniqueid=originate.channel_id, Cause=16)), at=160.0)
    assert SetTimer(("forget", "c1"), 160.0 + RECORD_GRACE) in effects
    assert h.core.call_record("c1") is not None  # the survey that follows will find it

    h.call("c8", queue="q", at=2000.0)
    effects = h.send(AmiEvent(event("Hangup", Uniqueid="c8", Cause=16)), at=2005.0)
    effects += h.send(IvrFinished("c8", "hangup_by_caller", "q", (), {}), at=2005.1)
    assert SetTimer(("forget", "c8"), 2005.1 + FORGET_GRACE) in effects
    assert h.core.call_record("c8") is not None  # late AMI events still find an abandoned call
    h.send(TimerFired(("forget", "c8")), at=2005.1 + FORGET_GRACE)
    assert h.core.call_record("c8") is None


def test_transition_table_refuses_what_it_does_not_list() -> None:
    agent = AgentRuntime(config=ALICE)
    with pytest.raises(AgentStateError, match="'pause' is not allowed in state 'logged_out'"):
        transition(agent, "pause", "paused", 1.0)
    effects = transition(agent, "login", "ready", 1.0)
    assert agent.state == "ready"
    assert isinstance(effects[0], Store) and isinstance(effects[0].record, AgentInterval)
    with pytest.raises(AgentStateError):
        transition(agent, "answer", "on_call", 2.0)
