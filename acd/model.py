"""The values routing works on: waiting calls, agents as the router sees them, assignments."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import TypeAlias

from acd.requirement import ANYONE, Requirement, validate_levels
from acd.workload import NO_BUSY_TIME, NO_CALLS_HANDLED, BusyHistory, CallTally

CallOrderKey: TypeAlias = tuple[int, float, int, str]


@dataclass(frozen=True, slots=True)
class Call:
    """A call waiting for an agent.

    ``enqueue_time`` is when the caller first joined the queue: a callback or a call put back
    after an unanswered reservation keeps its original one, and so its place. ``seq`` is a
    monotonic number handed out by the engine to break ties between equal enqueue times.
    """

    id: str
    queue: str
    priority: int
    enqueue_time: float
    seq: int
    requirement: Requirement = ANYONE

    def __post_init__(self) -> None:
        if not math.isfinite(self.enqueue_time):
            raise ValueError(f"call {self.id!r}: enqueue_time must be finite")


def call_order_key(call: Call) -> CallOrderKey:
    """The global order in which waiting calls are served: lower first.

    Priority descending, then longest waiting (across every queue an agent serves, so no queue
    starves another), then ``seq``; the id last only makes the order total.
    """
    return (-call.priority, call.enqueue_time, call.seq, call.id)


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent as routing sees it.

    ``available`` combines the fields the engine derives from the agent state machine: ready,
    not holding a reservation, and below ``max_concurrent`` active calls (1 for voice).
    ``idle_since`` is when the agent last became free (the longest-idle key).
    """

    id: str
    skills: Mapping[str, int] = field(default_factory=dict)
    queues: frozenset[str] = frozenset()
    ready: bool = False
    reserved: bool = False
    active_calls: int = 0
    max_concurrent: int = 1
    idle_since: float = 0.0
    busy: BusyHistory = NO_BUSY_TIME
    handled: CallTally = NO_CALLS_HANDLED

    def __post_init__(self) -> None:
        validate_levels(self.skills)
        if self.max_concurrent < 1 or self.active_calls < 0:
            raise ValueError(f"agent {self.id!r}: bad max_concurrent/active_calls")
        # A private read-only copy: the caller's dict must not change routing behind its back.
        object.__setattr__(self, "skills", MappingProxyType(dict(self.skills)))

    def with_reserved(self, reserved: bool) -> Agent:
        """This agent with ``reserved`` changed (a cheap copy: nothing needs re-validating)."""
        copy = object.__new__(Agent)
        for name in _AGENT_FIELDS:
            object.__setattr__(copy, name, getattr(self, name))
        object.__setattr__(copy, "reserved", reserved)
        return copy

    @property
    def available(self) -> bool:
        """Whether the agent may be offered a call right now."""
        return self.ready and not self.reserved and self.active_calls < self.max_concurrent


_AGENT_FIELDS = tuple(f.name for f in fields(Agent))


@dataclass(frozen=True, slots=True)
class Assignment:
    """The router's decision: reserve ``agent_id`` for ``call_id`` (a call of ``queue``) at ``at``."""

    call_id: str
    agent_id: str
    queue: str
    at: float
