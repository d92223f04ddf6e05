"""The FastAGI server and its channels, over real loopback TCP, against a scripted fake Asterisk.

Handlers run inside the server, which only logs what they raise, so each test's handler is a
:class:`Probe` whose return value (or failed assertion) the test awaits.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import weakref

import pytest

from telephony.agi import commands
from telephony.agi.channel import AgiChannel, AgiHangup, AgiTimeout
from telephony.agi.codec import AgiReply
from telephony.agi.commands import AgiCommand
from telephony.agi.server import FastAgiServer
from telephony.errors import LocalProtocolError
from tests import traces
from tests.telephony.fastagi_fake import (
    LOOPBACK,
    SAFETY_TIMEOUT,
    FakeAsterisk,
    Probe,
    eventually,
    make_env,
    route_table,
    serving,
)

LOGGER = "telephony.agi"
OK = "200 result=0"
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"


async def answer_once(channel: AgiChannel) -> bool:
    """A minimal dialplan: ANSWER and leave."""
    return (await channel.execute(commands.answer())).ok


async def serve_answer(fake: FakeAsterisk) -> None:
    """Asterisk's side of :func:`answer_once`."""
    assert await fake.read_command() == "ANSWER"
    await fake.reply(OK)
    assert await fake.expect_closed() == []


# ---------------------------------------------------------------- routing


async def test_routes_on_script_name_and_exposes_query(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)

    async def look(channel: AgiChannel) -> tuple[str, dict[str, str], str, bool]:
        return channel.env.script, channel.env.query, channel.env.channel, await answer_once(channel)

    ivr, callback = Probe(look), Probe(look)
    redirected = traces.load("abandon_redirect.txt").agi_sessions()[2]  # callback?ticket=T42
    async with serving(route_table({"ivr": ivr, "callback": callback})) as server:
        for env in (make_env("ivr/?lang=fr&dnis=100", channel="PJSIP/1001-01"), redirected.env_dict()):
            async with await FakeAsterisk.start(server.port, env) as fake:
                await serve_answer(fake)
        assert await ivr.result() == ("ivr", {"lang": "fr", "dnis": "100"}, "PJSIP/1001-01", True)
        assert await callback.result() == ("callback", {"ticket": "T42"}, "Local/s@agi-test-0000000a;2", True)
        await eventually(lambda: server.active_sessions == 0)
    assert "agi session start channel=PJSIP/1001-01 script=ivr uniqueid=1795351544.1" in caplog.text
    assert (
        "agi session end channel=PJSIP/1001-01 script=ivr uniqueid=1795351544.1 outcome=done" in caplog.text
    )


async def test_unknown_script_is_logged_and_closed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    known = Probe(answer_once)
    async with serving(route_table({"ivr": known})) as server:
        async with await FakeAsterisk.start(server.port, make_env("billing?account=42")) as fake:
            assert await fake.expect_closed() == []
        await eventually(lambda: server.active_sessions == 0)
    assert known.calls == 0
    assert "agi unknown script script=billing channel=Local/s@agi-test-00000000;2" in caplog.text
    assert "account=42" not in caplog.text  # queries may carry tokens: never logged


async def test_a_router_that_raises_closes_that_session(caplog: pytest.LogCaptureFixture) -> None:
    def route(env: object) -> None:
        raise KeyError("broken router")

    async with serving(route) as server, await FakeAsterisk.start(server.port) as fake:
        assert await fake.expect_closed() == []
    assert "agi route failed" in caplog.text


# ---------------------------------------------------------------- commands and replies


async def test_concurrent_executes_are_serialised_and_matched_to_their_caller() -> None:
    async def body(channel: AgiChannel) -> list[str | None]:
        replies = await asyncio.gather(*(channel.execute(commands.get_variable(f"V{i}")) for i in range(3)))
        return [reply.data for reply in replies]

    probe = Probe(body)
    async with serving(route_table({"ivr": probe})) as server, await FakeAsterisk.start(server.port) as fake:
        for _ in range(3):
            line = await fake.read_command()
            await fake.assert_quiet()  # the next command waits for this reply
            await fake.reply(f"200 result=1 ({line.split()[-1]}-value)")
        assert await fake.expect_closed() == []
        assert await probe.result() == ["V0-value", "V1-value", "V2-value"]
    assert fake.commands == ["GET VARIABLE V0", "GET VARIABLE V1", "GET VARIABLE V2"]


