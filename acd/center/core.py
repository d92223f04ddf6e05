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
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from acd import queue_log as ql
from acd.center import agents as agent_rules
from acd.center.messages import (
    AgentRequest,
    AmiEvent,
    CallbackAccepted,
    CallerAgiEnded,
    CallerKey,
    CallStarted,
    CancelTimer,
    ChannelsAlive,
    Concluded,
    Connecting,
    Effect,
    EnqueueCall,
    HangupChannel,
    IvrFinished,
    Joined,
    KeyIgnored,
    Leave,
    LoadCallbacks,
    Message,
    Notify,
    NotQueued,
    Originate,
    OriginateQueued,
    Publish,
    Reconfigure,
    Reply,
    SetTimer,
    Store,
    TimerFired,
    WriteQueueLog,
)
from acd.center.model import AgentRuntime, Attempt, LiveCall, Phase
from acd.center.stats import QueueStats, estimate_wait
from acd.commands import AgentLogin, AgentLogout, AgentPause, Command, CommandResult, RequestCallback
from acd.events import (
    AgentCalled,
    AgentCompleted,
    AgentConnected,
    AgentRingNoAnswer,
    CallAbandoned,
    CallerInfo,
    CallJoined,
    CallLeft,
)
from acd.model import Agent, Call
from acd.queue_config import CONTINUE, QueueConfig
from acd.records import CallOutcome, CallRecord
from acd.requirement import AllOf, Requirement, requirement_from_levels
from acd.roster import AgentConfig
from acd.router import Router
from acd.snapshot import AgentSnapshot, CenterSnapshot, QueueSnapshot, WaitingSnapshot
from configlang.expressions import ExpressionError, evaluate_bool

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
"""Seconds a finished call's record stays in memory for a post-call survey to update it."""

_HANGUP_EVENTS = frozenset({"hangup", "hanguprequest", "softhanguprequest"})
_NO_ANSWER_REASONS = {"3": "no_answer", "5": "busy", "1": "no_answer"}


