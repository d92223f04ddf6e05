"""Routing and ringing: agent-first originates, their outcomes, and the AMI events that settle a call."""

from __future__ import annotations

import logging

from acd import queue_log as ql
from acd.center.base import (
    BRIDGE_TIMEOUT,
    CONNECT_CONTEXT,
    HANGUP_EVENTS,
    NO_ANSWER_REASONS,
    RESERVE_TIMEOUT,
    RING_GRACE,
    agent_caller_id,
    clean_value,
    var_name,
)
from acd.center.messages import (
    AmiEvent,
    CancelTimer,
    Concluded,
    Connecting,
    Effect,
    HangupChannel,
    Notify,
    Originate,
    OriginateQueued,
    Publish,
    SetTimer,
    WriteQueueLog,
)
from acd.center.model import AgentRuntime, Attempt, LiveCall, Phase
from acd.center.queue_calls import QueueCalls
from acd.events import (
    AgentCalled,
    AgentCompleted,
    AgentConnected,
    AgentRingNoAnswer,
    CallLeft,
)
from acd.queue_config import QueueConfig
from acd.records import CallOutcome

log = logging.getLogger(__name__)


class Ringing(QueueCalls):
    """Pairs calls with agents, rings them, and reads AMI to settle each call."""

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
        self._set_phase(call, Phase.RINGING)
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
            *((f"ACD_DATA_{var_name(k)}", v) for k, v in sorted(call.data.items())),
        ]
        effects += [
            Originate(
                attempt_id=attempt.attempt_id,
                channel=agent.device,
                channel_id=attempt.channel_id,
                context=CONNECT_CONTEXT,
                exten="s",
                timeout=queue.ring_timeout,
                caller_id=agent_caller_id(queue.name, call.caller),
                variables=tuple((k, clean_value(v)) for k, v in variables),
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
            return effects + self._attempt_failed(attempt, NO_ANSWER_REASONS.get(reason, "unreachable"), now)
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
        self._set_phase(call, Phase.CONNECTING)
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
                        now,
                        call.caller.uniqueid or call.call_id,
                        call.queue,
                        agent.config.name,
                        round(ring_time * 1000),
                    )
                )
            )
            effects.append(
                Publish(AgentRingNoAnswer(now, call.caller, call.queue, agent.info, ring_time, outcome))
            )
        if call.overflow_due or call.agi_gone:
            self._set_phase(call, Phase.WAITING)
            self._router.add_call(self._router_call(call))
            return effects + (self._overflow(call, now) if call.overflow_due else self._lost(call, now))
        # Back to the head of its queue: same enqueue time, same sequence number.
        self._set_phase(call, Phase.WAITING)
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
        if name in HANGUP_EVENTS:
            return self._hangup(uniqueid, now)
        return []

    def _call_by_uniqueid(self, uniqueid: str) -> LiveCall | None:
        if not uniqueid:
            return None
        call = self._calls.get(self._aliases.get(uniqueid, uniqueid))
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
        self._set_phase(call, Phase.TALKING)
        call.answered_at = now
        wait = now - call.enqueued_at
        ring_time = now - attempt.started_at
        record = call.record
        record.outcome = CallOutcome.ANSWERED
        record.answered_at = now
        record.wait_time = wait
        record.agent_id = attempt.agent_id
        agent = self._agents[attempt.agent_id]
        if not call.is_callback:
            self._stats_for(call.queue).answered(wait, self._day_start(now))
        count = len(self._waiting_in(call.queue))
        return [
            CancelTimer(("bridge", attempt.attempt_id)),
            CancelTimer(("max_wait", call.call_id)),
            CancelTimer(("limbo", call.call_id)),
            WriteQueueLog(
                ql.connect(
                    now,
                    call.caller.uniqueid or call.call_id,
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
            self._set_phase(call, Phase.WAITING)
            self._router.add_call(self._router_call(call))
            return effects
        return []  # ringing: OriginateResponse will say how it ended

    def _complete(self, call: LiveCall, now: float, *, by_caller: bool) -> list[Effect]:
        attempt = call.attempt
        assert attempt is not None
        assert call.answered_at is not None
        agent = self._agents.get(attempt.agent_id)
        queue = self._queues.get(call.queue)
        talk = now - call.answered_at
        wait = call.answered_at - call.enqueued_at
        self._set_phase(call, Phase.DONE)
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
                        call.caller.uniqueid or call.call_id,
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

    def _caller_hung_up(self, call: LiveCall, now: float) -> list[Effect]:
        if call.phase is Phase.TALKING:
            return self._complete(call, now, by_caller=True)
        if call.phase in (Phase.WAITING, Phase.RINGING, Phase.CONNECTING):
            return self._abandon(call, now)
        return []
