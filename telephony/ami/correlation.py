"""Matching AMI responses and event lists to the actions that asked for them (sans-I/O).

Asterisk answers an action with one ``Response`` carrying the action's ``ActionID``. List
actions (QueueStatus, QueueSummary, CoreShowChannels, …) answer ``EventList: start``, then
events carrying the same ActionID, then a ``…Complete`` event with ``EventList: Complete``
and ``ListItems``.

Not every event with an ActionID belongs to a list: ``OriginateResponse`` arrives after its
action's response, and a ``UserEvent`` even arrives *before* it (misc.txt). So an event is
taken into a result only while that action's list is open; everything else passes through
to the event subscribers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from telephony.ami.message import AmiMessage

_OK_RESPONSES = frozenset({"success", "goodbye", "follows"})
_LIST_ENDS = frozenset({"complete", "cancelled"})


@dataclass(frozen=True)
class ActionResult:
    """What an action got back: the response, and for list actions the items."""

    response: AmiMessage
    events: tuple[AmiMessage, ...] = ()
    complete: AmiMessage | None = None
    """The closing ``…Complete`` event of a list (it carries ``ListItems``)."""

    @property
    def ok(self) -> bool:
        """False for ``Response: Error`` (and anything else that is not a success)."""
        return (self.response.get("Response") or "").lower() in _OK_RESPONSES

    @property
    def message(self) -> str:
        """The response's ``Message`` field."""
        return self.response.get("Message") or ""


class Disposition(enum.Enum):
    """What :meth:`ActionTracker.feed` did with a message."""

    EVENT = "event"
    """Not part of any pending action: deliver it to event subscribers."""
    CONSUMED = "consumed"
    """Taken into a pending action (a list start or a list item)."""
    COMPLETED = "completed"
    """Completed a pending action; its result is returned alongside."""
    UNMATCHED = "unmatched"
    """A response for no pending action (late after a timeout, or never ours)."""


@dataclass
class _Pending:
    response: AmiMessage | None = None
    events: list[AmiMessage] = field(default_factory=list)


class ActionTracker:
    """Tracks the actions in flight on one AMI connection."""

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}

    def register(self, action_id: str) -> None:
        """Expect a response for ``action_id``."""
        self._pending[action_id] = _Pending()

    def forget(self, action_id: str) -> None:
        """Stop waiting for ``action_id`` (it timed out); a late response will be UNMATCHED."""
        self._pending.pop(action_id, None)

    def drain(self) -> list[str]:
        """Forget every pending action and return their ids (the link dropped)."""
        ids = list(self._pending)
        self._pending.clear()
        return ids

    @property
    def in_flight(self) -> int:
        """How many actions await completion."""
        return len(self._pending)

    def feed(self, message: AmiMessage) -> tuple[Disposition, str | None, ActionResult | None]:
        """Classify one received message; returns (disposition, action id, result)."""
        action_id = message.action_id
        kind = message.kind
        if action_id is None:
            return (Disposition.UNMATCHED if kind == "response" else Disposition.EVENT), None, None
        pending = self._pending.get(action_id)
        if kind == "response":
            if pending is None or pending.response is not None:
                return Disposition.UNMATCHED, action_id, None
            if (message.get("EventList") or "").lower() == "start":
                pending.response = message
                return Disposition.CONSUMED, action_id, None
            del self._pending[action_id]
            return Disposition.COMPLETED, action_id, ActionResult(message)
        if kind == "event" and pending is not None and pending.response is not None:
            if (message.get("EventList") or "").lower() in _LIST_ENDS:
                del self._pending[action_id]
                return (
                    Disposition.COMPLETED,
                    action_id,
                    ActionResult(pending.response, tuple(pending.events), message),
                )
            pending.events.append(message)
            return Disposition.CONSUMED, action_id, None
        return Disposition.EVENT, action_id, None