class CallCenter:
    """The pure core (see the module docstring)."""

    def __init__(
        self,
        queues: Mapping[str, QueueConfig],
        roster: Sequence[AgentConfig],
        *,
        timezone: str = "UTC",
        instance: str = "acd",
        short_abandon: float = 5.0,
    ) -> None:
        self._zone = ZoneInfo(timezone)
        self._instance = instance
        self._short_abandon = short_abandon
        self._queues: dict[str, QueueConfig] = dict(queues)
        self._router = Router({name: q.policy() for name, q in self._queues.items()})
        self._agents: dict[str, AgentRuntime] = {}
        self._calls: dict[str, LiveCall] = {}
        self._attempts: dict[str, Attempt] = {}
        self._by_channel: dict[str, str] = {}
        """Agent-leg uniqueid → attempt id."""
        self._stats: dict[str, QueueStats] = {}
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._relax_at: float | None = None
        self._now = 0.0
        for config in roster:
            self._agents[config.agent_id] = AgentRuntime(config=config, device=config.device)
        self._refresh_agents()

    # ================================================================ entry point

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
            case CallbackAccepted():
                effects += self._callback_accepted(message, now)
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
                pass  # callbacks: see acd.center.callbacks (issue 5)
        effects += self._route(now)
        return effects

    def start(self, now: float) -> list[Effect]:
        """Log in the agents marked ``login_at_start``; the first effects of a run."""
        effects: list[Effect] = [WriteQueueLog(ql.queue_start(now))]
        for agent in self._agents.values():
            if agent.config.login_at_start and not agent.logged_in:
                effects += self._transition(agent, "login", "ready", now)
        return effects + self._route(now)

    # ================================================================ calls: IVR side

    def _call_started(self, message: CallStarted, now: float) -> None:
        call = self._calls.get(message.call_id)
        if call is not None:
            call.ivr_done = False  # a new session on a known call: a redirect or the survey
            return
        record = CallRecord(
            call_id=message.call_id,
            uniqueid=message.caller.uniqueid,
            linkedid=message.caller.linkedid,
            channel=message.caller.channel,
            caller_number=message.caller.number,
            caller_name=message.caller.name,
            dialled_number=message.dialled_number,
            dialplan=message.dialplan,
            started_at=now,
            ended_at=now,
        )
        self._calls[message.call_id] = LiveCall(message.call_id, message.caller, record, ivr_done=False)

    def _ivr_finished(self, message: IvrFinished, now: float) -> list[Effect]:
        call = self._calls.get(message.call_id)
        if call is None:
            return []
        record = call.record
        record.ivr_path.extend(message.path)
        if message.last_step:
            record.ivr_end_step = message.last_step
        record.variables.update(message.variables)
        if message.survey_score is not None:
            record.survey_score = message.survey_score
        call.ivr_done = True
        if record.queue is None:
            record.outcome = {
                "transfer": CallOutcome.TRANSFER,
                "error": CallOutcome.ERROR,
            }.get(message.outcome, CallOutcome.IVR_ONLY)
            if message.outcome == "hangup_by_caller":
                record.hangup_by = "caller"
        return self._maybe_write(call, now)

    def _maybe_write(self, call: LiveCall, now: float) -> list[Effect]:
        """Store the record once both the IVR and the ACD are done with the call."""
        if not (call.ivr_done and call.acd_done):
            return []
        call.record.ended_at = max(call.record.ended_at, now)
        return [
            Store(replace(call.record, ivr_path=list(call.record.ivr_path))),
            SetTimer(("forget", call.call_id), now + RECORD_GRACE),
        ]

    # ================================================================ calls: queueing

    def _enqueue(self, message: EnqueueCall, now: float) -> list[Effect]:
        call = self._calls.get(message.call_id)
        if call is None:  # a session the IVR did not announce (tests, direct AGI): adopt it
            self._call_started(CallStarted(message.call_id, message.caller, "", ""), now)
            call = self._calls[message.call_id]
        queue = self._queues.get(message.queue)
        if queue is None:
            log.error("acd enqueue to unknown queue queue=%s call=%s", message.queue, message.call_id)
            return [Notify(call.call_id, NotQueued("unknown_queue", CONTINUE))]
        if call.phase is not Phase.DONE:
            log.warning("acd call already queued call=%s queue=%s", call.call_id, call.queue)
            return []
        waiting = self._waiting_in(queue.name)
        record = call.record
        record.queue = queue.name
        if queue.max_size and len(waiting) >= queue.max_size:
            record.outcome = CallOutcome.QUEUE_FULL
            return [Notify(call.call_id, NotQueued("queue_full", queue.on_full))]
        if queue.when_no_agents == "leave" and not self._staffed(queue.name):
            record.outcome = CallOutcome.NO_AGENTS
            return [Notify(call.call_id, NotQueued("no_agents", queue.on_no_agents))]
        call.queue = queue.name
        call.priority = self._priority(queue, message)
        call.enqueued_at = now
        call.seq = next(self._seq)
        call.requirement = _combine(queue.skills, message.skills)
        call.data = {k: v for k, v in message.data.items() if v is not None}
        call.phase = Phase.WAITING
        call.acd_done = False
        call.agi_gone = False
        call.overflow_due = False
        self._router.add_call(self._router_call(call))
        position = self._router.queue_position(call.call_id)
        call.original_position = position
        estimate = self._estimate(queue.name, position)
        record.priority = call.priority
        record.enqueued_at = now
        record.position_at_entry = position
        record.estimated_wait = None if math.isinf(estimate) else round(estimate, 1)
        effects: list[Effect] = [
            Notify(call.call_id, Joined(position, estimate)),
            WriteQueueLog(
                ql.enter_queue(
                    now, call.caller.uniqueid or call.call_id, queue.name, call.caller.number, position
                )
            ),
            Publish(
                CallJoined(now, call.caller, queue.name, position, len(waiting) + 1, call.priority, estimate)
            ),
        ]
        if queue.max_wait:
            effects.append(SetTimer(("max_wait", call.call_id), now + queue.max_wait))
        return effects

    def _priority(self, queue: QueueConfig, message: EnqueueCall) -> int:
        """The dialplan's priority (or the queue's base), raised by any matching rule."""
        priority = message.priority if message.priority is not None else queue.base_priority
        for rule in queue.priority_rules:
            try:
                if evaluate_bool(rule.condition, message.variables):
                    priority = max(priority, rule.priority)
            except ExpressionError as exc:
                log.warning(
                    "acd priority rule failed queue=%s rule=%s error=%s", queue.name, rule.condition.text, exc
                )
        return priority

    def _router_call(self, call: LiveCall) -> Call:
        assert call.requirement is not None
        return Call(call.call_id, call.queue, call.priority, call.enqueued_at, call.seq, call.requirement)

    def _caller_key(self, message: CallerKey, now: float) -> list[Effect]:
        call = self._calls.get(message.call_id)
        if call is None or call.phase not in (Phase.WAITING, Phase.RINGING):
            return [Notify(message.call_id, KeyIgnored(message.key))]
        queue = self._queues.get(call.queue)
        if queue is None or queue.exit_key is None or message.key != queue.exit_key:
            return [Notify(message.call_id, KeyIgnored(message.key))]
        position = self._position(call)
        effects = self._cancel_attempt(call, now)
        self._router.remove_call(call.call_id)
        wait = now - call.enqueued_at
        call.record.exit_key = message.key
        effects += self._left(call, now, CallOutcome.EXIT_KEY, "exit_key", position)
        effects.append(
            WriteQueueLog(
                ql.exit_with_key(
                    now, call.caller.uniqueid, call.queue, message.key, position, call.original_position, wait
                )
            )
        )
        effects.append(Notify(call.call_id, Leave("exit_key", queue.on_exit)))
        return effects

    def _left(
        self, call: LiveCall, now: float, outcome: CallOutcome, reason: str, position: int
    ) -> list[Effect]:
        """The call left the queue without an agent (exit, overflow, no agents, callback)."""
        call.phase = Phase.DONE
        call.acd_done = True
        call.record.outcome = outcome
        call.record.wait_time = now - call.enqueued_at
        self._stats_for(call.queue).left(self._day_start(now))
        count = len(self._waiting_in(call.queue))
        return [
            CancelTimer(("max_wait", call.call_id)),
            Publish(CallLeft(now, call.caller, call.queue, position, count, reason)),
            *self._maybe_write(call, now),
        ]

    def _callback_accepted(self, message: CallbackAccepted, now: float) -> list[Effect]:
        call = self._calls.get(message.call_id)
        if call is None or call.phase is not Phase.WAITING:
            return []
        position = self._position(call)
        self._router.remove_call(call.call_id)
        call.record.callback_id = message.callback.callback_id
        wait = now - call.enqueued_at
        effects = self._left(call, now, CallOutcome.CALLBACK_REQUESTED, "callback", position)
        effects.append(
            WriteQueueLog(
                ql.exit_with_key(
                    now, call.caller.uniqueid, call.queue, "callback", position, call.original_position, wait
                )
            )
        )
        return effects

    # ================================================================ routing and ringing

    def _route(self, now: float) -> list[Effect]:
        effects: list[Effect] = []
        for assignment in self._router.assign(now, day_start=self._day_start(now)):
            effects += self._ring(assignment.call_id, assignment.agent_id, now)
        next_relax = self._router.next_relaxation_at()
        if next_relax != self._relax_at:
            self._relax_at = next_relax
            effects.append(
                SetTimer(("relax", ""), next_relax) if next_relax is not None else CancelTimer(("relax", ""))
            )
        return effects

    def _ring(self, call_id: str, agent_id: str, now: float) -> list[Effect]:
        call = self._calls[call_id]
        agent = self._agents[agent_id]
        queue = self._queues[call.queue]
        number = next(self._ids)
        attempt = Attempt(
            attempt_id=f"{self._instance}-ring-{number}",
            call_id=call_id,
            agent_id=agent_id,
            started_at=now,
            channel_id=f"{self._instance}-leg-{number}",
        )
        self._attempts[attempt.attempt_id] = attempt
        self._by_channel[attempt.channel_id] = attempt.attempt_id
        call.attempt = attempt
        call.phase = Phase.RINGING
        call.record.ring_attempts += 1
        agent.call_id = call_id
        effects = self._transition(agent, "reserve", "reserved", now)
        variables = [
            ("ACD_CALLER", call.caller.channel),
            ("ACD_CALL_ID", call.call_id),
            ("ACD_QUEUE", queue.name),
            ("ACD_CALLER_NUM", call.caller.number),
            ("ACD_CALLER_NAME", call.caller.name),
            ("ACD_WAIT", str(round(now - call.enqueued_at))),
            *((f"ACD_DATA_{_var_name(k)}", v) for k, v in sorted(call.data.items())),
        ]
        effects += [
            Originate(
                attempt_id=attempt.attempt_id,
                channel=agent.device,
                channel_id=attempt.channel_id,
                context=CONNECT_CONTEXT,
                exten="s",
                timeout=queue.ring_timeout,
                caller_id=_caller_id(queue.name, call.caller),
                variables=tuple((k, _clean_value(v)) for k, v in variables),
            ),
            SetTimer(("reserve", attempt.attempt_id), now + RESERVE_TIMEOUT),
            Publish(
                AgentCalled(now, call.caller, queue.name, agent.info, now - call.enqueued_at, dict(call.data))
            ),
        ]
        return effects

    def _originate_queued(self, message: OriginateQueued, now: float) -> list[Effect]:
        attempt = self._attempts.get(message.attempt_id)
        if attempt is None or attempt.accepted:
            return []
        effects: list[Effect] = [CancelTimer(("reserve", attempt.attempt_id))]
        agent = self._agents.get(attempt.agent_id)
        if not message.ok:
            log.warning(
                "acd originate refused attempt=%s agent=%s message=%s",
                attempt.attempt_id,
                attempt.agent_id,
                message.message,
            )
            return effects + self._attempt_failed(attempt, "unreachable", now)
        attempt.accepted = True
        if agent is not None and agent.state == "reserved" and not attempt.cancelled:
            effects += self._transition(agent, "ring", "ringing", now)
        queue = (
            self._queues.get(self._calls[attempt.call_id].queue) if attempt.call_id in self._calls else None
        )
        ring_timeout = queue.ring_timeout if queue is not None else 30.0
        effects.append(SetTimer(("ring", attempt.attempt_id), now + ring_timeout + RING_GRACE))
        return effects

    def _originate_response(self, attempt: Attempt, success: bool, reason: str, now: float) -> list[Effect]:
        effects: list[Effect] = [
            CancelTimer(("ring", attempt.attempt_id)),
            CancelTimer(("reserve", attempt.attempt_id)),
        ]
        if not success:
            return effects + self._attempt_failed(attempt, _NO_ANSWER_REASONS.get(reason, "unreachable"), now)
        attempt.answered = True
        agent = self._agents.get(attempt.agent_id)
        call = self._calls.get(attempt.call_id)
        if attempt.cancelled or call is None or call.phase is not Phase.RINGING:
            # The caller left while this phone rang: the agent answered into nothing.
            effects.append(HangupChannel(attempt.leg))
            if agent is not None and agent.state in ("reserved", "ringing"):
                effects += self._transition(agent, "caller_abandoned", "ready", now)
            self._forget_attempt(attempt)
            return effects
        call.phase = Phase.CONNECTING
        call.agent_id = attempt.agent_id
        if agent is not None:
            effects += self._transition(agent, "answer", "on_call", now)
        effects += [
            Notify(call.call_id, Connecting(agent.config.name if agent else "")),
            SetTimer(("bridge", attempt.attempt_id), now + BRIDGE_TIMEOUT),
        ]
        return effects

    def _attempt_failed(self, attempt: Attempt, outcome: str, now: float) -> list[Effect]:
        """The agent did not take the call: free them per policy and put the call back."""
        effects: list[Effect] = []
        agent = self._agents.get(attempt.agent_id)
        call = self._calls.get(attempt.call_id)
        self._forget_attempt(attempt)
        queue = self._queues.get(call.queue) if call is not None else None
        if agent is not None and agent.state in ("reserved", "ringing"):
            if attempt.cancelled:
                effects += self._transition(agent, "caller_abandoned", "ready", now)
            else:
                effects += self._after_failed_ring(agent, outcome, queue, now)
        if call is None or attempt.cancelled or call.attempt is not attempt:
            return effects
        call.attempt = None
        ring_time = now - attempt.started_at
        if outcome == "no_answer":
            call.record.ring_no_answer += 1
        if agent is not None:
            effects.append(
                WriteQueueLog(
                    ql.ring_no_answer(
                        now, call.caller.uniqueid, call.queue, agent.config.name, round(ring_time * 1000)
                    )
                )
            )
            effects.append(
                Publish(AgentRingNoAnswer(now, call.caller, call.queue, agent.info, ring_time, outcome))
            )
        if call.overflow_due or call.agi_gone:
            call.phase = Phase.WAITING
            self._router.add_call(self._router_call(call))
            return effects + (self._overflow(call, now) if call.overflow_due else self._lost(call, now))
        # Back to the head of its queue: same enqueue time, same sequence number.
        call.phase = Phase.WAITING
        self._router.add_call(self._router_call(call))
        return effects

    def _after_failed_ring(
        self, agent: AgentRuntime, outcome: str, queue: QueueConfig | None, now: float
    ) -> list[Effect]:
        if outcome == "released":
            return self._transition(agent, "release", "ready", now)
        if outcome == "no_answer":
            target = "paused" if queue is None or queue.after_no_answer == "paused" else "ready"
            return self._transition(agent, "no_answer", target, now, "no answer")
        if outcome == "busy":
            backoff = queue.busy_backoff if queue is not None else 15.0
            if backoff <= 0:
                return self._transition(agent, "busy", "ready", now)
            agent.resume_at = now + backoff
            return [
                *self._transition(agent, "busy", "paused", now, "busy"),
                SetTimer(("resume", agent.config.agent_id), now + backoff),
            ]
        return self._transition(agent, "unreachable", "paused", now, "unreachable")

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

    def _forget_attempt(self, attempt: Attempt) -> None:
        self._attempts.pop(attempt.attempt_id, None)
        self._by_channel.pop(attempt.channel_id, None)

    # ================================================================ AMI

    def _ami_event(self, message: AmiEvent, now: float) -> list[Effect]:
        msg = message.message
        name = msg.name.lower()
        if name == "originateresponse":
            attempt = self._attempts.get(msg.action_id or "")
            if attempt is None:
                return []
            success = (msg.get("Response") or "").lower() == "success"
            return self._originate_response(attempt, success, msg.get("Reason") or "", now)
        uniqueid = msg.get("Uniqueid") or ""
        if name == "newchannel":
            attempt_id = self._by_channel.get(uniqueid)
            if attempt_id is not None:
                self._attempts[attempt_id].channel_name = msg.get("Channel") or ""
            return []
        if name == "bridgeenter":
            return self._bridge_enter(uniqueid, now)
        if name in _HANGUP_EVENTS:
            return self._hangup(uniqueid, now)
        return []

    def _call_by_uniqueid(self, uniqueid: str) -> LiveCall | None:
        call = self._calls.get(uniqueid)
        if call is not None and call.caller.uniqueid == uniqueid:
            return call
        return None

    def _bridge_enter(self, uniqueid: str, now: float) -> list[Effect]:
        attempt_id = self._by_channel.get(uniqueid)
        call = self._call_by_uniqueid(uniqueid)
        if call is None and attempt_id is not None:
            call = self._calls.get(self._attempts[attempt_id].call_id)
        if call is None or call.phase is not Phase.CONNECTING:
            return []
        attempt = call.attempt
        assert attempt is not None
        call.phase = Phase.TALKING
        call.answered_at = now
        wait = now - call.enqueued_at
        ring_time = now - attempt.started_at
        record = call.record
        record.outcome = CallOutcome.ANSWERED
        record.answered_at = now
        record.wait_time = wait
        record.agent_id = attempt.agent_id
        agent = self._agents[attempt.agent_id]
        self._stats_for(call.queue).answered(wait, self._day_start(now))
        count = len(self._waiting_in(call.queue))
        return [
            CancelTimer(("bridge", attempt.attempt_id)),
            CancelTimer(("max_wait", call.call_id)),
            CancelTimer(("limbo", call.call_id)),
            WriteQueueLog(
                ql.connect(
                    now,
                    call.caller.uniqueid,
                    call.queue,
                    agent.config.name,
                    wait,
                    attempt.channel_id,
                    ring_time,
                )
            ),
            Publish(CallLeft(now, call.caller, call.queue, 1, count, "answered")),
            Publish(AgentConnected(now, call.caller, call.queue, agent.info, wait, ring_time)),
            Notify(call.call_id, Concluded("answered")),
        ]

    def _hangup(self, uniqueid: str, now: float) -> list[Effect]:
        call = self._call_by_uniqueid(uniqueid)
        if call is not None:
            return self._caller_hung_up(call, now)
        attempt_id = self._by_channel.get(uniqueid)
        if attempt_id is None:
            return []
        attempt = self._attempts[attempt_id]
        call = self._calls.get(attempt.call_id)
        if call is None or call.attempt is not attempt:
            return []
        if call.phase is Phase.TALKING:
            return self._complete(call, now, by_caller=False)
        if call.phase is Phase.CONNECTING:
            # The agent hung up between answering and the bridge: put the call back.
            effects: list[Effect] = [CancelTimer(("bridge", attempt.attempt_id))]
            agent = self._agents.get(attempt.agent_id)
            self._forget_attempt(attempt)
            call.attempt = None
            if agent is not None and agent.state == "on_call":
                effects += self._transition(agent, "call_end", "ready", now)
            call.phase = Phase.WAITING
            self._router.add_call(self._router_call(call))
            return effects
        return []  # ringing: OriginateResponse will say how it ended

    def _caller_hung_up(self, call: LiveCall, now: float) -> list[Effect]:
        if call.phase is Phase.TALKING:
            return self._complete(call, now, by_caller=True)
        if call.phase in (Phase.WAITING, Phase.RINGING, Phase.CONNECTING):
            return self._abandon(call, now)
        return []

    def _abandon(self, call: LiveCall, now: float) -> list[Effect]:
        position = self._position(call)
        effects = self._cancel_attempt(call, now)
        if call.phase is Phase.WAITING or self._router.remove_call(call.call_id) is not None:
            self._router.remove_call(call.call_id)
        wait = now - call.enqueued_at
        call.phase = Phase.DONE
        call.acd_done = True
        call.record.outcome = CallOutcome.ABANDONED
        call.record.wait_time = wait
        call.record.hangup_by = "caller"
        self._stats_for(call.queue).abandoned(wait, self._day_start(now))
        count = len(self._waiting_in(call.queue))
        effects += [
            CancelTimer(("max_wait", call.call_id)),
            CancelTimer(("limbo", call.call_id)),
            WriteQueueLog(
                ql.abandon(now, call.caller.uniqueid, call.queue, position, call.original_position, wait)
            ),
            Publish(CallAbandoned(now, call.caller, call.queue, position, call.original_position, wait)),
            Publish(CallLeft(now, call.caller, call.queue, position, count, "abandoned")),
            Notify(call.call_id, Concluded("abandoned")),
        ]
        return effects + self._maybe_write(call, now)

    def _complete(self, call: LiveCall, now: float, *, by_caller: bool) -> list[Effect]:
        attempt = call.attempt
        assert attempt is not None
        assert call.answered_at is not None
        agent = self._agents.get(attempt.agent_id)
        queue = self._queues.get(call.queue)
        talk = now - call.answered_at
        wait = call.answered_at - call.enqueued_at
        call.phase = Phase.DONE
        call.acd_done = True
        call.record.talk_time = talk
        call.record.hangup_by = "caller" if by_caller else "agent"
        self._forget_attempt(attempt)
        effects: list[Effect] = []
        wrap_up = queue.wrap_up if queue is not None else 0.0
        self._stats_for(call.queue).completed(talk, talk + wrap_up, self._day_start(now))
        if agent is not None:
            agent.calls_today = agent.calls_today + 1 if agent.day_start == self._day_start(now) else 1
            agent.day_start = self._day_start(now)
            agent.last_call_end = now
            agent.busy = agent.busy.record(call.answered_at, now, horizon=86400)
            effects.append(
                WriteQueueLog(
                    ql.complete(
                        now,
                        call.caller.uniqueid,
                        call.queue,
                        agent.config.name,
                        by_caller,
                        wait,
                        talk,
                        call.original_position,
                    )
                )
            )
            effects.append(
                Publish(
                    AgentCompleted(
                        now,
                        call.caller,
                        call.queue,
                        agent.info,
                        wait,
                        talk,
                        "caller" if by_caller else "agent",
                    )
                )
            )
            if agent.state == "on_call":
                if wrap_up > 0:
                    effects += self._transition(agent, "call_end", "wrap_up", now)
                    agent.call_id = call.call_id
                    effects.append(SetTimer(("wrap_up", agent.config.agent_id), now + wrap_up))
                else:
                    call.record.wrapup_time = 0.0
                    effects += self._transition(agent, "call_end", "ready", now)
                    effects += self._apply_pending(agent, now)
        if not by_caller:
            effects.append(HangupChannel(call.caller.channel or call.caller.uniqueid))
        return effects + self._maybe_write(call, now)

    # ================================================================ AGI session ends, timers

    def _agi_ended(self, call_id: str, now: float) -> list[Effect]:
        call = self._calls.get(call_id)
        if call is None:
            return []
        if call.phase is Phase.TALKING:
            return [Notify(call_id, Concluded("answered"))]
        if call.phase in (Phase.WAITING, Phase.RINGING, Phase.CONNECTING):
            # A hang-up, a bridge pull or a redirect: AMI will tell which, within a few seconds.
            call.agi_gone = True
            return [SetTimer(("limbo", call_id), now + LIMBO_TIMEOUT)]
        return []

    def _timer(self, key: tuple[str, str], now: float) -> list[Effect]:
        kind, ident = key
        if kind == "relax":
            self._relax_at = None
            return []  # handle() routes after every message
        if kind in ("reserve", "ring"):
            attempt = self._attempts.get(ident)
            if attempt is None:
                return []
            log.warning("acd %s timeout attempt=%s agent=%s", kind, ident, attempt.agent_id)
            # No answer from Asterisk to our Originate is not the agent's fault: release them.
            outcome = "no_answer" if kind == "ring" else "released"
            return [HangupChannel(attempt.leg), *self._attempt_failed(attempt, outcome, now)]
        if kind == "bridge":
            attempt = self._attempts.get(ident)
            call = self._calls.get(attempt.call_id) if attempt is not None else None
            if attempt is None or call is None or call.phase is not Phase.CONNECTING:
                return []
            log.warning("acd bridge never happened attempt=%s call=%s", ident, call.call_id)
            effects: list[Effect] = [HangupChannel(attempt.leg)]
            agent = self._agents.get(attempt.agent_id)
            if agent is not None and agent.state == "on_call":
                effects += self._transition(agent, "call_end", "ready", now)
            self._forget_attempt(attempt)
            call.attempt = None
            call.phase = Phase.WAITING
            self._router.add_call(self._router_call(call))
            return effects + (self._lost(call, now) if call.agi_gone else [])
        if kind == "max_wait":
            call = self._calls.get(ident)
            if call is None:
                return []
            if call.phase is Phase.WAITING:
                return self._overflow(call, now)
            if call.phase is Phase.RINGING:
                call.overflow_due = True  # let this ring finish: it may be answered
            return []
        if kind == "limbo":
            call = self._calls.get(ident)
            if call is None or call.phase in (Phase.DONE, Phase.TALKING):
                return []
            return self._lost(call, now)
        if kind == "wrap_up":
            agent = self._agents.get(ident)
            if agent is None or agent.state != "wrap_up":
                return []
            return self._end_wrap_up(agent, now)
        if kind == "resume":
            agent = self._agents.get(ident)
            if agent is None or agent.resume_at is None or agent.state != "paused":
                return []
            agent.resume_at = None
            return self._transition(agent, "unpause", "ready", now)
        if kind == "forget":
            call = self._calls.get(ident)
            if call is not None and call.phase is Phase.DONE:
                del self._calls[ident]
            return []
        return []

    def _overflow(self, call: LiveCall, now: float) -> list[Effect]:
        queue = self._queues.get(call.queue)
        position = self._position(call)
        self._router.remove_call(call.call_id)
        wait = now - call.enqueued_at
        effects = self._left(call, now, CallOutcome.OVERFLOWED, "overflow", position)
        effects.append(
            WriteQueueLog(
                ql.exit_with_timeout(
                    now, call.caller.uniqueid, call.queue, position, call.original_position, wait
                )
            )
        )
        effects.append(Notify(call.call_id, Leave("overflow", queue.on_max_wait if queue else CONTINUE)))
        return effects

    def _lost(self, call: LiveCall, now: float) -> list[Effect]:
        """The caller's session ended and AMI never said why: count it as an abandon."""
        log.warning("acd call lost without AMI evidence call=%s queue=%s", call.call_id, call.queue)
        return self._abandon(call, now)

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

    # ================================================================ agents

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

    def _agent_request(self, message: AgentRequest, now: float) -> list[Effect]:
        effects, result = self._command(message.command, now)
        return [*effects, Reply(message.token, result)]

    def _command(self, command: Command, now: float) -> tuple[list[Effect], CommandResult]:
        if isinstance(command, RequestCallback):
            return [], CommandResult(False, "callbacks are not enabled")
        agent = self._agents.get(command.agent_id)
        if agent is None:
            return [], CommandResult(False, f"no agent {command.agent_id!r}")
        match command:
            case AgentLogin():
                if agent.logged_in:
                    return [], CommandResult(True, f"agent {agent.config.agent_id} is already logged in")
                agent.device = command.device or agent.config.device
                to = "paused" if command.paused else "ready"
                return self._transition(agent, "login", to, now, command.reason), CommandResult(
                    True, "logged in"
                )
            case AgentLogout():
                if not agent.logged_in:
                    return [], CommandResult(True, "already logged out")
                if agent.state in agent_rules.BUSY_STATES:
                    agent.pending = "logout"
                    return [], CommandResult(True, "will log out after the current call", deferred=True)
                return self._transition(agent, "logout", "logged_out", now), CommandResult(True, "logged out")
            case AgentPause():
                return self._pause(agent, command, now)

    def _pause(
        self, agent: AgentRuntime, command: AgentPause, now: float
    ) -> tuple[list[Effect], CommandResult]:
        if not agent.logged_in:
            return [], CommandResult(False, f"agent {agent.config.agent_id} is not logged in")
        if command.paused:
            if agent.state in agent_rules.BUSY_STATES:
                agent.pending = f"pause:{command.reason}"
                return [], CommandResult(True, "will pause after the current call", deferred=True)
            agent.resume_at = None
            return self._transition(agent, "pause", "paused", now, command.reason), CommandResult(
                True, "paused"
            )
        # unpause: also "ready" at the end of wrap-up, and cancels a pause asked for during a call
        if agent.pending is not None and agent.pending.startswith("pause:"):
            agent.pending = None
        if agent.state == "wrap_up":
            return self._end_wrap_up(agent, now), CommandResult(True, "ready")
        if agent.state == "paused":
            agent.resume_at = None
            return self._transition(agent, "unpause", "ready", now), CommandResult(True, "unpaused")
        return [], CommandResult(True, f"agent is {agent.state}")

    def _refresh_agents(self) -> None:
        for agent in self._agents.values():
            agent.queues = agent_rules.queues_for(agent, self._queues)

    # ================================================================ reload and resync

    def _reconfigure(self, message: Reconfigure, now: float) -> list[Effect]:
        old_router = self._router
        # A queue dropped from the file keeps serving the calls already in it.
        queues = dict(message.queues)
        for call in self._calls.values():
            if call.phase is not Phase.DONE and call.queue not in queues and call.queue in self._queues:
                queues[call.queue] = self._queues[call.queue]
        self._queues = queues
        roster = {a.agent_id: a for a in message.agents}
        effects: list[Effect] = []
        for agent_id, agent in list(self._agents.items()):
            if agent_id in roster:
                agent.config = roster[agent_id]
                agent.retired = False
                if not agent.logged_in or agent.state not in agent_rules.BUSY_STATES:
                    agent.device = agent.device if agent.logged_in else roster[agent_id].device
            elif agent.logged_in and agent.state in agent_rules.BUSY_STATES:
                agent.retired = True
            else:
                if agent.logged_in:
                    effects += agent_rules.transition(agent, "logout", "logged_out", now)
                del self._agents[agent_id]
        for agent_id, config in roster.items():
            if agent_id not in self._agents:
                self._agents[agent_id] = AgentRuntime(config=config, device=config.device)
        self._refresh_agents()
        self._router = Router(
            {name: q.policy() for name, q in self._queues.items()}, last_chosen=old_router.last_chosen
        )
        for agent in self._agents.values():
            self._sync_router(agent, now)
        for call in self._calls.values():
            if call.phase is Phase.WAITING:
                self._router.add_call(self._router_call(call))
        self._relax_at = None
        for agent in self._agents.values():
            if (
                agent.config.login_at_start
                and not agent.logged_in
                and agent.config.agent_id not in old_router.agents
            ):
                effects += self._transition(agent, "login", "ready", now)
        return effects

    def _channels_alive(self, alive: frozenset[str], now: float) -> list[Effect]:
        """After an AMI outage: conclude what happened to channels while we were deaf."""
        effects: list[Effect] = []
        for call in list(self._calls.values()):
            if call.phase is Phase.DONE or not call.caller.uniqueid:
                continue
            if call.caller.uniqueid not in alive:
                effects += self._caller_hung_up(call, now)
                continue
            attempt = call.attempt
            if attempt is not None and attempt.accepted and attempt.channel_id not in alive:
                if call.phase is Phase.TALKING:
                    effects += self._complete(call, now, by_caller=False)
                elif call.phase is Phase.RINGING:
                    effects += self._attempt_failed(attempt, "no_answer", now)
        return effects

    # ================================================================ reading

    def _waiting_in(self, queue: str) -> list[LiveCall]:
        return [
            c
            for c in self._calls.values()
            if c.queue == queue and c.phase in (Phase.WAITING, Phase.RINGING, Phase.CONNECTING)
        ]

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

    def position(self, call_id: str) -> tuple[int, float] | None:
        """A waiting call's current position and estimated wait (None once it left)."""
        call = self._calls.get(call_id)
        if call is None or call.phase is Phase.DONE:
            return None
        position = self._position(call)
        return position, self._estimate(call.queue, position)

    def _day_start(self, now: float) -> float:
        local = datetime.fromtimestamp(now, self._zone)
        midnight = datetime.combine(local.date(), time(0), self._zone)
        return midnight.timestamp()

    def call_record(self, call_id: str) -> CallRecord | None:
        """The record of a call the core still holds (in progress, or recently finished)."""
        call = self._calls.get(call_id)
        return call.record if call is not None else None

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
        for call in self._calls.values():
            if call.phase is not Phase.DONE and call.queue:
                by_queue.setdefault(call.queue, []).append(call)
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
                    longest_wait=max((now - c.enqueued_at for c in calls), default=0.0),
                    estimated_wait=_finite(self._estimate(name, len(calls) + 1)),
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


def _combine(queue_skills: Requirement, call_skills: Mapping[str, int]) -> Requirement:
    if not call_skills:
        return queue_skills
    extra = requirement_from_levels(call_skills)
    if isinstance(queue_skills, AllOf) and not queue_skills.parts:
        return extra
    return AllOf((queue_skills, extra))


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -1.0


def _var_name(key: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in key).upper()


def _clean_value(value: str) -> str:
    # Asterisk splits Originate's Variable header on commas; line breaks would end the field.
    return "".join(" " if ch in ",\r\n" else ch for ch in str(value))


def _caller_id(queue: str, caller: CallerInfo) -> str:
    name = f"{queue}: {caller.name}" if caller.name else queue
    name = name.replace('"', "'")
    return f'"{name}" <{caller.number}>' if caller.number else f'"{name}"'
