"""Asterisk's side of one FastAGI call for the load generator: lean, one asyncio.Protocol per call.

The simulator (``asterisk_sim``) models channels, media and AMI; this plays only the socket
dialogue, as cheaply as it can, so the load generator costs less than what it measures:

* it sends the ``agi_*`` environment, in Asterisk 22's key order;
* it answers every command at once (media time zero), or after a think time (paced runs), or
  holds one reply until released (the memory measurement);
* the caller's keys are pressed, one per command, on the commands that listen for DTMF:
  STREAM FILE, CONTROL STREAM FILE, GET OPTION and SAY … with escape digits, WAIT FOR DIGIT,
  GET DATA;
* ``HANGUP`` answers ``200 result=1`` followed by the ``HANGUP`` notice, as Asterisk does; the
  call is complete when the server then closes the socket.

Command lines are split by Asterisk's rules (:func:`split_line`). *Turnaround* is the time from writing a reply to receiving the next command line.
"""

from __future__ import annotations

import asyncio
import collections
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telephony.agi.commands import split_command_line

_WORD = re.compile(r'"([^"]*)"|(\S+)')
_GLUED = re.compile(r'\S"\S')

DEAD = b"511 Command Not Permitted on a dead channel or intercept routine\n"
UNKNOWN = b"510 Invalid or unknown command\n"


@dataclass
class Tally:
    """What every call of one load-generator run adds to (one event loop: no locks)."""

    recording: bool = False
    """Turnaround samples are kept only inside the measurement window."""
    turnaround: list[float] = field(default_factory=list)
    completed: int = 0
    """Calls that reached HANGUP and were then closed by the server."""
    failed: int = 0
    """Calls the server closed (or that broke) before HANGUP."""
    commands: int = 0
    transcript: list[str] | None = None
    """When set, the first call's command lines are appended here (to learn the sequence)."""


class Hold:
    """Holds the reply to command number ``at`` of every call until :meth:`release`."""

    def __init__(self, at: int) -> None:
        self.at = at
        self._held: list[tuple[CallerProtocol, bytes]] = []
        self._released = False

    @property
    def count(self) -> int:
        """Calls held right now."""
        return len(self._held)

    def keep(self, call: CallerProtocol, reply: bytes) -> None:
        """Hold ``reply`` (or send it at once if already released)."""
        if self._released:
            call.send(reply)
        else:
            self._held.append((call, reply))

    def release(self) -> None:
        """Send every held reply; later calls are no longer held."""
        self._released = True
        held, self._held = self._held, []
        for call, reply in held:
            call.send(reply)

    def drop(self) -> None:
        """Abort every held call; later calls are no longer held."""
        self._released = True
        held, self._held = self._held, []
        for call, _ in held:
            call.abort()


def environment_block(seq: int, script: str, port: int) -> bytes:
    """The ``agi_*`` block of call number ``seq`` (a PJSIP trunk caller dialling 5000)."""
    channel = f"PJSIP/trunk-{seq:08x}"
    lines = (
        "agi_network: yes",
        f"agi_network_script: {script}",
        f"agi_request: agi://127.0.0.1:{port}/{script}",
        f"agi_channel: {channel}",
        "agi_language: en",
        "agi_type: PJSIP",
        f"agi_uniqueid: 1700000000.{seq}",
        "agi_version: 22.0.0",
        f"agi_callerid: 555{seq % 10000:04d}",
        "agi_calleridname: Bench",
        "agi_callingpres: 0",
        "agi_callingani2: 0",
        "agi_callington: 0",
        "agi_callingtns: 0",
        "agi_dnid: 5000",
        "agi_rdnis: unknown",
        "agi_context: ivr-acd-inbound",
        "agi_extension: 5000",
        "agi_priority: 3",
        "agi_enhanced: 0.0",
        "agi_accountcode: ",
        f"agi_threadid: {140000000000000 + seq}",
    )
    return ("\n".join(lines) + "\n\n").encode()


def split_line(line: str) -> tuple[str, ...]:
    """Split a command line as Asterisk does; a regular expression for the common case (no
    backslash, quotes around whole words), :func:`split_command_line` otherwise."""
    if "\\" in line or _GLUED.search(line):
        return split_command_line(line)
    return tuple(quoted or bare for quoted, bare in _WORD.findall(line))


