"""A per-connection send queue bounded in bytes, so one slow client cannot hold the daemon.

Two ways in, for two kinds of producer:

* :meth:`Outbox.offer` never waits: the event fan-out uses it, and a ``False`` (full) means
  the client cannot keep up and must be dropped; waiting would stall every other client.
* :meth:`Outbox.put` waits for room: the session's own answers use it, so a client that
  pipelines requests without reading is slowed down (it stops being read) rather than fed
  without bound.

The bound is counted separately for the two: a large answer just queued (a QueueStatus of
a big centre) must not make the next event look like an overflow. Memory per client stays
below twice the bound plus one answer. One writer task drains it with :meth:`Outbox.get`.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Outbox:
    """Bytes waiting to be written to one client."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._offered = 0  # bytes queued through offer(), i.e. events
        self._closed = False
        self._readable = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called: nothing more will be accepted."""
        return self._closed

    @property
    def pending(self) -> int:
        """Bytes queued and not yet taken by the writer."""
        return self._size

    def _append(self, data: bytes) -> None:
        self._chunks.append(data)
        self._size += len(data)
        self._readable.set()
        if self._size >= self._max:
            self._room.clear()

    def offer(self, data: bytes) -> bool:
        """Queue ``data`` if it fits; False when the outbox is full or closed."""
        if self._closed or self._offered + len(data) > self._max:
            return False
        self._offered += len(data)
        self._append(data)
        return True

    async def put(self, data: bytes) -> None:
        """Queue ``data`` once the queue is below its bound (one answer may exceed it alone)."""
        while self._size >= self._max and not self._closed:
            await self._room.wait()
        if not self._closed:
            self._append(data)

    async def get(self) -> bytes | None:
        """Everything queued so far as one chunk; None once closed and drained."""
        while not self._chunks:
            if self._closed:
                return None
            self._readable.clear()
            await self._readable.wait()
        data = b"".join(self._chunks)
        self._chunks.clear()
        self._size = self._offered = 0
        self._room.set()
        return data

    def close(self, *, discard: bool = False) -> None:
        """No more data; the writer drains what is queued unless ``discard``."""
        self._closed = True
        if discard:
            self._chunks.clear()
            self._size = self._offered = 0
        self._readable.set()
        self._room.set()
