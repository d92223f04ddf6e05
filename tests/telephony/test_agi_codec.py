"""The AGI codec against every FastAGI session of the real Asterisk 22 transcripts, and by hand."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.agi import commands
from telephony.agi.codec import (
    NEED_DATA,
    AgiClientConnection,
    AgiCommandLine,
    AgiReply,
    AgiServerConnection,
    AgiServerEvent,
    ConnectionClosed,
    HangupNotice,
    parse_reply_line,
)
from telephony.agi.commands import AgiCommand, quote_arg, split_command_line
from telephony.agi.environment import AgiEnvironment
from telephony.errors import LocalProtocolError, RemoteProtocolError
from tests import traces

Feeder = Callable[[AgiServerConnection, bytes], None]


def feed_whole(conn: AgiServerConnection, data: bytes) -> None:
    conn.receive_data(data)


def feed_bytewise(conn: AgiServerConnection, data: bytes) -> None:
    for i in range(len(data)):
        conn.receive_data(data[i : i + 1])


FEEDERS = {"whole": feed_whole, "byte-by-byte": feed_bytewise}

SESSIONS = [
    pytest.param(trace, index, session, id=f"{trace.name}#{index}")
    for trace in traces.load_all()
    for index, session in enumerate(trace.agi_sessions())
]


def events_until_reply(conn: AgiServerConnection) -> Iterator[AgiServerEvent]:
    while True:
        event = conn.next_event()
        assert event is not NEED_DATA, "ran out of data before the reply"
        yield event
        if isinstance(event, AgiReply) and not event.provisional:
            return


def drive(session: traces.AgiSession, feeder: Feeder, trailing: bytes = b"") -> list[AgiServerEvent]:
    """Feed Asterisk's bytes, send the recorded commands in turn, collect every event."""
    conn = AgiServerConnection()
    feeder(conn, session.asterisk_bytes() + trailing)
    events: list[AgiServerEvent] = [conn.next_event()]
    for kind, text in session.steps:
        if kind == "cmd":
            conn.send(AgiCommand(text))
            events.extend(events_until_reply(conn))
    # lines Asterisk sent after the last reply (a late HANGUP)
    while (event := conn.next_event()) is not NEED_DATA:
        events.append(event)
        if isinstance(event, ConnectionClosed):
            break
    return events


@pytest.mark.parametrize(("trace", "index", "session"), SESSIONS)
@pytest.mark.parametrize("mode", list(FEEDERS))
def test_every_trace_session_parses_and_round_trips(
    trace: traces.Trace, index: int, session: traces.AgiSession, mode: str
) -> None:
    events = drive(session, FEEDERS[mode])
    env = events[0]
    assert isinstance(env, AgiEnvironment)
    assert dict(env.fields) == session.env_dict()
    rest = events[1:]
    # Every line Asterisk sent comes back as exactly one event, re-formatted byte for byte.
    assert len(rest) == len(session.replies)
    for event, line in zip(rest, session.replies, strict=True):
        if line == "HANGUP":
            assert isinstance(event, HangupNotice)
        else:
            assert isinstance(event, AgiReply)
            assert event.format() == line
    finals = [e for e in rest if isinstance(e, AgiReply) and not e.provisional]
    assert len(finals) == len(session.commands)


@pytest.mark.parametrize(("trace", "index", "session"), SESSIONS)
def test_modes_agree_and_trailing_data_waits(
    trace: traces.Trace, index: int, session: traces.AgiSession
) -> None:
    whole = drive(session, feed_whole)
    assert drive(session, feed_bytewise) == whole
    # A partial next line after the session is held back, not misparsed.
    assert drive(session, feed_whole, trailing=b"200 resu") == whole


