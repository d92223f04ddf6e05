"""Available agents, filed for fast selection.

Each available agent is filed, for every queue it serves, under ``(queue, skill, level)`` for each
skill it has (its exact level) and under ``(queue, WILDCARD, 0)``, in lists sorted by the queue's
``bucket_order_key``. A call asks only the buckets ``candidate_buckets`` names for its
requirement at the cap in force and, for most strategies, stops at the first agent of each
bucket that meets the requirement.

Filing costs a few list insertions per (queue, skill) of the agent, and an agent freed under
load usually takes a call in the very assign that follows. So an agent made available is only
*staged*: searches look at staged agents one by one, and ``file_staged`` files those still
available at the end of an assign. Staging stops paying when many agents are freed at once (a
start-up, a reload, the end of a meeting): a search scans every staged agent, so ``staged`` tells
the router how many there are and it files them first when there are more than ``STAGE_LIMIT``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Mapping

from acd.model import Agent, Call
from acd.policy import QueuePolicy
from acd.requirement import SkillBucket
from acd.strategies import AgentKey, KeyContext, ScanMode, Strategy, agent_key, bucket_order_key
from acd.waiting_calls import CallGroup

_Bucket = tuple[str, str, int]  # queue, skill, level

WILDCARD = ""
"""The skill of the bucket every available agent of a queue is in (real skills are non-empty)."""
_ANYONE: tuple[SkillBucket, ...] = ((WILDCARD, 0),)

STAGE_LIMIT = 32
"""Staged agents beyond which filing them before a search is cheaper than scanning them."""


class AgentPool:
    """The available agents, staged or filed in per-queue strategy order."""

    def __init__(self, policies: Mapping[str, QueuePolicy]) -> None:
        self._policies = policies
        self._staged: dict[str, Agent] = {}
        self._filed_agents: dict[str, Agent] = {}
        self._filed: dict[_Bucket, list[AgentKey]] = {}
        self._keys: dict[str, list[tuple[_Bucket, AgentKey]]] = {}  # where each agent is filed
        self._staged_in: dict[str, int] = {}  # queue -> staged agents serving it
        self._filed_in: dict[str, int] = {}  # queue -> filed agents serving it
        self._day_start = -float("inf")

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._staged or agent_id in self._filed_agents

    def __len__(self) -> int:
        return len(self._staged) + len(self._filed_agents)

    def add(self, agent: Agent) -> None:
        """Make ``agent`` (available, not already in the pool) a candidate; it is staged."""
        self._staged[agent.id] = agent
        _count(self._staged_in, agent, self._policies, 1)

    def discard(self, agent_id: str) -> None:
        """Remove ``agent_id`` from the pool if it is there."""
        agent = self._staged.pop(agent_id, None)
        if agent is not None:
            _count(self._staged_in, agent, self._policies, -1)
        elif agent_id in self._filed_agents:
            self._unfile(agent_id)

    @property
    def staged(self) -> int:
        """How many agents are staged (scanned one by one by every search)."""
        return len(self._staged)

    def file_staged(self) -> None:
        """File every staged agent in its queues' buckets."""
        for agent in self._staged.values():
            self._file(agent)
        self._staged.clear()
        self._staged_in.clear()

    def set_day_start(self, day_start: float) -> None:
        """Use ``day_start`` for ``fewest_calls`` ordering; re-files everyone when it changes."""
        if day_start == self._day_start:
            return
        self._day_start = day_start
        if any(p.strategy is Strategy.FEWEST_CALLS for p in self._policies.values()):
            for agent in list(self._filed_agents.values()):
                self._unfile(agent.id)
                self._file(agent)

    def serves(self, queue: str) -> bool:
        """Whether any available agent serves ``queue`` (the cheap test before a search)."""
        return self._filed_in.get(queue, 0) > 0 or self._staged_in.get(queue, 0) > 0

    def filed_serve(self, queue: str) -> bool:
        """Whether any agent available since before the last ``file_staged`` serves ``queue``."""
        return self._filed_in.get(queue, 0) > 0

    def best(
        self, call: Call, group: CallGroup, cap: int, now: float, day_start: float, last_chosen: str | None
    ) -> str | None:
        """The id of the best available agent for ``call`` (of ``group``) under ``cap``, or ``None``.

        ``now``, ``day_start`` and ``last_chosen`` (the queue's last choice) feed the strategy key.
        """
        accepts = group.accepts
        queue = call.queue
        found = [
            agent for agent in self._staged.values() if queue in agent.queues and accepts(agent.skills, cap)
        ]
        if self._filed_in.get(queue, 0) > 0:
            found += self._best_filed(call, group, cap, last_chosen)
        if not found:
            return None
        if len(found) == 1:
            return found[0].id  # a key only matters between two agents (some are costly)
        policy = group.policy
        ctx = KeyContext(now, day_start, policy.occupancy_window, last_chosen)
        return min(agent_key(policy.strategy, agent, call, ctx) for agent in found)[2]

    def _best_filed(self, call: Call, group: CallGroup, cap: int, last_chosen: str | None) -> list[Agent]:
        """Filed agents meeting the requirement, enough of them to contain the best."""
        accepts = group.accepts
        mode = group.scan_mode
        members = self._filed_agents
        found: list[Agent] = []
        for skill, level in group.candidate_buckets(cap) or _ANYONE:
            filed = self._filed.get((call.queue, skill, level))
            if not filed:
                continue
            if mode is ScanMode.ALL:
                found += (a for a in (members[entry[2]] for entry in filed) if accepts(a.skills, cap))
                continue
            # FIRST and ROTATE: the bucket is in key order, so its first match is its best.
            start = 0
            if mode is ScanMode.ROTATE and last_chosen is not None:
                start = bisect_right(filed, (0.0, 0.0, last_chosen))
            count = len(filed)
            for i in range(count):
                agent = members[filed[(start + i) % count][2]]
                if accepts(agent.skills, cap):
                    found.append(agent)
                    break
        return found

    def _file(self, agent: Agent) -> None:
        placed: list[tuple[_Bucket, AgentKey]] = []
        for queue in agent.queues:
            policy = self._policies.get(queue)
            if policy is None:
                continue  # an agent may list a queue this configuration does not route
            key = bucket_order_key(policy.strategy, agent, self._day_start)
            placed.append(((queue, WILDCARD, 0), key))
            for skill, level in agent.skills.items():
                placed.append(((queue, skill, level), key))
        filed = self._filed
        for bucket, key in placed:
            entries = filed.get(bucket)
            if entries is None:
                filed[bucket] = [key]
            else:
                insort(entries, key)
        self._keys[agent.id] = placed
        self._filed_agents[agent.id] = agent
        _count(self._filed_in, agent, self._policies, 1)

    def _unfile(self, agent_id: str) -> None:
        _count(self._filed_in, self._filed_agents.pop(agent_id), self._policies, -1)
        filed = self._filed
        for bucket, key in self._keys.pop(agent_id):
            entries = filed[bucket]
            del entries[bisect_left(entries, key)]
            if not entries:
                del filed[bucket]


def _count(counts: dict[str, int], agent: Agent, policies: Mapping[str, QueuePolicy], delta: int) -> None:
    for queue in agent.queues:
        if queue in policies:
            counts[queue] = counts.get(queue, 0) + delta
