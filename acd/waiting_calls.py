"""Waiting calls, grouped and indexed for the router.

Calls are grouped by (queue, requirement, priority). Inside a group the calls are ordered by
(enqueue_time, seq): the head is both the best-ranked call of the group and the most relaxed
(relaxation depends only on how long a call has waited), so whoever cannot take the head cannot
take any call of the group. The router therefore only ever tests group heads.

Each group is filed under (queue, skill) for every skill in ``necessary_skills`` of its
requirement (under ``WILDCARD`` when anyone may take it), in lists sorted by the head's global
order key: an agent scanning the lists for its own skills meets the best candidates first.

Each group also caches, per agent skill signature, how long its calls must wait before that
signature becomes eligible (``CallGroup.wait_for``).

Removal is lazy (a heap entry dies when its token no longer matches), so adding or removing a
call costs O(log n) in the calls of its group, plus re-filing when the head changes.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Iterator, Mapping, Sequence
from typing import TypeAlias

from acd.errors import RoutingConfigError
from acd.model import Call, CallOrderKey, call_order_key
from acd.policy import QueuePolicy
from acd.requirement import Requirement, SkillBucket, candidate_buckets, loosest_cap, necessary_skills

WILDCARD = ""
"""The skill name requirements with no necessary skill are filed under (real skills are non-empty)."""

Signature: TypeAlias = frozenset[tuple[str, int]]
"""An agent's skills as a hashable value; agents with equal skills share every cached result."""

GroupKey: TypeAlias = tuple[str, Requirement, int]
FiledGroup: TypeAlias = tuple[CallOrderKey, int]

_Entry: TypeAlias = tuple[float, int, str, int]  # enqueue_time, seq, call id, token
_Due: TypeAlias = tuple[float, int, str, int]  # due time, token, call id, step index


class CallGroup:
    """Calls of one (queue, requirement, priority), head first."""

    __slots__ = ("_buckets", "gid", "head_key", "heap", "live", "policy", "requirement", "skills", "waits")

    def __init__(self, gid: int, policy: QueuePolicy, requirement: Requirement) -> None:
        self.gid = gid
        self.policy = policy
        self.requirement = requirement
        necessary = necessary_skills(requirement)
        self.skills: tuple[str, ...] = (WILDCARD,) if necessary is None else tuple(sorted(necessary))
        self.head_key: CallOrderKey | None = None
        self.live = 0
        self.waits: dict[Signature, float] = {}
        self.heap: list[_Entry] = []
        """(enqueue_time, seq, call id, token); dead entries linger until they reach the top."""
        self._buckets: dict[int, tuple[SkillBucket, ...] | None] = {}

    def wait_for(self, signature: Signature) -> float:
        """Seconds a call of this group must wait before agents with ``signature`` may take it.

        ``ALWAYS`` (-inf), a step's ``after_seconds``, or ``NEVER`` (+inf); compare as
        ``now >= enqueue_time + wait``.
        """
        wait = self.waits.get(signature)
        if wait is None:
            wait = self.policy.relaxation.wait_needed(loosest_cap(dict(signature), self.requirement))
            self.waits[signature] = wait
        return wait

    def candidate_buckets(self, cap: int) -> tuple[SkillBucket, ...] | None:
        """``requirement.candidate_buckets`` for this group's requirement, cached per cap."""
        if cap not in self._buckets:
            self._buckets[cap] = candidate_buckets(self.requirement, cap)
        return self._buckets[cap]


