"""The bounded outbox: never waits, never grows past capacity, drops the cheapest first."""

from __future__ import annotations

import asyncio

import pytest

from ivr_acd.mqtt.outbox import MessageKind, Outbox, OutMessage


def event(n: int, kind: MessageKind = "call_event") -> OutMessage:
    return OutMessage(f"p/queue/q/call/joined/{n}", str(n).encode(), kind)


def stats(queue: str, n: int) -> OutMessage:
    return OutMessage(f"p/queue/{queue}/stats", str(n).encode(), "queue_stats", retain=True)


def state(agent: str, n: int) -> OutMessage:
    return OutMessage(f"p/agent/{agent}/state", str(n).encode(), "agent_state", retain=True)


def drain(outbox: Outbox) -> list[OutMessage]:
    out = []
    while (message := outbox.get_nowait()) is not None:
        out.append(message)
    return out


def test_fifo_below_capacity() -> None:
    outbox = Outbox(10)
    for n in range(5):
        outbox.put(event(n))
    assert [m.payload for m in drain(outbox)] == [b"0", b"1", b"2", b"3", b"4"]
    assert outbox.dropped_total == 0


def test_a_newer_retained_message_supersedes_the_pending_one_and_goes_last() -> None:
    outbox = Outbox(10)
    outbox.put(state("1001", 1))
    outbox.put(event(1))
    outbox.put(state("1001", 2))
    # The state moves behind the event that preceded its change: subscribers never see a
    # state older than an event they already got.
    assert drain(outbox) == [event(1), state("1001", 2)]
    assert outbox.superseded == 1
    assert outbox.dropped_total == 0


def test_when_full_the_oldest_statistics_go_first() -> None:
    outbox = Outbox(3)
    outbox.put(stats("a", 1))
    outbox.put(event(1))
    outbox.put(stats("b", 1))
    outbox.put(event(2))
    outbox.put(event(3))
    assert drain(outbox) == [event(1), event(2), event(3)]
    assert outbox.dropped == {"queue_stats": 2}


def test_when_full_of_events_new_statistics_are_dropped() -> None:
    outbox = Outbox(2)
    outbox.put(event(1))
    outbox.put(event(2))
    outbox.put(stats("a", 1))
    assert drain(outbox) == [event(1), event(2)]
    assert outbox.dropped == {"queue_stats": 1}


def test_when_full_of_events_the_oldest_event_is_dropped() -> None:
    outbox = Outbox(3)
    outbox.put(event(1))
    outbox.put(state("1001", 1))
    outbox.put(event(2))
    outbox.put(event(3, "agent_offer"))
    outbox.put(event(4))
    assert drain(outbox) == [event(2), event(3, "agent_offer"), event(4)]
    assert outbox.dropped == {"call_event": 1, "agent_state": 1}
    assert outbox.dropped_total == 2


def test_never_exceeds_capacity() -> None:
    outbox = Outbox(50)
    for n in range(10_000):
        outbox.put(event(n) if n % 3 else stats(f"q{n % 7}", n))
        assert len(outbox) <= 50
    assert len(outbox) + outbox.dropped_total + outbox.superseded == 10_000


def test_discard_retained_keeps_events() -> None:
    outbox = Outbox(10)
    outbox.put(stats("a", 1))
    outbox.put(event(1))
    outbox.put(state("1001", 1))
    assert outbox.discard_retained() == 2
    assert drain(outbox) == [event(1)]
    assert outbox.superseded == 2


def test_put_front_returns_a_failed_message_to_the_head() -> None:
    outbox = Outbox(3)
    outbox.put(event(2))
    outbox.put_front(event(1))
    assert drain(outbox) == [event(1), event(2)]
    outbox.put(event(1))
    outbox.put(event(2))
    outbox.put(event(3))
    outbox.put_front(event(0))
    assert outbox.dropped == {"call_event": 1}
    outbox.put(state("1001", 2))  # evicts event(1) (head drop)
    outbox.put_front(state("1001", 1))  # a newer state is pending: the old one is not resent
    assert drain(outbox) == [event(2), event(3), state("1001", 2)]


async def test_get_waits_for_a_message() -> None:
    outbox = Outbox(3)
    getter = asyncio.create_task(outbox.get())
    await asyncio.sleep(0)
    assert not getter.done()
    outbox.put(event(1))
    assert await asyncio.wait_for(getter, 1.0) == event(1)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Outbox(0)
