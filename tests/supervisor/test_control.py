"""Control actions over the listener: app_queue's parameters and answers, mapped to engine commands."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from acd.commands import AgentLogin, AgentLogout, AgentPause, Command, CommandResult, RequestCallback
from ivr_acd.supervisor import AmiListener
from tests.supervisor.ami_peer import RawPeer
from tests.supervisor.conftest import CONTROLLER, running_listener
from tests.supervisor.fake_center import FakeCenter


@pytest.fixture
async def boss(listener: AmiListener) -> AsyncIterator[RawPeer]:
    peer = await RawPeer.connect(listener.port)
    assert (await peer.login(*CONTROLLER, Events="off"))["Message"] == "Authentication accepted"
    await peer.read()  # FullyBooted
    yield peer
    await peer.aclose()


async def answer(peer: RawPeer, name: str, **fields: object) -> tuple[str, str]:
    response = await peer.request(name, **fields)
    return response["Response"], response.get("Message") or ""


# ---------------------------------------------------------------- QueueAdd


async def test_queue_add_logs_the_agent_in(boss: RawPeer, center: FakeCenter) -> None:
    fields = {"Queue": "support", "Interface": "PJSIP/1004", "Penalty": 2, "MemberName": "Agent Four"}
    assert await answer(boss, "QueueAdd", **fields) == ("Success", "Added interface to queue")
    assert center.commands == [AgentLogin("a4", device=None, paused=False, reason="")]
    assert center.agent("a4").state == "ready"
    assert await answer(boss, "QueueAdd", Queue="support", Interface="pjsip/1004") == (
        "Error",
        "Unable to add interface: Already there",
    )


async def test_queue_add_paused_with_reason_and_by_agent_id(boss: RawPeer, center: FakeCenter) -> None:
    fields = {"Queue": "support", "Interface": "a4", "Paused": "yes", "Reason": "training"}
    assert await answer(boss, "QueueAdd", **fields) == ("Success", "Added interface to queue")
    assert center.commands == [AgentLogin("a4", device=None, paused=True, reason="training")]


async def test_queue_add_from_another_device(boss: RawPeer, center: FakeCenter) -> None:
    fields = {"Queue": "support", "Interface": "PJSIP/2099", "MemberName": "a4"}
    assert await answer(boss, "QueueAdd", **fields) == ("Success", "Added interface to queue")
    assert center.commands == [AgentLogin("a4", device="PJSIP/2099")]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"Interface": "PJSIP/1004"}, "'Queue' not specified."),
        ({"Queue": "support"}, "'Interface' not specified."),
        ({"Queue": "nope", "Interface": "PJSIP/1004"}, "Unable to add interface to queue: No such queue"),
        ({"Queue": "support", "Interface": "PJSIP/7777"}, "Unable to add interface: No such agent"),
    ],
)
async def test_queue_add_refusals(
    boss: RawPeer, center: FakeCenter, fields: dict[str, str], message: str
) -> None:
    assert await answer(boss, "QueueAdd", **fields) == ("Error", message)
    assert center.commands == []


async def test_the_engine_has_the_last_word(boss: RawPeer, center: FakeCenter) -> None:
    center.respond = lambda command: CommandResult(False, "agent a4 is disabled")
    assert await answer(boss, "QueueAdd", Queue="support", Interface="PJSIP/1004") == (
        "Error",
        "Unable to add interface: agent a4 is disabled",
    )


async def test_a_slow_engine_times_out(center: FakeCenter) -> None:
    center.command_delay = 1.0
    async with (
        running_listener(center, command_timeout=0.05) as listener,
        await RawPeer.connect(listener.port) as peer,
    ):
        await peer.login(*CONTROLLER)
        assert await answer(peer, "QueueAdd", Queue="support", Interface="PJSIP/1004") == (
            "Error",
            "Unable to add interface: Timed out waiting for the ACD engine",
        )


# ---------------------------------------------------------------- QueueRemove


async def test_queue_remove(boss: RawPeer, center: FakeCenter) -> None:
    assert await answer(boss, "QueueRemove", Queue="support", Interface="PJSIP/1001") == (
        "Success",
        "Removed interface from queue",
    )
    assert center.commands == [AgentLogout("a1")]
    assert await answer(boss, "QueueRemove", Queue="support", Interface="PJSIP/1001") == (
        "Error",
        "Unable to remove interface: Not there",
    )
    assert await answer(boss, "QueueRemove", Queue="sales", Interface="PJSIP/1002") == (
        "Success",
        "Removed interface from queue",
    )
    assert await answer(boss, "QueueRemove", Queue="nope", Interface="PJSIP/1003") == (
        "Error",
        "Unable to remove interface from queue: No such queue",
    )
    assert await answer(boss, "QueueRemove", Queue="support") == (
        "Error",
        "Need 'Queue' and 'Interface' parameters.",
    )
    assert len(center.commands) == 2


# ---------------------------------------------------------------- QueuePause


async def test_queue_pause_and_unpause(boss: RawPeer, center: FakeCenter) -> None:
    assert await answer(boss, "QueuePause", Interface="PJSIP/1001", Paused="true", Reason="coffee") == (
        "Success",
        "Interface paused successfully",
    )
    assert center.agent("a1").pause_reason == "coffee"
    assert await answer(boss, "QueuePause", Interface="PJSIP/1001", Queue="support", Paused="false") == (
        "Success",
        "Interface unpaused successfully",
    )
    assert center.commands == [AgentPause("a1", paused=True, reason="coffee"), AgentPause("a1", paused=False)]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"Interface": "PJSIP/1001"}, "Need 'Interface' and 'Paused' parameters."),
        ({"Paused": "1"}, "Need 'Interface' and 'Paused' parameters."),
        ({"Interface": "PJSIP/9999", "Paused": "1"}, "Interface not found"),
        ({"Interface": "PJSIP/1004", "Paused": "1"}, "Interface not found"),  # logged out
        (
            {"Interface": "PJSIP/1001", "Paused": "1", "Queue": "sales"},
            "Interface not found",
        ),  # not its queue
        ({"Interface": "PJSIP/1001", "Paused": "1", "Queue": "nope"}, "Interface not found"),
    ],
)
async def test_queue_pause_refusals(
    boss: RawPeer, center: FakeCenter, fields: dict[str, str], message: str
) -> None:
    assert await answer(boss, "QueuePause", **fields) == ("Error", message)
    assert center.commands == []


async def test_queue_pause_refused_by_the_engine(boss: RawPeer, center: FakeCenter) -> None:
    center.respond = lambda command: CommandResult(False, "pause reason 'x' is not configured")
    assert await answer(boss, "QueuePause", Interface="a1", Paused="1", Reason="x") == (
        "Error",
        "pause reason 'x' is not configured",
    )


# ---------------------------------------------------------------- AcdCallback


async def test_callback_request(boss: RawPeer, center: FakeCenter) -> None:
    await boss.send_raw(
        b"Action: AcdCallback\r\nActionID: cb\r\nNumber: 5550100\r\nQueue: support\r\nName: Dave\r\n"
        b"When: 2026-11-22T14:00:00+00:00\r\nVariable: ticket=T42\r\nVariable: lang=fr\r\n\r\n"
    )
    response = await boss.read()
    assert response.fields == (
        ("Response", "Success"),
        ("ActionID", "cb"),
        ("Message", "Callback to 5550100 scheduled"),
        ("Reference", "cb-1"),
    )
    assert center.commands == [
        RequestCallback(
            number="5550100",
            queue="support",
            name="Dave",
            not_before=1795356000.0,
            data={"ticket": "T42", "lang": "fr"},
            source="ami",
        )
    ]


async def test_callback_refusals(boss: RawPeer, center: FakeCenter) -> None:
    assert await answer(boss, "AcdCallback", Queue="support") == (
        "Error",
        "Need 'Number' and 'Queue' parameters.",
    )
    assert await answer(boss, "AcdCallback", Number="1", Queue="support", When="tomorrow-ish") == (
        "Error",
        "Invalid 'When': use epoch seconds or an ISO 8601 time",
    )
    assert center.commands == []

    def refuse(command: Command) -> CommandResult:
        return CommandResult(False, "outside callback hours")

    center.respond = refuse
    assert await answer(boss, "AcdCallback", Number="5550100", Queue="support", When="1795400000") == (
        "Error",
        "outside callback hours",
    )
    assert isinstance(center.commands[0], RequestCallback)
    assert center.commands[0].not_before == 1795400000.0
