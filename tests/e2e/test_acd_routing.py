"""The ACD end to end (daemon + simulator over TCP): who gets which call, and when.

Skill match, relaxation while waiting, VIP priority, longest-idle vs least-occupancy,
ring-no-answer moving the call to the next agent, a busy agent skipped, a caller
abandoning while an agent's phone rings, wrap-up, overflow at max wait, the exit key.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from acd.commands import AgentLogin, AgentPause
from acd.records import CallOutcome
from asterisk_sim import Caller, DeviceBehaviour, Mode
from tests.e2e.harness import Center, running_center

DIALPLAN = """\
dialplan: main
numbers: ["5000", "5001"]
steps:
  route:
    branch:
      - if: call.dnis == "5001"
        goto: vip
      - else: q
  vip:
    set: {customer.vip: "true"}
    next: q
  q:
    queue: {name: support, on: {exit_key: exited, overflow: overflowed}}
    next: bye
  exited:
    play: [custom/you-left-the-queue]
    next: bye
  overflowed:
    play: [custom/everyone-is-busy]
    next: bye
  bye:
    hangup:
"""


def queues(**settings: object) -> str:
    base = {
        "ring_timeout": 4,
        "wrap_up": 0.2,
        "segment": 1,
        "announce": "{frequency: 0}",
        "after_no_answer": "paused",
    }
    base.update(settings)
    body = ", ".join(f"{k}: {v}" for k, v in base.items())
    return f"queues:\n  support: {{{body}}}\n"


def agents(*lines: str) -> str:
    return "agents:\n" + "".join(f"  - {line}\n" for line in lines)


ALICE = (
    '{id: "1001", name: Alice, device: PJSIP/1001, pin: "1111", skills: {support: 2}, login_at_start: true}'
)
BRUNO = (
    '{id: "1002", name: Bruno, device: PJSIP/1002, pin: "2222", skills: {support: 5}, login_at_start: true}'
)


def answering(talk: float = 4.0, after: float = 0.5) -> DeviceBehaviour:
    return DeviceBehaviour.answering(after=after, talk=talk)


async def connected_agent(center: Center, caller: Caller) -> str:
    call = center.sim.place_call(caller)
    await center.settle(lambda: bool(call.bridged_with) or call.ended_at is not None)
    assert call.bridged_with, "the call was never connected"
    return call.bridged_with[0].split("/")[1].split("-")[0]


async def test_skill_match_picks_the_qualified_agent(tmp_path: Path) -> None:
    devices = {"PJSIP/1001": answering(), "PJSIP/1002": answering()}
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(skills="{support: 4}"),
        agents=agents(ALICE, BRUNO),
        devices=devices,
    ) as center:
        assert await connected_agent(center, Caller(number="555", dnis="5000")) == "1002"


async def test_relaxation_lets_a_less_skilled_agent_take_a_waiting_call(tmp_path: Path) -> None:
    devices = {"PJSIP/1001": answering()}
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(skills="{support: 4}", relax="[{after: 1, to: 2}]"),
        agents=agents(ALICE),
        devices=devices,
    ) as center:
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await connected_agent(center, Caller(number="555", dnis="5000")) == "1001"
        # Alice (support 2) only qualifies once the requirement relaxed to 2, after 1 s.
        assert loop.time() - started >= 1.0
        records = await center.records(1)
    assert records[0].wait_time is not None and records[0].wait_time >= 1.0


async def test_vip_is_served_before_earlier_callers(tmp_path: Path) -> None:
    devices = {"PJSIP/1001": answering(talk=2.0)}
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(priority='{base: 0, rules: [{if: "customer.vip == true", priority: 10}]}'),
        agents=agents(ALICE.replace("login_at_start: true", "login_at_start: false")),
        devices=devices,
    ) as center:
        first = center.sim.place_call(Caller(number="111", dnis="5000", talk=1.0))
        await center.settle(lambda: len(center.engine.snapshot().waiting) == 1)
        vip = center.sim.place_call(Caller(number="999", dnis="5001", talk=1.0))
        await center.settle(lambda: len(center.engine.snapshot().waiting) == 2)
        await center.engine.command(AgentLogin("1001"))
        await center.settle(lambda: bool(vip.bridged_with) and bool(first.bridged_with))
        records = await center.records(2)
    by_number = {r.caller_number: r for r in records}
    assert by_number["999"].priority == 10
    assert by_number["999"].answered_at is not None and by_number["111"].answered_at is not None
    assert by_number["999"].answered_at < by_number["111"].answered_at


async def _second_call_goes_to(tmp_path: Path, strategy: str) -> str:
    devices = {"PJSIP/1001": answering(talk=3.0), "PJSIP/1002": answering(talk=3.0)}
    bruno_later = BRUNO.replace("login_at_start: true", "login_at_start: false")
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(strategy=strategy, skills="{}"),
        agents=agents(ALICE, bruno_later),
        devices=devices,
    ) as center:
        # Alice takes a first call and becomes ready again; Bruno logs in after that.
        assert await connected_agent(center, Caller(number="111", dnis="5000")) == "1001"
        await center.records(1)
        await center.settle(lambda: center.engine.snapshot().agents[0].state == "ready")
        await asyncio.sleep(0.1)
        await center.engine.command(AgentLogin("1002"))
        return await connected_agent(center, Caller(number="222", dnis="5000"))


async def test_longest_idle_prefers_the_agent_free_for_longest(tmp_path: Path) -> None:
    # Alice has been free since her call ended; Bruno only since he logged in, later.
    assert await _second_call_goes_to(tmp_path, "longest_idle") == "1001"


async def test_least_occupancy_prefers_the_agent_who_talked_least(tmp_path: Path) -> None:
    # Alice spent time on a call within the window; Bruno none.
    assert await _second_call_goes_to(tmp_path, "least_occupancy") == "1002"


async def test_ring_no_answer_moves_the_call_to_the_next_agent(tmp_path: Path) -> None:
    devices = {"PJSIP/1001": DeviceBehaviour(mode=Mode.NOANSWER), "PJSIP/1002": answering()}
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=agents(ALICE, BRUNO), devices=devices
    ) as center:
        assert await connected_agent(center, Caller(number="555", dnis="5000")) == "1002"
        records = await center.records(1)
        alice = next(a for a in center.engine.snapshot().agents if a.agent_id == "1001")
        rna = center.events("RINGNOANSWER")
    assert (alice.state, alice.pause_reason) == ("paused", "no answer")
    assert [(f[3], f[5]) for f in rna] == [("Alice", f[5]) for f in rna] and len(rna) == 1
    # The ring time is real milliseconds; the simulator compresses its 4 s ring (speed 0.05).
    assert int(rna[0][5]) > 100
    assert records[0].ring_attempts == 2
    assert records[0].ring_no_answer == 1
    assert records[0].agent_id == "1002"


async def test_busy_agent_is_skipped(tmp_path: Path) -> None:
    devices = {"PJSIP/1001": DeviceBehaviour(mode=Mode.BUSY), "PJSIP/1002": answering()}
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(busy_backoff=30),
        agents=agents(ALICE, BRUNO),
        devices=devices,
    ) as center:
        assert await connected_agent(center, Caller(number="555", dnis="5000")) == "1002"
        alice = next(a for a in center.engine.snapshot().agents if a.agent_id == "1001")
    assert (alice.state, alice.pause_reason) == ("paused", "busy")


async def test_caller_abandons_while_the_agent_phone_rings(tmp_path: Path) -> None:
    # Alice's phone would answer after 30 s; the caller gives up after 2.
    devices = {"PJSIP/1001": answering(after=30.0)}
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(ring_timeout=60),
        agents=agents(ALICE),
        devices=devices,
    ) as center:
        call = center.sim.place_call(Caller(number="555", dnis="5000", patience=2.0))
        await call.wait_ended(20)
        records = await center.records(1)
        await center.settle(lambda: center.engine.snapshot().agents[0].state == "ready")
        agent_leg = center.sim.device_calls[0]
        await center.settle(lambda: agent_leg.ended_at is not None)
    assert records[0].outcome is CallOutcome.ABANDONED
    assert records[0].hangup_by == "caller"
    assert not agent_leg.connected
    assert len(center.events("ABANDON")) == 1


async def test_wrap_up_holds_the_agent_then_releases(tmp_path: Path) -> None:
    devices = {"PJSIP/1001": answering(talk=1.0)}
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(wrap_up=1.0),
        agents=agents(ALICE),
        devices=devices,
    ) as center:
        first = center.sim.place_call(Caller(number="111", dnis="5000"))
        await center.settle(lambda: first.ended_at is not None)
        second = center.sim.place_call(Caller(number="222", dnis="5000"))
        await center.settle(lambda: len(center.engine.snapshot().waiting) == 1)
        state = center.engine.snapshot().agents[0].state
        await center.settle(lambda: bool(second.bridged_with))
        records = await center.records(2)
        await center.settle(lambda: center.read_records()[0].wrapup_time is not None)
        first_record = center.read_records()[0]
    assert state == "wrap_up"  # the second caller waited while Alice wrapped up
    assert first_record.wrapup_time is not None and 0.9 <= first_record.wrapup_time <= 3.0
    assert records[1].wait_time is not None and records[1].wait_time > 0.3


async def test_overflow_at_max_wait(tmp_path: Path) -> None:
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(max_wait=1),
        agents=agents(ALICE.replace("login_at_start: true", "login_at_start: false")),
    ) as center:
        call = center.sim.place_call(Caller(number="555", dnis="5000"))
        await call.wait_ended(20)
        records = await center.records(1)
        timeouts = center.events("EXITWITHTIMEOUT")
    assert records[0].outcome is CallOutcome.OVERFLOWED
    assert "custom/everyone-is-busy" in call.heard_sounds
    assert len(timeouts) == 1


async def test_exit_key_leaves_for_its_destination(tmp_path: Path) -> None:
    async with running_center(
        tmp_path,
        dialplans={"main": DIALPLAN},
        queues=queues(exit_key='"0"'),
        agents=agents(ALICE.replace("login_at_start: true", "login_at_start: false")),
    ) as center:
        call = center.sim.place_call(Caller(number="555", dnis="5000", presses=["0"]))
        await call.wait_ended(20)
        records = await center.records(1)
        exits = center.events("EXITWITHKEY")
    assert records[0].outcome is CallOutcome.EXIT_KEY
    assert records[0].exit_key == "0"
    assert "custom/you-left-the-queue" in call.heard_sounds
    assert [f[5] for f in exits] == ["0"]


async def test_paused_agent_gets_no_call(tmp_path: Path) -> None:
    devices = {"PJSIP/1001": answering(), "PJSIP/1002": answering()}
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=queues(), agents=agents(ALICE, BRUNO), devices=devices
    ) as center:
        await center.engine.command(AgentPause("1001", True, "lunch"))
        assert await connected_agent(center, Caller(number="555", dnis="5000")) == "1002"
        pauses = center.events("PAUSE")
    assert [(f[2], f[3], f[5]) for f in pauses] == [("support", "Alice", "lunch")]
