"""What storage needs from an engine, in one place: a backend per engine owns
everything engine-specific, so that `storage.database` and everything above it
never know which engine they talk to.

A backend is used from worker threads only (never the reactor thread):
checkout/release hand out raw DB-API connections, one per job (see
`storage.lease`); catalogue/describe/estimate read the schema on one; interrupt
stops the statement running on one, from the control thread; classify says
what an exception means.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TypeVar

from storage.dialect import Dialect
from storage.schema import Reference, RowCount, Table, TableEntry

T = TypeVar("T")


class ErrorKind(enum.Enum):
    CANCELLED = "cancelled"                  # the statement was interrupted on purpose
    CONNECTION_LOST = "connection lost"      # the connection is dead: throw it away; a read may be retried once
    AUTHENTICATION = "authentication"
    CONSTRAINT = "constraint"                # a key, foreign key, check or NOT NULL refused a write
    LOCK_TIMEOUT = "lock timeout"            # another session holds a lock longer than we wait
    READ_ONLY = "read-only"                  # the database or the session refuses writes
    UNREACHABLE = "unreachable"              # a new connection could not be made (down, refused, no answer)
    OTHER = "other"


class Backend:
    """One engine. Subclasses set `name` and `dialect` and implement the methods below."""

    name = ""
    dialect: Dialect

    # Said to the operator (one line) when the backend mends something on its own: set by storage.database.
    RECONNECTED = "the server had closed the connection (a restart, or the session was ended): connected again"

    def __init__(self, target):
        self.target = target
        self.notice = lambda text: None       # from a worker thread; storage.database passes it to the screen

    # -- connections (worker threads) ------------------------------------------------------------------------
    @property
    def connection(self):
        """The SQLObject connection (for the operator's own models and SQLObject classes)."""
        raise NotImplementedError

    def checkout(self):
        """A raw DB-API connection for one job."""
        raise NotImplementedError

    def release(self, raw, *, broken: bool) -> None:
        """Give *raw* back at the end of its job, or throw it away when *broken*."""
        raise NotImplementedError

    def prepare(self, raw, job) -> None:
        """Called when a job takes *raw*: e.g. hooks that let a cancel stop a statement."""

    def unprepare(self, raw) -> None:
        """Called when the job gives *raw* back."""

    def interrupt(self, raw) -> None:
        """Stop the statement running on *raw* (from the control thread): never the connection."""
        raise NotImplementedError

    def classify(self, error: BaseException) -> ErrorKind:
        return ErrorKind.OTHER

    def wants_password(self, error: BaseException) -> bool:
        """Would another password help against *error*? (Asked before prompting for one.)"""
        return self.classify(error) is ErrorKind.AUTHENTICATION

    def describe_error(self, error: BaseException) -> str:
        """One line for the operator naming what failed (no traceback, no password)."""
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

    # -- writes ------------------------------------------------------------------------------------------------
    lock_clause = " FOR UPDATE"           # after a SELECT: the row is locked until the transaction ends
    lock_wait = 5.0                       # seconds a write waits for another writer's lock, then gives up

    def begin_write_sql(self) -> list[str]:
        """What starts a write transaction on an autocommit connection, with how long to wait for a lock."""
        return ["BEGIN"]

    def end_write_sql(self) -> list[str]:
        """What puts the connection back as reads expect it, after a write transaction (best effort)."""
        return []

    # Can the engine write a view's CSV itself (copy_csv), the values as rowdesk shows them? Else rowdesk does.
    writes_csv = False

    def copy_csv(self, raw, plan, write: Callable[[bytes], object], progress: Callable[[int], None], *,
                 beside: str | None = None) -> int | None:
        """The rows of *plan*'s view as CSV (no header) written by the engine: write(bytes) as they come,
        progress(rows so far) now and then (it may raise to stop); the number of rows, or None when this view
        is better written by rowdesk in one stream (nothing written yet). Scratch files, if any, go in the folder
        of the file *beside* (the output's)."""
        raise NotImplementedError

    def stream(self, raw, sql: str, params, size: int, consume: Callable[[list], None]) -> None:
        """Run one SELECT on *raw* and give its rows to consume() *size* at a time, as they come, never all of
        them in memory; consume may raise (a cancel) to stop."""
        cur = raw.cursor()
        try:
            cur.execute(sql, params)
            while batch := cur.fetchmany(size):
                consume(batch)
        finally:
            cur.close()

    def run(self, job, fn: Callable[[], T]) -> T:
        """Run one read, fn(), with the engine's own way of waiting (SQLite: another process's lock)."""
        return fn()

    def close(self) -> None:
        raise NotImplementedError

    # -- schema ------------------------------------------------------------------------------------------------
    def catalogue(self, raw) -> list[TableEntry]:
        """Every table and view the user may read, in the order the operator sees them."""
        raise NotImplementedError

    def describe(self, raw, entry: TableEntry) -> Table:
        raise NotImplementedError

    def referencing(self, raw, table: Table) -> list[Reference]:
        """The foreign keys of every table the user may read that point at rows of *table*."""
        raise NotImplementedError

    def find(self, raw, name: str) -> TableEntry | None:
        """The entry whose display name is *name* (engines that can look one up directly do)."""
        return next((e for e in self.catalogue(raw) if e.display == name), None)

    def estimate(self, raw, table: Table) -> RowCount | None:
        """A quick count (exact when cheap), or None when only a real count can tell."""
        return None

    # -- the file or server itself -------------------------------------------------------------------------------
    def check_file(self) -> str | None:
        """None while the database is the one that was opened, else one line for the operator."""
        return None

    @property
    def notes(self) -> tuple[str, ...]:
        """How it was opened, when that is not the obvious way (one line each)."""
        return ()
