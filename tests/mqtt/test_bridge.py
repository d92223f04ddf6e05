"""The bridge against a real mosquitto: what subscribers and command clients actually see."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from acd.commands import AgentLogout, AgentPause, CommandResult, RequestCallback
from acd.events import AgentCalled, AgentStateChanged, CallJoined
from ivr_acd.mqtt import MqttBridge, MqttConfig
from ivr_acd.mqtt.payloads import iso_time
from tests.mosquitto import Mosquitto
from tests.mqtt.helpers import (
    ALICE,
    CALLER,
    CONTROL,
    READER,
    SCREEN_POP,
    FakeCenter,
    Recorder,
    command_body,
    envelope,
    make_config,
    queue,
    scripted_events,
    validate_published,
    validator,
    wait_until,
)


class Running:
    """A started bridge around a fake engine."""

    def __init__(self, config: MqttConfig, center: FakeCenter, bridge: MqttBridge) -> None:
        self.config = config
        self.center = center
        self.bridge = bridge
        self.prefix = config.prefix

    async def connected(self) -> None:
        await wait_until(lambda: self.bridge.metrics().connected)

    async def drained(self) -> None:
        await wait_until(lambda: self.bridge.metrics().pending == 0)


StartBridge = Callable[..., Awaitable[Running]]


@pytest.fixture
async def start_bridge(broker: Mosquitto) -> AsyncIterator[StartBridge]:
    """Starts bridges on the suite's broker (config overrides as keywords); stops them after."""
    started: list[MqttBridge] = []

    async def start(**overrides: Any) -> Running:
        config = make_config(broker.port, **overrides)
        center = FakeCenter()
        bridge = MqttBridge(config, center)
        await bridge.start()
        started.append(bridge)
        return Running(config, center, bridge)

    yield start
    for bridge in started:
        await bridge.stop()


@pytest.fixture
async def running(start_bridge: StartBridge) -> Running:
    return await start_bridge()


async def test_every_payload_of_a_scripted_day_matches_its_schema(
    broker: Mosquitto, running: Running
) -> None:
    p = running.prefix
    async with Recorder(broker.port, f"{p}/#") as recorder:
        await running.connected()
        for event in scripted_events():
            running.center.emit(event)
        await wait_until(lambda: sum(1 for m in recorder.messages if m.topic.endswith("/callback")) == 1)
        await running.drained()
        await wait_until(lambda: any(m.topic == f"{p}/status" for m in recorder.messages))
    types = set()
    for message in recorder.messages:
        payload = message.json()
        validate_published(payload)
        types.add(payload["type"])
    assert types == {
        "status",
        "queue_stats",
        "agent_state",
        "agent_offer",
        "call_joined",
        "call_left",
        "call_abandoned",
        "agent_called",
        "agent_ring_no_answer",
        "agent_connected",
        "agent_completed",
        "callback_changed",
    }
    topics = {m.topic for m in recorder.messages}
    assert {
        f"{p}/status",
        f"{p}/queue/sales/stats",
        f"{p}/queue/support%2Feu/stats",
        f"{p}/queue/sales/call/joined",
        f"{p}/queue/sales/call/agent_called",
        f"{p}/queue/sales/call/ring_no_answer",
        f"{p}/queue/sales/call/connected",
        f"{p}/queue/sales/call/completed",
        f"{p}/queue/sales/call/left",
        f"{p}/queue/support%2Feu/call/abandoned",
        f"{p}/queue/sales/callback",
        f"{p}/agent/1001/state",
        f"{p}/agent/1002/state",
        f"{p}/agent/1001/offer",
        f"{p}/agent/1002/offer",
    } <= topics
    # Per topic, events arrive in the order they happened.
    sales_calls = [
        m.json()["type"] for m in recorder.messages if m.topic.startswith(f"{p}/queue/sales/call/")
    ]
    assert sales_calls == [
        "call_joined",
        "agent_called",
        "agent_ring_no_answer",
        "agent_called",
        "agent_connected",
        "call_left",
        "agent_completed",
    ]


