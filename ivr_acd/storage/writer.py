"""The one writer of the database: a task that commits records in batches.

Why one writer: SQLite allows one writer at a time; a single task that owns the
connection needs no locks and turns many small writes into a few transactions.

Contract: ``await writer.write(record)`` returns only once the transaction holding the
record has committed (WAL, ``synchronous=NORMAL``: durable across a crash or SIGKILL of the
daemon; a power cut may lose the last transactions, as the README says). That is what
"acknowledged" means everywhere in ivr-acd: a callback is promised to a caller only after
its ``write`` returned. While one batch commits, the next one accumulates, so throughput
grows with load instead of paying one commit per record.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

import aiosqlite

from acd.records import CallRecord
from ivr_acd.storage.rows import Record, Row, statement_for, to_row
from ivr_acd.storage.schema import migrate

log = logging.getLogger(__name__)

_Item = tuple[Record, asyncio.Future[None] | None]


class StorageError(RuntimeError):
    """A batch could not be committed; its records were not stored."""


def prepare_database(path: Path) -> None:
    """Create the database if needed, switch it to WAL and migrate it (blocking)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=5000")
        migrate(conn, str(path))
    finally:
        conn.close()


class RecordWriter:
    """Owns the database connection; see the module docstring for the contract."""

    def __init__(
        self,
        path: Path,
        *,
        max_batch: int = 5000,
        max_pending: int = 200_000,
        on_commit: Callable[[list[Record]], None] | None = None,
        batching: bool = True,
    ) -> None:
        self.path = path
        self._max_batch = max_batch if batching else 1
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(max_pending)
        self._db: aiosqlite.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._on_commit = on_commit
        self.committed = 0
        """Records committed since start (for the benchmark and /metrics)."""
        self.batches = 0

    async def start(self) -> None:
        """Open and migrate the database (raises ``DatabaseTooNewError``), start the task."""
        # Migrate with a plain connection first: schema changes need their own
        # transactions, which aiosqlite's per-statement API would spread over hops.
        await asyncio.to_thread(prepare_database, self.path)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.execute("PRAGMA busy_timeout=5000")
        self._task = asyncio.create_task(self._run(), name="storage-writer")

    async def write(self, record: Record) -> None:
        """Store ``record``; returns once it is committed, raises :class:`StorageError` if not."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((record, future))
        await future

    def submit(self, record: Record) -> None:
        """Queue ``record`` without waiting (agent intervals and other non-promises)."""
        try:
            self._queue.put_nowait((record, None))
        except asyncio.QueueFull:
            log.error("storage queue full, record dropped kind=%s", type(record).__name__)

    async def write_many(self, records: Iterable[Record]) -> None:
        """Store several records; returns once all are committed."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[None]] = []
        for record in records:
            future: asyncio.Future[None] = loop.create_future()
            await self._queue.put((record, future))
            futures.append(future)
        await asyncio.gather(*futures)

    @property
    def pending(self) -> int:
        """Records waiting to be committed."""
        return self._queue.qsize()

    async def close(self) -> None:
        """Commit what is queued, then close the connection."""
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            # return_exceptions collects the writer's own CancelledError; a cancellation
            # of *this* task still propagates out of gather().
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            try:
                await self._commit([record for record, _ in batch])
            except (sqlite3.Error, ValueError, OSError) as exc:
                log.error("storage commit failed records=%d error=%s", len(batch), exc)
                for _, future in batch:
                    if future is not None and not future.done():
                        future.set_exception(StorageError(f"could not store record: {exc}"))
            else:
                for _, future in batch:
                    if future is not None and not future.done():
                        future.set_result(None)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit(self, records: list[Record]) -> None:
        assert self._db is not None
        grouped: defaultdict[str, list[Row]] = defaultdict(list)
        for record in records:
            grouped[statement_for(record)].append(to_row(record))
        await self._db.execute("BEGIN")
        try:
            for statement, rows in grouped.items():
                await self._db.executemany(statement, rows)
            await self._db.execute("COMMIT")
        except BaseException:
            # Cancellation included: never leave a transaction open on the connection.
            await asyncio.shield(self._db.execute("ROLLBACK"))
            raise
        self.committed += len(records)
        self.batches += 1
        if log.isEnabledFor(logging.DEBUG):
            # What "acknowledged" means, made visible: the crash test reads these lines.
            calls = ",".join(r.call_id for r in records if isinstance(r, CallRecord))
            log.debug("storage committed records=%d calls=%s", len(records), calls or "-")
        if self._on_commit is not None:
            self._on_commit(records)
