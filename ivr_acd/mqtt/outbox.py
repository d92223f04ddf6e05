"""The bounded queue between the engine's event handler and the broker connection.

Why it exists: the engine calls our handler synchronously while it handles calls, and a
broker can be slow or gone for minutes. So :meth:`Outbox.put` never waits and never grows
past ``capacity``; the connection task drains it at the broker's pace.

What is given up first when it is full, cheapest loss first:

1. A retained message superseded by a newer one for the same topic is removed as soon as
   the newer one arrives, full or not: retained topics carry state, and only the latest
   state matters (counted as *superseded*, not as a drop).
2. The oldest pending queue-statistics message: statistics are re-sent periodically and
   after every reconnect, so losing one costs nothing but freshness.
3. A new statistics message, when no older one can make room.
4. Otherwise the oldest message (head drop): during an outage the newest events are worth
   most (the offer for the call ringing now, not one from five minutes ago).

Every drop is counted per message kind for /metrics and the periodic log line.
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from dataclasses import dataclass
from itertools import count
from typing import Literal

MessageKind = Literal[
    "queue_stats", "agent_state", "call_event", "agent_offer", "callback", "command_reply", "status"
]
MESSAGE_KINDS: tuple[MessageKind, ...] = (
    "queue_stats",
    "agent_state",
    "call_event",
    "agent_offer",
    "callback",
    "command_reply",
    "status",
)


@dataclass(frozen=True)
class OutMessage:
    """One message to publish; the QoS is the bridge's, the same for all."""

    topic: str
    payload: bytes
    kind: MessageKind
    retain: bool = False


class Outbox:
    """A bounded FIFO with the drop policy of the module docstring. One consumer."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"outbox capacity must be at least 1, not {capacity!r}")
        self.capacity = capacity
        self._items: OrderedDict[int, OutMessage] = OrderedDict()
        self._retained: dict[str, int] = {}  # topic -> sequence number of its pending message
        self._stats: OrderedDict[int, None] = OrderedDict()  # pending statistics, oldest first
        self._seq = count()
        self._nonempty = asyncio.Event()
        self.dropped: Counter[MessageKind] = Counter()
        """Messages lost, per kind."""
        self.superseded = 0
        """Retained messages replaced by a newer one before they were sent (no information lost)."""

    def __len__(self) -> int:
        return len(self._items)

    @property
    def dropped_total(self) -> int:
        """All drops, every kind."""
        return sum(self.dropped.values())

    def put(self, message: OutMessage) -> None:
        """Queue ``message`` without ever waiting (see the module docstring when full)."""
        if message.retain:
            previous = self._retained.get(message.topic)
            if previous is not None:
                self._remove(previous)
                self.superseded += 1
        if len(self._items) >= self.capacity:
            if self._stats:
                self._drop(next(iter(self._stats)))
            elif message.kind == "queue_stats":
                self.dropped[message.kind] += 1
                return
            else:
                self._drop(next(iter(self._items)))
        self._append(message)

    def put_front(self, message: OutMessage) -> None:
        """Give back a message whose publication failed, to be sent first (drops it when full)."""
        if message.retain and message.topic in self._retained:
            self.superseded += 1  # a newer state for the topic is already waiting
            return
        if len(self._items) >= self.capacity:
            self.dropped[message.kind] += 1
            return
        seq = self._append(message)
        self._items.move_to_end(seq, last=False)
        if message.kind == "queue_stats":
            self._stats.move_to_end(seq, last=False)

    def discard_retained(self) -> int:
        """Remove every pending retained message (the caller re-publishes state from a snapshot)."""
        removed = list(self._retained.values())
        for seq in removed:
            self._remove(seq)
        self.superseded += len(removed)
        return len(removed)

    def get_nowait(self) -> OutMessage | None:
        """The oldest message, or None when empty."""
        if not self._items:
            return None
        seq, message = next(iter(self._items.items()))
        self._remove(seq)
        return message

    async def get(self) -> OutMessage:
        """The oldest message, waiting for one if needed."""
        while True:
            message = self.get_nowait()
            if message is not None:
                return message
            self._nonempty.clear()
            await self._nonempty.wait()

    def _append(self, message: OutMessage) -> int:
        seq = next(self._seq)
        self._items[seq] = message
        if message.retain:
            self._retained[message.topic] = seq
        if message.kind == "queue_stats":
            self._stats[seq] = None
        self._nonempty.set()
        return seq

    def _drop(self, seq: int) -> None:
        self.dropped[self._items[seq].kind] += 1
        self._remove(seq)

    def _remove(self, seq: int) -> None:
        message = self._items.pop(seq)
        if message.retain and self._retained.get(message.topic) == seq:
            del self._retained[message.topic]
        self._stats.pop(seq, None)