async def test_a_late_subscriber_gets_the_retained_statistics_and_states(
    broker: Mosquitto, running: Running
) -> None:
    p = running.prefix
    await running.connected()
    running.center.emit(AgentStateChanged(time.time(), ALICE, "ready", "paused", reason="coffee"))
    await running.drained()
    async with Recorder(broker.port, f"{p}/queue/+/stats", f"{p}/agent/+/state", f"{p}/status") as late:
        await late.wait_for(lambda: len(late.messages) == 5)
    assert all(m.retain for m in late.messages)
    for message in late.messages:
        validate_published(message.json())
    sales = late.on(f"{p}/queue/sales/stats")[0].json()
    assert (sales["queue"], sales["waiting"], sales["longest_wait"], sales["ready"]) == ("sales", 1, 12.5, 1)
    assert late.on(f"{p}/queue/support%2Feu/stats")[0].json()["queue"] == "support/eu"
    alice = late.on(f"{p}/agent/1001/state")[0].json()
    assert (alice["state"], alice["previous_state"], alice["reason"]) == ("paused", "ready", "coffee")
    assert late.on(f"{p}/status")[0].json()["online"] is True


async def test_statistics_follow_changes_promptly_but_rate_limited(
    broker: Mosquitto, start_bridge: StartBridge
) -> None:
    running = await start_bridge(stats_interval=30.0, stats_min_interval=0.05)
    p = running.prefix
    await running.connected()
    async with Recorder(broker.port, f"{p}/queue/sales/stats") as recorder:
        await recorder.wait_for(lambda: len(recorder.messages) == 1)  # the retained one
        for waiting in range(2, 52):
            sales = queue("sales", waiting=waiting)
            running.center.current = replace(running.center.current, queues=(sales,))
            running.center.emit(CallJoined(time.time(), CALLER, "sales", position=waiting, count=waiting))
        # The last change is published well before the 30 s period…
        await recorder.wait_for(lambda: recorder.messages[-1].json()["waiting"] == 51)
    # …but 50 changes in a burst were not 50 publications.
    assert len(recorder.messages) < 20


async def test_the_offer_topic_carries_the_screen_pop_to_that_agent_only(
    broker: Mosquitto, running: Running
) -> None:
    p = running.prefix
    await running.connected()
    async with Recorder(broker.port, f"{p}/agent/1001/offer", f"{p}/agent/1002/offer") as desktop:
        running.center.emit(
            AgentCalled(time.time(), CALLER, "sales", ALICE, waited=33.0, screen_pop=SCREEN_POP)
        )
        await desktop.wait_for(lambda: len(desktop.messages) == 1)
        await running.drained()
    offer = desktop.on(f"{p}/agent/1001/offer")[0]
    assert not offer.retain
    body = offer.json()
    validator("agent-offer").validate(body)
    assert body["agent"] == {"agent_id": "1001", "name": "Alice", "device": "PJSIP/1001"}
    assert body["caller"]["number"] == "+33123456789"
    assert body["caller"]["name"] == "Dupont"
    assert (body["queue"], body["waited"], body["data"]) == ("sales", 33.0, SCREEN_POP)
    assert desktop.on(f"{p}/agent/1002/offer") == []


async def test_commands_over_the_broker(broker: Mosquitto, running: Running) -> None:
    p = running.prefix
    now = time.time()
    running.center.result = CommandResult(True, "ok", reference="cb-1")
    await running.connected()
    async with Recorder(broker.port, f"{p}/command/reply/#") as client:
        sent = [
            ("pause", envelope("pause", command_body("good-pause", now, agent_id="1001", reason="lunch"))),
            ("pause", envelope("pause", command_body("read-only", now, agent_id="1001"), READER)),
            (
                "pause",
                envelope("pause", command_body("forged", now, agent_id="1001"), secret="guess-guess-guess"),
            ),
            ("logout", envelope("logout", command_body("no-agent", now))),
            ("dance", envelope("dance", command_body("unknown-kind", now))),
            ("pause", b"this is not json"),
            ("callback", envelope("callback", command_body("cb", now, number="+33123", queue="sales"))),
        ]
        for kind, payload in sent:
            await client.publish(f"{p}/command/{kind}", payload)
        await client.wait_for(lambda: len(client.messages) == len(sent))
    replies = {m.topic.rsplit("/", 1)[1]: m.json() for m in client.messages}
    for reply in replies.values():
        validator("command-reply").validate(reply)
    outcome = {request_id: (reply["ok"], reply["error"]) for request_id, reply in replies.items()}
    assert outcome == {
        "good-pause": (True, None),
        "read-only": (False, "permission_denied"),
        "forged": (False, "authentication_failed"),
        "no-agent": (False, "invalid_command"),
        "unknown-kind": (False, "unknown_command"),
        "_unattributed": (False, "invalid_json"),
        "cb": (True, None),
    }
    assert 'missing required field "agent_id"' in replies["no-agent"]["message"]
    assert replies["cb"]["reference"] == "cb-1"
    assert replies["good-pause"]["command"] == "pause"
    # Only the permitted, well-formed, authentic commands reached the engine.
    assert running.center.commands == [
        AgentPause("1001", paused=True, reason="lunch"),
        RequestCallback("+33123", "sales", source="mqtt"),
    ]
    metrics = running.bridge.metrics()
    assert (metrics.commands_accepted, metrics.commands_refused) == (2, 5)