async def test_every_kind_of_reply() -> None:
    sent = [
        commands.stream_file("hello-world", "1"),
        commands.get_variable("FOO"),
        AgiCommand("BOGUS COMMAND"),
        commands.stream_file("hello-world"),
        AgiCommand("DATABASE GET"),
        commands.exec_app("Gosub", "sub,s,1"),
    ]

    async def body(channel: AgiChannel) -> list[AgiReply]:
        return [await channel.execute(command) for command in sent]

    probe = Probe(body)
    async with serving(route_table({"ivr": probe})) as server, await FakeAsterisk.start(server.port) as fake:
        for reply in (
            "200 result=49 endpos=37760",
            "200 result=1 (bar (baz))",
            "510 Invalid or unknown command",
            DEAD,  # a 511 without HANGUP is an ordinary reply
        ):
            await fake.read_command()
            await fake.reply(reply)
        await fake.read_command()
        await fake.send(
            b"520-Invalid command syntax.  Proper usage follows:\n"
            b" Usage: DATABASE GET <family> <key>\n"
            b"520 End of proper usage.\n"
        )
        await fake.read_command()
        await fake.reply("100 result=0 Trying...")
        await fake.assert_quiet()  # 100 is provisional: no next command yet
        await fake.reply("200 result=0")
        assert await fake.expect_closed() == []
        played, var, unknown, dead, usage, gosub = await probe.result()
    assert fake.commands == [command.line for command in sent]
    assert (played.digit, played.endpos) == ("1", 37760)
    assert (var.result, var.data) == ("1", "bar (baz)")
    assert (unknown.code, unknown.message) == (510, "Invalid or unknown command")
    assert dead.code == 511
    assert usage.code == 520
    assert usage.usage == " Usage: DATABASE GET <family> <key>"
    assert (gosub.code, gosub.result) == (200, "0")


async def test_a_command_that_cannot_be_encoded_is_not_sent_and_the_session_goes_on() -> None:
    async def body(channel: AgiChannel) -> bool:
        with pytest.raises(LocalProtocolError):
            await channel.execute(commands.set_variable("X", "a\nHANGUP"))
        return await answer_once(channel)

    probe = Probe(body)
    async with serving(route_table({"ivr": probe})) as server, await FakeAsterisk.start(server.port) as fake:
        await serve_answer(fake)
        assert await probe.result()
    assert fake.commands == ["ANSWER"]


async def test_a_cancelled_commands_reply_is_consumed_before_the_next_command() -> None:
    first_read, first_cancelled = asyncio.Event(), asyncio.Event()

    async def body(channel: AgiChannel) -> str | None:
        hold = asyncio.create_task(channel.execute(commands.exec_app("MusicOnHold", "default,20")))
        await first_read.wait()
        hold.cancel()
        await asyncio.wait([hold])
        first_cancelled.set()
        return (await channel.execute(commands.get_variable("BRIDGEPEER"))).data

    probe = Probe(body)
    async with serving(route_table({"ivr": probe})) as server, await FakeAsterisk.start(server.port) as fake:
        assert await fake.read_command() == "EXEC MusicOnHold default,20"
        first_read.set()
        await first_cancelled.wait()
        await fake.assert_quiet()  # still in flight in Asterisk: the next command must wait
        await fake.reply("200 result=0")  # the late reply, dropped
        assert await fake.read_command() == "GET VARIABLE BRIDGEPEER"
        await fake.reply("200 result=1 (PJSIP/1001-01)")
        assert await fake.expect_closed() == []
        assert await probe.result() == "PJSIP/1001-01"


# ---------------------------------------------------------------- HANGUP semantics


async def test_hangup_before_a_command_sends_nothing() -> None:
    async def body(channel: AgiChannel) -> AgiReply | None:
        await channel.wait_hangup()
        assert channel.hungup
        assert not channel.closed
        with pytest.raises(AgiHangup) as info:
            await channel.execute(commands.answer())
        return info.value.reply

    probe = Probe(body)
    async with serving(route_table({"ivr": probe})) as server, await FakeAsterisk.start(server.port) as fake:
        await fake.hangup()
        assert await fake.expect_closed() == []
        assert await probe.result() is None


