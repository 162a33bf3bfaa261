"""Opening someone else's SQLite file: the checks made before anything is opened, and the file's
identity and locks afterwards.

Every refusal is a `TargetError` with one line fit for stderr. Checking a file creates nothing beside it,
whether the file is accepted or refused.

SQLite URIs: `sqlite:///abs/path.db` (also `sqlite:////abs/path.db` and `sqlite:/abs/path.db`),
`sqlite:relative/path.db` (relative to the current directory), with `?mode=ro`, `?mode=rw` and
`?immutable=1`; any other parameter is refused by name rather than dropped.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from storage.secrets import mask_secrets
from storage.targets import LOCK_WAIT, Target, TargetError

SQLITE_MAGIC = b"SQLite format 3\x00"
_TRUE, _FALSE = {"1", "yes", "true", "on"}, {"0", "no", "false", "off"}   # SQLite's boolean URI values
IMMUTABLE_NOTE = "opened with immutable=1: changes made to the file by other processes will not be seen"
# Short, so that a cancel or a retry decision comes soon: SQLite sleeps in its busy handler, where
# neither interrupt() nor the progress handler runs. Longer waits are retry_while_locked's loop.
BUSY_TIMEOUT_MS = 100
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




@dataclass(frozen=True)
class _UriOptions:
    read_only: bool = False
    immutable: bool = False


def sqlite_target(text: str, *, read_only: bool, on_wait, lock_wait: float) -> Target:
    """The Target of a SQLite path or `sqlite:` URI, checked (see the module's docstring)."""
    if "://" in text or text.startswith("sqlite:"):
        path, options = _sqlite_uri(text)
        return _sqlite_target(path, read_only or options.read_only, options.immutable, on_wait, lock_wait)
    return _sqlite_target(Path(text).expanduser(), read_only, False, on_wait, lock_wait)


def _sqlite_uri(uri: str) -> tuple[Path, _UriOptions]:
    shown = mask_secrets(uri)
    if "#" in uri:
        raise TargetError(f"{shown}: '#' starts a fragment in a URI; write a '#' in a file name as %23")
    parts = urlsplit(uri)
    if parts.netloc:
        raise TargetError(f"{shown}: a SQLite URI has no host; use sqlite:///absolute/path.db, or "
                          f"sqlite:{unquote(parts.netloc + parts.path)} for a path relative to the current directory")
    path = unquote(parts.path)
    if not path or path == "/:memory:" or path == ":memory:":
        raise TargetError(f"{shown}: rowdesk needs a database file, not an in-memory database")
    # sqlite:////abs/path (SQLObject accepts it too) means the same file as sqlite:///abs/path.
    path = "/" + path.lstrip("/") if path.startswith("//") else path
    return Path(path), _uri_options(shown, parts.query)


def _uri_options(shown: str, query: str) -> _UriOptions:
    seen: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in seen:
            raise TargetError(f"{shown}: the parameter {name!r} is given twice")
        seen[name] = value
    options = _UriOptions()
    for name, value in seen.items():
        if name == "mode":
            if value not in ("ro", "rw"):
                raise TargetError(f"{shown}: mode={value} is not supported (mode=ro or mode=rw; "
                                  "rowdesk never creates a database)")
            options = _UriOptions(value == "ro" or options.read_only, options.immutable)
        elif name == "immutable":
            if value not in _TRUE | _FALSE:
                raise TargetError(f"{shown}: immutable={value} is not a yes/no value (immutable=1 or immutable=0)")
            options = _UriOptions(options.read_only, value in _TRUE)
        elif name == "nolock":
            # Without locks a concurrent writer can be read half-way (or, read-write, two writers corrupt the
            # file); a file nothing writes is better opened with immutable=1, which also needs no locks.
            raise TargetError(f"{shown}: the parameter 'nolock' is not supported: without locks rowdesk could read "
                              "a file half-written by another process; use immutable=1 for a file nothing writes")
        else:
            raise TargetError(f"{shown}: the parameter {name!r} is not supported in a sqlite: URI "
                              "(rowdesk takes mode=ro, mode=rw and immutable=1)")
    return options


def _sqlite_target(path: Path, read_only: bool, immutable: bool, on_wait, lock_wait: float) -> Target:
    path = path.absolute()
    if not path.exists():
        raise TargetError(f"{path}: no such file (rowdesk does not create databases; check the path)")
    if path.is_dir():
        raise TargetError(f"{path}: is a directory, not a SQLite database file")
    check_sqlite_file(path, immutable=immutable, on_wait=on_wait, lock_wait=lock_wait)
    wal, notes = _is_wal(_read_header(path)), ()
    if immutable:
        if _wal_holds_changes(path):
            raise TargetError(f"{path}: immutable=1 would skip the changes committed in its write-ahead log "
                              f"({path.name}-wal); open it without immutable=1")
        notes = (IMMUTABLE_NOTE,)
    elif read_only:
        if wal and not os.access(path.parent, os.W_OK) and not _side_files_exist(path):
            # mode=ro must create the -wal and -shm files to read a WAL database, and cannot here.
            if _wal_holds_changes(path):
                raise TargetError(f"{path}: its write-ahead log ({path.name}-wal) holds changes that SQLite can "
                                  f"only read with a {path.name}-shm file, which it cannot create in the "
                                  f"read-only directory {path.parent}; copy both files to a writable directory")
            immutable = True
            notes = (f"{path.parent} is not writable, so this WAL database is read as immutable (SQLite cannot "
                     "create its -wal and -shm files there): changes made by other processes will not be seen",)
    else:
        _check_writable(path, wal)
    return Target("sqlite", f"sqlite://{path}", path, read_only or immutable, immutable, notes, file_identity(path))


def _side_files_exist(path: Path) -> bool:
    return Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists()


def _wal_holds_changes(path: Path) -> bool:
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except FileNotFoundError:
        return False


def _on_read_only_file_system(directory: Path) -> bool:
    return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)


