"""Replaying a transcript of tests/traces/asterisk22 against the simulator, and comparing.

:func:`replay` starts the simulator with the lab dialplan, a scripted FastAGI server that
answers each AGI session with exactly the recorded ``AGI>`` command lines, and a scripted
AMI client that sends the recorded ``AMI>`` actions at the recorded times (scaled by the
speed factor). It records every AGI line and AMI message the simulator sends.

Comparison (:func:`compare_ami`, :func:`compare_agi`):

* Values that are ids or times are normalised on both sides: channel names become
  ``<base>-<n>`` (n = order of first appearance of that base name), uniqueids and linkedids
  become the normalised name of the channel that owns them, bridge ids ``<bridge n>``;
  timestamps, session ids, addresses, uptimes, command ids, durations and thread ids are
  blanked. ``endpos`` may differ by :data:`ENDPOS_TOLERANCE`.
* AMI events are restricted to the types the simulator models; responses are always kept.
* Order: the simulator's sequence must be a linearisation of the transcript's order in
  which two messages may swap only if they share no *stream* (channel, bridge, device,
  action) and were recorded less than :data:`SIMULTANEITY_WINDOW` apart. Messages on one
  stream keep the transcript's order exactly. This is how "truly simultaneous" is defined:
  Asterisk publishes from one thread per channel, so events on different channels within a
  few milliseconds have no order (the transcripts themselves disagree, e.g. which Local
  half's Hangup comes first). ``DeviceStateChange`` (published by the device-state
  taskprocessor) is only ordered within its device, and ``OriginateResponse`` (published
  by the originating thread) only within its action.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from asterisk_sim import Simulator, SimulatorConfig
from asterisk_sim.events import MODELLED_EVENTS
from telephony.agi.codec import NEED_DATA, AgiReply, AgiServerConnection, ConnectionClosed, HangupNotice
from telephony.agi.commands import AgiCommand
from telephony.agi.environment import AgiEnvironment
from telephony.ami.codec import NEED_DATA as AMI_NEED_DATA
from telephony.ami.codec import AmiConnection, Banner, Role
from telephony.ami.codec import ConnectionClosed as AmiClosed
from telephony.ami.message import AmiMessage
from tests import traces

LAB_DIALPLAN = traces.TRACE_DIR / "lab-extensions.conf"
SPEED = 0.1
SIMULTANEITY_WINDOW = 0.015
"""Seconds (transcript time) within which events on different streams may swap."""
ENDPOS_TOLERANCE = 0.25
"""Seconds: an ``endpos`` depends on when a key was pressed, which the replay reproduces
to within event-loop jitter scaled by 1/speed."""
SAFETY = 20.0
QUIET = 0.15
"""Real seconds without a new AMI message after which a replay is over."""

_CHANNEL_RE = re.compile(r"((?:Local|PJSIP|SIP|IAX2|DAHDI)/[^\s,;()]+?)-([0-9a-f]{8})(;[12])?")
_BLANK = {
    "Timestamp",
    "EventTV",
    "SessionTV",
    "SessionID",
    "LocalAddress",
    "RemoteAddress",
    "Uptime",
    "LastReload",
    "CommandId",
    "Duration",
    "agi_threadid",
}
_UNIQUEID_SUFFIXES = ("Uniqueid", "Linkedid")


# ---------------------------------------------------------------- the transcript side


@dataclass
class Timed:
    """An AMI message and when it was seen (transcript seconds)."""

    time: float
    message: AmiMessage


def trace_ami(trace: traces.Trace, direction: str) -> list[Timed]:
    """AMI messages of one direction with the time of their first line (banner skipped)."""
    out: list[Timed] = []
    current: list[tuple[str, str]] = []
    start = 0.0
    entries = trace.ami(direction)
    if direction == "<":
        entries = entries[1:]
    for entry in entries:
        if entry.payload == "":
            if current:
                out.append(Timed(start, AmiMessage(tuple(current))))
                current = []
            continue
        if not current:
            start = entry.time
        key, _, value = entry.payload.partition(":")
        current.append((key, value.lstrip(" ")))
    return out


def env_given(trace: traces.Trace) -> list[set[str] | None]:
    """Per AGI session: which env keys the transcript really recorded (None: all of them)."""
    given: list[set[str] | None] = []
    sessions = trace.agi_sessions()
    abbreviations = [
        e.payload for e in trace.entries if e.direction == "AGI<" and e.payload.startswith("(env)")
    ]
    for session in sessions:
        if not session.abbreviated:
            given.append(None)
            continue
        if abbreviations:
            spec = abbreviations.pop(0)[len("(env)") :].split()
            keys = {item.split("=", 1)[0] for item in spec}
            mapped = set()
            if "script" in keys:
                mapped |= {"agi_network_script", "agi_request"}
            if "channel" in keys:
                mapped.add("agi_channel")
            if "callerid" in keys:
                mapped.add("agi_callerid")
            given.append(mapped)
        else:
            given.append(set())
    return given


# ---------------------------------------------------------------- running a replay


@dataclass
class AgiRecord:
    """What the simulator wrote on one FastAGI socket."""

    env: list[tuple[str, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


@dataclass
class Recording:
    """Everything the simulator sent during a replay."""

    ami: list[Timed] = field(default_factory=list)
    agi: list[AgiRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class ChannelMap:
    """Transcript channel names ↔ simulator channel names, by base name and order of appearance."""

    def __init__(self, trace_messages: Iterable[AmiMessage]) -> None:
        self.trace_order = _appearance(list(trace_messages))
        self.sim_suffixes: dict[str, list[str]] = {}

    def learn(self, message: AmiMessage) -> None:
        """Note the simulator's channels as they appear."""
        for _, value in message.fields:
            for match in _CHANNEL_RE.finditer(value):
                known = self.sim_suffixes.setdefault(match.group(1), [])
                if match.group(2) not in known:
                    known.append(match.group(2))

    def to_sim(self, text: str) -> str:
        """Rewrite transcript channel names in an action's value to the simulator's."""

        def swap(match: re.Match[str]) -> str:
            base, suffix, half = match.group(1), match.group(2), match.group(3) or ""
            order = self.trace_order.get(base, [])
            if suffix not in order:
                return match.group(0)
            index = order.index(suffix)
            sim = self.sim_suffixes.get(base, [])
            if index >= len(sim):
                return match.group(0)
            return f"{base}-{sim[index]}{half}"

        return _CHANNEL_RE.sub(swap, text)


