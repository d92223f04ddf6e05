"""Fixtures for the ACD tests: every routing expectation is checked on both routers."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Protocol

import pytest

from acd.model import Agent, Assignment, Call
from acd.policy import QueuePolicy
from acd.reference_router import reference_assign
from acd.router import Router


class AssignFn(Protocol):
    """``reference_assign``'s signature, implemented by either router."""

    def __call__(
        self,
        calls: Iterable[Call],
        agents: Iterable[Agent],
        queue_policies: Mapping[str, QueuePolicy],
        now: float,
        *,
        day_start: float = -math.inf,
        last_chosen: Mapping[str, str] | None = None,
    ) -> list[Assignment]: ...


def assign_with_router(
    calls: Iterable[Call],
    agents: Iterable[Agent],
    queue_policies: Mapping[str, QueuePolicy],
    now: float,
    *,
    day_start: float = -math.inf,
    last_chosen: Mapping[str, str] | None = None,
) -> list[Assignment]:
    """One ``Router.assign`` on a router given the agents and the calls at once.

    Every agent is then newly available: the router compares them one by one.
    """
    router = Router(queue_policies, last_chosen=last_chosen)
    for agent in agents:
        router.upsert_agent(agent)
    for call in calls:
        router.add_call(call)
    return router.assign(now, day_start=day_start)


def assign_with_router_agents_first(
    calls: Iterable[Call],
    agents: Iterable[Agent],
    queue_policies: Mapping[str, QueuePolicy],
    now: float,
    *,
    day_start: float = -math.inf,
    last_chosen: Mapping[str, str] | None = None,
) -> list[Assignment]:
    """The agents go through an assign with no calls first, the calls arrive afterwards.

    The agents are then filed in the router's buckets, so the calls exercise the bucket
    search (strategy order, round-robin rotation) rather than the one-by-one comparison.
    """
    router = Router(queue_policies, last_chosen=last_chosen)
    for agent in agents:
        router.upsert_agent(agent)
    assert router.assign(now, day_start=day_start) == []
    for call in calls:
        router.add_call(call)
    return router.assign(now, day_start=day_start)


ASSIGNERS: dict[str, AssignFn] = {
    "reference": reference_assign,
    "router": assign_with_router,
    "router-agents-first": assign_with_router_agents_first,
}


@pytest.fixture(params=sorted(ASSIGNERS))
def assign(request: pytest.FixtureRequest) -> AssignFn:
    """Each routing test runs against the reference and the indexed router (both ways in)."""
    return ASSIGNERS[request.param]
