"""The record writer against a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from acd.records import (
    AgentInterval,
    CallbackAttempt,
    CallbackRecord,
    CallbackStatus,
    CallOutcome,
    CallRecord,
    PathEvent,
    RecordingRecord,
)
from ivr_acd.storage.rows import CALL_SELECT, CALLBACK_SELECT, call_from_row, callback_from_row
from ivr_acd.storage.schema import SCHEMA_VERSION, DatabaseTooNewError, read_version
from ivr_acd.storage.writer import RecordWriter, StorageError


def call(i: int, **extra: object) -> CallRecord:
    record = CallRecord(
        call_id=f"c{i}",
        uniqueid=f"1700000000.{i}",
        caller_number="5551234",
        caller_name="José",
        started_at=1000.0 + i,
        ended_at=1100.0 + i,
        ivr_path=[PathEvent(1000.5, "step", "welcome"), PathEvent(1002.0, "key", "main-menu", "1")],
        queue="support",
        outcome=CallOutcome.ANSWERED,
        talk_time=60.0,
        wrapup_time=10.0,
        variables={"customer.vip": "true"},
    )
    for key, value in extra.items():
        setattr(record, key, value)
    return record


async def test_call_record_round_trips(tmp_path: Path) -> None:
    writer = RecordWriter(tmp_path / "db.sqlite")
    await writer.start()
    await writer.write(call(1))
    await writer.write(call(1, wrapup_time=25.0))  # later update of the same call: an upsert
    await writer.close()
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        rows = conn.execute(CALL_SELECT).fetchall()
        assert read_version(conn) == SCHEMA_VERSION
    assert len(rows) == 1
    back = call_from_row(rows[0])
    assert back == call(1, wrapup_time=25.0)
    assert back.handle_time == 85.0


async def test_every_record_kind_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    writer = RecordWriter(path)
    await writer.start()
    callback = CallbackRecord(
        "cb1", "5551234", "support", 10.0, 5.0, status=CallbackStatus.PENDING, data={"a": "b"}
    )
    await writer.write_many(
        [
            AgentInterval("a1", "ready", 0.0, 10.0),
            callback,
            CallbackAttempt("cb1", 1, 20.0, "no_answer", "a1", 25.0),
            RecordingRecord("c1", "suggestions", "/tmp/x.wav", 5.0, 12.5, "billing", "5551234"),
        ]
    )
    await writer.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT agent_id, state FROM agent_intervals").fetchall() == [("a1", "ready")]
        assert callback_from_row(conn.execute(CALLBACK_SELECT).fetchone()) == callback
        assert conn.execute("SELECT outcome FROM callback_attempts").fetchall() == [("no_answer",)]
        assert conn.execute("SELECT tag FROM recordings").fetchall() == [("billing",)]


async def test_concurrent_writes_are_batched_and_all_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    writer = RecordWriter(path)
    await writer.start()
    await asyncio.gather(*(writer.write(call(i)) for i in range(500)))
    assert writer.committed == 500
    assert writer.batches < 500  # the point of the writer: far fewer transactions than records
    await writer.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM calls").fetchone() == (500,)


async def test_without_batching_each_record_is_its_own_commit(tmp_path: Path) -> None:
    writer = RecordWriter(tmp_path / "db.sqlite", batching=False)
    await writer.start()
    await asyncio.gather(*(writer.write(call(i)) for i in range(20)))
    assert writer.batches == 20
    await writer.close()


async def test_submitted_records_are_flushed_on_close(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    writer = RecordWriter(path)
    await writer.start()
    for i in range(50):
        writer.submit(AgentInterval(f"a{i}", "ready", 0.0, 1.0))
    await writer.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM agent_intervals").fetchone() == (50,)


async def test_failed_commit_is_reported_to_every_writer_in_the_batch(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    writer = RecordWriter(path)
    await writer.start()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE calls")
    with pytest.raises(StorageError, match="could not store"):
        await writer.write(call(1))
    # The writer survives and keeps serving other tables.
    await writer.write(AgentInterval("a1", "ready", 0.0, 1.0))
    await writer.close()


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION + 1,))
    writer = RecordWriter(path)
    with pytest.raises(DatabaseTooNewError, match="newer ivr-acd"):
        await writer.start()


async def test_reopening_keeps_data_and_version(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    for i in range(2):
        writer = RecordWriter(path)
        await writer.start()
        await writer.write(call(i))
        await writer.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM calls").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone() == (1,)