def _appearance(messages: Iterable[AmiMessage]) -> dict[str, list[str]]:
    order: dict[str, list[str]] = {}
    for message in messages:
        for _, value in message.fields:
            for match in _CHANNEL_RE.finditer(value):
                known = order.setdefault(match.group(1), [])
                if match.group(2) not in known:
                    known.append(match.group(2))
    return order


async def replay(
    trace: traces.Trace, tmp: Path, *, speed: float = SPEED, extra_sim_seconds: float = 0.5
) -> Recording:
    """Run one transcript against a fresh simulator and record what it sends."""
    recording = Recording()
    sessions = trace.agi_sessions()
    session_iter = iter(sessions)
    loop = asyncio.get_running_loop()
    agi_tasks: list[asyncio.Task[None]] = []

    async def agi_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        record = AgiRecord()
        recording.agi.append(record)
        script = next(session_iter, None)
        try:
            if script is None:
                recording.errors.append("the simulator opened more FastAGI sessions than the transcript has")
                return
            await _serve_agi(reader, writer, script.commands, record)
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            recording.errors.append(f"FastAGI session {len(recording.agi)}: {exc!r}")
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        agi_tasks.append(loop.create_task(agi_handler(reader, writer)))

    agi_server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    agi_port = agi_server.sockets[0].getsockname()[1]
    config = SimulatorConfig(
        dialplan_files=(LAB_DIALPLAN,),
        ami_users={"acd": "acdsecret"},
        agi_target=("127.0.0.1", agi_port),
        speed=speed,
        recordings_dir=tmp,
    )
    actions = trace_ami(trace, ">")
    expected = trace_ami(trace, "<")
    mapping = ChannelMap(m.message for m in expected)
    end = max([t.time for t in expected] + [e.time for e in trace.entries]) + extra_sim_seconds
    try:
        async with Simulator(config) as sim:
            reader, writer = await asyncio.open_connection("127.0.0.1", sim.ami_port)
            t0 = loop.time()
            ami_reader = loop.create_task(_read_ami(reader, recording, mapping, t0, speed))
            try:
                for action in actions:
                    delay = t0 + action.time * speed - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    fields = tuple((k, mapping.to_sim(v)) for k, v in action.message.fields)
                    writer.write(AmiMessage(fields).encode())
                    await writer.drain()
                delay = t0 + end * speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                async with asyncio.timeout(SAFETY):
                    await asyncio.gather(*agi_tasks)
                    # Events follow the daemon's last close; wait until the stream is quiet.
                    while True:
                        seen = len(recording.ami)
                        await asyncio.sleep(QUIET)
                        if len(recording.ami) == seen:
                            break
            finally:
                ami_reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ami_reader
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    finally:
        agi_server.close()
        await agi_server.wait_closed()
        for task in agi_tasks:
            task.cancel()
        await asyncio.gather(*agi_tasks, return_exceptions=True)
    return recording


