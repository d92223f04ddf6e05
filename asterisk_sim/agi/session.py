"""One FastAGI session, Asterisk's side: connect, send ``agi_*``, run commands one at a time.

Rules (res_agi.c as the transcripts show it):

1. The environment is sent in agi_basic.txt's key order; ``agi_arg_N`` follow
   ``agi_threadid``.
2. Commands run strictly one at a time; each gets ``AGIExecStart``, its reply line and
   ``AGIExecEnd``. An unknown command answers ``510 Invalid or unknown command``, wrong
   arguments the ``520-`` usage block.
3. When the channel leaves AGI (hang-up, AMI Redirect, a ``Bridge()`` pull) the command in
   flight returns ``200 result=-1``, then the standalone ``HANGUP`` line is sent once,
   before the reply to the next command. From then on only the dead-channel commands run;
   the others answer ``511 Command Not Permitted on a dead channel or intercept routine``.
4. A pulled channel leaves a *zombie* behind: the session goes on for the daemon but
   publishes nothing on AMI and sees none of the live channel's later variables
   (connect_moh.txt: ``GET VARIABLE BRIDGEPEER`` answers ``result=0``).
5. When the daemon closes the socket the dialplan continues: ``AGISTATUS=SUCCESS`` if the
   channel is still in AGI, ``HANGUP`` (and the channel ends or follows its redirect) if
   not. A daemon that sends garbage (a line over res_agi's 2 KiB buffer) is disconnected.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import threading
from urllib.parse import urlsplit

from asterisk_sim import events
from asterisk_sim.agi import handlers, usage
from asterisk_sim.channel import Channel
from asterisk_sim.core import AGI_VERSION
from asterisk_sim.dialplan.substitution import split_args
from telephony.agi.codec import NEED_DATA, AgiClientConnection, AgiCommandLine, AgiReply, ConnectionClosed
from telephony.errors import RemoteProtocolError

log = logging.getLogger(__name__)

DEFAULT_PORT = 4573
DEAD_MESSAGE = "Command Not Permitted on a dead channel or intercept routine"
INVALID_MESSAGE = "Invalid or unknown command"
USAGE_MESSAGE = "Invalid command syntax.  Proper usage follows:"


def split_url(url: str) -> tuple[str, int, str] | None:
    """``agi://host[:port]/script?query`` → (host, port, ``script?query``); None if not FastAGI."""
    if not url.lower().startswith("agi://"):
        return None
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        return None
    script = parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port, script


def environment(chan: Channel, url: str, script: str, args: list[str]) -> dict[str, str]:
    """The ``agi_*`` block for ``chan`` (keys in Asterisk 22's order)."""
    env = {
        "agi_network": "yes",
        "agi_network_script": script,
        "agi_request": url,
        "agi_channel": chan.name,
        "agi_language": chan.language,
        "agi_type": chan.tech,
        "agi_uniqueid": chan.uniqueid,
        "agi_version": AGI_VERSION,
        "agi_callerid": chan.caller.num or "unknown",
        "agi_calleridname": chan.caller.name or "unknown",
        "agi_callingpres": "0",
        "agi_callingani2": "0",
        "agi_callington": "0",
        "agi_callingtns": "0",
        "agi_dnid": chan.dnid or "unknown",
        "agi_rdnis": "unknown",
        "agi_context": chan.context,
        "agi_extension": chan.exten,
        "agi_priority": str(chan.priority),
        "agi_enhanced": "0.0",
        "agi_accountcode": chan.accountcode,
        "agi_threadid": str(threading.get_ident() + chan.seq),
    }
    for index, arg in enumerate(args, 1):
        env[f"agi_arg_{index}"] = arg
    return env


