"""Available agents, filed for fast selection.

Each available agent is filed, for every queue it serves, under ``(queue, skill, level)`` for each
skill it has (its exact level) and under ``(queue, WILDCARD, 0)``, in lists sorted by the queue's
``bucket_order_key``. A call asks only the buckets ``candidate_buckets`` names for its requirement
at the cap in force, and for most strategies stops at the first eligible agent of each bucket.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Mapping, Sequence

from acd.model import Agent, Call
from acd.policy import QueuePolicy
from acd.requirement import SkillBucket
from acd.strategies import AgentKey, KeyContext, ScanMode, Strategy, agent_key, bucket_order_key, scan_mode
from acd.waiting_calls import WILDCARD

_Bucket = tuple[str, str, int]  # queue, skill, level


class AgentPool:
    """The available agents, in per-queue strategy order."""

    def __init__(self, policies: Mapping[str, QueuePolicy]) -> None:
        self._policies = policies
        self._members: dict[str, Agent] = {}
        self._filed: dict[_Bucket, list[AgentKey]] = {}
        self._keys: dict[str, dict[str, AgentKey]] = {}  # agent id -> queue -> key it is filed with
        self._day_start = -float("inf")

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._members

    def __len__(self) -> int:
        return len(self._members)

    def add(self, agent: Agent) -> None:
        """File ``agent`` (which must be available and not already filed)."""
        self._members[agent.id] = agent
        keys: dict[str, AgentKey] = {}
        for queue in agent.queues:
            policy = self._policies.get(queue)
            if policy is None:
                continue  # an agent may list a queue this configuration does not route
            key = bucket_order_key(policy.strategy, agent, self._day_start)
            keys[queue] = key
            for bucket in _buckets(queue, agent):
                insort(self._filed.setdefault(bucket, []), key)
        self._keys[agent.id] = keys

    def discard(self, agent_id: str) -> None:
        """Unfile ``agent_id`` if it is filed."""
        agent = self._members.pop(agent_id, None)
        if agent is None:
            return
        for queue, key in self._keys.pop(agent_id).items():
            for bucket in _buckets(queue, agent):
                filed = self._filed[bucket]
                del filed[bisect_left(filed, key)]
                if not filed:
                    del self._filed[bucket]

    def set_day_start(self, day_start: float) -> None:
        """Use ``day_start`` for ``fewest_calls`` ordering; re-files everyone when it changes."""
        if day_start == self._day_start:
            return
        self._day_start = day_start
        if any(p.strategy is Strategy.FEWEST_CALLS for p in self._policies.values()):
            members = list(self._members.values())
            for agent in members:
                self.discard(agent.id)
            for agent in members:
                self.add(agent)

    def best(
        self,
        call: Call,
        buckets: Sequence[SkillBucket],
        strategy: Strategy,
        ctx: KeyContext,
        eligible: Callable[[Agent], bool],
    ) -> str | None:
        """The id of the best agent for ``call`` among those filed under ``buckets``, or ``None``.

        ``buckets`` must cover every agent able to take the call; ``eligible`` is the exact test.
        """
        mode = scan_mode(strategy, call.requirement)
        members = self._members
        best: AgentKey | None = None
        for skill, level in buckets:
            filed = self._filed.get((call.queue, skill, level))
            if not filed:
                continue
            if mode is ScanMode.ALL:
                for entry in filed:
                    agent = members[entry[2]]
                    if eligible(agent):
                        key = agent_key(strategy, agent, call, ctx)
                        if best is None or key < best:
                            best = key
                continue
            start = 0
            if mode is ScanMode.ROTATE and ctx.last_chosen is not None:
                start = bisect_right(filed, (0.0, 0.0, ctx.last_chosen))
            count = len(filed)
            for i in range(count):
                agent = members[filed[(start + i) % count][2]]
                if eligible(agent):
                    key = agent_key(strategy, agent, call, ctx)
                    if best is None or key < best:
                        best = key
                    break
        return None if best is None else best[2]


def _buckets(queue: str, agent: Agent) -> list[_Bucket]:
    buckets = [(queue, skill, level) for skill, level in agent.skills.items()]
    buckets.append((queue, WILDCARD, 0))
    return buckets
