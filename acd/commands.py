"""Requests from outside a call: supervisors, agents' tools, web forms, CRMs.

The same requests arrive through our AMI listener (QueueAdd/QueueRemove/QueuePause and a
callback action), the MQTT command topic and agents' phones; they all go through the
engine's :meth:`CenterPort.command`, so validation and permissions are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from acd.events import AcdEvent
from acd.snapshot import CenterSnapshot
from configlang.values import Value


@dataclass(frozen=True)
class AgentLogin:
    """Log an agent in (optionally from another device than the roster's)."""

    agent_id: str
    device: str | None = None
    paused: bool = False
    reason: str = ""


@dataclass(frozen=True)
class AgentLogout:
    """Log an agent out (deferred until the end of a call in progress)."""

    agent_id: str


@dataclass(frozen=True)
class AgentPause:
    """Pause (``paused=True``, with a reason) or unpause an agent."""

    agent_id: str
    paused: bool
    reason: str = ""


@dataclass(frozen=True)
class RequestCallback:
    """Ask to be called back: from a web form, a CRM, or a supervisor."""

    number: str
    queue: str
    name: str = ""
    not_before: float | None = None
    """A later slot (epoch seconds); None = as soon as possible."""
    data: dict[str, str] = field(default_factory=dict)
    source: str = "ami"
    call_id: str | None = None
    """The live call asking (it leaves the queue, its place kept by the callback)."""
    variables: Mapping[str, Value] | None = None
    """The dialplan variables of a call asking from a ``callback`` step (no place to keep): the
    queue's priority rules are applied to them. None: the queue's base priority."""


Command = AgentLogin | AgentLogout | AgentPause | RequestCallback


@dataclass(frozen=True)
class CommandResult:
    """The engine's answer: ``ok`` and a message a human can read."""

    ok: bool
    message: str
    reference: str | None = None
    """E.g. the callback id created."""
    deferred: bool = False
    """Accepted, but applied after the agent's current call (a pause or logout mid-call)."""
    duplicate: bool = False
    """A callback for this number was already pending in this queue (``reference`` names it)."""


class CenterPort(Protocol):
    """What supervisor and agent adapters need from the ACD engine."""

    def snapshot(self) -> CenterSnapshot:
        """The contact centre now."""
        ...

    def subscribe(self, handler: Callable[[AcdEvent], None]) -> Callable[[], None]:
        """Receive every event as it happens (synchronously; must not block). Returns an unsubscriber."""
        ...

    async def command(self, command: Command) -> CommandResult:
        """Apply a command with the engine's validation."""
        ...
