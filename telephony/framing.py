"""Line framing shared by the AGI and AMI codecs.

Both protocols are line based. Asterisk ends AGI lines with ``\\n`` and AMI lines with
``\\r\\n``; Asterisk's own AMI reader also accepts a bare ``\\n`` (manager.c strips the
``\\r``), so we accept both everywhere and strip one trailing ``\\r``.

A line is returned as **bytes**: decoding is the caller's job, done only once a whole unit
(an AGI line, an AMI message) is framed, so a multi-byte UTF-8 character split across two
TCP reads is never decoded in halves.
"""

from __future__ import annotations

from telephony.errors import RemoteProtocolError


class LineBuffer:
    """Accumulates received bytes and hands out complete lines.

    ``max_line`` bounds memory: a peer that sends more than that without a newline is a
    :class:`RemoteProtocolError`, so a hostile peer cannot make us buffer without limit.
    """

    __slots__ = ("_buf", "_eof", "_max_line", "_scan")

    def __init__(self, max_line: int) -> None:
        self._buf = bytearray()
        # Where the newline search resumes: re-scanning from 0 after every 1-byte read
        # would make byte-by-byte delivery quadratic.
        self._scan = 0
        self._eof = False
        self._max_line = max_line

    def feed(self, data: bytes) -> None:
        """Append received bytes; ``b""`` marks the end of the stream."""
        if not data:
            self._eof = True
            return
        if self._eof:
            raise RemoteProtocolError("data received after end of stream")
        self._buf += data

    @property
    def at_eof(self) -> bool:
        """True once the peer closed its side."""
        return self._eof

    @property
    def pending(self) -> int:
        """Bytes received but not yet returned as a line."""
        return len(self._buf)

    def next_line(self) -> bytes | None:
        """Return the next complete line without its terminator, or None if incomplete."""
        idx = self._buf.find(b"\n", self._scan)
        if idx < 0:
            if len(self._buf) > self._max_line:
                raise RemoteProtocolError(f"line longer than {self._max_line} bytes")
            self._scan = len(self._buf)
            return None
        if idx > self._max_line:
            raise RemoteProtocolError(f"line longer than {self._max_line} bytes")
        end = idx - 1 if idx > 0 and self._buf[idx - 1] == 0x0D else idx
        line = bytes(self._buf[:end])
        # bytearray keeps an internal start offset, so deleting a prefix is cheap.
        del self._buf[: idx + 1]
        self._scan = 0
        return line
