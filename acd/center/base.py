"""State and helpers every part of the call centre core shares (see ``acd.center.core``)."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from acd.center import agents as agent_rules
from acd.center.messages import (
    CancelTimer,
    Effect,
    HangupChannel,
    SetTimer,
    Store,
)
from acd.center.model import AgentRuntime, Attempt, LiveCall, Phase
from acd.center.stats import QueueStats, estimate_wait
from acd.events import (
    CallerInfo,
)
from acd.model import Agent, Call
from acd.queue_config import QueueConfig
from acd.requirement import AllOf, Requirement, requirement_from_levels
from acd.router import Router

log = logging.getLogger(__name__)

CONNECT_CONTEXT = "ivr-acd-connect"
RESERVE_TIMEOUT = 5.0
"""Seconds Asterisk has to accept our Originate before the reservation is released."""
RING_GRACE = 10.0
"""Seconds past the ring timeout before a missing OriginateResponse counts as no answer."""
BRIDGE_TIMEOUT = 15.0
"""Seconds from the agent's answer to the caller's BridgeEnter before we give up."""
LIMBO_TIMEOUT = 8.0
"""Seconds after a waiting caller's AGI session ended for AMI to say what happened."""
RECORD_GRACE = 900.0
"""Seconds an answered call's record stays in memory for its queue's post-call survey to update it."""
FORGET_GRACE = 30.0
"""Seconds any other queued call stays in memory once finished (late AMI events find it, then it
goes). A call that never reached a queue goes as soon as its record is handed over.

Keeping every call for RECORD_GRACE held about 180,000 finished calls at 200 calls a second,
and the garbage collector's full passes over them stalled the event loop (bench B1)."""

IN_QUEUE_PHASES = frozenset({Phase.WAITING, Phase.RINGING, Phase.CONNECTING, Phase.HELD})
"""Phases of a call that counts as in its queue (supervisors see it waiting)."""

HANGUP_EVENTS = frozenset({"hangup", "hanguprequest", "softhanguprequest"})
NO_ANSWER_REASONS = {"3": "no_answer", "5": "busy", "1": "no_answer"}


