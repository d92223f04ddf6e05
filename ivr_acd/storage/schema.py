"""The database schema as forward migrations, and the version check.

``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``. A database whose
version is higher than ``len(MIGRATIONS)`` was written by a newer ivr-acd: opening it is
a clear error, never a silent downgrade.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: the first schema
    """
    CREATE TABLE calls (
        call_id TEXT PRIMARY KEY,
        uniqueid TEXT NOT NULL,
        linkedid TEXT NOT NULL DEFAULT '',
        channel TEXT NOT NULL DEFAULT '',
        caller_number TEXT NOT NULL DEFAULT '',
        caller_name TEXT NOT NULL DEFAULT '',
        dialled_number TEXT NOT NULL DEFAULT '',
        dialplan TEXT NOT NULL DEFAULT '',
        started_at REAL NOT NULL,
        ended_at REAL NOT NULL,
        ivr_path TEXT NOT NULL DEFAULT '[]',
        ivr_end_step TEXT NOT NULL DEFAULT '',
        queue TEXT,
        priority INTEGER NOT NULL DEFAULT 0,
        enqueued_at REAL,
        position_at_entry INTEGER,
        estimated_wait REAL,
        outcome TEXT NOT NULL,
        wait_time REAL,
        ring_attempts INTEGER NOT NULL DEFAULT 0,
        ring_no_answer INTEGER NOT NULL DEFAULT 0,
        agent_id TEXT,
        answered_at REAL,
        talk_time REAL,
        wrapup_time REAL,
        exit_key TEXT,
        survey_score INTEGER,
        callback_id TEXT,
        hangup_by TEXT,
        variables TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX calls_started ON calls(started_at);
    CREATE INDEX calls_queue ON calls(queue, started_at);
    CREATE TABLE agent_intervals (
        id INTEGER PRIMARY KEY,
        agent_id TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        started_at REAL NOT NULL,
        ended_at REAL NOT NULL,
        call_id TEXT
    );
    CREATE INDEX agent_intervals_agent ON agent_intervals(agent_id, started_at);
    CREATE INDEX agent_intervals_started ON agent_intervals(started_at);
    CREATE TABLE callbacks (
        callback_id TEXT PRIMARY KEY,
        number TEXT NOT NULL,
        queue TEXT NOT NULL,
        requested_at REAL NOT NULL,
        enqueued_at REAL NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        not_before REAL,
        window_end REAL,
        source TEXT NOT NULL,
        call_id TEXT,
        caller_name TEXT NOT NULL DEFAULT '',
        data TEXT NOT NULL DEFAULT '{}',
        skills TEXT NOT NULL DEFAULT '{}',
        attempts INTEGER NOT NULL DEFAULT 0,
        agent_id TEXT,
        connected_at REAL,
        talk_time REAL,
        completed_at REAL,
        next_attempt_at REAL
    );
    CREATE INDEX callbacks_status ON callbacks(status);
    CREATE INDEX callbacks_requested ON callbacks(requested_at);
    CREATE TABLE callback_attempts (
        callback_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        started_at REAL NOT NULL,
        ended_at REAL,
        outcome TEXT NOT NULL,
        agent_id TEXT,
        PRIMARY KEY (callback_id, attempt)
    );
    CREATE TABLE recordings (
        id INTEGER PRIMARY KEY,
        call_id TEXT NOT NULL,
        folder TEXT NOT NULL,
        path TEXT NOT NULL,
        created_at REAL NOT NULL,
        seconds REAL NOT NULL,
        tag TEXT NOT NULL DEFAULT '',
        caller_number TEXT NOT NULL DEFAULT ''
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseTooNewError(RuntimeError):
    """The database was written by a newer ivr-acd than this one."""


def read_version(conn: sqlite3.Connection) -> int:
    """The schema version stored in the database (0 for a new file)."""
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if row is None:
        return 0
    version = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(version[0]) if version else 0


def migrate(conn: sqlite3.Connection, path: str = "") -> int:
    """Bring the database up to :data:`SCHEMA_VERSION`; return the version found before.

    Runs in the storage thread (aiosqlite hands us the sqlite3 connection there). Each
    migration is its own transaction, so a failure leaves a consistent older version.
    """
    found = read_version(conn)
    if found > SCHEMA_VERSION:
        raise DatabaseTooNewError(
            f"{path or 'database'}: schema version {found} was written by a newer ivr-acd; "
            f"this one understands up to version {SCHEMA_VERSION}. Upgrade ivr-acd, or point it at another database."
        )
    for version in range(found, SCHEMA_VERSION):
        conn.execute("BEGIN")
        try:
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version + 1,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found


def _statements(script: str) -> list[str]:
    # executescript() would commit behind our back; split on ';' (our DDL has none inside).
    return [s.strip() for s in script.split(";") if s.strip()]
