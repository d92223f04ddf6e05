"""The AMI codec and action correlation against every message of the real Asterisk 22 transcripts."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.ami.codec import NEED_DATA, AmiConnection, AmiEvent, Banner, ConnectionClosed, Limits, Role
from telephony.ami.correlation import ActionResult, ActionTracker, Disposition
from telephony.ami.message import AmiMessage, action, event, response
from telephony.errors import LocalProtocolError, RemoteProtocolError
from tests import traces

TRACES = [pytest.param(t, id=t.name) for t in traces.load_all()]


def collect(conn: AmiConnection) -> list[AmiEvent]:
    out: list[AmiEvent] = []
    while (ev := conn.next_event()) is not NEED_DATA:
        out.append(ev)
        if isinstance(ev, ConnectionClosed):
            break
    return out


def parse_stream(role: Role, data: bytes, mode: str) -> list[AmiEvent]:
    conn = AmiConnection(role)
    events: list[AmiEvent] = []
    if mode == "whole":
        conn.receive_data(data)
        events += collect(conn)
    elif mode == "byte-by-byte":
        for i in range(len(data)):
            conn.receive_data(data[i : i + 1])
            events += collect(conn)
    else:  # trailing: a whole stream followed by the start of another message
        conn.receive_data(data + b"Event: Newchan")
        events += collect(conn)
        assert conn.next_event() is NEED_DATA
        return events
    conn.receive_data(b"")
    events += collect(conn)
    assert isinstance(events[-1], ConnectionClosed)
    return events[:-1]


@pytest.mark.parametrize("trace", TRACES)
@pytest.mark.parametrize("mode", ["whole", "byte-by-byte", "trailing"])
def test_every_message_asterisk_sent(trace: traces.Trace, mode: str) -> None:
    events = parse_stream(Role.CLIENT, trace.ami_bytes("<"), mode)
    banner, messages = events[0], events[1:]
    assert isinstance(banner, Banner)
    assert banner.text == trace.banner() == "Asterisk Call Manager/11.0.0"
    assert banner.version == "11.0.0"
    expected = trace.ami_messages("<")
    assert len(messages) == len(expected)
    for message, fields in zip(messages, expected, strict=True):
        assert isinstance(message, AmiMessage)
        assert list(message.fields) == fields
        # Byte-exact: re-encoding gives back what Asterisk wrote.
        assert message.encode() == "".join(f"{k}: {v}\r\n" for k, v in fields).encode() + b"\r\n"


@pytest.mark.parametrize("trace", TRACES)
@pytest.mark.parametrize("mode", ["whole", "byte-by-byte", "trailing"])
def test_every_action_the_client_sent(trace: traces.Trace, mode: str) -> None:
    conn = AmiConnection(Role.SERVER)
    conn.banner()
    messages = parse_stream(Role.SERVER, trace.ami_bytes(">"), mode)
    expected = trace.ami_messages(">")
    assert [list(m.fields) for m in messages if isinstance(m, AmiMessage)] == expected
    assert all(isinstance(m, AmiMessage) and m.kind == "action" for m in messages)


def test_utf8_name_split_across_reads_survives() -> None:
    conn = AmiConnection(Role.CLIENT)
    data = b"Asterisk Call Manager/11.0.0\r\nEvent: Newchannel\r\nCallerIDName: Jos\xc3\xa9\r\n\r\n"
    cut = data.index(b"\xa9")  # between the two bytes of "é"
    conn.receive_data(data[:cut])
    assert isinstance(conn.next_event(), Banner)
    assert conn.next_event() is NEED_DATA
    conn.receive_data(data[cut:])
    message = conn.next_event()
    assert isinstance(message, AmiMessage)
    assert message["CallerIDName"] == "José"


def test_invalid_utf8_is_replaced_not_raised() -> None:
    conn = AmiConnection(Role.CLIENT)
    conn.receive_data(b"Asterisk Call Manager/11.0.0\r\nEvent: X\r\nName: \xff\xfe\r\n\r\n")
    conn.next_event()
    message = conn.next_event()
    assert isinstance(message, AmiMessage)
    assert message["Name"] == "\ufffd\ufffd"


def test_bare_lf_and_blank_lines_between_messages() -> None:
    conn = AmiConnection(Role.SERVER)
    conn.receive_data(b"\r\n\nAction: Ping\nActionID: 1\n\n\r\n")
    message = conn.next_event()
    assert isinstance(message, AmiMessage)
    assert (message.kind, message.name, message.action_id) == ("action", "Ping", "1")
    assert conn.next_event() is NEED_DATA


def test_message_accessors() -> None:
    msg = AmiMessage.build([("Action", "Originate"), ("Variable", "A=1"), ("variable", "B=2")], ActionID="O1")
    assert msg.get("VARIABLE") == "A=1"
    assert msg.get_all("variable") == ["A=1", "B=2"]
    assert "actionid" in msg
    assert msg.kind == "action"
    assert msg.replace({"actionid": "O2", "New": 3})["ActionID"] == "O2"
    assert msg.replace({"New": 3}).keys[-1] == "New"
    assert event("Hangup", Cause=16).name == "Hangup"
    assert response("Error", Message="x").kind == "response"
    assert action("Ping", Async=True)["Async"] == "true"
    with pytest.raises(LocalProtocolError):
        AmiMessage.build(Secret="a\r\nAction: Logoff").encode()
    with pytest.raises(LocalProtocolError):
        AmiMessage.build([("Bad: key", "x")]).encode()
    with pytest.raises(KeyError):
        msg["Missing"]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"\r\n", "banner"),
        (b"Asterisk Call Manager/11\r\nno colon here\r\n\r\n", "Key: Value"),
        (b"Asterisk Call Manager/11\r\n: empty key\r\n\r\n", "Key: Value"),
        (b"Asterisk Call Manager/11\r\n" + b"A" * 70000, "longer than"),
        (b"Asterisk Call Manager/11\r\nEvent: X\r\n", "middle of a message"),
    ],
)
def test_remote_errors(data: bytes, match: str) -> None:
    conn = AmiConnection(Role.CLIENT)
    conn.receive_data(data)
    conn.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match=match):
        collect(conn)


def test_message_size_and_field_limits() -> None:
    conn = AmiConnection(Role.SERVER, Limits(max_line=100, max_message=1000, max_fields=5))
    conn.receive_data(b"".join(b"K%d: v\r\n" % i for i in range(6)))
    with pytest.raises(RemoteProtocolError, match="fields"):
        conn.next_event()
    conn = AmiConnection(Role.SERVER, Limits(max_line=100, max_message=300, max_fields=50))
    conn.receive_data(b"".join(b"K%d: %s\r\n" % (i, b"v" * 80) for i in range(5)))
    with pytest.raises(RemoteProtocolError, match="larger than"):
        conn.next_event()


def test_server_must_send_banner_first() -> None:
    conn = AmiConnection(Role.SERVER)
    with pytest.raises(LocalProtocolError):
        conn.send(response("Success"))
    assert conn.banner("11.0.0") == b"Asterisk Call Manager/11.0.0\r\n"
    assert conn.send(response("Success")) == b"Response: Success\r\n\r\n"
    with pytest.raises(LocalProtocolError):
        AmiConnection(Role.CLIENT).banner()


# ---------------------------------------------------------------- correlation on misc.txt


def correlate(trace: traces.Trace) -> tuple[dict[str, ActionResult], list[AmiMessage], list[Disposition]]:
    tracker = ActionTracker()
    for fields in trace.ami_messages(">"):
        msg = AmiMessage(tuple(fields))
        if msg.action_id:
            tracker.register(msg.action_id)
    results: dict[str, ActionResult] = {}
    passed: list[AmiMessage] = []
    dispositions: list[Disposition] = []
    for fields in trace.ami_messages("<"):
        msg = AmiMessage(tuple(fields))
        disposition, action_id, result = tracker.feed(msg)
        dispositions.append(disposition)
        if disposition is Disposition.COMPLETED:
            assert result is not None
            assert action_id is not None
            results[action_id] = result
        elif disposition is Disposition.EVENT:
            passed.append(msg)
    assert tracker.in_flight == 0
    return results, passed, dispositions


def test_lists_and_responses_in_misc_trace() -> None:
    results, passed, dispositions = correlate(traces.load("misc.txt"))
    assert Disposition.UNMATCHED not in dispositions
    qs = results["QS"]
    assert qs.ok
    assert [e.name for e in qs.events] == ["QueueSummary"]
    assert qs.complete is not None
    assert qs.complete["ListItems"] == "1"
    qst = results["QST"]
    assert [e.name for e in qst.events] == ["QueueParams", "QueueMember", "QueueMember"]
    assert qst.complete is not None
    assert qst.complete["ListItems"] == "3"
    assert qst.events[1]["Name"] == "Agent One"
    assert qst.events[1]["PausedReason"] == ""
    assert len(results["CSC"].events) == 6
    assert results["CMD"].response.get_all("Output") == [
        "System uptime: 25 seconds",
        "Last reload: 25 seconds",
    ]
    assert not results["GV"].ok
    assert results["GV"].message == "No such channel"
    assert results["P1"].response["Ping"] == "Pong"
    assert not results["X1"].ok
    assert results["U1"].message == "Event Sent"
    # The UserEvent carries ActionID U1 but arrives before U1's response: it is an event.
    assert any(m.name == "UserEvent" and m.action_id == "U1" for m in passed)
    # OriginateResponse events come after their action completed: events, with the Reason codes.
    reasons = {m.action_id: m["Reason"] for m in passed if m.name == "OriginateResponse"}
    # (the synchronous Originate SYNC gets no OriginateResponse)
    assert reasons == {"NA": "3", "BZ": "5", "BAD": "0", "D1": "4", "Q1": "4"}


@pytest.mark.parametrize("trace", TRACES)
def test_every_trace_correlates_without_leftovers(trace: traces.Trace) -> None:
    results, _, dispositions = correlate(trace)
    assert Disposition.UNMATCHED not in dispositions
    assert results["L1"].message == "Authentication accepted"


def test_tracker_forget_drain_and_late_response() -> None:
    tracker = ActionTracker()
    tracker.register("a")
    tracker.register("b")
    tracker.forget("a")
    assert tracker.feed(response("Success", ActionID="a"))[0] is Disposition.UNMATCHED
    assert tracker.drain() == ["b"]
    assert tracker.feed(response("Success"))[0] is Disposition.UNMATCHED
    assert tracker.feed(event("Hangup"))[0] is Disposition.EVENT


# ---------------------------------------------------------------- hostile bytes


def _pump(role: Role, chunks: list[bytes]) -> None:
    conn = AmiConnection(role, Limits(max_line=256, max_message=2048, max_fields=32))
    for chunk in [*chunks, b""]:
        conn.receive_data(chunk)
        collect(conn)


@given(st.sampled_from(list(Role)), st.lists(st.binary(max_size=64), max_size=20))
def test_arbitrary_bytes_only_raise_remote_protocol_error(role: Role, chunks: list[bytes]) -> None:
    with contextlib.suppress(RemoteProtocolError):
        _pump(role, chunks)


_AMI_ALPHABET = st.sampled_from(
    [
        b"Event: X",
        b"Response: Success",
        b"ActionID: 1",
        b"EventList: start",
        b"EventList: Complete",
        b"\r\n",
        b"\n",
        b": ",
        b":",
        b"Asterisk Call Manager/11.0.0",
        b"\xc3",
        b"\xa9",
        b"K",
        b" ",
    ]
)


@given(st.sampled_from(list(Role)), st.lists(st.lists(_AMI_ALPHABET, max_size=12).map(b"".join), max_size=20))
def test_protocol_shaped_garbage_only_raises_remote_protocol_error(role: Role, chunks: list[bytes]) -> None:
    tracker = ActionTracker()
    tracker.register("1")
    conn = AmiConnection(role, Limits(max_line=256, max_message=2048, max_fields=32))
    try:
        for chunk in [*chunks, b""]:
            conn.receive_data(chunk)
            for ev in collect(conn):
                if isinstance(ev, AmiMessage):
                    tracker.feed(ev)
    except RemoteProtocolError:
        pass