def _check_writable(path: Path, wal: bool) -> None:
    """Opening read-write: say now, in one line, what would make every write fail later."""
    if _on_read_only_file_system(path.parent):
        raise TargetError(f"{path}: is on a read-only file system; open it with --read-only to browse it")
    if not os.access(path, os.W_OK):
        raise TargetError(f"{path}: not writable by you; open it with --read-only to browse it")
    if not os.access(path.parent, os.W_OK):
        what = f"its {path.name}-wal and -shm files" if wal else f"its rollback journal ({path.name}-journal)"
        raise TargetError(f"{path}: the directory {path.parent} is not writable by you, so SQLite cannot create "
                          f"{what} to write to the file; open it with --read-only to browse it")


def _read_header(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(100)
    except OSError as e:
        raise TargetError(f"{path}: cannot read it ({e.strerror.lower() if e.strerror else e})") from None


def _is_wal(head: bytes) -> bool:
    # Bytes 18 and 19 of the header: file format write and read versions, 2 for WAL.
    return 2 in head[18:20]


def check_sqlite_file(path: Path, *, immutable: bool = False, on_wait: Callable[[str], None] | None = None,
                      lock_wait: float = LOCK_WAIT) -> None:
    """Raise TargetError unless *path* is a readable SQLite 3 database; create nothing beside it."""
    head = _read_header(path)
    # An empty file is a valid, empty SQLite database (sqlite3 creates them that way).
    if head and not head.startswith(SQLITE_MAGIC):
        raise TargetError(f"{path}: not a SQLite database (the file does not start with the SQLite header)")
    # Read through mode=ro, a WAL database gets new -wal and -shm files, which stay when the check fails.
    # immutable=1 creates nothing and reads the file alone, which is all there is to read when they are missing.
    immutable = immutable or (_is_wal(head) and not _side_files_exist(path))

    def probe():
        conn = sqlite3.connect(connect_uri(path, read_only=True, immutable=immutable), uri=True,
                               timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()

    def waiting(note):
        if note is not None and on_wait is not None:
            on_wait(f"{path}: {note} (for at most {lock_wait:g} s)…")
    try:
        retry_while_locked(probe, limit=lock_wait, on_wait=waiting)
    except FileLocked as e:
        raise TargetError(f"{path}: {e}") from None
    except sqlite3.DatabaseError as e:
        raise TargetError(f"{path}: cannot open it as a SQLite database ({e})") from None
