"""Agents at run time: their states as a transition table, intervals, and their commands.

The rules, as data (``TRANSITIONS``): each event names the states it may happen in and the
states it may lead to. Anything else is an :class:`AgentStateError`, never a silent state.

======================  ==========================  =============================
event                   from                        to
======================  ==========================  =============================
login                   logged_out                  ready, paused
logout                  ready, paused               logged_out
pause                   ready, paused               paused
unpause                 paused                      ready
reserve                 ready                       reserved
release                 reserved, ringing           ready
ring                    reserved                    ringing
answer                  reserved, ringing           on_call
no_answer / busy /      reserved, ringing           paused, ready
unreachable
caller_abandoned        reserved, ringing, on_call  ready
call_end                on_call                     wrap_up, ready
wrap_up_end             wrap_up                     ready
======================  ==========================  =============================

A pause or logout asked for while the agent is reserved, ringing, on a call or in wrap-up is
remembered (``pending``) and applied the moment they would become ready: agents hate losing
the pause they asked for, and a call must never be cut by a logout. Every transition closes
an :class:`~acd.records.AgentInterval` (stored) and publishes an ``AgentStateChanged``.
"""

from __future__ import annotations

from collections.abc import Mapping

from acd import queue_log as ql
from acd.center.messages import Effect, Publish, Store, WriteQueueLog
from acd.center.model import AgentRuntime
from acd.events import AgentStateChanged
from acd.queue_config import QueueConfig
from acd.records import AgentInterval
from acd.relaxation import Relaxation
from acd.requirement import MAX_LEVEL, loosest_cap

TRANSITIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "login": (frozenset({"logged_out"}), frozenset({"ready", "paused"})),
    "logout": (frozenset({"ready", "paused"}), frozenset({"logged_out"})),
    "pause": (frozenset({"ready", "paused"}), frozenset({"paused"})),
    "unpause": (frozenset({"paused"}), frozenset({"ready"})),
    "reserve": (frozenset({"ready"}), frozenset({"reserved"})),
    "release": (frozenset({"reserved", "ringing"}), frozenset({"ready"})),
    "ring": (frozenset({"reserved"}), frozenset({"ringing"})),
    "answer": (frozenset({"reserved", "ringing"}), frozenset({"on_call"})),
    "no_answer": (frozenset({"reserved", "ringing"}), frozenset({"paused", "ready"})),
    "busy": (frozenset({"reserved", "ringing"}), frozenset({"paused", "ready"})),
    "unreachable": (frozenset({"reserved", "ringing"}), frozenset({"paused", "ready"})),
    "caller_abandoned": (frozenset({"reserved", "ringing", "on_call"}), frozenset({"ready"})),
    "call_end": (frozenset({"on_call"}), frozenset({"wrap_up", "ready"})),
    "wrap_up_end": (frozenset({"wrap_up"}), frozenset({"ready"})),
}

BUSY_STATES = frozenset({"reserved", "ringing", "on_call", "wrap_up"})


class AgentStateError(ValueError):
    """An event that the agent's current state does not allow."""

    def __init__(self, agent_id: str, state: str, event: str) -> None:
        super().__init__(f"agent {agent_id}: {event!r} is not allowed in state {state!r}")
        self.agent_id = agent_id
        self.state = state
        self.event = event


def serves(skills: Mapping[str, int], queue: QueueConfig) -> bool:
    """Whether an agent with ``skills`` can take this queue's calls at its loosest relaxation."""
    return final_cap(queue.relaxation) <= loosest_cap(skills, queue.skills)


def final_cap(relaxation: Relaxation) -> int:
    """The lowest cap the schedule ever reaches (``MAX_LEVEL``: never relaxed)."""
    return min((step.cap_level for step in relaxation.steps), default=MAX_LEVEL)


def queues_for(agent: AgentRuntime, queues: Mapping[str, QueueConfig]) -> frozenset[str]:
    """The queues an agent serves: their roster's list, else those their skills qualify them for."""
    if agent.config.queues is not None:
        return frozenset(q for q in agent.config.queues if q in queues)
    return frozenset(name for name, queue in queues.items() if serves(agent.config.skills, queue))


def transition(agent: AgentRuntime, event: str, to: str, now: float, reason: str = "") -> list[Effect]:
    """Move ``agent`` to ``to`` on ``event``; returns the interval record, log lines and event."""
    allowed_from, allowed_to = TRANSITIONS[event]
    if agent.state not in allowed_from or to not in allowed_to:
        raise AgentStateError(agent.config.agent_id, agent.state, event)
    old, old_reason, since, call_id = agent.state, agent.reason, agent.since, agent.call_id
    effects: list[Effect] = [
        Store(
            AgentInterval(
                agent.config.agent_id, old, since, now, _interval_reason(event, old_reason), call_id
            )
        )
    ]
    name = agent.config.name
    if to == "paused" and (old != "paused" or reason != old_reason):
        effects.extend(WriteQueueLog(ql.pause(now, q, name, reason)) for q in sorted(agent.queues))
        agent.last_pause = now
    if old == "paused" and to != "paused":
        effects.extend(WriteQueueLog(ql.unpause(now, q, name)) for q in sorted(agent.queues))
    if event == "login":
        agent.login_at = now
        effects.append(WriteQueueLog(ql.agent_login(now, name, agent.device)))
    if event == "logout":
        effects.append(WriteQueueLog(ql.agent_logoff(now, name, agent.device, now - agent.login_at)))
    agent.state = to
    agent.since = now
    agent.reason = reason if to == "paused" else ""
    if to == "ready":
        agent.idle_since = now
    if to in ("ready", "paused", "logged_out"):
        agent.call_id = None
    effects.append(
        Publish(
            AgentStateChanged(
                now, agent.info, old, to, reason, tuple(sorted(agent.queues)), calls_today=agent.calls_today
            )
        )
    )
    return effects


def _interval_reason(event: str, old_reason: str) -> str:
    # The interval that just ended carries why it ended for ring attempts (metrics count
    # "ring_no_answer" intervals), and the pause reason for pauses.
    if event in ("no_answer", "busy", "unreachable"):
        return "ring_no_answer" if event == "no_answer" else event
    return old_reason
