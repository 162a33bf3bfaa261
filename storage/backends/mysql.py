"""The MySQL/MariaDB backend: SQLObject's MySQL connection on PyMySQL, made safe for an admin tool
(PITFALLS.md, "Servers" and "Writes"):

- SQLObject's retry loop is switched off: after errors 2006/2013 it reconnects and runs the statement
  again in autocommit, so a SELECT runs twice, an INSERT lost with its connection is applied anyway and a
  transaction is split. Here a lost connection is an error (storage re-reads once; it never re-writes);
- the driver is named (SQLObject's default list raises ValueError without mysqlclient);
- each raw connection: utf8mb4, FOUND_ROWS (rowcount counts matched rows, so an UPDATE that changes
  nothing is not taken for a conflict), autocommit, time_zone UTC (a TIMESTAMP's text names one instant,
  also in the hour a DST change repeats), the URI's connect timeout, and under --read-only a READ ONLY
  session, asserted again at every checkout (error 1792 for any write);
- the pool hands out only connections that answer (a ping, or that SET, on checkout), takes one back with
  its transaction rolled back and autocommit on, and throws a broken one away;
- a cancel is `KILL QUERY <thread id>` sent on a connection of its own (never KILL CONNECTION: the
  statement must stop, the connection stay), and a statement that a cancelled job has not sent yet is
  never sent (a KILL that arrives before the statement starts is lost by the server).
"""

from __future__ import annotations

import logging
import threading
import time

import pymysql
from pymysql.constants import CLIENT, SERVER_STATUS
from sqlobject.mysql.mysqlconnection import MySQLConnection

from storage.backends import mysql_errors, mysql_options, mysql_schema
from storage.backends.base import Backend, ErrorKind
from storage.backends.server_targets import CONNECT_TIMEOUT
from storage.dialect import MYSQL
from storage.export import ExportFailed
from storage.schema import Reference, RowCount, Table, TableEntry

COPY_BATCH = 5000             # CSV lines read at a time by copy_csv
log = logging.getLogger(__name__)


class ExportTooLong(ExportFailed):
    """A CSV line the server cannot make (longer than max_allowed_packet); str() says which row."""


# SQLObject retries after errors numbered CR_SERVER_GONE_ERROR or CR_SERVER_LOST; no error is this object.
_NO_ERROR = object()
# A KILL QUERY that reaches the server between the statement's packet and its start is lost: sent again
# while the same statement still runs, this many times, this far apart.
KILL_ATTEMPTS = 8
KILL_PAUSE = 0.25
NO_TIMEOUT = 31_536_000       # a year: the most PyMySQL takes (it refuses 0)
# Every session: TIMESTAMPs in UTC (one text, one instant), and a 0 given for an AUTO_INCREMENT key stored as
# 0 (by default MySQL numbers the row instead: the key read back would be another row's).
SESSION_SETUP = ("SET SESSION time_zone = '+00:00', "
                 "sql_mode = CONCAT_WS(',', NULLIF(@@sql_mode, ''), 'NO_AUTO_VALUE_ON_ZERO')")


class ListCursor(pymysql.cursors.Cursor):
    """Rows in a list, as sqlite3 and psycopg give them (PyMySQL's own cursor gives a tuple of rows)."""

    def fetchmany(self, size=None):
        return list(super().fetchmany(size))

    def fetchall(self):
        return list(super().fetchall())


class RowdeskPyMySQL(pymysql.connections.Connection):
    """A PyMySQL connection that knows the job holding it, so that a cancelled job sends no statement,
    and whether a statement is running on it, so that a cancel can see whether its KILL took."""

    job = None                 # set by MySQLBackend.prepare, cleared by unprepare
    running = False            # a statement is on its way or running
    statements = 0             # statements sent so far: tells one running statement from the next

    def connect(self, sock=None):
        # PyMySQL's connect_timeout covers the TCP connect only: a server that accepts and then says nothing
        # (overloaded, or not MySQL) would hang the handshake forever. The handshake gets the same timeout;
        # statements then get none (a slow query is cancelled by the operator, not by a clock).
        self._read_timeout = self.connect_timeout
        try:
            super().connect(sock)
        finally:
            self._read_timeout = None

    def query(self, sql, unbuffered=False):
        # `running` first, the job's flag second: a cancel sets the flag and then looks at `running`, so
        # either it sees this statement running and kills it, or this statement sees the flag.
        self.running = True
        self.statements += 1
        try:
            if self.job is not None:
                self.job.check()
            return super().query(sql, unbuffered)
        finally:
            self.running = False