async def test_a_replayed_command_is_refused(broker: Mosquitto, running: Running) -> None:
    """Someone who reads the command topic may resend what they saw: it does not run again."""
    p = running.prefix
    await running.connected()
    async with Recorder(broker.port, f"{p}/command/reply/#") as client:
        payload = envelope("unpause", command_body("once", time.time(), agent_id="1002"))
        await client.publish(f"{p}/command/unpause", payload)
        await client.wait_for(lambda: len(client.messages) == 1)
        await client.publish(f"{p}/command/unpause", payload)
        await client.wait_for(lambda: len(client.messages) == 2)
    assert [m.json()["error"] for m in client.messages] == [None, "replayed"]
    assert running.center.commands == [AgentPause("1002", paused=False)]


async def test_a_command_left_retained_on_the_broker_runs_only_when_sent(
    broker: Mosquitto, start_bridge: StartBridge
) -> None:
    first = await start_bridge()
    await first.connected()
    p = first.prefix
    async with Recorder(broker.port, f"{p}/command/reply/#") as client:
        payload = envelope("logout", command_body("sticky", time.time(), agent_id="1001"))
        await client.publish(f"{p}/command/logout", payload, retain=True)
        await client.wait_for(lambda: len(client.messages) == 1)
        # A restarted daemon (same prefix) is handed the retained command on subscribing.
        restarted = await start_bridge(prefix=p)
        await restarted.connected()
        await client.publish(f"{p}/command/logout", b"", retain=True)  # clear it from the broker
    assert first.center.commands == [AgentLogout("1001")]
    assert restarted.center.commands == []


async def test_stop_marks_the_daemon_offline(broker: Mosquitto) -> None:
    config = make_config(broker.port)
    bridge = MqttBridge(config, FakeCenter())
    await bridge.start()
    await wait_until(lambda: bridge.metrics().connected)
    await bridge.stop()
    async with Recorder(broker.port, f"{config.prefix}/status") as late:
        await late.wait_for(lambda: len(late.messages) == 1)
    status = late.messages[0].json()
    validator("status").validate(status)
    assert status["online"] is False
    assert status["at"] <= iso_time(time.time())


async def test_no_secret_reaches_the_log(
    broker: Mosquitto, start_bridge: StartBridge, caplog: pytest.LogCaptureFixture
) -> None:
    """Every logger at DEBUG, paho's packet traces included: no secret, signature or body."""
    caplog.set_level(logging.DEBUG)
    running = await start_bridge(username="ivr-acd", password="broker-password-do-not-log")
    p = running.prefix
    await running.connected()
    payloads = [
        envelope("pause", command_body("ok", time.time(), agent_id="1001")),
        envelope("pause", command_body("forged", time.time(), agent_id="1001"), secret=CONTROL.secret[::-1]),
        envelope("pause", command_body("reader", time.time(), agent_id="1001"), READER),
    ]
    async with Recorder(broker.port, f"{p}/command/reply/#") as client:
        for payload in payloads:
            await client.publish(f"{p}/command/pause", payload)
        await client.wait_for(lambda: len(client.messages) == len(payloads))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "mqtt command refused" in logged
    assert "Received PUBLISH" in logged  # paho's packet traces were captured too
    for secret in (*running.config.secrets(), CONTROL.secret[::-1]):
        assert secret not in logged
    for payload in payloads:
        assert json.loads(payload)["hmac"] not in logged


async def test_statistics_are_republished_periodically_without_events(
    broker: Mosquitto, start_bridge: StartBridge
) -> None:
    running = await start_bridge(stats_interval=0.1, stats_min_interval=0.02)
    await running.connected()
    async with Recorder(broker.port, f"{running.prefix}/queue/sales/stats") as wallboard:
        # Nothing happens in the centre, yet the wallboard keeps hearing from the queue.
        await wallboard.wait_for(lambda: len(wallboard.messages) >= 4)
    assert len({m.payload for m in wallboard.messages}) == 1  # the same news each time
