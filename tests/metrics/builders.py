"""Short constructors for the records of the metric tests: only what a test is about is spelt out."""

from __future__ import annotations

import itertools
from typing import Any

from acd.records import AgentInterval, CallbackRecord, CallbackStatus, CallOutcome, CallRecord, PathEvent

_ids = itertools.count(1)


def call(
    outcome: CallOutcome = CallOutcome.IVR_ONLY,
    *,
    queue: str | None = None,
    enqueued_at: float | None = None,
    wait: float | None = None,
    started_at: float | None = None,
    call_id: str | None = None,
    **extra: Any,
) -> CallRecord:
    """A call; ``started_at`` defaults to 10 s before ``enqueued_at`` (or 0)."""
    if started_at is None:
        started_at = 0.0 if enqueued_at is None else enqueued_at - 10.0
    cid = call_id or f"call-{next(_ids)}"
    record = CallRecord(
        call_id=cid,
        uniqueid=cid,
        started_at=started_at,
        ended_at=started_at + 600.0,
        queue=queue,
        enqueued_at=enqueued_at,
        outcome=outcome,
        wait_time=wait,
    )
    for key, value in extra.items():
        assert hasattr(record, key), key
        setattr(record, key, value)
    return record


def queued(
    outcome: CallOutcome, wait: float | None, *, queue: str = "support", at: float = 1000.0, **extra: Any
) -> CallRecord:
    """A call that entered ``queue`` at ``at`` and left it after ``wait`` seconds with ``outcome``."""
    return call(outcome, queue=queue, enqueued_at=at, wait=wait, **extra)


def answered(
    wait: float, talk: float, wrap: float | None = None, *, agent: str = "a1", **extra: Any
) -> CallRecord:
    """A queued call answered by ``agent`` after ``wait``, with ``talk`` and ``wrap`` seconds."""
    return queued(CallOutcome.ANSWERED, wait, talk_time=talk, wrapup_time=wrap, agent_id=agent, **extra)


def interval(agent: str, state: str, start: float, end: float, call_id: str | None = None) -> AgentInterval:
    """An agent state interval."""
    return AgentInterval(agent, state, start, end, call_id=call_id)


def path(*steps: str, start: float = 0.0) -> list[PathEvent]:
    """An IVR path that enters each step in turn, one second apart."""
    return [PathEvent(start + i, "step", s) for i, s in enumerate(steps)]


def callback(
    status: CallbackStatus,
    *,
    requested_at: float = 1000.0,
    queue: str = "support",
    connected_at: float | None = None,
) -> CallbackRecord:
    """A callback request and where it stands."""
    cid = f"cb-{next(_ids)}"
    return CallbackRecord(
        cid, "5551234", queue, requested_at, requested_at - 30.0, status=status, connected_at=connected_at
    )
