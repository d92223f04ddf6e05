"""SQLite storage of records (aiosqlite): one writer task, WAL, batched commits, migrations."""
