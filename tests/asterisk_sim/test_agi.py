"""The Asterisk side of FastAGI: environment, commands, DTMF timing, dead channels, failures."""

from __future__ import annotations

import time
import wave
from pathlib import Path

from asterisk_sim import Caller, Press
from asterisk_sim.records import CallRecord
from telephony.ami.message import AmiMessage
from tests import traces
from tests.asterisk_sim.helpers import SPEED, AgiHandler, AgiPeer, fastagi, free_port, running, sim_config

DIALPLAN = """
[t-agi]
exten => _X.,1,NoOp(start)
 same => n,AGI(agi://127.0.0.1:4573/script?x=1,arg1,arg2)
 same => n,NoOp(status=${AGISTATUS})
 same => n,Hangup()
"""


async def run_call(
    tmp_path: Path, handler: AgiHandler, caller: Caller | None = None, *, port: int | None = None
) -> tuple[CallRecord, list[AmiMessage], list[AgiPeer]]:
    """One caller into [t-agi] with ``handler`` as the daemon; returns record, AMI events, sessions."""
    async with fastagi(handler) as server:
        config = sim_config(tmp_path, DIALPLAN, agi_target=("127.0.0.1", port or server.port))
        async with running(config) as sim:
            seen: list[AmiMessage] = []
            sim.core.bus.tap(seen.append)
            record = sim.place_call(
                caller or Caller(number="5551234", name="Alice", dnis="5000", context="t-agi")
            )
            await record.wait_ended(10)
        server.check()
        return record, seen, server.sessions


def _varsets(seen: list[AmiMessage], name: str) -> list[str]:
    return [m["Value"] for m in seen if m.name == "VarSet" and m.get("Variable") == name]


def _noops(seen: list[AmiMessage]) -> list[str]:
    return [m["AppData"] for m in seen if m.name == "Newexten" and m.get("Application") == "NoOp"]


async def test_environment_block(tmp_path: Path) -> None:
    async def handler(peer: AgiPeer) -> None:
        await peer.send("NOOP")

    record, seen, sessions = await run_call(tmp_path, handler)
    env = sessions[0].env
    template = [key for key, _ in traces.ENV_TEMPLATE]
    assert sessions[0].env_keys == [*template, "agi_arg_1", "agi_arg_2"]
    assert env["agi_network_script"] == "script?x=1"
    assert env["agi_request"] == "agi://127.0.0.1:4573/script?x=1"
    assert env["agi_channel"] == record.channel
    assert env["agi_channel"].startswith("PJSIP/trunk-")
    assert env["agi_type"] == "PJSIP"
    assert env["agi_uniqueid"] == record.uniqueid
    assert (env["agi_callerid"], env["agi_calleridname"]) == ("5551234", "Alice")
    assert (env["agi_dnid"], env["agi_context"], env["agi_extension"], env["agi_priority"]) == (
        "5000",
        "t-agi",
        "5000",
        "2",
    )
    assert (env["agi_arg_1"], env["agi_arg_2"]) == ("arg1", "arg2")
    assert _noops(seen) == ["start", "status=SUCCESS"]  # the daemon closed: dialplan went on


async def test_playback_lengths_and_dtmf_codes(tmp_path: Path) -> None:
    replies: list[str] = []

    async def handler(peer: AgiPeer) -> None:
        replies.append((await peer.send("ANSWER")).format())
        replies.append((await peer.send('STREAM FILE hello-world ""')).format())
        replies.append((await peer.send('STREAM FILE hello-world "1"')).format())
        replies.append((await peer.send('SAY NUMBER 42 ""')).format())
        replies.append((await peer.send("WAIT FOR DIGIT 100")).format())

    caller = Caller(dnis="5000", context="t-agi", presses=[Press("1", after=0.6)])
    record, seen, _ = await run_call(tmp_path, handler, caller)
    assert replies[0] == "200 result=0"
    assert replies[1] == "200 result=0 endpos=11234"  # hello-world is 11234 samples, as recorded
    code, endpos = replies[2].split()[1:3]
    assert code == "result=49"  # "1", as Asterisk returns the digit's code
    assert abs(int(endpos.split("=")[1]) - 0.7 * 8000) <= 0.25 * 8000  # 0.6 s + the key's 0.1 s
    assert replies[3] == "200 result=0"
    assert replies[4] == "200 result=0"  # WAIT FOR DIGIT timed out
    assert _varsets(seen, "PLAYBACKSTATUS") == ["SUCCESS", "FAILED"]
    assert record.heard_sounds[:4] == ["hello-world", "hello-world", "digits/40", "digits/2"]
    assert record.pressed_digits == "1"
    begin = [m for m in seen if m.name == "DTMFBegin"]
    end = [m for m in seen if m.name == "DTMFEnd"]
    assert [m["Digit"] for m in begin] == ["1"]
    assert end[0]["DurationMs"] == "100"
    assert end[0]["Direction"] == "Received"


