"""Our QueueSummary/QueueStatus lists and queue events against app_queue's, from misc.txt.

Everything app_queue writes is compared field by field, in order. The ``Acd…`` fields we
append come after app_queue's (after the ActionID in list items), so they are set aside
first. Where our read model cannot know a value app_queue had (a Local channel's dialplan
position, a static member's penalty), the difference is listed here, by name, on purpose.
"""

from __future__ import annotations

import pytest

from acd.events import (
    AgentCalled,
    AgentCompleted,
    AgentConnected,
    AgentInfo,
    AgentRingNoAnswer,
    AgentStateChanged,
    CallAbandoned,
    CallbackChanged,
    CallerInfo,
    CallJoined,
    CallLeft,
)
from acd.snapshot import AgentSnapshot, CenterSnapshot, QueueSnapshot
from ivr_acd.supervisor.members import MEMBER_STATUS, member_status
from ivr_acd.supervisor.queue_events import format_event
from ivr_acd.supervisor.queue_lists import queue_status, queue_summary
from telephony.ami.message import AmiMessage, action
from tests import traces

Fields = list[tuple[str, str]]

TRACE = traces.load("misc.txt")
FROM_ASTERISK = TRACE.ami_messages("<")
LOGIN_TIME = 1795351589.0

# Values app_queue had that our model fills differently, each for a stated reason.
MEMBER_DIFFERENCES = {
    "Membership",  # our agents log in and out: dynamic, where the lab's were static
    "Penalty",  # routing uses skill levels; the lab gave Agent Two penalty 1
    "Ringinuse",  # we never ring an agent who is on a call; the lab's queue allowed it
}
CHANNEL_DIFFERENCES = {
    # The lab's caller was a Local channel that Asterisk lists as its own connected line
    # and dialplan position; a caller in our IVR has no connected party while it waits.
    "ConnectedLineNum",
    "ConnectedLineName",
    "Context",
    "Exten",
    "Priority",
}
DEST_DIFFERENCES = {
    # The agent leg's channel name and id exist only in Asterisk; we name the device.
    "DestChannel",
    "DestContext",
    "DestExten",
    "DestUniqueid",
}


def standard(message: AmiMessage | Fields) -> Fields:
    """app_queue's part of a message: our Acd… fields set aside."""
    fields = message.fields if isinstance(message, AmiMessage) else message
    return [(k, v) for k, v in fields if not k.startswith("Acd")]


def recorded(event_name: str, action_id: str | None = None, nth: int = 0) -> Fields:
    matches = [
        m
        for m in FROM_ASTERISK
        if ("Event", event_name) in m and (action_id is None or ("ActionID", action_id) in m)
    ]
    return matches[nth]


def recorded_response(action_id: str) -> Fields:
    return next(m for m in FROM_ASTERISK if m[0][0] == "Response" and ("ActionID", action_id) in m)


