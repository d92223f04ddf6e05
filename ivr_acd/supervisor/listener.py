"""Our own AMI listener: supervisors' app_queue tools connect to it as if to Asterisk.

Rules:

1. :meth:`AmiListener.start` binds (``127.0.0.1:5039`` by default), subscribes to the
   engine's events and starts the ``ami-listener-events`` fan-out task. Each connection is an
   :class:`~ivr_acd.supervisor.session.AmiSession`; past ``max_connections`` a new one is
   closed at once, with a log line.
2. Engine events are handed over synchronously by the engine, so the subscriber only
   appends them to a bounded backlog; the fan-out task formats each event once (reading
   the snapshot at most once per batch, for member fields) and offers the bytes to every
   session that wants them. Offering never waits (see :mod:`~ivr_acd.supervisor.outbox`).
3. :meth:`AmiListener.close` stops accepting, unsubscribes, drops every connection and
   waits until every task and socket is finished.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

from acd.commands import CenterPort
from acd.events import AcdEvent
from acd.snapshot import AgentSnapshot
from ivr_acd.supervisor.auth import Authenticator
from ivr_acd.supervisor.config import ListenerConfig
from ivr_acd.supervisor.eventmask import EVENT_CLASSES, privilege_mask
from ivr_acd.supervisor.queue_events import format_event
from ivr_acd.supervisor.session import AmiSession

logger = logging.getLogger(__name__)

_AGENT_EVENTS = EVENT_CLASSES["agent"]
_CLOSE_LIMIT = 5.0
_YIELD_EVERY = 32


class AmiListener:
    """The supervisor AMI server.

    ``center`` is the engine's :class:`~acd.commands.CenterPort`; ``clock`` gives epoch
    seconds (``Ping``'s ``Timestamp``, ``FullyBooted``'s uptime).
    """

    def __init__(
        self,
        center: CenterPort,
        config: ListenerConfig,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._center = center
        self._config = config
        self._clock = clock
        self._authenticator = Authenticator(config.users)
        self._server: asyncio.Server | None = None
        self._sessions: set[AmiSession] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._backlog: deque[AcdEvent] = deque()
        self._overflowed = 0
        self._wake = asyncio.Event()
        self._fanout: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._started_at = 0.0
        self._closing = False

    @property
    def port(self) -> int:
        """The TCP port bound (useful when configured as 0)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the AMI listener is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def connections(self) -> int:
        """Connections being served now."""
        return len(self._sessions)

    async def start(self) -> None:
        """Bind and start serving; returns once listening."""
        if self._server is not None or self._closing:
            raise RuntimeError("an AmiListener starts once")
        self._started_at = self._clock()
        self._server = await asyncio.start_server(self._accept, self._config.host, self._config.port)
        self._unsubscribe = self._center.subscribe(self._on_event)
        self._fanout = asyncio.create_task(self._fanout_loop(), name="ami-listener-events")
        logger.info(
            "ami listener started host=%s port=%d users=%d",
            self._config.host,
            self.port,
            len(self._config.users),
        )

    async def serve_forever(self) -> None:
        """Start, then serve until cancelled; closes on the way out (for a TaskGroup)."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop accepting, drop every connection and wait until all is closed."""
        if self._closing:
            return
        self._closing = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._server is not None:
            self._server.close()
        if self._fanout is not None:
            self._fanout.cancel()
            await asyncio.wait([self._fanout])
        for session in list(self._sessions):
            session.drop("listener closing", level=logging.INFO)
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=_CLOSE_LIMIT)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._server is not None:
            await self._server.wait_closed()
        logger.info("ami listener stopped")

    async def __aenter__(self) -> AmiListener:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # ---------------------------------------------------------------- connections

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if self._closing or task is None or len(self._sessions) >= self._config.max_connections:
            logger.warning(
                "ami listener connection refused peer=%s reason=%s",
                writer.get_extra_info("peername"),
                "closing" if self._closing else f"max_connections={self._config.max_connections}",
            )
            writer.transport.abort()
            return
        session = AmiSession(
            reader,
            writer,
            center=self._center,
            authenticator=self._authenticator,
            config=self._config,
            clock=self._clock,
            uptime=lambda: max(0, int(self._clock() - self._started_at)),
        )
        self._sessions.add(session)
        self._tasks.add(task)
        try:
            await session.run()
        except Exception:  # one connection's bug must not reach asyncio's server
            logger.exception("ami listener session failed peer=%s", session.peer)
            writer.transport.abort()
        finally:
            self._sessions.discard(session)
            self._tasks.discard(task)

    # ---------------------------------------------------------------- events

    def _on_event(self, event: AcdEvent) -> None:
        # Called by the engine, synchronously: append and return, nothing else.
        if self._closing or not any(s.wants(_AGENT_EVENTS) for s in self._sessions):
            return
        if len(self._backlog) >= self._config.event_backlog:
            self._backlog.popleft()
            self._overflowed += 1
        self._backlog.append(event)
        self._wake.set()

    async def _fanout_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._overflowed:
                logger.warning("ami listener event backlog overflowed dropped=%d", self._overflowed)
                self._overflowed = 0
            batch, self._backlog = self._backlog, deque()
            await self._fan_out(batch)

    async def _fan_out(self, batch: deque[AcdEvent]) -> None:
        agents: dict[str, AgentSnapshot] | None = None

        def lookup(agent_id: str) -> AgentSnapshot | None:
            nonlocal agents
            if agents is None:
                agents = {a.agent_id: a for a in self._center.snapshot().agents}
            return agents.get(agent_id)

        for index, event in enumerate(batch, 1):
            try:
                messages = format_event(event, lookup)
            except Exception:  # one bad event must not stop the stream
                logger.exception("ami listener could not format event=%s", type(event).__name__)
                continue
            for message in messages:
                data = message.encode()
                needed = privilege_mask(message.get("Privilege") or "")
                for session in tuple(self._sessions):
                    session.deliver(data, needed)
            if index % _YIELD_EVERY == 0:
                # Let the sessions' writers drain between slices of a burst, so a burst
                # larger than one send queue does not look like a slow client.
                await asyncio.sleep(0)