async def test_get_data_collects_until_pound_max_or_timeout(tmp_path: Path) -> None:
    replies: list[str] = []

    async def handler(peer: AgiPeer) -> None:
        for line in (
            "GET DATA beep 3000 4",
            "GET DATA beep 3000 2",
            "GET DATA beep 500 4",
            "GET DATA beep 300",
        ):
            replies.append((await peer.send(line)).format())

    presses = [Press("12#", after=0.3), Press("345", after=0.3)]
    await run_call(tmp_path, handler, Caller(dnis="5000", context="t-agi", presses=presses))
    assert replies == ["200 result=12", "200 result=34", "200 result=5 (timeout)", "200 result= (timeout)"]


async def test_wait_for_digit_honours_the_scaled_timeout(tmp_path: Path) -> None:
    durations: list[float] = []

    async def handler(peer: AgiPeer) -> None:
        start = time.monotonic()
        assert (await peer.send("WAIT FOR DIGIT 8000")).format() == "200 result=53"
        durations.append(time.monotonic() - start)
        start = time.monotonic()
        assert (await peer.send("WAIT FOR DIGIT 2000")).format() == "200 result=0"
        durations.append(time.monotonic() - start)

    await run_call(tmp_path, handler, Caller(dnis="5000", context="t-agi", presses=[Press("5", after=1.0)]))
    assert durations[0] < 8.0 * SPEED  # the key ended it
    assert 2.0 * SPEED * 0.8 < durations[1] < 2.0 * SPEED + 0.5


async def test_unknown_command_usage_and_dead_channel(tmp_path: Path) -> None:
    lines: list[str] = []

    async def handler(peer: AgiPeer) -> None:
        assert (await peer.send("BOGUS COMMAND")).format() == "510 Invalid or unknown command"
        usage = await peer.send("STREAM FILE")
        assert usage.code == 520
        assert usage.usage
        assert "STREAM FILE" in usage.usage
        assert usage.format().startswith("520-Invalid command syntax.  Proper usage follows:\n")
        assert usage.format().endswith("\n520 End of proper usage.")
        assert (await peer.send("WAIT FOR DIGIT -1")).format() == "200 result=-1"  # the caller hung up
        assert (await peer.send('STREAM FILE hello-world ""')).code == 511
        assert (await peer.send("NOOP after")).format() == "200 result=0"
        assert (await peer.send("GET VARIABLE FOO")).format() == "200 result=1 (bar)"
        lines.extend(peer.lines)

    caller = Caller(dnis="5000", context="t-agi", patience=1.0)
    record, seen, _ = await run_call(tmp_path, lambda peer: _set_then(peer, handler), caller)
    assert lines[-5:] == [
        "200 result=-1",
        "HANGUP",
        "511 Command Not Permitted on a dead channel or intercept routine",
        "200 result=0",
        "200 result=1 (bar)",
    ]
    assert record.abandoned
    assert record.hung_up_by == "caller"
    assert _varsets(seen, "AGISTATUS") == ["HANGUP"]
    assert _noops(seen) == ["start"]  # hung up: the dialplan did not go on
    ends = [m for m in seen if m.name == "AGIExecEnd"]
    assert [(m["ResultCode"], m["Result"]) for m in ends][-3:] == [
        ("511", "Command Not Permitted on a dead channel or intercept routine"),
        ("200", "Success"),
        ("200", "Success"),
    ]


async def _set_then(peer: AgiPeer, then: AgiHandler) -> None:
    assert (await peer.send('SET VARIABLE FOO "bar"')).format() == "200 result=1"
    await then(peer)