class _Protocol(asyncio.Protocol):
    """Socket I/O: parses command lines as they arrive, queues them for the session."""

    def __init__(self, session: AgiSession) -> None:
        self.session = session
        self.codec = AgiClientConnection()
        self.transport: asyncio.Transport | None = None
        self.commands: collections.deque[AgiCommandLine] = collections.deque()
        self.closed = False
        self.waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._feed(data)

    def eof_received(self) -> bool | None:
        self._feed(b"")
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    def _feed(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            self.codec.receive_data(data)
            while True:
                event = self.codec.next_event()
                if event is NEED_DATA:
                    break
                if isinstance(event, ConnectionClosed):
                    self.closed = True
                    break
                self.commands.append(event)
        except RemoteProtocolError as exc:
            log.warning("%s: closing the FastAGI connection: %s", self.session.chan.name, exc)
            self.session.chan.core.stats.agi_connections_closed_on_garbage += 1
            self.closed = True
            if self.transport is not None:
                self.transport.close()
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


class _ZombieScope:
    """What a pulled channel's leftover AGI session sees: a frozen copy of its variables."""

    def __init__(self, chan: Channel, variables: dict[str, str]) -> None:
        self.chan = chan
        self.variables = variables

    def get_variable(self, name: str) -> str | None:
        if name in self.variables:
            return self.variables[name]
        if name in ("CHANNEL", "UNIQUEID", "EXTEN", "CONTEXT", "PRIORITY"):
            return self.chan.get_variable(name)
        return self.chan.core.dialplan.globals.get(name)

    def call_function(self, name: str, args: str) -> str | None:
        return self.chan.call_function(name, args)


class AgiSession:
    """One FastAGI session of one channel."""

    def __init__(self, chan: Channel, url: str, args: list[str]) -> None:
        self.chan = chan
        self.url = url
        self.args = args
        self.dead = False
        self.zombie = False
        self.zombie_vars: dict[str, str] = {}
        self.executing = False
        self.hangup_due = False
        self._protocol = _Protocol(self)
        self.pulled: asyncio.Future[None] = chan.core.clock.loop.create_future()

    def scope(self) -> Channel | _ZombieScope:
        """Where GET VARIABLE looks: the channel, or the zombie's frozen copy."""
        return _ZombieScope(self.chan, self.zombie_vars) if self.zombie else self.chan

    async def connect(self, host: str, port: int, script: str) -> bool:
        """Open the socket and send the environment; False when the daemon is unreachable."""
        core = self.chan.core
        target = core.config.agi_target or (host, port)
        loop = core.clock.loop
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda: self._protocol, target[0], target[1]),
                timeout=core.config.agi_connect_timeout,
            )
        except (OSError, TimeoutError) as exc:
            log.info("%s: FastAGI %s:%s unreachable: %s", self.chan.name, target[0], target[1], exc)
            core.stats.agi_connect_failures += 1
            return False
        core.stats.agi_sessions += 1
        env = environment(self.chan, self.url, script, self.args)
        self._protocol.write(self._protocol.codec.send_environment(env))
        self.chan.add_interrupt_hook(self._on_interrupt)
        if self.chan.interrupted:
            self._on_interrupt()
        return True

    async def run(self) -> int:
        """Serve commands until the daemon closes; the AGI application's return value."""
        try:
            while True:
                command = await self._next_command()
                if command is None:
                    break
                await self._execute(command)
        finally:
            self.chan.remove_interrupt_hook(self._on_interrupt)
            transport = self._protocol.transport
            if transport is not None:
                transport.close()
        if self.zombie:
            return -1
        if self.dead:
            self.chan.set_variable("AGISTATUS", "HANGUP")
            return -1
        self.chan.set_variable("AGISTATUS", "SUCCESS")
        return 0

    async def _next_command(self) -> AgiCommandLine | None:
        proto = self._protocol
        while not proto.commands:
            if proto.closed:
                return None
            proto.waiter = self.chan.core.clock.loop.create_future()
            try:
                await proto.waiter
            finally:
                proto.waiter = None
        return proto.commands.popleft()

    def _on_interrupt(self) -> None:
        """The channel left AGI: go dead, and say HANGUP now or after the reply in flight."""
        if self.dead:
            return
        self.dead = True
        if self.chan.pull_pending:
            self.zombie = True
            self.zombie_vars = dict(self.chan.variables)
            if not self.pulled.done():
                self.pulled.set_result(None)
        if self.executing:
            self.hangup_due = True
        else:
            self._send_hangup()

    def _send_hangup(self) -> None:
        self.hangup_due = False
        self._protocol.write(self._protocol.codec.send_hangup())

    async def _execute(self, command: AgiCommandLine) -> None:
        core = self.chan.core
        core.stats.agi_commands += 1
        publish = not self.zombie
        command_id = random.randint(1, 2**31 - 1)
        if publish:
            self.chan.publish(events.agi_exec_start(self.chan, command_id, command.text))
        self.executing = True
        try:
            code, result_text, lines = await self._dispatch(command)
        finally:
            self.executing = False
        # A pull while the command ran turns this session into a zombie: no AGIExecEnd.
        if publish and not self.zombie:
            self.chan.publish(events.agi_exec_end(self.chan, command_id, command.text, code, result_text))
        self._protocol.write(lines)
        if self.hangup_due:
            self._send_hangup()

    async def _dispatch(self, command: AgiCommandLine) -> tuple[int, str, bytes]:
        send = self._protocol.codec.send_reply
        spec = usage.find(command.argv)
        if spec is None:
            return 510, INVALID_MESSAGE, send(AgiReply(510, message=INVALID_MESSAGE))
        if self.dead and not spec.dead:
            return 511, DEAD_MESSAGE, send(AgiReply(511, message=DEAD_MESSAGE))
        outcome = await handlers.HANDLERS[spec.words](self, command.argv)
        if outcome.reply is None:
            reply = AgiReply(520, message=USAGE_MESSAGE, usage=spec.usage)
            return 520, handlers.USAGE, send(reply)
        return handlers.STATUS_CODE[outcome.status], outcome.status, send(outcome.reply)


async def run_agi(chan: Channel, data: str) -> int:
    """The ``AGI(url[,args…])`` application."""
    args = split_args(data)
    url = args[0].strip() if args else ""
    target = split_url(url)
    if target is None:
        log.warning("%s: AGI(%s): only agi:// (FastAGI) is simulated", chan.name, url)
        chan.set_variable("AGISTATUS", "FAILURE")
        return 0
    session = AgiSession(chan, url, args[1:])
    if not await session.connect(*target):
        chan.set_variable("AGISTATUS", "FAILURE")
        return 0
    task = chan.core.spawn(session.run(), name=f"agi {chan.name}")
    done, _ = await asyncio.wait({task, session.pulled}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        return int(task.result())
    # Pulled into a bridge: the zombie session carries on without the channel.
    return -1
