"""The AGI protocol, sans-I/O: bytes in, typed events out; typed commands in, bytes out.

Two connection objects, one per side of a FastAGI socket:

* :class:`AgiServerConnection` is the daemon's side. It reads the ``agi_*`` environment
  block, then replies to the commands we send, and the standalone ``HANGUP`` notification.
* :class:`AgiClientConnection` is Asterisk's side (the simulator and the benchmark load
  generator use it): it sends the environment, reads command lines and writes replies.

Rules of the daemon's side, as Asterisk 22 behaves (see ../shared/asterisk-traces):

1. The session starts with ``key: value`` lines ending with an empty line.
2. Then exactly one reply per command, in order. ``100 result=0 Trying...`` is provisional
   (GOSUB sends it before the final ``200``); the command stays in flight.
3. A ``520-`` line opens a multi-line usage block that ends with ``520 End of proper usage.``
   (some versions glue that terminator to the last usage line).
4. ``HANGUP`` may arrive at any time after the environment, including **before the reply to
   the command in flight**; that reply still follows (often ``511``). It means the channel
   left AGI, which is not proof the caller hung up: a bridge pull or an AMI Redirect sends
   it too. Only AMI tells them apart.
5. A reply while no command is in flight is a protocol violation.

Every violation by the peer raises :class:`~telephony.errors.RemoteProtocolError`; misuse by
us raises :class:`~telephony.errors.LocalProtocolError`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from telephony.agi.commands import MAX_COMMAND_BYTES, AgiCommand, split_command_line
from telephony.agi.environment import AgiEnvironment
from telephony.errors import LocalProtocolError, RemoteProtocolError
from telephony.framing import LineBuffer

# Replies can carry a variable's value, so allow far more than a command line; still
# bounded so a peer cannot make us buffer without limit.
DEFAULT_MAX_LINE = 16 * 1024
MAX_ENV_LINES = 512
MAX_USAGE_LINES = 256

USAGE_END = "520 End of proper usage."


class _NeedData(enum.Enum):
    NEED_DATA = "NEED_DATA"


NEED_DATA = _NeedData.NEED_DATA
"""Returned by ``next_event()`` when more bytes are needed."""


@dataclass(frozen=True)
class ConnectionClosed:
    """The peer closed the socket at a clean boundary."""


@dataclass(frozen=True)
class HangupNotice:
    """The standalone ``HANGUP`` line: the channel left AGI (hangup, bridge pull or redirect)."""


@dataclass(frozen=True)
class AgiReply:
    """One reply line (or usage block) from Asterisk.

    ``result`` is kept as the raw text: GET DATA returns digit strings such as ``0123``
    whose leading zero matters, and ``result= (timeout)`` has an empty result.
    """

    code: int
    result: str | None = None
    data: str | None = None
    endpos: int | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    message: str = ""
    usage: str | None = None

    @property
    def ok(self) -> bool:
        """A final ``200`` reply."""
        return self.code == 200

    @property
    def provisional(self) -> bool:
        """``100 Trying``: the final reply is still to come."""
        return self.code == 100

    @property
    def result_int(self) -> int | None:
        """``result`` as an integer, or None when absent or not numeric."""
        if self.result is None:
            return None
        try:
            return int(self.result)
        except ValueError:
            return None

    @property
    def digit(self) -> str | None:
        """The DTMF key a playback/wait command returned (``result=49`` → ``"1"``), if any."""
        value = self.result_int
        if value is None or value <= 0 or value > 0x10FFFF:
            return None
        char = chr(value)
        return char if char in "0123456789*#ABCD" else None

    @property
    def failed(self) -> bool:
        """``result=-1``: the command failed, typically because the channel is gone."""
        return self.result_int == -1

    def format(self) -> str:
        """The reply as Asterisk would write it (used by the simulator)."""
        if self.usage is not None:
            return f"{self.code}-{self.message}\n{self.usage}\n{USAGE_END}"
        if self.result is None:
            return f"{self.code} {self.message}".rstrip()
        parts = [f"{self.code} result={self.result}"]
        if self.data is not None:
            parts.append(f"({self.data})")
        if self.endpos is not None:
            parts.append(f"endpos={self.endpos}")
        parts.extend(f"{key}={value}" for key, value in self.attributes.items())
        if self.message:
            parts.append(self.message)
        return " ".join(parts)


@dataclass(frozen=True)
class AgiCommandLine:
    """A command line received by Asterisk's side, split as res_agi.c splits it."""

    text: str
    argv: tuple[str, ...]

    @property
    def words(self) -> tuple[str, ...]:
        """The words upper-cased, for matching command names (``stream file`` == ``STREAM FILE``)."""
        return tuple(word.upper() for word in self.argv)