async def test_hangup_while_a_command_is_in_flight_carries_its_reply() -> None:
    async def body(channel: AgiChannel) -> AgiReply | None:
        with pytest.raises(AgiHangup) as during:
            await channel.execute(commands.stream_file("hello-world"))
        assert channel.hungup
        with pytest.raises(AgiHangup) as after:
            await channel.execute(commands.answer())
        assert after.value.reply is None
        return during.value.reply

    probe = Probe(body)
    async with serving(route_table({"ivr": probe})) as server, await FakeAsterisk.start(server.port) as fake:
        assert await fake.read_command() == 'STREAM FILE hello-world ""'
        await fake.hangup()
        await fake.reply(DEAD)
        assert await fake.expect_closed() == []  # the command after HANGUP was not sent
        reply = await probe.result()
    assert reply is not None
    assert reply.code == 511


async def test_bridge_pull_from_connect_moh() -> None:
    """MusicOnHold returns -1, then the next command gets HANGUP and its own 200."""
    session = traces.load("connect_moh.txt").agi_sessions()[0]

    async def body(channel: AgiChannel) -> str:
        assert (await channel.execute(commands.answer())).ok
        hold = await channel.execute(commands.exec_app("MusicOnHold", "default,20"))
        assert hold.failed
        assert not channel.hungup  # -1 alone says nothing yet
        with pytest.raises(AgiHangup) as pulled:
            await channel.execute(commands.get_variable("BRIDGEPEER"))
        assert pulled.value.reply == AgiReply(code=200, result="0")
        with pytest.raises(AgiHangup) as refused:
            await channel.execute(commands.noop("done"))
        assert refused.value.reply is None
        # Clean-up commands still run on the dead channel when asked for explicitly.
        return (await channel.execute(commands.noop("done"), after_hangup=True)).format()

    probe = Probe(body)
    async with (
        serving(route_table({"ivr": probe})) as server,
        await FakeAsterisk.start(server.port, session.env) as fake,
    ):
        await fake.replay(session.steps)
        assert await fake.expect_closed() == []
        assert await probe.result() == "200 result=0"
    assert fake.commands == session.commands


async def test_hangup_right_after_a_reply_belongs_to_no_command() -> None:
    """abandon_redirect.txt: ``200 result=-1`` then ``HANGUP``, here in one TCP segment.

    The reply was complete before the notice, so it is returned; the notice stops what follows.
    """

    async def body(channel: AgiChannel) -> AgiReply:
        hold = await channel.execute(commands.exec_app("MusicOnHold", "default,30"))
        assert channel.hungup
        with pytest.raises(AgiHangup):
            await channel.execute(commands.noop("after-hold"))
        return hold

    probe = Probe(body)
    async with serving(route_table({"ivr": probe})) as server, await FakeAsterisk.start(server.port) as fake:
        assert await fake.read_command() == "EXEC MusicOnHold default,30"
        await fake.send(b"200 result=-1\nHANGUP\n")
        assert await fake.expect_closed() == []
        assert (await probe.result()).failed


def recorded_exchanges(session: traces.AgiSession) -> list[tuple[str, str, bool]]:
    """(command, final reply, HANGUP arrived while it was in flight) for each recorded command."""
    exchanges: list[tuple[str, str, bool]] = []
    command, hangup = "", False
    for kind, text in session.steps:
        if kind == "cmd":
            command, hangup = text, False
        elif text == "HANGUP":
            hangup = True
        elif not text.startswith("100 "):
            exchanges.append((command, text, hangup))
    return exchanges


async def test_replays_the_real_agi_basic_session_exactly() -> None:
    session = traces.load("agi_basic.txt").agi_sessions()[0]

    async def body(channel: AgiChannel) -> list[tuple[str, str, bool]]:
        assert dict(channel.env.fields) == session.env_dict()
        got: list[tuple[str, str, bool]] = []
        for line in session.commands:
            reply: AgiReply | None
            try:
                reply, hangup = await channel.execute(AgiCommand(line), after_hangup=channel.hungup), False
            except AgiHangup as exc:
                reply, hangup = exc.reply, True
            assert reply is not None
            got.append((line, reply.format(), hangup))
        return got

    probe = Probe(body)
    async with (
        serving(route_table({"ivr": probe})) as server,
        await FakeAsterisk.start(server.port, session.env) as fake,
    ):
        await fake.replay(session.steps)
        assert await fake.expect_closed() == []
        got = await probe.result()
    expected = recorded_exchanges(session)
    assert got == expected
    assert [command for command, _, hangup in expected if hangup] == ['STREAM FILE hello-world ""']


