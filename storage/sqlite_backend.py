"""SQLObject's SQLite connection, opened the way an admin tool must open someone else's file.

- one connection per thread (SQLObject's own scheme), never a shared `:memory:`;
- `--read-only` uses `mode=ro`, so even a bug cannot write;
- foreign keys on and a busy timeout in every new connection;
- WAL only where the file already uses it (WAL is persistent and breaks on
  network file systems); the demo database that rowdesk creates is WAL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlobject.sqlite.sqliteconnection import SQLiteConnection

BUSY_TIMEOUT_MS = 5000


class RowdeskSQLiteConnection(SQLiteConnection):
    def __init__(self, path: Path, *, read_only: bool = False):
        self.read_only = read_only
        self.path = Path(path)
        super().__init__(str(self.path), autoCommit=1)

    def makeConnection(self):
        mode = "ro" if self.read_only else "rw"
        conn = sqlite3.connect(
            f"file:{quote(str(self.path))}?mode={mode}",
            uri=True,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
            # SQLObject hands each thread its own connection; a connection may
            # still be closed from another thread at shutdown.
            check_same_thread=False,
        )
        conn.text_factory = str
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn


def journal_mode(path: Path) -> str:
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()