def _take(keys: collections.deque[str], escape: str) -> str | None:
    if keys and keys[0] in escape:
        return keys.popleft()
    return None


def _played(key: str | None, endpos: bool = True) -> bytes:
    result = ord(key) if key else 0
    return f"200 result={result} endpos=0\n".encode() if endpos else f"200 result={result}\n".encode()


def reply_for(argv: tuple[str, ...], keys: collections.deque[str]) -> bytes:
    """Asterisk's reply to one command, media taking no time; presses the caller's next key
    when the command listens for one."""
    words = [w.upper() for w in argv[:3]]
    head = words[0] if words else ""
    second = words[1] if len(words) > 1 else ""
    if head == "HANGUP":
        return b"200 result=1\n"
    if head == "ANSWER" or head == "NOOP" or head == "EXEC":
        return b"200 result=0\n"
    if head == "STREAM" and second == "FILE":
        return _played(_take(keys, argv[3] if len(argv) > 3 else ""))
    if head == "CONTROL":
        return _played(_take(keys, argv[4] if len(argv) > 4 else ""), endpos=False)
    if head == "GET" and second == "OPTION":
        return _played(_take(keys, argv[3] if len(argv) > 3 else ""))
    if head == "SAY":
        return _played(_take(keys, argv[3] if len(argv) > 3 else ""), endpos=False)
    if head == "WAIT":
        return _played(keys.popleft() if keys else None, endpos=False)
    if head == "GET" and second == "DATA":
        limit = int(argv[4]) if len(argv) > 4 and argv[4].isdigit() else 1024
        digits = ""
        while keys and len(digits) < limit and keys[0] != "#":
            digits += keys.popleft()
        return f"200 result={digits}\n".encode() if digits else b"200 result= (timeout)\n"
    if head == "SET":
        return b"200 result=1\n" if second == "VARIABLE" else b"200 result=0\n"
    if head == "GET":
        return b"200 result=0\n"
    if head == "RECORD":
        return b"200 result=0 (timeout) endpos=0\n"
    return UNKNOWN


class CallerProtocol(asyncio.Protocol):
    """One call: the environment out, replies to the daemon's commands, done when closed."""

    def __init__(
        self,
        env: bytes,
        keys: str,
        tally: Tally,
        done: asyncio.Future[bool],
        *,
        think: Callable[[], float] | None = None,
        hold: Hold | None = None,
        live: set[CallerProtocol] | None = None,
    ) -> None:
        self._env = env
        self._keys = collections.deque(keys)
        self._tally = tally
        self._done = done
        self._think = think
        self._hold = hold
        self._live = live
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._sent_at: float | None = None
        self._commands = 0
        self._hung_up = False
        self._loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if self._live is not None:
            self._live.add(self)
        transport.write(self._env)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buffer = self._buffer + data
        while True:
            cut = buffer.find(b"\n")
            if cut < 0:
                break
            line, buffer = buffer[:cut], buffer[cut + 1 :]
            self._command(line.decode("utf-8", "replace").rstrip("\r"), now)
        self._buffer = buffer

    def _command(self, line: str, now: float) -> None:
        tally = self._tally
        if self._sent_at is not None and tally.recording:
            tally.turnaround.append(now - self._sent_at)
        self._sent_at = None
        tally.commands += 1
        if tally.transcript is not None:
            tally.transcript.append(line)
        self._commands += 1
        if self._hung_up:
            reply = DEAD
        else:
            argv = split_line(line)
            reply = reply_for(argv, self._keys)
            if argv and argv[0].upper() == "HANGUP":
                self._hung_up = True
                reply += b"HANGUP\n"
        if self._hold is not None and self._commands == self._hold.at:
            self._hold.keep(self, reply)
            return
        delay = self._think() if self._think is not None else 0.0
        if delay > 0:
            self._loop.call_later(delay, self.send, reply)
        else:
            self.send(reply)

    def send(self, reply: bytes) -> None:
        """Write a reply (and start the turnaround clock)."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.write(reply)
        self._sent_at = time.perf_counter()

    def abort(self) -> None:
        """Drop the call (reset the connection), as at the end of a measurement."""
        if self._transport is not None:
            self._transport.abort()

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self._live is not None:
            self._live.discard(self)
        if self._hung_up and exc is None:
            self._tally.completed += 1
        else:
            self._tally.failed += 1
        if not self._done.done():
            self._done.set_result(self._hung_up)
