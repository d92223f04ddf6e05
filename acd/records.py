"""What the ACD writes down: one record per call, agent state intervals, callbacks, recordings.

Plain data, no I/O. The storage adapter (``ivr_acd.storage``) persists these; metrics
(``acd.metrics``) are pure functions of them. Times are epoch seconds (float).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class CallOutcome(enum.StrEnum):
    """How a call ended, from the contact centre's point of view."""

    ANSWERED = "answered"
    """Connected to an agent."""
    ABANDONED = "abandoned"
    """The caller hung up while waiting in a queue (or while an agent's phone rang)."""
    OVERFLOWED = "overflowed"
    """Left the queue at its max wait (or relaxation's end) for the overflow destination."""
    EXIT_KEY = "exit_key"
    """The caller pressed the queue's exit key."""
    CALLBACK_REQUESTED = "callback_requested"
    """The caller left the live queue with a callback that keeps their place."""
    NO_AGENTS = "no_agents"
    """Not queued (or left) because no agent was logged in and the queue says go elsewhere."""
    QUEUE_FULL = "queue_full"
    """Not queued: the queue was at its max size."""
    IVR_ONLY = "ivr_only"
    """Finished in the IVR (self-service, a message, hours closed, or hung up in a menu)."""
    TRANSFER = "transfer"
    """Transferred out of the IVR to an extension or number."""
    ERROR = "error"
    """Ended by a failure of ours; should stay at zero."""


@dataclass
class PathEvent:
    """One step of a caller's way through the IVR (for drop-out analysis)."""

    at: float
    kind: str
    """``step`` (entered), ``key``, ``timeout``, ``invalid``, ``validation_failed``, ``hangup``, …"""
    step: str
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {"at": round(self.at, 3), "kind": self.kind, "step": self.step, "detail": self.detail}


@dataclass
class CallRecord:
    """Everything we know about one call, written once when the call is over."""

    call_id: str
    uniqueid: str
    linkedid: str = ""
    channel: str = ""
    caller_number: str = ""
    caller_name: str = ""
    dialled_number: str = ""
    dialplan: str = ""
    started_at: float = 0.0
    ended_at: float = 0.0
    ivr_path: list[PathEvent] = field(default_factory=list)
    ivr_end_step: str = ""
    queue: str | None = None
    priority: int = 0
    enqueued_at: float | None = None
    position_at_entry: int | None = None
    estimated_wait: float | None = None
    """What we told the caller at entry; compared with ``wait_time`` to measure the estimate."""
    outcome: CallOutcome = CallOutcome.IVR_ONLY
    wait_time: float | None = None
    """Enqueue to answer (answered) or to leaving the queue (every other queued outcome)."""
    ring_attempts: int = 0
    ring_no_answer: int = 0
    agent_id: str | None = None
    answered_at: float | None = None
    talk_time: float | None = None
    wrapup_time: float | None = None
    exit_key: str | None = None
    survey_score: int | None = None
    callback_id: str | None = None
    hangup_by: str | None = None
    """``caller``, ``agent`` or ``system`` when known."""
    variables: dict[str, str] = field(default_factory=dict)
    """IVR variables worth keeping (sensitive ones are masked before they get here)."""

    @property
    def handle_time(self) -> float | None:
        """Talk + wrap-up, the standard AHT numerator."""
        if self.talk_time is None:
            return None
        return self.talk_time + (self.wrapup_time or 0.0)


class AgentStateName(enum.StrEnum):
    """The agent states recorded as intervals."""

    LOGGED_OUT = "logged_out"
    READY = "ready"
    PAUSED = "paused"
    RESERVED = "reserved"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


@dataclass
class AgentInterval:
    """An agent spent ``[started_at, ended_at)`` in ``state`` (occupancy comes from these)."""

    agent_id: str
    state: str
    started_at: float
    ended_at: float
    reason: str = ""
    call_id: str | None = None


class CallbackStatus(enum.StrEnum):
    """Where a callback request stands."""

    PENDING = "pending"
    """Waiting in its queue as a virtual caller, keeping its place."""
    DIALLING = "dialling"
    """An agent was assigned and an attempt is under way."""
    RETRY_WAIT = "retry_wait"
    """The last attempt did not connect; the next waits for the retry delay."""
    CONNECTED = "connected"
    FAILED = "failed"
    """Every attempt failed."""
    EXPIRED = "expired"
    """Its window closed before it could be served."""
    CANCELLED = "cancelled"


@dataclass
class CallbackAttempt:
    """One try at reaching the customer."""

    callback_id: str
    attempt: int
    started_at: float
    outcome: str
    """``connected``, ``no_answer``, ``busy``, ``unreachable``, ``agent_no_answer``, …"""
    agent_id: str | None = None
    ended_at: float | None = None


@dataclass
class CallbackRecord:
    """A callback request and its fate."""

    callback_id: str
    number: str
    queue: str
    requested_at: float
    enqueued_at: float
    """The original enqueue time: the place it keeps in the queue."""
    priority: int = 0
    status: CallbackStatus = CallbackStatus.PENDING
    not_before: float | None = None
    """A later slot the caller picked; None = as soon as possible."""
    window_end: float | None = None
    """After this the request expires unserved."""
    source: str = "ivr"
    """``ivr``, ``ami`` or ``mqtt``."""
    call_id: str | None = None
    """The live call it came from, if any."""
    caller_name: str = ""
    data: dict[str, str] = field(default_factory=dict)
    """IVR data for the agent's screen pop."""
    skills: dict[str, int] = field(default_factory=dict)
    attempts: int = 0
    agent_id: str | None = None
    connected_at: float | None = None
    talk_time: float | None = None
    completed_at: float | None = None
    next_attempt_at: float | None = None


@dataclass
class RecordingRecord:
    """A message recorded by the IVR (voicemail, suggestion line)."""

    call_id: str
    folder: str
    path: str
    created_at: float
    seconds: float
    tag: str = ""
    caller_number: str = ""


AnyRecord = CallRecord | AgentInterval | CallbackRecord | CallbackAttempt | RecordingRecord
"""Every kind of record the storage writer accepts."""
