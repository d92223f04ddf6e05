"""The ACD router: incremental and indexed, with exactly the reference router's results.

Why it can be incremental
-------------------------
After every ``assign(now)`` no waiting call has an eligible available agent. Eligibility of a
pair only changes when the call is new, when the agent becomes available (or changes), or when
the call crosses a relaxation step (time never tightens a requirement). So the next ``assign``
only has to look at:

* *dirty calls*: added since the last assign, or crossed a step since then while agents that
  were already available serve their queue (the only ones a loosening can newly suit that the
  next point does not already cover);
* *fresh agents*: became available or were updated since then.

Replaying the reference scan restricted to those
------------------------------------------------
The reference scans every call in the global order. A call that is not dirty can only be
paired with a fresh agent, and then it is that agent's *frontier*: the best remaining call it
may take now. So the router merges, in one heap keyed by the call order, the dirty calls and the
frontier of each fresh agent, and pops them in order. Each popped call takes the best eligible
available agent (any agent, exactly as the reference would), after which the agents whose
frontier it was look again. A batch of changes thus gives the reference's answer, e.g. two
agents freed at once where the best call prefers the second.

Only the head of a group of like calls (``waiting_calls``) can ever be taken first, so frontiers
are looked for among heads, and a dirty call that is not its group's head is passed over.
Available agents are indexed by skill and level in each queue's strategy order (``agent_pool``).

Time per decision: a fresh agent walks its own filed lists (its queues times its skills and skill
pairs), usually stopping at the first head; a dirty call asks the few agent buckets that can
hold a match. Neither depends on how many calls wait beyond the heap operations (log n).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Mapping
from dataclasses import replace
from types import MappingProxyType

from acd.agent_pool import STAGE_LIMIT, AgentPool
from acd.errors import RoutingConfigError
from acd.model import Agent, Assignment, Call, CallOrderKey, call_order_key
from acd.policy import QueuePolicy
from acd.waiting_calls import FilingKey, GroupList, WaitingCalls, agent_filing_keys

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
        # Agents reserved by ``assign`` whose stored value does not say so yet: the copy is
        # made when someone looks (``_current``), not inside the decision, and often never
        # (the engine upserts a new value when the call ends).
        self._reserving: set[str] = set()
        self._filing: dict[str, tuple[FilingKey, ...]] = {}
        self._lists: dict[str, tuple[GroupList, ...]] = {}  # the filed lists of self._filing
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
        old = self._agents.get(agent.id)
        self._agents[agent.id] = agent
        self._reserving.discard(agent.id)  # the caller's value is the truth from now on
        if old is None or old.skills != agent.skills or old.queues != agent.queues:
            if old is not None:
                self._waiting.release_lists(self._filing[agent.id])
            routed = [queue for queue in agent.queues if queue in self._policies]
            keys = self._filing[agent.id] = agent_filing_keys(routed, agent.skills)
            self._lists[agent.id] = self._waiting.lists_for(keys)
        self._pool.discard(agent.id)
        if agent.available:
            self._pool.add(agent)
            self._fresh.add(agent.id)
        else:
            self._fresh.discard(agent.id)

    def remove_agent(self, agent_id: str) -> Agent | None:
        """Forget an agent; returns it, or ``None`` if unknown."""
        if agent_id not in self._agents:
            return None
        agent = self._current(agent_id)
        del self._agents[agent_id]
        self._pool.discard(agent_id)
        self._fresh.discard(agent_id)
        self._waiting.release_lists(self._filing.pop(agent_id))
        del self._lists[agent_id]
        return agent

    def set_available(self, agent_id: str, available: bool, now: float) -> None:
        """The voice shortcut for ``upsert_agent``.

        ``True``: the agent is ready and free (no reservation, no active call) and idle since
        ``now``, unless it already was available. ``False``: the agent is not ready.
        """
        agent = self._current(agent_id)
        if available and not agent.available:
            self.upsert_agent(replace(agent, ready=True, reserved=False, active_calls=0, idle_since=now))
        elif not available and agent.ready:
            self.upsert_agent(replace(agent, ready=False))

    def agent(self, agent_id: str) -> Agent:
        """The router's current view of ``agent_id`` (``KeyError`` if unknown)."""
        return self._current(agent_id)

    @property
    def agents(self) -> Mapping[str, Agent]:
        """Every known agent, by id (read only)."""
        for agent_id in list(self._reserving):
            self._current(agent_id)
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
        for call_id in self._waiting.pop_due(now):
            # A call that loosened can newly suit any available agent. Agents freed since the
            # last assign will find it through their frontier anyway, so it only needs a look
            # of its own when agents that were already available serve its queue.
            if self._pool.filed_serve(self._waiting.queue_of(call_id)):
                dirty.add(call_id)
        fresh = self._fresh
        self._fresh = set()
        if self._pool.staged > STAGE_LIMIT:
            # Every search would scan them all: quadratic when hundreds are freed at once.
            self._pool.file_staged()
        if len(fresh) > STAGE_LIMIT and len(fresh) >= self._waiting.group_count:
            burst = self._assign_heads(now, day_start)
            self._pool.file_staged()
            return burst

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
            if agent_id == _NO_AGENT and not self._waiting.is_head(call_id):
                # Its group's head ranks before it and is more relaxed, yet is still waiting:
                # no available agent may take the head, so none may take this call.
                continue
            chosen = self._best_agent(call_id, now, day_start)
            if chosen is None:
                continue
            assignments.append(self._commit(call_id, chosen, now))
            if agent_id != _NO_AGENT and agent_id != chosen:
                self._push_frontier(heap, agent_id, now)
        self._pool.file_staged()
        return assignments

    def _assign_heads(self, now: float, day_start: float) -> list[Assignment]:
        """``assign`` by scanning every group head: for many fresh agents at once.

        Fresh agents that share a frontier all look again each time it is taken, which grows
        with the square of the agents freed together (a start-up, a reload). Scanning the heads
        costs one search per group plus one per assignment instead. It is the reference scan:
        a call that is not its group's head can only be taken once the calls before it in the
        group were, and it then becomes the head, ranking after the call just taken.
        """
        heap = list(self._waiting.head_keys())
        heapq.heapify(heap)
        assignments: list[Assignment] = []
        while heap:
            call_id = heapq.heappop(heap)[3]
            chosen = self._best_agent(call_id, now, day_start)
            if chosen is None:
                continue
            group = self._waiting.group_of(call_id)
            assignments.append(self._commit(call_id, chosen, now))
            if group.head_key is not None:
                heapq.heappush(heap, group.head_key)
        return assignments

    # ------------------------------------------------------------------ internals

    def _current(self, agent_id: str) -> Agent:
        agent = self._agents[agent_id]
        if agent_id in self._reserving:
            self._reserving.discard(agent_id)
            agent = self._agents[agent_id] = agent.with_reserved(True)
        return agent

    def _push_frontier(self, heap: list[tuple[CallOrderKey, str]], agent_id: str, now: float) -> None:
        if agent_id == _NO_AGENT:
            return
        frontier = self._frontier(agent_id, now)
        if frontier is not None:
            heapq.heappush(heap, (frontier, agent_id))

    def _frontier(self, agent_id: str, now: float) -> CallOrderKey | None:
        """The best waiting call the (available) agent may take at ``now``, as its order key."""
        return self._waiting.best_head(self._agents[agent_id].skills, self._lists[agent_id], now)

    def _best_agent(self, call_id: str, now: float, day_start: float) -> str | None:
        call = self._waiting.get(call_id)
        assert call is not None
        if not self._pool.serves(call.queue):
            return None  # the common case under load: nobody free in this queue
        group = self._waiting.group_of(call_id)
        cap = group.cap_at(call.enqueue_time, now)
        return self._pool.best(call, group, cap, now, day_start, self._last_chosen.get(call.queue))

    def _commit(self, call_id: str, agent_id: str, now: float) -> Assignment:
        call = self._waiting.remove(call_id)
        assert call is not None
        self._reserving.add(agent_id)
        self._pool.discard(agent_id)
        self._last_chosen[call.queue] = agent_id
        return Assignment(call_id, agent_id, call.queue, now)