class RowdeskMySQLConnection(MySQLConnection):
    """SQLObject's MySQL connection, built with the class constructor (connectionForURI caches by URI)
    and never given the password: it is kept apart, so that SQLObject's uri() cannot show it."""

    def __init__(self, target, *, read_only: bool):
        super().__init__(db=target.database, user=target.user or "", password="", host=target.host,
                         port=target.port, driver="pymysql")
        # No retry: a statement whose connection died is never run again behind the caller's back.
        self.CR_SERVER_GONE_ERROR = self.CR_SERVER_LOST = _NO_ERROR
        self._target = target
        # What the URI leaves out, ~/.my.cnf's [client] may give (as the mysql client takes it).
        self._login = mysql_options.read_login() if target.user is None or target.password is None else None
        self.read_only = read_only
        options = dict(target.options)
        timeout = int(options.get("connect_timeout", CONNECT_TIMEOUT))
        self.connect_timeout = timeout or NO_TIMEOUT           # connect_timeout=0 asks to wait as long as it takes
        self.on_dead = lambda: None          # a pooled connection was found dead and thrown away (the backend says so)

    def makeConnection(self):
        t, login = self._target, self._login
        user = t.user if t.user is not None or login is None else login.user
        password = t.password if t.password is not None or login is None else login.password
        try:
            conn = RowdeskPyMySQL(
                host=t.host, port=t.port, user=user, password=password or "", database=t.database,
                charset="utf8mb4", client_flag=CLIENT.FOUND_ROWS, connect_timeout=self.connect_timeout,
                autocommit=True, init_command=SESSION_SETUP, cursorclass=ListCursor,
            )
        except pymysql.err.Error as e:
            mysql_errors.while_connecting(e)
            raise
        try:
            if self.read_only:
                self._assert_read_only(conn)
        except BaseException:
            conn.close()
            raise
        with self._poolLock:
            self._connectionNumbers[id(conn)] = self._connectionCount
            self._connectionCount += 1
        return conn

    @staticmethod
    def _assert_read_only(conn) -> None:
        cur = conn.cursor()
        try:
            cur.execute("SET SESSION TRANSACTION READ ONLY")
        finally:
            cur.close()

    def _answers(self, conn) -> bool:
        """Is this pooled connection alive (and still read-only where it must be)? One round trip."""
        if not conn.open:
            return False
        try:
            if self.read_only:
                self._assert_read_only(conn)       # also undoes a SET SESSION TRANSACTION READ WRITE
            else:
                conn.ping(False)
        except pymysql.err.Error as e:
            log.info("a pooled MySQL connection is dead (%s): thrown away", e)
            return False
        return True

    def getConnection(self):
        """A connection that answers: a pooled one that passes the check, else a new one."""
        while True:
            with self._poolLock:
                conn = self._pool.pop() if self._pool else None
            if conn is None:
                return self.makeConnection()
            if self._answers(conn):
                return conn
            self.throw_away(conn)
            self.on_dead()

    def releaseConnection(self, conn, explicit=False, broken=False):
        if broken or not conn.open or not self._reset(conn):
            self.throw_away(conn)
            return
        super().releaseConnection(conn, explicit)

    @staticmethod
    def _reset(conn) -> bool:
        """Leave no transaction open and autocommit on, as a new connection is; False when that fails."""
        try:
            if conn.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS:
                conn.rollback()
            if not conn.get_autocommit():
                conn.autocommit(True)
        except pymysql.err.Error as e:
            log.info("a MySQL connection could not be reset (%s): thrown away", e)
            return False
        return True

    def throw_away(self, conn) -> None:
        self._connectionNumbers.pop(id(conn), None)
        try:
            conn.close()
        except pymysql.err.Error:
            pass               # closed already, or the socket is gone: nothing more to close


