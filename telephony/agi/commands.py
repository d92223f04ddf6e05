"""Typed AGI commands: building them with correct quoting, and splitting them as Asterisk does.

Asterisk splits a command line with ``parse_args()`` in res_agi.c: blanks separate words,
a double quote toggles quoting (and, coming off a blank, starts a word, so ``""`` is an
empty argument), a backslash makes the next character literal, inside quotes or not.
:func:`quote_arg` produces exactly what that splitter turns back into the original string,
and :func:`split_command_line` is our own reading of the same rules, used by the simulator.

A CR, LF or NUL inside an argument cannot be carried (it would end the command early and
inject a second one), so building such a command is a :class:`LocalProtocolError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from telephony.errors import LocalProtocolError

# res_agi.c reads commands into a 2048-byte buffer (AGI_BUF_LEN); a longer line would be
# cut and its tail run as a second command.
MAX_COMMAND_BYTES = 2047
# parse_args() keeps at most MAX_ARGS (128) words, the last slot being the terminator.
MAX_ARGS = 127

_NEEDS_QUOTES = frozenset(' \t"\\')
_FORBIDDEN = frozenset("\r\n\0")


def quote_arg(arg: str, *, always: bool = False) -> str:
    """Quote one argument so Asterisk's parser reads it back unchanged."""
    if _FORBIDDEN.intersection(arg):
        raise LocalProtocolError(f"AGI argument contains a line break or NUL: {arg!r}")
    if always or not arg or _NEEDS_QUOTES.intersection(arg):
        escaped = arg.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return arg


@dataclass(frozen=True)
class Quoted:
    """An argument always sent in double quotes (escape digits, by convention of AGI clients)."""

    value: str


@dataclass(frozen=True)
class AgiCommand:
    """One AGI command: its words (``STREAM FILE``) and its arguments."""

    name: str
    args: tuple[str | Quoted, ...] = ()

    @property
    def line(self) -> str:
        """The command as one line of text, without the newline."""
        words = [self.name]
        for arg in self.args:
            if isinstance(arg, Quoted):
                words.append(quote_arg(arg.value, always=True))
            else:
                words.append(quote_arg(arg))
        return " ".join(words)

    def encode(self) -> bytes:
        """The bytes to send, newline included."""
        if _FORBIDDEN.intersection(self.name):
            raise LocalProtocolError(f"AGI command name contains a line break: {self.name!r}")
        data = self.line.encode("utf-8") + b"\n"
        if len(data) - 1 > MAX_COMMAND_BYTES:
            raise LocalProtocolError(
                f"AGI command of {len(data) - 1} bytes exceeds Asterisk's {MAX_COMMAND_BYTES}-byte limit"
            )
        return data

    def __str__(self) -> str:
        return self.line


def split_command_line(line: str) -> tuple[str, ...]:
    """Split a received command line into words, following res_agi.c ``parse_args()``."""
    words: list[str] = []
    current: list[str] = []
    in_word = False
    quoted = False
    escaped = False
    for ch in line:
        if escaped:
            if not in_word:
                in_word = True
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
            if quoted and not in_word:
                in_word = True
        elif ch in " \t" and not quoted:
            if in_word:
                words.append("".join(current))
                current = []
                in_word = False
        else:
            if not in_word:
                in_word = True
            current.append(ch)
    if in_word:
        words.append("".join(current))
    return tuple(words[:MAX_ARGS])


def _ms(seconds: float) -> str:
    return str(round(seconds * 1000))


# ---------------------------------------------------------------- builders
# One function per command the daemon uses; names follow Asterisk's command words.


def answer() -> AgiCommand:
    """``ANSWER``."""
    return AgiCommand("ANSWER")


def hangup(channel: str | None = None) -> AgiCommand:
    """``HANGUP [channel]``."""
    return AgiCommand("HANGUP", (channel,) if channel else ())


def noop(text: str = "") -> AgiCommand:
    """``NOOP [text]``: a no-op that still gets ``200`` on a dead channel."""
    return AgiCommand("NOOP", (text,) if text else ())


def stream_file(name: str, escape_digits: str = "", offset: int | None = None) -> AgiCommand:
    """``STREAM FILE``: play a sound; returns the digit pressed (if escapable) and ``endpos``."""
    args: tuple[str | Quoted, ...] = (name, Quoted(escape_digits))
    if offset is not None:
        args += (str(offset),)
    return AgiCommand("STREAM FILE", args)


def control_stream_file(
    name: str, escape_digits: str = "", skip_ms: int = 3000, offset: int | None = None
) -> AgiCommand:
    """``CONTROL STREAM FILE`` without forward/rewind/pause keys."""
    args: tuple[str | Quoted, ...] = (
        name,
        Quoted(escape_digits),
        str(skip_ms),
        Quoted(""),
        Quoted(""),
        Quoted(""),
    )
    if offset is not None:
        args += (str(offset),)
    return AgiCommand("CONTROL STREAM FILE", args)


