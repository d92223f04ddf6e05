"""What each AGI command does to the channel, and the reply Asterisk 22 sends for it.

A handler returns the reply line and how res_agi.c classifies the run for ``AGIExecEnd``:
``Success`` (200), ``Failure`` (-1: the command failed, usually because the channel hung
up), ``Unknown Result`` (200: ``EXEC`` of an application that returned non-zero) or
``Usage`` (520: wrong arguments). Replies follow res_agi.c: ``STREAM FILE`` answers
``result=<digit code> endpos=<samples>``, ``CONTROL STREAM FILE`` reports its position in
milliseconds (``-1`` at the end of the file), ``GET DATA`` appends ``(timeout)`` when it
timed out, ``GET VARIABLE`` answers ``result=0`` for an unset variable.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from asterisk_sim import media
from asterisk_sim.causes import SoftHangup, State
from asterisk_sim.channel import ANY_DIGIT, CallerId, Channel, WaitKind
from asterisk_sim.dialplan.substitution import Scope, substitute
from asterisk_sim.sounds import (
    RATE,
    say_alpha_files,
    say_datetime_files,
    say_digits_files,
    say_number_files,
)
from telephony.agi.codec import AgiReply

if TYPE_CHECKING:
    from asterisk_sim.agi.session import AgiSession

SUCCESS = "Success"
FAILURE = "Failure"
UNKNOWN = "Unknown Result"
USAGE = "Usage"

STATUS_CODE = {SUCCESS: 200, FAILURE: -1, UNKNOWN: 200, USAGE: 520}


@dataclass(frozen=True)
class Outcome:
    """A command's reply and its classification (``reply`` is None for a usage error)."""

    reply: AgiReply | None
    status: str


def ok(result: str | int, data: str | None = None, endpos: int | None = None) -> Outcome:
    """``200 result=…`` classified as Success."""
    return Outcome(AgiReply(200, str(result), data, endpos), SUCCESS)


def failed(result: str | int = -1, data: str | None = None, endpos: int | None = None) -> Outcome:
    """``200 result=-1…`` classified as Failure."""
    return Outcome(AgiReply(200, str(result), data, endpos), FAILURE)


USAGE_ERROR = Outcome(None, USAGE)

Handler = Callable[["AgiSession", tuple[str, ...]], Awaitable[Outcome]]


def _by_code(code: int, data: str | None = None, endpos: int | None = None) -> Outcome:
    return ok(code, data, endpos) if code >= 0 else failed(code, data, endpos)


# ---------------------------------------------------------------- channel control


