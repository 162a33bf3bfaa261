"""SQLObject's PostgreSQL connection, made with psycopg 3 the way rowdesk needs it.

- `driver="psycopg"` is the spelling that selects psycopg 3 in SQLObject's PostgresConnection (`psycopg2` is
  the old driver). SQLObject's own makeConnection is replaced: it puts the whole DSN, password included, into
  the message of a failed connect, and sets `search_path` from an unquoted schema name. The password is never
  given to SQLObject's constructor (which would keep it in `dsn`): it stays here and goes to psycopg.connect
  as an argument. Without one, libpq reads PGPASSWORD and ~/.pgpass itself.
- Every raw connection is autocommit (SQLObject's own default): a read holds no snapshot and no lock after its
  statement; a job that needs a transaction opens one (BEGIN) and ends it before its connection goes back.
- A connect timeout always applies (the URI's connect_timeout, else CONNECT_TIMEOUT); `--read-only` sets
  `default_transaction_read_only` at connect, before any statement runs.
- Values come back from psycopg's own loaders, except where the Python type would misstate the value or fail
  on it (ADAPTERS below).
- Each connection carries a StatementGuard, so that a cancel from another thread reaches the statement it was
  meant for (see there).
"""

from __future__ import annotations

import os
import threading
import time

import psycopg
from psycopg.adapt import AdaptersMap, Loader
from psycopg.pq import Format
from psycopg.types.multirange import MultirangeInfo
from psycopg.types.numeric import Float4
from psycopg.types.range import RangeInfo
from psycopg.types.string import TextLoader
from sqlobject.postgres.pgconnection import PostgresConnection

from storage.backends.server_targets import CONNECT_TIMEOUT


class ConnectFailed(Exception):
    """The server could not be reached or refused the connection; __cause__ is psycopg's error."""


class SchemaNotFound(Exception):
    """The URI's ?schema= names no schema the user may use in that database."""

    def __init__(self, schema: str, database: str):
        super().__init__(schema, database)
        self.schema = schema
        self.database = database


# -- values --------------------------------------------------------------------------------------------------------
class _Wrapping(Loader):
    """A loader around psycopg's own one (`inner`) for the type."""

    inner: type

    def __init__(self, oid: int, context=None):
        super().__init__(oid, context)
        self._load = self.inner(oid, context).load


class _OrServerText(_Wrapping):
    """psycopg's own loader, or the server's text where Python's type cannot hold the value: dates and
    timestamps of 'infinity', BC or past year 9999, time '24:00:00'. (psycopg raises DataError on them, and one
    such row would make a whole page unreadable.) The text, bound back, is read by the server as the value."""

    def load(self, data):
        try:
            return self._load(data)
        except psycopg.DataError:
            return bytes(data).decode()


class Real(Float4):
    """A real (float4) value. Bound back as a float8, 0.1 would not equal the real 0.1 it was read from (the
    stored 0.1f widened to a double is 0.10000000149...), and keyset paging by a real column would read the same
    row again forever: psycopg binds a Float4 as a real. Shown as the float it is."""

    __slots__ = ()
    __repr__ = float.__repr__


class _RealLoader(_Wrapping):
    def load(self, data):
        return Real(self._load(data))


def _around(wrapper: type, oid: int) -> type:
    return type(wrapper.__name__.strip("_"), (wrapper,), {"inner": psycopg.adapters.get_loader(oid, Format.TEXT)})


def _adapters() -> AdaptersMap:
    adapters = AdaptersMap(psycopg.adapters)
    types = psycopg.postgres.types
    adapters.register_loader(types["float4"].oid, _around(_RealLoader, types["float4"].oid))
    for name in ("date", "timestamp", "timestamptz", "time", "timetz"):
        adapters.register_loader(types[name].oid, _around(_OrServerText, types[name].oid))
    # The server's own text for these: psycopg turns interval '1 mon' into timedelta(days=30) (and '1 year'
    # into 365 days), which misstates the value; arrays and ranges as text read exactly as the server writes
    # them (and as a contains filter on their ::text matches), whatever their element type (psycopg makes
    # lists of some and text of others, such as arrays of enums), and bind back as themselves.
    # json and jsonb as their text too: psycopg's dicts cannot be bound back (sorting or paging by the column
    # fails), and a JSON null would come back as None, which is SQL's NULL; the record view pretty-prints text.
    text = [types["interval"].oid, types["json"].oid, types["jsonb"].oid]
    for info in types:
        if info.array_oid:
            text.append(info.array_oid)
        if isinstance(info, (RangeInfo, MultirangeInfo)):
            text.append(info.oid)
    for oid in text:
        adapters.register_loader(oid, TextLoader)
    return adapters