def get_data(name: str, timeout: float | None = None, max_digits: int | None = None) -> AgiCommand:
    """``GET DATA``: play a prompt and read digits until ``#``, max digits or timeout."""
    args: tuple[str | Quoted, ...] = (name,)
    if timeout is not None:
        args += (_ms(timeout),)
        if max_digits is not None:
            args += (str(max_digits),)
    return AgiCommand("GET DATA", args)


def get_option(name: str, escape_digits: str, timeout: float | None = None) -> AgiCommand:
    """``GET OPTION``: like STREAM FILE, then wait ``timeout`` for a digit."""
    args: tuple[str | Quoted, ...] = (name, Quoted(escape_digits))
    if timeout is not None:
        args += (_ms(timeout),)
    return AgiCommand("GET OPTION", args)


def wait_for_digit(timeout: float | None) -> AgiCommand:
    """``WAIT FOR DIGIT``: ``None`` waits forever (``-1``)."""
    return AgiCommand("WAIT FOR DIGIT", ("-1" if timeout is None else _ms(timeout),))


def say_number(number: int, escape_digits: str = "") -> AgiCommand:
    """``SAY NUMBER``."""
    return AgiCommand("SAY NUMBER", (str(number), Quoted(escape_digits)))


def say_digits(digits: str, escape_digits: str = "") -> AgiCommand:
    """``SAY DIGITS``."""
    return AgiCommand("SAY DIGITS", (digits, Quoted(escape_digits)))


def say_alpha(text: str, escape_digits: str = "") -> AgiCommand:
    """``SAY ALPHA``."""
    return AgiCommand("SAY ALPHA", (text, Quoted(escape_digits)))


def say_datetime(
    epoch: int, escape_digits: str = "", fmt: str | None = None, tz: str | None = None
) -> AgiCommand:
    """``SAY DATETIME`` with an optional say.conf format and timezone."""
    args: tuple[str | Quoted, ...] = (str(epoch), Quoted(escape_digits))
    if fmt is not None or tz is not None:
        args += (fmt or "ABdY 'digits/at' IMp",)
        if tz is not None:
            args += (tz,)
    return AgiCommand("SAY DATETIME", args)


def set_variable(name: str, value: str) -> AgiCommand:
    """``SET VARIABLE``."""
    return AgiCommand("SET VARIABLE", (name, value))


def get_variable(name: str) -> AgiCommand:
    """``GET VARIABLE``: ``result=1 (value)`` or ``result=0`` when unset."""
    return AgiCommand("GET VARIABLE", (name,))


def get_full_variable(expression: str, channel: str | None = None) -> AgiCommand:
    """``GET FULL VARIABLE``: evaluates ``${...}`` expressions."""
    return AgiCommand("GET FULL VARIABLE", (expression, channel) if channel else (expression,))


def exec_app(application: str, options: str = "") -> AgiCommand:
    """``EXEC <application> <options>``: res_agi passes one options string to the app."""
    return AgiCommand("EXEC", (application, options) if options else (application,))


def channel_status(channel: str | None = None) -> AgiCommand:
    """``CHANNEL STATUS``: 6 = up, 4 = ring, …"""
    return AgiCommand("CHANNEL STATUS", (channel,) if channel else ())


def set_music(on: bool, music_class: str | None = None) -> AgiCommand:
    """``SET MUSIC on|off [class]``."""
    args: tuple[str | Quoted, ...] = ("on" if on else "off",)
    if music_class:
        args += (music_class,)
    return AgiCommand("SET MUSIC", args)


def record_file(
    filename: str,
    fmt: str,
    escape_digits: str,
    timeout: float | None,
    *,
    beep: bool = False,
    silence: float | None = None,
) -> AgiCommand:
    """``RECORD FILE``: ``timeout`` ``None`` records without limit (``-1``)."""
    args: tuple[str | Quoted, ...] = (
        filename,
        fmt,
        Quoted(escape_digits),
        "-1" if timeout is None else _ms(timeout),
    )
    if beep:
        args += ("BEEP",)
    if silence is not None:
        args += (f"s={round(silence)}",)
    return AgiCommand("RECORD FILE", args)


def database_put(family: str, key: str, value: str) -> AgiCommand:
    """``DATABASE PUT``."""
    return AgiCommand("DATABASE PUT", (family, key, value))


def verbose(message: str, level: int = 1) -> AgiCommand:
    """``VERBOSE``: a line in the Asterisk console log."""
    return AgiCommand("VERBOSE", (message, str(level)))