async def answer(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``ANSWER``: Up at once; ``200 result=0`` after the answer delay (500 ms on Local)."""
    chan = session.chan
    if chan.state == State.UP:
        return ok(0)
    chan.answer()
    waited = await chan.wait(chan.answer_delay)
    if waited.kind is WaitKind.INTERRUPTED:
        return failed()
    return ok(0)


async def hangup(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``HANGUP [channel]``."""
    if len(argv) > 2:
        return USAGE_ERROR
    target = session.chan if len(argv) == 1 else session.chan.core.find_channel(argv[1])
    if target is None:
        return ok(-1)
    target.request_softhangup(SoftHangup.EXPLICIT)
    return ok(1)


async def noop(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``NOOP``."""
    return ok(0)


async def channel_status(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``CHANNEL STATUS [channel]``: the channel state number (6 = Up)."""
    if len(argv) > 3:
        return USAGE_ERROR
    target = session.chan if len(argv) == 2 else session.chan.core.find_channel(argv[2])
    return ok(-1) if target is None else ok(int(target.state))


async def set_autohangup(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``SET AUTOHANGUP <seconds>``."""
    if len(argv) != 3:
        return USAGE_ERROR
    try:
        seconds = float(argv[2])
    except ValueError:
        return USAGE_ERROR
    chan = session.chan
    if seconds > 0:
        chan.core.clock.call_later(seconds, lambda: chan.request_softhangup(SoftHangup.TIMEOUT))
    return ok(0)


# ---------------------------------------------------------------- audio


async def stream_file(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``STREAM FILE <file> <escape> [offset]``."""
    if len(argv) not in (4, 5):
        return USAGE_ERROR
    offset = _int(argv[4]) if len(argv) == 5 else 0
    chan = session.chan
    played = await media.play(chan, [argv[2]], argv[3], max(0, offset or 0))
    chan.set_variable("PLAYBACKSTATUS", "FAILED" if played.code else "SUCCESS")
    return _by_code(played.code, endpos=played.samples)


async def control_stream_file(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``CONTROL STREAM FILE <file> <escape> [skipms ff rew pause offsetms]``: positions in ms."""
    if len(argv) < 5 or len(argv) > 10:
        return USAGE_ERROR
    offset_ms = max(0, _int(argv[9]) or 0) if len(argv) > 9 else 0
    chan = session.chan
    played = await media.play(chan, [argv[3]], argv[4], offset_ms * 8)
    if played.digit:
        chan.set_variable("CPLAYBACKSTATUS", "USERSTOPPED")
        chan.set_variable("CPLAYBACKSTOPKEY", played.digit)
        position = played.samples // 8
    elif played.interrupted:
        chan.set_variable("CPLAYBACKSTATUS", "ERROR")
        position = played.samples // 8
    else:
        chan.set_variable("CPLAYBACKSTATUS", "SUCCESS")
        position = -1  # app.c reports -1 once the file played to its end
    chan.set_variable("CPLAYBACKOFFSET", str(position))
    return _by_code(played.code, endpos=position)


async def get_data(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``GET DATA <file> [timeout ms] [max digits]``: digits until ``#``, max or timeout."""
    if len(argv) < 3 or len(argv) > 5:
        return USAGE_ERROR
    timeout_ms = _int(argv[3]) if len(argv) > 3 else 0
    max_digits = _int(argv[4]) if len(argv) > 4 else 1024
    if timeout_ms is None or max_digits is None:
        return USAGE_ERROR
    # app.c ast_app_getdata_full: 6 s for the first digit and 2 s between digits by
    # default; a given timeout applies to both; a negative one waits forever.
    first: float | None = 6.0
    between: float | None = 2.0
    if timeout_ms > 0:
        first = between = timeout_ms / 1000
    elif timeout_ms < 0:
        first = between = None
    chan = session.chan
    digits = ""
    played = await media.play(chan, [argv[2]], ANY_DIGIT)
    if played.interrupted:
        return ok(-1)
    if played.digit:
        if played.digit == "#":
            return ok(digits)
        digits += played.digit
    while len(digits) < max_digits:
        waited = await chan.wait(first if not digits else between, ANY_DIGIT)
        if waited.kind is WaitKind.TIMEOUT:
            return ok(digits, "timeout")
        if waited.kind is not WaitKind.DIGIT:
            return ok(-1)
        if waited.digit == "#":
            break
        digits += waited.digit
    return ok(digits)


async def get_option(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``GET OPTION <file> <escape> [timeout ms]``: STREAM FILE, then wait for a digit."""
    if len(argv) not in (4, 5):
        return USAGE_ERROR
    timeout_ms = _int(argv[4]) if len(argv) == 5 else 5000
    if timeout_ms is None:
        return USAGE_ERROR
    chan = session.chan
    played = await media.play(chan, [argv[2]], argv[3])
    if played.digit or played.interrupted:
        return _by_code(played.code, endpos=played.samples)
    waited = await chan.wait(timeout_ms / 1000 if timeout_ms >= 0 else None, argv[3])
    if waited.kind is WaitKind.DIGIT:
        return ok(ord(waited.digit), endpos=played.samples)
    if waited.kind is WaitKind.TIMEOUT:
        return ok(0, endpos=played.samples)
    return failed(-1, endpos=played.samples)


async def wait_for_digit(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``WAIT FOR DIGIT <timeout ms>`` (``-1`` waits forever)."""
    if len(argv) != 4:
        return USAGE_ERROR
    timeout_ms = _int(argv[3])
    if timeout_ms is None:
        return USAGE_ERROR
    waited = await session.chan.wait(timeout_ms / 1000 if timeout_ms >= 0 else None, ANY_DIGIT)
    if waited.kind is WaitKind.DIGIT:
        return ok(ord(waited.digit))
    if waited.kind is WaitKind.TIMEOUT:
        return ok(0)
    return failed()


async def _say(session: AgiSession, files: list[str], escape: str) -> Outcome:
    played = await media.play(session.chan, files, escape)
    return _by_code(played.code)


async def say_number(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``SAY NUMBER <n> <escape> [gender]``."""
    if len(argv) not in (4, 5) or _int(argv[2]) is None:
        return USAGE_ERROR
    return await _say(session, say_number_files(int(argv[2])), argv[3])


async def say_digits(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``SAY DIGITS <digits> <escape>``."""
    if len(argv) != 4 or not argv[2].lstrip("-").isdigit():
        return USAGE_ERROR
    return await _say(session, say_digits_files(argv[2]), argv[3])


async def say_alpha(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``SAY ALPHA <text> <escape>``."""
    if len(argv) != 4:
        return USAGE_ERROR
    return await _say(session, say_alpha_files(argv[2]), argv[3])


async def say_datetime(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``SAY DATETIME <epoch> <escape> [format] [timezone]``."""
    if len(argv) < 4 or len(argv) > 6 or _int(argv[2]) is None:
        return USAGE_ERROR
    return await _say(session, say_datetime_files(int(argv[2])), argv[3])


async def set_music(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``SET MUSIC on|off [class]``."""
    if len(argv) < 3 or argv[2].lower() not in ("on", "off"):
        return USAGE_ERROR
    chan = session.chan
    if argv[2].lower() == "on":
        chan.start_moh(argv[3] if len(argv) > 3 else "default")
    else:
        chan.stop_moh()
    return ok(0)


async def record_file(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``RECORD FILE <file> <format> <escape> <timeout ms> [offset] [BEEP] [s=silence]``.

    The simulated caller speaks for ``chan.speech`` seconds, then is silent; with
    ``s=N`` the recording stops after N seconds of silence (``(timeout)``, trimmed as
    Asterisk trims it). A digit from the escape set stops it (``(dtmf)``), a hang-up too
    (``(hangup)``). A silent 8 kHz WAV of the recorded length is written.
    """
    if len(argv) < 6:
        return USAGE_ERROR
    timeout_ms = _int(argv[5])
    if timeout_ms is None:
        return USAGE_ERROR
    beep = False
    silence: float | None = None
    for extra in argv[6:]:
        if extra.upper() == "BEEP":
            beep = True
        elif extra.lower().startswith("s="):
            value = _int(extra[2:])
            silence = float(value) if value and value > 0 else None
    chan = session.chan
    if beep:
        beeped = await media.play(chan, ["beep"])
        if beeped.interrupted:
            return failed(-1, "hangup", 0)
    limits = [timeout_ms / 1000] if timeout_ms > 0 else []
    if silence is not None:
        limits.append(chan.speech + silence)
    limit = min(limits) if limits else None
    clock = chan.core.clock
    started = clock.now()
    waited = await chan.wait(limit, argv[4])
    elapsed = clock.now() - started
    if waited.kind is WaitKind.TIMEOUT and limit is not None:
        # Ended by the clock: exactly the limit (less the trailing silence Asterisk trims).
        elapsed = limit
        if silence is not None and limit == chan.speech + silence:
            elapsed = max(0.0, limit - silence)
    samples = round(elapsed * RATE)
    path = _recording_path(chan, argv[2], argv[3])
    await asyncio.to_thread(write_silent_wav, path, samples)
    if chan.observer is not None:
        chan.observer.heard(f"record:{path}")
    if waited.kind is WaitKind.DIGIT:
        return ok(ord(waited.digit), "dtmf", samples)
    if waited.kind is WaitKind.TIMEOUT:
        return ok(0, "timeout", samples)
    return failed(-1, "hangup", samples)


def _recording_path(chan: Channel, filename: str, fmt: str) -> Path:
    path = Path(filename)
    if not path.is_absolute():
        path = chan.core.config.recordings_dir / path
    return path.with_name(f"{path.name}.{fmt}")


def write_silent_wav(path: Path, samples: int) -> None:
    """Write ``samples`` of 8 kHz 16-bit mono silence."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"\0\0" * samples)


# ---------------------------------------------------------------- variables and dialplan


async def set_variable(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``SET VARIABLE <name> <value>``."""
    if len(argv) != 4:
        return USAGE_ERROR
    if session.zombie:
        session.zombie_vars[argv[2]] = argv[3]
    else:
        session.chan.set_variable(argv[2], argv[3])
    return ok(1)


async def get_variable(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``GET VARIABLE <name>``: ``result=1 (value)`` or ``result=0``."""
    if len(argv) != 3:
        return USAGE_ERROR
    name = argv[2]
    scope = session.scope()
    if name.endswith(")") and "(" in name:
        value: str | None = substitute("${" + name + "}", scope)
    else:
        value = scope.get_variable(name)
    return ok(0) if value is None else ok(1, value)


async def get_full_variable(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``GET FULL VARIABLE <expression> [channel]``."""
    if len(argv) not in (4, 5):
        return USAGE_ERROR
    scope: Scope = session.scope()
    if len(argv) == 5:
        other = session.chan.core.find_channel(argv[4])
        if other is None:
            return ok(0)
        scope = other
    return ok(1, substitute(argv[3], scope))


async def exec_app(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``EXEC <app> [options]``: the application's return value (``-2`` if unknown)."""
    if len(argv) < 2:
        return USAGE_ERROR
    chan = session.chan
    if session.zombie:
        return Outcome(AgiReply(200, "-1"), UNKNOWN)
    options = argv[2] if len(argv) > 2 else ""
    saved = (chan.app, chan.appdata)
    chan.app, chan.appdata = argv[1], options
    try:
        result = await chan.core.run_application(chan, argv[1], options)
    finally:
        chan.app, chan.appdata = saved
    return Outcome(AgiReply(200, str(result)), SUCCESS if result == 0 else UNKNOWN)


async def set_context(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``SET CONTEXT <context>``."""
    if len(argv) != 3:
        return USAGE_ERROR
    session.chan.context = argv[2]
    return ok(0)


async def set_extension(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``SET EXTENSION <exten>``."""
    if len(argv) != 3:
        return USAGE_ERROR
    session.chan.exten = argv[2]
    return ok(0)


async def set_priority(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``SET PRIORITY <number|label>``: the dialplan resumes exactly there after AGI."""
    if len(argv) != 3:
        return USAGE_ERROR
    chan = session.chan
    number = _int(argv[2])
    if number is None:
        number = chan.core.dialplan.label(chan.context, chan.exten, argv[2])
        if number is None:
            return USAGE_ERROR
    chan.goto(None, None, number)
    return ok(0)


async def set_callerid(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``SET CALLERID <"name" <number>>``."""
    if len(argv) != 3:
        return USAGE_ERROR
    session.chan.set_caller(CallerId.parse(argv[2]))
    return ok(1)


async def verbose(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``VERBOSE <message> [level]``."""
    if len(argv) < 2:
        return USAGE_ERROR
    return ok(1)


# ---------------------------------------------------------------- database


async def database_put(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``DATABASE PUT <family> <key> <value>``."""
    if len(argv) != 5:
        return USAGE_ERROR
    session.chan.core.astdb[(argv[2], argv[3])] = argv[4]
    return ok(1)


async def database_get(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``DATABASE GET <family> <key>``."""
    if len(argv) != 4:
        return USAGE_ERROR
    value = session.chan.core.astdb.get((argv[2], argv[3]))
    return ok(0) if value is None else ok(1, value)


async def database_del(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``DATABASE DEL <family> <key>``."""
    if len(argv) != 4:
        return USAGE_ERROR
    return ok(1) if session.chan.core.astdb.pop((argv[2], argv[3]), None) is not None else ok(0)


async def database_deltree(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``DATABASE DELTREE <family> [keytree]``."""
    if len(argv) not in (3, 4):
        return USAGE_ERROR
    db = session.chan.core.astdb
    prefix = argv[3] if len(argv) == 4 else ""
    doomed = [k for k in db if k[0] == argv[2] and k[1].startswith(prefix)]
    for key in doomed:
        del db[key]
    return ok(1) if doomed else ok(0)


async def asyncagi_break(session: AgiSession, argv: tuple[str, ...]) -> Outcome:
    """``ASYNCAGI BREAK`` (meaningless over FastAGI; answered for completeness)."""
    return ok(0)


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


HANDLERS: dict[tuple[str, ...], Handler] = {
    ("ANSWER",): answer,
    ("ASYNCAGI", "BREAK"): asyncagi_break,
    ("CHANNEL", "STATUS"): channel_status,
    ("CONTROL", "STREAM", "FILE"): control_stream_file,
    ("DATABASE", "DEL"): database_del,
    ("DATABASE", "DELTREE"): database_deltree,
    ("DATABASE", "GET"): database_get,
    ("DATABASE", "PUT"): database_put,
    ("EXEC",): exec_app,
    ("GET", "DATA"): get_data,
    ("GET", "FULL", "VARIABLE"): get_full_variable,
    ("GET", "OPTION"): get_option,
    ("GET", "VARIABLE"): get_variable,
    ("HANGUP",): hangup,
    ("NOOP",): noop,
    ("RECORD", "FILE"): record_file,
    ("SAY", "ALPHA"): say_alpha,
    ("SAY", "DATETIME"): say_datetime,
    ("SAY", "DIGITS"): say_digits,
    ("SAY", "NUMBER"): say_number,
    ("SET", "AUTOHANGUP"): set_autohangup,
    ("SET", "CALLERID"): set_callerid,
    ("SET", "CONTEXT"): set_context,
    ("SET", "EXTENSION"): set_extension,
    ("SET", "MUSIC"): set_music,
    ("SET", "PRIORITY"): set_priority,
    ("SET", "VARIABLE"): set_variable,
    ("STREAM", "FILE"): stream_file,
    ("VERBOSE",): verbose,
    ("WAIT", "FOR", "DIGIT"): wait_for_digit,
}
