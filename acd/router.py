"""The ACD router: incremental and indexed, with exactly the reference router's results.

Why it can be incremental
-------------------------
After every ``assign(now)`` no waiting call has an eligible available agent. Eligibility of a
pair only changes when the call is new, when the agent becomes available (or changes), or when
the call crosses a relaxation step (time never tightens a requirement). So the next ``assign``
only has to look at:

* *dirty calls*: added since the last assign, or crossed a step since then;
* *fresh agents*: became available or were updated since then.

Replaying the reference scan restricted to those
------------------------------------------------
The reference scans every call in the global order. A call that is not dirty can only be
paired with a fresh agent, and then it is that agent's *frontier*: the best remaining call it
can take now. So the router merges, in one heap keyed by the call order, the dirty calls and the
frontier of each fresh agent, and pops them in order. Each popped call takes the best eligible
available agent (any agent, exactly as the reference would), after which the agents whose
frontier it was look again. A batch of changes thus gives the reference's answer, e.g. two
agents freed at once where the best call prefers the second.

The frontier of an agent is found among group heads only (see ``waiting_calls``): for each queue
it serves and skill it has, the filed groups are scanned best head first, stopping at the first
head it may take now, or as soon as heads rank below the best found so far.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Mapping
from dataclasses import replace
from types import MappingProxyType

from acd.agent_pool import AgentPool
from acd.errors import RoutingConfigError
from acd.model import Agent, Assignment, Call, CallOrderKey, call_order_key
from acd.policy import QueuePolicy
from acd.strategies import KeyContext
from acd.waiting_calls import WILDCARD, Signature, WaitingCalls

_NO_AGENT = ""  # heap entries of dirty calls; agent ids are never empty


class Router:
    """Pairs waiting calls with available agents. Pure: no clock, no I/O; ``now`` is passed in.

    Time passed to ``assign`` and ``set_available`` must never decrease.
    """

    def __init__(
        self,
        queue_policies: Mapping[str, QueuePolicy],
        *,
        last_chosen: Mapping[str, str] | None = None,
    ) -> None:
        for name, policy in queue_policies.items():
            if name != policy.name:
                raise RoutingConfigError(f"queue {name!r} is configured with the policy of {policy.name!r}")
        self._policies = dict(queue_policies)
        self._agents: dict[str, Agent] = {}
        self._signature: dict[str, Signature] = {}
        self._signatures: dict[Signature, Signature] = {}
        self._filing: dict[str, tuple[tuple[str, str], ...]] = {}
        self._pool = AgentPool(self._policies)
        self._waiting = WaitingCalls(self._policies)
        self._fresh: set[str] = set()
        self._new_calls: set[str] = set()
        self._last_chosen: dict[str, str] = dict(last_chosen or {})
        self._now = -math.inf

    # ------------------------------------------------------------------ agents

    def upsert_agent(self, agent: Agent) -> None:
        """Add or replace an agent (skills, queues, availability, workload history)."""
        if not agent.id:
            raise ValueError("agent id must not be empty")
        self._agents[agent.id] = agent
        signature = frozenset(agent.skills.items())
        # Interned so that agents with equal skills hit the groups' caches by identity.
        self._signature[agent.id] = self._signatures.setdefault(signature, signature)
        self._filing[agent.id] = tuple(
            (queue, skill)
            for queue in sorted(agent.queues)
            if queue in self._policies
            for skill in (*agent.skills, WILDCARD)
        )
        self._pool.discard(agent.id)
        if agent.available:
            self._pool.add(agent)
            self._fresh.add(agent.id)
        else:
            self._fresh.discard(agent.id)

    def remove_agent(self, agent_id: str) -> Agent | None:
        """Forget an agent; returns it, or ``None`` if unknown."""
        agent = self._agents.pop(agent_id, None)
        if agent is not None:
            self._pool.discard(agent_id)
            self._fresh.discard(agent_id)
            del self._signature[agent_id], self._filing[agent_id]
        return agent

    def set_available(self, agent_id: str, available: bool, now: float) -> None:
        """The voice shortcut for ``upsert_agent``.

        ``True``: the agent is ready and free (no reservation, no active call) and idle since
        ``now``, unless it already was available. ``False``: the agent is not ready.
        """
        agent = self._agents[agent_id]
        if available and not agent.available:
            self.upsert_agent(replace(agent, ready=True, reserved=False, active_calls=0, idle_since=now))
        elif not available and agent.ready:
            self.upsert_agent(replace(agent, ready=False))

    def agent(self, agent_id: str) -> Agent:
        """The router's current view of ``agent_id`` (``KeyError`` if unknown)."""
        return self._agents[agent_id]

    @property
    def agents(self) -> Mapping[str, Agent]:
        """Every known agent, by id (read only)."""
        return MappingProxyType(self._agents)

    # ------------------------------------------------------------------ calls

    def add_call(self, call: Call) -> None:
        """Queue ``call``; a callback or a call put back keeps its original ``enqueue_time``."""
        self._waiting.add(call)
        self._new_calls.add(call.id)

    def remove_call(self, call_id: str) -> Call | None:
        """Withdraw a waiting call (abandoned, timed out...); ``None`` if it was not waiting."""
        self._new_calls.discard(call_id)
        return self._waiting.remove(call_id)

    def waiting_calls(self) -> Iterator[Call]:
        """Every waiting call, in no particular order."""
        return iter(self._waiting)

    def queue_position(self, call_id: str) -> int:
        """1-based position of a waiting call among its queue's calls in the global order.

        O(calls in the queue): meant for position announcements, not for every event.
        """
        call = self._waiting.get(call_id)
        if call is None:
            raise KeyError(call_id)
        key = call_order_key(call)
        return 1 + sum(1 for other in self._waiting.in_queue(call.queue) if call_order_key(other) < key)

    @property
    def last_chosen(self) -> Mapping[str, str]:
        """The agent each queue chose last (round-robin state), for persistence across restarts."""
        return MappingProxyType(self._last_chosen)

    # ------------------------------------------------------------------ routing

    def next_relaxation_at(self) -> float | None:
        """When a waiting call's requirement next loosens: the daemon sets a timer to ``assign``."""
        return self._waiting.next_due()

    def assign(self, now: float, *, day_start: float = -math.inf) -> list[Assignment]:
        """Pair calls with agents as ``reference_assign`` would on the current state at ``now``.

        Assigned calls leave the router; assigned agents become reserved (unavailable) until
        ``set_available(agent, True, now)`` or an upsert makes them available again.
        ``day_start`` is the start of "today" for ``fewest_calls``.
        """
        if not math.isfinite(now):
            raise ValueError(f"now must be finite, got {now!r}")
        if now < self._now:
            raise ValueError(f"time went backwards: {now} < {self._now}")
        self._now = now
        self._pool.set_day_start(day_start)

        dirty = self._new_calls
        self._new_calls = set()
        dirty.update(self._waiting.pop_due(now))
        fresh = self._fresh
        self._fresh = set()

        # Entries (call order key, agent id): a dirty call, or the frontier of a fresh agent.
        heap: list[tuple[CallOrderKey, str]] = []
        for call_id in dirty:
            call = self._waiting.get(call_id)
            if call is not None:
                heap.append((call_order_key(call), _NO_AGENT))
        for agent_id in fresh:
            frontier = self._frontier(agent_id, now)
            if frontier is not None:
                heap.append((frontier, agent_id))
        heapq.heapify(heap)

        assignments: list[Assignment] = []
        seen: set[str] = set()
        while heap:
            key, agent_id = heapq.heappop(heap)
            call_id = key[3]
            if agent_id != _NO_AGENT and agent_id not in self._pool:
                continue  # that agent was assigned earlier in this batch
            if call_id not in self._waiting:
                # Taken earlier in this batch: the agent looks for its next frontier.
                self._push_frontier(heap, agent_id, now)
                continue
            if call_id in seen:
                # A frontier entry can never name a call already passed over: that agent was
                # available and eligible when the call was scanned, so the call was assigned.
                assert agent_id == _NO_AGENT, "router invariant broken"
                continue
            seen.add(call_id)
            chosen = self._best_agent(call_id, now, day_start)
            if chosen is None:
                continue
            assignments.append(self._commit(call_id, chosen, now))
            if agent_id != _NO_AGENT and agent_id != chosen:
                self._push_frontier(heap, agent_id, now)
        return assignments

    # ------------------------------------------------------------------ internals

    def _push_frontier(self, heap: list[tuple[CallOrderKey, str]], agent_id: str, now: float) -> None:
        if agent_id == _NO_AGENT:
            return
        frontier = self._frontier(agent_id, now)
        if frontier is not None:
            heapq.heappush(heap, (frontier, agent_id))

    def _frontier(self, agent_id: str, now: float) -> CallOrderKey | None:
        """The best waiting call the (available) agent may take at ``now``, as its order key."""
        signature = self._signature[agent_id]
        waiting = self._waiting
        best: CallOrderKey | None = None
        for queue, skill in self._filing[agent_id]:
            for head_key, gid in waiting.filed(queue, skill):
                if best is not None and head_key >= best:
                    break
                # head_key[1] is the head's enqueue_time; the head is its group's most relaxed call.
                if now >= head_key[1] + waiting.group(gid).wait_for(signature):
                    best = head_key
                    break
        return best

    def _best_agent(self, call_id: str, now: float, day_start: float) -> str | None:
        call = self._waiting.get(call_id)
        assert call is not None
        group = self._waiting.group_of(call_id)
        policy = group.policy
        cap = policy.relaxation.cap_at(call.enqueue_time, now)
        buckets = group.candidate_buckets(cap) or ((WILDCARD, 0),)
        ctx = KeyContext(now, day_start, policy.occupancy_window, self._last_chosen.get(call.queue))
        signatures = self._signature
        enqueue_time = call.enqueue_time

        def eligible(agent: Agent) -> bool:
            return now >= enqueue_time + group.wait_for(signatures[agent.id])

        return self._pool.best(call, buckets, policy.strategy, ctx, eligible)

    def _commit(self, call_id: str, agent_id: str, now: float) -> Assignment:
        call = self._waiting.remove(call_id)
        assert call is not None
        agent = replace(self._agents[agent_id], reserved=True)
        self._agents[agent_id] = agent
        self._pool.discard(agent_id)
        self._last_chosen[call.queue] = agent_id
        return Assignment(call_id, agent_id, call.queue, now)
