"""The PostgreSQL backend: SQLObject's PostgreSQL connection on psycopg 3 (postgres_connection), its pool
with a health check, the catalogue of every schema the user may read (postgres_catalog), cancel on the
server, and what its errors mean (postgres_errors).

- SQLObject's pool is one shared list with no health check, and a connection killed from the server side
  stays in it, failing forever. A connection is checked when it is taken (psycopg's closed/broken flags, an
  open or failed transaction, and a socket that has something to read while idle: the server's goodbye) and
  thrown away when a job found it broken; it goes back without an open transaction.
- Cancel: psycopg's cancel_safe from the control thread (PostgreSQL's cancel request: the statement ends with
  SQLSTATE 57014, the connection stays). An aborted transaction (25P02 until then) is rolled back when the
  connection goes back, before any other job uses it.
"""

from __future__ import annotations

import logging
import select

import psycopg
from psycopg.pq import TransactionStatus

from storage.backends import postgres_catalog as catalog
from storage.backends.base import Backend, ErrorKind
from storage.backends.postgres_connection import RowdeskPostgresConnection
from storage.backends.postgres_errors import classify, describe_error, wants_password
from storage.dialect import POSTGRES
from storage.schema import Reference, RowCount, Table, TableEntry

log = logging.getLogger(__name__)

# How long a cancel keeps asking the server to end the statement; each request waits this long at most.
CANCEL_PATIENCE = 2.0
CANCEL_TIMEOUT = 2.0


def _has_input(raw) -> bool:
    """Has the server sent anything on this idle connection? It says nothing unprompted except its goodbye
    (pg_terminate_backend, a shutdown) or an asynchronous notice."""
    poller = select.poll()
    poller.register(raw.pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


class PostgresBackend(Backend):
    name = "postgres"
    dialect = POSTGRES

    def begin_write_sql(self) -> list[str]:
        # SET LOCAL: for this transaction only; the connection's reads keep waiting as long as they take.
        return ["BEGIN", f"SET LOCAL lock_timeout = '{int(self.lock_wait * 1000)}ms'"]

    def __init__(self, target):
        super().__init__(target)
        self._connection = RowdeskPostgresConnection(target)

    @property
    def connection(self):
        return self._connection

    # -- connections: SQLObject's pool, checked ------------------------------------------------------------------
    def checkout(self):
        """A live connection from the pool (the dead ones thrown away), or a new one."""
        while True:
            raw = self._connection.getConnection()
            if self._usable(raw):
                return raw
            log.info("a pooled PostgreSQL connection is dead: thrown away")
            self._throw_away(raw)
            self.notice(self.RECONNECTED)

    def _usable(self, raw) -> bool:
        if raw.closed or raw.broken:
            return False
        if raw.info.transaction_status is not TransactionStatus.IDLE:
            return self._clean(raw)
        if not _has_input(raw):
            return True
        try:
            raw.execute("SELECT 1")           # a notice, or the end: one round trip tells
        except psycopg.Error:
            return False
        return True

    @staticmethod
    def _clean(raw) -> bool:
        """Roll back a transaction left open or aborted (25P02 after a cancel); False if that fails."""
        status = raw.info.transaction_status
        if status is TransactionStatus.IDLE:
            return True
        if status not in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
            return False                      # a statement still running, or the connection is gone
        try:
            raw.rollback()
        except psycopg.Error as e:
            log.info("rollback failed (%s): connection thrown away", e)
            return False
        return raw.info.transaction_status is TransactionStatus.IDLE

    def release(self, raw, *, broken: bool) -> None:
        if broken or raw.closed or raw.broken or not self._clean(raw):
            self._throw_away(raw)
        else:
            self._connection.releaseConnection(raw)

    def _throw_away(self, raw) -> None:
        self._connection._connectionNumbers.pop(id(raw), None)
        try:
            raw.close()
        except psycopg.Error:
            pass

    def prepare(self, raw, job) -> None:
        raw.guard.job = job

    def unprepare(self, raw) -> None:
        raw.guard.job = None

    writes_csv = True

    def copy_csv(self, raw, plan, write, progress, *, beside=None) -> int:
        """The server writes the CSV (COPY … TO STDOUT, UTF-8) of the values as rowdesk shows them, computed in
        SQL (storage.filters.pg_export_text); write(bytes) per row as it comes (the server sends one message a
        row), progress(rows so far) every 10,000 rows. Several times what reading the rows into Python and
        writing them again costs."""
        from storage.filters import pg_export_text
        exprs = [pg_export_text(c, self.dialect) for c in plan.view.table.columns]
        if len(exprs) == 1:
            # COPY writes a lone NULL as an empty line, which CSV readers skip; an empty text it writes as "".
            exprs = [f"coalesce(CAST({exprs[0]} AS text), '')"]
        # Named apart: ORDER BY "id" must sort by the column, not by its text in the output.
        texts = [f"{e} AS rowdesk_{i}" for i, e in enumerate(exprs)]
        rows = 0
        # Dates as Python writes them: the session's DateStyle is ISO (postgres_connection.connect_arguments).
        with raw.cursor() as cur:
            for sql, params in plan.stream_sql(texts):
                query = psycopg.ClientCursor(raw).mogrify(sql, params)     # COPY takes no parameters: bound here
                with cur.copy(f"COPY ({query}) TO STDOUT (FORMAT csv, ENCODING 'UTF8')") as copy:
                    for chunk in copy:
                        write(chunk)
                        rows += 1
                        if not rows % 10_000:
                            progress(rows)
        return rows

    def stream(self, raw, sql: str, params, size: int, consume) -> None:
        # A client cursor would hold the whole result in memory: a server-side cursor, in a transaction of its
        # own (rolled back: it only reads), FETCHes a batch at a time. A cancel stops the FETCH running.
        with raw.transaction(force_rollback=True), raw.cursor(name="rowdesk_stream") as cur:
            cur.execute(sql, params)
            while batch := cur.fetchmany(size):
                consume(batch)

    def interrupt(self, raw) -> None:
        """Cancel the statement running on *raw* (control thread), again while it still runs: a request
        that reached the server before the statement did is dropped there."""
        def send():
            try:
                raw.cancel_safe(timeout=CANCEL_TIMEOUT)
            except psycopg.Error as e:
                log.info("cancel request failed: %s", e)

        if not raw.guard.cancel(send, patience=CANCEL_PATIENCE):
            log.warning("the statement still runs %.0f s after it was cancelled", CANCEL_PATIENCE)

    def classify(self, error: BaseException) -> ErrorKind:
        return classify(error)

    def describe_error(self, error: BaseException) -> str:
        """One line for the operator naming what failed."""
        return describe_error(error, self.target)

    def wants_password(self, error: BaseException) -> bool:
        return wants_password(error)

    def close(self) -> None:
        self._connection.close()

    # -- schema ------------------------------------------------------------------------------------------------
    def catalogue(self, raw) -> list[TableEntry]:
        return catalog.entries(raw, self.target.schema)

    def describe(self, raw, entry: TableEntry) -> Table:
        return catalog.describe(raw, entry)

    def find(self, raw, name: str) -> TableEntry | None:
        return catalog.find(raw, name, self.target.schema)

    def referencing(self, raw, table: Table) -> list[Reference]:
        return catalog.referencing(raw, table)

    def estimate(self, raw, table: Table) -> RowCount | None:
        return catalog.estimate(raw, table)

    @property
    def notes(self) -> tuple[str, ...]:
        if self.target.read_only:
            return ("read-only: every transaction of this session is read-only (default_transaction_read_only)",)
        return ()
