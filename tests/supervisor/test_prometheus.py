"""The /metrics endpoint, fetched with urllib and with raw sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import re
import urllib.error
import urllib.request
from collections.abc import AsyncIterator

import pytest

from acd.events import AgentConnected, AgentInfo, CallAbandoned, CallerInfo, CallJoined
from ivr_acd.mqtt.bridge import MqttMetrics
from ivr_acd.prometheus import CONTENT_TYPE, EventCounters, MetricsServer, render_metrics
from tests.supervisor.fake_center import FakeCenter, sample_snapshot

LIMIT = 5.0
CALLER = CallerInfo(call_id="c1")
AGENT = AgentInfo("a1", "Agent One", "PJSIP/1001")


@pytest.fixture
async def server(center: FakeCenter) -> AsyncIterator[MetricsServer]:
    async with MetricsServer(center, port=0, request_timeout=1.0) as started:
        yield started


def fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=LIMIT) as reply:  # noqa: S310 - a loopback URL we built
            return reply.status, reply.headers["Content-Type"], reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


async def raw(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(LIMIT):
            return await reader.read()
    except ConnectionResetError:
        return b""  # refused with a reset: nothing was answered
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def samples(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


async def test_metrics_have_the_right_values(server: MetricsServer) -> None:
    status, content_type, body = await asyncio.to_thread(fetch, f"http://127.0.0.1:{server.port}/metrics")
    assert (status, content_type) == (200, CONTENT_TYPE)
    values = samples(body)
    assert values['ivr_acd_queue_waiting{queue="support"}'] == 2
    assert values['ivr_acd_queue_longest_wait_seconds{queue="support"}'] == 95.7
    assert values['ivr_acd_queue_estimated_wait_seconds{queue="support"}'] == 40.2
    assert values['ivr_acd_queue_agents_staffed{queue="support"}'] == 3
    assert values['ivr_acd_queue_agents_ready{queue="support"}'] == 1
    assert values['ivr_acd_queue_agents_on_call{queue="sales"}'] == 1
    assert values['ivr_acd_queue_agents_paused{queue="sales"}'] == 1
    assert values['ivr_acd_agent_state{agent="a2",state="on_call"}'] == 1
    assert values['ivr_acd_agent_state{agent="a2",state="ready"}'] == 0
    assert values['ivr_acd_agent_state{agent="a4",state="logged_out"}'] == 1
    assert values['ivr_acd_agent_state_seconds{agent="a3"}'] == 300
    assert values['ivr_acd_agent_info{agent="a1",name="Agent One",device="PJSIP/1001"}'] == 1
    assert values['ivr_acd_queue_offered_total{queue="support"}'] == 0


async def test_every_metric_has_help_and_type(server: MetricsServer) -> None:
    _, _, body = await asyncio.to_thread(fetch, f"http://127.0.0.1:{server.port}/metrics?x=1")
    lines = body.splitlines()
    names = {re.split(r"[{ ]", line, maxsplit=1)[0] for line in lines if not line.startswith("#")}
    for name in names:
        kind = "counter" if name.endswith("_total") else "gauge"
        help_at = lines.index(next(line for line in lines if line.startswith(f"# HELP {name} ")))
        assert lines[help_at + 1] == f"# TYPE {name} {kind}"
    assert body.endswith("\n")


async def test_counters_count_events_since_start(server: MetricsServer, center: FakeCenter) -> None:
    for _ in range(3):
        center.emit(CallJoined(at=0, caller=CALLER, queue="support", position=1, count=1))
    center.emit(AgentConnected(at=0, caller=CALLER, queue="support", agent=AGENT, hold_time=3, ring_time=1))
    center.emit(
        CallAbandoned(at=0, caller=CALLER, queue="old-queue", position=1, original_position=1, hold_time=9)
    )
    _, _, body = await asyncio.to_thread(fetch, f"http://127.0.0.1:{server.port}/metrics")
    values = samples(body)
    assert values['ivr_acd_queue_offered_total{queue="support"}'] == 3
    assert values['ivr_acd_queue_answered_total{queue="support"}'] == 1
    assert values['ivr_acd_queue_abandoned_total{queue="support"}'] == 0
    assert values['ivr_acd_queue_abandoned_total{queue="old-queue"}'] == 1  # counted, though gone


async def test_other_paths_methods_and_garbage(server: MetricsServer) -> None:
    status, _, _ = await asyncio.to_thread(fetch, f"http://127.0.0.1:{server.port}/")
    assert status == 404
    head = await raw(server.port, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert head.endswith(b"\r\n\r\n")
    post = await raw(server.port, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
    assert post.startswith(b"HTTP/1.1 405 ")
    assert b"Allow: GET, HEAD\r\n" in post
    for junk in (
        b"\x00\x01\x02 garbage\r\n\r\n",
        b"GET /metrics\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n",
    ):
        assert (await raw(server.port, junk)).startswith(b"HTTP/1.1 400 Bad Request\r\n"), junk[:30]
    # A peer that sends half a request and stalls is cut off by the request timeout.
    assert await raw(server.port, b"GET /metrics HTTP/1.1\r\n") == b""
    status, _, _ = await asyncio.to_thread(fetch, f"http://127.0.0.1:{server.port}/metrics")
    assert status == 200


async def test_connection_cap_and_close(center: FakeCenter) -> None:
    async with MetricsServer(center, port=0, max_connections=1, request_timeout=1.0) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /metrics HTTP/1.1\r\n")  # holds the only slot
        await writer.drain()
        await asyncio.sleep(0.05)
        assert await raw(server.port, b"GET /metrics HTTP/1.1\r\n\r\n") == b""
        assert center.subscribers == 1
    assert center.subscribers == 0
    assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()


def test_label_values_are_escaped() -> None:
    snapshot = sample_snapshot()
    odd = snapshot.agents[0].__class__(
        agent_id='a"1', name="back\\slash\nnewline", device="d", state="ready", state_since=snapshot.at
    )
    text = render_metrics(snapshot.__class__(at=snapshot.at, agents=(odd,)), EventCounters())
    assert 'ivr_acd_agent_info{agent="a\\"1",name="back\\\\slash\\nnewline",device="d"} 1' in text


async def test_mqtt_bridge_counters_are_served_when_given(center: FakeCenter) -> None:
    metrics = MqttMetrics(
        connected=True,
        connections=2,
        pending=7,
        published=120,
        dropped={"call_event": 3, "agent_offer": 0},
        superseded=5,
        commands_accepted=4,
        commands_refused=1,
        event_errors=0,
    )
    async with MetricsServer(center, port=0, mqtt=lambda: metrics) as started:
        status, _, body = await asyncio.to_thread(fetch, f"http://127.0.0.1:{started.port}/metrics")
    assert status == 200
    for line in (
        "ivr_acd_mqtt_connected 1",
        "ivr_acd_mqtt_connections_total 2",
        "ivr_acd_mqtt_outbox_messages 7",
        "ivr_acd_mqtt_published_total 120",
        'ivr_acd_mqtt_dropped_total{kind="call_event"} 3',
        'ivr_acd_mqtt_dropped_total{kind="agent_offer"} 0',
        'ivr_acd_mqtt_commands_total{outcome="refused"} 1',
        "ivr_acd_mqtt_superseded_total 5",
    ):
        assert line in body.splitlines()
    # Without MQTT there is no ivr_acd_mqtt_* family at all.
    assert "ivr_acd_mqtt" not in render_metrics(sample_snapshot(), EventCounters())
