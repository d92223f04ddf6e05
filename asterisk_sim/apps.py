"""Dialplan applications: what the lab file and ``extensions_ivr_acd.conf`` need.

Each application is ``async (channel, data) -> int``: 0 to continue at the next priority,
non-zero to end the dialplan (the channel then hangs up). ``data`` is already
substituted. An unknown application returns -2: in the dialplan that ends the channel with
a warning, over AGI ``EXEC`` it is the ``200 result=-2`` res_agi sends.

``Queue`` and ``VoiceMail`` are stand-ins, enough for the fallback context to be reached
and observed (music, then a timeout; a prompt, a beep and a recording), not app_queue or
app_voicemail.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from asterisk_sim import media
from asterisk_sim.agi.session import run_agi
from asterisk_sim.bridge import Bridge, stay_in_bridge
from asterisk_sim.causes import Cause, State
from asterisk_sim.channel import Channel, WaitKind
from asterisk_sim.dialing import Outcome, place
from asterisk_sim.dialplan.expr import truthy
from asterisk_sim.dialplan.substitution import split_args

log = logging.getLogger(__name__)

App = Callable[[Channel, str], Awaitable[int]]


async def _sleep(chan: Channel, seconds: float | None) -> int:
    waited = await chan.wait(seconds)
    return 0 if waited.kind is WaitKind.TIMEOUT else -1


def _seconds(text: str, default: float | None = None) -> float | None:
    try:
        return float(text)
    except ValueError:
        return default


async def answer(chan: Channel, data: str) -> int:
    """``Answer([delay ms])``: Up, then wait for media (500 ms on a Local channel)."""
    if chan.state == State.UP:
        return 0
    chan.answer()
    delay = _seconds(data.strip(), 0.0) or 0.0
    return await _sleep(chan, max(delay / 1000, chan.answer_delay))


async def noop(chan: Channel, data: str) -> int:
    """``NoOp``, ``Verbose``, ``Log``, ``Progress``: nothing happens."""
    return 0


async def set_app(chan: Channel, data: str) -> int:
    """``Set(NAME=value)``; ``Set(GLOBAL(NAME)=value)`` sets a global."""
    name, sep, value = data.partition("=")
    if not sep:
        log.warning("%s: Set(%s) needs NAME=value", chan.name, data)
        return 0
    name = name.strip()
    if name.upper().startswith("GLOBAL(") and name.endswith(")"):
        chan.core.dialplan.globals[name[7:-1]] = value
        return 0
    chan.set_variable(name, value)
    return 0


async def hangup(chan: Channel, data: str) -> int:
    """``Hangup([cause])``: end the dialplan; cause 16 unless one is set or given."""
    cause = _seconds(data.strip())
    if cause is not None and cause > 0:
        chan.hangupcause = int(cause)
    elif not chan.hangupcause:
        chan.hangupcause = int(Cause.NORMAL_CLEARING)
    return -1


async def wait(chan: Channel, data: str) -> int:
    """``Wait(seconds)``; DTMF does not interrupt it."""
    return await _sleep(chan, _seconds(data.strip(), 0.0))


def _goto_target(chan: Channel, spec: str) -> tuple[str, str, int] | None:
    parts = [p.strip() for p in spec.split(",")]
    if not parts or not parts[-1]:
        return None
    context, exten = chan.context, chan.exten
    if len(parts) == 3:
        context, exten = parts[0], parts[1]
    elif len(parts) == 2:
        exten = parts[0]
    prio_text = parts[-1]
    if prio_text.isdigit():
        return context, exten, int(prio_text)
    label = chan.core.dialplan.label(context, exten, prio_text)
    return None if label is None else (context, exten, label)


def _jump(chan: Channel, spec: str) -> int:
    target = _goto_target(chan, spec)
    if target is None or not chan.core.dialplan.exists(*target):
        log.warning("%s: Goto(%s): no such destination", chan.name, spec)
        return -1
    chan.goto(*target)
    return 0


async def goto(chan: Channel, data: str) -> int:
    """``Goto([[context,]exten,]priority|label)``."""
    return _jump(chan, data)


async def goto_if(chan: Channel, data: str) -> int:
    """``GotoIf(condition?[true][:false])``."""
    cond, _, branches = data.partition("?")
    yes, _, no = branches.partition(":")
    branch = yes if truthy(cond.strip()) else no
    return _jump(chan, branch) if branch.strip() else 0


async def agi(chan: Channel, data: str) -> int:
    """``AGI(agi://host[:port]/script?query[,args…])``."""
    return await run_agi(chan, data)


async def music_on_hold(chan: Channel, data: str) -> int:
    """``MusicOnHold(class[,duration])``: music until the duration or an interruption."""
    args = split_args(data)
    music_class = args[0].strip() if args and args[0].strip() else "default"
    duration = _seconds(args[1].strip()) if len(args) > 1 and args[1].strip() else None
    chan.start_moh(music_class)
    result = await _sleep(chan, duration)
    chan.stop_moh()
    return result


async def playback(chan: Channel, data: str) -> int:
    """``Playback(file1&file2[,options])``: answers first unless ``noanswer``; not interruptible."""
    args = split_args(data)
    files = [f for f in args[0].split("&") if f] if args else []
    options = args[1] if len(args) > 1 else ""
    wants_answer = chan.state != State.UP and "noanswer" not in options and "skip" not in options
    if wants_answer and await answer(chan, "") != 0:
        return -1
    played = await media.play(chan, files)
    chan.set_variable("PLAYBACKSTATUS", "SUCCESS")
    return -1 if played.interrupted else 0


async def ringing(chan: Channel, data: str) -> int:
    """``Ringing()``: ring the caller (a Local ``;1`` goes to Ringing)."""
    chan.indicate("ringing")
    return 0


async def busy(chan: Channel, data: str) -> int:
    """``Busy([timeout])``: busy tone, cause 17, then hang up."""
    chan.hangupcause = int(Cause.USER_BUSY)
    if chan.state != State.UP:
        chan.set_state(State.BUSY)
    chan.indicate("busy")
    timeout = _seconds(data.strip()) if data.strip() else None
    await _sleep(chan, timeout)
    return -1


async def congestion(chan: Channel, data: str) -> int:
    """``Congestion([timeout])``: congestion tone, cause 34, then hang up."""
    chan.hangupcause = int(Cause.CONGESTION)
    chan.indicate("congestion")
    timeout = _seconds(data.strip()) if data.strip() else None
    await _sleep(chan, timeout)
    return -1


async def bridge(chan: Channel, data: str) -> int:
    """``Bridge(channel)``: pull ``channel`` out of whatever it runs into a bridge with us.

    The pulled channel's AGI command returns -1 and its session gets ``HANGUP``; when the
    bridge ends it continues its own dialplan at the next priority (connect_moh.txt).
    """
    args = split_args(data)
    name = args[0].strip() if args else ""
    target = chan.core.find_channel(name)
    if target is None or target.hung_up:
        chan.set_variable("BRIDGERESULT", "NONEXISTENT")
        return 0
    if target is chan:
        chan.set_variable("BRIDGERESULT", "LOOP")
        return 0
    if chan.state != State.UP:
        chan.answer()
    target.after_bridge = _after_bridge(args[1] if len(args) > 1 else "", target)
    the_bridge = Bridge(chan)
    target.pull()
    the_bridge.enter(target)
    the_bridge.enter(chan)
    the_bridge.connect_peers()
    await stay_in_bridge(chan)
    # The member the dissolution kicked out runs its own dialplan before we go on; the
    # bridge is destroyed after that (connect_moh.txt 5.722–5.723).
    await asyncio.sleep(0)
    the_bridge.destroy()
    chan.set_variable("BRIDGERESULT", "SUCCESS")
    return 0


def _after_bridge(options: str, target: Channel) -> tuple[str, str, int] | str | None:
    """Bridge()'s ``F(context^exten^priority)`` and ``x`` options, for the pulled channel.

    ``F`` alone (or missing parts) means the pulled channel's own context/extension, next
    priority, as Asterisk defaults them.
    """
    if "x" in options.split("F(")[0]:
        return "hangup"
    start = options.find("F(")
    if start < 0:
        return None
    end = options.find(")", start)
    parts = options[start + 2 : end if end >= 0 else len(options)].split("^")
    context = parts[0] if parts and parts[0] else target.context
    exten = parts[1] if len(parts) > 1 and parts[1] else target.exten
    priority = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 1
    return (context, exten, priority)


async def dial(chan: Channel, data: str) -> int:
    """``Dial(TECH/resource[&…][,timeout[,options]])``: ring, bridge on answer, set DIALSTATUS."""
    args = split_args(data)
    targets = [t for t in (args[0] if args else "").split("&") if t.strip()]
    timeout = _seconds(args[1].strip()) if len(args) > 1 and args[1].strip() else None
    options = args[2] if len(args) > 2 else ""
    if not targets:
        chan.set_variable("DIALSTATUS", "CHANUNAVAIL")
        return 0
    leg = place(chan.core, targets[0].strip(), caller=chan, callerid=chan.caller, app_name="AppDial")
    if leg is None:
        chan.set_variable("DIALSTATUS", "CHANUNAVAIL")
        return 0
    callee = leg.chan
    # app_dial indicates the callee's ringing to its caller (through a Local channel, all the
    # way back to an Originate, which then reports Reason 3 rather than 0 when it times out).
    leg.on_ringing = lambda: chan.indicate("ringing")
    if leg.rang:  # the device may already ring by the time place() returns
        chan.indicate("ringing")

    def caller_gone() -> None:
        leg.cancel(caller_gone=True)

    # The caller hanging up (or being redirected) while it rings cancels the dial.
    chan.add_interrupt_hook(caller_gone)
    try:
        if chan.interrupted:
            caller_gone()
        outcome = await leg.wait(timeout)
    finally:
        chan.remove_interrupt_hook(caller_gone)
    if outcome is not Outcome.ANSWER or chan.interrupted:
        if not callee.hung_up:
            callee.hangupcause = callee.hangupcause or int(
                Cause.NO_ANSWER if outcome is Outcome.NOANSWER else Cause.NORMAL_CLEARING
            )
            callee.hangup()
        status = "CANCEL" if chan.interrupted else outcome.value
        chan.set_variable("DIALSTATUS", status)
        return -1 if chan.interrupted else 0
    if chan.state != State.UP:
        chan.answer()
    the_bridge = Bridge(chan)
    the_bridge.enter(callee)
    the_bridge.enter(chan)
    the_bridge.connect_peers()
    chan.core.spawn(_callee_in_bridge(callee), name=f"dial callee {callee.name}")
    kicked = await stay_in_bridge(chan)
    await asyncio.sleep(0)
    the_bridge.destroy()
    chan.set_variable("DIALSTATUS", "ANSWER")
    if kicked and "g" in options:
        return 0
    if not chan.hangupcause:
        chan.hangupcause = int(Cause.NORMAL_CLEARING)
    return -1


async def _callee_in_bridge(callee: Channel) -> None:
    await stay_in_bridge(callee)
    if not callee.hangupcause:
        callee.hangupcause = int(Cause.NORMAL_CLEARING)
    callee.hangup()


async def send_dtmf(chan: Channel, data: str) -> int:
    """``SendDTMF(digits[,between ms[,duration ms]])``; ``w`` waits 500 ms, ``W`` 1 s.

    app_senddtmf/ast_dtmf_stream: 100 ms of quiet first, each digit lasts ``duration``
    (100 ms) and is followed by ``between`` (250 ms) — agi_basic.txt's DTMF times follow.
    The digits go to the other half of a Local channel, or to the bridged peer.
    """
    args = split_args(data)
    digits = args[0].strip() if args else ""
    between = (
        (_seconds(args[1].strip(), 250.0) or 250.0) / 1000 if len(args) > 1 and args[1].strip() else 0.25
    )
    duration = (
        (_seconds(args[2].strip(), 100.0) or 100.0) / 1000 if len(args) > 2 and args[2].strip() else 0.1
    )
    clock = chan.core.clock
    deadline = clock.now() + 0.1
    for ch in digits:
        if ch in "wW":
            deadline += 0.5 if ch == "w" else 1.0
            continue
        if ch.upper() not in "0123456789*#ABCD":
            continue
        if await _sleep(chan, max(0.0, deadline - clock.now())) != 0:
            return -1
        peer = _dtmf_peer(chan)
        if peer is not None:
            peer.receive_dtmf(ch.upper(), duration)
        deadline += duration + between
    # The last digit's pause is waited out too before the application returns.
    return await _sleep(chan, max(0.0, deadline - clock.now()))


def _dtmf_peer(chan: Channel) -> Channel | None:
    if chan.partner is not None and not chan.partner.hung_up:
        return chan.partner
    if chan.bridge is not None:
        for member in chan.bridge.members:
            if member is not chan:
                return member
    return None


async def queue(chan: Channel, data: str) -> int:
    """``Queue(name,options,URL,announce,timeout)``: a stand-in that holds with music, then times out."""
    args = split_args(data)
    timeout = _seconds(args[4].strip()) if len(args) > 4 and args[4].strip() else None
    if chan.observer is not None:
        chan.observer.heard(f"queue:{args[0].strip() if args else ''}")
    chan.start_moh("default")
    result = await _sleep(chan, timeout)
    chan.stop_moh()
    chan.set_variable("QUEUESTATUS", "TIMEOUT" if result == 0 else "")
    return result


async def voicemail(chan: Channel, data: str) -> int:
    """``VoiceMail(mailbox[,options])``: a stand-in: greeting, beep, a recording of the caller."""
    if chan.state != State.UP and await answer(chan, "") != 0:
        return -1
    args = split_args(data)
    if chan.observer is not None:
        chan.observer.heard(f"voicemail:{args[0].strip() if args else ''}")
    played = await media.play(chan, ["vm-intro", "beep"])
    if played.interrupted:
        return -1
    if await _sleep(chan, chan.speech) != 0:
        return -1
    chan.set_variable("VMSTATUS", "SUCCESS")
    return 0


APPLICATIONS: dict[str, App] = {
    "answer": answer,
    "noop": noop,
    "verbose": noop,
    "log": noop,
    "progress": noop,
    "set": set_app,
    "hangup": hangup,
    "wait": wait,
    "goto": goto,
    "gotoif": goto_if,
    "agi": agi,
    "musiconhold": music_on_hold,
    "playback": playback,
    "ringing": ringing,
    "busy": busy,
    "congestion": congestion,
    "bridge": bridge,
    "dial": dial,
    "senddtmf": send_dtmf,
    "queue": queue,
    "voicemail": voicemail,
}


async def run_application(chan: Channel, name: str, data: str) -> int:
    """Run a dialplan application by name; -2 (with a warning) when it is not simulated."""
    app = APPLICATIONS.get(name.lower())
    if app is None:
        log.warning("%s: application %s is not simulated; ending the call", chan.name, name)
        return -2
    if chan.hung_up:
        return -1
    return await app(chan, data)
