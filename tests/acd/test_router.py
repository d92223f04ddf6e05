"""The indexed router's own behaviour: incremental use, batches, timers, API contracts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from acd.errors import RoutingConfigError
from acd.model import Agent, Assignment, Call
from acd.policy import QueuePolicy
from acd.reference_router import reference_assign
from acd.requirement import Need
from acd.router import Router
from acd.workload import CallTally

SALES = frozenset({"sales"})


def make_router(strategy: str = "longest_idle", relaxation: list[tuple[float, int]] | None = None) -> Router:
    return Router({"sales": QueuePolicy.from_config("sales", strategy, relaxation or [])})


def test_assigned_calls_leave_and_agents_are_reserved_until_freed() -> None:
    router = make_router()
    router.upsert_agent(Agent("a", {}, SALES, ready=True))
    router.add_call(Call("c1", "sales", 0, 10.0, 1))
    router.add_call(Call("c2", "sales", 0, 11.0, 2))
    assert router.assign(20.0) == [Assignment("c1", "a", "sales", 20.0)]
    assert router.agent("a").reserved
    assert [c.id for c in router.waiting_calls()] == ["c2"]
    assert router.assign(21.0) == []
    router.set_available("a", True, 30.0)
    assert router.agent("a").idle_since == 30.0
    assert router.assign(30.0) == [Assignment("c2", "a", "sales", 30.0)]


def test_an_upsert_after_an_assign_is_the_truth() -> None:
    # The engine may build the agent's next value itself rather than from router.agent().
    router = make_router()
    router.upsert_agent(Agent("a", {}, SALES, ready=True))
    router.add_call(Call("c1", "sales", 0, 10.0, 1))
    router.add_call(Call("c2", "sales", 0, 11.0, 2))
    assert [x.agent_id for x in router.assign(20.0)] == ["a"]
    router.upsert_agent(Agent("a", {}, SALES, ready=True, idle_since=30.0))
    assert not router.agent("a").reserved
    assert [x.call_id for x in router.assign(30.0)] == ["c2"]


def test_two_agents_freed_at_once_each_gets_the_call_it_can_take() -> None:
    # c1 (oldest) needs x>=3, which only b has; c2 takes anyone. Freed in one batch, the scan
    # gives c1 to b and c2 to a, whatever order they were freed in.
    router = make_router()
    router.upsert_agent(Agent("a", {"x": 1}, SALES, ready=True, reserved=True, idle_since=0.0))
    router.upsert_agent(Agent("b", {"x": 4}, SALES, ready=True, reserved=True, idle_since=0.0))
    router.add_call(Call("c1", "sales", 0, 10.0, 1, Need("x", 3)))
    router.add_call(Call("c2", "sales", 0, 11.0, 2, Need("x", 1)))
    assert router.assign(12.0) == []
    router.set_available("b", True, 13.0)
    router.set_available("a", True, 14.0)
    assert router.assign(15.0) == [Assignment("c1", "b", "sales", 15.0), Assignment("c2", "a", "sales", 15.0)]


def test_two_agents_freed_at_once_where_the_best_call_prefers_the_second() -> None:
    # Both can take both calls. b is freed first, but longest idle says a (idle since 13)
    # beats b (14) for the best call c1: handling agents in the order they were freed would
    # wrongly give c1 to b.
    router = make_router()
    router.upsert_agent(Agent("b", {"x": 4}, SALES, ready=True, reserved=True))
    router.upsert_agent(Agent("a", {"x": 4}, SALES, ready=True, reserved=True))
    router.add_call(Call("c1", "sales", 0, 10.0, 1, Need("x", 3)))
    router.add_call(Call("c2", "sales", 0, 11.0, 2, Need("x", 1)))
    assert router.assign(12.0) == []
    router.set_available("b", True, 14.0)
    router.set_available("a", True, 13.0)
    assert router.assign(15.0) == [Assignment("c1", "a", "sales", 15.0), Assignment("c2", "b", "sales", 15.0)]


def test_a_call_relaxes_onto_an_idle_agent_with_no_other_change() -> None:
    router = make_router(relaxation=[(30, 2), (90, 1)])
    router.upsert_agent(Agent("a", {"english": 2}, SALES, ready=True))
    router.upsert_agent(Agent("b", {"english": 1}, SALES, ready=True))
    router.add_call(Call("c", "sales", 0, 100.0, 1, Need("english", 4)))
    assert router.assign(100.0) == []
    assert router.next_relaxation_at() == 130.0
    assert router.assign(129.0) == []
    assert router.assign(130.0) == [Assignment("c", "a", "sales", 130.0)]
    assert router.next_relaxation_at() is None


def test_next_relaxation_steps_through_the_schedule() -> None:
    router = make_router(relaxation=[(30, 2), (90, 1)])
    router.upsert_agent(Agent("a", {"english": 1}, SALES, ready=True))
    router.add_call(Call("c", "sales", 0, 100.0, 1, Need("english", 4)))
    router.add_call(Call("d", "sales", 0, 110.0, 2, Need("english", 4)))
    assert router.assign(100.0) == []
    assert router.next_relaxation_at() == 130.0
    assert router.assign(135.0) == []
    assert router.next_relaxation_at() == 140.0
    assert router.assign(140.0) == []
    assert router.next_relaxation_at() == 190.0
    assert router.assign(190.0) == [Assignment("c", "a", "sales", 190.0)]
    assert router.next_relaxation_at() == 200.0
    router.remove_call("d")
    assert router.next_relaxation_at() is None


def test_removing_the_head_exposes_the_next_call() -> None:
    router = make_router()
    router.upsert_agent(Agent("a", {"x": 1}, SALES, ready=False))
    for i in range(3):
        router.add_call(Call(f"c{i}", "sales", 0, 10.0 + i, i, Need("x", 1)))
    router.assign(20.0)
    assert router.remove_call("c0") is not None
    router.set_available("a", True, 21.0)
    assert router.assign(21.0) == [Assignment("c1", "a", "sales", 21.0)]


def test_a_call_put_back_keeps_its_place() -> None:
    router = make_router()
    router.upsert_agent(Agent("a", {}, SALES, ready=True))
    router.add_call(Call("c1", "sales", 0, 10.0, 1))
    router.add_call(Call("c2", "sales", 0, 12.0, 2))
    assert [x.call_id for x in router.assign(20.0)] == ["c1"]
    # The reservation failed: the call goes back with its original enqueue time and seq.
    router.add_call(Call("c1", "sales", 0, 10.0, 1))
    router.set_available("a", True, 30.0)
    assert [x.call_id for x in router.assign(30.0)] == ["c1"]


def test_skills_changed_while_ready_take_effect() -> None:
    router = make_router()
    router.upsert_agent(Agent("a", {"x": 1}, SALES, ready=True))
    router.add_call(Call("c", "sales", 0, 10.0, 1, Need("x", 3)))
    assert router.assign(11.0) == []
    router.upsert_agent(replace(router.agent("a"), skills={"x": 3}))
    assert router.assign(12.0) == [Assignment("c", "a", "sales", 12.0)]


def test_unavailable_and_removed_agents_are_not_chosen() -> None:
    router = make_router()
    router.upsert_agent(Agent("a", {}, SALES, ready=True))
    router.upsert_agent(Agent("b", {}, SALES, ready=True))
    router.set_available("a", False, 1.0)
    assert router.remove_agent("b") is not None
    assert router.remove_agent("b") is None
    router.add_call(Call("c", "sales", 0, 1.0, 1))
    assert router.assign(2.0) == []


def test_a_new_day_reorders_fewest_calls() -> None:
    router = make_router("fewest_calls")
    router.upsert_agent(Agent("a", {}, SALES, ready=True, handled=CallTally(0.0, 9), idle_since=1.0))
    router.upsert_agent(Agent("b", {}, SALES, ready=True, handled=CallTally(86_400.0, 1), idle_since=2.0))
    router.add_call(Call("c1", "sales", 0, 90_000.0, 1))
    # Counting since day 0, a has 9 calls and b 1: b. From day 86_400, a's calls are old: a.
    assert [x.agent_id for x in router.assign(90_000.0, day_start=0.0)] == ["b"]
    router.set_available("b", False, 90_000.0)
    router.upsert_agent(replace(router.agent("b"), ready=True, reserved=False))
    router.add_call(Call("c2", "sales", 0, 90_001.0, 2))
    assert [x.agent_id for x in router.assign(90_001.0, day_start=86_400.0)] == ["a"]


def test_round_robin_pointer_survives_a_restart() -> None:
    policy = {"sales": QueuePolicy.from_config("sales", "round_robin")}
    router = Router(policy, last_chosen={"sales": "a"})
    for agent_id in ("a", "b", "c"):
        router.upsert_agent(Agent(agent_id, {}, SALES, ready=True))
    router.add_call(Call("c1", "sales", 0, 1.0, 1))
    assert [x.agent_id for x in router.assign(2.0)] == ["b"]
    assert router.last_chosen == {"sales": "b"}


def test_queue_position() -> None:
    router = Router(
        {
            "sales": QueuePolicy.from_config("sales", "longest_idle"),
            "vip": QueuePolicy.from_config("vip", "longest_idle"),
        }
    )
    router.add_call(Call("c1", "sales", 0, 10.0, 1))
    router.add_call(Call("c2", "sales", 0, 5.0, 2, Need("x", 2)))
    router.add_call(Call("c3", "sales", 3, 20.0, 3))
    router.add_call(Call("v1", "vip", 0, 1.0, 4))
    assert [router.queue_position(c) for c in ("c3", "c2", "c1", "v1")] == [1, 2, 3, 1]
    with pytest.raises(KeyError):
        router.queue_position("nope")


def test_contract_errors() -> None:
    router = make_router()
    router.add_call(Call("c", "sales", 0, 1.0, 1))
    with pytest.raises(ValueError, match="already waiting"):
        router.add_call(Call("c", "sales", 0, 1.0, 1))
    with pytest.raises(RoutingConfigError, match="unknown queue"):
        router.add_call(Call("d", "billing", 0, 1.0, 2))
    assert router.remove_call("nope") is None
    router.assign(10.0)
    with pytest.raises(ValueError, match="backwards"):
        router.assign(9.0)
    with pytest.raises(ValueError, match="finite"):
        router.assign(float("nan"))
    with pytest.raises(RoutingConfigError):
        Router({"sales": QueuePolicy.from_config("support", "longest_idle")})
    with pytest.raises(ValueError, match="empty"):
        router.upsert_agent(Agent("", {}, SALES))
    with pytest.raises(KeyError):
        router.set_available("ghost", True, 10.0)


def test_agents_may_list_queues_that_are_not_routed() -> None:
    router = make_router()
    router.upsert_agent(Agent("a", {"x": 2}, frozenset({"sales", "elsewhere"}), ready=True))
    router.add_call(Call("c", "sales", 0, 1.0, 1))
    assert [x.agent_id for x in router.assign(2.0)] == ["a"]


def test_many_calls_in_one_group_are_served_in_order() -> None:
    # Exercises the lazy-deletion heaps: removals from the middle, then service in order.
    router = make_router()
    for i in range(200):
        router.add_call(Call(f"c{i}", "sales", 0, float(i), i, Need("x", 1)))
    for i in range(0, 200, 3):
        router.remove_call(f"c{i}")
    router.upsert_agent(Agent("a", {"x": 1}, SALES, ready=False))
    router.assign(300.0)
    served = []
    for t in range(301, 320):
        router.set_available("a", True, float(t))
        served += [x.call_id for x in router.assign(float(t))]
    assert served == [f"c{i}" for i in range(200) if i % 3][:19]


@pytest.mark.parametrize(
    "strategy", ["longest_idle", "least_occupancy", "fewest_calls", "best_skill", "round_robin"]
)
def test_a_start_up_freeing_hundreds_of_agents_matches_the_reference(strategy: str) -> None:
    # Hundreds of agents made available in one batch (start-up, reload) take the bulk paths:
    # staged agents are filed first and every group head is scanned. Same answer as the oracle.
    import random

    rng = random.Random(7)
    skills = [f"s{i}" for i in range(8)]
    policies = {
        q: QueuePolicy.from_config(q, strategy, [(0.0, 3), (30.0, 1)])
        for q in ("sales", "support", "billing")
    }
    router = Router(policies)
    calls = [
        Call(
            f"c{i}",
            rng.choice(sorted(policies)),
            rng.randint(0, 1),
            1000.0 - rng.uniform(0, 60),
            i,
            Need(rng.choice(skills), rng.randint(1, 4)),
        )
        for i in range(400)
    ]
    agents = [
        Agent(
            f"a{i:03d}",
            {s: rng.randint(1, 5) for s in rng.sample(skills, 3)},
            frozenset(rng.sample(sorted(policies), 2)),
            ready=True,
            idle_since=900.0 - i,
        )
        for i in range(300)
    ]
    for call in calls:
        router.add_call(call)
    for agent in agents:
        router.upsert_agent(agent)
    expected = reference_assign(calls, agents, policies, 1000.0, last_chosen={})
    assert len(expected) > 100
    assert router.assign(1000.0) == expected
