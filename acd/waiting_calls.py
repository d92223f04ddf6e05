"""Waiting calls, grouped and indexed for the router.

Calls are grouped by (queue, requirement, priority). Inside a group the calls are ordered by
(enqueue_time, seq): the head is both the best-ranked call of the group and the most relaxed
(relaxation depends only on how long a call has waited), so whoever cannot take the head cannot
take any call of the group. The router therefore only ever tests group heads.

Each group is filed under (queue, skill set) for every set in ``filing_keys`` of its requirement
(one or two skills the agent must all have; the empty set when anyone may take it), in lists
sorted by the head's global order key. An agent scans the lists of its own skills and skill
pairs, so it never meets a call needing a skill it lacks; it meets the best candidates first and
stops at the first head it may take.

Removal is lazy (a heap entry dies when its token no longer matches), so adding or removing a
call costs O(log n) in the calls of its group, plus re-filing when the head changes.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Mapping
from itertools import combinations
from typing import TypeAlias

from acd.errors import RoutingConfigError
from acd.model import Call, CallOrderKey, call_order_key
from acd.policy import QueuePolicy
from acd.requirement import (
    Requirement,
    SkillBucket,
    SkillLevels,
    SkillSet,
    candidate_buckets,
    compile_matcher,
    filing_keys,
)
from acd.strategies import ScanMode, scan_mode

FilingKey: TypeAlias = tuple[str, SkillSet]  # queue, skill set
GroupKey: TypeAlias = tuple[str, Requirement, int]  # queue, requirement, priority
_Entry: TypeAlias = tuple[float, int, str, int]  # enqueue_time, seq, call id, token
_Due: TypeAlias = tuple[float, int, str, int]  # due time, token, call id, step index


def agent_filing_keys(queues: Iterable[str], skills: Iterable[str]) -> tuple[FilingKey, ...]:
    """Where calls an agent may take can be filed: per queue, the empty set, each skill, each pair.

    Quadratic in the agent's skills: 3 queues and 10 skills make 168 keys, a few microseconds to
    walk; the lists are shared by every agent holding them.
    """
    names = sorted(skills)
    sets: list[SkillSet] = [(), *((name,) for name in names), *combinations(names, 2)]
    return tuple((queue, skill_set) for queue in sorted(queues) for skill_set in sets)


class CallGroup:
    """Calls of one (queue, requirement, priority), head first, with what routing needs to know
    about their requirement worked out once."""

    __slots__ = (
        "_buckets",
        "_scan_mode",
        "accepts",
        "cap_at",
        "filed_under",
        "head_key",
        "heap",
        "key",
        "live",
        "policy",
        "requirement",
    )

    def __init__(self, key: GroupKey, policy: QueuePolicy) -> None:
        self.key = key
        self.policy = policy
        self.requirement = key[1]
        self.accepts = compile_matcher(self.requirement)
        """``accepts(skills, cap)``: whether those skills meet the requirement under that cap."""
        self.cap_at = policy.relaxation.cap_at
        """``cap_at(enqueue_time, now)``: the queue's relaxation (bound once: it is on hot paths)."""
        keys = filing_keys(self.requirement)
        self.filed_under: tuple[SkillSet, ...] = ((),) if keys is None else tuple(sorted(keys))
        self.head_key: CallOrderKey | None = None
        self.live = 0
        self.heap: list[_Entry] = []
        """(enqueue_time, seq, call id, token); dead entries linger until they reach the top."""
        self._buckets: dict[int, tuple[SkillBucket, ...] | None] = {}
        self._scan_mode: ScanMode | None = None

    def candidate_buckets(self, cap: int) -> tuple[SkillBucket, ...] | None:
        """``requirement.candidate_buckets`` under ``cap``, worked out once per cap."""
        if cap not in self._buckets:
            self._buckets[cap] = candidate_buckets(self.requirement, cap)
        return self._buckets[cap]

    @property
    def scan_mode(self) -> ScanMode:
        """How to search agent buckets for this group's calls (worked out on first use)."""
        if self._scan_mode is None:
            self._scan_mode = scan_mode(self.policy.strategy, self.requirement)
        return self._scan_mode