class MySQLBackend(Backend):
    name = "mysql"
    dialect = MYSQL

    def begin_write_sql(self) -> list[str]:
        # InnoDB's lock wait is per session and whole seconds; reads take no row locks, so it can stay set.
        return [f"SET SESSION innodb_lock_wait_timeout = {max(1, round(self.lock_wait))}", "BEGIN"]

    def __init__(self, target):
        super().__init__(target)
        self._connection = RowdeskMySQLConnection(target, read_only=target.read_only)
        self._connection.on_dead = lambda: self.notice(self.RECONNECTED)
        self._control = None            # for KILL QUERY: made on the first cancel, in the control thread
        self._control_lock = threading.Lock()
        self._mariadb: bool | None = None

    @property
    def connection(self):
        return self._connection

    # -- connections -------------------------------------------------------------------------------------------
    def checkout(self):
        return self._connection.getConnection()

    def release(self, raw, *, broken: bool) -> None:
        self._connection.releaseConnection(raw, broken=broken)

    def prepare(self, raw, job) -> None:
        raw.job = job

    def unprepare(self, raw) -> None:
        raw.job = None

    writes_csv = True

    def copy_csv(self, raw, plan, write, progress, *, beside=None) -> int:
        """The server writes each CSV line (storage.filters.mysql_export_text of each column, joined by commas),
        sent as bytes: PyMySQL then decodes one value a row instead of one a column, in Python (several times
        faster than reading the values and writing them again). progress(rows so far) after each batch."""
        from storage.filters import mysql_export_text
        columns = plan.view.table.columns
        fields = [f"IF({self.dialect.quote(c.name)} IS NULL, '', {mysql_export_text(c, self.dialect)})"
                  for c in columns]
        if len(fields) == 1:
            # A line of one empty field would be an empty line, which CSV readers skip: "" as Python writes it.
            fields = [f"IF(LENGTH({fields[0]}) = 0, '\"\"', {fields[0]})"]
        # CONCAT, not CONCAT_WS (which skips a NULL): a value the server could not make (a result longer than
        # max_allowed_packet is NULL, with a warning) makes the whole line NULL, and the export stops on it.
        joined = ", ',', ".join(fields)
        line = f"CAST(CONCAT({joined}) AS BINARY) AS rowdesk_line"
        rows = [0]

        def consume(batch) -> None:
            lines = [r[0] for r in batch]
            if None in lines:
                at = rows[0] + lines.index(None) + 1
                raise ExportTooLong(f"row {at:,} of the export is longer than the server's max_allowed_packet: "
                                    f"its CSV line cannot be made (JSON Lines is written from the values)")
            write(b"\n".join(lines) + b"\n")
            rows[0] += len(batch)
            progress(rows[0])
        for sql, params in plan.stream_sql([line]):
            self.stream(raw, sql, params, COPY_BATCH, consume)
        return rows[0]

    def stream(self, raw, sql: str, params, size: int, consume) -> None:
        # PyMySQL's own cursor reads the whole result first: an unbuffered one streams it. Stopped halfway, the
        # rest of the result would have to be read to use the connection again: it is closed instead.
        cur = raw.cursor(pymysql.cursors.SSCursor)
        try:
            cur.execute(sql, params)
            while batch := cur.fetchmany(size):
                consume(list(batch))
        except BaseException:
            raw.close()
            raise
        cur.close()

    def interrupt(self, raw) -> None:
        """KILL QUERY the statement running on *raw*, from a connection of our own; again while that same
        statement still runs (a KILL that reaches the server before the statement starts is lost)."""
        statement = raw.statements
        for _ in range(KILL_ATTEMPTS):
            if not raw.running or raw.statements != statement:
                return
            try:
                self._kill_query(raw.thread_id())
            except pymysql.err.Error as e:
                log.warning("could not cancel the statement on MySQL thread %s: %s", raw.thread_id(), e)
                return
            deadline = time.monotonic() + KILL_PAUSE
            while time.monotonic() < deadline:
                if not raw.running or raw.statements != statement:
                    return
                time.sleep(0.002)
        log.warning("the statement on MySQL thread %s still runs after %d KILL QUERY", raw.thread_id(),
                    KILL_ATTEMPTS)

    def _kill_query(self, thread_id: int) -> None:
        with self._control_lock:
            if self._control is None:
                self._control = RowdeskMySQLConnection(self.target, read_only=False)
            conn = self._control.getConnection()
            broken = True
            try:
                cur = conn.cursor()
                try:
                    cur.execute(f"KILL QUERY {int(thread_id)}")
                except pymysql.err.OperationalError as e:
                    if mysql_errors.error_code(e) != 1094:         # unknown thread: it ended meanwhile
                        raise
                finally:
                    cur.close()
                broken = False
            finally:
                self._control.releaseConnection(conn, broken=broken)

    def classify(self, error: BaseException) -> ErrorKind:
        return mysql_errors.classify(error)

    def describe_error(self, error: BaseException) -> str:
        """One line for the operator saying what failed (server, database, user or table), in plain words."""
        return mysql_errors.describe(error, self.target)

    def close(self) -> None:
        self._connection.close()
        with self._control_lock:
            if self._control is not None:
                self._control.close()

    # -- schema ------------------------------------------------------------------------------------------------
    def _is_mariadb(self, raw) -> bool:
        if self._mariadb is None:
            self._mariadb = "mariadb" in raw.get_server_info().lower()
        return self._mariadb

    def catalogue(self, raw) -> list[TableEntry]:
        return mysql_schema.catalogue(raw)

    def describe(self, raw, entry: TableEntry) -> Table:
        return mysql_schema.describe(raw, entry, mariadb=self._is_mariadb(raw))

    def find(self, raw, name: str) -> TableEntry | None:
        return mysql_schema.find(raw, name)

    def referencing(self, raw, table: Table) -> list[Reference]:
        return mysql_schema.referencing(raw, table)

    def estimate(self, raw, table: Table) -> RowCount | None:
        return mysql_schema.estimate(raw, table)

    @property
    def notes(self) -> tuple[str, ...]:
        return ("TIMESTAMP values are shown in UTC",)
