"""Each agent-selection strategy, with hand-worked expectations (on both routers)."""

from __future__ import annotations

import pytest

from acd.errors import RoutingConfigError
from acd.model import Agent, Call
from acd.policy import QueuePolicy
from acd.requirement import ANYONE, AllOf, AnyOf, Need, Requirement
from acd.strategies import Strategy, parse_strategy
from acd.workload import BusyHistory, CallTally
from tests.acd.conftest import AssignFn

NOW = 1000.0


def policies(strategy: str, occupancy_window: float = 3600.0) -> dict[str, QueuePolicy]:
    return {"sales": QueuePolicy.from_config("sales", strategy, occupancy_window=occupancy_window)}


def call(requirement: Requirement = ANYONE, call_id: str = "c1", seq: int = 1) -> Call:
    return Call(call_id, "sales", 0, NOW - 10, seq, requirement)


def agent(agent_id: str, **fields: object) -> Agent:
    fields.setdefault("queues", frozenset({"sales"}))
    fields.setdefault("ready", True)
    return Agent(agent_id, **fields)  # type: ignore[arg-type]


def chosen(assign: AssignFn, strategy: str, agents: list[Agent], *calls: Call, **kw: object) -> list[str]:
    result = assign(list(calls) or [call()], agents, policies(strategy), NOW, **kw)  # type: ignore[arg-type]
    return [a.agent_id for a in result]


def test_unknown_strategy_is_a_config_error() -> None:
    with pytest.raises(RoutingConfigError, match="unknown routing strategy 'ringall'"):
        parse_strategy("ringall")
    with pytest.raises(RoutingConfigError):
        QueuePolicy.from_config("sales", "random")
    assert parse_strategy("best_skill") is Strategy.BEST_SKILL


def test_longest_idle_takes_the_earliest_idle_since(assign: AssignFn) -> None:
    agents = [agent("a", idle_since=100.0), agent("b", idle_since=50.0), agent("c", idle_since=75.0)]
    assert chosen(assign, "longest_idle", agents) == ["b"]


def test_ties_go_to_the_lowest_agent_id(assign: AssignFn) -> None:
    agents = [agent("b", idle_since=50.0), agent("c", idle_since=50.0), agent("a2", idle_since=50.0)]
    assert chosen(assign, "longest_idle", agents) == ["a2"]


def test_least_occupancy_over_the_window(assign: AssignFn) -> None:
    # Window 100 s ending at 1000: a was busy 50 s (0.5); b 20 s (0.2); c [850, 920] overlaps
    # the window by 20 s (0.2) and has been idle longer than b, so c wins the tie.
    a = agent("a", busy=BusyHistory(((900.0, 950.0),)), idle_since=950.0)
    b = agent("b", busy=BusyHistory(((960.0, 980.0),)), idle_since=980.0)
    c = agent("c", busy=BusyHistory(((850.0, 920.0),)), idle_since=920.0)
    result = assign([call()], [a, b, c], policies("least_occupancy", occupancy_window=100.0), NOW)
    assert [x.agent_id for x in result] == ["c"]
    # With a 200 s window c's whole 70 s count (0.35): b (0.1) wins.
    result = assign([call()], [a, b, c], policies("least_occupancy", occupancy_window=200.0), NOW)
    assert [x.agent_id for x in result] == ["b"]


def test_fewest_calls_counts_only_today(assign: AssignFn) -> None:
    today = 900.0
    agents = [
        agent("a", handled=CallTally(today, 3), idle_since=10.0),
        agent("b", handled=CallTally(today - 86_400, 10), idle_since=30.0),  # yesterday's: 0 today
        agent("c", handled=CallTally(today, 1), idle_since=20.0),
    ]
    assert chosen(assign, "fewest_calls", agents, day_start=today) == ["b"]
    # Seen from the day before, b's 10 calls count and c has the fewest.
    assert chosen(assign, "fewest_calls", agents, day_start=today - 86_400) == ["c"]


def test_best_skill_prefers_the_highest_level(assign: AssignFn) -> None:
    agents = [
        agent("a", skills={"english": 2}, idle_since=10.0),
        agent("b", skills={"english": 5}, idle_since=30.0),
        agent("c", skills={"english": 4}, idle_since=20.0),
    ]
    assert chosen(assign, "best_skill", agents, call(Need("english", 2))) == ["b"]


def test_best_skill_then_longest_idle(assign: AssignFn) -> None:
    agents = [
        agent("a", skills={"english": 5}, idle_since=30.0),
        agent("b", skills={"english": 5}, idle_since=20.0),
    ]
    assert chosen(assign, "best_skill", agents, call(Need("english", 2))) == ["b"]


def test_best_skill_adds_levels_over_the_required_skills(assign: AssignFn) -> None:
    # Same english level, so the english bucket cannot tell them apart: billing decides (2+1 vs
    # 2+4), although a has been idle longer.
    need = AllOf((Need("english", 2), Need("billing", 1)))
    agents = [
        agent("a", skills={"english": 2, "billing": 1, "french": 5}, idle_since=10.0),
        agent("b", skills={"english": 2, "billing": 4}, idle_since=20.0),
    ]
    assert chosen(assign, "best_skill", agents, call(need)) == ["b"]


def test_best_skill_with_alternatives(assign: AssignFn) -> None:
    need = AnyOf((Need("english", 3), Need("spanish", 3)))
    agents = [
        agent("a", skills={"english": 4}, idle_since=10.0),
        agent("b", skills={"spanish": 3, "english": 3}, idle_since=20.0),
    ]
    assert chosen(assign, "best_skill", agents, call(need)) == ["b"]


@pytest.mark.parametrize(
    ("last", "expected"),
    [(None, "a"), ("a", "b"), ("b", "d"), ("c", "d"), ("d", "a"), ("zz", "a")],
)
def test_round_robin_takes_the_next_id_after_the_last_choice(
    assign: AssignFn, last: str | None, expected: str
) -> None:
    agents = [agent("d"), agent("b"), agent("a")]
    last_chosen = None if last is None else {"sales": last}
    assert chosen(assign, "round_robin", agents, last_chosen=last_chosen) == [expected]


def test_round_robin_rotates_within_one_assign(assign: AssignFn) -> None:
    calls = [call(call_id=f"c{i}", seq=i) for i in range(3)]
    agents = [agent("a"), agent("b"), agent("c"), agent("d")]
    assert chosen(assign, "round_robin", agents, *calls, last_chosen={"sales": "b"}) == ["c", "d", "a"]


def test_round_robin_skips_ineligible_agents(assign: AssignFn) -> None:
    agents = [agent("a", skills={"x": 1}), agent("b", skills={"x": 1}), agent("c", skills={"y": 5})]
    result = chosen(assign, "round_robin", agents, call(Need("x", 1)), last_chosen={"sales": "b"})
    assert result == ["a"]
