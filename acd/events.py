"""Domain events the ACD engine publishes as things happen.

Adapters turn them into what their users already read: app_queue-named AMI events for our
AMI listener (QueueCallerJoin, AgentCalled, …), JSON on MQTT topics, counters for
Prometheus. The engine never knows who listens.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallerInfo:
    """The caller as supervisors' tools show them."""

    call_id: str
    channel: str = ""
    uniqueid: str = ""
    linkedid: str = ""
    number: str = ""
    name: str = ""


@dataclass(frozen=True)
class AgentInfo:
    """The agent as supervisors' tools show them (``device`` is app_queue's Interface)."""

    agent_id: str
    name: str
    device: str


@dataclass(frozen=True)
class CallJoined:
    """A caller (or a callback request) joined a queue."""

    at: float
    caller: CallerInfo
    queue: str
    position: int
    count: int
    priority: int = 0
    estimated_wait: float | None = 0.0
    """Seconds; None when nobody who could answer serves the queue (no honest number exists)."""
    is_callback: bool = False


@dataclass(frozen=True)
class CallLeft:
    """A caller left a queue (answered, abandoned, exit key, overflow, callback, …)."""

    at: float
    caller: CallerInfo
    queue: str
    position: int
    count: int
    reason: str


@dataclass(frozen=True)
class CallAbandoned:
    """A caller hung up while waiting (app_queue's QueueCallerAbandon)."""

    at: float
    caller: CallerInfo
    queue: str
    position: int
    original_position: int
    hold_time: float


@dataclass(frozen=True)
class AgentCalled:
    """An agent's phone is being rung for a call; carries the screen pop."""

    at: float
    caller: CallerInfo
    queue: str
    agent: AgentInfo
    waited: float
    screen_pop: dict[str, str] = field(default_factory=dict)
    is_callback: bool = False


@dataclass(frozen=True)
class AgentRingNoAnswer:
    """The agent did not answer (or was busy/unreachable: ``outcome`` says which)."""

    at: float
    caller: CallerInfo
    queue: str
    agent: AgentInfo
    ring_time: float
    outcome: str = "no_answer"


@dataclass(frozen=True)
class AgentConnected:
    """Caller and agent are talking."""

    at: float
    caller: CallerInfo
    queue: str
    agent: AgentInfo
    hold_time: float
    ring_time: float


@dataclass(frozen=True)
class AgentCompleted:
    """The conversation ended; ``reason`` is ``caller`` or ``agent`` (who hung up first)."""

    at: float
    caller: CallerInfo
    queue: str
    agent: AgentInfo
    hold_time: float
    talk_time: float
    reason: str


@dataclass(frozen=True)
class AgentStateChanged:
    """An agent moved between states (login, pause, ringing, on call, wrap-up, …)."""

    at: float
    agent: AgentInfo
    old_state: str
    new_state: str
    reason: str = ""
    queues: tuple[str, ...] = ()
    calls_today: int = 0


@dataclass(frozen=True)
class CallbackChanged:
    """A callback request was created or changed status."""

    at: float
    callback_id: str
    queue: str
    number: str
    status: str
    attempts: int = 0
    agent_id: str | None = None


AcdEvent = (
    CallJoined
    | CallLeft
    | CallAbandoned
    | AgentCalled
    | AgentRingNoAnswer
    | AgentConnected
    | AgentCompleted
    | AgentStateChanged
    | CallbackChanged
)
