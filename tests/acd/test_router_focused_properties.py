"""Focused property tests for the two paths where the incremental router differs most from a
full scan: calls that only become eligible by waiting (relaxation crossings), and several agents
freed at once into an old backlog (agent frontiers). The stateful test covers everything; these
make the hard cases dense.
"""

from __future__ import annotations

from dataclasses import replace
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.agent_pool import STAGE_LIMIT
from acd.model import Agent, Call
from acd.policy import QueuePolicy
from acd.reference_router import reference_assign
from acd.relaxation import Relaxation
from acd.requirement import Requirement
from acd.router import Router
from acd.strategies import Strategy
from tests.acd.generators import AGENT_IDS, QUEUES, agent_skill_levels, requirements

RELAXING = (
    ((10.0, 3),),
    ((5.0, 4), (20.0, 2), (40.0, 1)),
    ((0.0, 3), (30.0, 1)),
    ((15.0, 1),),
)

policies = st.tuples(
    *(
        st.builds(
            QueuePolicy,
            name=st.just(queue),
            strategy=st.sampled_from(Strategy),
            relaxation=st.sampled_from(RELAXING).map(Relaxation.from_pairs),
        )
        for queue in QUEUES
    )
).map(lambda ps: {p.name: p for p in ps})
staff = st.lists(
    st.tuples(agent_skill_levels, st.frozensets(st.sampled_from(QUEUES), min_size=1)),
    min_size=1,
    max_size=len(AGENT_IDS),
)
backlog = st.lists(
    st.tuples(st.sampled_from(QUEUES), st.integers(0, 1), st.sampled_from((0.0, 3.0, 12.0)), requirements),
    min_size=1,
    max_size=8,
)

NOW = 1000.0


def make_calls(specs: list[tuple[str, int, float, Requirement]]) -> dict[str, Call]:
    calls = [Call(f"c{i}", q, prio, NOW - age, i, req) for i, (q, prio, age, req) in enumerate(specs)]
    return {c.id: c for c in calls}


class Model:
    """The reference's inputs, updated with each round of assignments."""

    def __init__(self, queue_policies: dict[str, QueuePolicy], agents: list[Agent], calls: dict[str, Call]):
        self.policies = queue_policies
        self.agents = {a.id: a for a in agents}
        self.calls = dict(calls)
        self.last_chosen: dict[str, str] = {}
        self.router = Router(queue_policies)
        for agent in agents:
            self.router.upsert_agent(agent)
        for call in calls.values():
            self.router.add_call(call)

    def assign_and_compare(self, now: float) -> int:
        expected = reference_assign(
            self.calls.values(), self.agents.values(), self.policies, now, last_chosen=self.last_chosen
        )
        assert self.router.assign(now) == expected
        for a in expected:
            del self.calls[a.call_id]
            self.agents[a.agent_id] = replace(self.agents[a.agent_id], reserved=True)
            self.last_chosen[a.queue] = a.agent_id
        return len(expected)


@settings(max_examples=200, deadline=None)
@given(
    policies, staff, backlog, st.lists(st.sampled_from((1.0, 4.0, 5.0, 9.0, 15.0)), min_size=1, max_size=8)
)
def test_calls_relaxing_while_agents_idle(
    queue_policies: dict[str, QueuePolicy],
    people: list[tuple[dict[str, int], frozenset[str]]],
    specs: list[tuple[str, int, float, Requirement]],
    steps: list[float],
) -> None:
    # Everyone idle from the start; after the first assign only time passes, so every later
    # pair comes from a call crossing a relaxation step.
    agents = [
        Agent(aid, skills, queues, ready=True, idle_since=NOW - 10 * i)
        for i, (aid, (skills, queues)) in enumerate(zip(AGENT_IDS, people))
    ]
    model = Model(queue_policies, agents, make_calls(specs))
    now = NOW
    model.assign_and_compare(now)
    for step in steps:
        now += step
        model.assign_and_compare(now)


@pytest.mark.parametrize("stage_limit", [STAGE_LIMIT, 0], ids=["as-shipped", "bulk-paths"])
@settings(max_examples=200, deadline=None)
@given(
    policies,
    staff,
    backlog,
    st.lists(st.sets(st.sampled_from(AGENT_IDS), min_size=1), min_size=1, max_size=3),
    st.sampled_from((0.0, 5.0, 20.0)),
)
def test_several_agents_freed_into_an_old_backlog(
    stage_limit: int,
    queue_policies: dict[str, QueuePolicy],
    people: list[tuple[dict[str, int], frozenset[str]]],
    specs: list[tuple[str, int, float, Requirement]],
    waves: list[set[str]],
    pause: float,
) -> None:
    # With the burst threshold at zero, staged agents are filed before the searches, and a wave
    # at least as large as the number of call groups takes the head scan.
    with patch("acd.router.STAGE_LIMIT", stage_limit):
        free_in_waves(queue_policies, people, specs, waves, pause)


def free_in_waves(
    queue_policies: dict[str, QueuePolicy],
    people: list[tuple[dict[str, int], frozenset[str]]],
    specs: list[tuple[str, int, float, Requirement]],
    waves: list[set[str]],
    pause: float,
) -> None:
    # Everyone on a call while the backlog builds; then agents are freed in waves, several
    # at a time, each wave followed by one assign.
    agents = [
        Agent(aid, skills, queues, ready=True, reserved=True, idle_since=NOW - 10 * i)
        for i, (aid, (skills, queues)) in enumerate(zip(AGENT_IDS, people))
    ]
    model = Model(queue_policies, agents, make_calls(specs))
    now = NOW
    assert model.assign_and_compare(now) == 0
    for wave in waves:
        now += pause
        for agent_id in sorted(wave & model.agents.keys()):
            if not model.agents[agent_id].available:
                model.router.set_available(agent_id, True, now)
                model.agents[agent_id] = replace(model.agents[agent_id], reserved=False, idle_since=now)
        model.assign_and_compare(now)
