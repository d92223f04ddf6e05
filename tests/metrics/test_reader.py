"""The read-only record reader against a real SQLite file written by RecordWriter."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from acd.records import AgentInterval, CallbackStatus, CallOutcome, CallRecord
from ivr_acd.storage.reader import INTERVAL_LOOKAHEAD, ReaderError, RecordReader
from ivr_acd.storage.schema import SCHEMA_VERSION, DatabaseTooNewError
from ivr_acd.storage.writer import RecordWriter
from tests.metrics.builders import call, callback, interval, path


def records() -> list[CallRecord | AgentInterval]:
    return [
        call(
            CallOutcome.ANSWERED,
            queue="support",
            enqueued_at=1000.0,
            wait=5.0,
            call_id="in",
            ivr_path=path("welcome"),
        ),
        # started before the period, queued inside: in (reference time is the enqueue time)
        call(
            CallOutcome.ABANDONED,
            queue="sales",
            enqueued_at=1500.0,
            started_at=900.0,
            wait=9.0,
            call_id="late",
        ),
        call(CallOutcome.IVR_ONLY, started_at=1999.0, call_id="ivr"),
        call(CallOutcome.ANSWERED, queue="support", enqueued_at=999.0, wait=5.0, call_id="before"),
        call(CallOutcome.ANSWERED, queue="support", enqueued_at=2000.0, wait=5.0, call_id="at-end"),
        interval("a1", "ready", 500.0, 1000.0),  # ends at the start: out
        interval("a1", "ready", 900.0, 1100.0),  # crosses the start: in
        interval("a1", "on_call", 1900.0, 2100.0, "in"),  # crosses the end: in
        interval("a1", "ready", 2100.0, 2000.0 + INTERVAL_LOOKAHEAD - 1),  # after, within the look-ahead
        interval("a1", "ready", 2000.0 + INTERVAL_LOOKAHEAD, 9e9),  # beyond
    ]


async def write(path_: Path) -> None:
    writer = RecordWriter(path_)
    await writer.start()
    await writer.write_many(records())
    await writer.write_many(
        [
            callback(CallbackStatus.PENDING, requested_at=1500.0, queue="sales"),
            callback(CallbackStatus.CONNECTED, requested_at=1600.0, connected_at=1700.0),
            callback(CallbackStatus.PENDING, requested_at=2500.0),
        ]
    )
    await writer.close()


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    target = tmp_path / "records.sqlite"
    await write(target)
    return target


async def test_calls_by_reference_time(db: Path) -> None:
    async with RecordReader(db) as reader:
        ids = [c.call_id for c in await reader.calls(1000.0, 2000.0)]
        every = [c.call_id for c in await reader.calls()]
    assert ids == ["in", "late", "ivr"]  # ordered by reference time
    assert sorted(every) == ["at-end", "before", "in", "ivr", "late"]


async def test_calls_round_trip_whole(db: Path) -> None:
    async with RecordReader(db) as reader:
        (first,) = [c for c in await reader.calls() if c.call_id == "in"]
    assert first.ivr_path[0].step == "welcome"
    assert first.outcome is CallOutcome.ANSWERED


async def test_queue_filter_is_a_parameter(db: Path) -> None:
    async with RecordReader(db) as reader:
        sales = [c.call_id for c in await reader.calls(None, None, ["sales"])]
        both = [c.call_id for c in await reader.calls(None, None, ["sales", "support"])]
        hostile = await reader.calls(None, None, ["x') OR 1=1 --"])
        none = await reader.calls(None, None, [])
    assert sales == ["late"]
    assert sorted(both) == ["at-end", "before", "in", "late"]
    assert hostile == []
    assert none == []


async def test_agent_intervals_overlapping_the_period_and_the_look_ahead(db: Path) -> None:
    async with RecordReader(db) as reader:
        rows = await reader.agent_intervals(1000.0, 2000.0)
    assert [(i.started_at, i.state) for i in rows] == [
        (900.0, "ready"),
        (1900.0, "on_call"),
        (2100.0, "ready"),
    ]
    assert rows[1].call_id == "in"


async def test_callbacks_by_request_time_and_queue(db: Path) -> None:
    async with RecordReader(db) as reader:
        in_period = await reader.callbacks(1000.0, 2000.0)
        sales = await reader.callbacks(None, None, ["sales"])
    assert [cb.requested_at for cb in in_period] == [1500.0, 1600.0]
    assert [cb.queue for cb in sales] == ["sales"]


async def test_reader_cannot_write(db: Path) -> None:
    reader = RecordReader(db)
    await reader.open()
    try:
        assert reader._db is not None
        with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
            await reader._db.execute("DELETE FROM calls")
    finally:
        await reader.close()
    await reader.close()  # twice is fine


async def test_reading_while_the_writer_is_open(tmp_path: Path) -> None:
    target = tmp_path / "live.sqlite"
    writer = RecordWriter(target)
    await writer.start()
    await writer.write(call(CallOutcome.IVR_ONLY, call_id="live"))
    async with RecordReader(target) as reader:
        assert [c.call_id for c in await reader.calls()] == ["live"]
    await writer.write(call(CallOutcome.IVR_ONLY, call_id="more"))
    await writer.close()


async def test_missing_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    target = tmp_path / "nope.sqlite"
    with pytest.raises(ReaderError, match="no such database"):
        await RecordReader(target).open()
    assert not target.exists()


async def test_not_an_ivr_acd_database(tmp_path: Path) -> None:
    target = tmp_path / "other.sqlite"
    with sqlite3.connect(target) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(ReaderError, match="not an ivr-acd"):
        await RecordReader(target).open()


async def test_garbage_file(tmp_path: Path) -> None:
    target = tmp_path / "garbage.sqlite"
    target.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ReaderError, match="cannot read"):
        await RecordReader(target).open()


@pytest.mark.parametrize(
    ("version", "error", "message"),
    [(SCHEMA_VERSION + 1, DatabaseTooNewError, "newer"), (0, ReaderError, "older")],
)
async def test_other_schema_versions_are_refused(
    tmp_path: Path, version: int, error: type[Exception], message: str
) -> None:
    target = tmp_path / "v.sqlite"
    with sqlite3.connect(target) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (?)", (version,))
    conn.close()
    with pytest.raises(error, match=message):
        await RecordReader(target).open()


async def test_unopened_reader_refuses_queries(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match="not open"):
        await RecordReader(tmp_path / "x").calls()