async def test_wait_hangup_races_music_in_flight() -> None:
    saw_hangup = asyncio.Event()

    async def body(channel: AgiChannel) -> AgiReply | None:
        hold = asyncio.create_task(channel.execute(commands.exec_app("MusicOnHold", "default,30")))
        await channel.wait_hangup()
        assert channel.hungup
        assert not hold.done()  # the notice is seen before the reply, with a command in flight
        saw_hangup.set()
        with pytest.raises(AgiHangup) as info:
            await hold
        return info.value.reply

    probe = Probe(body)
    async with serving(route_table({"ivr": probe})) as server, await FakeAsterisk.start(server.port) as fake:
        await fake.read_command()
        await fake.hangup()
        await saw_hangup.wait()
        await fake.reply("200 result=-1")
        assert await fake.expect_closed() == []
        reply = await probe.result()
    assert reply is not None
    assert reply.failed


async def test_wait_hangup_returns_when_the_socket_closes_without_hangup() -> None:
    async def body(channel: AgiChannel) -> tuple[bool, bool]:
        await channel.wait_hangup()
        return channel.hungup, channel.closed

    probe = Probe(body)
    async with serving(route_table({"ivr": probe})) as server:
        fake = await FakeAsterisk.start(server.port)
        await fake.close()
        assert await probe.result() == (False, True)


async def test_socket_closed_while_a_command_is_in_flight() -> None:
    async def body(channel: AgiChannel) -> AgiReply | None:
        with pytest.raises(AgiHangup) as pending:
            await channel.execute(commands.answer())
        assert channel.closed
        assert not channel.hungup
        with pytest.raises(AgiHangup):
            await channel.execute(commands.noop())
        return pending.value.reply

    probe = Probe(body)
    async with serving(route_table({"ivr": probe})) as server:
        fake = await FakeAsterisk.start(server.port)
        assert await fake.read_command() == "ANSWER"
        await fake.close()
        assert await probe.result() is None


# ---------------------------------------------------------------- misbehaving peers


