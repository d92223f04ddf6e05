"""The AMI listener and its sessions (manager.c, as the transcripts show it).

Rules:

1. A client is greeted with ``Asterisk Call Manager/11.0.0``.
2. Before login only ``Login``, ``Challenge`` and ``Logoff`` are accepted; anything else
   answers ``Permission denied``. A wrong secret answers ``Authentication failed`` and the
   connection is closed. A good login answers ``Authentication accepted``, then this
   session gets ``FullyBooted`` and every security listener ``SuccessfulAuth``.
3. Events reach a session only after login, filtered by the user's read classes, the
   login's ``Events:`` and later ``Events`` actions (``off``, ``on`` or a class list).
4. A response is written before the events its action causes (misc.txt: ``Event Sent``
   precedes the ``UserEvent``; abandon_redirect.txt: ``Variable Set`` precedes ``VarSet``).
5. A client that sends garbage (an oversized line or message, a line without a colon) or
   stops reading while events pile up is disconnected; the simulator carries on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Callable, Mapping

from asterisk_sim import events
from asterisk_sim.ami import actions
from asterisk_sim.ami.users import AmiUser, check_key, check_secret, parse_classes
from asterisk_sim.core import Core
from telephony.ami.codec import NEED_DATA, AmiConnection, ConnectionClosed, Role
from telephony.ami.message import AmiMessage
from telephony.errors import RemoteProtocolError

log = logging.getLogger(__name__)

MAX_PENDING_WRITE = 8 * 1024 * 1024


def event_tv(wall: float) -> str:
    """``EventTV``/``SessionTV``: ``2026-11-22T12:45:43.913+0000``."""
    moment = dt.datetime.fromtimestamp(wall, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


class AmiSession(asyncio.Protocol):
    """One manager connection."""

    def __init__(self, server: AmiServer) -> None:
        self.server = server
        self.core = server.core
        self.codec = AmiConnection(Role.SERVER)
        self.transport: asyncio.Transport | None = None
        self.username: str | None = None
        self.user: AmiUser | None = None
        self.classes: frozenset[str] = frozenset()
        self.challenge: str | None = None
        self.session_id = f"0x{secrets.randbits(44):x}"
        self.session_tv = ""
        self.closing = False

    # ------------------------------------------------------------ transport
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.core.stats.ami_sessions += 1
        self.server.sessions.add(self)
        transport.write(self.codec.banner())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server.sessions.discard(self)
        self.core.bus.unsubscribe(self)

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        try:
            self.codec.receive_data(data)
            while not self.closing:
                event = self.codec.next_event()
                if event is NEED_DATA or isinstance(event, ConnectionClosed):
                    break
                if isinstance(event, AmiMessage):
                    self.handle(event)
        except RemoteProtocolError as exc:
            log.warning("AMI client sent garbage, closing: %s", exc)
            self.core.stats.ami_connections_closed_on_garbage += 1
            self.close()

    def eof_received(self) -> bool | None:
        return None

    def write(self, message: AmiMessage) -> None:
        """Send a response or a session-private event."""
        self._write(self.codec.send(message))

    def _write(self, data: bytes) -> None:
        transport = self.transport
        if transport is None or transport.is_closing() or self.closing:
            return
        if transport.get_write_buffer_size() > MAX_PENDING_WRITE:
            log.warning("AMI client %s does not read its events; disconnecting", self.username)
            self.close()
            return
        transport.write(data)

    def close(self) -> None:
        """Close after what was written so far."""
        self.closing = True
        self.core.bus.unsubscribe(self)
        if self.transport is not None:
            self.transport.close()

    # ------------------------------------------------------------ bus subscriber
    def deliver(self, cls: str, data: bytes) -> None:
        """Write an event if this session wants its class."""
        if cls in self.classes:
            self.core.stats.ami_events_sent += 1
            self._write(data)

    # ------------------------------------------------------------ actions
    def handle(self, message: AmiMessage) -> None:
        """Run one action."""
        self.core.stats.ami_actions += 1
        name = (message.get("Action") or "").strip()
        if not name:
            self.write(actions.error(message, "Missing action in request"))
            return
        lowered = name.lower()
        if lowered == "login":
            self._login(message)
            return
        if lowered == "challenge":
            self._challenge(message)
            return
        if lowered == "logoff":
            self.write(actions.reply(message, "Goodbye", Message="Thanks for all the fish."))
            self.close()
            return
        if self.user is None:
            self.write(actions.error(message, "Permission denied"))
            return
        handler = actions.HANDLERS.get(lowered)
        if handler is None:
            self.core.stats.ami_errors += 1
            self.write(
                actions.error(
                    message,
                    f"Invalid/unknown command: {name}. Use Action: ListCommands to show available commands.",
                )
            )
            self._security("RequestBadFormat", [("RequestType", f"Action: {name}")], tail=True)
            return
        result = handler(actions.ActionContext(self.core, self, message))
        for item in result.messages:
            self.write(item)
        if result.then is not None:
            result.then()

    def set_event_classes(self, text: str) -> None:
        """Apply an ``Events``/``EventMask`` value."""
        assert self.user is not None
        self.classes = parse_classes(text, self.user.read)

    def _challenge(self, message: AmiMessage) -> None:
        if (message.get("AuthType") or "").lower() != "md5":
            self.write(actions.error(message, "Must specify AuthType"))
            return
        self.challenge = str(secrets.randbelow(10**9)).zfill(9)
        self.write(actions.reply(message, "Success", Challenge=self.challenge))

    def _login(self, message: AmiMessage) -> None:
        username = (message.get("Username") or "").strip()
        user = self.server.users.get(username)
        accepted = False
        if user is not None:
            if (message.get("AuthType") or "").lower() == "md5":
                accepted = self.challenge is not None and check_key(
                    user, self.challenge, message.get("Key") or ""
                )
            else:
                accepted = check_secret(user, message.get("Secret") or "")
        if not accepted or user is None:
            self.core.stats.ami_errors += 1
            self.write(actions.error(message, "Authentication failed"))
            self.close()
            return
        self.username, self.user = username, user
        self.core.stats.ami_logins += 1
        self.session_tv = event_tv(self.core.clock.wall())
        events_param = message.get("Events")
        self.classes = user.read if events_param is None else parse_classes(events_param, user.read)
        self.write(actions.reply(message, "Success", Message="Authentication accepted"))
        if "system" in self.classes:
            self.write(events.fully_booted(self.core.uptime, self.core.uptime))
        self.core.bus.subscribe(self)
        self._security("SuccessfulAuth", [("UsingPassword", 0)], tail=False)

    def _security(self, name: str, extra: list[tuple[str, object]], *, tail: bool) -> None:
        local, remote = self._addresses()
        fields: list[tuple[str, object]] = [
            ("EventTV", event_tv(self.core.clock.wall())),
            ("Severity", "Informational" if name == "SuccessfulAuth" else "Error"),
            ("Service", "AMI"),
            ("EventVersion", 1),
        ]
        if not tail:
            fields.append(("AccountID", self.username or ""))
        fields += [("SessionID", self.session_id), ("LocalAddress", local), ("RemoteAddress", remote)]
        fields += extra
        fields.append(("SessionTV", self.session_tv))
        if tail:
            fields.append(("AccountID", self.username or ""))
        self.core.bus.publish(events.security_event(name, fields))

    def _addresses(self) -> tuple[str, str]:
        transport = self.transport
        sock = transport.get_extra_info("sockname") if transport else None
        peer = transport.get_extra_info("peername") if transport else None
        local = f"IPV4/TCP/{sock[0]}/{sock[1]}" if sock else "IPV4/TCP/0.0.0.0/0"
        remote = f"IPV4/TCP/{peer[0]}/{peer[1]}" if peer else "IPV4/TCP/0.0.0.0/0"
        return local, remote


class AmiServer:
    """The manager listener."""

    def __init__(self, core: Core, users: Mapping[str, AmiUser]) -> None:
        self.core = core
        self.users = dict(users)
        self.sessions: set[AmiSession] = set()
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen; returns the bound port (``port=0`` picks a free one)."""
        factory: Callable[[], AmiSession] = lambda: AmiSession(self)  # noqa: E731
        self._server = await self.core.clock.loop.create_server(factory, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and close every session."""
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            session.close()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
