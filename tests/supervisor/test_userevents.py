"""The UserEvent publisher: what it sends through Asterisk's AMI, when, and how often."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import random
from collections.abc import AsyncIterator, Callable

import pytest

from acd.events import AgentInfo, AgentStateChanged
from ivr_acd.supervisor import QueueStatsPublisher
from ivr_acd.supervisor.userevents import PublishSchedule, change_key, queue_stats_fields
from telephony.ami.client import AmiClient
from tests.supervisor.fake_asterisk import FakeAsterisk
from tests.supervisor.fake_center import FakeCenter, sample_snapshot

SECRET = "asterisk-secret-99"
LIMIT = 5.0


@pytest.fixture
async def asterisk() -> AsyncIterator[FakeAsterisk]:
    async with FakeAsterisk("ivr-acd", SECRET) as fake:
        yield fake


@contextlib.asynccontextmanager
async def connected_client(asterisk: FakeAsterisk) -> AsyncIterator[AmiClient]:
    client = AmiClient(
        "127.0.0.1",
        asterisk.port,
        "ivr-acd",
        SECRET,
        ping_interval=None,
        backoff_base=0.001,
        backoff_max=0.01,
        rng=random.Random(1),
    )
    runner = asyncio.create_task(client.run())
    try:
        await client.wait_connected(LIMIT)
        yield client
    finally:
        await client.close()
        await runner


@contextlib.asynccontextmanager
async def publishing(publisher: QueueStatsPublisher) -> AsyncIterator[None]:
    task = asyncio.create_task(publisher.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(LIMIT):
        while not predicate():
            await asyncio.sleep(0.005)


def bump(center: FakeCenter, queue: str, **changes: object) -> None:
    """Change one queue's figures and tell subscribers something happened."""
    queues = tuple(
        dataclasses.replace(q, **changes) if q.name == queue else q  # type: ignore[arg-type]
        for q in center.current.queues
    )
    center.current = dataclasses.replace(center.current, queues=queues)
    center.emit(
        AgentStateChanged(
            at=0, agent=AgentInfo("a1", "Agent One", "PJSIP/1001"), old_state="x", new_state="y"
        )
    )


def test_fields_begin_as_in_misc_txt() -> None:
    fields = queue_stats_fields(sample_snapshot().queues[0])
    assert fields[:3] == (("Queue", "support"), ("Waiting", "2"), ("LongestWait", "95"))
    assert dict(fields) == {
        "Queue": "support",
        "Waiting": "2",
        "LongestWait": "95",
        "EstimatedWait": "40",
        "CallbacksPending": "1",
        "Staffed": "3",
        "Ready": "1",
        "OnCall": "1",
        "Paused": "1",
        "WrapUp": "0",
        "Offered": "40",
        "Answered": "30",
        "Abandoned": "6",
        "ServiceLevel": "60.0",
        "AbandonRate": "15.0",
        "Asa": "18.4",
    }
    assert "LongestWait" not in dict(change_key(fields))


def test_schedule_rules() -> None:
    schedule = PublishSchedule(interval=30, min_gap=2)
    a, b = (("Waiting", "1"),), (("Waiting", "2"),)
    assert schedule.select({"q": a}, now=100) == ["q"]  # never published
    schedule.mark_sent("q", a, 100)
    assert schedule.select({"q": a}, now=101) == []  # unchanged
    assert schedule.select({"q": b}, now=101) == []  # changed, but within min_gap: held...
    assert schedule.next_check(101) == 102  # ...until the gap has passed
    assert schedule.select({"q": b}, now=102) == ["q"]
    schedule.mark_sent("q", b, 102)
    assert schedule.next_check(103) == 132  # nothing held: the periodic refresh
    assert schedule.select({"q": b}, now=131.9) == []
    assert schedule.select({"q": b}, now=132) == ["q"]  # unchanged, but due again
    with pytest.raises(ValueError):
        PublishSchedule(interval=0, min_gap=1)


async def test_publishes_every_queue_then_only_what_changed(asterisk: FakeAsterisk) -> None:
    center = FakeCenter(sample_snapshot())
    async with connected_client(asterisk) as client:
        publisher = QueueStatsPublisher(client, center, interval=60, min_gap=0, settle=0)
        async with publishing(publisher):
            await until(lambda: len(asterisk.user_events) == 2)
            first = asterisk.for_queue("support")[0]
            assert first.keys[:5] == ("Action", "UserEvent", "Queue", "Waiting", "LongestWait")
            assert (first["UserEvent"], first["Waiting"], first["ServiceLevel"]) == (
                "AcdQueueStats",
                "2",
                "60.0",
            )
            bump(center, "sales", waiting=4)
            await until(lambda: len(asterisk.for_queue("sales")) == 2)
            assert asterisk.for_queue("sales")[-1]["Waiting"] == "4"
            # An event that changes nothing but the clock-driven figures sends nothing.
            bump(center, "support", longest_wait=120.0)
            await asyncio.sleep(0.05)
            assert len(asterisk.for_queue("support")) == 1
    assert publisher.published == 3
    assert center.subscribers == 0


async def test_a_busy_queue_is_rate_limited(asterisk: FakeAsterisk) -> None:
    center = FakeCenter(sample_snapshot())
    async with connected_client(asterisk) as client:
        publisher = QueueStatsPublisher(client, center, interval=60, min_gap=0.3, settle=0)
        async with publishing(publisher):
            await until(lambda: len(asterisk.for_queue("support")) == 1)
            for waiting in range(3, 40):
                bump(center, "support", waiting=waiting)
                await asyncio.sleep(0.005)
            await until(lambda: asterisk.for_queue("support")[-1]["Waiting"] == "39")
    times = [t for t, m in asterisk.user_events if m["Queue"] == "support"]
    assert len(times) <= 3  # 37 changes in ~0.2 s: the first event, then at most one per 0.3 s
    assert all(later - earlier >= 0.25 for earlier, later in itertools.pairwise(times))


async def test_unchanged_figures_are_refreshed_periodically(asterisk: FakeAsterisk) -> None:
    center = FakeCenter(sample_snapshot())
    async with connected_client(asterisk) as client:
        publisher = QueueStatsPublisher(client, center, interval=0.1, min_gap=0.05, settle=0)
        async with publishing(publisher):
            await until(lambda: len(asterisk.for_queue("sales")) >= 3)
    times = [t for t, m in asterisk.user_events if m["Queue"] == "sales"]
    # Each refresh is scheduled 0.1 s after the previous one was sent; arrival adds jitter.
    assert all(later - earlier >= 0.06 for earlier, later in itertools.pairwise(times))


async def test_waits_for_the_link_and_survives_refusals(asterisk: FakeAsterisk) -> None:
    center = FakeCenter(sample_snapshot())
    client = AmiClient("127.0.0.1", asterisk.port, "ivr-acd", SECRET, ping_interval=None)
    publisher = QueueStatsPublisher(client, center, interval=0.05, min_gap=0, settle=0)
    async with publishing(publisher):
        await asyncio.sleep(0.1)  # not connected: nothing is sent, nothing breaks
        assert asterisk.user_events == []
        asterisk.refuse_user_events = True
        runner = asyncio.create_task(client.run())
        await client.wait_connected(LIMIT)
        await asyncio.sleep(0.1)
        assert publisher.published == 0
        asterisk.refuse_user_events = False
        await until(lambda: publisher.published >= 2)
        await client.close()
        await runner
