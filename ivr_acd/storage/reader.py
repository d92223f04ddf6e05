"""Read-only access to the records database, for reports (aiosqlite).

The reader never writes: the file is opened with SQLite's ``mode=ro`` and ``query_only``,
so a report can run next to the daemon's writer (WAL lets readers and the writer work
at the same time). It never migrates either: a database of another schema version is
refused with a clear message. Every statement is a constant with ``?``/``:name``
parameters; the queue filter travels as one JSON parameter read with ``json_each``.

The reads narrow by time; the metrics filter exactly again, so a read may return a
little more than the period (agent intervals that start shortly after it, for example).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from acd.records import AgentInterval, CallbackRecord, CallRecord
from ivr_acd.storage.rows import CALL_SELECT, CALLBACK_SELECT, call_from_row, callback_from_row
from ivr_acd.storage.schema import SCHEMA_VERSION, DatabaseTooNewError

INTERVAL_LOOKAHEAD = 3600.0
"""Agent intervals starting up to this long after the period are read too: they tell
whether a ringing that started just before the end was answered (see ``acd.metrics.agents``)."""

_REFERENCE = "COALESCE(enqueued_at, started_at)"
_QUEUE_FILTER = "(:all_queues OR queue IN (SELECT value FROM json_each(:queues)))"
# A call's enqueue time is never before its start, so ``started_at < :end`` is implied by
# the period test and lets SQLite use the calls_started index. The f-strings only join
# constant fragments of this module and rows.py; values are always bound parameters.
CALLS_IN_PERIOD = (
    f"{CALL_SELECT} WHERE started_at < :end AND {_REFERENCE} >= :start AND {_REFERENCE} < :end "
    f"AND {_QUEUE_FILTER} ORDER BY {_REFERENCE}, call_id"
)
CALLBACKS_IN_PERIOD = (
    f"{CALLBACK_SELECT} WHERE requested_at >= :start AND requested_at < :end AND {_QUEUE_FILTER} "
    "ORDER BY requested_at, callback_id"
)
INTERVALS_IN_PERIOD = (
    "SELECT agent_id, state, started_at, ended_at, reason, call_id FROM agent_intervals "
    "WHERE started_at < :end AND ended_at > :start ORDER BY agent_id, started_at, id"
)
_SCHEMA_TABLE = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
_SCHEMA_VERSION = "SELECT version FROM schema_version"


class ReaderError(RuntimeError):
    """The database cannot be read as an ivr-acd records database."""


class RecordReader:
    """Reads records from the database at ``path``; use ``async with``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> None:
        """Open the file read-only and check its schema version.

        Raises :class:`ReaderError` if it is missing or not an ivr-acd database, and
        ``DatabaseTooNewError`` if a newer ivr-acd wrote it.
        """
        if not self.path.is_file():
            raise ReaderError(f"{self.path}: no such database file")
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            self._db = await aiosqlite.connect(uri, uri=True)
            await self._db.execute("PRAGMA query_only = ON")
            await self._db.execute("PRAGMA busy_timeout = 5000")
            await self._check_version()
        except sqlite3.DatabaseError as exc:
            await self.close()
            raise ReaderError(f"{self.path}: cannot read the database: {exc}") from exc
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the connection (safe to call twice)."""
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def calls(
        self, start: float | None = None, end: float | None = None, queues: Sequence[str] | None = None
    ) -> list[CallRecord]:
        """Calls whose reference time (enqueue, else start) is in ``[start, end)``, of ``queues`` if given."""
        rows = await self._fetch(CALLS_IN_PERIOD, {**_bounds(start, end), **_queues(queues)})
        return [call_from_row(row) for row in rows]

    async def callbacks(
        self, start: float | None = None, end: float | None = None, queues: Sequence[str] | None = None
    ) -> list[CallbackRecord]:
        """Callback requests made in ``[start, end)``, of ``queues`` if given."""
        rows = await self._fetch(CALLBACKS_IN_PERIOD, {**_bounds(start, end), **_queues(queues)})
        return [callback_from_row(row) for row in rows]

    async def agent_intervals(
        self, start: float | None = None, end: float | None = None
    ) -> list[AgentInterval]:
        """Agent intervals overlapping ``[start, end + INTERVAL_LOOKAHEAD)``, by agent and time."""
        bounds = _bounds(start, None if end is None else end + INTERVAL_LOOKAHEAD)
        rows = await self._fetch(INTERVALS_IN_PERIOD, bounds)
        return [
            AgentInterval(
                agent_id=agent_id,
                state=state,
                started_at=started_at,
                ended_at=ended_at,
                reason=reason,
                call_id=call_id,
            )
            for agent_id, state, started_at, ended_at, reason, call_id in rows
        ]

    async def _fetch(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        if self._db is None:
            raise ReaderError("the reader is not open")
        try:
            async with self._db.execute(sql, params) as cursor:
                return [tuple(row) for row in await cursor.fetchall()]
        except sqlite3.DatabaseError as exc:
            raise ReaderError(f"{self.path}: cannot read the database: {exc}") from exc

    async def _check_version(self) -> None:
        assert self._db is not None
        async with self._db.execute(_SCHEMA_TABLE) as cursor:
            row = await cursor.fetchone()
        if row is None or row[0] == 0:
            raise ReaderError(f"{self.path}: not an ivr-acd records database (no schema version)")
        async with self._db.execute(_SCHEMA_VERSION) as cursor:
            row = await cursor.fetchone()
        found = int(row[0]) if row else 0
        if found > SCHEMA_VERSION:
            raise DatabaseTooNewError(
                f"{self.path}: schema version {found} was written by a newer ivr-acd; "
                f"this one reads up to version {SCHEMA_VERSION}. Upgrade ivr-acd to report on it."
            )
        if found < SCHEMA_VERSION:
            raise ReaderError(
                f"{self.path}: schema version {found} is older than this ivr-acd's ({SCHEMA_VERSION}); "
                "start the daemon once on it to migrate it, then report."
            )


def _bounds(start: float | None, end: float | None) -> dict[str, float]:
    # ±inf bind as REAL and compare as expected, keeping one constant statement per query.
    return {"start": -math.inf if start is None else start, "end": math.inf if end is None else end}


def _queues(queues: Sequence[str] | None) -> dict[str, Any]:
    return {"all_queues": queues is None, "queues": json.dumps(list(queues or []))}