class WaitingCalls:
    """Every waiting call, grouped, filed by skill, with a heap of upcoming relaxation steps."""

    def __init__(self, policies: Mapping[str, QueuePolicy]) -> None:
        self._policies = policies
        self._calls: dict[str, Call] = {}
        self._token: dict[str, int] = {}
        self._group_of: dict[str, CallGroup] = {}
        self._groups: dict[GroupKey, CallGroup] = {}
        self._by_gid: dict[int, CallGroup] = {}
        self._filed: dict[tuple[str, str], list[FiledGroup]] = {}
        self._by_queue: dict[str, set[str]] = {}
        self._due: list[_Due] = []
        self._next_token = 0
        self._next_gid = 0

    def __len__(self) -> int:
        return len(self._calls)

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._calls

    def __iter__(self) -> Iterator[Call]:
        return iter(self._calls.values())

    def get(self, call_id: str) -> Call | None:
        """The waiting call ``call_id``, if any."""
        return self._calls.get(call_id)

    def group_of(self, call_id: str) -> CallGroup:
        """The group of the waiting call ``call_id``."""
        return self._group_of[call_id]

    def group(self, gid: int) -> CallGroup:
        """The group with id ``gid`` (as found in a filed list)."""
        return self._by_gid[gid]

    def filed(self, queue: str, skill: str) -> Sequence[FiledGroup]:
        """Groups of ``queue`` filed under ``skill``, best head first."""
        return self._filed.get((queue, skill), ())

    def in_queue(self, queue: str) -> Iterator[Call]:
        """The calls waiting in ``queue``, in no particular order."""
        return (self._calls[cid] for cid in self._by_queue.get(queue, ()))

    def add(self, call: Call) -> None:
        """Start tracking ``call``; ids must be unique among waiting calls."""
        if call.id in self._calls:
            raise ValueError(f"call {call.id!r} is already waiting")
        policy = self._policies.get(call.queue)
        if policy is None:
            raise RoutingConfigError(f"call {call.id!r} names unknown queue {call.queue!r}")
        key = (call.queue, call.requirement, call.priority)
        group = self._groups.get(key)
        if group is None:
            group = CallGroup(self._next_gid, policy, call.requirement)
            self._next_gid += 1
            self._groups[key] = group
            self._by_gid[group.gid] = group
        token = self._next_token
        self._next_token += 1
        self._calls[call.id] = call
        self._token[call.id] = token
        self._group_of[call.id] = group
        self._by_queue.setdefault(call.queue, set()).add(call.id)
        heapq.heappush(group.heap, (call.enqueue_time, call.seq, call.id, token))
        group.live += 1
        if group.head_key is None or call_order_key(call) < group.head_key:
            self._refile(group, call_order_key(call))
        if policy.relaxation.steps:
            heapq.heappush(self._due, (policy.relaxation.due_time(call.enqueue_time, 0), token, call.id, 0))

    def remove(self, call_id: str) -> Call | None:
        """Stop tracking ``call_id``; returns the call, or ``None`` if it was not waiting."""
        call = self._calls.pop(call_id, None)
        if call is None:
            return None
        del self._token[call_id]
        group = self._group_of.pop(call_id)
        self._by_queue[call.queue].discard(call_id)
        group.live -= 1
        if group.live == 0:
            self._refile(group, None)
            del self._groups[(call.queue, group.requirement, call.priority)]
            del self._by_gid[group.gid]
        else:
            if group.head_key is not None and group.head_key[3] == call_id:
                self._refile(group, self._clean_head(group))
            if len(group.heap) > 2 * group.live + 32:
                group.heap = [e for e in group.heap if self._token.get(e[2]) == e[3]]
                heapq.heapify(group.heap)
        if len(self._due) > 2 * len(self._calls) + 64:
            self._due = [d for d in self._due if self._token.get(d[2]) == d[1]]
            heapq.heapify(self._due)
        return call

    def pop_due(self, now: float) -> list[str]:
        """Ids of calls for which a relaxation step came into force at or before ``now``.

        Each step is reported once; the next step of the call is scheduled.
        """
        crossed: list[str] = []
        due = self._due
        while due and due[0][0] <= now:
            _, token, call_id, index = heapq.heappop(due)
            if self._token.get(call_id) != token:
                continue
            crossed.append(call_id)
            call = self._calls[call_id]
            relaxation = self._group_of[call_id].policy.relaxation
            if index + 1 < len(relaxation.steps):
                next_due = relaxation.due_time(call.enqueue_time, index + 1)
                heapq.heappush(due, (next_due, token, call_id, index + 1))
        return crossed

    def next_due(self) -> float | None:
        """When the next not yet reported relaxation step comes into force, if any."""
        due = self._due
        while due and self._token.get(due[0][2]) != due[0][1]:
            heapq.heappop(due)
        return due[0][0] if due else None

    def _clean_head(self, group: CallGroup) -> CallOrderKey:
        heap = group.heap
        while self._token.get(heap[0][2]) != heap[0][3]:
            heapq.heappop(heap)
        return call_order_key(self._calls[heap[0][2]])

    def _refile(self, group: CallGroup, head_key: CallOrderKey | None) -> None:
        # The filed lists are sorted by head key, so a head change moves the group in each list.
        for skill in group.skills:
            filed = self._filed.setdefault((group.policy.name, skill), [])
            if group.head_key is not None:
                del filed[bisect_left(filed, (group.head_key, group.gid))]
            if head_key is not None:
                insort(filed, (head_key, group.gid))
            elif not filed:
                del self._filed[(group.policy.name, skill)]
        group.head_key = head_key
