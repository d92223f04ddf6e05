"""A call's life in a queue: joining, keys, leaving, abandoning, its IVR record."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

from acd import queue_log as ql
from acd.center.base import (
    LIMBO_TIMEOUT,
    CenterState,
    combine_requirements,
    known,
)
from acd.center.messages import (
    CallerKey,
    CallStarted,
    CancelTimer,
    Concluded,
    Effect,
    EnqueueCall,
    IvrFinished,
    Joined,
    KeyIgnored,
    Leave,
    Notify,
    NotQueued,
    Publish,
    SetTimer,
    WriteQueueLog,
)
from acd.center.model import LiveCall, Phase
from acd.events import (
    CallAbandoned,
    CallJoined,
    CallLeft,
)
from acd.queue_config import CONTINUE, QueueConfig
from acd.records import CallOutcome, CallRecord
from configlang.expressions import ExpressionError, evaluate_bool
from configlang.values import Value

log = logging.getLogger(__name__)


class QueueCalls(CenterState):
    """Calls joining, waiting in and leaving queues; their records."""

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
        self._add_call(LiveCall(message.call_id, message.caller, record, ivr_done=False))

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
        call.requirement = combine_requirements(queue.skills, message.skills)
        call.data = {k: v for k, v in message.data.items() if v is not None}
        self._set_phase(call, Phase.WAITING)
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
                CallJoined(
                    now, call.caller, queue.name, position, len(waiting) + 1, call.priority, known(estimate)
                )
            ),
        ]
        if queue.max_wait:
            effects.append(SetTimer(("max_wait", call.call_id), now + queue.max_wait))
        return effects

    def _priority(self, queue: QueueConfig, message: EnqueueCall) -> int:
        """The dialplan's priority (or the queue's base), raised by any matching rule."""
        priority = message.priority if message.priority is not None else queue.base_priority
        return self._ruled_priority(queue, priority, message.variables)

    def _ruled_priority(self, queue: QueueConfig, priority: int, variables: Mapping[str, Value]) -> int:
        """`priority` raised by every rule of the queue whose condition holds on `variables`."""
        for rule in queue.priority_rules:
            try:
                if evaluate_bool(rule.condition, variables):
                    priority = max(priority, rule.priority)
            except ExpressionError as exc:
                log.warning(
                    "acd priority rule failed queue=%s rule=%s error=%s", queue.name, rule.condition.text, exc
                )
        return priority

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
                    now,
                    call.caller.uniqueid or call.call_id,
                    call.queue,
                    message.key,
                    position,
                    call.original_position,
                    wait,
                )
            )
        )
        effects.append(Notify(call.call_id, Leave("exit_key", queue.on_exit)))
        return effects

    def _left(
        self, call: LiveCall, now: float, outcome: CallOutcome, reason: str, position: int
    ) -> list[Effect]:
        """The call left the queue without an agent (exit, overflow, no agents, callback)."""
        self._set_phase(call, Phase.DONE)
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

    def _abandon(self, call: LiveCall, now: float) -> list[Effect]:
        position = self._position(call)
        effects = self._cancel_attempt(call, now)
        if call.phase is Phase.WAITING or self._router.remove_call(call.call_id) is not None:
            self._router.remove_call(call.call_id)
        wait = now - call.enqueued_at
        self._set_phase(call, Phase.DONE)
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
                ql.abandon(
                    now,
                    call.caller.uniqueid or call.call_id,
                    call.queue,
                    position,
                    call.original_position,
                    wait,
                )
            ),
            Publish(CallAbandoned(now, call.caller, call.queue, position, call.original_position, wait)),
            Publish(CallLeft(now, call.caller, call.queue, position, count, "abandoned")),
            Notify(call.call_id, Concluded("abandoned")),
        ]
        return effects + self._maybe_write(call, now)

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

    def _overflow(self, call: LiveCall, now: float) -> list[Effect]:
        queue = self._queues.get(call.queue)
        position = self._position(call)
        self._router.remove_call(call.call_id)
        wait = now - call.enqueued_at
        effects = self._left(call, now, CallOutcome.OVERFLOWED, "overflow", position)
        effects.append(
            WriteQueueLog(
                ql.exit_with_timeout(
                    now,
                    call.caller.uniqueid or call.call_id,
                    call.queue,
                    position,
                    call.original_position,
                    wait,
                )
            )
        )
        effects.append(Notify(call.call_id, Leave("overflow", queue.on_max_wait if queue else CONTINUE)))
        return effects

    def _lost(self, call: LiveCall, now: float) -> list[Effect]:
        """The caller's session ended and AMI never said why: count it as an abandon."""
        log.warning("acd call lost without AMI evidence call=%s queue=%s", call.call_id, call.queue)
        return self._abandon(call, now)