AgiServerEvent = AgiEnvironment | AgiReply | HangupNotice | ConnectionClosed | _NeedData
AgiClientEvent = AgiCommandLine | ConnectionClosed | _NeedData

_STATUS_LINE = re.compile(r"(\d{3})([ -])(.*)", re.DOTALL)
_ATTR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)
_ENV_KEY = re.compile(r"[A-Za-z0-9_]+")


def _decode(line: bytes) -> str:
    # Asterisk passes channel data through untouched; never let a bad byte raise.
    return line.decode("utf-8", errors="replace")


def _split_tail(tail: str) -> tuple[dict[str, str], str]:
    """Split what follows result/data into ``key=value`` attributes and free text."""
    attributes: dict[str, str] = {}
    text: list[str] = []
    last_key: str | None = None
    for token in tail.split(" "):
        if not token:
            continue
        match = _ATTR.fullmatch(token)
        if match:
            last_key = match.group(1)
            attributes[last_key] = match.group(2)
        elif last_key is not None:
            # "results=foo bar": a value with a blank in it (speech recognition replies)
            attributes[last_key] += f" {token}"
        else:
            text.append(token)
    return attributes, " ".join(text)


def _close_paren(text: str) -> int:
    """Index of the ``)`` closing the data opened by ``text[0] == "("``.

    The data may itself contain parentheses (a variable's value), so take the last ``)``
    that is followed by the end of the line or by a ``key=value`` attribute; failing that,
    the last ``)`` of the line.
    """
    last = text.rfind(")")
    if last <= 0:
        raise RemoteProtocolError(f"unterminated '(' in AGI reply: {text[:80]!r}")
    idx = last
    while idx > 0:
        tail = text[idx + 1 :]
        if not tail or (tail.startswith(" ") and _ATTR.match(tail.lstrip(" ").split(" ", 1)[0])):
            return idx
        idx = text.rfind(")", 1, idx)
    return last


def parse_reply_line(line: str) -> AgiReply:
    """Parse one single-line reply (``200 result=1 (x) endpos=5``, ``510 …``, ``100 …``)."""
    match = _STATUS_LINE.fullmatch(line)
    if match is None or match.group(2) != " ":
        raise RemoteProtocolError(f"malformed AGI reply: {line[:80]!r}")
    code = int(match.group(1))
    body = match.group(3)
    if not body.startswith("result="):
        if code == 200:
            raise RemoteProtocolError(f"AGI 200 reply without result=: {line[:80]!r}")
        return AgiReply(code=code, message=body)
    rest = body[len("result=") :]
    cut = rest.find(" ")
    result, rest = (rest, "") if cut < 0 else (rest[:cut], rest[cut:])
    data: str | None = None
    if rest.startswith(" ("):
        close = _close_paren(rest[1:]) + 1
        data = rest[2:close]
        rest = rest[close + 1 :]
    attributes, message = _split_tail(rest)
    endpos_text = attributes.pop("endpos", None)
    endpos: int | None = None
    if endpos_text is not None:
        try:
            endpos = int(endpos_text)
        except ValueError:
            raise RemoteProtocolError(f"non-numeric endpos in AGI reply: {line[:80]!r}") from None
    return AgiReply(
        code=code, result=result, data=data, endpos=endpos, attributes=attributes, message=message
    )


def _parse_env_line(line: str) -> tuple[str, str]:
    key, sep, value = line.partition(":")
    if not sep or not _ENV_KEY.fullmatch(key):
        raise RemoteProtocolError(f"malformed AGI environment line: {line[:80]!r}")
    return key, value[1:] if value.startswith(" ") else value


class _ServerState(enum.Enum):
    ENVIRONMENT = "environment"
    IDLE = "idle"
    AWAITING = "awaiting"
    USAGE = "usage"
    CLOSED = "closed"


