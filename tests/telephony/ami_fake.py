"""A scripted fake AMI manager on loopback, for testing the AMI client over real TCP.

It speaks through the project's own codec in the server role, so its framing is the one the
trace tests pin to real Asterisk bytes. Built in: the banner, ``Login`` (plain, or md5 after
``Challenge``) accepting or refusing like Asterisk (``Authentication failed``, then it hangs
up), ``Ping``, ``Logoff``. Anything else goes to a handler the test registers with
:meth:`FakeManager.on`, or gets Asterisk's ``Invalid/unknown command``. Tests can make a
session go silent, drop it, or write raw bytes (garbage, split UTF-8) to it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from types import TracebackType

from telephony.ami.codec import AmiConnection, ConnectionClosed, Role
from telephony.ami.message import AmiMessage, event, response
from telephony.errors import RemoteProtocolError

ActionHandler = Callable[["FakeSession", AmiMessage], Awaitable[None]]

CHALLENGE = "840415273"


def md5_key(challenge: str, secret: str) -> str:
    """The ``Key`` a client must send for an md5 login."""
    return hashlib.md5((challenge + secret).encode()).hexdigest()  # noqa: S324 - AMI's scheme


class FakeSession:
    """One client connection to the fake manager."""

    def __init__(self, manager: FakeManager, index: int, writer: asyncio.StreamWriter) -> None:
        self.manager = manager
        self.index = index
        self.writer = writer
        self.conn = AmiConnection(Role.SERVER)
        self.received: list[AmiMessage] = []
        self.logged_in = False
        self.silent = False
        """When set, every action is recorded and left unanswered (a half-open peer)."""
        self.closed = asyncio.Event()

    def actions_named(self, name: str) -> list[AmiMessage]:
        """Actions this session received named ``name`` (case-insensitive)."""
        return [m for m in self.received if m.name.lower() == name.lower()]

    async def send(self, message: AmiMessage) -> None:
        """Write one message."""
        await self.send_raw(self.conn.send(message))

    async def send_raw(self, data: bytes) -> None:
        """Write raw bytes as one TCP write."""
        self.writer.write(data)
        await self.writer.drain()

    async def reply(self, request: AmiMessage, status: str = "Success", **fields: object) -> None:
        """Answer ``request`` with a response carrying its ActionID."""
        await self.send(response(status, ActionID=request.action_id, **fields))

    def drop(self) -> None:
        """Cut the connection abruptly (an Asterisk crash, a NAT reset)."""
        self.writer.transport.abort()


class FakeManager:
    """The listening side: accepts any number of sessions on 127.0.0.1, port 0."""

    def __init__(self, username: str, secret: str) -> None:
        self.username = username
        self.secret = secret
        self.sessions: list[FakeSession] = []
        self.handlers: dict[str, ActionHandler] = {}
        self.accepting = True
        """When false, new connections are closed before the banner (a manager not ready)."""
        self.greeting: bytes | None = None
        """Raw bytes to send instead of the banner (garbage); None sends the real banner."""
        self.banner_delay: asyncio.Event | None = None
        """When set to an event, the banner waits for it (a manager that is slow to greet)."""
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The TCP port the fake listens on."""
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def received(self) -> list[AmiMessage]:
        """Every action received, all sessions, in order."""
        return [m for s in self.sessions for m in s.received]

    @property
    def logins(self) -> int:
        """How many sessions logged in successfully."""
        return sum(s.logged_in for s in self.sessions)

    def actions(self, name: str) -> list[AmiMessage]:
        """Received actions named ``name`` (case-insensitive), all sessions."""
        return [m for s in self.sessions for m in s.actions_named(name)]

    def on(self, name: str, handler: ActionHandler) -> None:
        """Handle actions named ``name`` with ``handler(session, action)``."""
        self.handlers[name.lower()] = handler

    async def __aenter__(self) -> FakeManager:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for session in self.sessions:
            session.drop()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            if not self.accepting:
                writer.close()
                return
            session = FakeSession(self, len(self.sessions), writer)
            self.sessions.append(session)
            try:
                await self._serve(session, reader)
            finally:
                session.closed.set()
                writer.close()
        finally:
            self._tasks.discard(task)

    async def _serve(self, session: FakeSession, reader: asyncio.StreamReader) -> None:
        if self.banner_delay is not None:
            await self.banner_delay.wait()
        banner = session.conn.banner()
        await session.send_raw(self.greeting if self.greeting is not None else banner)
        while True:
            try:
                received = session.conn.next_event()
            except RemoteProtocolError:
                return
            if isinstance(received, ConnectionClosed):
                return
            if not isinstance(received, AmiMessage):  # NEED_DATA
                try:
                    data = await reader.read(65536)
                except OSError:
                    return
                session.conn.receive_data(data)
                continue
            session.received.append(received)
            if session.silent:
                continue
            try:
                keep_going = await self._answer(session, received)
            except ConnectionError:
                return  # the client hung up while we answered
            if not keep_going:
                return

    async def _answer(self, session: FakeSession, request: AmiMessage) -> bool:
        """Answer one action; False ends the session."""
        name = request.name.lower()
        if name in self.handlers:
            await self.handlers[name](session, request)
        elif name == "challenge":
            await session.reply(request, Challenge=CHALLENGE)
        elif name == "login":
            if not self._credentials_ok(request):
                # Asterisk answers, then hangs up on a failed login.
                await session.reply(request, "Error", Message="Authentication failed")
                return False
            session.logged_in = True
            await session.reply(request, Message="Authentication accepted")
            await session.send(
                event("FullyBooted", Privilege="system,all", Uptime=7, LastReload=7, Status="Fully Booted")
            )
        elif name == "ping":
            await session.reply(request, Ping="Pong", Timestamp="1795351614.000000")
        elif name == "logoff":
            await session.reply(request, "Goodbye", Message="Thanks for all the fish.")
            return False
        else:
            await session.reply(request, "Error", Message="Invalid/unknown command")
        return True

    def _credentials_ok(self, login: AmiMessage) -> bool:
        if login.get("Username") != self.username:
            return False
        if (login.get("AuthType") or "").lower() == "md5":
            return login.get("Key") == md5_key(CHALLENGE, self.secret)
        return login.get("Secret") == self.secret


async def wait_until(predicate: Callable[[], bool], limit: float = 5.0) -> None:
    """Poll ``predicate`` until it holds; ``limit`` only guards against a hung test."""
    async with asyncio.timeout(limit):
        # Polling, because the predicates read arbitrary state that has no event to await.
        while not predicate():
            await asyncio.sleep(0.002)