def assert_same(ours: Fields, theirs: Fields, differences: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    for (key, mine), (_, expected) in zip(ours, theirs):
        if key not in differences:
            assert mine == expected, key


def lab_snapshot() -> CenterSnapshot:
    """The lab of misc.txt: queue support, two idle agents, nobody waiting."""
    support = QueueSnapshot(
        name="support", strategy="leastrecent", max_size=0, service_level_seconds=20, staffed=2, ready=2
    )
    agents = tuple(
        AgentSnapshot(
            agent_id=f"a{n}",
            name=name,
            device=device,
            state="ready",
            state_since=LOGIN_TIME,
            queues=("support",),
            login_time=LOGIN_TIME,
        )
        for n, (name, device) in enumerate(
            [("Agent One", "Local/1001@agent-phone/n"), ("Agent Two", "Local/1002@agent-noanswer/n")], 1
        )
    )
    return CenterSnapshot(at=LOGIN_TIME + 25, queues=(support,), agents=agents)


def test_queue_summary_is_app_queues() -> None:
    answer = queue_summary(action("QueueSummary", ActionID="QS", Queue="support"), lab_snapshot(), "support")
    assert [standard(m) for m in answer] == [
        recorded_response("QS"),
        recorded("QueueSummary", "QS"),
        recorded("QueueSummaryComplete", "QS"),
    ]


def test_queue_status_is_app_queues() -> None:
    answer = queue_status(
        action("QueueStatus", ActionID="QST", Queue="support"), lab_snapshot(), "support", None
    )
    assert standard(answer[0]) == recorded_response("QST")
    assert standard(answer[1]) == recorded("QueueParams", "QST")
    assert_same(standard(answer[2]), recorded("QueueMember", "QST", 0), MEMBER_DIFFERENCES)
    assert_same(standard(answer[3]), recorded("QueueMember", "QST", 1), MEMBER_DIFFERENCES)
    assert standard(answer[4]) == recorded("QueueStatusComplete", "QST")
    assert len(answer) == 5


def test_acd_fields_follow_the_action_id() -> None:
    answer = queue_status(action("QueueStatus", ActionID="X"), lab_snapshot(), None, None)
    for item in answer[1:-1]:
        keys = list(item.keys)
        after = keys[keys.index("ActionID") + 1 :]
        assert after
        assert all(k.startswith("Acd") for k in after)


def test_without_action_id_none_is_written() -> None:
    answer = queue_summary(action("QueueSummary"), lab_snapshot(), None)
    assert all("ActionID" not in m for m in answer)
    assert answer[-1].fields == (
        ("Event", "QueueSummaryComplete"),
        ("EventList", "Complete"),
        ("ListItems", "1"),
    )


def test_filters() -> None:
    snapshot = lab_snapshot()
    request = action("QueueStatus", ActionID="F")
    # app_queue compares queue names without case
    assert len(queue_status(request, snapshot, "SUPPORT", None)) == 5
    assert [m.name for m in queue_status(request, snapshot, "nope", None)] == [
        "Success",
        "QueueStatusComplete",
    ]
    by_name = queue_status(request, snapshot, None, "Agent Two")
    assert [m.get("Name") for m in by_name if m.name == "QueueMember"] == ["Agent Two"]
    by_device = queue_status(request, snapshot, None, "Local/1001@agent-phone/n")
    assert [m.get("Name") for m in by_device if m.name == "QueueMember"] == ["Agent One"]
    assert by_device[-1]["ListItems"] == "2"


# ---------------------------------------------------------------- events

CAROL = CallerInfo(
    call_id="c1",
    channel="Local/s@queue-ref-00000005;2",
    uniqueid="1795351614.11",
    linkedid="1795351614.10",
    number="5550002",
    name="Carol",
)
AGENT_ONE = AgentInfo("a1", "Agent One", "Local/1001@agent-phone/n")


def nobody(agent_id: str) -> AgentSnapshot | None:
    return None


def only(event: object) -> AmiMessage:
    messages = format_event(event, nobody)  # type: ignore[arg-type]
    assert len(messages) == 1
    return messages[0]


def test_queue_caller_join() -> None:
    ours = only(CallJoined(at=0, caller=CAROL, queue="support", position=1, count=1))
    assert_same(standard(ours), recorded("QueueCallerJoin"), CHANNEL_DIFFERENCES)


def test_queue_caller_leave() -> None:
    ours = only(CallLeft(at=0, caller=CAROL, queue="support", position=1, count=0, reason="answered"))
    assert_same(standard(ours), recorded("QueueCallerLeave"), CHANNEL_DIFFERENCES)
    assert ours["AcdReason"] == "answered"


def test_agent_called() -> None:
    ours = only(AgentCalled(at=0, caller=CAROL, queue="support", agent=AGENT_ONE, waited=3))
    assert_same(standard(ours), recorded("AgentCalled"), CHANNEL_DIFFERENCES | DEST_DIFFERENCES)
    assert ours["DestChannel"] == AGENT_ONE.device


def test_agent_connect() -> None:
    ours = only(
        AgentConnected(at=0, caller=CAROL, queue="support", agent=AGENT_ONE, hold_time=0.4, ring_time=0)
    )
    assert_same(standard(ours), recorded("AgentConnect"), CHANNEL_DIFFERENCES | DEST_DIFFERENCES)


def test_agent_complete() -> None:
    ours = only(
        AgentCompleted(
            at=0, caller=CAROL, queue="support", agent=AGENT_ONE, hold_time=0, talk_time=4.2, reason="agent"
        )
    )
    assert_same(standard(ours), recorded("AgentComplete"), CHANNEL_DIFFERENCES | DEST_DIFFERENCES)


def test_queue_member_status() -> None:
    known = AgentSnapshot(
        agent_id="a1",
        name="Agent One",
        device=AGENT_ONE.device,
        state="ringing",
        state_since=0,
        queues=("support",),
        login_time=LOGIN_TIME,
    )
    change = AgentStateChanged(
        at=1795351614.7, agent=AGENT_ONE, old_state="ringing", new_state="on_call", queues=("support",)
    )
    [ours] = format_event(change, lambda agent_id: known)
    assert_same(standard(ours), recorded("QueueMemberStatus", nth=4), MEMBER_DIFFERENCES | {"InCall"})
    assert ours["InCall"] == "1"  # app_queue set it a moment later than this recording
    assert ours["Ringinuse"] == "0"


def test_caller_abandon_and_ring_no_answer_field_order() -> None:
    abandon = only(
        CallAbandoned(at=0, caller=CAROL, queue="support", position=2, original_position=3, hold_time=61.9)
    )
    channel_keys = [k for k, _ in recorded("QueueCallerJoin")][:16]
    assert list(abandon.keys)[:16] == channel_keys
    assert standard(abandon)[16:] == [
        ("Queue", "support"),
        ("Position", "2"),
        ("OriginalPosition", "3"),
        ("HoldTime", "61"),
    ]
    rna = only(AgentRingNoAnswer(at=0, caller=CAROL, queue="support", agent=AGENT_ONE, ring_time=15.2))
    called_keys = [k for k, _ in recorded("AgentCalled")]
    assert [k for k, _ in standard(rna)] == [*called_keys, "RingTime"]
    assert rna["RingTime"] == "15"


@pytest.mark.parametrize(
    ("old", "new", "names"),
    [
        ("logged_out", "ready", ["QueueMemberAdded"]),
        ("ready", "logged_out", ["QueueMemberRemoved"]),
        ("ready", "paused", ["QueueMemberPause"]),
        ("paused", "ready", ["QueueMemberPause"]),
        ("ready", "ringing", ["QueueMemberStatus"]),
        ("ringing", "reserved", []),  # both RINGING: app_queue would say nothing
        ("paused", "on_call", ["QueueMemberPause", "QueueMemberStatus"]),
    ],
)
def test_member_events_per_queue(old: str, new: str, names: list[str]) -> None:
    change = AgentStateChanged(
        at=10, agent=AGENT_ONE, old_state=old, new_state=new, reason="lunch", queues=("support", "sales")
    )
    messages = format_event(change, nobody)
    assert [(m.name, m["Queue"]) for m in messages] == [(n, q) for q in ("support", "sales") for n in names]
    for m in messages:
        assert m["Privilege"] == "agent,all"
        assert m["Status"] == str(member_status(new))
        assert m["Paused"] == ("1" if new == "paused" else "0")
        assert m["PausedReason"] == ("lunch" if new == "paused" else "")


def test_member_queues_come_from_the_snapshot_when_the_event_has_none() -> None:
    known = AgentSnapshot(
        agent_id="a1",
        name="Agent One",
        device="x",
        state="ready",
        state_since=0,
        queues=("q1",),
        last_call_end=99.5,
    )
    change = AgentStateChanged(at=10, agent=AGENT_ONE, old_state="ready", new_state="paused")
    [message] = format_event(change, lambda _: known)
    assert message["Queue"] == "q1"
    assert message["LastCall"] == "99"
    assert message["LastPause"] == "10"


def test_callbacks_have_no_app_queue_event_and_no_line_breaks_leak() -> None:
    assert (
        format_event(CallbackChanged(at=0, callback_id="cb", queue="q", number="1", status="new"), nobody)
        == []
    )
    evil = CallerInfo(call_id="c", channel="x", number="1\r\nEvent: Forged", name="a\nb")
    message = only(CallJoined(at=0, caller=evil, queue="q", position=1, count=1))
    assert b"\r\nEvent:" not in message.encode()
    assert message["CallerIDName"] == "a b"


def test_every_state_has_a_device_code() -> None:
    assert MEMBER_STATUS == {
        "ready": 1,
        "paused": 1,
        "reserved": 6,
        "ringing": 6,
        "on_call": 2,
        "wrap_up": 2,
        "logged_out": 5,
    }
    assert member_status("something new") == 0
