"""Agent-selection strategies, each a sort key: the eligible agent with the lowest key wins.

Every key is ``(primary, secondary, agent_id)``: the strategy's own criterion, then (where the
criterion ties often) the longest-idle agent, then the agent id so the choice is always
deterministic. No arithmetic mixes criteria (no ``penalty * 1000000``): tuples compare in order.

=================  ==========================================================================
strategy           key
=================  ==========================================================================
longest_idle       (idle_since, 0, id)
least_occupancy    (busy fraction over the queue's window ending at now, idle_since, id)
fewest_calls       (calls handled since day_start, idle_since, id)
best_skill         (-sum of the agent's levels on the skills the call mentions, idle_since, id)
round_robin        (0 if id sorts after the queue's last choice else 1, 0, id)
=================  ==========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TypeAlias

from acd.errors import RoutingConfigError
from acd.model import Agent, Call
from acd.requirement import Requirement, skills_in

AgentKey: TypeAlias = tuple[float, float, str]


class Strategy(StrEnum):
    """How a queue chooses among eligible agents."""

    LONGEST_IDLE = "longest_idle"
    LEAST_OCCUPANCY = "least_occupancy"
    FEWEST_CALLS = "fewest_calls"
    BEST_SKILL = "best_skill"
    ROUND_ROBIN = "round_robin"


def parse_strategy(name: str) -> Strategy:
    """The strategy called ``name``; an unknown name is a ``RoutingConfigError``, never a fallback."""
    try:
        return Strategy(name)
    except ValueError:
        known = ", ".join(s.value for s in Strategy)
        raise RoutingConfigError(f"unknown routing strategy {name!r} (known: {known})") from None


@dataclass(frozen=True, slots=True)
class KeyContext:
    """What a key may depend on besides the agent and the call; all passed in, nothing read."""

    now: float
    day_start: float
    occupancy_window: float
    last_chosen: str | None
    """The agent this queue chose last (round robin)."""


def skill_score(agent: Agent, call: Call) -> int:
    """Sum of the agent's levels on the skills the call's requirement mentions."""
    return sum(agent.skills.get(skill, 0) for skill in skills_in(call.requirement))


def agent_key(strategy: Strategy, agent: Agent, call: Call, ctx: KeyContext) -> AgentKey:
    """The sort key of ``agent`` for ``call`` under ``strategy``; lower is better."""
    match strategy:
        case Strategy.LONGEST_IDLE:
            return (agent.idle_since, 0.0, agent.id)
        case Strategy.LEAST_OCCUPANCY:
            return (agent.busy.occupancy(ctx.now, ctx.occupancy_window), agent.idle_since, agent.id)
        case Strategy.FEWEST_CALLS:
            return (float(agent.handled.count_on(ctx.day_start)), agent.idle_since, agent.id)
        case Strategy.BEST_SKILL:
            return (float(-skill_score(agent, call)), agent.idle_since, agent.id)
        case Strategy.ROUND_ROBIN:
            after_last = ctx.last_chosen is None or agent.id > ctx.last_chosen
            return (0.0 if after_last else 1.0, 0.0, agent.id)


# ------------------------------------------------------------------ for the indexed router
# The router keeps available agents filed by (queue, skill, level) and sorted by
# ``bucket_order_key``. These two functions say how far that order can stand in for
# ``agent_key`` above; keep the three in step.


class ScanMode(Enum):
    """How the router searches one (queue, skill, level) bucket of available agents."""

    FIRST = "first"
    """The bucket order is the key order: the first eligible agent is the bucket's best."""
    ROTATE = "rotate"
    """Round robin: the first eligible agent after the queue's last choice, wrapping around."""
    ALL = "all"
    """The key depends on ``now`` or on several of the call's skills: every member is scored."""


def bucket_order_key(strategy: Strategy, agent: Agent, day_start: float) -> AgentKey:
    """The order available agents are kept in for a queue using ``strategy``.

    It may depend only on values that do not change while the agent stays available (a new
    ``day_start`` makes the router re-file ``fewest_calls`` queues).
    """
    match strategy:
        case Strategy.LONGEST_IDLE:
            return (agent.idle_since, 0.0, agent.id)
        case Strategy.FEWEST_CALLS:
            return (float(agent.handled.count_on(day_start)), agent.idle_since, agent.id)
        case Strategy.ROUND_ROBIN:
            return (0.0, 0.0, agent.id)
        case Strategy.BEST_SKILL | Strategy.LEAST_OCCUPANCY:
            return (0.0, agent.idle_since, agent.id)


def scan_mode(strategy: Strategy, requirement: Requirement) -> ScanMode:
    """How the bucket order relates to ``agent_key`` for calls with ``requirement``."""
    match strategy:
        case Strategy.LONGEST_IDLE | Strategy.FEWEST_CALLS:
            return ScanMode.FIRST
        case Strategy.ROUND_ROBIN:
            return ScanMode.ROTATE
        case Strategy.BEST_SKILL:
            # Candidates come from buckets of the call's skills; with a single skill mentioned,
            # everyone in a bucket has the same level on it, so idle order decides inside it.
            return ScanMode.FIRST if len(skills_in(requirement)) <= 1 else ScanMode.ALL
        case Strategy.LEAST_OCCUPANCY:
            return ScanMode.ALL
