"""The journal: every change rowdesk commits to an operator's database (insert, update, delete), recorded in
a SQLite file of rowdesk's own in the user's data directory, never in the operator's database.

Each entry says when (UTC), which OS user, which database (as displayed: a password in a URI is masked), which
table, the row's identity (its key columns, or the engine's row id), and the row before and after, every value
typed (`encode` / `decode` below), so that a change can be shown exactly and undone.

The pending-then-committed protocol
-----------------------------------
The journal and the operator's database are two databases: no transaction spans both, so there is always a
moment when one holds a change and the other does not. The order is chosen so that this moment can be
recognised afterwards and never hides a change:

1. `begin(...)`: the entry is written as PENDING and committed durably to the journal file (fsync), *before*
   the caller sends COMMIT to the operator's database. From here on a crash cannot lose the fact that a
   change may have been made.
2. the caller commits its database transaction, then:
   - `commit(id, key=, after=)`: it committed: COMMITTED, with the row as it was read back after the write
     (defaults, triggers, the key an insert got);
   - `discard(id)`: it rolled back (a conflict, an error before COMMIT): nothing happened, and the entry is
     removed: a journal of changes holds no change that surely was not made;
   - `unknown(id)`: the connection died while COMMIT was in flight (storage.writes.OutcomeUnknown): UNKNOWN.
3. A PENDING entry that stays PENDING means the process died between 1 and 2 (a crash, a kill, a power
   cut); an UNKNOWN one, that nobody could tell. At the next start `pending(database)` gives those entries
   (only those of processes that are no longer running: another rowdesk's change in flight is not touched),
   the caller reads each row again, and `resolve(entry, current)` decides from the row as it is now and
   records the decision.

The other order (commit the database, then write the journal) would lose, in a crash between the two, a change
that was made, with no trace: the journal could never be trusted to hold every change.

States
------
PENDING          written before the database's COMMIT; not known yet whether it was applied.
COMMITTED        the database committed it; `after` (and `key`, for an insert) as read back after the write.
UNKNOWN          the connection died during COMMIT: the caller could not tell; resolve it by reading the row.
NOT_APPLIED      resolved: the database does not hold the change (the row is as `before`; an insert's row is
                 not there; a deleted row is still there as before). Kept, so that the operator sees that a
                 change they may believe was made was not.
UNKNOWN_CHANGED  resolved, but the row holds neither `before` nor `after`: someone changed it since; nobody can
                 tell whether this change was applied first. Kept visible for the operator to look at.

How resolve decides, on the columns the journal holds (a column added to the table since is not compared):
- insert: no row: NOT_APPLIED; the row holds `after`: COMMITTED; else UNKNOWN_CHANGED;
- update: holds `after`: COMMITTED; holds `before`: NOT_APPLIED; else (or no row) UNKNOWN_CHANGED;
- delete: no row: COMMITTED; holds `before`: NOT_APPLIED; else UNKNOWN_CHANGED.
("No row" cannot tell "not applied" from "deleted by someone since" for an insert, nor "applied" from "deleted
by someone else" for a delete: either way the row is not there, which is what the operator needs to know.)
The caller reads the row by `entry.key`. For an update that changed key columns, `key` is the identity the row
has after the change; an update that was not applied leaves the row at its old identity, which is in
`before`'s key columns: read it there when there is no row at `key`. An insert whose key the database gives
(AUTO_INCREMENT, serial) has no known key while PENDING: the caller then finds the row by its values, or
passes None.

An entry written with `undoes=` (the undo of an earlier entry) marks that entry as undone in the same journal
transaction in which it becomes COMMITTED, so that a crash cannot leave an undo recorded and the original
unmarked.

The journal never logs a value (they are the operator's data, and passwords can be among them), and its file
is readable by its owner only (0600, in a 0700 directory that it creates).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import getpass
import ipaddress
import json
import logging
import os
import socket
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from storage.secrets import mask_secrets

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
APPLICATION_ID = 0x52444A31          # 'RDJ1': marks the file as a rowdesk journal (PRAGMA application_id)
BUSY_TIMEOUT = 10.0                  # seconds another process's write on the journal is waited for
ACTIONS = ("insert", "update", "delete")


class JournalError(Exception):
    """The journal cannot be opened or an entry cannot take that step (str() is for the operator)."""


class State(enum.StrEnum):
    PENDING = "pending"
    COMMITTED = "committed"
    UNKNOWN = "unknown"
    NOT_APPLIED = "not_applied"
    UNKNOWN_CHANGED = "unknown_changed"


# ================================================================================================================
# The codec: each value as the driver returned it <-> JSON, tagged, lossless
# ================================================================================================================
#   None, bool, int, str      as themselves (JSON null, true/false, a number of any size, a string)
#   float                     {"t": "float", "v": repr}            repr round-trips every float, inf, nan, -0.0
#   psycopg's float4 (Real)   {"t": "float4", "v": repr}
#   Decimal                   {"t": "decimal", "v": str}           NaN, sNaN, -0, exponents, payloads
#   bytes (bytearray, memoryview)  {"t": "bytes", "v": base64}
#   datetime                  {"t": "datetime", "v": isoformat}    + "tz": a ZoneInfo's key, "tzname": a fixed
#   time                      {"t": "time", "v": isoformat}          timezone's own name, "fold": 1
#   date                      {"t": "date", "v": isoformat}
#   timedelta                 {"t": "timedelta", "v": [days, seconds, microseconds]}
#   UUID                      {"t": "uuid", "v": str}
#   ipaddress                 {"t": "ip_address" | "ip_interface" | "ip_network", "v": str}
# Anything else is a TypeError: a value that would come back as something else must not go in silently.

_IP = {
    ipaddress.IPv4Address: "ip_address", ipaddress.IPv6Address: "ip_address",
    ipaddress.IPv4Interface: "ip_interface", ipaddress.IPv6Interface: "ip_interface",
    ipaddress.IPv4Network: "ip_network", ipaddress.IPv6Network: "ip_network",
}


def is_float4(value) -> bool:
    """psycopg's float4 (storage.backends.postgres_connection.Real, a psycopg Float4), known by its class names:
    importing this module must not import psycopg."""
    return isinstance(value, float) and any(c.__name__ == "Float4" and c.__module__.startswith("psycopg")
                                            for c in type(value).__mro__)


def _zone(tz, out: dict) -> None:
    """Remember which zone an aware value is in, beyond the offset that its ISO text holds."""
    key = getattr(tz, "key", None)
    if type(tz).__name__ == "ZoneInfo" and isinstance(key, str):
        out["tz"] = key
    elif type(tz) is dt.timezone:
        offset = tz.utcoffset(None)
        if tz.tzname(None) != dt.timezone(offset).tzname(None):
            out["tzname"] = tz.tzname(None)


def encode(value):
    """*value* (as a DB-API driver returned it) as a JSON-able object that `decode` turns back into it."""
    t = type(value)
    if value is None or t is bool or t is int or t is str:
        return value
    if t is float:
        return {"t": "float", "v": repr(value)}
    if is_float4(value):
        return {"t": "float4", "v": float.__repr__(value)}
    if t is decimal.Decimal:
        return {"t": "decimal", "v": str(value)}
    if t is bytes or t is bytearray or t is memoryview:
        return {"t": "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    if t is dt.datetime or t is dt.time:
        out = {"t": "datetime" if t is dt.datetime else "time", "v": value.isoformat()}
        if value.tzinfo is not None:
            _zone(value.tzinfo, out)
        if value.fold:
            out["fold"] = 1
        return out
    if t is dt.date:
        return {"t": "date", "v": value.isoformat()}
    if t is dt.timedelta:
        return {"t": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if t is uuid.UUID:
        return {"t": "uuid", "v": str(value)}
    if t in _IP:
        return {"t": _IP[t], "v": str(value)}
    raise TypeError(f"the journal cannot record a value of type {t.__module__}.{t.__qualname__} exactly; "
                    "add it to storage.journal's codec")


def _real():
    """The float4 type that psycopg binds as a real (rowdesk's Real), or float where psycopg is not installed."""
    try:
        from storage.backends.postgres_connection import Real
    except ImportError:
        return float
    return Real


def _with_zone(value, obj: dict):
    if "tz" in obj and value.tzinfo is not None:
        try:
            from zoneinfo import ZoneInfo
            zone = ZoneInfo(obj["tz"])
        except Exception:  # noqa: BLE001 - an unknown zone here: the recorded offset is exact
            return value
        if isinstance(value, dt.datetime):
            moved = value.astimezone(zone)
            return moved if moved.utcoffset() == value.utcoffset() else value
        return value.replace(tzinfo=zone)
    if "tzname" in obj and value.tzinfo is not None:
        return value.replace(tzinfo=dt.timezone(value.utcoffset(), obj["tzname"]))
    return value


def decode(obj):
    """The value that `encode` made *obj* of."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if not isinstance(obj, dict) or "t" not in obj:
        raise ValueError(f"not a journal value: {type(obj).__name__}")
    tag, v = obj["t"], obj.get("v")
    if tag == "float":
        return float(v)
    if tag == "float4":
        return _real()(float(v))
    if tag == "decimal":
        return decimal.Decimal(v)
    if tag == "bytes":
        return base64.b64decode(v, validate=True)
    if tag in ("datetime", "time"):
        value = (dt.datetime if tag == "datetime" else dt.time).fromisoformat(v)
        value = _with_zone(value, obj)
        return value.replace(fold=1) if obj.get("fold") else value
    if tag == "date":
        return dt.date.fromisoformat(v)
    if tag == "timedelta":
        days, seconds, micro = v
        return dt.timedelta(days=days, seconds=seconds, microseconds=micro)
    if tag == "uuid":
        return uuid.UUID(v)
    if tag == "ip_address":
        return ipaddress.ip_address(v)
    if tag == "ip_interface":
        return ipaddress.ip_interface(v)
    if tag == "ip_network":
        return ipaddress.ip_network(v)
    raise ValueError(f"unknown journal value type {tag!r} (written by a newer rowdesk?)")


def comparable(obj):
    """An encoded value in the form in which two encodings of the same stored value are equal, and no two of
    different values or types are (True and 1, 1 and 1.0, '' and None): a float4 is a float of the same repr
    (bound back to a real column it is the same real), an aware datetime is its instant in UTC (the session's
    time zone decides the offset a timestamptz is read with, not the value), a zone's name and a fold are not
    compared."""
    if not isinstance(obj, dict):
        return type(obj).__name__, obj          # True == 1 in Python: not here
    tag = obj["t"]
    if tag == "float4":
        return {"t": "float", "v": obj["v"]}
    if tag == "datetime":
        value = dt.datetime.fromisoformat(obj["v"])
        if value.tzinfo is not None:
            return {"t": "datetime", "v": value.astimezone(dt.UTC).isoformat(), "aware": True}
        return {"t": "datetime", "v": obj["v"]}
    if tag == "time":
        return {"t": "time", "v": obj["v"]}
    return obj


def encode_row(row: Mapping[str, object] | None) -> dict | None:
    if row is None:
        return None
    out = {}
    for name, value in row.items():
        if not isinstance(name, str):
            raise TypeError(f"a row's column names must be text, not {type(name).__name__}")
        out[name] = encode(value)
    return out


def decode_row(obj: dict | None) -> dict | None:
    return None if obj is None else {name: decode(v) for name, v in obj.items()}


def encode_key(key: Sequence) -> list:
    return [encode(v) for v in key]


def holds(current: dict | None, recorded: dict | None) -> bool:
    """Does *current* (encoded) hold every column of *recorded* (encoded), each the same value?"""
    if current is None or recorded is None:
        return False
    return all(name in current and comparable(current[name]) == comparable(v) for name, v in recorded.items())


# ================================================================================================================
# The journal file
# ================================================================================================================
@dataclass(frozen=True)
class Entry:
    id: int
    at: dt.datetime                   # when it was begun, UTC
    user: str                         # the OS user
    database: str                     # as displayed, passwords masked
    table: str
    action: str                       # "insert", "update" or "delete"
    key: tuple                        # the row's identity (see the module's docstring)
    before: dict | None               # column -> value; None for an insert
    after: dict | None                # column -> value; None for a delete
    state: State
    undone_by: int | None = None      # the entry that undid this one
    undoes: int | None = None         # the entry this one undoes
    batch: int | None = None          # the first entry of the same database transaction (begin_many)


_SCHEMA = [
    """CREATE TABLE entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,     -- never reused: undone_by and undoes point at ids
        at TEXT NOT NULL,                         -- ISO 8601, UTC
        user TEXT NOT NULL,
        database TEXT NOT NULL,
        tbl TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
        key TEXT NOT NULL,                        -- JSON: a list of encoded values
        before TEXT,                              -- JSON: column -> encoded value
        after TEXT,
        state TEXT NOT NULL,
        undone_by INTEGER,
        undoes INTEGER,
        batch INTEGER,
        owner TEXT NOT NULL,                      -- host:pid:start of the process that began it
        changed_at TEXT NOT NULL                  -- the last change of state
    )""",
    "CREATE INDEX entries_database ON entries (database, id)",
    "CREATE INDEX entries_table ON entries (tbl, id)",
    "CREATE INDEX entries_database_table ON entries (database, tbl, id)",
    "CREATE INDEX entries_open ON entries (database, id) WHERE state IN ('pending', 'unknown')",
]
_COLUMNS = "id, at, user, database, tbl, action, key, before, after, state, undone_by, undoes, batch"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no name for this uid (a container): the uid says who
        return f"uid {os.getuid()}"


def _start_time(pid: int) -> str:
    """The process's start time (Linux: /proc/PID/stat field 22), so that a reused pid is not taken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def _owner() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def _alive(owner: str) -> bool:
    """Is the process that wrote *owner* still running (on this host)?"""
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass                       # it exists, run by someone else
    except OSError:
        return False
    return started == "?" or _start_time(pid) in ("?", started)


