"""The global call order: priority first, then longest waiting across queues, then seq."""

from __future__ import annotations

from acd.model import Agent, Call
from acd.policy import QueuePolicy
from acd.requirement import Need
from tests.acd.conftest import AssignFn

NOW = 1000.0
POLICIES = {
    "sales": QueuePolicy.from_config("sales", "longest_idle"),
    "support": QueuePolicy.from_config("support", "longest_idle"),
}
ONE_AGENT = [Agent("a", {"english": 3}, frozenset({"sales", "support"}), ready=True)]


def served_first(assign: AssignFn, calls: list[Call], agents: list[Agent] = ONE_AGENT) -> list[str]:
    return [a.call_id for a in assign(calls, agents, POLICIES, NOW)]


def test_vip_priority_goes_ahead_of_longer_waiting(assign: AssignFn) -> None:
    calls = [Call("old", "sales", 0, NOW - 300, 1), Call("vip", "sales", 5, NOW - 1, 2)]
    assert served_first(assign, calls) == ["vip"]


def test_fifo_within_equal_priority(assign: AssignFn) -> None:
    calls = [Call("second", "sales", 0, NOW - 10, 2), Call("first", "sales", 0, NOW - 20, 1)]
    assert served_first(assign, calls) == ["first"]


def test_longest_waiting_across_the_queues_an_agent_serves(assign: AssignFn) -> None:
    calls = [Call("sales-new", "sales", 0, NOW - 10, 2), Call("support-old", "support", 0, NOW - 50, 1)]
    assert served_first(assign, calls) == ["support-old"]


def test_seq_breaks_equal_enqueue_times(assign: AssignFn) -> None:
    calls = [Call("b", "sales", 0, NOW - 10, 8), Call("a", "sales", 0, NOW - 10, 7)]
    assert served_first(assign, calls) == ["a"]


def test_a_callback_keeps_its_original_place(assign: AssignFn) -> None:
    # Queued at NOW-600, called back now: it still ranks by its first enqueue time.
    calls = [Call("newer", "sales", 0, NOW - 30, 10), Call("callback", "sales", 0, NOW - 600, 11)]
    assert served_first(assign, calls) == ["callback"]


def test_a_call_nobody_can_take_does_not_block_the_next(assign: AssignFn) -> None:
    calls = [
        Call("needs-german", "sales", 0, NOW - 99, 1, Need("german", 1)),
        Call("any", "sales", 0, NOW - 5, 2),
    ]
    assert served_first(assign, calls) == ["any"]


def test_every_free_agent_is_used_in_one_pass(assign: AssignFn) -> None:
    agents = [Agent(f"a{i}", {}, frozenset({"sales"}), ready=True, idle_since=float(i)) for i in range(3)]
    calls = [Call(f"c{i}", "sales", 0, NOW - 10 + i, i) for i in range(5)]
    result = assign(calls, agents, POLICIES, NOW)
    assert [(a.call_id, a.agent_id) for a in result] == [("c0", "a0"), ("c1", "a1"), ("c2", "a2")]


def test_agents_not_available_are_never_chosen(assign: AssignFn) -> None:
    queues = frozenset({"sales"})
    agents = [
        Agent("paused", {}, queues, ready=False),
        Agent("reserved", {}, queues, ready=True, reserved=True),
        Agent("on-call", {}, queues, ready=True, active_calls=1),
        Agent("other-queue", {}, frozenset({"support"}), ready=True),
        Agent("chat", {}, queues, ready=True, active_calls=1, max_concurrent=2, idle_since=5.0),
    ]
    result = assign([Call("c", "sales", 0, NOW, 1)], agents, POLICIES, NOW)
    assert [a.agent_id for a in result] == ["chat"]
