"""The FastAGI server: accepts Asterisk's connections and runs one handler task per channel.

Asterisk runs ``AGI(agi://daemon:4573/<script>?<query>)``, connects, sends the ``agi_*``
environment and waits for commands. For each connection the server

1. reads the environment, which must be complete within ``header_timeout`` of connecting
   (a deadline rather than an idle timer, so a peer dribbling bytes cannot hold a session);
2. asks ``route(env)`` for a handler (None: logged and closed);
3. runs the handler with an :class:`~telephony.agi.channel.AgiChannel`, then closes the
   socket, which tells Asterisk to continue its dialplan.

Nothing a peer or a handler does escapes its own session: protocol errors, timeouts and
handler exceptions are logged, one ``key=value`` line each, and close that session only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

from telephony.agi.channel import AgiChannel, AgiHangup, AgiTimeout
from telephony.agi.codec import AgiServerConnection, ConnectionClosed
from telephony.agi.environment import AgiEnvironment
from telephony.agi.streams import close_stream, read_some
from telephony.errors import RemoteProtocolError

logger = logging.getLogger(__name__)

Handler = Callable[[AgiChannel], Awaitable[None]]
"""Runs the dialplan of one channel; returning (or raising) ends the AGI session."""

Route = Callable[[AgiEnvironment], Handler | None]
"""Chooses the handler from the environment (``env.script``, ``env.query``); None: no such script."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4573
DEFAULT_MAX_SESSIONS = 1000
DEFAULT_DRAIN_TIMEOUT = 10.0