async def _read_ami(
    reader: asyncio.StreamReader, recording: Recording, mapping: ChannelMap, t0: float, speed: float
) -> None:
    codec = AmiConnection(Role.CLIENT)
    loop = asyncio.get_running_loop()
    while True:
        data = await reader.read(65536)
        codec.receive_data(data)
        while True:
            event = codec.next_event()
            if event is AMI_NEED_DATA or isinstance(event, AmiClosed):
                break
            if isinstance(event, Banner):
                continue
            assert isinstance(event, AmiMessage)
            mapping.learn(event)
            recording.ami.append(Timed((loop.time() - t0) / speed, event))
        if not data:
            return


async def _serve_agi(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, commands: list[str], record: AgiRecord
) -> None:
    """Answer the session with exactly ``commands``; record every line Asterisk sends."""
    codec = AgiServerConnection()
    env: AgiEnvironment | None = None
    pending = list(commands)
    awaiting = False
    async with asyncio.timeout(SAFETY):
        while True:
            event = codec.next_event()
            if event is NEED_DATA:
                data = await reader.read(65536)
                codec.receive_data(data)
                continue
            if isinstance(event, ConnectionClosed):
                return
            if isinstance(event, AgiEnvironment):
                env = event
                record.env = list(event.fields.items())
            elif isinstance(event, HangupNotice):
                record.lines.append("HANGUP")
                continue
            elif isinstance(event, AgiReply):
                record.lines.append(event.format())
                if event.provisional:
                    continue
                awaiting = False
            if env is not None and not awaiting:
                if not pending:
                    # Stop reading where the recording client stopped: at its last reply.
                    return
                # The recorded line goes out byte for byte (as the command's "name").
                writer.write(codec.send(AgiCommand(pending.pop(0))))
                await writer.drain()
                awaiting = True


# ---------------------------------------------------------------- normalisation


@dataclass
class Norm:
    """A normalised message with its time and streams."""

    time: float
    fields: tuple[tuple[str, str], ...]
    keys: frozenset[tuple[str, str]]
    index: int

    @property
    def name(self) -> str:
        """``Event: X`` or ``Response: Y``."""
        return f"{self.fields[0][0]}: {self.fields[0][1]}"

    def render(self) -> str:
        """One line for diffs."""
        return " | ".join(f"{k}={v}" for k, v in self.fields)


class Normaliser:
    """Id and time normalisation for one side (transcript or simulator)."""

    def __init__(self) -> None:
        self.channel_order: dict[str, list[str]] = {}
        self.uniqueids: dict[str, str] = {}
        self.bridges: dict[str, str] = {}

    def channel(self, text: str) -> str:
        """Replace channel-name suffixes by their order of appearance per base name."""

        def swap(match: re.Match[str]) -> str:
            base, suffix = match.group(1), match.group(2)
            known = self.channel_order.setdefault(base, [])
            if suffix not in known:
                known.append(suffix)
            return f"{base}-<{known.index(suffix) + 1}>{match.group(3) or ''}"

        return _CHANNEL_RE.sub(swap, text)

    def learn_uniqueids(self, message: AmiMessage) -> None:
        """Remember which channel owns which uniqueid (any prefixed channel block)."""
        fields = dict(message.fields)
        for prefix in ("", "Dest", "LocalOne", "LocalTwo"):
            name = fields.get(f"{prefix}Channel")
            uid = fields.get(f"{prefix}Uniqueid")
            if name and uid and uid not in self.uniqueids and _CHANNEL_RE.search(name):
                self.uniqueids[uid] = f"uid({self.channel(name)})"

    def value(self, key: str, value: str) -> str:
        """Normalise one field value."""
        if key in _BLANK:
            return "*"
        if key.endswith(_UNIQUEID_SUFFIXES) and value != "<unknown>":
            return self.uniqueids.get(value, "uid(?)")
        if key in ("BridgeUniqueid", "BridgeId") and value:
            if value not in self.bridges:
                self.bridges[value] = f"<bridge {len(self.bridges) + 1}>"
            return self.bridges[value]
        if key == "Output":
            return re.sub(r"\d+", "N", value)
        return self.channel(value)

    def message(self, message: AmiMessage, time: float, index: int) -> Norm:
        """A normalised message and its stream keys."""
        self.learn_uniqueids(message)
        fields = tuple((k, self.value(k, v)) for k, v in message.fields)
        return Norm(time, fields, _keys(fields), index)