ADAPTERS = _adapters()


# -- cancelling the right statement ------------------------------------------------------------------------------------
class StatementGuard:
    """Which job a connection serves and whether one of its statements is on the server.

    A cancel request for an idle backend is dropped by the server, so one sent just before a statement
    reaches the server would be lost and the statement would run to its end. The guard closes that gap: a
    statement of a cancelled job never starts (checked under the lock), and `cancel` sends its request again
    while a statement that started is still running."""

    def __init__(self):
        self._cond = threading.Condition()
        self.job = None
        self._running = False

    def begin(self) -> None:
        with self._cond:
            if self.job is not None:
                self.job.check()          # cancelled: raise storage.jobs.Cancelled, nothing is sent
            self._running = True

    def end(self) -> None:
        with self._cond:
            self._running = False
            self._cond.notify_all()

    def cancel(self, send, *, patience: float, resend: float = 0.25) -> bool:
        """Call send() until the running statement ends (or none runs); False if it still ran after *patience*."""
        deadline = time.monotonic() + patience
        while True:
            with self._cond:
                if not self._running:
                    return True
            send()
            with self._cond:
                if self._cond.wait_for(lambda: not self._running, timeout=resend):
                    return True
            if time.monotonic() > deadline:
                return False


class GuardedCursor(psycopg.Cursor):
    """A cursor whose statements go through the connection's StatementGuard."""

    def execute(self, query, params=None, **kwargs):
        guard = self.connection.guard
        guard.begin()
        try:
            return super().execute(query, params, **kwargs)
        finally:
            guard.end()

    def executemany(self, query, params_seq, **kwargs):
        guard = self.connection.guard
        guard.begin()
        try:
            return super().executemany(query, params_seq, **kwargs)
        finally:
            guard.end()


class RawConnection(psycopg.Connection):
    """A psycopg connection with its StatementGuard."""

    guard: StatementGuard


# -- SQLObject's connection --------------------------------------------------------------------------------------------
class RowdeskPostgresConnection(PostgresConnection):
    def __init__(self, target):
        self.target = target
        # Never given to SQLObject, whose dsn string and connect errors would carry it.
        self._password = target.password
        super().__init__(host=target.host, port=target.port, db=target.database, user=target.user,
                         driver="psycopg", autoCommit=1)

    def connect_arguments(self) -> dict:
        """psycopg.connect's arguments, without the password."""
        t = self.target
        options = dict(t.options)
        kwargs = {
            "host": t.host, "port": t.port, "dbname": t.database, "user": t.user,
            "connect_timeout": int(options.get("connect_timeout", CONNECT_TIMEOUT)),
            "application_name": "rowdesk",
            "sslmode": options.get("sslmode"),
        }
        if t.read_only:
            # Given here, options replace PGOPTIONS (a search_path, say): keep what it says.
            given = os.environ.get("PGOPTIONS", "")
            kwargs["options"] = f"{given} -c default_transaction_read_only=on".strip()
        return {k: v for k, v in kwargs.items() if v is not None}

    def makeConnection(self):
        try:
            conn = RawConnection.connect(**self.connect_arguments(), password=self._password, autocommit=True,
                                         cursor_factory=GuardedCursor, context=ADAPTERS)
        except psycopg.Error as e:
            raise ConnectFailed(str(e)) from e
        conn.guard = StatementGuard()
        try:
            # The driver reads timestamptz and intervals in the ISO and postgres styles only (a server or role
            # set to DateStyle German would break the grid), and an export writes dates in the session's style.
            # SET, not a startup option: a pooler such as PgBouncer refuses options it does not know.
            conn.execute("SET DateStyle = 'ISO, YMD'")
            conn.execute("SET IntervalStyle = 'postgres'")
            if self.target.schema is not None:
                self._use_schema(conn, self.target.schema)
        except BaseException:
            conn.close()
            raise
        return conn

    def _use_schema(self, conn, schema: str) -> None:
        """The URI's schema first in the search_path (as SQLObject's ?schema= does, quoted), if it is there."""
        found = conn.execute(
            "SELECT has_schema_privilege(n.oid, 'USAGE'), "
            "set_config('search_path', quote_ident(n.nspname) || ', ' || current_setting('search_path'), false) "
            "FROM pg_catalog.pg_namespace n WHERE n.nspname = %s", (schema,)).fetchone()
        if found is None or not found[0]:
            raise SchemaNotFound(schema, self.target.database)
