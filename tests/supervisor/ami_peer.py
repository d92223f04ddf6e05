"""A bare AMI client over a real socket, for byte-level tests of the listener.

It parses with the project's codec in the client role (the trace tests pin that codec to
real Asterisk bytes) and keeps every message it reads, so a test can assert on exact
fields and their order.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from types import TracebackType

from telephony.ami.codec import AmiConnection, Banner, ConnectionClosed, Role
from telephony.ami.message import AmiMessage, action

LIMIT = 5.0
"""Guard against a hung test; never a timing assertion."""


class RawPeer:
    """One AMI connection, driven by the test."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.conn = AmiConnection(Role.CLIENT)
        self.banner = ""
        self.received: list[AmiMessage] = []
        self._ids = itertools.count(1)

    @classmethod
    async def connect(cls, port: int, *, read_banner: bool = True) -> RawPeer:
        """Connect to 127.0.0.1:``port`` and read the banner."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        peer = cls(reader, writer)
        if read_banner:
            first = await peer._next()
            assert isinstance(first, Banner), first
            peer.banner = first.text
        return peer

    async def __aenter__(self) -> RawPeer:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close our side and wait for it."""
        self.writer.close()
        # The listener may have reset the connection first.
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()

    async def _next(self) -> Banner | AmiMessage | ConnectionClosed:
        async with asyncio.timeout(LIMIT):
            while True:
                received = self.conn.next_event()
                if isinstance(received, Banner | AmiMessage | ConnectionClosed):
                    return received
                try:
                    data = await self.reader.read(65536)
                except ConnectionError:
                    data = b""
                self.conn.receive_data(data)

    async def send(self, message: AmiMessage) -> None:
        """Write one message."""
        await self.send_raw(message.encode())

    async def send_raw(self, data: bytes) -> None:
        """Write raw bytes."""
        self.writer.write(data)
        await self.writer.drain()

    async def read(self) -> AmiMessage:
        """The next message (fails the test if the connection closes)."""
        received = await self._next()
        assert isinstance(received, AmiMessage), f"expected a message, got {received!r}"
        self.received.append(received)
        return received

    async def read_until(self, done: Callable[[AmiMessage], bool]) -> list[AmiMessage]:
        """Messages up to and including the first for which ``done`` holds."""
        messages: list[AmiMessage] = []
        while True:
            message = await self.read()
            messages.append(message)
            if done(message):
                return messages

    async def is_closed(self) -> bool:
        """Read to the end: True when the listener closes the connection (events are skipped)."""
        while True:
            received = await self._next()
            if isinstance(received, ConnectionClosed):
                return True
            if isinstance(received, AmiMessage):
                self.received.append(received)

    async def request(self, name: str, /, **fields: object) -> AmiMessage:
        """Send an action with a fresh ActionID and return its response (events before it are kept)."""
        action_id = f"t{next(self._ids)}"
        await self.send(action(name, ActionID=action_id, **fields))
        messages = await self.read_until(lambda m: m.kind == "response" and m.action_id == action_id)
        return messages[-1]

    async def request_list(self, name: str, /, **fields: object) -> list[AmiMessage]:
        """Send a list action; return the response, its items and the completion event."""
        action_id = f"t{next(self._ids)}"
        await self.send(action(name, ActionID=action_id, **fields))
        messages = await self.read_until(
            lambda m: m.action_id == action_id and (m.get("EventList") or "").lower() == "complete"
        )
        return [m for m in messages if m.action_id == action_id]

    async def login(self, username: str, secret: str, /, **fields: object) -> AmiMessage:
        """Plain login; returns the response (FullyBooted follows it)."""
        return await self.request("Login", Username=username, Secret=secret, **fields)
