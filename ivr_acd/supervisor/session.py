"""One supervisor's AMI connection: login, actions, and the events it asked for.

Rules:

1. We greet with the banner, then read messages with the sans-I/O codec in the server role
   (its limits bound what a peer can make us buffer). A protocol error (garbage, a huge
   line) closes this connection only; it is logged, never raised into the listener.
2. Until a successful ``Login`` only Login/Challenge/Ping/Logoff run (see
   :mod:`~ivr_acd.supervisor.actions`), and the connection must log in within
   ``login_timeout``. A refused login is answered ``Authentication failed`` after
   ``auth_failure_delay``, logged with the username and peer, never the secret or the md5
   key; after ``max_auth_failures`` the connection is closed.
3. Actions are handled one at a time, in order, like manager.c does per session.
4. Everything we write goes through the connection's :class:`Outbox` and one writer task.
   Answers wait for room; events never wait: a client whose queue is full is dropped with a
   log line, so a slow reader never slows the daemon or the other clients.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from acd.commands import CenterPort
from ivr_acd.supervisor import actions, control, replies
from ivr_acd.supervisor.actions import ActionSpec
from ivr_acd.supervisor.auth import Authenticator, new_challenge
from ivr_acd.supervisor.config import AmiUser, ListenerConfig
from ivr_acd.supervisor.eventmask import ALL_EVENTS, parse_event_mask
from ivr_acd.supervisor.outbox import Outbox
from ivr_acd.supervisor.queue_lists import queue_status, queue_summary
from telephony.ami.codec import AmiConnection, ConnectionClosed, Role
from telephony.ami.message import AmiMessage, event
from telephony.errors import RemoteProtocolError

logger = logging.getLogger(__name__)

_READ_SIZE = 64 * 1024
_FLUSH_LIMIT = 5.0  # seconds a closing connection gets to take its last answer (Goodbye)


def _printable(text: str, limit: int = 64) -> str:
    """A peer-supplied string made safe for one log line."""
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


class AmiSession:
    """One client connection to the listener."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        center: CenterPort,
        authenticator: Authenticator,
        config: ListenerConfig,
        clock: Callable[[], float],
        uptime: Callable[[], int],
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._center = center
        self._auth = authenticator
        self._config = config
        self._clock = clock
        self._uptime = uptime
        self._conn = AmiConnection(Role.SERVER)
        self._outbox = Outbox(config.send_queue_bytes)
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else str(peer)
        self.user: AmiUser | None = None
        self._event_mask = ALL_EVENTS
        self._challenge: str | None = None
        self._failures = 0
        self._dropped = False
        self._login_deadline = 0.0  # on the loop's clock; set when run() starts

    # ---------------------------------------------------------------- events from the listener

    def wants(self, needed: int) -> bool:
        """True when this session is logged in and its event mask covers ``needed``."""
        # A closing session (after Logoff) wants nothing: a refused offer would look like lag.
        return (
            self.user is not None
            and not self._outbox.closed
            and needed != 0
            and self._event_mask & needed == needed
        )

    def deliver(self, data: bytes, needed: int) -> None:
        """Queue an encoded event for this client if it wants it; drop a client that lags."""
        if not self.wants(needed):
            return
        if not self._outbox.offer(data):
            self.drop(f"send queue over {self._config.send_queue_bytes} bytes: client does not keep up")

    def drop(self, reason: str, *, level: int = logging.WARNING) -> None:
        """Close the connection now, discarding what is queued."""
        if self._dropped:
            return
        self._dropped = True
        logger.log(
            level,
            "ami listener client dropped peer=%s username=%s reason=%s",
            self.peer,
            self.user.username if self.user else "-",
            reason,
        )
        self._outbox.close(discard=True)
        self._writer.transport.abort()

    # ---------------------------------------------------------------- the connection

    async def run(self) -> None:
        """Serve the connection until the peer leaves, logs off, misbehaves or is dropped."""
        logger.info("ami listener connection peer=%s", self.peer)
        self._login_deadline = asyncio.get_running_loop().time() + self._config.login_timeout
        writer_task = asyncio.create_task(self._write_loop(), name=f"ami-listener-writer {self.peer}")
        try:
            await self._outbox.put(self._conn.banner(self._config.banner_version))
            await self._read_loop()
        except RemoteProtocolError as exc:
            logger.info("ami listener closing peer=%s reason=protocol-error detail=%s", self.peer, exc)
        except TimeoutError:
            logger.info(
                "ami listener closing peer=%s reason=no-login-within timeout=%s",
                self.peer,
                self._config.login_timeout,
            )
        except (ConnectionError, OSError) as exc:
            logger.debug("ami listener connection lost peer=%s reason=%r", self.peer, exc)
        finally:
            await self._finish(writer_task)
        logger.info(
            "ami listener connection closed peer=%s username=%s",
            self.peer,
            self.user.username if self.user else "-",
        )

    async def _finish(self, writer_task: asyncio.Task[None]) -> None:
        self._outbox.close(discard=self._dropped)
        try:
            # Let the writer send what is queued (the Goodbye), but never wait on a stuck peer.
            done, _ = await asyncio.wait([writer_task], timeout=_FLUSH_LIMIT)
            if not done:
                self._writer.transport.abort()
            self._writer.close()
            closing = asyncio.ensure_future(self._writer.wait_closed())
            done, _ = await asyncio.wait([closing], timeout=_FLUSH_LIMIT)
            if not done:
                self._writer.transport.abort()
            await asyncio.wait([closing])
            if not closing.cancelled():
                closing.exception()  # a reset during close is expected; mark it seen
        finally:
            # Also reached on cancellation: nothing may outlive the session.
            if not writer_task.done():
                writer_task.cancel()
                self._writer.transport.abort()

    async def _write_loop(self) -> None:
        try:
            while (data := await self._outbox.get()) is not None:
                self._writer.write(data)
                await self._writer.drain()
        except (ConnectionError, OSError):
            # The reader sees the loss too; aborting makes sure it does now.
            self._writer.transport.abort()

    async def _read(self) -> bytes:
        if self.user is not None:
            return await self._reader.read(_READ_SIZE)
        async with asyncio.timeout_at(self._login_deadline):
            return await self._reader.read(_READ_SIZE)

    async def _read_loop(self) -> None:
        while not self._dropped:
            received = self._conn.next_event()
            if isinstance(received, AmiMessage):
                if not await self._handle(received):
                    return
            elif isinstance(received, ConnectionClosed):
                return
            else:  # NEED_DATA
                self._conn.receive_data(await self._read())

    async def _send(self, messages: list[AmiMessage]) -> None:
        await self._outbox.put(b"".join(self._conn.send(m) for m in messages))

    # ---------------------------------------------------------------- actions

    async def _handle(self, request: AmiMessage) -> bool:
        """Answer one action; False closes the connection."""
        name = request.name.strip() if request.kind == "action" else ""
        if not name:
            await self._send([replies.error(request, replies.MISSING_ACTION)])
            return True
        spec = actions.lookup(name)
        if spec is None or not actions.allowed(spec, self.user.permission if self.user else None):
            if self.user is None or spec is not None:
                logger.info(
                    "ami listener action refused peer=%s username=%s action=%s reason=permission",
                    self.peer,
                    self.user.username if self.user else "-",
                    _printable(name),
                )
                await self._send([replies.error(request, replies.PERMISSION_DENIED)])
            else:
                await self._send([replies.error(request, replies.UNKNOWN_ACTION.format(name=name))])
            return True
        try:
            return await self._dispatch(spec, request)
        except (ConnectionError, OSError):
            raise
        except Exception:  # an engine or formatting bug fails this action, not the listener
            logger.exception("ami listener action failed peer=%s action=%s", self.peer, spec.name)
            await self._send([replies.error(request, "Internal error")])
            return True

    async def _dispatch(self, spec: ActionSpec, request: AmiMessage) -> bool:
        match spec.name:
            case "Login":
                return await self._login(request)
            case "Challenge":
                await self._send([self._challenge_reply(request)])
            case "Ping":
                pong = [("Ping", "Pong"), ("Timestamp", f"{self._clock():.6f}")]
                await self._send([replies.success(request, None, pong)])
            case "Logoff":
                await self._send([replies.goodbye(request)])
                return False
            case "Events":
                await self._send([self._events_reply(request)])
            case "ListCommands":
                assert self.user is not None  # allowed() only lets logged-in users here
                await self._send([replies.success(request, None, actions.listing(self.user.permission))])
            case "QueueSummary":
                snapshot = self._center.snapshot()
                await self._send(queue_summary(request, snapshot, request.get("Queue")))
            case "QueueStatus":
                snapshot = self._center.snapshot()
                await self._send(queue_status(request, snapshot, request.get("Queue"), request.get("Member")))
            case _:
                await self._send([await self._control(spec, request)])
        return True

    async def _control(self, spec: ActionSpec, request: AmiMessage) -> AmiMessage:
        handlers = {
            "QueueAdd": control.queue_add,
            "QueueRemove": control.queue_remove,
            "QueuePause": control.queue_pause,
            "AcdCallback": control.acd_callback,
        }
        answer = await handlers[spec.name](request, self._center, self._config.command_timeout)
        logger.info(
            "ami listener control peer=%s username=%s action=%s interface=%s queue=%s response=%s message=%s",
            self.peer,
            self.user.username if self.user else "-",
            spec.name,
            _printable(request.get("Interface") or request.get("Number") or ""),
            _printable(request.get("Queue") or ""),
            answer.get("Response"),
            _printable(answer.get("Message") or ""),
        )
        return answer

    # ---------------------------------------------------------------- login and event flow

    async def _login(self, request: AmiMessage) -> bool:
        username = request.get("Username") or ""
        auth_type = "md5" if (request.get("AuthType") or "").strip().lower() == "md5" else "plain"
        if auth_type == "md5":
            user = self._auth.check_md5(username, self._challenge, request.get("Key") or "")
            self._challenge = None  # one attempt per challenge: a seen key cannot be replayed
        else:
            user = self._auth.check_plain(username, request.get("Secret") or "")
        if user is None:
            self._failures += 1
            logger.warning(
                "ami listener login failed peer=%s username=%s auth=%s failures=%d/%d",
                self.peer,
                _printable(username),
                auth_type,
                self._failures,
                self._config.max_auth_failures,
            )
            if self._config.auth_failure_delay:
                await asyncio.sleep(self._config.auth_failure_delay)
            await self._send([replies.error(request, replies.AUTH_FAILED)])
            return self._failures < self._config.max_auth_failures
        mask = parse_event_mask(request.get("Events") or "")
        if mask is not None:
            self._event_mask = mask
        self.user = user
        logger.info(
            "ami listener login peer=%s username=%s permission=%s auth=%s events=%s",
            self.peer,
            user.username,
            user.permission,
            auth_type,
            "on" if self._event_mask else "off",
        )
        uptime = self._uptime()
        booted = event(
            "FullyBooted",
            Privilege="system,all",
            Uptime=uptime,
            LastReload=uptime,
            Status="Fully Booted",
        )
        await self._send([replies.success(request, replies.AUTH_ACCEPTED), booted])
        return True

    def _challenge_reply(self, request: AmiMessage) -> AmiMessage:
        if (request.get("AuthType") or "").strip().lower() != "md5":
            return replies.error(request, "Must specify AuthType")
        if self._challenge is None:
            self._challenge = new_challenge()
        return replies.success(request, None, [("Challenge", self._challenge)])

    def _events_reply(self, request: AmiMessage) -> AmiMessage:
        # manager.c reads EventMask; Events is accepted too, as at login.
        text = request.get("EventMask")
        mask = parse_event_mask(text if text is not None else request.get("Events") or "")
        if mask is None:
            return replies.error(request, "Invalid event mask")
        self._event_mask = mask
        return replies.success(request, None, [("Events", "On" if mask else "Off")])
