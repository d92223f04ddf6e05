"""Records to SQL rows and back. Every statement is parameterised; nothing is formatted into SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from acd.records import (
    AgentInterval,
    AnyRecord,
    CallbackAttempt,
    CallbackRecord,
    CallbackStatus,
    CallOutcome,
    CallRecord,
    PathEvent,
    RecordingRecord,
)

Record = AnyRecord
Row = tuple[Any, ...]

_CALL_COLUMNS = (
    "call_id", "uniqueid", "linkedid", "channel", "caller_number", "caller_name", "dialled_number",
    "dialplan", "started_at", "ended_at", "ivr_path", "ivr_end_step", "queue", "priority",
    "enqueued_at", "position_at_entry", "estimated_wait", "outcome", "wait_time", "ring_attempts",
    "ring_no_answer", "agent_id", "answered_at", "talk_time", "wrapup_time", "exit_key",
    "survey_score", "callback_id", "hangup_by", "variables",
)  # fmt: skip
_CALLBACK_COLUMNS = (
    "callback_id", "number", "queue", "requested_at", "enqueued_at", "priority", "status",
    "not_before", "window_end", "source", "call_id", "caller_name", "data", "skills", "attempts",
    "agent_id", "connected_at", "talk_time", "completed_at", "next_attempt_at",
)  # fmt: skip


def _upsert(table: str, columns: Sequence[str], key: str) -> str:
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT({key}) DO UPDATE SET {updates}"  # noqa: S608 (constant identifiers)


CALL_UPSERT = _upsert("calls", _CALL_COLUMNS, "call_id")
CALLBACK_UPSERT = _upsert("callbacks", _CALLBACK_COLUMNS, "callback_id")
INTERVAL_INSERT = "INSERT INTO agent_intervals (agent_id, state, reason, started_at, ended_at, call_id) VALUES (?, ?, ?, ?, ?, ?)"
ATTEMPT_UPSERT = (
    "INSERT INTO callback_attempts (callback_id, attempt, started_at, ended_at, outcome, agent_id) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(callback_id, attempt) DO UPDATE SET "
    "ended_at = excluded.ended_at, outcome = excluded.outcome, agent_id = excluded.agent_id"
)
RECORDING_INSERT = "INSERT INTO recordings (call_id, folder, path, created_at, seconds, tag, caller_number) VALUES (?, ?, ?, ?, ?, ?, ?)"

CALL_SELECT = f"SELECT {', '.join(_CALL_COLUMNS)} FROM calls"  # noqa: S608 (constant identifiers)
CALLBACK_SELECT = f"SELECT {', '.join(_CALLBACK_COLUMNS)} FROM callbacks"  # noqa: S608 (constant identifiers)


def statement_for(record: Record) -> str:
    """The SQL statement that stores this kind of record."""
    match record:
        case CallRecord():
            return CALL_UPSERT
        case AgentInterval():
            return INTERVAL_INSERT
        case CallbackRecord():
            return CALLBACK_UPSERT
        case CallbackAttempt():
            return ATTEMPT_UPSERT
        case RecordingRecord():
            return RECORDING_INSERT


def to_row(record: Record) -> Row:
    """The parameters for :func:`statement_for`'s statement."""
    match record:
        case CallRecord():
            return (
                record.call_id, record.uniqueid, record.linkedid, record.channel, record.caller_number,
                record.caller_name, record.dialled_number, record.dialplan, record.started_at, record.ended_at,
                json.dumps([e.as_json() for e in record.ivr_path]), record.ivr_end_step, record.queue,
                record.priority, record.enqueued_at, record.position_at_entry, record.estimated_wait,
                record.outcome.value, record.wait_time, record.ring_attempts, record.ring_no_answer,
                record.agent_id, record.answered_at, record.talk_time, record.wrapup_time, record.exit_key,
                record.survey_score, record.callback_id, record.hangup_by, json.dumps(record.variables),
            )  # fmt: skip
        case AgentInterval():
            return (
                record.agent_id,
                record.state,
                record.reason,
                record.started_at,
                record.ended_at,
                record.call_id,
            )
        case CallbackRecord():
            return (
                record.callback_id, record.number, record.queue, record.requested_at, record.enqueued_at,
                record.priority, record.status.value, record.not_before, record.window_end, record.source,
                record.call_id, record.caller_name, json.dumps(record.data), json.dumps(record.skills),
                record.attempts, record.agent_id, record.connected_at, record.talk_time, record.completed_at,
                record.next_attempt_at,
            )  # fmt: skip
        case CallbackAttempt():
            return (
                record.callback_id, record.attempt, record.started_at, record.ended_at, record.outcome,
                record.agent_id,
            )  # fmt: skip
        case RecordingRecord():
            return (
                record.call_id, record.folder, record.path, record.created_at, record.seconds, record.tag,
                record.caller_number,
            )  # fmt: skip


def call_from_row(row: Row) -> CallRecord:
    """Rebuild a :class:`CallRecord` from a ``CALL_SELECT`` row."""
    values = dict(zip(_CALL_COLUMNS, row, strict=True))
    values["ivr_path"] = [PathEvent(**e) for e in json.loads(values["ivr_path"])]
    values["variables"] = json.loads(values["variables"])
    values["outcome"] = CallOutcome(values["outcome"])
    return CallRecord(**values)


def callback_from_row(row: Row) -> CallbackRecord:
    """Rebuild a :class:`CallbackRecord` from a ``CALLBACK_SELECT`` row."""
    values = dict(zip(_CALLBACK_COLUMNS, row, strict=True))
    values["data"] = json.loads(values["data"])
    values["skills"] = json.loads(values["skills"])
    values["status"] = CallbackStatus(values["status"])
    return CallbackRecord(**values)
