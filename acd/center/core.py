"""The call centre's core: one owner of queues, calls and agents, pure and event driven.

``CallCenter.handle(message, now)`` applies one message and returns the effects to carry
out. No I/O, no clock, no randomness: the asyncio shell (``ivr_acd.acd_engine``) feeds it
FastAGI notices, AMI events, timers and commands in arrival order, from a single task, so
no lock is ever needed.

The life of a queued call, and the rules that keep it honest:

1. **Enqueue** → ``Joined`` (position, estimate) or ``NotQueued`` (full, nobody logged in).
   The router pairs it with an agent as soon as one is eligible.
2. **Agent first**: we originate the agent's device into ``ivr-acd-connect`` with a uniqueid
   we chose (``ChannelId``), so every event of that leg is recognisable before Asterisk
   names it. The caller keeps their music until the agent has answered.
3. **Every reservation ends**: Asterisk's answer to the Originate action within a few
   seconds, then ``OriginateResponse`` within the ring timeout; a timer covers each, so an
   agent is never stuck "reserved".
4. No answer, busy or unreachable: the agent goes to the configured state, the call goes
   back **to the head of its queue** (its enqueue time and sequence never change) and is
   offered to the next agent.
5. **Abandon, bridge pull and redirect are told apart by AMI**, never by FastAGI's HANGUP
   line: ``BridgeEnter`` of the caller's channel means answered; ``Hangup`` (or a
   request for it) of the caller's channel means the caller left. A caller whose AGI session
   ended without either within a few seconds is written off as lost.
6. Talk time runs from the caller's ``BridgeEnter`` to the first hang-up of either leg,
   whose owner tells who ended the call; wrap-up follows, per queue, unless the agent says
   ready earlier.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from acd import queue_log as ql
from acd.center.base import (
    BRIDGE_TIMEOUT,
    CONNECT_CONTEXT,
    LIMBO_TIMEOUT,
    RECORD_GRACE,
    RESERVE_TIMEOUT,
    RING_GRACE,
    known,
)
from acd.center.callbacks import Callbacks
from acd.center.messages import (
    AgentRequest,
    AmiEvent,
    CallbackCustomerArrived,
    CallbackStored,
    CallerAgiEnded,
    CallerKey,
    CallStarted,
    ChannelsAlive,
    Effect,
    EnqueueCall,
    IvrFinished,
    LoadCallbacks,
    Message,
    OriginateQueued,
    Reconfigure,
    TimerFired,
    WriteQueueLog,
)
from acd.center.model import AgentRuntime, Attempt, LiveCall, Phase
from acd.center.stats import QueueStats
from acd.queue_config import QueueConfig
from acd.records import CallbackRecord, CallOutcome, CallRecord
from acd.roster import AgentConfig
from acd.router import Router
from acd.snapshot import AgentSnapshot, CenterSnapshot, QueueSnapshot, WaitingSnapshot

__all__ = [
    "BRIDGE_TIMEOUT",
    "CONNECT_CONTEXT",
    "LIMBO_TIMEOUT",
    "RECORD_GRACE",
    "RESERVE_TIMEOUT",
    "RING_GRACE",
    "CallCenter",
]

log = logging.getLogger(__name__)


"""Phases in which a call (or a due callback) counts as waiting in its queue."""


class CallCenter(Callbacks):
    """The pure core (see the module docstring)."""

    def __init__(
        self,
        queues: Mapping[str, QueueConfig],
        roster: Sequence[AgentConfig],
        *,
        timezone: str = "UTC",
        instance: str = "acd",
        short_abandon: float = 5.0,
        callback_dial: str = "Local/{number}@ivr-acd-outbound",
        callback_caller_id: str = "",
    ) -> None:
        self._zone = ZoneInfo(timezone)
        self._instance = instance
        self._short_abandon = short_abandon
        self._queues: dict[str, QueueConfig] = dict(queues)
        self._router = Router({name: q.policy() for name, q in self._queues.items()})
        self._agents: dict[str, AgentRuntime] = {}
        self._calls: dict[str, LiveCall] = {}
        self._in_queue: dict[str, dict[str, LiveCall]] = {}
        self._callbacks_open: dict[str, dict[str, LiveCall]] = {}
        self._attempts: dict[str, Attempt] = {}
        self._by_channel: dict[str, str] = {}
        self._aliases: dict[str, str] = {}
        self._planned: dict[str, CallbackRecord] = {}
        self._callback_dial = callback_dial
        self._callback_caller_id = callback_caller_id
        self._stats: dict[str, QueueStats] = {}
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._relax_at: float | None = None
        self._now = 0.0
        for config in roster:
            self._agents[config.agent_id] = AgentRuntime(config=config, device=config.device)
        self._refresh_agents()

    def handle(self, message: Message, now: float) -> list[Effect]:
        """Apply one message at time ``now``; return what the shell must do."""
        self._now = now
        effects: list[Effect] = []
        match message:
            case CallStarted():
                self._call_started(message, now)
            case IvrFinished():
                effects += self._ivr_finished(message, now)
            case EnqueueCall():
                effects += self._enqueue(message, now)
            case CallerKey():
                effects += self._caller_key(message, now)
            case CallerAgiEnded():
                effects += self._agi_ended(message.call_id, now)
            case CallbackStored():
                effects += self._callback_stored(message, now)
            case CallbackCustomerArrived():
                effects += self._customer_arrived(message, now)
            case OriginateQueued():
                effects += self._originate_queued(message, now)
            case AmiEvent():
                effects += self._ami_event(message, now)
            case TimerFired():
                effects += self._timer(message.key, now)
            case AgentRequest():
                effects += self._agent_request(message, now)
            case Reconfigure():
                effects += self._reconfigure(message, now)
            case ChannelsAlive():
                effects += self._channels_alive(message.uniqueids, now)
            case LoadCallbacks():
                effects += self._load_callbacks(message, now)
        effects += self._route(now)
        return effects

    def start(self, now: float) -> list[Effect]:
        """Log in the agents marked ``login_at_start``; the first effects of a run."""
        effects: list[Effect] = [WriteQueueLog(ql.queue_start(now))]
        for agent in self._agents.values():
            if agent.config.login_at_start and not agent.logged_in:
                effects += self._transition(agent, "login", "ready", now)
        return effects + self._route(now)

    def shutdown(self, now: float) -> list[Effect]:
        """The daemon stops: every call still in its hands gets its record now.

        A conversation in progress goes on in Asterisk without us (its talk time is what we
        saw); a caller still waiting is handed to Asterisk's fallback (their AGI session
        ended without IVR_ACD_DONE), which we record as an error, ended by the system.
        Callback requests stay pending on disk and come back at the next start.
        """
        effects: list[Effect] = []
        for call in list(self._calls.values()):
            if call.is_callback or (call.ivr_done and call.acd_done):
                continue
            record = call.record
            if call.phase is Phase.TALKING and call.answered_at is not None:
                record.talk_time = now - call.answered_at
            elif call.phase is not Phase.DONE:
                record.outcome = CallOutcome.ERROR
                record.wait_time = now - call.enqueued_at
            elif not call.ivr_done and record.queue is None:
                record.outcome = CallOutcome.ERROR
            record.hangup_by = record.hangup_by or "system"
            call.ivr_done = call.acd_done = True
            effects += self._maybe_write(call, now)
        return effects

    def position(self, call_id: str) -> tuple[int, float] | None:
        """A waiting call's current position and estimated wait (None once it left)."""
        call = self._calls.get(call_id)
        if call is None or call.phase is Phase.DONE:
            return None
        position = self._position(call)
        return position, self._estimate(call.queue, position)

    def call_record(self, call_id: str) -> CallRecord | None:
        """The record of a call the core still holds (in progress, or recently finished)."""
        call = self._calls.get(call_id)
        return call.record if call is not None else None

    def callback(self, callback_id: str) -> CallbackRecord | None:
        """A callback request still in the ACD's hands (waiting, scheduled or being dialled)."""
        call = self._calls.get(callback_id)
        return call.callback if call is not None else self._planned.get(callback_id)

    def queue(self, name: str) -> QueueConfig | None:
        """A queue's configuration."""
        return self._queues.get(name)

    def agent_config(self, agent_id: str) -> AgentConfig | None:
        """An agent of the roster."""
        agent = self._agents.get(agent_id)
        return agent.config if agent is not None else None

    def agent_by_device(self, device: str) -> AgentConfig | None:
        """The agent whose roster device (or current device) is ``device``."""
        for agent in self._agents.values():
            if device in (agent.config.device, agent.device):
                return agent.config
        return None

    def snapshot(self, now: float) -> CenterSnapshot:
        """Everything supervisors see, at ``now``."""
        day = self._day_start(now)
        waiting: list[WaitingSnapshot] = []
        by_queue: dict[str, list[LiveCall]] = {}
        for name in sorted(self._in_queue):
            by_queue[name] = list(self._in_queue[name].values())
        for name, calls in by_queue.items():
            calls.sort(key=lambda c: (-c.priority, c.enqueued_at, c.seq))
            for index, call in enumerate(calls, 1):
                waiting.append(
                    WaitingSnapshot(
                        call.call_id, name, index, now - call.enqueued_at, call.priority, call.caller.channel,
                        call.caller.uniqueid, call.caller.number, call.caller.name, call.is_callback,
                    )
                )  # fmt: skip
        queues: list[QueueSnapshot] = []
        for name, config in sorted(self._queues.items()):
            stats = self._stats_for(name).view(day)
            members = [a for a in self._agents.values() if name in a.queues and a.logged_in]
            calls = by_queue.get(name, [])
            queues.append(
                QueueSnapshot(
                    name=name,
                    strategy=config.strategy,
                    max_size=config.max_size,
                    service_level_seconds=config.service_level,
                    waiting=len(calls),
                    callbacks_pending=len(self._callbacks_open.get(name, ())),
                    longest_wait=max((now - c.enqueued_at for c in calls), default=0.0),
                    estimated_wait=known(self._estimate(name, len(calls) + 1)),
                    offered=stats.offered,
                    answered=stats.answered,
                    abandoned=stats.abandoned,
                    answered_within_sl=stats.answered_within_sl,
                    abandoned_within_sl=stats.abandoned_within_sl,
                    average_hold=stats.hold_total / stats.answered if stats.answered else 0.0,
                    average_talk=stats.talk_total / stats.talked if stats.talked else 0.0,
                    staffed=len(members),
                    ready=sum(1 for a in members if a.state == "ready"),
                    on_call=sum(1 for a in members if a.state == "on_call"),
                    paused=sum(1 for a in members if a.state == "paused"),
                    wrap_up=sum(1 for a in members if a.state == "wrap_up"),
                    ringing=sum(1 for a in members if a.state in ("reserved", "ringing")),
                )
            )
        agents = [
            AgentSnapshot(
                agent_id=a.config.agent_id,
                name=a.config.name,
                device=a.device or a.config.device,
                state=a.state,
                state_since=a.since,
                pause_reason=a.reason,
                queues=tuple(sorted(a.queues)),
                skills=dict(a.config.skills),
                calls_today=a.calls_today if a.day_start == day else 0,
                last_call_end=a.last_call_end,
                login_time=a.login_at,
                last_pause=a.last_pause,
                current_call=a.call_id,
                current_queue=self._calls[a.call_id].queue if a.call_id in self._calls else None,
            )
            for a in sorted(self._agents.values(), key=lambda a: a.config.agent_id)
        ]
        return CenterSnapshot(now, tuple(queues), tuple(agents), tuple(waiting))