_FiledGroup: TypeAlias = tuple[CallOrderKey, CallGroup]  # head keys are unique: groups never compared
GroupList: TypeAlias = list[_FiledGroup]


class _Waiting:
    """A waiting call, its group, and the token its heap entries carry (lazy deletion)."""

    __slots__ = ("call", "group", "token")

    def __init__(self, call: Call, group: CallGroup, token: int) -> None:
        self.call = call
        self.group = group
        self.token = token


class WaitingCalls:
    """Every waiting call, grouped, filed by skill, with a heap of upcoming relaxation steps."""

    def __init__(self, policies: Mapping[str, QueuePolicy]) -> None:
        self._policies = policies
        self._calls: dict[str, _Waiting] = {}
        self._groups: dict[GroupKey, CallGroup] = {}
        self._filed: dict[FilingKey, GroupList] = {}
        self._watchers: dict[FilingKey, int] = {}  # agents holding each list (see ``lists_for``)
        self._by_queue: dict[str, set[str]] = {}
        self._due: list[_Due] = []
        self._next_token = 0

    def __len__(self) -> int:
        return len(self._calls)

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._calls

    def __iter__(self) -> Iterator[Call]:
        return (waiting.call for waiting in self._calls.values())

    @property
    def group_count(self) -> int:
        """How many groups have waiting calls."""
        return len(self._groups)

    def head_keys(self) -> Iterator[CallOrderKey]:
        """The order key of every group's head."""
        return (group.head_key for group in self._groups.values() if group.head_key is not None)

    def get(self, call_id: str) -> Call | None:
        """The waiting call ``call_id``, if any."""
        waiting = self._calls.get(call_id)
        return None if waiting is None else waiting.call

    def group_of(self, call_id: str) -> CallGroup:
        """The group of the waiting call ``call_id``."""
        return self._calls[call_id].group

    def queue_of(self, call_id: str) -> str:
        """The queue of the waiting call ``call_id``."""
        return self._calls[call_id].group.key[0]

    def is_head(self, call_id: str) -> bool:
        """Whether the waiting call ``call_id`` is the head of its group."""
        head_key = self._calls[call_id].group.head_key
        return head_key is not None and head_key[3] == call_id

    def in_queue(self, queue: str) -> Iterator[Call]:
        """The calls waiting in ``queue``, in no particular order."""
        return (self._calls[cid].call for cid in self._by_queue.get(queue, ()))

    def lists_for(self, keys: tuple[FilingKey, ...]) -> tuple[GroupList, ...]:
        """The filed lists under ``keys``, created empty if need be and kept while held.

        An agent holds its lists (``agent_filing_keys``) for as long as it is known, so looking
        for its frontier walks a tuple instead of making dozens of dictionary look-ups. Release
        them with ``release_lists``.
        """
        for key in keys:
            self._watchers[key] = self._watchers.get(key, 0) + 1
        return tuple(self._filed.setdefault(key, []) for key in keys)

    def release_lists(self, keys: tuple[FilingKey, ...]) -> None:
        """Undo one ``lists_for(keys)``; lists nobody holds are dropped once empty."""
        for key in keys:
            held = self._watchers[key] - 1
            if held:
                self._watchers[key] = held
            else:
                del self._watchers[key]
                if not self._filed[key]:
                    del self._filed[key]

    def best_head(self, skills: SkillLevels, lists: tuple[GroupList, ...], now: float) -> CallOrderKey | None:
        """The best group head an agent with ``skills`` may take at ``now``, as its order key.

        ``lists`` are the agent's lists (``lists_for``). Each is scanned best head first; the
        scan of a list stops at the first head the agent may take, or once heads rank below the
        best found in the lists before.
        """
        candidates = [groups for groups in lists if groups]  # most are empty at any time
        if not candidates:
            return None
        # The best head of all is usually one the agent may take, and then it is the answer.
        # (Lists compare by their first entries; equal head keys mean the same group, so
        # CallGroup objects are only ever compared for identity.)
        head_key, group = min(candidates)[0]
        if group.accepts(skills, group.cap_at(head_key[1], now)):
            return head_key
        best: CallOrderKey | None = None
        for groups in candidates:
            for head_key, group in groups:
                if best is not None and head_key >= best:
                    break
                # head_key[1] is the head's enqueue time.
                if group.accepts(skills, group.cap_at(head_key[1], now)):
                    best = head_key
                    break
        return best

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
            group = self._groups[key] = CallGroup(key, policy)
        token = self._next_token
        self._next_token += 1
        self._calls[call.id] = _Waiting(call, group, token)
        self._by_queue.setdefault(call.queue, set()).add(call.id)
        heapq.heappush(group.heap, (call.enqueue_time, call.seq, call.id, token))
        group.live += 1
        order_key = call_order_key(call)
        if group.head_key is None or order_key < group.head_key:
            self._refile(group, order_key)
        if policy.relaxation.steps:
            heapq.heappush(self._due, (policy.relaxation.due_time(call.enqueue_time, 0), token, call.id, 0))

    def remove(self, call_id: str) -> Call | None:
        """Stop tracking ``call_id``; returns the call, or ``None`` if it was not waiting."""
        waiting = self._calls.pop(call_id, None)
        if waiting is None:
            return None
        call, group = waiting.call, waiting.group
        self._by_queue[call.queue].discard(call_id)
        group.live -= 1
        if group.live == 0:
            self._refile(group, None)
            del self._groups[group.key]
        else:
            if group.head_key is not None and group.head_key[3] == call_id:
                self._refile(group, self._clean_head(group))
            if len(group.heap) > 2 * group.live + 32:
                group.heap = [e for e in group.heap if self._live(e[2], e[3])]
                heapq.heapify(group.heap)
        if len(self._due) > 2 * len(self._calls) + 64:
            self._due = [d for d in self._due if self._live(d[2], d[1])]
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
            waiting = self._calls.get(call_id)
            if waiting is None or waiting.token != token:
                continue
            crossed.append(call_id)
            relaxation = waiting.group.policy.relaxation
            if index + 1 < len(relaxation.steps):
                next_due = relaxation.due_time(waiting.call.enqueue_time, index + 1)
                heapq.heappush(due, (next_due, token, call_id, index + 1))
        return crossed

    def next_due(self) -> float | None:
        """When the next not yet reported relaxation step comes into force, if any."""
        due = self._due
        while due and not self._live(due[0][2], due[0][1]):
            heapq.heappop(due)
        return due[0][0] if due else None

    def _clean_head(self, group: CallGroup) -> CallOrderKey:
        heap = group.heap
        while not self._live(heap[0][2], heap[0][3]):
            heapq.heappop(heap)
        return call_order_key(self._calls[heap[0][2]].call)

    def _live(self, call_id: str, token: int) -> bool:
        """Whether a heap entry made with ``token`` still stands for a waiting call."""
        waiting = self._calls.get(call_id)
        return waiting is not None and waiting.token == token

    def _refile(self, group: CallGroup, head_key: CallOrderKey | None) -> None:
        # The filed lists are sorted by head key, so a head change moves the group in each list.
        queue = group.key[0]
        for skills in group.filed_under:
            key = (queue, skills)
            filed = self._filed.get(key)
            if filed is None:
                filed = self._filed[key] = []
            if group.head_key is not None:
                del filed[bisect_left(filed, (group.head_key,))]
            if head_key is not None:
                insort(filed, (head_key, group))
            elif not filed and key not in self._watchers:
                del self._filed[key]
        group.head_key = head_key