class CenterState:
    """The core's state, and the helpers every part of it uses."""

    _zone: ZoneInfo
    _instance: str
    _short_abandon: float
    _queues: dict[str, QueueConfig]
    _router: Router
    _agents: dict[str, AgentRuntime]
    _calls: dict[str, LiveCall]
    """Every call the core knows, finished ones included until forgotten (often thousands)."""
    _in_queue: dict[str, dict[str, LiveCall]]
    """Queue → its calls in ``IN_QUEUE_PHASES``, kept by ``_set_phase`` so that queue events and
    snapshots never scan ``_calls``: O(all calls) per event is what app_queue is blamed for."""
    _callbacks_open: dict[str, dict[str, LiveCall]]
    """Queue → its callbacks not done yet (any phase but DONE)."""
    _attempts: dict[str, Attempt]
    _by_channel: dict[str, str]
    """Agent-leg uniqueid → attempt id."""
    _aliases: dict[str, str]
    """A caller's uniqueid → its call id, where they differ (a called-back customer)."""
    _stats: dict[str, QueueStats]
    _seq: Iterator[int]
    _ids: Iterator[int]
    _relax_at: float | None
    _now: float

    def _router_call(self, call: LiveCall) -> Call:
        assert call.requirement is not None
        return Call(call.call_id, call.queue, call.priority, call.enqueued_at, call.seq, call.requirement)

    def _waiting_in(self, queue: str) -> list[LiveCall]:
        """The calls of ``queue`` waiting for or being connected to an agent (not held)."""
        return [c for c in self._in_queue.get(queue, {}).values() if c.phase is not Phase.HELD]

    def _add_call(self, call: LiveCall) -> None:
        """Start tracking ``call`` (whatever its phase)."""
        self._calls[call.call_id] = call
        self._refile(call, (None, None))

    def _set_phase(self, call: LiveCall, phase: Phase) -> None:
        """Every phase change goes through here, so that the per-queue indexes stay right.

        Where a call is filed follows from its queue and phase; its queue only changes while it
        is DONE (filed nowhere), so the filing before the change is the one its phase implies.
        """
        before = _filing(call)
        call.phase = phase
        self._refile(call, before)

    def _refile(self, call: LiveCall, before: tuple[str | None, str | None]) -> None:
        queued, callback = _filing(call)
        _move(self._in_queue, call, before[0], queued)
        _move(self._callbacks_open, call, before[1], callback)

    def _position(self, call: LiveCall) -> int:
        if call.phase is Phase.WAITING:
            try:
                return self._router.queue_position(call.call_id)
            except KeyError:
                return 1
        return 1

    def _staffed(self, queue: str) -> bool:
        return any(a.logged_in and queue in a.queues for a in self._agents.values())

    def _stats_for(self, queue: str) -> QueueStats:
        stats = self._stats.get(queue)
        if stats is None:
            config = self._queues.get(queue)
            stats = QueueStats(config.service_level if config else 20, self._short_abandon)
            self._stats[queue] = stats
        return stats

    def _estimate(self, queue: str, position: int) -> float:
        serving = [
            a for a in self._agents.values() if queue in a.queues and a.state not in ("logged_out", "paused")
        ]
        free = sum(1 for a in serving if a.state == "ready")
        return estimate_wait(position, self._stats_for(queue).average_handle(), len(serving), free)

    def _day_start(self, now: float) -> float:
        local = datetime.fromtimestamp(now, self._zone)
        midnight = datetime.combine(local.date(), time(0), self._zone)
        return midnight.timestamp()

    def _transition(
        self, agent: AgentRuntime, event: str, to: str, now: float, reason: str = ""
    ) -> list[Effect]:
        effects = agent_rules.transition(agent, event, to, now, reason)
        self._sync_router(agent, now)
        return effects

    def _sync_router(self, agent: AgentRuntime, now: float) -> None:
        agent_id = agent.config.agent_id
        if not agent.logged_in or (agent.retired and agent.state not in agent_rules.BUSY_STATES):
            self._router.remove_agent(agent_id)
            return
        known = agent_id in self._router.agents
        router_agent = Agent(
            agent_id,
            skills=agent.config.skills,
            queues=agent.queues,
            ready=agent.state == "ready",
            reserved=agent.state in ("reserved", "ringing"),
            active_calls=1 if agent.state in ("on_call",) else 0,
            max_concurrent=agent.config.max_calls,
            idle_since=agent.idle_since,
            busy=agent.busy,
        )
        if not known or self._router.agent(agent_id) != router_agent:
            self._router.upsert_agent(router_agent)

    def _apply_pending(self, agent: AgentRuntime, now: float) -> list[Effect]:
        pending, agent.pending = agent.pending, None
        if agent.state != "ready":
            return []
        if pending == "logout" or agent.retired:
            return self._transition(agent, "logout", "logged_out", now)
        if pending is not None and pending.startswith("pause:"):
            return self._transition(agent, "pause", "paused", now, pending.removeprefix("pause:"))
        return []

    def _refresh_agents(self) -> None:
        for agent in self._agents.values():
            agent.queues = agent_rules.queues_for(agent, self._queues)

    def _end_wrap_up(self, agent: AgentRuntime, now: float) -> list[Effect]:
        """Wrap-up is over (its timer, or the agent said ready): complete the call's record."""
        call = self._calls.get(agent.call_id) if agent.call_id else None
        wrap_up = now - agent.since
        effects: list[Effect] = [CancelTimer(("wrap_up", agent.config.agent_id))]
        effects += self._transition(agent, "wrap_up_end", "ready", now)
        if call is not None and call.record.agent_id == agent.config.agent_id:
            call.record.wrapup_time = wrap_up
            effects.append(Store(replace(call.record, ivr_path=list(call.record.ivr_path))))
        return effects + self._apply_pending(agent, now)

    def _maybe_write(self, call: LiveCall, now: float) -> list[Effect]:
        """Store the record once both the IVR and the ACD are done with the call."""
        if not (call.ivr_done and call.acd_done):
            return []
        call.record.ended_at = max(call.record.ended_at, now)
        store = Store(replace(call.record, ivr_path=list(call.record.ivr_path)))
        if call.record.queue is None and not call.is_callback:
            # Never queued: no AMI event, ring attempt or survey can concern it any more. Most
            # calls end in the IVR, and keeping each for FORGET_GRACE at hundreds of calls a
            # second left the garbage collector long passes over them (bench B1).
            del self._calls[call.call_id]
            return [store]
        queue = self._queues.get(call.queue) if call.queue else None
        surveyed = call.answered_at is not None and queue is not None and queue.after_call
        grace = RECORD_GRACE if surveyed else FORGET_GRACE
        return [store, SetTimer(("forget", call.call_id), now + grace)]

    def _forget_attempt(self, attempt: Attempt) -> None:
        self._attempts.pop(attempt.attempt_id, None)
        self._by_channel.pop(attempt.channel_id, None)

    def _cancel_attempt(self, call: LiveCall, now: float) -> list[Effect]:
        """The caller left while an agent's phone rang: hang the agent leg up, free the agent."""
        attempt = call.attempt
        if attempt is None:
            return []
        call.attempt = None
        attempt.cancelled = True
        effects: list[Effect] = [HangupChannel(attempt.leg)]
        agent = self._agents.get(attempt.agent_id)
        if (
            agent is not None
            and agent.state in ("reserved", "ringing", "on_call")
            and agent.call_id == call.call_id
        ):
            event = "caller_abandoned"
            effects += self._transition(agent, event, "ready", now)
        return effects


def combine_requirements(queue_skills: Requirement, call_skills: Mapping[str, int]) -> Requirement:
    if not call_skills:
        return queue_skills
    extra = requirement_from_levels(call_skills)
    if isinstance(queue_skills, AllOf) and not queue_skills.parts:
        return extra
    return AllOf((queue_skills, extra))


def known(value: float) -> float | None:
    """An estimate as published: None for "nobody serves this queue" (an infinite wait)."""
    return value if math.isfinite(value) else None


def var_name(key: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in key).upper()


def clean_value(value: str) -> str:
    # Asterisk splits Originate's Variable header on commas; line breaks would end the field.
    return "".join(" " if ch in ",\r\n" else ch for ch in str(value))


def agent_caller_id(queue: str, caller: CallerInfo) -> str:
    name = f"{queue}: {caller.name}" if caller.name else queue
    name = name.replace('"', "'")
    return f'"{name}" <{caller.number}>' if caller.number else f'"{name}"'


def _filing(call: LiveCall) -> tuple[str | None, str | None]:
    """Where ``call`` belongs: (queue in ``_in_queue``, queue in ``_callbacks_open``), or None."""
    queued = call.queue if call.queue and call.phase in IN_QUEUE_PHASES else None
    callback = call.queue if call.queue and call.is_callback and call.phase is not Phase.DONE else None
    return queued, callback


def _move(index: dict[str, dict[str, LiveCall]], call: LiveCall, old: str | None, new: str | None) -> None:
    """File ``call`` under queue ``new`` (None: nowhere) instead of ``old`` in ``index``."""
    if old == new:
        return
    if old is not None:
        filed = index[old]
        del filed[call.call_id]
        if not filed:
            del index[old]
    if new is not None:
        index.setdefault(new, {})[call.call_id] = call
