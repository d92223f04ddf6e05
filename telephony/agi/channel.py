"""One FastAGI session as a handler sees it: run commands, learn when the channel leaves AGI.

The rules, and why each exists:

1. **A background reader** feeds the codec for the whole session, so a ``HANGUP`` notice is
   seen even when no command is in flight (the in-queue code races music against
   :meth:`AgiChannel.wait_hangup`).
2. **One command at a time.** Commands are serialised by a lock, and a command also waits
   until the previous one's reply has arrived: a caller cancelled mid-command leaves that
   command running in Asterisk, and its reply must be consumed (and dropped) before the
   next command is sent, or every later reply would be matched to the wrong command.
3. **HANGUP means the channel left AGI**: a caller hang-up, a bridge pull or an AMI
   Redirect all send it (connect_moh.txt, abandon_redirect.txt), so it ends the dialplan
   but is not proof of an abandon. Seen before sending: :class:`AgiHangup`, nothing sent.
   Arriving while a command is in flight: its reply still follows (``511`` or ``200``) and
   :class:`AgiHangup` carries it. Socket closed: :class:`AgiHangup` without a reply.
   ``execute(..., after_hangup=True)`` opts out for the clean-up commands Asterisk still
   runs on a dead channel (``NOOP``, ``GET VARIABLE``).
4. **A command timeout closes the session** (:class:`AgiTimeout`): a reply arriving late
   would otherwise answer the next command.
5. **A peer's protocol error** is logged here and closes this session only; the handler
   sees it as a closed socket (:class:`AgiHangup`), never as a protocol error.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass

from telephony.agi.codec import (
    NEED_DATA,
    AgiReply,
    AgiServerConnection,
    ConnectionClosed,
    HangupNotice,
)
from telephony.agi.commands import AgiCommand
from telephony.agi.environment import AgiEnvironment
from telephony.agi.streams import close_stream, read_some
from telephony.errors import RemoteProtocolError

logger = logging.getLogger(__name__)


class AgiError(Exception):
    """Base of the errors :meth:`AgiChannel.execute` raises because of the session's state."""


# The names say what happened to the call, as the IVR layer reads them; an Error suffix
# would suggest a fault where a hang-up is the normal end of most calls.
class AgiHangup(AgiError):  # noqa: N818
    """The channel left AGI or the session is closed: the dialplan cannot go on.

    ``reply`` is the reply to the command that was in flight when ``HANGUP`` arrived
    (Asterisk still answers it), or None when nothing was sent or the socket closed first.
    """

    def __init__(self, message: str, reply: AgiReply | None = None) -> None:
        super().__init__(message)
        self.reply = reply


class AgiTimeout(AgiError):  # noqa: N818
    """A command got no reply in time; the session has been closed."""


@dataclass(frozen=True)
class _Outcome:
    """How a command in flight ended, as the reader saw it."""

    reply: AgiReply | None
    """None: the session ended before the reply."""
    hangup_seen: bool
    """``HANGUP`` had arrived when the reply was read (stream order, not scheduling order)."""


