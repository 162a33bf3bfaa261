"""SQLObject's SQLite connection, opened the way an admin tool must open someone else's file.

- one connection per thread (SQLObject's own scheme), never a shared `:memory:`;
- `--read-only` uses `mode=ro`, so even a bug cannot write; `immutable=1` where
  the file cannot change (asked for, or a WAL database in a directory that
  cannot hold its -wal/-shm files): no locks, nothing created beside the file;
- foreign keys on and a short busy timeout in every new connection: a file
  locked by another process is waited for by `retry_while_locked`, which a
  cancel can stop at once (SQLite's own busy handler cannot be interrupted);
- WAL only where the file already uses it (WAL is persistent and breaks on
  network file systems); the demo database that rowdesk creates is WAL;
- every new connection checks that the path still names the file that was
  checked at open: a thread never reads a file that replaced it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from sqlobject.sqlite.sqliteconnection import SQLiteConnection

from storage.filters import add_sqlite_functions

# Short, so that a cancel or a retry decision comes soon: SQLite sleeps in its busy handler, where
# neither interrupt() nor the progress handler runs. Longer waits are retry_while_locked's loop.
BUSY_TIMEOUT_MS = 100
# How long a job or the start-up check waits for another process to release its lock on the file.
LOCK_WAIT = 30.0
# Between two tries when SQLite returns "locked" at once (without sleeping in its busy handler).
LOCK_PAUSE = 0.05
LOCK_NOTE = "waiting for another process to release its lock on the file"
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
T = TypeVar("T")


class FileLocked(Exception):
    """Another process kept the file locked for longer than we wait; str() is one line."""


class FileReplaced(Exception):
    """The path no longer names the file that was opened; str() is one line."""


def connect_uri(path: Path, *, read_only: bool, immutable: bool = False) -> str:
    # Quoted: a '?' or '#' in the name would end the filename early and SQLite
    # would open (or create) a database under the shorter name.
    uri = f"file:{quote(str(path))}?mode={'ro' if read_only or immutable else 'rw'}"
    return uri + "&immutable=1" if immutable else uri


def file_identity(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def file_change(path: Path, identity: tuple[int, int]) -> str | None:
    """None while *path* still names the file whose (st_dev, st_ino) is *identity*, else one line saying what
    happened. A stat can block on a network file system: call it in a worker thread."""
    try:
        if file_identity(path) == identity:
            return None
    except FileNotFoundError:
        return f"{path} has been deleted: rowdesk still shows the file it opened, as it was"
    except OSError as e:
        return f"{path}: cannot check the file ({(e.strerror or str(e)).lower()})"
    return (f"{path} has been replaced by another file: rowdesk still shows the one it opened; "
            "open it again to see the new one")


def is_locked(error: BaseException) -> bool:
    """Is *error* SQLite saying that another connection holds a lock we need?"""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.OperationalError) and code is not None and code & 0xFF in _BUSY_CODES


def retry_while_locked(fn: Callable[[], T], *, limit: float, on_wait: Callable[[str | None], None],
                       pause: Callable[[float], None] = time.sleep) -> T:
    """Run fn() until it gets past another process's lock, for at most *limit* seconds of waiting.

    on_wait(LOCK_NOTE) is called when the waiting starts and on_wait(None) when it ends (either way);
    *pause* sleeps between tries and may raise to stop the wait (a cancelled job). fn must be safe to run
    again after a "locked" error: a read, or one autocommit statement (SQLite rolled it back)."""
    deadline = None
    try:
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as e:
                if not is_locked(e):
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + limit
                    on_wait(LOCK_NOTE)
                elif now >= deadline:
                    raise FileLocked(f"another process has kept the file locked for {limit:g} s "
                                     "(it is writing to it); try again when it is done") from None
            pause(LOCK_PAUSE)
    finally:
        if deadline is not None:
            on_wait(None)


class RowdeskSQLiteConnection(SQLiteConnection):
    def __init__(self, path: Path, *, read_only: bool = False, immutable: bool = False,
                 identity: tuple[int, int] | None = None):
        self.read_only = read_only or immutable
        self.immutable = immutable
        self.path = Path(path)
        self.identity = identity          # (st_dev, st_ino) of the file checked at open, if known
        super().__init__(str(self.path), autoCommit=1)

    def makeConnection(self):
        conn = sqlite3.connect(
            connect_uri(self.path, read_only=self.read_only, immutable=self.immutable),
            uri=True,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
            # SQLObject hands each thread its own connection; a connection may
            # still be closed from another thread at shutdown.
            check_same_thread=False,
        )
        try:
            change = file_change(self.path, self.identity) if self.identity is not None else None
            if change is not None:
                raise FileReplaced(change)
            conn.text_factory = str
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            add_sqlite_functions(conn)           # the filters' SQL functions (contains as the grid shows it)
        except BaseException:
            conn.close()
            raise
        return conn


def journal_mode(path: Path) -> str:
    conn = sqlite3.connect(connect_uri(path, read_only=True), uri=True)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()
