"""Broker outages: the engine's handler never waits, the outbox drops and counts, and the
bridge reconnects and re-publishes the retained state when the broker is back."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

import pytest

from acd.events import AcdEvent, AgentCalled, AgentStateChanged, CallJoined
from ivr_acd.mqtt import MqttBridge
from tests.mosquitto import Mosquitto
from tests.mqtt.helpers import ALICE, CALLER, SCREEN_POP, FakeCenter, Recorder, make_config, wait_until

BURST = 300


def burst(center: FakeCenter) -> float:
    """Emit BURST events as the engine would; the slowest handler call, in seconds."""
    slowest = 0.0
    for n in range(1, BURST + 1):
        at = time.time()
        events: list[AcdEvent] = [
            CallJoined(at, replace(CALLER, call_id=f"call-{n}"), "sales", position=n, count=n),
            AgentStateChanged(at, ALICE, "ready", "ringing"),
            AgentCalled(
                at, replace(CALLER, call_id=f"call-{n}"), "sales", ALICE, waited=1.0, screen_pop=SCREEN_POP
            ),
        ]
        for event in events:
            started = time.perf_counter()
            center.emit(event)
            slowest = max(slowest, time.perf_counter() - started)
    return slowest


async def test_outage_drops_and_counts_then_reconnects_and_republishes(
    private_broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ivr_acd.mqtt")
    private_broker.start()
    # Reconnects wait on this gate, so the test can subscribe to the restarted broker first.
    gate = asyncio.Event()
    gate.set()

    async def gated_sleep(delay: float) -> None:
        await gate.wait()
        await asyncio.sleep(delay)

    config = make_config(private_broker.port, queue_size=50, report_interval=0.05)
    p = config.prefix
    center = FakeCenter()
    bridge = MqttBridge(config, center, sleep=gated_sleep)
    await bridge.start()
    try:
        await wait_until(lambda: bridge.metrics().connected)

        gate.clear()
        private_broker.stop()
        await wait_until(lambda: not bridge.metrics().connected)

        slowest = burst(center)
        assert slowest < 0.05, f"the event handler took {slowest * 1000:.1f} ms"
        center.set_agent("1001", "paused", pause_reason="meeting")  # changed during the outage
        metrics = bridge.metrics()
        assert metrics.pending <= config.queue_size
        assert metrics.dropped["call_event"] > 0
        assert metrics.dropped["agent_offer"] > 0
        assert metrics.superseded > 0  # agent states replaced by newer ones, not dropped
        await wait_until(lambda: any("dropped_call_event=" in r.getMessage() for r in caplog.records))
        report = next(r for r in caplog.records if "dropped_call_event=" in r.getMessage())
        assert report.levelno == logging.WARNING
        assert "mqtt report connected=False" in report.getMessage()

        private_broker.start()  # same port; persistence is off, so nothing retained survives
        async with Recorder(private_broker.port, f"{p}/#") as recorder:
            gate.set()
            await wait_until(lambda: bridge.metrics().connected and bridge.metrics().connections == 2)
            await wait_until(lambda: bridge.metrics().pending == 0)
            last_call = f"call-{BURST}"
            await recorder.wait_for(
                lambda: any(m.json().get("caller", {}).get("call_id") == last_call for m in recorder.messages)
            )
    finally:
        await bridge.stop()

    received = [m.json() for m in recorder.messages]
    types = [payload["type"] for payload in received]
    # The retained state comes first, fresh from a snapshot taken at the reconnection…
    assert types[0] == "status"
    assert received[0]["online"] is True
    stats_queues = {payload["queue"] for payload in received if payload["type"] == "queue_stats"}
    assert stats_queues == {"sales", "support/eu"}
    alice_states = [
        payload for payload in received if payload["type"] == "agent_state" and payload["agent_id"] == "1001"
    ]
    assert alice_states[-1]["state"] == "paused"  # no stale state from the backlog after it
    assert alice_states[-1]["reason"] == "meeting"
    assert alice_states[-1]["previous_state"] is None
    assert types.index("call_joined") > types.index("agent_state")
    # …then what survived in the outbox: the newest events (the oldest were dropped).
    joined = [payload["caller"]["call_id"] for payload in received if payload["type"] == "call_joined"]
    assert joined[-1] == f"call-{BURST}"
    assert "call-1" not in joined


async def test_the_handler_never_waits_when_the_broker_was_never_there(private_broker: Mosquitto) -> None:
    # private_broker is not started: its port is free and refuses connections.
    config = make_config(private_broker.port, queue_size=10)
    center = FakeCenter()
    bridge = MqttBridge(config, center)
    started = time.perf_counter()
    await bridge.start()
    assert time.perf_counter() - started < 0.5  # start() does not wait for the broker
    slowest = burst(center)
    assert slowest < 0.05
    metrics = bridge.metrics()
    assert (metrics.connected, metrics.connections, metrics.published) == (False, 0, 0)
    assert metrics.pending <= 10
    assert metrics.dropped_total > 0
    started = time.perf_counter()
    await bridge.stop()
    assert time.perf_counter() - started < 2.0


async def test_the_bridge_connects_when_the_broker_starts_late(private_broker: Mosquitto) -> None:
    config = make_config(private_broker.port)
    center = FakeCenter()
    bridge = MqttBridge(config, center)
    await bridge.start()
    try:
        center.emit(AgentStateChanged(time.time(), ALICE, "ready", "paused", reason="late"))
        await asyncio.sleep(0.2)  # a few refused attempts
        private_broker.start()
        async with Recorder(private_broker.port, f"{config.prefix}/#") as recorder:
            await wait_until(lambda: bridge.metrics().connected)
            await recorder.wait_for(
                lambda: any(m.topic.endswith("/agent/1001/state") for m in recorder.messages)
            )
    finally:
        await bridge.stop()
    assert bridge.metrics().connections == 1
