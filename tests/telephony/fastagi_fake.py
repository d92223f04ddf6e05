"""Test helpers for the FastAGI server: a scripted fake Asterisk over real loopback TCP.

:class:`FakeAsterisk` is Asterisk's side of one FastAGI socket, built on the codec's
client side: it sends an environment, reads command lines, answers them and sends
``HANGUP`` when a test says so. :class:`Probe` wraps a test's handler so its result, or
the assertion it failed, reaches the test (the server only logs handler exceptions).

Every wait is bounded by :data:`SAFETY_TIMEOUT` so a broken test fails instead of hanging;
no test asserts on how long anything took.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Generic, Self, TypeVar

from telephony.agi.channel import AgiChannel
from telephony.agi.codec import NEED_DATA, AgiClientConnection, AgiCommandLine, AgiReply, ConnectionClosed
from telephony.agi.environment import AgiEnvironment
from telephony.agi.server import FastAgiServer, Handler, Route
from telephony.errors import RemoteProtocolError
from tests import traces

SAFETY_TIMEOUT = 5.0
LOOPBACK = "127.0.0.1"

T = TypeVar("T")


def make_env(script: str = "ivr?lang=en", **fields: str) -> dict[str, str]:
    """Asterisk 22's environment block (agi_basic.txt's keys and order) for ``script``.

    ``fields`` override values by name without the ``agi_`` prefix: ``channel="SIP/1-1"``.
    """
    env = dict(traces.ENV_TEMPLATE)
    env["agi_network_script"] = script
    env["agi_request"] = f"agi://127.0.0.1:4573/{script}"
    for key, value in fields.items():
        env[f"agi_{key}"] = value
    return env


def route_table(handlers: Mapping[str, Handler]) -> Route:
    """A router that looks the script name up in ``handlers`` (None when absent)."""

    def route(env: AgiEnvironment) -> Handler | None:
        return handlers.get(env.script)

    return route


@contextlib.asynccontextmanager
async def serving(
    route: Route,
    *,
    header_timeout: float = 5.0,
    max_sessions: int = 1000,
    command_timeout: float | None = None,
) -> AsyncIterator[FastAgiServer]:
    """A started server on an ephemeral loopback port, closed (briefly drained) on exit."""
    server = FastAgiServer(
        route,
        host=LOOPBACK,
        port=0,
        header_timeout=header_timeout,
        max_sessions=max_sessions,
        command_timeout=command_timeout,
    )
    await server.start()
    try:
        yield server
    finally:
        await server.close(drain_timeout=1.0)


async def eventually(predicate: Callable[[], bool], what: str = "condition") -> None:
    """Yield to the loop until ``predicate()`` holds (bounded by the safety timeout)."""
    try:
        async with asyncio.timeout(SAFETY_TIMEOUT):
            # Polling (ASYNC110): what tests wait on is server state such as a session
            # count, which has no event; the safety timeout bounds it.
            while not predicate():
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


class Probe(Generic[T]):
    """A handler that runs ``body`` and hands its result (or exception) to the test."""

    def __init__(self, body: Callable[[AgiChannel], Awaitable[T]]) -> None:
        self._body = body
        self._outcome: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.calls = 0
        self.task: asyncio.Task[object] | None = None

    async def __call__(self, channel: AgiChannel) -> None:
        self.calls += 1
        self.task = asyncio.current_task()
        try:
            value = await self._body(channel)
        except asyncio.CancelledError:
            self._outcome.cancel()
            raise
        except Exception as exc:
            if not self._outcome.done():
                self._outcome.set_exception(exc)
            raise
        if not self._outcome.done():
            self._outcome.set_result(value)

    async def result(self) -> T:
        """The body's return value; re-raises what the body raised."""
        async with asyncio.timeout(SAFETY_TIMEOUT):
            return await asyncio.shield(self._outcome)

    @property
    def cancelled(self) -> bool:
        """True if the body was cancelled."""
        return self._outcome.cancelled()


class FakeAsterisk:
    """Asterisk's side of one FastAGI connection, scripted by a test."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._codec = AgiClientConnection()
        self.commands: list[str] = []
        """Every command line received, in order."""

    @classmethod
    async def connect(cls, port: int) -> Self:
        """Open the TCP connection, sending nothing."""
        reader, writer = await asyncio.open_connection(LOOPBACK, port)
        return cls(reader, writer)

    @classmethod
    async def start(cls, port: int, env: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> Self:
        """Connect and send an environment block (:func:`make_env` by default)."""
        fake = await cls.connect(port)
        await fake.send_env(make_env() if env is None else dict(env))
        return fake

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def send_env(self, env: Mapping[str, str]) -> None:
        """Send an environment block."""
        await self.send(self._codec.send_environment(env))

    async def send(self, data: bytes) -> None:
        """Send raw bytes."""
        self._writer.write(data)
        await self._writer.drain()

    async def send_line(self, line: str) -> None:
        """Send one line as Asterisk would (``\\n`` appended)."""
        await self.send(line.encode() + b"\n")

    async def reply(self, reply: AgiReply | str) -> None:
        """Answer the command in flight."""
        await self.send_line(reply if isinstance(reply, str) else reply.format())

    async def hangup(self) -> None:
        """Send the standalone ``HANGUP`` notification."""
        await self.send(self._codec.send_hangup())

    async def read_command(self) -> str:
        """The next command line; fails the test if the server closes first."""
        line = await self.next_command()
        assert line is not None, "the AGI server closed the connection instead of sending a command"
        return line

    async def next_command(self) -> str | None:
        """The next command line, or None once the server has closed the connection."""
        async with asyncio.timeout(SAFETY_TIMEOUT):
            while True:
                event = self._codec.next_event()
                if isinstance(event, AgiCommandLine):
                    self.commands.append(event.text)
                    return event.text
                if isinstance(event, ConnectionClosed):
                    return None
                assert event is NEED_DATA
                try:
                    data = await self._reader.read(65536)
                except ConnectionResetError:
                    data = b""
                self._codec.receive_data(data)

    async def expect_closed(self) -> list[str]:
        """Read until the server closes; return the command lines that came meanwhile."""
        extra: list[str] = []
        while (line := await self.next_command()) is not None:
            extra.append(line)
        return extra

    async def assert_quiet(self, window: float = 0.05) -> None:
        """Assert the server sends nothing for a short while (used to check serialisation)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(window):
                data = await self._reader.read(65536)
                raise AssertionError(f"unexpected bytes from the AGI server: {data[:80]!r}")

    async def replay(self, steps: Iterable[tuple[str, str]]) -> None:
        """Play a recorded session: check each command line byte for byte, send each reply line."""
        for kind, text in steps:
            if kind == "cmd":
                got = await self.read_command()
                assert got == text, f"expected command {text!r}, got {got!r}"
            else:
                await self.send_line(text)

    async def close(self) -> None:
        """Close our side (idempotent)."""
        self._writer.close()
        with contextlib.suppress(OSError, RemoteProtocolError):
            await self._writer.wait_closed()
