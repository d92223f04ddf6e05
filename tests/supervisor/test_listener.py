"""Our AMI listener over real sockets on 127.0.0.1: login, actions, events, limits, hostile peers."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

import pytest

from acd.events import CallerInfo, CallJoined
from ivr_acd.supervisor import AmiListener
from ivr_acd.supervisor.auth import md5_key
from telephony.ami.message import action
from tests.supervisor.ami_peer import RawPeer
from tests.supervisor.conftest import CONTROLLER, READER, running_listener
from tests.supervisor.fake_center import FakeCenter

LOGGER = "ivr_acd.supervisor"
UNKNOWN = "Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands."


def joined(n: int = 1, name: str = "Carol") -> CallJoined:
    caller = CallerInfo(
        call_id=f"c{n}", channel=f"PJSIP/trunk-{n:08x}", uniqueid=f"17.{n}", number="5550002", name=name
    )
    return CallJoined(at=1.0, caller=caller, queue="support", position=n, count=n)


async def logged_in(listener: AmiListener, user: tuple[str, str] = READER, **fields: object) -> RawPeer:
    peer = await RawPeer.connect(listener.port)
    response = await peer.login(*user, **fields)
    assert response["Message"] == "Authentication accepted"
    booted = await peer.read()
    assert booted.name == "FullyBooted"
    return peer


async def wait_for(predicate: Callable[[], bool], limit: float = 5.0) -> None:
    async with asyncio.timeout(limit):
        while not predicate():
            await asyncio.sleep(0.005)


# ---------------------------------------------------------------- login


async def test_banner_and_login_like_asterisk(listener: AmiListener) -> None:
    async with await RawPeer.connect(listener.port) as peer:
        assert peer.banner == "Asterisk Call Manager/11.0.0"
        response = await peer.login(*READER)
        assert response.fields == (
            ("Response", "Success"),
            ("ActionID", "t1"),
            ("Message", "Authentication accepted"),
        )
        booted = await peer.read()
        assert booted.keys == ("Event", "Privilege", "Uptime", "LastReload", "Status")
        assert booted["Status"] == "Fully Booted"


async def test_banner_version_is_configurable(center: FakeCenter) -> None:
    async with (
        running_listener(center, banner_version="8.0.0") as listener,
        await RawPeer.connect(listener.port) as peer,
    ):
        assert peer.banner == "Asterisk Call Manager/8.0.0"


async def test_nothing_but_login_challenge_ping_logoff_before_login(listener: AmiListener) -> None:
    async with await RawPeer.connect(listener.port) as peer:
        for name in ("QueueStatus", "QueueSummary", "QueuePause", "Events", "ListCommands", "NoSuchAction"):
            response = await peer.request(name)
            assert (response["Response"], response["Message"]) == ("Error", "Permission denied"), name
        assert (await peer.request("Ping"))["Ping"] == "Pong"
        assert "Challenge" in await peer.request("Challenge", AuthType="md5")
        assert (await peer.request("Logoff"))["Response"] == "Goodbye"
        assert await peer.is_closed()


async def test_wrong_secret_is_refused_logged_without_secret_then_closed(
    listener: AmiListener, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with await RawPeer.connect(listener.port) as peer:
        for attempt in range(3):
            response = await peer.login(READER[0], f"guess-{attempt}-s3cr3t")
            assert (response["Response"], response["Message"]) == ("Error", "Authentication failed")
        assert await peer.is_closed()  # after max_auth_failures (3)
    failures = [r.getMessage() for r in caplog.records if "login failed" in r.getMessage()]
    assert len(failures) == 3
    assert all(f"username='{READER[0]}'" in line and "peer=127.0.0.1:" in line for line in failures)
    assert "s3cr3t" not in caplog.text


async def test_md5_challenge_login(listener: AmiListener, caplog: pytest.LogCaptureFixture) -> None:
    async with await RawPeer.connect(listener.port) as peer:
        challenge = await peer.request("Challenge", AuthType="md5")
        assert list(challenge.keys) == ["Response", "ActionID", "Challenge"]
        key = md5_key(challenge["Challenge"], CONTROLLER[1])
        response = await peer.request("Login", AuthType="md5", Username=CONTROLLER[0], Key=key)
        assert response["Message"] == "Authentication accepted"
    assert key not in caplog.text


async def test_md5_login_refused_with_a_wrong_key_a_replayed_key_or_no_challenge(
    listener: AmiListener,
) -> None:
    async with await RawPeer.connect(listener.port) as peer:
        no_challenge = await peer.request("Login", AuthType="md5", Username=READER[0], Key="0" * 32)
        assert no_challenge["Message"] == "Authentication failed"
        challenge = (await peer.request("Challenge", AuthType="MD5"))["Challenge"]
        wrong = await peer.request(
            "Login", AuthType="md5", Username=READER[0], Key=md5_key(challenge, "nope")
        )
        assert wrong["Message"] == "Authentication failed"
        # The challenge was spent by that attempt: its right key no longer works.
        replay = await peer.request(
            "Login", AuthType="md5", Username=READER[0], Key=md5_key(challenge, READER[1])
        )
        assert replay["Message"] == "Authentication failed"
        assert await peer.is_closed()
    async with await RawPeer.connect(listener.port) as peer:
        refused = await peer.request("Challenge", AuthType="plain")
        assert (refused["Response"], refused["Message"]) == ("Error", "Must specify AuthType")


async def test_failed_logins_are_slowed_down(center: FakeCenter) -> None:
    async with (
        running_listener(center, auth_failure_delay=0.2) as listener,
        await RawPeer.connect(listener.port) as peer,
    ):
        loop = asyncio.get_running_loop()
        started = loop.time()
        await peer.login(READER[0], "wrong")
        assert loop.time() - started >= 0.2


async def test_no_login_within_the_timeout_closes(
    center: FakeCenter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with (
        running_listener(center, login_timeout=0.1) as listener,
        await RawPeer.connect(listener.port) as peer,
    ):
        assert await peer.is_closed()
    assert "reason=no-login-within" in caplog.text


# ---------------------------------------------------------------- actions


async def test_ping_logoff_unknown_and_missing_action(listener: AmiListener) -> None:
    peer = await logged_in(listener)
    pong = await peer.request("Ping")
    assert pong.fields == (
        ("Response", "Success"),
        ("ActionID", "t2"),
        ("Ping", "Pong"),
        ("Timestamp", "1795351614.978105"),
    )
    unknown = await peer.request("NoSuchAction")
    assert (unknown["Response"], unknown["Message"]) == ("Error", UNKNOWN)
    await peer.send_raw(b"ActionID: M1\r\nFoo: bar\r\n\r\n")
    missing = await peer.read()
    assert missing.fields == (
        ("Response", "Error"),
        ("ActionID", "M1"),
        ("Message", "Missing action in request"),
    )
    goodbye = await peer.request("Logoff")
    assert goodbye.fields == (
        ("Response", "Goodbye"),
        ("ActionID", "t4"),
        ("Message", "Thanks for all the fish."),
    )
    assert await peer.is_closed()
    await peer.aclose()


async def test_list_commands_shows_what_the_user_may_run(listener: AmiListener) -> None:
    reader = await logged_in(listener)
    controller = await logged_in(listener, CONTROLLER)
    read_list = await reader.request("ListCommands")
    control_list = await controller.request("ListCommands")
    assert read_list["QueueStatus"] == "Show queue status. (Priv: <none>)"
    assert "QueuePause" not in read_list
    assert control_list["QueuePause"] == "Makes a queue member temporarily unavailable. (Priv: agent)"
    assert control_list["AcdCallback"]
    await reader.aclose()
    await controller.aclose()


async def test_read_user_cannot_control(listener: AmiListener, center: FakeCenter) -> None:
    peer = await logged_in(listener)
    for name, fields in (
        ("QueuePause", {"Interface": "PJSIP/1001", "Paused": "1"}),
        ("QueueAdd", {"Queue": "support", "Interface": "PJSIP/1004"}),
        ("QueueRemove", {"Queue": "support", "Interface": "PJSIP/1001"}),
        ("AcdCallback", {"Queue": "support", "Number": "5550100"}),
    ):
        response = await peer.request(name, **fields)
        assert (response["Response"], response["Message"]) == ("Error", "Permission denied")
    assert center.commands == []
    await peer.aclose()


async def test_queue_summary_and_status_with_filters(listener: AmiListener) -> None:
    peer = await logged_in(listener)
    summary = await peer.request_list("QueueSummary", Queue="support")
    assert [m.name for m in summary] == ["Success", "QueueSummary", "QueueSummaryComplete"]
    assert summary[0]["Message"] == "Queue summary will follow"
    assert {
        k: summary[1][k] for k in ("LoggedIn", "Available", "Callers", "HoldTime", "LongestHoldTime")
    } == {
        "LoggedIn": "3",
        "Available": "1",
        "Callers": "2",
        "HoldTime": "18",
        "LongestHoldTime": "95",
    }
    everything = await peer.request_list("QueueStatus")
    assert everything[0]["Message"] == "Queue status will follow"
    names = [m.name for m in everything[1:-1]]
    assert names == [
        "QueueParams",
        *["QueueMember"] * 3,
        *["QueueEntry"] * 2,
        "QueueParams",
        *["QueueMember"] * 2,
        "QueueEntry",
    ]
    assert everything[-1]["ListItems"] == str(len(names))
    assert all(m["ActionID"] == everything[0]["ActionID"] for m in everything)
    one = await peer.request_list("QueueStatus", Queue="sales", Member="PJSIP/1003")
    assert [(m.name, m.get("Queue"), m.get("Name")) for m in one[1:-1]] == [
        ("QueueParams", "sales", None),
        ("QueueMember", "sales", "Agent Three"),
        ("QueueEntry", "sales", None),
    ]
    assert one[2]["PausedReason"] == "lunch"
    await peer.aclose()


async def test_pipelined_actions_in_one_write_and_bare_lf(listener: AmiListener) -> None:
    async with await RawPeer.connect(listener.port) as peer:
        await peer.send_raw(
            b"Action: Login\nActionID: 1\nUsername: wallboard\nSecret: read-secret-1234\n\n"
            b"Action: Ping\r\nActionID: 2\r\n\r\nAction: QueueSummary\r\nActionID: 3\r\nQueue: sales\r\n\r\n"
        )
        messages = await peer.read_until(lambda m: m.name == "QueueSummaryComplete")
        assert [(m.name, m.action_id) for m in messages] == [
            ("Success", "1"),
            ("FullyBooted", None),
            ("Success", "2"),
            ("Success", "3"),
            ("QueueSummary", "3"),
            ("QueueSummaryComplete", "3"),
        ]


async def test_an_engine_failure_fails_the_action_not_the_connection(
    listener: AmiListener, center: FakeCenter, caplog: pytest.LogCaptureFixture
) -> None:
    peer = await logged_in(listener)

    def broken() -> object:
        raise RuntimeError("engine bug")

    center.snapshot = broken  # type: ignore[assignment,method-assign]
    response = await peer.request("QueueStatus")
    assert (response["Response"], response["Message"]) == ("Error", "Internal error")
    assert "engine bug" in caplog.text
    assert (await peer.request("Ping"))["Ping"] == "Pong"
    await peer.aclose()


# ---------------------------------------------------------------- events


async def test_events_reach_logged_in_sessions_that_want_them(
    listener: AmiListener, center: FakeCenter
) -> None:
    everything = await logged_in(listener)
    silent = await logged_in(listener, CONTROLLER, Events="off")
    calls_only = await logged_in(listener, Events="call")
    agent_only = await logged_in(listener, Events="agent")
    anonymous = await RawPeer.connect(listener.port)
    center.emit(joined(1))
    for peer in (everything, agent_only):
        message = await peer.read()
        assert (message.name, message["Privilege"], message["Queue"]) == (
            "QueueCallerJoin",
            "agent,all",
            "support",
        )
    # Those that must not see it see the next answer first.
    for peer in (silent, calls_only):
        assert (await peer.request("Ping")).name == "Success"
        assert [m.name for m in peer.received] == ["Success", "FullyBooted", "Success"]
    assert (await anonymous.request("Ping")).name == "Success"
    assert len(anonymous.received) == 1
    for peer in (everything, silent, calls_only, agent_only, anonymous):
        await peer.aclose()


async def test_events_action_switches_the_flow(listener: AmiListener, center: FakeCenter) -> None:
    peer = await logged_in(listener, Events="off")
    on = await peer.request("Events", EventMask="on")
    assert on.fields == (("Response", "Success"), ("ActionID", "t2"), ("Events", "On"))
    center.emit(joined(1))
    assert (await peer.read()).name == "QueueCallerJoin"
    off = await peer.request("Events", EventMask="off")
    assert off["Events"] == "Off"
    center.emit(joined(2))
    await peer.request("Ping")
    assert [m.name for m in peer.received[-2:]] == ["Success", "Success"]
    invalid = await peer.request("Events")
    assert (invalid["Response"], invalid["Message"]) == ("Error", "Invalid event mask")
    await peer.aclose()


async def test_member_events_follow_a_snapshot_lookup_per_batch(
    listener: AmiListener, center: FakeCenter
) -> None:
    peer = await logged_in(listener, CONTROLLER)
    response = await peer.request("QueuePause", Interface="PJSIP/1001", Paused="true", Reason="coffee")
    assert response["Message"] == "Interface paused successfully"
    messages = await peer.read_until(lambda m: m.name == "QueueMemberPause")
    pause = messages[-1]
    assert (pause["Queue"], pause["MemberName"], pause["Paused"], pause["PausedReason"]) == (
        "support",
        "Agent One",
        "1",
        "coffee",
    )
    assert pause["LoginTime"] == str(int(center.agent("a1").login_time))
    await peer.aclose()


# ---------------------------------------------------------------- limits and hostile peers


@pytest.mark.parametrize(
    "junk",
    [
        b"this is not AMI\r\n\r\n",
        b"A" * 5000,  # a line over SERVER_LIMITS.max_line without a newline
        b"\x00\xff\xfe\r\n\r\n",
        b"Action: Ping\r\n" + b"X-Field: 1\r\n" * 600,  # more fields than a message may have
    ],
)
async def test_garbage_closes_that_connection_only(
    listener: AmiListener, junk: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    good = await logged_in(listener)
    async with await RawPeer.connect(listener.port) as hostile:
        await hostile.send_raw(junk)
        assert await hostile.is_closed()
    assert "reason=protocol-error" in caplog.text
    assert (await good.request("Ping"))["Ping"] == "Pong"
    await good.aclose()


async def test_a_peer_that_vanishes_mid_message_is_harmless(listener: AmiListener) -> None:
    peer = await RawPeer.connect(listener.port)
    await peer.send_raw(b"Action: Login\r\nUsername: wall")
    peer.writer.transport.abort()
    await wait_for(lambda: listener.connections == 0)


async def test_connection_cap(center: FakeCenter, caplog: pytest.LogCaptureFixture) -> None:
    async with running_listener(center, max_connections=2) as listener:
        first = await RawPeer.connect(listener.port)
        second = await RawPeer.connect(listener.port)
        third = await RawPeer.connect(listener.port, read_banner=False)
        assert await third.is_closed()
        assert "max_connections=2" in caplog.text
        await first.aclose()
        await wait_for(lambda: listener.connections == 1)
        async with await RawPeer.connect(listener.port) as fourth:
            assert fourth.banner.startswith("Asterisk Call Manager/")
        await second.aclose()
        await third.aclose()


async def test_a_slow_reader_is_dropped_without_holding_anyone(
    center: FakeCenter, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_listener(center, send_queue_bytes=32 * 1024) as listener:
        slow = await logged_in(listener)  # it never reads again
        fast = await logged_in(listener)
        received = 0
        for round_number in range(2000):
            if listener.connections == 1:
                break
            for n in range(10):  # about 11 kB per round, a third of the queue
                center.emit(joined(n, name="x" * 400))
            # The fast client keeps reading.
            while received < (round_number + 1) * 10:
                assert (await fast.read()).name == "QueueCallerJoin"
                received += 1
        assert listener.connections == 1
        assert "client dropped" in caplog.text
        assert "does not keep up" in caplog.text
        assert (await fast.request("Ping"))["Ping"] == "Pong"
        await fast.aclose()
        await slow.aclose()


async def test_close_ends_every_connection_and_unsubscribes(center: FakeCenter) -> None:
    async with running_listener(center) as listener:
        assert center.subscribers == 1
        port = listener.port
        peers = [await logged_in(listener), await RawPeer.connect(listener.port)]
    assert center.subscribers == 0
    for peer in peers:
        assert await peer.is_closed()
        await peer.aclose()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_serve_forever_in_a_task_group(center: FakeCenter) -> None:
    from ivr_acd.supervisor import ListenerConfig
    from tests.supervisor.conftest import USERS

    listener = AmiListener(center, ListenerConfig(users=USERS, port=0))
    task = asyncio.create_task(listener.serve_forever())
    await wait_for(lambda: center.subscribers == 1)
    async with await RawPeer.connect(listener.port) as peer:
        assert re.fullmatch(r"Asterisk Call Manager/\d+\.\d+\.\d+", peer.banner)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await peer.is_closed()
    assert center.subscribers == 0


async def test_actions_use_our_codec_framing(listener: AmiListener) -> None:
    # A message built by the project's own encoder round-trips through the listener.
    async with await RawPeer.connect(listener.port) as peer:
        await peer.send(action("Login", Username=READER[0], Secret=READER[1]))
        assert (await peer.read())["Message"] == "Authentication accepted"
