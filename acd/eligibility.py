"""Eligibility: the pure filter deciding whether an agent may take a call at ``now``."""

from __future__ import annotations

from acd.model import Agent, Call
from acd.policy import QueuePolicy
from acd.requirement import satisfies


def is_eligible(agent: Agent, call: Call, policy: QueuePolicy, now: float) -> bool:
    """Available, serving the call's queue, and meeting its requirement as relaxed at ``now``."""
    return (
        agent.available
        and call.queue in agent.queues
        and satisfies(agent.skills, call.requirement, policy.relaxation.cap_at(call.enqueue_time, now))
    )
