"""Test peers for the simulator: a scriptable FastAGI server (the daemon's side) and an AMI client.

Every wait is bounded by :data:`SAFETY` (real seconds) so a broken test fails instead of
hanging. Everything binds 127.0.0.1 port 0.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from asterisk_sim import Simulator, SimulatorConfig
from telephony.agi.codec import NEED_DATA, AgiReply, AgiServerConnection, ConnectionClosed, HangupNotice
from telephony.agi.commands import AgiCommand
from telephony.agi.environment import AgiEnvironment
from telephony.ami.codec import NEED_DATA as AMI_NEED_DATA
from telephony.ami.codec import AmiConnection, Banner, Role
from telephony.ami.codec import ConnectionClosed as AmiClosed
from telephony.ami.message import AmiMessage, action

SAFETY = 10.0
SPEED = 0.02


class AgiPeer:
    """The daemon's end of one FastAGI session."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.codec = AgiServerConnection()
        self.env: dict[str, str] = {}
        self.env_keys: list[str] = []
        self.lines: list[str] = []
        """Every line Asterisk sent after the environment (replies and HANGUP)."""

    async def _event(self) -> object:
        while True:
            event = self.codec.next_event()
            if event is not NEED_DATA:
                return event
            data = await self.reader.read(65536)
            self.codec.receive_data(data)

    async def start(self) -> None:
        """Read the environment block."""
        event = await self._event()
        assert isinstance(event, AgiEnvironment), event
        self.env = dict(event.fields)
        self.env_keys = list(event.fields)

    async def send(self, line: str) -> AgiReply:
        """Send a raw command line; return the final reply (HANGUP notices are recorded)."""
        self.writer.write(self.codec.send(AgiCommand(line)))
        await self.writer.drain()
        while True:
            event = await self._event()
            if isinstance(event, HangupNotice):
                self.lines.append("HANGUP")
                continue
            if isinstance(event, ConnectionClosed):
                raise ConnectionError("Asterisk closed the FastAGI socket")
            assert isinstance(event, AgiReply), event
            self.lines.append(event.format())
            if not event.provisional:
                return event

    async def wait_hangup_notice(self) -> None:
        """Read until the standalone HANGUP line arrives."""
        while "HANGUP" not in self.lines:
            event = await self._event()
            if isinstance(event, HangupNotice):
                self.lines.append("HANGUP")
            elif isinstance(event, ConnectionClosed):
                raise ConnectionError("closed before HANGUP")


AgiHandler = Callable[[AgiPeer], Awaitable[None]]


@dataclass
class FastAgiServer:
    """A FastAGI server whose sessions run ``handler``; failures are re-raised by :meth:`check`."""

    handler: AgiHandler
    port: int = 0
    sessions: list[AgiPeer] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = AgiPeer(reader, writer)
        self.sessions.append(peer)
        try:
            async with asyncio.timeout(SAFETY):
                await peer.start()
                await self.handler(peer)
        except Exception as exc:
            self.failures.append(exc)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def check(self) -> None:
        """Raise the first handler failure."""
        if self.failures:
            raise self.failures[0]


@contextlib.asynccontextmanager
async def fastagi(handler: AgiHandler) -> AsyncIterator[FastAgiServer]:
    """Serve FastAGI on 127.0.0.1 (a free port) with ``handler`` per session."""
    server = FastAgiServer(handler)
    loop = asyncio.get_running_loop()

    def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.tasks.append(loop.create_task(server._session(reader, writer)))

    listener = await asyncio.start_server(accept, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()
        await listener.wait_closed()
        for task in server.tasks:
            task.cancel()
        await asyncio.gather(*server.tasks, return_exceptions=True)


def free_port() -> int:
    """A port nothing listens on (for 'daemon down' tests)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AmiClient:
    """A minimal AMI client that keeps every event it receives."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.codec = AmiConnection(Role.CLIENT)
        self.messages: list[AmiMessage] = []
        self.closed = False
        self._new = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read())
        self._ids = 0

    @classmethod
    async def connect(cls, port: int) -> AmiClient:
        """Connect to the simulator's AMI port."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def _read(self) -> None:
        while True:
            data = await self.reader.read(65536)
            self.codec.receive_data(data)
            while True:
                event = self.codec.next_event()
                if event is AMI_NEED_DATA:
                    break
                if isinstance(event, AmiClosed):
                    self.closed = True
                    self._new.set()
                    return
                if isinstance(event, Banner):
                    continue
                assert isinstance(event, AmiMessage)
                self.messages.append(event)
                self._new.set()
            if not data:
                self.closed = True
                self._new.set()
                return

    async def wait_for(self, predicate: Callable[[AmiMessage], bool], start: int = 0) -> AmiMessage:
        """The first message (from index ``start``) matching ``predicate``."""
        async with asyncio.timeout(SAFETY):
            while True:
                for message in self.messages[start:]:
                    if predicate(message):
                        return message
                if self.closed:
                    raise ConnectionError("AMI connection closed")
                self._new.clear()
                await self._new.wait()

    async def wait_closed(self) -> None:
        """Until the simulator closed the connection."""
        async with asyncio.timeout(SAFETY):
            while not self.closed:
                self._new.clear()
                await self._new.wait()

    def send(self, message: AmiMessage) -> None:
        """Write an action as is."""
        self.writer.write(message.encode())

    async def action(self, name: str, **fields: object) -> AmiMessage:
        """Send an action with a fresh ActionID; return its response."""
        self._ids += 1
        action_id = f"t{self._ids}"
        self.send(action(name, [("ActionID", action_id)], **fields))
        return await self.wait_for(lambda m: m.kind == "response" and m.action_id == action_id)

    async def login(self, username: str = "ivr-acd", secret: str = "ivr-acd", **fields: object) -> AmiMessage:  # noqa: S107
        """``Login``."""
        return await self.action("Login", Username=username, Secret=secret, **fields)

    def events(self, name: str) -> list[AmiMessage]:
        """Events received so far with this name."""
        return [m for m in self.messages if m.kind == "event" and m.name == name]

    async def close(self) -> None:
        """Close and stop reading."""
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def sim_config(tmp_path: Path, dialplan: str = "", **kwargs: object) -> SimulatorConfig:
    """A fast simulator config running ``dialplan`` (and the shipped file unless told not to)."""
    config = SimulatorConfig(
        speed=SPEED, recordings_dir=tmp_path / "recordings", dialplan_text=dialplan or None
    )
    for key, value in kwargs.items():
        setattr(config, key, value)
    return config


@contextlib.asynccontextmanager
async def running(config: SimulatorConfig) -> AsyncIterator[Simulator]:
    """A started simulator, stopped (and awaited) afterwards."""
    sim = Simulator(config)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()
