"""What goes into the call centre's core and what comes out of it.

The core (:class:`acd.center.core.CallCenter`) is pure: ``handle(message, now)`` returns
effects and touches nothing else. The asyncio shell (``ivr_acd.acd_engine``) feeds it
messages from FastAGI sessions, AMI, timers and supervisors, and carries out the effects
(AMI actions, records, notices to the waiting caller's session, published events).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from acd.commands import Command, CommandResult
from acd.events import AcdEvent, CallerInfo
from acd.queue_config import Destination, QueueConfig
from acd.records import AnyRecord, CallbackRecord, PathEvent
from acd.roster import AgentConfig
from configlang.values import Value
from telephony.ami.message import AmiMessage

# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class CallStarted:
    """A FastAGI session began for a channel (first, or again after a redirect/survey)."""

    call_id: str
    caller: CallerInfo
    dialled_number: str
    dialplan: str


@dataclass(frozen=True)
class IvrFinished:
    """The dialplan run of a call ended."""

    call_id: str
    outcome: str
    last_step: str
    path: tuple[PathEvent, ...]
    variables: Mapping[str, str]
    survey_score: int | None = None


@dataclass(frozen=True)
class EnqueueCall:
    """A dialplan's ``queue`` step hands the call to the ACD."""

    call_id: str
    queue: str
    caller: CallerInfo
    skills: Mapping[str, int] = field(default_factory=dict)
    priority: int | None = None
    data: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class CallerKey:
    """The waiting caller pressed a key (exit key, callback key…)."""

    call_id: str
    key: str


@dataclass(frozen=True)
class CallerAgiEnded:
    """The waiting caller's FastAGI session ended: a hang-up, a bridge pull or a redirect.

    Not proof of anything: the core waits for AMI to say which.
    """

    call_id: str


@dataclass(frozen=True)
class CallbackStored:
    """The shell committed (``ok``) or failed to commit a planned callback request."""

    callback_id: str
    ok: bool


@dataclass(frozen=True)
class CallbackCustomerArrived:
    """Customer first: the called-back customer answered and waits in their AGI session."""

    callback_id: str
    caller: CallerInfo


@dataclass(frozen=True)
class OriginateQueued:
    """Asterisk's answer to our Originate action (not the call's outcome)."""

    attempt_id: str
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class AmiEvent:
    """An event from Asterisk's AMI."""

    message: AmiMessage


@dataclass(frozen=True)
class TimerFired:
    """A timer the core asked for went off."""

    key: tuple[str, str]


@dataclass(frozen=True)
class AgentRequest:
    """A command from an agent's phone, a supervisor or the MQTT command topic."""

    command: Command
    token: int
    """Identifies the caller waiting for the :class:`Reply`."""


@dataclass(frozen=True)
class Reconfigure:
    """A reload: new queues and roster (calls waiting and agents logged in are kept)."""

    queues: Mapping[str, QueueConfig]
    agents: Sequence[AgentConfig]


@dataclass(frozen=True)
class ChannelsAlive:
    """After an AMI (re)connect: the uniqueids of every channel Asterisk has now."""

    uniqueids: frozenset[str]


@dataclass(frozen=True)
class LoadCallbacks:
    """At start: pending callback requests read back from the database."""

    callbacks: tuple[CallbackRecord, ...]


Message = (
    CallStarted
    | IvrFinished
    | EnqueueCall
    | CallerKey
    | CallerAgiEnded
    | CallbackStored
    | CallbackCustomerArrived
    | OriginateQueued
    | AmiEvent
    | TimerFired
    | AgentRequest
    | Reconfigure
    | ChannelsAlive
    | LoadCallbacks
)

# ---------------------------------------------------------------- notices to a waiting caller's session


@dataclass(frozen=True)
class Joined:
    """The call is in the queue at ``position``; ``estimated_wait`` in seconds."""

    position: int
    estimated_wait: float


@dataclass(frozen=True)
class NotQueued:
    """The queue refused the call: ``outcome`` is no_agents, queue_full or unknown_queue."""

    outcome: str
    destination: Destination


@dataclass(frozen=True)
class Leave:
    """Leave the queue now for ``destination`` (exit key, max wait, no agents left…)."""

    outcome: str
    destination: Destination


@dataclass(frozen=True)
class Connecting:
    """An agent answered: the bridge is about to pull the caller out of their AGI session."""

    agent_name: str


@dataclass(frozen=True)
class KeyIgnored:
    """The key the caller pressed means nothing to the queue."""

    key: str


@dataclass(frozen=True)
class Concluded:
    """The ACD's verdict on a call whose AGI session ended: ``answered`` or ``abandoned``."""

    outcome: str


Notice = Joined | NotQueued | Leave | Connecting | KeyIgnored | Concluded

# ---------------------------------------------------------------- effects


@dataclass(frozen=True)
class Originate:
    """Ring an agent (or a callback customer): AMI Originate, async, into ``context``."""

    attempt_id: str
    channel: str
    channel_id: str
    """The uniqueid we give the new channel (AMI ``ChannelId``) so its events are ours."""
    context: str
    exten: str
    timeout: float
    caller_id: str
    variables: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class HangupChannel:
    """Hang a channel up (AMI Hangup), by name or uniqueid."""

    channel: str
    cause: int = 16


@dataclass(frozen=True)
class Notify:
    """Tell the session of a waiting caller something."""

    call_id: str
    notice: Notice


@dataclass(frozen=True)
class Store:
    """Persist a record (fire and forget; the writer batches)."""

    record: AnyRecord


@dataclass(frozen=True)
class WriteQueueLog:
    """Append one queue_log line."""

    line: str


@dataclass(frozen=True)
class Publish:
    """Hand an event to the supervisor adapters."""

    event: AcdEvent


@dataclass(frozen=True)
class SetTimer:
    """Fire :class:`TimerFired` with ``key`` at ``at`` (replaces a timer with the same key)."""

    key: tuple[str, str]
    at: float


@dataclass(frozen=True)
class CancelTimer:
    """Forget a timer."""

    key: tuple[str, str]


@dataclass(frozen=True)
class Reply:
    """The answer to an :class:`AgentRequest`."""

    token: int
    result: CommandResult


Effect = Originate | HangupChannel | Notify | Store | WriteQueueLog | Publish | SetTimer | CancelTimer | Reply
