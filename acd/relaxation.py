"""Relaxing a queue's skill requirements as a call waits.

A queue lists steps ``(after_seconds, cap_level)``. Once a call has waited ``after_seconds`` every
Need of its requirement is capped at ``cap_level``; the call keeps its enqueue time (and so its
place) through every step.

One definition of "has waited", used by every piece of code: step ``i`` is in force at ``now`` iff
``now >= enqueue_time + after_seconds[i]``. Computing the due time once, as that float sum, is what
lets the router keep due times in a heap and still agree bit for bit with the reference router.

Steps must be strictly later and strictly looser than the one before, so the steps in force are a
prefix of the list and the cap only ever goes down; a schedule that would tighten is a
configuration error, not something to quietly reorder.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from acd.errors import RoutingConfigError
from acd.requirement import MAX_LEVEL, MIN_LEVEL

ALWAYS = -math.inf
"""``wait_needed`` result for a requirement met without relaxation."""
NEVER = math.inf
"""``wait_needed`` result for a requirement no step relaxes enough."""


@dataclass(frozen=True, slots=True)
class RelaxationStep:
    """After ``after_seconds`` of waiting, cap every required level at ``cap_level``."""

    after_seconds: float
    cap_level: int


@dataclass(frozen=True, slots=True)
class Relaxation:
    """A validated schedule of relaxation steps (possibly empty: never relax)."""

    steps: tuple[RelaxationStep, ...] = ()

    def __post_init__(self) -> None:
        previous: RelaxationStep | None = None
        for step in self.steps:
            if not (math.isfinite(step.after_seconds) and step.after_seconds >= 0):
                raise RoutingConfigError(f"relaxation after_seconds must be >= 0, got {step.after_seconds!r}")
            if not MIN_LEVEL <= step.cap_level <= MAX_LEVEL:
                raise RoutingConfigError(
                    f"relaxation cap_level must be {MIN_LEVEL}..{MAX_LEVEL}, got {step.cap_level!r}"
                )
            if previous is not None and step.after_seconds <= previous.after_seconds:
                raise RoutingConfigError("relaxation steps must be in strictly increasing after_seconds")
            if previous is not None and step.cap_level >= previous.cap_level:
                raise RoutingConfigError("each relaxation step must lower the cap below the previous one")
            previous = step

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[float, int]]) -> Relaxation:
        """Build from ``[(after_seconds, cap_level), ...]`` as written in the queue config."""
        return cls(tuple(RelaxationStep(float(after), cap) for after, cap in pairs))

    def cap_at(self, enqueue_time: float, now: float) -> int:
        """The cap in force at ``now`` for a call enqueued at ``enqueue_time`` (``MAX_LEVEL``: none)."""
        cap = MAX_LEVEL
        for step in self.steps:
            if now >= enqueue_time + step.after_seconds:
                cap = step.cap_level
            else:
                break
        return cap

    def due_time(self, enqueue_time: float, index: int) -> float:
        """The instant step ``index`` comes into force for a call enqueued at ``enqueue_time``."""
        return enqueue_time + self.steps[index].after_seconds

    def wait_needed(self, threshold: int) -> float:
        """How long a call must wait before a cap of at most ``threshold`` is in force.

        ``threshold`` is ``loosest_cap(agent skills, requirement)``. Returns ``ALWAYS`` when no
        relaxation is needed, the ``after_seconds`` of the first step loose enough, or ``NEVER``.
        The agent is eligible at ``now`` iff ``now >= enqueue_time + wait_needed(threshold)``,
        the same float comparison ``cap_at`` makes.
        """
        if threshold >= MAX_LEVEL:
            return ALWAYS
        for step in self.steps:
            if step.cap_level <= threshold:
                return step.after_seconds
        return NEVER


NO_RELAXATION = Relaxation()
