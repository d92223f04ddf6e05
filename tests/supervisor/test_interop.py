"""Real third-party AMI clients against our listener: panoramisk (asyncio) and pyst2 (threads).

These are the libraries supervisors' tools are built on; they connect to our listener as
they would to Asterisk, unchanged.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from asterisk.manager import Manager as Pyst2Manager
from asterisk.manager import ManagerAuthException
from panoramisk import Manager as PanoramiskManager

from acd.events import CallerInfo, CallJoined
from ivr_acd.supervisor import AmiListener
from tests.supervisor.conftest import CONTROLLER, READER
from tests.supervisor.fake_center import FakeCenter

LIMIT = 5.0
CAROL = CallerInfo(call_id="c1", channel="PJSIP/trunk-1", uniqueid="17.1", number="5550002", name="Carol")


def carol_joins() -> CallJoined:
    return CallJoined(at=1.0, caller=CAROL, queue="support", position=3, count=3)


# ---------------------------------------------------------------- panoramisk


async def panoramisk_manager(port: int, user: tuple[str, str]) -> PanoramiskManager:
    manager = PanoramiskManager(
        loop=asyncio.get_running_loop(),
        host="127.0.0.1",
        port=port,
        username=user[0],
        secret=user[1],
        ping_delay=60,
        reconnect_timeout=60,
    )
    await manager.connect()
    async with asyncio.timeout(LIMIT):
        while manager.authenticated_future is not None:
            await asyncio.sleep(0.005)
    return manager


async def test_panoramisk_reads_queue_status_and_summary(listener: AmiListener) -> None:
    manager = await panoramisk_manager(listener.port, READER)
    try:
        assert manager.authenticated
        async with asyncio.timeout(LIMIT):
            status = await manager.send_action({"Action": "QueueStatus", "Queue": "support"})
            summary = await manager.send_action({"Action": "QueueSummary"})
        assert [m.event or m.response for m in status] == [
            "Success",
            "QueueParams",
            "QueueMember",
            "QueueMember",
            "QueueMember",
            "QueueEntry",
            "QueueEntry",
            "QueueStatusComplete",
        ]
        params = status[1]
        assert (params.Queue, params.Calls, params.Completed, params.ServiceLevel) == (
            "support",
            "2",
            "30",
            "20",
        )
        members = {m.Name: (m.Status, m.Paused, m.PausedReason) for m in status if m.event == "QueueMember"}
        assert members == {
            "Agent One": ("1", "0", ""),
            "Agent Two": ("2", "0", ""),
            "Agent Three": ("1", "1", "lunch"),
        }
        assert [
            (m.Queue, m.LoggedIn, m.Available, m.Callers) for m in summary if m.event == "QueueSummary"
        ] == [
            ("support", "3", "1", "2"),
            ("sales", "2", "0", "1"),
        ]
    finally:
        manager.close()


async def test_panoramisk_receives_events(listener: AmiListener, center: FakeCenter) -> None:
    manager = await panoramisk_manager(listener.port, READER)
    received: asyncio.Queue[Any] = asyncio.Queue()
    manager.register_event("QueueCaller*", lambda _manager, message: received.put_nowait(message))
    try:
        center.emit(carol_joins())
        async with asyncio.timeout(LIMIT):
            message = await received.get()
        assert (message.event, message.Queue, message.Position, message.CallerIDName) == (
            "QueueCallerJoin",
            "support",
            "3",
            "Carol",
        )
    finally:
        manager.close()


async def test_panoramisk_read_user_is_refused_control(listener: AmiListener, center: FakeCenter) -> None:
    manager = await panoramisk_manager(listener.port, READER)
    try:
        async with asyncio.timeout(LIMIT):
            response = await manager.send_action(
                {"Action": "QueuePause", "Interface": "PJSIP/1001", "Paused": "true"}
            )
        assert (response.response, response.message) == ("Error", "Permission denied")
        assert center.commands == []
    finally:
        manager.close()


async def test_panoramisk_control_user_pauses(listener: AmiListener, center: FakeCenter) -> None:
    manager = await panoramisk_manager(listener.port, CONTROLLER)
    try:
        async with asyncio.timeout(LIMIT):
            response = await manager.send_action(
                {"Action": "QueuePause", "Interface": "PJSIP/1001", "Paused": "true", "Reason": "coffee"}
            )
        assert (response.response, response.message) == ("Success", "Interface paused successfully")
        assert center.agent("a1").state == "paused"
    finally:
        manager.close()


async def test_panoramisk_wrong_secret(listener: AmiListener) -> None:
    manager = await panoramisk_manager(listener.port, (READER[0], "not-the-secret"))
    try:
        assert not manager.authenticated
    finally:
        manager.close()


# ---------------------------------------------------------------- pyst2 (synchronous: in a thread)


def in_thread(work: Callable[[], Any]) -> Any:
    """Run blocking pyst2 code off the event loop."""
    return asyncio.to_thread(work)


def close_pyst2(manager: Pyst2Manager) -> None:
    """``manager.close()``, allowing for pyst2's race with a manager that hangs up after Goodbye.

    pyst2's Logoff writes then flushes; Asterisk (and our listener) answer Goodbye and close at
    once, and pyst2's reader thread may close the socket between the write and the flush.
    """
    try:
        manager.close()
    except ValueError:
        # The reader thread clears _connected just after closing; then close() skips Logoff.
        deadline = time.monotonic() + LIMIT
        while manager._connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.005)
        manager.close()


def pyst2_session(port: int, user: tuple[str, str], body: Callable[[Pyst2Manager], Any]) -> Any:
    manager = Pyst2Manager()
    try:
        greeting = manager.connect("127.0.0.1", port)
        assert "Asterisk Call Manager/11.0.0" in greeting.data
        manager.login(*user)
        return body(manager)
    finally:
        close_pyst2(manager)


# pyst2 0.5.1 calls Thread.setDaemon() and Event.isSet(), deprecated since Python 3.10.
pytestmark_pyst2 = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytestmark_pyst2
async def test_pyst2_reads_queue_summary_and_status(listener: AmiListener) -> None:
    def body(manager: Pyst2Manager) -> tuple[Any, list[Any], Any]:
        items: queue.Queue[Any] = queue.Queue()
        manager.register_event("QueueSummary", lambda event, _m: items.put(event))
        manager.register_event("QueueSummaryComplete", lambda event, _m: items.put(event))
        summary = manager.send_action({"Action": "QueueSummary"})
        events = [items.get(timeout=LIMIT) for _ in range(3)]
        # pyst2 gathers a "status will follow" answer into one response, events in its data.
        status = manager.send_action({"Action": "QueueStatus", "Queue": "sales"})
        return summary, events, status

    summary, events, status = await in_thread(lambda: pyst2_session(listener.port, READER, body))
    assert summary.get_header("Message") == "Queue summary will follow"
    assert [(e.name, e.get_header("Queue")) for e in events] == [
        ("QueueSummary", "support"),
        ("QueueSummary", "sales"),
        ("QueueSummaryComplete", None),
    ]
    assert events[0].get_header("LongestHoldTime") == "95"
    assert status.get_header("Message") == "Queue status will follow"
    assert "Event: QueueMember\r\nQueue: sales\r\nName: Agent Two\r\n" in status.data
    assert "Event: QueueStatusComplete" in status.data


@pytestmark_pyst2
async def test_pyst2_receives_events(listener: AmiListener, center: FakeCenter) -> None:
    ready = threading.Event()
    joined: queue.Queue[Any] = queue.Queue()

    def body(manager: Pyst2Manager) -> Any:
        manager.register_event("QueueCallerJoin", lambda event, _m: joined.put(event))
        ready.set()
        return joined.get(timeout=LIMIT)

    task = asyncio.ensure_future(in_thread(lambda: pyst2_session(listener.port, READER, body)))
    await asyncio.to_thread(ready.wait, LIMIT)
    async with asyncio.timeout(LIMIT):
        while listener.connections == 0 or not center.subscribers:
            await asyncio.sleep(0.005)
    center.emit(carol_joins())
    event = await task
    assert (event.get_header("Queue"), event.get_header("CallerIDNum"), event.get_header("Privilege")) == (
        "support",
        "5550002",
        "agent,all",
    )


@pytestmark_pyst2
async def test_pyst2_permissions_and_wrong_secret(listener: AmiListener, center: FakeCenter) -> None:
    def pause(manager: Pyst2Manager) -> Any:
        return manager.send_action({"Action": "QueuePause", "Interface": "PJSIP/1001", "Paused": "1"})

    refused = await in_thread(lambda: pyst2_session(listener.port, READER, pause))
    assert (refused.get_header("Response"), refused.get_header("Message")) == ("Error", "Permission denied")
    assert center.commands == []
    accepted = await in_thread(lambda: pyst2_session(listener.port, CONTROLLER, pause))
    assert accepted.get_header("Message") == "Interface paused successfully"

    with pytest.raises(ManagerAuthException, match="Authentication failed"):
        await in_thread(lambda: pyst2_session(listener.port, (READER[0], "wrong"), lambda m: None))