def test_agi_basic_facts() -> None:
    session = traces.load("agi_basic.txt").agi_sessions()[0]
    events = drive(session, feed_whole)
    env = events[0]
    assert isinstance(env, AgiEnvironment)
    assert env.script == "ivr"
    assert env.query == {"lang": "en"}
    assert env.caller_number == "5551234"
    assert env.caller_name == "Alice"
    assert env.channel == "Local/s@agi-test-00000000;2"
    assert env.dialled_number == "s"  # agi_dnid is "unknown"
    replies = dict(zip(session.commands, [e for e in events[1:] if isinstance(e, AgiReply)], strict=True))
    assert replies["GET DATA beep 3000 4"].result == "12"
    assert replies['STREAM FILE hello-world "#"'].endpos == 11234
    assert replies['STREAM FILE hello-world "#"'].digit is None
    assert replies["GET VARIABLE FOO"].data == "bar baz"
    assert replies["GET VARIABLE NOPE"].data is None
    assert replies["GET VARIABLE NOPE"].result_int == 0
    assert (
        replies["GET FULL VARIABLE ${CALLERID(num)}-${CHANNEL}"].data == "5551234-Local/s@agi-test-00000000;2"
    )
    assert replies["CHANNEL STATUS"].result_int == 6
    assert replies["BOGUS COMMAND"].code == 510
    assert replies['STREAM FILE hello-world ""'].code == 511
    assert replies["NOOP after-hangup"].ok
    # The HANGUP notice arrives before the reply to the command in flight.
    kinds = [type(e).__name__ for e in events]
    assert kinds[-3:] == ["HangupNotice", "AgiReply", "AgiReply"]
    wait_replies = [e for e in events if isinstance(e, AgiReply) and e.result in ("53", "-1")]
    assert [r.digit for r in wait_replies] == ["5", None]
    assert wait_replies[1].failed


def test_dtmf_during_interruptible_playback_returns_the_key_code() -> None:
    session = traces.load("misc.txt").agi_sessions()[0]
    replies = [e for e in drive(session, feed_whole) if isinstance(e, AgiReply)]
    assert replies[1].result == "49"
    assert replies[1].digit == "1"
    assert replies[1].endpos == 37760


def test_bridge_pull_gives_minus_one_then_hangup_while_next_command_in_flight() -> None:
    session = traces.load("connect_moh.txt").agi_sessions()[0]
    events = drive(session, feed_whole)
    names = [type(e).__name__ for e in events[1:]]
    assert names == ["AgiReply", "AgiReply", "HangupNotice", "AgiReply", "AgiReply"]
    moh = events[2]
    assert isinstance(moh, AgiReply)
    assert moh.failed


def test_redirect_starts_a_second_session_with_its_query() -> None:
    sessions = traces.load("abandon_redirect.txt").agi_sessions()
    env = drive(sessions[2], feed_whole)[0]
    assert isinstance(env, AgiEnvironment)
    assert env.script == "callback"
    assert env.query == {"ticket": "T42"}


# ---------------------------------------------------------------- replies by hand


def server_after_env(env: bytes = b"agi_network: yes\n\n") -> AgiServerConnection:
    conn = AgiServerConnection()
    conn.receive_data(env)
    assert isinstance(conn.next_event(), AgiEnvironment)
    return conn


def test_multiline_520_usage_block() -> None:
    conn = server_after_env()
    conn.send(commands.answer())
    conn.receive_data(
        b"520-Invalid command syntax.  Proper usage follows:\n"
        b" Usage: DATABASE GET <family> <key>\n"
        b"Example return code: 200 result=1 (testvariable)\n"
        b"520 End of proper usage.\n"
    )
    reply = conn.next_event()
    assert isinstance(reply, AgiReply)
    assert reply.code == 520
    assert reply.message == "Invalid command syntax.  Proper usage follows:"
    assert (
        reply.usage == " Usage: DATABASE GET <family> <key>\nExample return code: 200 result=1 (testvariable)"
    )
    assert not conn.command_in_flight


def test_usage_terminator_glued_to_the_last_line() -> None:
    conn = server_after_env()
    conn.send(commands.answer())
    conn.receive_data(
        b"520-Invalid command syntax.  Proper usage follows:\nAnswers channel.520 End of proper usage.\n"
    )
    reply = conn.next_event()
    assert isinstance(reply, AgiReply)
    assert reply.usage == "Answers channel."


def test_single_line_520_and_provisional_100() -> None:
    conn = server_after_env()
    conn.send(commands.answer())
    conn.receive_data(b"520 Invalid command syntax.  Proper usage not available.\n")
    reply = conn.next_event()
    assert isinstance(reply, AgiReply)
    assert (reply.code, reply.usage) == (520, None)
    conn.send(AgiCommand("GOSUB", ("ctx", "s", "1")))
    conn.receive_data(b"100 result=0 Trying...\n200 result=0 Gosub complete\n")
    first, second = conn.next_event(), conn.next_event()
    assert isinstance(first, AgiReply)
    assert first.provisional
    assert conn.command_in_flight is False
    assert isinstance(second, AgiReply)
    assert second.message == "Gosub complete"


def test_result_kept_as_text_and_timeout_data() -> None:
    assert parse_reply_line("200 result=0123 (timeout)").result == "0123"
    reply = parse_reply_line("200 result= (timeout)")
    assert (reply.result, reply.data, reply.result_int) == ("", "timeout", None)
    assert parse_reply_line("200 result=1 (a) b)").data == "a) b"
    speech = parse_reply_line("200 result=1 (speech) endpos=1234 results=foo bar")
    assert (speech.endpos, dict(speech.attributes)) == (1234, {"results": "foo bar"})


