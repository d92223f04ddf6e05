"""The mutable state the call centre core owns: live calls, ring attempts, agents at run time."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from acd.events import AgentInfo, CallerInfo
from acd.records import CallbackRecord, CallRecord
from acd.requirement import Requirement
from acd.roster import AgentConfig
from acd.workload import NO_BUSY_TIME, BusyHistory


class Phase(enum.StrEnum):
    """Where a queued call stands (the ACD part of its life)."""

    WAITING = "waiting"
    """In the router, waiting for an agent."""
    RINGING = "ringing"
    """An agent was chosen and their phone is being rung (agent first)."""
    CONNECTING = "connecting"
    """The agent answered; the bridge is pulling the caller in."""
    TALKING = "talking"
    """Caller and agent are bridged."""
    HELD = "held"
    """Out of the router for a moment: a callback being stored for this live caller."""
    SCHEDULED = "scheduled"
    """A callback not due yet (a later slot, outside callback hours, between attempts)."""
    CUSTOMER = "customer"
    """A callback whose customer is being dialled (agent first: the agent already answered)."""
    DONE = "done"
    """Left the queue one way or another; nothing more will happen to it."""


@dataclass
class Attempt:
    """One ring of one agent for one call."""

    attempt_id: str
    call_id: str
    agent_id: str
    started_at: float
    channel_id: str
    """The uniqueid we gave the agent leg (Originate ChannelId)."""
    channel_name: str = ""
    """The agent leg's channel name, learnt from its Newchannel event (AMI Hangup needs it)."""
    customer_channel_id: str = ""
    """Callbacks: the customer leg's uniqueid (its own Originate's ChannelId)."""
    customer_channel_name: str = ""
    customer_started: float = 0.0
    accepted: bool = False
    """Asterisk queued the Originate."""
    answered: bool = False
    cancelled: bool = False
    """We gave up on it (the caller left); its outcome only frees the agent."""

    @property
    def leg(self) -> str:
        """How to name the agent leg in a Hangup action: its name once known."""
        return self.channel_name or self.channel_id


@dataclass
class LiveCall:
    """A call the ACD knows: queued now, or its record still being completed."""

    call_id: str
    caller: CallerInfo
    record: CallRecord
    queue: str = ""
    priority: int = 0
    enqueued_at: float = 0.0
    seq: int = 0
    requirement: Requirement | None = None
    data: dict[str, str] = field(default_factory=dict)
    original_position: int = 0
    phase: Phase = Phase.DONE
    attempt: Attempt | None = None
    agent_id: str | None = None
    answered_at: float | None = None
    agi_gone: bool = False
    overflow_due: bool = False
    ivr_done: bool = False
    """The dialplan run is over (its path is in the record)."""
    acd_done: bool = True
    """Nothing pending on the ACD side (never queued, or concluded)."""
    is_callback: bool = False
    callback: CallbackRecord | None = None
    """For a callback waiting as a virtual caller: its request."""


@dataclass
class AgentRuntime:
    """An agent as the call centre tracks them."""

    config: AgentConfig
    state: str = "logged_out"
    since: float = 0.0
    reason: str = ""
    device: str = ""
    queues: frozenset[str] = frozenset()
    login_at: float = 0.0
    last_pause: float = 0.0
    idle_since: float = 0.0
    last_call_end: float = 0.0
    calls_today: int = 0
    day_start: float = 0.0
    busy: BusyHistory = NO_BUSY_TIME
    call_id: str | None = None
    pending: str | None = None
    """A pause (``pause:<reason>``) or ``logout`` asked for during a call, applied after it."""
    resume_at: float | None = None
    """When an automatic pause (busy phone) ends by itself."""
    retired: bool = False
    """Removed from the roster by a reload; logged out once free."""

    @property
    def info(self) -> AgentInfo:
        """How events name this agent."""
        return AgentInfo(self.config.agent_id, self.config.name, self.device or self.config.device)

    @property
    def logged_in(self) -> bool:
        """Anything but logged out."""
        return self.state != "logged_out"
