"""The AMI protocol, sans-I/O: framing, the banner, and size limits.

Rules (Asterisk 22, see ../shared/asterisk-traces):

1. The manager greets a client with one banner line, ``Asterisk Call Manager/11.0.0``.
2. Then messages both ways: ``Key: Value`` lines ending with ``\\r\\n`` (a bare ``\\n`` is
   accepted, as manager.c does), and an empty line ending the message. Extra empty lines
   between messages are ignored.
3. Bytes are decoded as UTF-8 only once a whole message is framed, so a character split
   across two TCP reads survives; invalid UTF-8 is replaced, never raised on.
4. Limits on line length, message size and field count bound what a hostile peer can make
   us buffer. Breaking them, a line without a colon, or a close in the middle of a message
   raises :class:`~telephony.errors.RemoteProtocolError`.

Correlating responses and lists with their actions is :mod:`telephony.ami.correlation`'s
job, not the codec's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from telephony.ami.message import AmiMessage
from telephony.errors import LocalProtocolError, RemoteProtocolError
from telephony.framing import LineBuffer

BANNER_PREFIX = "Asterisk Call Manager/"
DEFAULT_VERSION = "11.0.0"


class Role(enum.Enum):
    """Which end of the AMI socket we are."""

    CLIENT = "client"
    """We connected to a manager (Asterisk, the simulator): a banner comes first."""
    SERVER = "server"
    """We are the manager (the simulator, our supervisor listener): we send the banner."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what one peer may make us buffer."""

    max_line: int = 64 * 1024
    max_message: int = 1024 * 1024
    max_fields: int = 4096


# Asterisk itself drops inbound lines over 1024 bytes (manager.c's input buffer); a
# manager we run gets the same treatment, with some slack.
SERVER_LIMITS = Limits(max_line=4096, max_message=256 * 1024, max_fields=512)
CLIENT_LIMITS = Limits()


class _NeedData(enum.Enum):
    NEED_DATA = "NEED_DATA"


NEED_DATA = _NeedData.NEED_DATA
"""Returned by ``next_event()`` when more bytes are needed."""


@dataclass(frozen=True)
class Banner:
    """The greeting line; ``version`` is what follows the slash."""

    text: str

    @property
    def version(self) -> str:
        """Protocol version, e.g. ``11.0.0``."""
        return self.text.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ConnectionClosed:
    """The peer closed the socket between two messages."""


AmiEvent = Banner | AmiMessage | ConnectionClosed | _NeedData


def _decode_message(lines: list[bytes]) -> AmiMessage:
    text = b"\n".join(lines).decode("utf-8", errors="replace")
    fields: list[tuple[str, str]] = []
    for line in text.split("\n"):
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key:
            raise RemoteProtocolError(f"AMI line without 'Key: Value' form: {line[:80]!r}")
        fields.append((key, value.lstrip(" ")))
    return AmiMessage(tuple(fields))


class AmiConnection:
    """One AMI socket, either end (see :class:`Role`)."""

    def __init__(self, role: Role, limits: Limits | None = None) -> None:
        self.role = role
        self._limits = limits or (CLIENT_LIMITS if role is Role.CLIENT else SERVER_LIMITS)
        self._lines = LineBuffer(self._limits.max_line)
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._need_banner = role is Role.CLIENT
        self._banner_sent = False
        self._closed = False

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket; ``b""`` means the peer closed."""
        self._lines.feed(data)

    def banner(self, version: str = DEFAULT_VERSION) -> bytes:
        """The greeting a manager sends first (server role only)."""
        if self.role is not Role.SERVER:
            raise LocalProtocolError("only the manager side sends the AMI banner")
        self._banner_sent = True
        return f"{BANNER_PREFIX}{version}\r\n".encode()

    def send(self, message: AmiMessage) -> bytes:
        """The bytes of one message."""
        if self.role is Role.SERVER and not self._banner_sent:
            raise LocalProtocolError("the AMI banner must be sent before any message")
        return message.encode()

    def next_event(self) -> AmiEvent:
        """Return the next banner/message, :class:`ConnectionClosed`, or :data:`NEED_DATA`."""
        if self._closed:
            return ConnectionClosed()
        while True:
            raw = self._lines.next_line()
            if raw is None:
                return self._at_end_of_buffer()
            if self._need_banner:
                self._need_banner = False
                text = raw.decode("utf-8", errors="replace")
                if "/" not in text or not text.strip():
                    raise RemoteProtocolError(f"expected the AMI banner, got {text[:80]!r}")
                return Banner(text)
            if not raw:
                if self._pending:
                    lines, self._pending, self._pending_bytes = self._pending, [], 0
                    return _decode_message(lines)
                continue  # blank lines between messages are harmless
            self._pending.append(raw)
            self._pending_bytes += len(raw) + 2
            if len(self._pending) > self._limits.max_fields:
                raise RemoteProtocolError(f"AMI message with more than {self._limits.max_fields} fields")
            if self._pending_bytes > self._limits.max_message:
                raise RemoteProtocolError(f"AMI message larger than {self._limits.max_message} bytes")

    def _at_end_of_buffer(self) -> AmiEvent:
        if not self._lines.at_eof:
            return NEED_DATA
        if self._pending or self._lines.pending:
            raise RemoteProtocolError("AMI peer closed the connection in the middle of a message")
        self._closed = True
        return ConnectionClosed()