def _dumps(obj) -> str | None:
    # ASCII: any str (lone surrogates too) goes in; no NaN: floats are tagged text
    return None if obj is None else json.dumps(obj, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def _loads(text):
    return None if text is None else json.loads(text)


class Journal:
    """The journal file at *path* (the caller chooses it: console.paths.data_dir() / "journal.sqlite").

    One connection, used under a lock: safe to call from several worker threads. Each write is its own
    transaction, durable when the call returns (WAL, synchronous=FULL). Several rowdesk processes may share
    the file (SQLite's locking; a busy writer is waited for)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._owner = _owner()
        self._user = _user()
        self._create_file()
        self._conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=BUSY_TIMEOUT,
                                     check_same_thread=False)
        try:
            self._prepare()
        except BaseException:
            self._conn.close()
            raise

    # -- opening ---------------------------------------------------------------------------------------------
    def _create_file(self) -> None:
        missing = []
        parent = self.path.parent
        while not parent.exists():
            missing.append(parent)
            parent = parent.parent
        for d in reversed(missing):
            try:
                d.mkdir(mode=0o700)
            except FileExistsError:
                pass
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError as e:
            raise JournalError(f"the journal {self.path} cannot be opened: {e.strerror}") from e
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)       # the operator's data: for its owner only
        finally:
            os.close(fd)

    def _prepare(self) -> None:
        c = self._conn
        c.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        # Look before changing anything: a path that names another database (the operator's own, by a mistake)
        # must not even be switched to WAL.
        self._check_file(c)
        c.execute("PRAGMA journal_mode = WAL")
        c.execute("PRAGMA synchronous = FULL")
        with self._lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                if self._check_file(c) == 0:          # new (another process may have just made it)
                    for statement in _SCHEMA:
                        c.execute(statement)
                    c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def _check_file(self, c) -> int:
        """The file's schema version (0: an empty file); JournalError if it is not a journal this reads."""
        version = c.execute("PRAGMA user_version").fetchone()[0]
        app = c.execute("PRAGMA application_id").fetchone()[0]
        if version == 0 and app == 0 and c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
            return 0
        if app != APPLICATION_ID:
            raise JournalError(f"{self.path} is not a rowdesk journal: nothing is written to it")
        if version > SCHEMA_VERSION:
            raise JournalError(f"the journal {self.path} was written by a newer rowdesk "
                               f"(version {version}; this one reads {SCHEMA_VERSION})")
        return version

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- writing -----------------------------------------------------------------------------------------------
    def _write(self, body):
        """body(connection) in one durable transaction of the journal."""
        with self._lock:
            c = self._conn
            c.execute("BEGIN IMMEDIATE")
            try:
                result = body(c)
                c.execute("COMMIT")
                return result
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def begin(self, *, database: str, table: str, action: str, key: Sequence, before: Mapping | None,
              after: Mapping | None, undoes: int | None = None) -> int:
        """A PENDING entry, durable in the journal when this returns: call it before the database's COMMIT."""
        return self.begin_many(database=database, table=table, changes=[(action, key, before, after)],
                               undoes=undoes)[0]

    def begin_many(self, *, database: str, table: str, changes: Iterable[tuple[str, Sequence, Mapping | None,
                   Mapping | None]], undoes: int | None = None) -> list[int]:
        """PENDING entries for the rows one database transaction changes ((action, key, before, after) each),
        in one journal transaction (one fsync, not one per row); their ids, in order. Each names the first as
        its batch. *undoes*: the entry that this one undoes (one change only)."""
        rows = []
        for action, key, before, after in changes:
            if action not in ACTIONS:
                raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
            if (before is None) != (action == "insert") or (after is None) != (action == "delete"):
                raise ValueError(f"{action}: before is for updates and deletes, after for inserts and updates")
            rows.append((action, _dumps(encode_key(key)), _dumps(encode_row(before)), _dumps(encode_row(after))))
        if not rows:
            return []
        if undoes is not None and len(rows) != 1:
            raise ValueError("an undo is one change")
        shown = mask_secrets(database)
        now = _now()

        def body(c):
            ids = []
            for action, key, before, after in rows:
                cur = c.execute(
                    "INSERT INTO entries (at, user, database, tbl, action, key, before, after, state, undoes, "
                    "batch, owner, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (now, self._user, shown, table, action, key, before, after, State.PENDING.value, undoes,
                     ids[0] if ids else None, self._owner, now))
                ids.append(cur.lastrowid)
            c.execute("UPDATE entries SET batch = id WHERE id = ?", (ids[0],))
            return ids
        return self._write(body)

    def _step(self, ids: int | Sequence[int], to: State, allowed: tuple[State, ...], what: str, *,
              sets: str = "", params: tuple = ()) -> None:
        ids = [ids] if isinstance(ids, int) else list(ids)

        def body(c):
            for entry_id in ids:
                self._check(c, entry_id, allowed, what)
                c.execute(f"UPDATE entries SET state = ?, changed_at = ?{sets} WHERE id = ?",
                          (to.value, _now(), *params, entry_id))
                if to is State.COMMITTED:
                    self._mark_original(c, entry_id)
        self._write(body)

    @staticmethod
    def _check(c, entry_id: int, allowed: tuple[State, ...], what: str) -> None:
        found = c.execute("SELECT state FROM entries WHERE id = ?", (entry_id,)).fetchone()
        if found is None:
            raise JournalError(f"journal entry {entry_id} does not exist: it cannot be {what}")
        if State(found[0]) not in allowed:
            raise JournalError(f"journal entry {entry_id} is {found[0]}: it cannot be {what}")

    @staticmethod
    def _mark_original(c, entry_id: int) -> None:
        (undoes,) = c.execute("SELECT undoes FROM entries WHERE id = ?", (entry_id,)).fetchone()
        if undoes is not None:
            c.execute("UPDATE entries SET undone_by = ? WHERE id = ?", (entry_id, undoes))

    def commit(self, entry_id: int | Sequence[int], *, key: Sequence | None = None,
               after: Mapping | None = None) -> None:
        """The database committed: COMMITTED, with the row as read back after the write and, for an insert, the
        key it got (None: as given to begin). Several ids (a batch) only without key and after."""
        sets, params = "", ()
        if key is not None or after is not None:
            if not isinstance(entry_id, int):
                raise ValueError("key and after are for one entry")
            if key is not None:
                sets, params = ", key = ?", (_dumps(encode_key(key)),)
            if after is not None:
                sets, params = sets + ", after = ?", (*params, _dumps(encode_row(after)))
        self._step(entry_id, State.COMMITTED, (State.PENDING, State.UNKNOWN), "committed", sets=sets, params=params)

    def discard(self, entry_id: int | Sequence[int]) -> None:
        """The database rolled back: the entry is removed (no change was made, and the journal holds changes)."""
        ids = [entry_id] if isinstance(entry_id, int) else list(entry_id)

        def body(c):
            for i in ids:
                self._check(c, i, (State.PENDING,), "discarded")
                c.execute("DELETE FROM entries WHERE id = ?", (i,))
        self._write(body)

    def unknown(self, entry_id: int | Sequence[int]) -> None:
        """The connection died during COMMIT: UNKNOWN, for resolve() once the row can be read again."""
        self._step(entry_id, State.UNKNOWN, (State.PENDING,), "marked unknown")

    def resolve(self, entry: Entry, current: Mapping | None, *, key: Sequence | None = None) -> State:
        """Decide from *current* (the row as it is now; None: there is none) whether *entry*'s change was
        applied, record it, and return the state (see the module's docstring). *key*: the identity the row was
        found by, recorded when the change was applied (an insert whose key the database gave)."""
        now = encode_row(current)
        before, after = encode_row(entry.before), encode_row(entry.after)
        if entry.action == "insert":
            state = (State.NOT_APPLIED if now is None else State.COMMITTED if holds(now, after)
                     else State.UNKNOWN_CHANGED)
        elif entry.action == "update":
            state = (State.COMMITTED if holds(now, after) else State.NOT_APPLIED if holds(now, before)
                     else State.UNKNOWN_CHANGED)
        else:
            state = (State.COMMITTED if now is None else State.NOT_APPLIED if holds(now, before)
                     else State.UNKNOWN_CHANGED)
        sets, params = "", ()
        if state is State.COMMITTED and entry.action != "delete":
            sets, params = ", after = ?", (_dumps(now),)        # the row as it is: defaults, triggers
            if key is not None:
                sets, params = sets + ", key = ?", (*params, _dumps(encode_key(key)))
        self._step(entry.id, state, (State.PENDING, State.UNKNOWN), "resolved", sets=sets, params=params)
        log.info("journal entry %d resolved: %s", entry.id, state.value)
        return state

    def mark_undone(self, entry_id: int, undo_entry_id: int) -> None:
        """*entry_id* was undone by the COMMITTED entry *undo_entry_id* (both kept). (An entry begun with
        undoes= is marked by its own commit: this is for callers that did not say so.)"""
        def body(c):
            self._check(c, entry_id, (State.COMMITTED,), "undone")
            self._check(c, undo_entry_id, (State.COMMITTED,), "an undo")
            (by,) = c.execute("SELECT undone_by FROM entries WHERE id = ?", (entry_id,)).fetchone()
            if by is not None and by != undo_entry_id:
                raise JournalError(f"journal entry {entry_id} was already undone by entry {by}")
            c.execute("UPDATE entries SET undone_by = ? WHERE id = ?", (undo_entry_id, entry_id))
            c.execute("UPDATE entries SET undoes = ? WHERE id = ? AND undoes IS NULL", (entry_id, undo_entry_id))
        self._write(body)

    # -- reading -----------------------------------------------------------------------------------------------
    def _select(self, where: str, params: tuple, order: str, limit: int | None) -> list[tuple]:
        sql = f"SELECT {_COLUMNS}, owner FROM entries{where} ORDER BY id {order}"
        if limit is not None:
            sql += " LIMIT ?"
            params = (*params, limit)
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    @staticmethod
    def _entry(row: tuple) -> Entry:
        (entry_id, at, user, database, table, action, key, before, after, state, undone_by, undoes,
         batch) = row[:13]
        return Entry(id=entry_id, at=dt.datetime.fromisoformat(at), user=user, database=database, table=table,
                     action=action, key=tuple(decode(v) for v in _loads(key)), before=decode_row(_loads(before)),
                     after=decode_row(_loads(after)), state=State(state), undone_by=undone_by, undoes=undoes,
                     batch=batch)

    def get(self, entry_id: int) -> Entry | None:
        rows = self._select(" WHERE id = ?", (entry_id,), "ASC", None)
        return self._entry(rows[0]) if rows else None

    def pending(self, database: str, *, include_live: bool = False) -> list[Entry]:
        """Entries of *database* (as given to begin) that are PENDING or UNKNOWN, oldest first: what a crash or
        a lost connection left, to resolve. Those of a process still running (this one, another rowdesk) are
        left out unless *include_live*: their change may still be on its way."""
        rows = self._select(" WHERE database = ? AND state IN ('pending', 'unknown')", (mask_secrets(database),),
                            "ASC", None)
        return [self._entry(r) for r in rows if include_live or not _alive(r[13])]

    def entries(self, *, table: str | None = None, database: str | None = None, limit: int = 200,
                before_id: int | None = None, states: Iterable[State] | None = None) -> list[Entry]:
        """At most *limit* entries, newest first, older than *before_id* (the last id of the page before):
        one page of the Journal screen."""
        where, params = [], []
        if table is not None:
            where.append("tbl = ?")
            params.append(table)
        if database is not None:
            where.append("database = ?")
            params.append(mask_secrets(database))
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        if states is not None:
            states = [State(s).value for s in states]
            where.append(f"state IN ({', '.join('?' for _ in states)})")
            params.extend(states)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return [self._entry(r) for r in self._select(clause, tuple(params), "DESC", limit)]


def open_journal(path: str | os.PathLike) -> Journal:
    """The journal at *path*; JournalError (or OSError) saying why it cannot be opened, whatever SQLite said."""
    try:
        return Journal(path)
    except sqlite3.Error as e:
        raise JournalError(f"{path}: {e}") from e