@pytest.mark.parametrize(
    "line",
    [
        b"hello\n",
        b"200\n",
        b"20 result=1\n",
        b"200 result=1 (unterminated\n",
        b"200 result=1 endpos=x\n",
        b"200-x\n",
    ],
)
def test_garbage_replies_are_remote_errors(line: bytes) -> None:
    conn = server_after_env()
    conn.send(commands.noop())
    conn.receive_data(line)
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_reply_with_no_command_in_flight_is_a_remote_error() -> None:
    conn = server_after_env()
    conn.receive_data(b"200 result=0\n")
    with pytest.raises(RemoteProtocolError, match="no command in flight"):
        conn.next_event()


def test_hangup_with_no_command_in_flight_is_fine() -> None:
    conn = server_after_env()
    conn.receive_data(b"HANGUP\n")
    assert isinstance(conn.next_event(), HangupNotice)
    assert conn.hangup_received


def test_closed_without_a_byte_is_clean_and_mid_env_is_not() -> None:
    conn = AgiServerConnection()
    conn.receive_data(b"")
    assert isinstance(conn.next_event(), ConnectionClosed)
    conn = AgiServerConnection()
    conn.receive_data(b"agi_network: yes\n")
    conn.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="environment"):
        conn.next_event()
    conn = server_after_env()
    conn.receive_data(b"200 res")
    conn.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="middle of a line"):
        conn.next_event()


def test_line_length_and_env_size_are_bounded() -> None:
    conn = AgiServerConnection(max_line=100)
    conn.receive_data(b"x" * 101)
    with pytest.raises(RemoteProtocolError, match="longer than"):
        conn.next_event()
    conn = AgiServerConnection()
    conn.receive_data(b"".join(b"agi_k%d: v\n" % i for i in range(600)))
    with pytest.raises(RemoteProtocolError, match="environment longer"):
        conn.next_event()


def test_env_args_and_query() -> None:
    conn = AgiServerConnection()
    conn.receive_data(
        b"agi_network_script: ivr/?dnis=100&lang=fr&lang=en&empty=\n"
        b"agi_arg_2: second\nagi_arg_1: first\nagi_arg_10: tenth\nagi_callerid: unknown\n\n"
    )
    env = conn.next_event()
    assert isinstance(env, AgiEnvironment)
    assert env.script == "ivr"
    assert env.query == {"dnis": "100", "lang": "fr", "empty": ""}
    assert env.args == ("first", "second", "tenth")
    assert env.caller_number == ""


def test_script_from_request_when_network_script_is_absent() -> None:
    env = AgiEnvironment({"agi_request": "agi://10.0.0.1:4573/billing?x=1"})
    assert (env.script, env.query) == ("billing", {"x": "1"})


# ---------------------------------------------------------------- commands


def test_local_errors() -> None:
    conn = AgiServerConnection()
    with pytest.raises(LocalProtocolError, match="before the AGI environment"):
        conn.send(commands.answer())
    conn = server_after_env()
    conn.send(commands.answer())
    with pytest.raises(LocalProtocolError, match="already in flight"):
        conn.send(commands.answer())
    with pytest.raises(LocalProtocolError, match="line break"):
        commands.set_variable("X", "a\nHANGUP").encode()
    with pytest.raises(LocalProtocolError, match="2047-byte"):
        commands.verbose("x" * 3000).encode()