class AgiChannel:
    """The daemon's handle on one FastAGI session (see the module docstring for the rules).

    Built and started by :class:`~telephony.agi.server.FastAgiServer` once the environment
    is read; a handler only uses :attr:`env`, :meth:`execute`, :meth:`wait_hangup`,
    :meth:`close` and the two flags.
    """

    def __init__(
        self,
        env: AgiEnvironment,
        connection: AgiServerConnection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        command_timeout: float | None = None,
    ) -> None:
        self.env = env
        self._conn = connection
        self._reader = reader
        self._writer = writer
        self._command_timeout = command_timeout
        self._lock = asyncio.Lock()
        # Set while no command is in flight on the wire (see rule 2).
        self._idle = asyncio.Event()
        self._idle.set()
        # Set once the channel left AGI or the session ended: what wait_hangup() waits for.
        self._left = asyncio.Event()
        self._pending: asyncio.Future[_Outcome] | None = None
        self._hungup = False
        self._closed = False
        self._reader_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<AgiChannel channel={self.env.channel} script={self.env.script} closed={self._closed}>"

    @property
    def hungup(self) -> bool:
        """True once Asterisk sent ``HANGUP``: the channel left AGI (not necessarily hung up)."""
        return self._hungup

    @property
    def closed(self) -> bool:
        """True once the session ended: peer closed, protocol error, timeout or :meth:`close`."""
        return self._closed

    def start(self) -> None:
        """Start the background reader; called once by the server before the handler runs."""
        if self._reader_task is None:
            self._reader_task = asyncio.get_running_loop().create_task(
                self._read_loop(), name=f"agi-reader {self.env.channel}"
            )

    async def execute(
        self,
        command: AgiCommand,
        *,
        # Not just a cancellation scope (ASYNC109): on expiry the session must also be closed,
        # which a caller's asyncio.timeout() cannot do.
        timeout: float | None = None,  # noqa: ASYNC109
        after_hangup: bool = False,
    ) -> AgiReply:
        """Send ``command`` and return its final reply (``100 Trying`` is skipped).

        ``timeout`` bounds the wait for the reply in seconds: None uses the server's
        ``command_timeout`` (None there means no limit), ``math.inf`` waits without limit.
        On expiry the session is closed and :class:`AgiTimeout` raised. Concurrent calls
        run one after the other, in call order.

        Raises :class:`AgiHangup` when the channel already left AGI (nothing is sent), when
        ``HANGUP`` arrives while the command is in flight (the exception carries the reply),
        or when the session is closed. With ``after_hangup=True`` the command is sent even
        after ``HANGUP`` and its reply returned as is: for commands Asterisk still runs on
        a dead channel during clean-up. A command that cannot be encoded raises
        :class:`~telephony.errors.LocalProtocolError` and nothing is sent.
        """
        limit = self._command_timeout if timeout is None else timeout
        if limit is not None and math.isinf(limit):
            limit = None
        async with self._lock:
            self._check_usable(command, after_hangup=after_hangup)
            try:
                async with asyncio.timeout(limit):
                    outcome = await self._send_and_wait(command, after_hangup=after_hangup)
            except TimeoutError:
                logger.warning(
                    "agi command timeout channel=%s script=%s command=%s timeout=%s",
                    self.env.channel,
                    self.env.script,
                    command.name,
                    limit,
                )
                await self._shutdown("command timeout")
                raise AgiTimeout(f"no reply to {command.name} within {limit} s") from None
        if outcome.reply is None:
            raise AgiHangup(f"AGI session closed before the reply to {command.name}")
        if outcome.hangup_seen and not after_hangup:
            raise AgiHangup(f"channel left AGI during {command.name}", outcome.reply)
        return outcome.reply

    async def wait_hangup(self) -> None:
        """Return once ``HANGUP`` arrives or the session ends (whichever comes first)."""
        await self._left.wait()

    async def close(self) -> None:
        """End the session: stop the reader and close the socket; idempotent.

        Commands waiting for a reply raise :class:`AgiHangup`. Asterisk then leaves AGI and
        continues the dialplan (``AGISTATUS=SUCCESS``).
        """
        await self._shutdown("closed by daemon")

    # ---------------------------------------------------------------- sending

    def _check_usable(self, command: AgiCommand, *, after_hangup: bool) -> None:
        if self._closed:
            raise AgiHangup(f"AGI session closed; {command.name} not sent")
        if self._hungup and not after_hangup:
            raise AgiHangup(f"channel left AGI; {command.name} not sent")

    async def _send_and_wait(self, command: AgiCommand, *, after_hangup: bool) -> _Outcome:
        # A cancelled caller's command may still be in flight: its reply comes first.
        await self._idle.wait()
        self._check_usable(command, after_hangup=after_hangup)
        data = self._conn.send(command)  # LocalProtocolError: nothing sent, state unchanged
        future: asyncio.Future[_Outcome] = asyncio.get_running_loop().create_future()
        self._pending = future
        self._idle.clear()
        try:
            self._writer.write(data)
            await self._writer.drain()
            return await future
        except OSError as exc:
            # The reader sees the same end of stream; closing here just makes it immediate.
            self._end("write failed")
            raise AgiHangup(f"AGI socket failed while sending {command.name}") from exc
        finally:
            # If we were cancelled the command is still in flight: _idle stays clear until
            # the reader consumes its reply, which it then drops for want of a caller.
            self._pending = None

    # ---------------------------------------------------------------- reading

    async def _read_loop(self) -> None:
        reason = "peer closed"
        try:
            while True:
                event = self._conn.next_event()
                if event is NEED_DATA:
                    self._conn.receive_data(await read_some(self._reader))
                elif isinstance(event, AgiReply):
                    self._on_reply(event)
                elif isinstance(event, HangupNotice):
                    self._on_hangup()
                elif isinstance(event, ConnectionClosed):
                    break
                else:
                    # The codec yields the environment once, before this loop starts.
                    raise RemoteProtocolError("unexpected AGI environment block")
        except RemoteProtocolError as exc:
            reason = "protocol error"
            # The codec's messages quote at most 80 bytes of the offending line.
            logger.warning(
                "agi protocol error channel=%s script=%s error=%s", self.env.channel, self.env.script, exc
            )
        except Exception:
            # A bug of ours; a dead reader would leave commands waiting for ever, so end the
            # session rather than let the task die quietly.
            reason = "reader error"
            logger.exception("agi reader failed channel=%s script=%s", self.env.channel, self.env.script)
        self._end(reason)

    def _on_reply(self, reply: AgiReply) -> None:
        if reply.provisional:
            return  # 100 Trying: the final reply is still to come
        self._idle.set()
        future = self._pending
        if future is not None and not future.done():
            future.set_result(_Outcome(reply, self._hungup))
        else:
            logger.debug(
                "agi reply dropped (caller cancelled) channel=%s code=%s", self.env.channel, reply.code
            )

    def _on_hangup(self) -> None:
        self._hungup = True
        self._left.set()
        logger.info(
            "agi hangup notice channel=%s script=%s in_flight=%s",
            self.env.channel,
            self.env.script,
            self._conn.command_in_flight,
        )

    # ---------------------------------------------------------------- ending

    def _end(self, reason: str) -> None:
        """Mark the session ended and wake every waiter; safe from inside the reader task."""
        if self._closed:
            return
        self._closed = True
        self._left.set()
        self._idle.set()
        future = self._pending
        if future is not None and not future.done():
            future.set_result(_Outcome(None, self._hungup))
        # Not awaited here (this may run in the reader task); _shutdown() awaits it.
        self._writer.close()
        logger.debug(
            "agi session ended channel=%s script=%s reason=%s", self.env.channel, self.env.script, reason
        )

    async def _shutdown(self, reason: str) -> None:
        self._end(reason)
        task = self._reader_task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            # wait() rather than `await task`: the reader's CancelledError is expected and
            # must not be confused with a cancellation of the caller, which still propagates.
            await asyncio.wait([task])
        if task is not asyncio.current_task():
            # A finished reader holds its exception's traceback, whose frame holds this
            # channel, which holds the task: a reference cycle that only the garbage collector
            # would free, taking the whole session with it (bench B1: every call's objects).
            self._reader_task = None
        await close_stream(self._writer)
