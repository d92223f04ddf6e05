"""A fake Asterisk manager on 127.0.0.1 that accepts logins and ``UserEvent`` actions.

Enough of Asterisk for the UserEvent publisher: the banner, a plain ``Login``, ``Ping``, and
``UserEvent`` answered ``Event Sent`` then echoed as ``Event: UserEvent`` (misc.txt order).
Each UserEvent action is recorded with the loop time it arrived.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from telephony.ami.codec import AmiConnection, ConnectionClosed, Role
from telephony.ami.message import AmiMessage, event, response
from telephony.errors import RemoteProtocolError


class FakeAsterisk:
    """Accepts any number of AMI sessions; records UserEvents."""

    def __init__(self, username: str, secret: str) -> None:
        self.username = username
        self.secret = secret
        self.user_events: list[tuple[float, AmiMessage]] = []
        self.refuse_user_events = False
        self.arrived = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def for_queue(self, queue: str) -> list[AmiMessage]:
        """The UserEvent actions received for ``queue``."""
        return [m for _, m in self.user_events if m.get("Queue") == queue]

    async def __aenter__(self) -> FakeAsterisk:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        if self._tasks:
            await asyncio.wait(set(self._tasks))
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        conn = AmiConnection(Role.SERVER)
        try:
            writer.write(conn.banner())
            while True:
                try:
                    received = conn.next_event()
                except RemoteProtocolError:
                    return
                if isinstance(received, ConnectionClosed):
                    return
                if not isinstance(received, AmiMessage):
                    data = await reader.read(65536)
                    conn.receive_data(data)
                    continue
                for message in self._answer(received):
                    writer.write(conn.send(message))
                await writer.drain()
        except (ConnectionError, OSError):
            return
        finally:
            writer.close()
            self._writers.discard(writer)
            self._tasks.discard(task)

    def _answer(self, request: AmiMessage) -> list[AmiMessage]:
        action_id = request.action_id
        name = request.name.lower()
        if name == "login":
            if (request.get("Username"), request.get("Secret")) != (self.username, self.secret):
                return [response("Error", ActionID=action_id, Message="Authentication failed")]
            return [response("Success", ActionID=action_id, Message="Authentication accepted")]
        if name == "userevent":
            if self.refuse_user_events:
                return [response("Error", ActionID=action_id, Message="Permission denied")]
            self.user_events.append((asyncio.get_running_loop().time(), request))
            self.arrived.set()
            body = [(k, v) for k, v in request.fields if k not in ("Action", "ActionID", "UserEvent")]
            echoed = event(
                "UserEvent",
                [
                    ("Privilege", "user,all"),
                    ("UserEvent", request["UserEvent"]),
                    ("ActionID", action_id),
                    *body,
                ],
            )
            return [response("Success", ActionID=action_id, Message="Event Sent"), echoed]
        if name == "ping":
            return [response("Success", ActionID=action_id, Ping="Pong", Timestamp="1.0")]
        return [response("Error", ActionID=action_id, Message="Invalid/unknown command")]
