"""Running the steps served outside the IVR: lookup, queue, callback, transfer, record."""

from __future__ import annotations

import re

from configlang.expressions import ExpressionError, Value, evaluate, to_text, type_name
from ivr.interpreter.actions import (
    BookCallback,
    CallbackResult,
    Dial,
    DialResult,
    Enqueue,
    HttpRequest,
    HttpResult,
    QueueResult,
    Record,
    RecordResult,
)
from ivr.interpreter.keypad import play
from ivr.interpreter.render import json_path, render_dial, render_file_name, render_json, render_url
from ivr.interpreter.runtime import Runtime
from ivr.interpreter.transitions import EndCall, GoTo, Script, Transition
from ivr.model import CallbackStep, LookupStep, QueueStep, RecordStep, TransferStep

_DIALABLE = re.compile(r"[^0-9+*#]")


def run_lookup(rt: Runtime, step: LookupStep) -> Script[Transition]:
    """GET or POST; on success copy reply fields into variables, else take `on_failure`."""
    body = render_json(step.body, rt.variables) if step.method == "POST" else None
    reply = yield HttpRequest(step.method, render_url(step.url, rt.variables), body, step.timeout)
    assert isinstance(reply, HttpResult)
    rt.set("lookup.status", reply.status)
    if reply.error is not None or reply.status is None or not 200 <= reply.status < 300:
        rt.event("lookup_failed", reply.error or f"status {reply.status}")
        return GoTo(step.on_failure or step.next)
    for variable, path in step.assign:
        rt.set(variable, json_path(reply.body, path))
    return GoTo(step.next)


def run_queue(rt: Runtime, step: QueueStep) -> Script[Transition]:
    """Enqueue and resume with the outcome. `answered` ends the IVR; otherwise the queue's own
    `next_step` wins, then the step's `on:` map, then `next`."""
    priority = (
        step.priority if isinstance(step.priority, int) else _priority(evaluate(step.priority, rt.variables))
    )
    data = {name: rt.variables.get(name) for name in step.data}
    reply = yield Enqueue(step.queue, dict(step.skills), priority, data)
    assert isinstance(reply, QueueResult)
    rt.set("queue.outcome", reply.outcome)
    rt.event("queue_outcome", reply.outcome)
    if reply.outcome == "answered":
        return EndCall("answered")
    if reply.outcome == "callback":
        rt.callback_requested = True
    if reply.next_step is not None:
        if reply.next_step in rt.frame.dialplan.steps:
            return GoTo(reply.next_step)
        rt.event("error", f'the queue named an unknown next step "{reply.next_step}"')
    return GoTo(step.on.get(reply.outcome, step.next))


def run_callback(rt: Runtime, step: CallbackStep) -> Script[Transition]:
    """Have the caller book a callback; the outcome picks the step under `on:`, else `next`.
    Booked and duplicate both leave the caller with a callback to wait for: the run's outcome
    becomes `queued`, as after a queue's callback offer."""
    reply = yield BookCallback(step.queue)
    assert isinstance(reply, CallbackResult)
    rt.set("callback.outcome", reply.outcome)
    rt.event("callback_outcome", reply.outcome)
    if reply.outcome in ("booked", "duplicate"):
        rt.callback_requested = True
    return GoTo(step.on.get(reply.outcome, step.next))


def _priority(value: Value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExpressionError(f"priority must be a number, got {type_name(value)}")
    return max(0, min(100, int(value)))


def run_transfer(rt: Runtime, step: TransferStep) -> Script[Transition]:
    """Dial; ANSWER ends the IVR as a transfer, anything else takes `on_failure`."""
    if step.number is not None:
        number = _DIALABLE.sub("", step.number.render(rt.variables))
        rt.set("transfer.number", number)
        if not number:
            rt.event("transfer_failed", "no number to dial")
            return GoTo(step.on_failure or step.next)
    reply = yield Dial(render_dial(step.target, rt.variables), step.timeout)
    assert isinstance(reply, DialResult)
    rt.set("transfer.status", reply.status)
    if reply.status == "ANSWER":
        return EndCall("transfer")
    rt.event("transfer_failed", reply.status)
    return GoTo(step.on_failure or step.next)


def run_record(rt: Runtime, step: RecordStep) -> Script[Transition]:
    """Play the prompt, record, remember how long the message is."""
    yield from play(rt, step.prompt)
    name = render_file_name(step.name, rt.variables)
    tag = step.tag.render(rt.variables) if step.tag is not None else ""
    metadata = {
        "caller": to_text(rt.variables.get("caller.number")),
        "dnis": to_text(rt.variables.get("call.dnis")),
        "uniqueid": to_text(rt.variables.get("call.uniqueid")),
        "dialplan": rt.frame.dialplan.name,
        "step": step.id,
        "language": to_text(rt.variables.get("call.language")),
        "time": rt.now.isoformat(),
    }
    reply = yield Record(
        step.folder, name, step.format, step.max_seconds, step.beep, step.silence, tag, metadata
    )
    assert isinstance(reply, RecordResult)
    rt.set("record.ok", reply.ok)
    rt.set("record.seconds", reply.seconds)
    rt.set("record.name", name)
    if not reply.ok:
        rt.event("record_failed")
        return GoTo(step.on_failure or step.next)
    return GoTo(step.next)