def _keys(fields: tuple[tuple[str, str], ...]) -> frozenset[tuple[str, str]]:
    first_key, first_value = fields[0]
    values = dict(fields)
    keys: set[tuple[str, str]] = set()
    if first_key == "Response":
        keys.add(("responses", ""))
        if "ActionID" in values:
            keys.add(("action", values["ActionID"]))
        return frozenset(keys)
    event = first_value
    if event == "DeviceStateChange":
        return frozenset({("device", values.get("Device", ""))})
    if event in ("OriginateResponse", "UserEvent", "CoreShowChannelsComplete"):
        return frozenset({("action", values.get("ActionID", ""))})
    if event in ("FullyBooted", "SuccessfulAuth", "RequestBadFormat"):
        return frozenset({("responses", "")})
    for key in ("Channel", "DestChannel", "LocalOneChannel", "LocalTwoChannel"):
        if key in values:
            keys.add(("chan", values[key]))
    if "BridgeUniqueid" in values:
        keys.add(("bridge", values["BridgeUniqueid"]))
    return frozenset(keys)


def normalise(timed: list[Timed], *, keep: Callable[[AmiMessage, float], bool] | None = None) -> list[Norm]:
    """Normalise a side's messages, keeping modelled events and all responses."""
    norm = Normaliser()
    out: list[Norm] = []
    for item in timed:
        message = item.message
        if message.kind == "event" and message.name not in MODELLED_EVENTS:
            continue
        if keep is not None and not keep(message, item.time):
            continue
        out.append(norm.message(message, item.time, len(out)))
    return out


# ---------------------------------------------------------------- comparison


def compare_ami(expected: list[Norm], actual: list[Norm], window: float = SIMULTANEITY_WINDOW) -> list[str]:
    """Problems found (empty when the simulator's sequence is acceptable)."""
    problems: list[str] = []
    consumed = [False] * len(expected)
    first = 0
    for act in actual:
        while first < len(expected) and consumed[first]:
            first += 1
        match = None
        frontier: list[Norm] = []
        seen_keys: set[tuple[str, str]] = set()
        j = first
        while j < len(expected):
            exp = expected[j]
            if exp.time - expected[first].time > window and frontier:
                break
            if not consumed[j]:
                if not (exp.keys & seen_keys):
                    frontier.append(exp)
                    if _equal(exp.fields, act.fields):
                        match = j
                        break
                seen_keys |= exp.keys
            j += 1
        if match is None:
            problems.append(_mismatch(act, frontier))
            if len(problems) >= 5:
                break
            continue
        consumed[match] = True
    missing = [expected[i] for i in range(len(expected)) if not consumed[i]]
    if missing and len(problems) < 5:
        problems.append(
            "expected but never sent:\n" + "\n".join(f"  [{m.time:7.3f}] {m.render()}" for m in missing[:10])
        )
    return problems


_OFFSET_VARIABLES = {"CPLAYBACKOFFSET": 1000}
"""Variables whose value is a playback position (ms): like endpos, within tolerance."""