@pytest.mark.parametrize(
    ("command", "line"),
    [
        (commands.set_variable("FOO", "bar baz"), 'SET VARIABLE FOO "bar baz"'),
        (commands.say_number(42), 'SAY NUMBER 42 ""'),
        (commands.stream_file("hello-world", "#"), 'STREAM FILE hello-world "#"'),
        (commands.get_data("beep", 3, 4), "GET DATA beep 3000 4"),
        (commands.wait_for_digit(8), "WAIT FOR DIGIT 8000"),
        (commands.exec_app("MusicOnHold", "default,20"), "EXEC MusicOnHold default,20"),
        (
            commands.control_stream_file("/var/lib/asterisk/moh/macroform-cold_day", "1", 3000, 0),
            'CONTROL STREAM FILE /var/lib/asterisk/moh/macroform-cold_day "1" 3000 "" "" "" 0',
        ),
        (commands.get_option("hello-world", "12", 2), 'GET OPTION hello-world "12" 2000'),
        (commands.say_digits("5551234"), 'SAY DIGITS 5551234 ""'),
        (commands.set_variable("Q", 'say "hi" \\o/'), 'SET VARIABLE Q "say \\"hi\\" \\\\o/"'),
        (
            commands.record_file("vm/1", "wav", "#", 60, beep=True, silence=5),
            'RECORD FILE vm/1 wav "#" 60000 BEEP s=5',
        ),
    ],
)
def test_builders_quote_as_asterisk_expects(command: AgiCommand, line: str) -> None:
    assert command.line == line
    assert command.encode() == line.encode() + b"\n"


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        ('SET VARIABLE FOO "bar baz"', ("SET", "VARIABLE", "FOO", "bar baz")),
        ('SAY NUMBER 42 ""', ("SAY", "NUMBER", "42", "")),
        (
            'CONTROL STREAM FILE f "1" 3000 "" "" "" 0',
            ("CONTROL", "STREAM", "FILE", "f", "1", "3000", "", "", "", "0"),
        ),
        (
            "GET FULL VARIABLE ${CALLERID(num)}-${CHANNEL}",
            ("GET", "FULL", "VARIABLE", "${CALLERID(num)}-${CHANNEL}"),
        ),
        ("a\\ b  c", ("a b", "c")),
        ('x"y z"w', ("xy zw",)),
        ("", ()),
    ],
)
def test_split_like_parse_args(line: str, argv: tuple[str, ...]) -> None:
    assert split_command_line(line) == argv


@given(st.lists(st.text(alphabet=st.characters(exclude_characters="\r\n\x00")), max_size=6))
def test_quoting_round_trips_through_asterisks_splitter(args: list[str]) -> None:
    line = " ".join(["CMD", *(quote_arg(a) for a in args)])
    assert split_command_line(line) == ("CMD", *args)


def test_client_side_reads_commands_and_writes_replies() -> None:
    client = AgiClientConnection()
    env = client.send_environment({"agi_network": "yes", "agi_channel": "SIP/1-1"})
    assert env == b"agi_network: yes\nagi_channel: SIP/1-1\n\n"
    client.receive_data(b'STREAM FILE hello "12"\nNOOP\n')
    first = client.next_event()
    assert isinstance(first, AgiCommandLine)
    assert first.words[:2] == ("STREAM", "FILE")
    assert first.argv[-1] == "12"
    assert isinstance(client.next_event(), AgiCommandLine)
    assert client.next_event() is NEED_DATA
    assert client.send_reply(AgiReply(200, "49", endpos=100)) == b"200 result=49 endpos=100\n"
    assert client.send_hangup() == b"HANGUP\n"
    client.receive_data(b"")
    assert isinstance(client.next_event(), ConnectionClosed)


# ---------------------------------------------------------------- hostile bytes


def _pump_server(chunks: list[bytes]) -> None:
    conn = AgiServerConnection(max_line=256)
    for chunk in [*chunks, b""]:
        conn.receive_data(chunk)
        while True:
            event = conn.next_event()
            if event is NEED_DATA or isinstance(event, ConnectionClosed):
                break
            if conn.environment_received and not conn.command_in_flight:
                conn.send(commands.noop())
        if isinstance(event, ConnectionClosed):
            return


@given(st.lists(st.binary(max_size=64), max_size=20))
def test_arbitrary_bytes_only_raise_remote_protocol_error(chunks: list[bytes]) -> None:
    with contextlib.suppress(RemoteProtocolError):
        _pump_server(chunks)


_AGI_ALPHABET = st.sampled_from(
    [
        b"200 result=",
        b"1",
        b"-1",
        b" (",
        b")",
        b" endpos=",
        b"\n",
        b"HANGUP",
        b"520-",
        b"520 End of proper usage.",
        b"100 result=0 Trying",
        b"agi_x: y",
        b":",
        b" ",
        b"\xc3",
        b"\xa9",
        b"511 x",
        b"\r",
    ]
)


@given(st.lists(st.lists(_AGI_ALPHABET, max_size=12).map(b"".join), max_size=20))
def test_protocol_shaped_garbage_only_raises_remote_protocol_error(chunks: list[bytes]) -> None:
    with contextlib.suppress(RemoteProtocolError):
        _pump_server([b"agi_network: yes\n\n", *chunks])


@given(st.lists(st.binary(max_size=64), max_size=20))
def test_client_side_arbitrary_bytes(chunks: list[bytes]) -> None:
    client = AgiClientConnection()
    try:
        for chunk in [*chunks, b""]:
            client.receive_data(chunk)
            while not isinstance(event := client.next_event(), ConnectionClosed) and event is not NEED_DATA:
                pass
    except RemoteProtocolError:
        pass