async def test_variables_database_status_and_exec(tmp_path: Path) -> None:
    async def handler(peer: AgiPeer) -> None:
        assert (await peer.send("CHANNEL STATUS")).format() == "200 result=4"  # Ring, not answered
        assert (await peer.send("ANSWER")).format() == "200 result=0"
        assert (await peer.send("CHANNEL STATUS")).format() == "200 result=6"
        assert (await peer.send('SET VARIABLE FOO "bar baz"')).format() == "200 result=1"
        assert (await peer.send("GET VARIABLE FOO")).format() == "200 result=1 (bar baz)"
        assert (await peer.send("GET VARIABLE NOPE")).format() == "200 result=0"
        full = await peer.send("GET FULL VARIABLE ${CALLERID(num)}-${EXTEN}")
        assert full.format() == "200 result=1 (5550100-5000)"
        assert (await peer.send("DATABASE PUT acd k v1")).format() == "200 result=1"
        assert (await peer.send("DATABASE GET acd k")).format() == "200 result=1 (v1)"
        assert (await peer.send("DATABASE DEL acd k")).format() == "200 result=1"
        assert (await peer.send("DATABASE GET acd k")).format() == "200 result=0"
        assert (await peer.send("EXEC Playback silence/1")).format() == "200 result=0"
        assert (await peer.send("EXEC NoSuchApp x")).format() == "200 result=-2"
        assert (await peer.send("SET MUSIC on default")).format() == "200 result=0"
        assert (await peer.send("SET MUSIC off")).format() == "200 result=0"
        assert (await peer.send('VERBOSE "hello" 1')).format() == "200 result=1"
        assert (await peer.send('SET CALLERID "\\"Bob\\" <5550001>"')).format() == "200 result=1"
        assert (await peer.send("SET PRIORITY 4")).format() == "200 result=0"

    record, seen, _ = await run_call(tmp_path, handler, Caller(dnis="5000", context="t-agi"))
    assert [m.name for m in seen if m.name.startswith("MusicOnHold")] == [
        "MusicOnHoldStart",
        "MusicOnHoldStop",
    ]
    assert any(m.name == "NewCallerid" and m["CallerIDNum"] == "5550001" for m in seen)
    assert _noops(seen) == ["start"]  # SET PRIORITY 4 skipped the NoOp at 3
    assert "silence/1" in record.heard_sounds


async def test_record_file_writes_a_wav_and_stops_on_silence_dtmf_or_time(tmp_path: Path) -> None:
    replies: list[str] = []

    async def handler(peer: AgiPeer) -> None:
        replies.append((await peer.send('RECORD FILE msg1 wav "#" 10000 s=1')).format())
        replies.append((await peer.send('RECORD FILE msg2 wav "#" 10000')).format())
        replies.append((await peer.send(f'RECORD FILE {tmp_path}/abs/msg3 wav "" 500 BEEP')).format())

    caller = Caller(dnis="5000", context="t-agi", speech=1.5, presses=[Press("#", after=3.5)])
    await run_call(tmp_path, handler, caller)
    assert replies[0].startswith("200 result=0 (timeout) endpos=")
    assert abs(int(replies[0].rsplit("=", 1)[1]) - 1.5 * 8000) <= 0.25 * 8000  # trailing silence trimmed
    assert replies[1].startswith("200 result=35 (dtmf) endpos=")
    assert replies[2] == "200 result=0 (timeout) endpos=4000"
    with wave.open(str(tmp_path / "recordings" / "msg1.wav")) as wav:
        assert wav.getframerate() == 8000
        assert abs(wav.getnframes() - 12000) <= 2000
    assert (tmp_path / "abs" / "msg3.wav").exists()


async def test_daemon_down_gives_failure_and_the_dialplan_goes_on(tmp_path: Path) -> None:
    async def handler(peer: AgiPeer) -> None:
        raise AssertionError("nobody should connect")

    record, seen, sessions = await run_call(tmp_path, handler, port=free_port())
    assert sessions == []
    assert _varsets(seen, "AGISTATUS") == ["FAILURE"]
    assert _noops(seen) == ["start", "status=FAILURE"]
    assert record.hangup_cause == 16


async def test_garbage_from_the_daemon_closes_the_session_only(tmp_path: Path) -> None:
    async def handler(peer: AgiPeer) -> None:
        peer.writer.write(b"X" * 5000 + b"\n")
        await peer.writer.drain()
        assert await peer.reader.read() == b""  # the simulator hung up on us

    record, seen, _ = await run_call(tmp_path, handler)
    assert _noops(seen) == ["start", "status=SUCCESS"]
    assert record.ended
