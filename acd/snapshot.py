"""The read model of the contact centre at one instant: what supervisors' tools show.

Produced by the ACD engine (the one owner of ACD state) on request; read by every
supervisor adapter (our AMI listener, MQTT, the stats CLI, Prometheus) which format it each
their own way. Plain frozen data: safe to hand to any task.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class QueueSnapshot:
    """One queue now, and its counters since the start of the day (local midnight)."""

    name: str
    strategy: str
    max_size: int
    """0 when unlimited (app_queue's ``Max: 0``)."""
    service_level_seconds: int
    """The queue's primary service-level threshold."""
    waiting: int = 0
    longest_wait: float = 0.0
    estimated_wait: float | None = 0.0
    """What a caller joining now would be told; None when nobody who could answer serves the queue."""
    callbacks_pending: int = 0
    # today's counters
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_within_sl: int = 0
    abandoned_within_sl: int = 0
    average_hold: float = 0.0
    """ASA: mean wait of answered calls today."""
    average_talk: float = 0.0
    # staffing now
    staffed: int = 0
    """Agents logged in who serve this queue."""
    ready: int = 0
    on_call: int = 0
    paused: int = 0
    wrap_up: int = 0
    ringing: int = 0

    @property
    def service_level(self) -> float | None:
        """Answered within the threshold over offered, in percent (None before the first call)."""
        return None if not self.offered else 100.0 * self.answered_within_sl / self.offered

    @property
    def abandon_rate(self) -> float | None:
        """Abandoned over offered, in percent."""
        return None if not self.offered else 100.0 * self.abandoned / self.offered


@dataclass(frozen=True)
class AgentSnapshot:
    """One agent now."""

    agent_id: str
    name: str
    device: str
    state: str
    """``logged_out``, ``ready``, ``paused``, ``reserved``, ``ringing``, ``on_call``, ``wrap_up``."""
    state_since: float
    pause_reason: str = ""
    queues: tuple[str, ...] = ()
    """The queues this agent serves (those its skills qualify it for)."""
    skills: dict[str, int] = field(default_factory=dict)
    calls_today: int = 0
    last_call_end: float = 0.0
    login_time: float = 0.0
    last_pause: float = 0.0
    current_call: str | None = None
    current_queue: str | None = None


@dataclass(frozen=True)
class WaitingSnapshot:
    """One caller (or callback request) waiting in a queue."""

    call_id: str
    queue: str
    position: int
    waited: float
    priority: int = 0
    channel: str = ""
    uniqueid: str = ""
    caller_number: str = ""
    caller_name: str = ""
    is_callback: bool = False


@dataclass(frozen=True)
class CenterSnapshot:
    """Everything at instant ``at``."""

    at: float
    queues: tuple[QueueSnapshot, ...] = ()
    agents: tuple[AgentSnapshot, ...] = ()
    waiting: tuple[WaitingSnapshot, ...] = ()

    def queue(self, name: str) -> QueueSnapshot | None:
        """The queue called ``name``, if any."""
        return next((q for q in self.queues if q.name == name), None)