class AgiServerConnection:
    """The daemon's side of one FastAGI session (see the module docstring for the rules)."""

    def __init__(self, max_line: int = DEFAULT_MAX_LINE) -> None:
        self._lines = LineBuffer(max_line)
        self._state = _ServerState.ENVIRONMENT
        self._env: dict[str, str] = {}
        self._usage: list[str] = []
        self._usage_head = ""
        self._received_any = False
        self.hangup_received = False
        """True once ``HANGUP`` was seen: the channel has left AGI."""

    @property
    def command_in_flight(self) -> bool:
        """True between :meth:`send` and the final reply."""
        return self._state in (_ServerState.AWAITING, _ServerState.USAGE)

    @property
    def environment_received(self) -> bool:
        """True once the environment block is complete."""
        return self._state is not _ServerState.ENVIRONMENT

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket; ``b""`` means the peer closed."""
        if data:
            self._received_any = True
        self._lines.feed(data)

    def send(self, command: AgiCommand) -> bytes:
        """Return the bytes for ``command``; one command at a time."""
        if self._state is _ServerState.ENVIRONMENT:
            raise LocalProtocolError("cannot send a command before the AGI environment is received")
        if self._state is _ServerState.CLOSED:
            raise LocalProtocolError("cannot send a command on a closed AGI session")
        if self.command_in_flight:
            raise LocalProtocolError("an AGI command is already in flight on this channel")
        data = command.encode()
        self._state = _ServerState.AWAITING
        return data

    def next_event(self) -> AgiServerEvent:
        """Return the next event, or :data:`NEED_DATA`."""
        while True:
            if self._state is _ServerState.CLOSED:
                return ConnectionClosed()
            raw = self._lines.next_line()
            if raw is None:
                return self._at_end_of_buffer()
            event = self._handle_line(_decode(raw))
            if event is not None:
                return event

    def _at_end_of_buffer(self) -> AgiServerEvent:
        if not self._lines.at_eof:
            return NEED_DATA
        if self._lines.pending:
            raise RemoteProtocolError("AGI peer closed the connection in the middle of a line")
        if self._state is _ServerState.ENVIRONMENT and self._received_any:
            raise RemoteProtocolError("AGI peer closed the connection before the end of the environment")
        if self._state is _ServerState.USAGE:
            raise RemoteProtocolError("AGI peer closed the connection inside a 520 usage block")
        self._state = _ServerState.CLOSED
        return ConnectionClosed()

    def _handle_line(self, line: str) -> AgiServerEvent | None:
        if self._state is _ServerState.ENVIRONMENT:
            if not line:
                self._state = _ServerState.IDLE
                return AgiEnvironment(dict(self._env))
            if len(self._env) >= MAX_ENV_LINES:
                raise RemoteProtocolError(f"AGI environment longer than {MAX_ENV_LINES} lines")
            key, value = _parse_env_line(line)
            self._env[key] = value
            return None
        if self._state is _ServerState.USAGE:
            return self._usage_line(line)
        if line == "HANGUP":
            self.hangup_received = True
            return HangupNotice()
        if self._state is _ServerState.IDLE:
            raise RemoteProtocolError(f"AGI reply with no command in flight: {line[:80]!r}")
        if line.startswith("520-"):
            self._state = _ServerState.USAGE
            self._usage_head = line[4:]
            self._usage = []
            return None
        reply = parse_reply_line(line)
        if not reply.provisional:
            self._state = _ServerState.IDLE
        return reply

    def _usage_line(self, line: str) -> AgiReply | None:
        if line.endswith(USAGE_END):
            glued = line[: -len(USAGE_END)]
            if glued:
                self._usage.append(glued)
            self._state = _ServerState.IDLE
            return AgiReply(code=520, message=self._usage_head, usage="\n".join(self._usage))
        if len(self._usage) >= MAX_USAGE_LINES:
            raise RemoteProtocolError(f"AGI 520 usage block longer than {MAX_USAGE_LINES} lines")
        self._usage.append(line)
        return None


class AgiClientConnection:
    """Asterisk's side of a FastAGI session: environment out, commands in, replies out."""

    def __init__(self, max_line: int = MAX_COMMAND_BYTES + 1) -> None:
        self._lines = LineBuffer(max_line)
        self._closed = False
        self.hangup_sent = False

    def send_environment(self, env: Mapping[str, str]) -> bytes:
        """The environment block: ``key: value`` lines and the closing empty line."""
        out: list[str] = []
        for key, value in env.items():
            if not _ENV_KEY.fullmatch(key) or "\n" in value or "\r" in value:
                raise LocalProtocolError(f"cannot send AGI environment entry {key!r}")
            out.append(f"{key}: {value}\n")
        out.append("\n")
        return "".join(out).encode("utf-8")

    def send_reply(self, reply: AgiReply) -> bytes:
        """The bytes of one reply."""
        return (reply.format() + "\n").encode("utf-8")

    def send_hangup(self) -> bytes:
        """The standalone ``HANGUP`` notification."""
        self.hangup_sent = True
        return b"HANGUP\n"

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket; ``b""`` means the AGI server closed."""
        self._lines.feed(data)

    def next_event(self) -> AgiClientEvent:
        """Return the next command line, :class:`ConnectionClosed`, or :data:`NEED_DATA`."""
        if self._closed:
            return ConnectionClosed()
        raw = self._lines.next_line()
        if raw is None:
            if not self._lines.at_eof:
                return NEED_DATA
            if self._lines.pending:
                raise RemoteProtocolError("AGI server closed the connection in the middle of a command")
            self._closed = True
            return ConnectionClosed()
        text = _decode(raw)
        return AgiCommandLine(text=text, argv=split_command_line(text))