def _equal(expected: tuple[tuple[str, str], ...], actual: tuple[tuple[str, str], ...]) -> bool:
    if expected == actual:
        return True
    values = dict(expected)
    unit = _OFFSET_VARIABLES.get(values.get("Variable", ""))
    if unit is None or len(expected) != len(actual):
        return False
    for (ek, ev), (ak, av) in zip(expected, actual):
        if ek != ak:
            return False
        if ev != av:
            if ek != "Value" or not (ev.lstrip("-").isdigit() and av.lstrip("-").isdigit()):
                return False
            if abs(int(ev) - int(av)) > ENDPOS_TOLERANCE * unit:
                return False
    return True


def _mismatch(act: Norm, frontier: list[Norm]) -> str:
    lines = [f"simulator sent (at {act.time:7.3f}): {act.render()}", "transcript allowed here:"]
    for exp in frontier[:6]:
        lines.append(f"  [{exp.time:7.3f}] {exp.render()}")
        if exp.name == act.name:
            diff = difflib.ndiff([f"{k}={v}" for k, v in exp.fields], [f"{k}={v}" for k, v in act.fields])
            lines += ["      " + d for d in diff if d[:1] in "+-?"]
    return "\n".join(lines)


_ENDPOS = re.compile(r"endpos=(-?\d+)")


def same_agi_line(expected: str, actual: str, command: str) -> bool:
    """Equal after normalisation, ``endpos`` within tolerance."""
    exp, act = Normaliser().channel(expected), Normaliser().channel(actual)
    e_pos, a_pos = _ENDPOS.search(exp), _ENDPOS.search(act)
    if e_pos and a_pos:
        e_val, a_val = int(e_pos.group(1)), int(a_pos.group(1))
        # CONTROL STREAM FILE reports milliseconds, the others 8 kHz samples.
        unit = 1000 if command.upper().startswith("CONTROL STREAM FILE") else 8000
        if abs(e_val - a_val) > ENDPOS_TOLERANCE * unit:
            return False
        exp, act = _ENDPOS.sub("endpos=*", exp), _ENDPOS.sub("endpos=*", act)
    return exp == act


def compare_agi(
    trace: traces.Trace, recording: Recording, ami_uids: dict[str, str], sim_uids: dict[str, str]
) -> list[str]:
    """Per session: the env block and the exact sequence of lines the simulator wrote."""
    problems: list[str] = []
    sessions = trace.agi_sessions()
    given = env_given(trace)
    if len(sessions) != len(recording.agi):
        problems.append(f"{len(recording.agi)} FastAGI sessions, the transcript has {len(sessions)}")
    for index, (session, record) in enumerate(zip(sessions, recording.agi), 1):
        exp_keys = [k for k, _ in session.env]
        act_keys = [k for k, _ in record.env]
        if exp_keys != act_keys:
            problems.append(f"session {index}: environment keys differ:\n" + _diff(exp_keys, act_keys))
        keys = given[index - 1]
        exp_env = dict(session.env)
        act_env = dict(record.env)
        for key in exp_keys:
            if keys is not None and key not in keys:
                continue
            exp_value = _env_value(key, exp_env.get(key, ""), ami_uids)
            act_value = _env_value(key, act_env.get(key, ""), sim_uids)
            if exp_value != act_value:
                problems.append(f"session {index}: {key}: transcript {exp_value!r}, simulator {act_value!r}")
        replies = session.replies
        commands = _commands_of_replies(session)
        ok = len(replies) == len(record.lines) and all(
            same_agi_line(e, a, c) for e, a, c in zip(replies, record.lines, commands)
        )
        if not ok:
            problems.append(
                f"session {index}: lines differ (- transcript, + simulator):\n" + _diff(replies, record.lines)
            )
    return problems


def _commands_of_replies(session: traces.AgiSession) -> list[str]:
    out: list[str] = []
    last = ""
    for kind, text in session.steps:
        if kind == "cmd":
            last = text
        else:
            out.append(last)
    return out


def _env_value(key: str, value: str, uids: dict[str, str]) -> str:
    if key in _BLANK:
        return "*"
    if key == "agi_uniqueid":
        return uids.get(value, "uid(?)")
    return Normaliser().channel(value)


def _diff(expected: list[str], actual: list[str]) -> str:
    return "\n".join("  " + line for line in difflib.ndiff(expected, actual))


def uid_map(timed: list[Timed]) -> dict[str, str]:
    """uniqueid → normalised owner, for the AGI environment comparison."""
    norm = Normaliser()
    for item in timed:
        norm.learn_uniqueids(item.message)
    return dict(norm.uniqueids)