async def test_peer_that_closes_at_once_ends_cleanly_without_blocking_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    probe = Probe(answer_once)
    async with serving(route_table({"ivr": probe})) as server:
        tick_task = asyncio.create_task(ticker())
        try:
            for _ in range(20):
                await (await FakeAsterisk.connect(server.port)).close()
            # Accepted after the empty ones (the accept queue is FIFO) and served normally.
            async with await FakeAsterisk.start(server.port) as fake:
                await serve_answer(fake)
            await eventually(lambda: server.active_sessions == 0, "empty sessions ended")
            # A session spinning on a closed socket would starve this ticker (StreamReader.read
            # at EOF returns without yielding) and keep the count above zero.
            seen = ticks
            await eventually(lambda: ticks > seen + 100, "the event loop keeps running")
        finally:
            tick_task.cancel()
            await asyncio.wait([tick_task])
    assert await probe.result()
    assert caplog.text.count("agi peer closed before the environment") == 20
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    ("garbage", "message"),
    [
        pytest.param(b"\x00\xff\xfe no colon here\n", "malformed AGI environment line", id="binary"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "malformed AGI environment line", id="http"),
        pytest.param(b"x" * 20_000, "longer than", id="overlong-line"),
    ],
)
async def test_garbage_before_the_environment_is_logged_and_closed(
    garbage: bytes, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    probe = Probe(answer_once)
    async with serving(route_table({"ivr": probe})) as server:
        async with await FakeAsterisk.connect(server.port) as fake:
            await fake.send(garbage)
            assert await fake.expect_closed() == []
        await eventually(lambda: server.active_sessions == 0)
    assert probe.calls == 0
    assert "agi protocol error before environment" in caplog.text
    assert message in caplog.text


async def test_garbage_after_the_environment_closes_that_session_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def bad_body(channel: AgiChannel) -> bool:
        await channel.wait_hangup()
        assert channel.closed
        assert not channel.hungup
        with pytest.raises(AgiHangup):
            await channel.execute(commands.answer())
        return True

    bad, good = Probe(bad_body), Probe(answer_once)
    route = route_table({"bad": bad, "ivr": good})
    async with (
        serving(route) as server,
        await FakeAsterisk.start(server.port) as healthy,
        await FakeAsterisk.start(server.port, make_env("bad", channel="PJSIP/bad-01")) as hostile,
    ):
        await eventually(lambda: bad.calls == 1)
        # A reply nobody asked for, with a long tail that must not end up in the log.
        await hostile.send(b"200 result=0 " + b"x" * 1000 + b"\n")
        assert await hostile.expect_closed() == []
        assert await bad.result()
        await serve_answer(healthy)
        assert await good.result()
    assert "agi protocol error channel=PJSIP/bad-01 script=bad" in caplog.text
    assert "no command in flight" in caplog.text
    assert "x" * 100 not in caplog.text


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(b"", id="nothing"),
        pytest.param(b"agi_network: yes\nagi_network_script: ivr\n", id="half-environment"),
        pytest.param(b"agi_network: yes\nagi_chan", id="half-line"),
    ],
)
async def test_stalled_environment_hits_the_header_timeout(
    sent: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    probe = Probe(answer_once)
    async with serving(route_table({"ivr": probe}), header_timeout=0.1) as server:
        async with await FakeAsterisk.connect(server.port) as fake:
            await fake.send(sent)
            assert await fake.expect_closed() == []
        await eventually(lambda: server.active_sessions == 0)
    assert probe.calls == 0
    assert "agi header timeout" in caplog.text


@pytest.mark.parametrize(
    ("server_timeout", "call_timeout"),
    [pytest.param(0.1, None, id="server-default"), pytest.param(None, 0.1, id="per-command")],
)
async def test_silent_peer_after_a_command_times_out_and_is_closed(
    server_timeout: float | None, call_timeout: float | None, caplog: pytest.LogCaptureFixture
) -> None:
    async def body(channel: AgiChannel) -> bool:
        with pytest.raises(AgiTimeout):
            await channel.execute(commands.set_variable("PIN", "4321"), timeout=call_timeout)
        assert channel.closed
        with pytest.raises(AgiHangup):
            await channel.execute(commands.noop())
        return True

    probe = Probe(body)
    async with (
        serving(route_table({"ivr": probe}), command_timeout=server_timeout) as server,
        await FakeAsterisk.start(server.port) as fake,
    ):
        assert await fake.read_command() == "SET VARIABLE PIN 4321"
        assert await fake.expect_closed() == []  # never answered: the server hangs up
        assert await probe.result()
    assert (
        "agi command timeout channel=Local/s@agi-test-00000000;2 script=ivr command=SET VARIABLE"
        in caplog.text
    )
    assert "4321" not in caplog.text  # arguments are never logged


async def test_infinite_timeout_overrides_the_server_default() -> None:
    async def body(channel: AgiChannel) -> bool:
        return (await channel.execute(commands.answer(), timeout=math.inf)).ok

    probe = Probe(body)
    async with (
        serving(route_table({"ivr": probe}), command_timeout=0.05) as server,
        await FakeAsterisk.start(server.port) as fake,
    ):
        assert await fake.read_command() == "ANSWER"
        await asyncio.sleep(0.15)  # longer than the server default
        await fake.reply(OK)
        assert await fake.expect_closed() == []
        assert await probe.result()


# ---------------------------------------------------------------- handlers and shutdown


async def test_handler_exception_is_logged_and_the_server_keeps_serving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def boom(channel: AgiChannel) -> None:
        raise RuntimeError("kaboom")

    good = Probe(answer_once)
    async with (
        serving(route_table({"boom": boom, "ivr": good})) as server,
        await FakeAsterisk.start(server.port) as healthy,
    ):
        async with await FakeAsterisk.start(server.port, make_env("boom")) as failing:
            assert await failing.expect_closed() == []
        await serve_answer(healthy)  # running all along, unaffected
        assert await good.result()
        async with await FakeAsterisk.start(server.port) as later:
            await serve_answer(later)
    failures = [r for r in caplog.records if r.getMessage().startswith("agi handler failed")]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert failures[0].exc_info[0] is RuntimeError


async def test_close_without_drain_cancels_handlers_and_closes_sockets() -> None:
    async def forever(channel: AgiChannel) -> None:
        await asyncio.Event().wait()

    probe = Probe(forever)
    server = FastAgiServer(route_table({"ivr": probe}), host=LOOPBACK, port=0)
    await server.start()
    port = server.port
    async with await FakeAsterisk.start(port) as fake:
        await eventually(lambda: probe.task is not None)
        await server.close(drain_timeout=0)
        assert probe.cancelled
        assert probe.task is not None
        assert probe.task.cancelled()  # the session re-raised CancelledError: not swallowed
        assert server.active_sessions == 0
        assert await fake.expect_closed() == []
    with pytest.raises(ConnectionRefusedError):
        await FakeAsterisk.connect(port)


async def test_close_lets_running_sessions_finish_within_the_drain_timeout() -> None:
    gate = asyncio.Event()

    async def body(channel: AgiChannel) -> bool:
        await gate.wait()
        return (await channel.execute(commands.noop("bye"))).ok

    probe = Probe(body)
    server = FastAgiServer(route_table({"ivr": probe}), host=LOOPBACK, port=0)
    await server.start()
    async with await FakeAsterisk.start(server.port) as fake:
        await eventually(lambda: probe.task is not None)
        closing = asyncio.create_task(server.close(drain_timeout=SAFETY_TIMEOUT))
        await asyncio.sleep(0)  # close() stops the listener before its first await
        with pytest.raises(ConnectionRefusedError):
            await FakeAsterisk.connect(server.port)
        assert not closing.done()
        gate.set()
        assert await fake.read_command() == "NOOP bye"
        await fake.reply(OK)
        assert await fake.expect_closed() == []
        await closing
    assert await probe.result()
    assert not probe.cancelled


async def test_sessions_over_max_sessions_are_refused(caplog: pytest.LogCaptureFixture) -> None:
    gate = asyncio.Event()

    async def held(channel: AgiChannel) -> None:
        await gate.wait()
        await channel.execute(commands.answer())

    async with (
        serving(route_table({"ivr": held}), max_sessions=2) as server,
        await FakeAsterisk.start(server.port) as first,
        await FakeAsterisk.start(server.port) as second,
    ):
        await eventually(lambda: server.active_sessions == 2)
        async with await FakeAsterisk.start(server.port) as third:
            assert await third.expect_closed() == []
        assert server.active_sessions == 2
        gate.set()
        await serve_answer(first)
        await serve_answer(second)
    assert "reason=max_sessions" in caplog.text


async def test_many_concurrent_sessions_all_complete() -> None:
    count = 200
    started = 0
    all_started = asyncio.Event()

    async def body(channel: AgiChannel) -> None:
        nonlocal started
        started += 1
        if started == count:
            all_started.set()
        await all_started.wait()  # every session is open at the same time
        await channel.execute(commands.answer())
        name = await channel.execute(commands.get_variable("CHANNEL"))
        await channel.execute(commands.verbose(f"hello {name.data}"))

    async def caller(port: int, index: int) -> None:
        channel = f"PJSIP/{index}-{index:08x}"
        env = make_env(channel=channel, uniqueid=f"1795351544.{index}")
        async with await FakeAsterisk.start(port, env) as fake:
            assert await fake.read_command() == "ANSWER"
            await fake.reply(OK)
            assert await fake.read_command() == "GET VARIABLE CHANNEL"
            await fake.reply(f"200 result=1 ({channel})")
            assert await fake.read_command() == f'VERBOSE "hello {channel}" 1'
            await fake.reply("200 result=1")
            assert await fake.expect_closed() == []

    async with serving(route_table({"ivr": body})) as server:
        await asyncio.gather(*(caller(server.port, i) for i in range(count)))
        await eventually(lambda: server.active_sessions == 0)
    assert started == count


async def test_an_ended_session_is_freed_without_the_garbage_collector() -> None:
    # At hundreds of calls a second, sessions left in reference cycles made every call's
    # objects wait for the collector, whose passes then stalled the loop (bench B1).
    channels: list[weakref.ref[AgiChannel]] = []

    async def remember(channel: AgiChannel) -> bool:
        channels.append(weakref.ref(channel))
        return await answer_once(channel)

    probe = Probe(remember)
    async with serving(route_table({"ivr": probe})) as server:
        gc.collect()
        gc.disable()
        try:
            async with await FakeAsterisk.start(server.port, make_env("ivr")) as fake:
                await serve_answer(fake)
            assert await probe.result() is True
            await eventually(lambda: server.active_sessions == 0)
            await asyncio.sleep(0)
            [ref] = channels
            assert ref() is None, [type(r).__name__ for r in gc.get_referrers(ref())]
        finally:
            gc.enable()
