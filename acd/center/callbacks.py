"""Callbacks that keep the caller's place: requested, stored, queued as virtual callers, dialled.

Rules:

1. **Two phases, so no promise is ever made for a request that is not on disk.** A request
   (from a waiting caller, or from outside through AMI/MQTT) is first *planned*: validated
   (queue, callbacks enabled, number rules, slot within callback hours) and checked for a
   duplicate (the same number pending in the same queue keeps its earlier place: the
   caller is told so, nothing new is stored). The shell then commits the record and only
   then confirms; the core *activates* it on ``CallbackStored``. While the record is being
   written, a live caller is held out of the router (``HELD``) so no agent is offered a
   call whose caller is being promised a callback; if the write fails they go back, same
   place.
2. **The place is kept**: a callback from a live call inherits its enqueue time, priority,
   sequence number and skills, so the router orders it exactly where the caller was. It
   waits in the router only while it is due (``SCHEDULED`` otherwise: a later slot, outside
   callback hours, between attempts) and always re-enters with the same order key.
3. **Agent first** (default): the chosen agent is rung into ``ivr-acd-agent-hold`` (they hear
   who is being called back); once they answer, the customer is dialled into
   ``ivr-acd-connect``, whose ``Bridge()`` pulls the agent in. **Customer first**: the
   customer is dialled into ``ivr-acd-callback-customer`` while the agent is reserved; once
   they answer they are a waiting caller like any other, and the agent is rung.
4. An attempt that does not reach the customer (no answer, busy, unreachable) is recorded
   with its outcome; the request retries after ``retry_delay`` up to ``max_attempts``, then
   fails. A request still unserved when its window closes expires. Every change is stored
   and published.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from acd import queue_log as ql
from acd.callback_policy import CallbackPolicy
from acd.center.base import (
    BRIDGE_TIMEOUT,
    CONNECT_CONTEXT,
    NO_ANSWER_REASONS,
    RING_GRACE,
    clean_value,
    var_name,
)
from acd.center.messages import (
    AmiEvent,
    CallbackCustomerArrived,
    CallbackStored,
    CancelTimer,
    Effect,
    HangupChannel,
    LoadCallbacks,
    Originate,
    Publish,
    SetTimer,
    Store,
    WriteQueueLog,
)
from acd.center.model import Attempt, LiveCall, Phase
from acd.center.upkeep import Upkeep
from acd.commands import Command, CommandResult, RequestCallback
from acd.events import CallbackChanged, CallerInfo
from acd.records import CallbackAttempt, CallbackRecord, CallbackStatus, CallOutcome, CallRecord
from acd.requirement import Requirement

log = logging.getLogger(__name__)

AGENT_HOLD_CONTEXT = "ivr-acd-agent-hold"
CUSTOMER_CONTEXT = "ivr-acd-callback-customer"
_ACTIVE = frozenset({CallbackStatus.PENDING, CallbackStatus.DIALLING, CallbackStatus.RETRY_WAIT})


class Callbacks(Upkeep):
    """Callback requests and their dialling (see the module docstring)."""

    _planned: dict[str, CallbackRecord]
    _callback_dial: str
    _callback_caller_id: str

    # ================================================================ planning and storing

    def _plan_callback(self, request: RequestCallback, now: float) -> CommandResult:
        queue = self._queues.get(request.queue)
        if queue is None:
            return CommandResult(False, f"no queue {request.queue!r}")
        policy = queue.callback
        if not policy.enabled:
            return CommandResult(False, f"queue {queue.name} offers no callbacks")
        number = request.number.strip()
        problem = policy.number.check(number)
        if problem is not None:
            return CommandResult(False, f"invalid number: {problem}")
        if request.not_before is not None and (
            request.not_before < now - 60 or not policy.open_at(request.not_before)
        ):
            return CommandResult(False, "that time is outside the callback hours")
        existing = self._pending_for(queue.name, number)
        call = self._calls.get(request.call_id) if request.call_id else None
        if existing is not None:
            if call is not None and call.phase is Phase.WAITING:
                self._leave_for_callback(call, existing.callback_id, now)
            return CommandResult(
                True, "a callback is already pending for this number", existing.callback_id, duplicate=True
            )
        callback_id = f"{self._instance}-cb-{next(self._ids)}"
        enqueued_at, priority = now, queue.base_priority
        if call is not None and call.phase is Phase.WAITING and call.queue == queue.name:
            enqueued_at, priority = call.enqueued_at, call.priority
            self._router.remove_call(call.call_id)
            self._set_phase(call, Phase.HELD)
        elif request.variables is not None:
            # A dialplan's callback step: no place to keep, so it joins now, ranked as the
            # queue ranks a caller with these variables.
            priority = self._ruled_priority(queue, priority, request.variables)
        record = CallbackRecord(
            callback_id=callback_id,
            number=number,
            queue=queue.name,
            requested_at=now,
            enqueued_at=enqueued_at,
            priority=priority,
            not_before=request.not_before,
            window_end=policy.window_end(max(now, request.not_before or now)),
            source=request.source,
            call_id=request.call_id,
            caller_name=request.name,
            data=dict(request.data) or (dict(call.data) if call is not None else {}),
        )
        self._planned[callback_id] = record
        return CommandResult(True, "callback planned", callback_id)

    def planned_callback(self, callback_id: str) -> CallbackRecord | None:
        """A planned request, for the shell to store before confirming it."""
        return self._planned.get(callback_id)

    def _pending_for(self, queue: str, number: str) -> CallbackRecord | None:
        for call in self._callbacks_open.get(queue, {}).values():
            record = call.callback
            if (
                record is not None
                and record.queue == queue
                and record.number == number
                and record.status in _ACTIVE
            ):
                return record
        return None

    def _callback_stored(self, message: CallbackStored, now: float) -> list[Effect]:
        record = self._planned.pop(message.callback_id, None)
        if record is None:
            return []
        call = self._calls.get(record.call_id) if record.call_id else None
        if not message.ok:
            if call is not None and call.phase is Phase.HELD:
                self._set_phase(call, Phase.WAITING)  # back to exactly the same place
                self._router.add_call(self._router_call(call))
            return []
        effects: list[Effect] = []
        seq: int | None = None
        requirement: Requirement | None = None
        if call is not None and call.phase is Phase.HELD:
            seq, requirement = call.seq, call.requirement
            effects += self._leave_for_callback(call, record.callback_id, now)
        effects += self._activate(record, now, seq=seq, requirement=requirement)
        return effects

    def _leave_for_callback(self, call: LiveCall, callback_id: str, now: float) -> list[Effect]:
        """The live caller leaves the queue with a callback (not an abandon)."""
        if call.phase is Phase.WAITING:
            self._router.remove_call(call.call_id)
        self._set_phase(call, Phase.WAITING)  # so _left computes the wait as for any leaver
        call.record.callback_id = callback_id
        wait = now - call.enqueued_at
        effects = self._left(call, now, CallOutcome.CALLBACK_REQUESTED, "callback", call.original_position)
        effects.append(
            WriteQueueLog(
                ql.exit_with_key(
                    now,
                    call.caller.uniqueid or call.call_id,
                    call.queue,
                    "callback",
                    call.original_position,
                    call.original_position,
                    wait,
                )
            )
        )
        return effects

    def _activate(
        self,
        record: CallbackRecord,
        now: float,
        *,
        seq: int | None = None,
        requirement: Requirement | None = None,
    ) -> list[Effect]:
        """A stored request becomes a virtual caller waiting in its queue."""
        queue = self._queues.get(record.queue)
        if queue is None:
            log.warning(
                "callback for unknown queue dropped callback=%s queue=%s", record.callback_id, record.queue
            )
            return []
        caller = CallerInfo(record.callback_id, "", "", "", record.number, record.caller_name)
        call = LiveCall(
            call_id=record.callback_id,
            caller=caller,
            record=CallRecord(record.callback_id, ""),
            queue=queue.name,
            priority=record.priority,
            enqueued_at=record.enqueued_at,
            seq=seq if seq is not None else next(self._seq),
            requirement=requirement if requirement is not None else queue.skills,
            data=dict(record.data),
            phase=Phase.SCHEDULED,
            acd_done=False,
            is_callback=True,
            callback=record,
        )
        self._add_call(call)
        effects: list[Effect] = [Store(replace(record)), Publish(self._changed(record, now))]
        if record.window_end is not None:
            effects.append(SetTimer(("cb_expire", record.callback_id), record.window_end))
        return effects + self._schedule(call, queue.callback, now)

    def _schedule(self, call: LiveCall, policy: CallbackPolicy, now: float) -> list[Effect]:
        """Into the router if due now, else a timer for when it is."""
        record = call.callback
        assert record is not None
        due = max(now, record.not_before or now, record.next_attempt_at or now)
        opens = policy.next_open(due)
        if opens is None:
            return self._finish_callback(call, CallbackStatus.EXPIRED, now)
        if opens <= now:
            self._set_phase(call, Phase.WAITING)
            self._router.add_call(self._router_call(call))
            return []
        self._set_phase(call, Phase.SCHEDULED)
        return [SetTimer(("cb_due", call.call_id), opens)]

    def _changed(self, record: CallbackRecord, now: float) -> CallbackChanged:
        return CallbackChanged(
            now,
            record.callback_id,
            record.queue,
            record.number,
            record.status.value,
            record.attempts,
            record.agent_id,
        )

    def _load_callbacks(self, message: LoadCallbacks, now: float) -> list[Effect]:
        """After a restart: pending requests come back, in their original order."""
        effects: list[Effect] = []
        for record in sorted(message.callbacks, key=lambda r: (-r.priority, r.enqueued_at)):
            if record.callback_id in self._calls or record.status not in _ACTIVE:
                continue
            if record.window_end is not None and record.window_end <= now:
                record.status = CallbackStatus.EXPIRED
                record.completed_at = now
                effects += [Store(replace(record)), Publish(self._changed(record, now))]
                continue
            record.status = CallbackStatus.PENDING  # an attempt cut by the restart is retried
            effects += self._activate(record, now)
        return effects

    # ================================================================ dialling

    def _ring(self, call_id: str, agent_id: str, now: float) -> list[Effect]:
        call = self._calls[call_id]
        if not call.is_callback or call.caller.channel:
            return super()._ring(call_id, agent_id, now)  # a live caller (or a customer already on the line)
        record = call.callback
        queue = self._queues[call.queue]
        assert record is not None
        record.status = CallbackStatus.DIALLING
        record.agent_id = agent_id
        if queue.callback.mode == "customer_first":
            return self._dial_customer_first(call, agent_id, now)
        effects = super()._ring(call_id, agent_id, now)
        # Agent first: the agent's leg waits in agent-hold instead of bridging a caller.
        for index, effect in enumerate(effects):
            if isinstance(effect, Originate):
                effects[index] = replace(
                    effect,
                    context=AGENT_HOLD_CONTEXT,
                    variables=(*effect.variables, *self._callback_vars(record)),
                )
        return [*effects, Store(replace(record)), Publish(self._changed(record, now))]

    def _callback_vars(self, record: CallbackRecord) -> tuple[tuple[str, str], ...]:
        return (
            ("ACD_CALLBACK", "1"),
            ("ACD_CALLBACK_NUMBER", record.number),
            ("ACD_CALLBACK_QUEUE", record.queue),
            ("ACD_CALLBACK_REQUESTED", str(round(record.requested_at))),
        )

    def _dial_customer_first(self, call: LiveCall, agent_id: str, now: float) -> list[Effect]:
        """Reserve the agent, then dial the customer into the customer context."""
        agent = self._agents[agent_id]
        record = call.callback
        assert record is not None
        number = next(self._ids)
        attempt = Attempt(
            f"{self._instance}-ring-{number}", call.call_id, agent_id, now, f"{self._instance}-leg-{number}"
        )
        self._attempts[attempt.attempt_id] = attempt
        call.attempt = attempt
        self._set_phase(call, Phase.CUSTOMER)
        agent.call_id = call.call_id
        effects = self._transition(agent, "reserve", "reserved", now)
        effects += self._dial_customer(call, attempt, CUSTOMER_CONTEXT, now)
        return [*effects, Store(replace(record)), Publish(self._changed(record, now))]

    def _dial_customer(self, call: LiveCall, attempt: Attempt, context: str, now: float) -> list[Effect]:
        record = call.callback
        queue = self._queues[call.queue]
        assert record is not None
        attempt.customer_channel_id = f"{attempt.channel_id}-cust"
        attempt.customer_started = now
        self._by_channel[attempt.customer_channel_id] = attempt.attempt_id
        record.attempts += 1
        variables = [
            ("ACD_CALL_ID", call.call_id),
            ("ACD_QUEUE", queue.name),
            *self._callback_vars(record),
            *((f"ACD_DATA_{var_name(k)}", v) for k, v in sorted(call.data.items())),
        ]
        if context == CONNECT_CONTEXT:
            variables.insert(0, ("ACD_CALLER", attempt.channel_name or attempt.channel_id))
        return [
            Originate(
                attempt_id=f"{attempt.attempt_id}-cust",
                channel=self._callback_dial.replace("{number}", record.number),
                channel_id=attempt.customer_channel_id,
                context=context,
                exten="s",
                timeout=queue.callback.customer_ring,
                caller_id=self._callback_caller_id,
                variables=tuple((k, clean_value(v)) for k, v in variables),
            ),
            SetTimer(("cust_ring", attempt.attempt_id), now + queue.callback.customer_ring + RING_GRACE),
            Store(CallbackAttempt(record.callback_id, record.attempts, now, "dialling", attempt.agent_id)),
        ]

    def _originate_response(self, attempt: Attempt, success: bool, reason: str, now: float) -> list[Effect]:
        call = self._calls.get(attempt.call_id)
        if call is None or not call.is_callback or call.caller.channel or attempt.cancelled:
            return super()._originate_response(attempt, success, reason, now)
        # Agent first: the agent's leg answered (or not); then the customer is dialled.
        if not success:
            return super()._originate_response(attempt, success, reason, now)
        effects: list[Effect] = [
            CancelTimer(("ring", attempt.attempt_id)),
            CancelTimer(("reserve", attempt.attempt_id)),
        ]
        attempt.answered = True
        agent = self._agents.get(attempt.agent_id)
        if agent is not None and agent.state in ("reserved", "ringing"):
            effects += self._transition(agent, "answer", "on_call", now)
        self._set_phase(call, Phase.CUSTOMER)
        call.agent_id = attempt.agent_id
        return effects + self._dial_customer(call, attempt, CONNECT_CONTEXT, now)

    def _customer_response(self, attempt: Attempt, success: bool, reason: str, now: float) -> list[Effect]:
        call = self._calls.get(attempt.call_id)
        effects: list[Effect] = [CancelTimer(("cust_ring", attempt.attempt_id))]
        if call is None or call.callback is None or call.phase is not Phase.CUSTOMER:
            return effects
        if success:
            if self._queues[call.queue].callback.mode == "customer_first":
                return effects  # the customer's AGI session announces itself (CallbackCustomerArrived)
            self._set_phase(call, Phase.CONNECTING)  # ivr-acd-connect is pulling the agent into the bridge
            return [*effects, SetTimer(("bridge", attempt.attempt_id), now + BRIDGE_TIMEOUT)]
        outcome = {"no_answer": "no_answer", "busy": "busy"}.get(
            NO_ANSWER_REASONS.get(reason, ""), "unreachable"
        )
        return effects + self._customer_not_reached(call, attempt, outcome, now)

    def _customer_not_reached(
        self, call: LiveCall, attempt: Attempt, outcome: str, now: float
    ) -> list[Effect]:
        record = call.callback
        assert record is not None
        effects: list[Effect] = [
            Store(
                CallbackAttempt(
                    record.callback_id,
                    record.attempts,
                    attempt.customer_started,
                    outcome,
                    attempt.agent_id,
                    now,
                )
            )
        ]
        agent = self._agents.get(attempt.agent_id)
        if attempt.channel_name or attempt.answered:
            effects.append(HangupChannel(attempt.leg))
        if agent is not None and agent.call_id == call.call_id:
            if agent.state == "on_call":
                effects += self._transition(agent, "call_end", "ready", now)
            elif agent.state in ("reserved", "ringing"):
                effects += self._transition(agent, "release", "ready", now)
        self._forget_attempt(attempt)
        self._by_channel.pop(attempt.customer_channel_id, None)
        call.attempt = None
        call.agent_id = None
        policy = self._queues[call.queue].callback
        if record.attempts >= policy.max_attempts:
            return effects + self._finish_callback(call, CallbackStatus.FAILED, now)
        record.status = CallbackStatus.RETRY_WAIT
        record.next_attempt_at = now + policy.retry_delay
        effects += [Store(replace(record)), Publish(self._changed(record, now))]
        return effects + self._schedule(call, policy, now)

    def _customer_arrived(self, message: CallbackCustomerArrived, now: float) -> list[Effect]:
        """Customer first: the customer answered; ring the reserved agent for them."""
        call = self._calls.get(message.callback_id)
        if call is None or call.attempt is None or call.phase is not Phase.CUSTOMER:
            return []
        attempt = call.attempt
        call.caller = replace(message.caller, call_id=call.call_id)
        self._aliases[message.caller.uniqueid] = call.call_id
        self._forget_attempt(attempt)
        self._by_channel.pop(attempt.customer_channel_id, None)
        call.attempt = None
        record = call.callback
        assert record is not None
        effects: list[Effect] = [
            CancelTimer(("cust_ring", attempt.attempt_id)),
            Store(
                CallbackAttempt(
                    record.callback_id,
                    record.attempts,
                    attempt.customer_started,
                    "connected",
                    attempt.agent_id,
                    now,
                )
            ),
        ]
        agent = self._agents.get(attempt.agent_id)
        if agent is not None and agent.state == "reserved":
            agent.call_id = None
            effects += self._transition(agent, "release", "ready", now)
        # From here the customer is a waiting caller like any other, at the callback's place.
        self._set_phase(call, Phase.WAITING)
        self._router.add_call(self._router_call(call))
        return effects

    # ================================================================ AMI and the end of a callback

    def _ami_event(self, message: AmiEvent, now: float) -> list[Effect]:
        msg = message.message
        name = msg.name.lower()
        if name == "originateresponse" and (msg.action_id or "").endswith("-cust"):
            attempt = self._attempts.get((msg.action_id or "").removesuffix("-cust"))
            if attempt is None:
                return []
            success = (msg.get("Response") or "").lower() == "success"
            return self._customer_response(attempt, success, msg.get("Reason") or "", now)
        if name == "originateresponse":
            attempt = self._attempts.get(msg.action_id or "")
            if attempt is not None and msg.get("Channel"):
                attempt.channel_name = attempt.channel_name or (msg.get("Channel") or "")
        uniqueid = msg.get("Uniqueid") or ""
        attempt_id = self._by_channel.get(uniqueid)
        attempt = self._attempts.get(attempt_id) if attempt_id else None
        if attempt is not None and uniqueid == attempt.customer_channel_id:
            if name == "newchannel":
                attempt.customer_channel_name = msg.get("Channel") or ""
                return []
            call = self._calls.get(attempt.call_id)
            if call is not None and call.phase is Phase.CUSTOMER and name in ("hangup", "hanguprequest"):
                return []  # the customer's phone failed to answer: OriginateResponse says how
        if (
            attempt is not None
            and uniqueid == attempt.channel_id
            and name in ("hangup", "hanguprequest", "softhanguprequest")
        ):
            call = self._calls.get(attempt.call_id)
            if call is not None and call.is_callback and call.phase is Phase.CUSTOMER:
                return self._agent_left_during_dial(call, attempt, now)
        return super()._ami_event(message, now)

    def _agent_left_during_dial(self, call: LiveCall, attempt: Attempt, now: float) -> list[Effect]:
        """The agent hung up while their customer was being dialled: stop, keep the request."""
        effects: list[Effect] = [CancelTimer(("cust_ring", attempt.attempt_id))]
        if attempt.customer_channel_id:
            effects.append(HangupChannel(attempt.customer_channel_name or attempt.customer_channel_id))
        agent = self._agents.get(attempt.agent_id)
        if agent is not None and agent.state == "on_call":
            effects += self._transition(agent, "call_end", "ready", now)
        record = call.callback
        assert record is not None
        record.attempts = max(0, record.attempts - 1)  # not the customer's doing
        self._forget_attempt(attempt)
        self._by_channel.pop(attempt.customer_channel_id, None)
        call.attempt = None
        return effects + self._schedule(call, self._queues[call.queue].callback, now)

    def _complete(self, call: LiveCall, now: float, *, by_caller: bool) -> list[Effect]:
        if not call.is_callback or call.callback is None:
            return super()._complete(call, now, by_caller=by_caller)
        record = call.callback
        attempt = call.attempt
        answered_at = call.answered_at
        if attempt is not None:
            self._by_channel.pop(attempt.customer_channel_id, None)
        effects = super()._complete(call, now, by_caller=by_caller)
        effects = [e for e in effects if not (isinstance(e, Store) and isinstance(e.record, CallRecord))]
        record.connected_at = answered_at
        record.talk_time = now - answered_at if answered_at is not None else None
        if attempt is not None and record.attempts:
            effects.append(
                Store(
                    CallbackAttempt(
                        record.callback_id,
                        record.attempts,
                        attempt.customer_started or now,
                        "connected",
                        record.agent_id,
                        answered_at,
                    )
                )
            )
        return effects + self._finish_callback(call, CallbackStatus.CONNECTED, now)

    def _finish_callback(self, call: LiveCall, status: CallbackStatus, now: float) -> list[Effect]:
        record = call.callback
        assert record is not None
        if call.phase is Phase.WAITING:
            self._router.remove_call(call.call_id)
        self._set_phase(call, Phase.DONE)
        call.acd_done = True
        record.status = status
        record.completed_at = now
        self._calls.pop(call.call_id, None)
        log.info(
            "callback %s callback=%s queue=%s attempts=%d",
            status.value,
            record.callback_id,
            record.queue,
            record.attempts,
        )
        return [
            CancelTimer(("cb_expire", record.callback_id)),
            CancelTimer(("cb_due", record.callback_id)),
            Store(replace(record)),
            Publish(self._changed(record, now)),
        ]

    def _callback_timer(self, kind: str, ident: str, now: float) -> list[Effect] | None:
        """Callback timers; None when ``kind`` is not one of them."""
        if kind == "cb_due":
            call = self._calls.get(ident)
            if call is None or call.phase is not Phase.SCHEDULED:
                return []
            record = call.callback
            assert record is not None
            record.not_before = None
            record.next_attempt_at = None
            record.status = CallbackStatus.PENDING
            return [Store(replace(record)), *self._schedule(call, self._queues[call.queue].callback, now)]
        if kind == "cb_expire":
            call = self._calls.get(ident)
            if call is None or call.phase not in (Phase.WAITING, Phase.SCHEDULED):
                return []  # being dialled or talking: let it finish
            return self._finish_callback(call, CallbackStatus.EXPIRED, now)
        if kind == "cust_ring":
            attempt = self._attempts.get(ident)
            call = self._calls.get(attempt.call_id) if attempt is not None else None
            if attempt is None or call is None or call.phase is not Phase.CUSTOMER:
                return []
            return [
                HangupChannel(attempt.customer_channel_name or attempt.customer_channel_id),
                *self._customer_not_reached(call, attempt, "no_answer", now),
            ]
        return None

    # ================================================================ hooks into the rest of the core

    def _command(self, command: Command, now: float) -> tuple[list[Effect], CommandResult]:
        if isinstance(command, RequestCallback):
            return [], self._plan_callback(command, now)
        return super()._command(command, now)

    def _timer(self, key: tuple[str, str], now: float) -> list[Effect]:
        handled = self._callback_timer(key[0], key[1], now)
        return handled if handled is not None else super()._timer(key, now)

    def _abandon(self, call: LiveCall, now: float) -> list[Effect]:
        if not call.is_callback or call.callback is None:
            return super()._abandon(call, now)
        # Customer first: the called-back customer hung up while waiting for an agent.
        effects = self._cancel_attempt(call, now)
        self._aliases.pop(call.caller.uniqueid, None)
        record = call.callback
        effects.append(
            Store(
                CallbackAttempt(
                    record.callback_id, record.attempts, now, "customer_hung_up", record.agent_id, now
                )
            )
        )
        return effects + self._finish_callback(call, CallbackStatus.FAILED, now)
