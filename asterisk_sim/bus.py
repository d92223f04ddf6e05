"""Event fan-out: every AMI event is encoded once and written to each session that wants it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from telephony.ami.message import AmiMessage

log = logging.getLogger(__name__)


class Subscriber(Protocol):
    """An AMI session (or a test tap)."""

    def deliver(self, cls: str, data: bytes) -> None:
        """Write one encoded event if the session accepts its class."""
        ...


class EventBus:
    """Publishes events to AMI sessions in the order they are raised."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._taps: list[Callable[[AmiMessage], None]] = []
        self.published = 0

    def subscribe(self, subscriber: Subscriber) -> None:
        """Start delivering events to ``subscriber``."""
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop delivering to ``subscriber`` (unknown ones are ignored)."""
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def tap(self, callback: Callable[[AmiMessage], None]) -> None:
        """Call ``callback`` with every event (observability for tests and reports)."""
        self._taps.append(callback)

    def publish(self, message: AmiMessage) -> None:
        """Send an event to every interested session."""
        self.published += 1
        for tap in self._taps:
            tap(message)
        if not self._subscribers:
            return
        privilege = message.get("Privilege") or ""
        cls = privilege.split(",", 1)[0]
        data = message.encode()
        for subscriber in list(self._subscribers):
            subscriber.deliver(cls, data)
