"""The JSON documents the bridge publishes, one builder per payload type (pure functions).

Each payload starts with the same three fields: ``type`` (which schema under docs/mqtt/
describes it), ``schema_version`` (bumped on any incompatible change) and ``at`` (when it
was true, ISO 8601 in UTC). The schemas in :mod:`ivr_acd.mqtt.schemas` describe exactly
what is built here; the tests validate every builder's output against them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from acd.events import (
    AgentCalled,
    AgentCompleted,
    AgentConnected,
    AgentInfo,
    AgentRingNoAnswer,
    AgentStateChanged,
    CallAbandoned,
    CallbackChanged,
    CallerInfo,
    CallJoined,
    CallLeft,
)
from acd.snapshot import AgentSnapshot, QueueSnapshot

SCHEMA_VERSION = 1

JsonObject = dict[str, object]

CallEvent = (
    CallJoined | CallLeft | CallAbandoned | AgentCalled | AgentRingNoAnswer | AgentConnected | AgentCompleted
)


def iso_time(at: float) -> str:
    """Epoch seconds as ``2026-11-22T13:05:01.123Z``."""
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode(payload: JsonObject) -> bytes:
    """Compact UTF-8 JSON, as published."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _header(type_: str, at: float) -> JsonObject:
    return {"type": type_, "schema_version": SCHEMA_VERSION, "at": iso_time(at)}


def _caller(caller: CallerInfo) -> JsonObject:
    return {
        "call_id": caller.call_id,
        "channel": caller.channel,
        "uniqueid": caller.uniqueid,
        "linkedid": caller.linkedid,
        "number": caller.number,
        "name": caller.name,
    }


def _agent(agent: AgentInfo) -> JsonObject:
    return {"agent_id": agent.agent_id, "name": agent.name, "device": agent.device}


def queue_stats(queue: QueueSnapshot, at: float) -> JsonObject:
    """``queue_stats``: one queue now and its counters since local midnight."""
    return _header("queue_stats", at) | {
        "queue": queue.name,
        "strategy": queue.strategy,
        "max_size": queue.max_size,
        "service_level_seconds": queue.service_level_seconds,
        "waiting": queue.waiting,
        "longest_wait": queue.longest_wait,
        "estimated_wait": queue.estimated_wait,
        "callbacks_pending": queue.callbacks_pending,
        "offered": queue.offered,
        "answered": queue.answered,
        "abandoned": queue.abandoned,
        "answered_within_sl": queue.answered_within_sl,
        "abandoned_within_sl": queue.abandoned_within_sl,
        "service_level": queue.service_level,
        "abandon_rate": queue.abandon_rate,
        "average_hold": queue.average_hold,
        "average_talk": queue.average_talk,
        "staffed": queue.staffed,
        "ready": queue.ready,
        "on_call": queue.on_call,
        "paused": queue.paused,
        "wrap_up": queue.wrap_up,
        "ringing": queue.ringing,
    }


def agent_state_changed(event: AgentStateChanged) -> JsonObject:
    """``agent_state`` from a live transition."""
    return (
        _header("agent_state", event.at)
        | _agent(event.agent)
        | {
            "state": event.new_state,
            "previous_state": event.old_state,
            "since": iso_time(event.at),
            "reason": event.reason,
            "queues": list(event.queues),
            "calls_today": event.calls_today,
        }
    )


def agent_state_snapshot(agent: AgentSnapshot, at: float) -> JsonObject:
    """``agent_state`` from the read model (after a reconnect: the transition is unknown)."""
    return _header("agent_state", at) | {
        "agent_id": agent.agent_id,
        "name": agent.name,
        "device": agent.device,
        "state": agent.state,
        "previous_state": None,
        "since": iso_time(agent.state_since),
        "reason": agent.pause_reason,
        "queues": list(agent.queues),
        "calls_today": agent.calls_today,
    }


def agent_offer(event: AgentCalled) -> JsonObject:
    """``agent_offer``: the screen pop for the agent whose phone rings."""
    return _header("agent_offer", event.at) | {
        "agent": _agent(event.agent),
        "queue": event.queue,
        "caller": _caller(event.caller),
        "waited": event.waited,
        "is_callback": event.is_callback,
        "data": dict(event.screen_pop),
    }


def call_event(event: CallEvent) -> tuple[str, JsonObject]:
    """A call event's topic level (see :data:`ivr_acd.mqtt.topics.CALL_EVENT_LEVELS`) and payload."""
    base = {"queue": event.queue, "caller": _caller(event.caller)}
    match event:
        case CallJoined():
            return "joined", _header("call_joined", event.at) | base | {
                "position": event.position,
                "count": event.count,
                "priority": event.priority,
                "estimated_wait": event.estimated_wait,
                "is_callback": event.is_callback,
            }
        case CallLeft():
            return "left", _header("call_left", event.at) | base | {
                "position": event.position,
                "count": event.count,
                "reason": event.reason,
            }
        case CallAbandoned():
            return "abandoned", _header("call_abandoned", event.at) | base | {
                "position": event.position,
                "original_position": event.original_position,
                "hold_time": event.hold_time,
            }
        case AgentCalled():
            # No screen pop here: customer data goes only to the agent's own offer topic.
            return "agent_called", _header("agent_called", event.at) | base | {
                "agent": _agent(event.agent),
                "waited": event.waited,
                "is_callback": event.is_callback,
            }
        case AgentRingNoAnswer():
            return "ring_no_answer", _header("agent_ring_no_answer", event.at) | base | {
                "agent": _agent(event.agent),
                "ring_time": event.ring_time,
                "outcome": event.outcome,
            }
        case AgentConnected():
            return "connected", _header("agent_connected", event.at) | base | {
                "agent": _agent(event.agent),
                "hold_time": event.hold_time,
                "ring_time": event.ring_time,
            }
        case AgentCompleted():
            return "completed", _header("agent_completed", event.at) | base | {
                "agent": _agent(event.agent),
                "hold_time": event.hold_time,
                "talk_time": event.talk_time,
                "reason": event.reason,
            }


def callback_changed(event: CallbackChanged) -> JsonObject:
    """``callback_changed``: a callback request was created or changed status."""
    return _header("callback_changed", event.at) | {
        "callback_id": event.callback_id,
        "queue": event.queue,
        "number": event.number,
        "status": event.status,
        "attempts": event.attempts,
        "agent_id": event.agent_id,
    }


def status(online: bool, at: float) -> JsonObject:
    """``status``: whether the daemon is connected (``online: false`` is also its last will)."""
    return _header("status", at) | {"online": online}


def command_reply(
    at: float,
    *,
    request_id: str | None,
    command: str | None,
    ok: bool,
    error: str | None,
    message: str,
    reference: str | None,
) -> JsonObject:
    """``command_reply``: the outcome of one command."""
    return _header("command_reply", at) | {
        "request_id": request_id,
        "command": command,
        "ok": ok,
        "error": error,
        "message": message,
        "reference": reference,
    }