class FastAgiServer:
    """An asyncio FastAGI server around the sans-I/O codec.

    ``max_sessions`` bounds concurrent sessions: one more is closed at once, so Asterisk
    fails the ``AGI()`` call (``AGISTATUS=FAILURE``) and its dialplan decides, instead of
    the daemon running out of descriptors. ``command_timeout`` is the default for
    :meth:`AgiChannel.execute`; None (the default) means no limit, because music on hold,
    recordings and digit waits legitimately last minutes.
    """

    def __init__(
        self,
        route: Route,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        header_timeout: float = 5.0,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        command_timeout: float | None = None,
    ) -> None:
        if header_timeout <= 0:
            raise ValueError("header_timeout must be positive")
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        if command_timeout is not None and command_timeout <= 0:
            raise ValueError("command_timeout must be positive or None")
        self._route = route
        self._host = host
        self._port = port
        self._header_timeout = header_timeout
        self._max_sessions = max_sessions
        self._command_timeout = command_timeout
        self._server: asyncio.Server | None = None
        self._bound_port: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._active = 0
        self._closing = False

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Bind and start accepting connections."""
        if self._server is not None:
            raise RuntimeError("FastAGI server already started")
        self._server = await asyncio.start_server(
            self._accept,
            self._host,
            self._port,
            # A burst of calls must not overflow the accept queue: dropped SYNs are retried
            # by the kernel only after a second, which a caller hears as dead air.
            backlog=max(128, min(self._max_sessions, 4096)),
        )
        self._bound_port = int(self._server.sockets[0].getsockname()[1])
        logger.info("agi server listening host=%s port=%s", self._host, self.port)

    @property
    def port(self) -> int:
        """The bound port (the real one when constructed with ``port=0``)."""
        if self._bound_port is None:
            raise RuntimeError("FastAGI server not started")
        return self._bound_port

    @property
    def active_sessions(self) -> int:
        """Sessions accepted and not yet finished (including those still reading the environment)."""
        return self._active

    async def close(self, drain_timeout: float = DEFAULT_DRAIN_TIMEOUT) -> None:
        """Stop accepting, let running sessions finish for ``drain_timeout`` s, then cancel them.

        Returns once every session task has ended and its socket is closed.
        """
        self._closing = True
        server = self._server
        if server is not None:
            server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(drain_timeout, 0.0)
        # A loop, not a single wait: a connection accepted just before the listener closed
        # may still be handed to _accept() (and rejected) while we wait.
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining > 0:
                await asyncio.wait(set(self._tasks), timeout=remaining)
                continue
            tasks = set(self._tasks)
            logger.info("agi server cancelling sessions count=%s", len(tasks))
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
        if server is not None:
            await server.wait_closed()
            logger.info("agi server closed port=%s", self._bound_port)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---------------------------------------------------------------- sessions

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback, not a coroutine: the server owns (tracks, drains, cancels) the
        # session tasks itself instead of leaving them to asyncio.start_server.
        if self._closing or self._active >= self._max_sessions:
            reason = "closing" if self._closing else "max_sessions"
            logger.warning("agi session rejected peer=%s reason=%s", _peer(writer), reason)
            task = asyncio.get_running_loop().create_task(close_stream(writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        self._active += 1
        task = asyncio.get_running_loop().create_task(self._session(reader, writer), name="agi-session")
        self._tasks.add(task)

        def done(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            self._active -= 1
            # Safety net: a task cancelled before its first step never runs its finally.
            writer.close()

        task.add_done_callback(done)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        codec = AgiServerConnection()
        channel: AgiChannel | None = None
        try:
            env = await self._read_environment(codec, reader, writer)
            if env is None:
                return
            handler = self._choose(env)
            if handler is None:
                return
            channel = AgiChannel(env, codec, reader, writer, command_timeout=self._command_timeout)
            channel.start()
            logger.info(
                "agi session start channel=%s script=%s uniqueid=%s peer=%s",
                env.channel,
                env.script,
                env.uniqueid,
                _peer(writer),
            )
            outcome = await self._run_handler(handler, channel)
            logger.info(
                "agi session end channel=%s script=%s uniqueid=%s outcome=%s",
                env.channel,
                env.script,
                env.uniqueid,
                outcome,
            )
        finally:
            # Runs on cancellation too; the CancelledError propagates once sockets are closed.
            if channel is not None:
                await channel.close()
            else:
                await close_stream(writer)

    async def _read_environment(
        self, codec: AgiServerConnection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> AgiEnvironment | None:
        try:
            async with asyncio.timeout(self._header_timeout):
                while True:
                    event = codec.next_event()
                    if isinstance(event, AgiEnvironment):
                        return event
                    if isinstance(event, ConnectionClosed):
                        # Connected and closed without a byte (a port check): not an error.
                        logger.debug("agi peer closed before the environment peer=%s", _peer(writer))
                        return None
                    # NEED_DATA: nothing else can come before the environment.
                    codec.receive_data(await read_some(reader))
        except TimeoutError:
            logger.warning("agi header timeout peer=%s timeout=%s", _peer(writer), self._header_timeout)
        except RemoteProtocolError as exc:
            logger.warning("agi protocol error before environment peer=%s error=%s", _peer(writer), exc)
        return None

    def _choose(self, env: AgiEnvironment) -> Handler | None:
        try:
            handler = self._route(env)
        except Exception:
            logger.exception("agi route failed channel=%s script=%s", env.channel, env.script)
            return None
        if handler is None:
            logger.warning(
                "agi unknown script script=%s channel=%s uniqueid=%s", env.script, env.channel, env.uniqueid
            )
        return handler

    async def _run_handler(self, handler: Handler, channel: AgiChannel) -> str:
        """Run the handler; return how it ended, for the session's closing log line."""
        env = channel.env
        try:
            await handler(channel)
        except AgiHangup:
            # The normal way out of a dialplan whose caller left: not an error.
            return "hangup"
        except AgiTimeout:
            return "timeout"  # already logged by the channel, with the command
        except asyncio.CancelledError:
            logger.info("agi session cancelled channel=%s script=%s", env.channel, env.script)
            raise
        except Exception:
            logger.exception("agi handler failed channel=%s script=%s", env.channel, env.script)
            return "error"
        return "hangup" if channel.hungup else "done"


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)
