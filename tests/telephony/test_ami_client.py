"""The AMI client against a scripted fake manager over real TCP on 127.0.0.1.

Reconnect delays are tiny (or recorded by an injected sleep) and every wait is a condition
polled under a guard limit, so nothing here asserts on wall-clock time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from telephony.ami.backoff import backoff_ceiling, backoff_delay
from telephony.ami.client import AmiClient
from telephony.ami.errors import (
    AmiActionError,
    AmiAuthenticationError,
    AmiLinkError,
    AmiTimeout,
    raise_for_error,
)
from telephony.ami.message import AmiMessage, action, event, response
from telephony.errors import LocalProtocolError
from tests import traces
from tests.telephony.ami_fake import CHALLENGE, FakeManager, FakeSession, md5_key, wait_until

SECRET = "s3cr3t-do-not-log"
LOGGER = "telephony.ami"


@pytest.fixture
async def fake() -> AsyncIterator[FakeManager]:
    async with FakeManager(username="acd", secret=SECRET) as manager:
        yield manager


def make_client(fake: FakeManager, **overrides: Any) -> AmiClient:
    options: dict[str, Any] = {
        "connect_timeout": 2.0,
        "action_timeout": 2.0,
        "ping_interval": None,
        "ping_timeout": 1.0,
        "backoff_base": 0.001,
        "backoff_max": 0.005,
        "rng": random.Random(1),
    }
    options.update(overrides)
    secret = options.pop("secret", SECRET)
    return AmiClient("127.0.0.1", fake.port, "acd", secret, **options)


@contextlib.asynccontextmanager
async def running(client: AmiClient) -> AsyncIterator[asyncio.Task[None]]:
    """Run the client in a task; on exit close it and check run() returned cleanly."""
    task = asyncio.create_task(client.run())
    try:
        yield task
    finally:
        await client.close()
        await task


class Held:
    """A fake-manager handler that records actions and answers none (the test answers)."""

    def __init__(self) -> None:
        self.requests: list[tuple[FakeSession, AmiMessage]] = []

    async def __call__(self, session: FakeSession, request: AmiMessage) -> None:
        self.requests.append((session, request))


# ---------------------------------------------------------------- login


async def test_plain_login_then_close(fake: FakeManager) -> None:
    client = make_client(fake)
    async with running(client) as task:
        await client.wait_connected(timeout=5)
        was_connected = client.connected
        [login] = fake.actions("Login")
        assert (login["Username"], login["Secret"]) == ("acd", SECRET)
        assert login.action_id
        assert "AuthType" not in login
    assert was_connected
    assert task.result() is None
    assert not client.connected
    await wait_until(fake.sessions[0].closed.is_set)
    assert len(fake.actions("Logoff")) == 1
    with pytest.raises(AmiLinkError, match="closed"):
        await client.wait_connected(timeout=1)


async def test_md5_login(fake: FakeManager) -> None:
    client = make_client(fake, auth="md5")
    async with running(client):
        await client.wait_connected(timeout=5)
        [challenge] = fake.actions("Challenge")
        assert challenge["AuthType"] == "md5"
        [login] = fake.actions("Login")
        assert login["AuthType"] == "md5"
        assert login["Key"] == md5_key(CHALLENGE, SECRET)
        assert "Secret" not in login


@pytest.mark.parametrize("auth", ["plain", "md5"])
async def test_login_asks_only_for_the_event_classes_given(fake: FakeManager, auth: str) -> None:
    client = make_client(fake, auth=auth, events="call,user")
    async with running(client):
        await client.wait_connected(timeout=5)
        [login] = fake.actions("Login")
        assert login["Events"] == "call,user"
    without = make_client(fake)
    async with running(without):
        await without.wait_connected(timeout=5)
        assert "Events" not in fake.actions("Login")[-1]  # the manager's default: everything allowed


@pytest.mark.parametrize("auth", ["plain", "md5"])
async def test_wrong_secret_raises_and_is_not_retried(fake: FakeManager, auth: str) -> None:
    client = make_client(fake, secret="wrong", auth=auth)
    waiter = asyncio.create_task(client.wait_connected(timeout=5))
    with pytest.raises(AmiAuthenticationError, match="Authentication failed"):
        await client.run()
    with pytest.raises(AmiAuthenticationError, match="Authentication failed"):
        await waiter
    with pytest.raises(AmiAuthenticationError):
        await client.wait_connected(timeout=1)
    assert fake.connections == 1
    assert not client.connected


async def test_secret_and_md5_key_never_logged(fake: FakeManager, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    for auth in ("plain", "md5"):
        client = make_client(fake, auth=auth)
        async with running(client):
            await client.wait_connected(timeout=5)
            await client.send_action(action("Ping"))
        refused = make_client(fake, auth=auth, secret=SECRET + "-wrong")
        with pytest.raises(AmiAuthenticationError) as info:
            await refused.run()
        assert SECRET not in str(info.value)
    assert "ami logged in" in caplog.text
    assert "ami login refused" in caplog.text
    assert SECRET not in caplog.text
    assert md5_key(CHALLENGE, SECRET) not in caplog.text
    assert md5_key(CHALLENGE, SECRET + "-wrong") not in caplog.text


def test_constructor_rejects_bad_settings_without_echoing_the_secret() -> None:
    with pytest.raises(ValueError, match="auth"):
        AmiClient("127.0.0.1", 1, "acd", SECRET, auth="sha1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="secret") as info:
        AmiClient("127.0.0.1", 1, "acd", SECRET + "\r\nAction: Logoff")
    assert SECRET not in str(info.value)
    with pytest.raises(ValueError, match="ping_timeout"):
        AmiClient("127.0.0.1", 1, "acd", SECRET, ping_timeout=0)


# ---------------------------------------------------------------- actions


async def test_concurrent_actions_answered_out_of_order(fake: FakeManager) -> None:
    held = Held()
    fake.on("Getvar", held)
    client = make_client(fake)
    async with running(client):
        await client.wait_connected(timeout=5)
        calls = [
            asyncio.create_task(client.send_action(action("Getvar", Variable=f"V{i}"))) for i in range(40)
        ]
        await wait_until(lambda: len(held.requests) == 40)
        assert len({request.action_id for _, request in held.requests}) == 40
        order = list(range(40))
        random.Random(3).shuffle(order)
        for i in order:
            session, request = held.requests[i]
            await session.reply(
                request, Variable=request["Variable"], Value=f"value-of-{request['Variable']}"
            )
        results = await asyncio.gather(*calls)
        assert [r.response["Value"] for r in results] == [f"value-of-V{i}" for i in range(40)]
        assert all(r.ok for r in results)
        assert client.pending_actions == 0


def queue_status_replay() -> list[AmiMessage]:
    """What Asterisk 22 answered to ``QueueStatus`` with ActionID QST (misc.txt)."""
    messages = [AmiMessage(tuple(fields)) for fields in traces.load("misc.txt").ami_messages("<")]
    return [m for m in messages if m.action_id == "QST"]


async def test_list_action_returns_items_and_complete_event(fake: FakeManager) -> None:
    replay = queue_status_replay()
    assert [m.name for m in replay] == [
        "Success",
        "QueueParams",
        "QueueMember",
        "QueueMember",
        "QueueStatusComplete",
    ]
    unrelated = event("Newexten", Channel="Local/s@queue-ref-00000005;2", Application="Queue")

    async def queue_status(session: FakeSession, request: AmiMessage) -> None:
        assert request.action_id == "QST"
        data = b"".join(m.encode() for m in replay[:2]) + unrelated.encode()
        data += b"".join(m.encode() for m in replay[2:])
        # Two TCP writes cut in the middle of a message: framing must not care.
        cut = len(data) // 2
        await session.send_raw(data[:cut])
        await session.send_raw(data[cut:])

    fake.on("QueueStatus", queue_status)
    seen: list[AmiMessage] = []
    client = make_client(fake)
    client.add_event_handler(seen.append)
    async with running(client):
        await client.wait_connected(timeout=5)
        result = await client.send_action(action("QueueStatus", ActionID="QST", Queue="support"))
    assert result.ok
    assert result.response["EventList"] == "start"
    assert [e.name for e in result.events] == ["QueueParams", "QueueMember", "QueueMember"]
    assert result.events[1]["Name"] == "Agent One"
    assert result.complete is not None
    assert result.complete["ListItems"] == "3"
    # List items are the action's, not events; the unrelated event in between is an event.
    assert [e.name for e in seen if e.name != "FullyBooted"] == ["Newexten"]


async def test_error_response_is_a_result_not_an_exception(fake: FakeManager) -> None:
    client = make_client(fake)
    async with running(client):
        await client.wait_connected(timeout=5)
        result = await client.send_action(action("NoSuchAction"))
        assert not result.ok
        assert result.message == "Invalid/unknown command"
        with pytest.raises(AmiActionError, match=r"NoSuchAction.*Invalid/unknown command"):
            raise_for_error(result, "NoSuchAction")
        ping = await client.send_action(action("Ping"))
        assert raise_for_error(ping) is ping


async def test_action_timeout_forgets_the_action_and_drops_the_late_answer(
    fake: FakeManager, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    held = Held()
    fake.on("Getvar", held)
    client = make_client(fake)
    async with running(client):
        await client.wait_connected(timeout=5)
        with pytest.raises(AmiTimeout, match="may or may not have been executed") as info:
            await client.send_action(action("Getvar", Variable="X"), timeout=0.05)
        assert isinstance(info.value, TimeoutError)
        assert client.pending_actions == 0
        session, request = held.requests[0]
        await session.reply(request, Value="too late")
        # The link is still up, and the next answer is matched to the right action.
        assert (await client.send_action(action("Ping"))).response["Ping"] == "Pong"
        assert client.connected
    assert f"ami response dropped, no action waits for it action_id={request.action_id}" in caplog.text
    assert len(fake.sessions) == 1


async def test_send_action_when_not_connected_fails_at_once(fake: FakeManager) -> None:
    client = make_client(fake)
    with pytest.raises(AmiLinkError, match="not connected") as info:
        await client.send_action(action("Ping"))
    assert not info.value.maybe_executed
    assert fake.connections == 0


async def test_send_action_refuses_what_it_cannot_send(fake: FakeManager) -> None:
    held = Held()
    fake.on("Getvar", held)
    client = make_client(fake)
    async with running(client):
        await client.wait_connected(timeout=5)
        with pytest.raises(LocalProtocolError, match="needs an action"):
            await client.send_action(response("Success"))
        with pytest.raises(LocalProtocolError, match="line break"):
            await client.send_action(action("Setvar", Value="a\r\nAction: Logoff"))
        first = asyncio.create_task(client.send_action(action("Getvar", ActionID="dup")))
        await wait_until(lambda: len(held.requests) == 1)
        with pytest.raises(LocalProtocolError, match="already in flight"):
            await client.send_action(action("Getvar", ActionID="dup"))
        session, request = held.requests[0]
        await session.reply(request, Value="1")
        assert (await first).response["Value"] == "1"
        assert client.pending_actions == 0
    assert not fake.actions("Setvar")


# ---------------------------------------------------------------- link loss


async def test_link_drop_fails_pending_originate_which_is_never_resent(fake: FakeManager) -> None:
    async def originate(session: FakeSession, request: AmiMessage) -> None:
        session.drop()  # Asterisk died with the Originate in hand

    fake.on("Originate", originate)
    client = make_client(fake)
    async with running(client):
        await client.wait_connected(timeout=5)
        with pytest.raises(AmiLinkError, match="may or may not have been executed") as info:
            await client.send_action(
                action("Originate", Channel="Local/1001@agent-phone", Application="Wait", Data=1, Async=True)
            )
        assert info.value.maybe_executed
        await wait_until(lambda: fake.logins == 2)
        await client.wait_connected(timeout=5)
        assert (await client.send_action(action("Ping"))).ok
        assert len(fake.actions("Originate")) == 1
        assert [len(s.actions_named("Originate")) for s in fake.sessions] == [1, 0]


async def test_ping_watchdog_drops_a_half_open_link(
    fake: FakeManager, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(fake, ping_interval=0.02, ping_timeout=0.1)
    async with running(client):
        await client.wait_connected(timeout=5)
        await wait_until(lambda: len(fake.actions("Ping")) >= 2)  # pings are answered
        fake.sessions[0].silent = True
        with pytest.raises(AmiLinkError, match="half-open") as info:
            await client.send_action(action("Getvar", Variable="X"), timeout=5)
        assert info.value.maybe_executed
        await wait_until(lambda: fake.logins == 2)
        await client.wait_connected(timeout=5)
        await wait_until(fake.sessions[0].closed.is_set)
        assert len(fake.actions("Getvar")) == 1
    assert "link is half-open" in caplog.text


async def test_backoff_follows_seeded_full_jitter_is_capped_and_resets_after_login(
    fake: FakeManager,
) -> None:
    delays: list[float] = []

    async def record(delay: float) -> None:
        delays.append(delay)
        if len(delays) == 5:
            fake.accepting = True
        await asyncio.sleep(0)

    fake.accepting = False  # hang up before the banner, like a manager still starting
    client = make_client(fake, backoff_base=0.1, backoff_max=0.3, rng=random.Random(42), sleep=record)
    async with running(client):
        await client.wait_connected(timeout=5)
        assert fake.connections == 6
        fake.sessions[0].drop()
        await wait_until(lambda: fake.logins == 2)
    expected_rng = random.Random(42)
    # Ceilings double from the base up to the cap; after a login they start over.
    expected = [expected_rng.uniform(0.0, ceiling) for ceiling in (0.1, 0.2, 0.3, 0.3, 0.3, 0.1)]
    assert delays == pytest.approx(expected)
    assert all(0.0 <= d <= 0.3 for d in delays)


def test_backoff_ceiling_and_delay_are_capped() -> None:
    ceilings = [backoff_ceiling(n, base=0.5, cap=30.0) for n in range(10)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]
    assert backoff_ceiling(10_000, base=0.5, cap=30.0) == 30.0  # no float overflow
    rng = random.Random(0)
    assert all(0.0 <= backoff_delay(n, base=0.5, cap=30.0, rng=rng) <= 30.0 for n in range(200))


async def test_resync_hook_runs_after_every_login_and_its_failure_is_not_fatal(
    fake: FakeManager, caplog: pytest.LogCaptureFixture
) -> None:
    pongs: list[str] = []

    async def resync(client: AmiClient) -> None:
        # The hook can already use the link: that is how the daemon re-reads channels.
        pongs.append((await client.send_action(action("Ping"))).response["Ping"])
        if len(pongs) == 1:
            raise RuntimeError("resync bug")

    client = make_client(fake, on_connect=resync)
    async with running(client):
        await wait_until(lambda: len(pongs) == 1 and "resync bug" in caplog.text)
        assert client.connected
        assert len(fake.sessions) == 1
        fake.sessions[0].drop()
        await wait_until(lambda: len(pongs) == 2)
        fake.sessions[1].drop()
        await wait_until(lambda: len(pongs) == 3)
        await client.wait_connected(timeout=5)
    assert pongs == ["Pong"] * 3
    assert fake.logins == 3
    assert "ami resync hook failed" in caplog.text


async def test_garbage_mid_session_reconnects(fake: FakeManager, caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(fake)
    async with running(client) as task:
        await client.wait_connected(timeout=5)
        await fake.sessions[0].send_raw(b"this is not AMI\r\n\r\n")
        await wait_until(lambda: fake.logins == 2)
        with contextlib.suppress(ConnectionError):  # the client hangs up on it mid-write
            await fake.sessions[1].send_raw(b"Event: X\r\nK: " + b"A" * 70_000)  # over the line limit
        await wait_until(lambda: fake.logins == 3)
        await client.wait_connected(timeout=5)
        assert not task.done()
    assert caplog.text.count("RemoteProtocolError") == 2


async def test_garbage_banner_reconnects(fake: FakeManager, caplog: pytest.LogCaptureFixture) -> None:
    fake.greeting = b"SSH-2.0-OpenSSH_9.6\r\n"
    client = make_client(fake)
    async with running(client):
        await wait_until(lambda: fake.connections >= 2)
        fake.greeting = None
        await client.wait_connected(timeout=5)
    assert "expected the AMI banner" in caplog.text


# ---------------------------------------------------------------- events


async def test_handlers_run_in_order_and_a_raising_one_is_isolated(
    fake: FakeManager, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    hangups: list[AmiMessage] = []

    def broken(message: AmiMessage) -> None:
        raise ValueError("handler bug")

    client = make_client(fake)
    client.add_event_handler(broken)
    client.add_event_handler(lambda m: seen.append(m.name))
    remove = client.add_event_handler(hangups.append, names={"HANGUP"})
    async with running(client):
        await client.wait_connected(timeout=5)
        session = fake.sessions[0]
        for name in ("BridgeEnter", "BridgeLeave", "Hangup"):
            await session.send(event(name, Channel="Local/1001@agent-phone-00000001;1"))
        await wait_until(lambda: len(seen) == 4)
        assert seen == ["FullyBooted", "BridgeEnter", "BridgeLeave", "Hangup"]
        assert [m.name for m in hangups] == ["Hangup"]
        remove()
        remove()
        await session.send(event("Hangup"))
        assert (await client.send_action(action("Ping"))).ok  # the event was read before this
        assert [m.name for m in hangups] == ["Hangup"]
        assert seen[-1] == "Hangup"
        assert client.connected
        assert len(fake.sessions) == 1
    assert caplog.text.count("ami event handler failed") == 5
    assert "handler bug" in caplog.text


async def test_utf8_name_split_across_two_tcp_writes(fake: FakeManager) -> None:
    names: list[str] = []
    client = make_client(fake)
    client.add_event_handler(lambda m: names.append(m["CallerIDName"]), names={"Newchannel"})
    async with running(client):
        await client.wait_connected(timeout=5)
        data = event("Newchannel", CallerIDNum="5550001", CallerIDName="José").encode()
        cut = data.index("é".encode()) + 1  # between the two bytes of "é"
        await fake.sessions[0].send_raw(data[:cut])
        await asyncio.sleep(0.02)  # pacing, so the client reads the halves separately
        await fake.sessions[0].send_raw(data[cut:])
        await wait_until(lambda: len(names) == 1)
    assert names == ["José"]


# ---------------------------------------------------------------- close and cancel


async def test_close_while_connecting(fake: FakeManager) -> None:
    fake.banner_delay = asyncio.Event()  # never set: the manager never greets us
    client = make_client(fake)
    task = asyncio.create_task(client.run())
    await wait_until(lambda: fake.connections == 1)
    assert not client.connected
    await client.close()
    assert task.done()
    assert task.result() is None
    with pytest.raises(AmiLinkError):
        await client.wait_connected(timeout=1)


async def test_close_while_waiting_to_reconnect(fake: FakeManager, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    fake.accepting = False
    client = make_client(fake, backoff_base=60.0, backoff_max=60.0)
    task = asyncio.create_task(client.run())
    await wait_until(lambda: "ami reconnect scheduled" in caplog.text)
    await client.close()
    assert task.result() is None
    assert fake.connections == 1


async def test_close_while_connected_fails_pending_actions(fake: FakeManager) -> None:
    held = Held()
    fake.on("Originate", held)
    client = make_client(fake)
    task = asyncio.create_task(client.run())
    await client.wait_connected(timeout=5)
    pending = asyncio.create_task(client.send_action(action("Originate", Channel="Local/1@x")))
    await wait_until(lambda: len(held.requests) == 1)
    await client.close()
    await client.close()  # idempotent
    assert task.result() is None
    with pytest.raises(AmiLinkError, match="may or may not") as info:
        await pending
    assert info.value.maybe_executed
    await wait_until(fake.sessions[0].closed.is_set)
    # close() is final: run() again does nothing.
    await client.run()
    assert fake.connections == 1


async def test_cancelling_run_propagates_and_closes_the_socket(fake: FakeManager) -> None:
    client = make_client(fake)
    task = asyncio.create_task(client.run())
    await client.wait_connected(timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not client.connected
    await wait_until(fake.sessions[0].closed.is_set)


async def test_run_twice_at_once_is_refused(fake: FakeManager) -> None:
    client = make_client(fake)
    async with running(client):
        await client.wait_connected(timeout=5)
        with pytest.raises(RuntimeError, match="already running"):
            await client.run()
