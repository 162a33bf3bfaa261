"""One open database: its SQLObject connection, worker threads, and every
query the console needs, each returning a Deferred (see `storage.jobs`)."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass

from storage import paging, schema
from storage.dialect import SQLITE, Dialect
from storage.jobs import Job, Worker, threaded
from storage.models import build_model, new_registry_name
from storage.sqlite_backend import LOCK_WAIT, RowdeskSQLiteConnection, file_change, retry_while_locked
from storage.targets import Target

log = logging.getLogger(__name__)

# Below this many rows an exact count is cheap enough to run at once.
CHEAP_COUNT = 200_000


@dataclass(frozen=True)
class TableEntry:
    name: str
    type: str                  # "table" or "view"


@dataclass(frozen=True)
class RowCount:
    rows: int | None
    exact: bool


class Database:
    def __init__(self, target: Target, reactor, *, threads: int = 3, lock_wait: float = LOCK_WAIT):
        self.target = target
        self.reactor = reactor
        self.dialect: Dialect = SQLITE
        self.connection = RowdeskSQLiteConnection(target.path, read_only=target.read_only,
                                                  immutable=target.immutable, identity=target.identity)
        self.registry = new_registry_name()
        self.worker = Worker(reactor, "sqlite", threads=threads)
        self._tables: dict[str, schema.Table] = {}
        self._describe_lock = threading.Lock()
        self.models: dict[str, type] = {}
        self.lock_wait = lock_wait      # seconds a job waits for another process's lock before it fails

    @property
    def display(self) -> str:
        return self.target.display

    @property
    def read_only(self) -> bool:
        return self.target.read_only

    @property
    def notes(self) -> tuple[str, ...]:
        """How the file was opened, for the operator (one line each), e.g. why it is read as immutable."""
        return self.target.notes

    def close(self) -> None:
        self.worker.stop()
        self.connection.close()

    @threaded("check the file")
    def check_file(self, job: Job) -> str | None:
        """None while the path still names the file that was opened; else one line for the operator (it was
        deleted, or replaced by another file). In a worker: a stat can block on a network file system."""
        return file_change(self.target.path, self.target.identity)

    # -- running statements ---------------------------------------------------------
    def _interrupt(self, raw) -> None:
        raw.interrupt()

    def _retry(self, job: Job, fn):
        """fn() again while another process holds a lock on the file; the job says it waits, and a cancel
        ends the wait at once (SQLite's own busy wait is kept short, since nothing can interrupt it)."""
        return retry_while_locked(fn, limit=self.lock_wait, on_wait=job.set_waiting, pause=job.sleep)

    def _read(self, job: Job, fn):
        """fn(raw) on this thread's connection, retried while the file is locked."""
        def attempt():
            raw = self.connection.getConnection()
            try:
                return fn(raw)
            finally:
                self.connection.releaseConnection(raw)
        return self._retry(job, attempt)

    def _query(self, job: Job, sql: str, params=(), *, limit: int | None = None) -> list[tuple]:
        """Run one statement on this thread's connection, cancellable through *job*."""
        return self._read(job, lambda raw: self._run_statement(job, raw, sql, params, limit))

    def _run_statement(self, job: Job, raw, sql: str, params, limit: int | None) -> list[tuple]:
        try:
            job.attach(raw, self._interrupt)
            # SQLite drops an interrupt() that arrives before the statement starts
            # (nothing runs yet): the progress handler stops a cancelled job anyway.
            raw.set_progress_handler(lambda: job.cancelled, 10_000)
            started = time.perf_counter()
            try:
                cur = raw.execute(sql, params)
                rows = cur.fetchmany(limit) if limit is not None else cur.fetchall()
                cur.close()
            finally:
                raw.set_progress_handler(None, 0)
                job.detach()
            log.debug("%.1f ms %s %r", (time.perf_counter() - started) * 1000, sql, params)
            return rows
        except sqlite3.OperationalError as e:
            if job.cancelled and "interrupt" in str(e):
                job.check()
            raise

    # -- catalogue ----------------------------------------------------------------
    @threaded("list tables")
    def tables(self, job: Job) -> list[TableEntry]:
        return self._read(job, lambda raw: [TableEntry(n, t) for n, t in schema.sqlite_tables(raw)])

    def _describe(self, name: str, job: Job | None = None) -> schema.Table:
        job = job or Job(f"describe {name}")
        # One at a time: two threads describing the same table at once would both
        # build its SQLObject class, and the registry refuses the second one. The
        # one holding the lock may wait for another process: a cancel must not wait for it.
        while not self._describe_lock.acquire(timeout=0.05):
            job.check()
        try:
            return self._describe_locked(name, job)
        finally:
            self._describe_lock.release()

    def _read_table(self, raw, name: str) -> schema.Table:
        kind = schema.sqlite_table_type(raw, name)      # one row, not the whole catalogue
        if kind is None:
            raise KeyError(f"no table named {name!r}")
        return schema.sqlite_table(raw, name, kind)

    def _describe_locked(self, name: str, job: Job) -> schema.Table:
        if name not in self._tables:
            table = self._read(job, lambda raw: self._read_table(raw, name))
            try:
                model = build_model(table, self.connection, self.registry)
            except Exception as e:   # noqa: BLE001 - an odd schema must not stop browsing
                log.warning("no SQLObject class for %s: %s", name, e)
                model = None
            if model is not None:
                self.models[name] = model
            elif table.read_only_reason is None:
                table = dataclasses.replace(table, read_only_reason="SQLObject could not map it")
            self._tables[name] = table
        return self._tables[name]

    @threaded("read schema")
    def describe(self, job: Job, name: str) -> schema.Table:
        return self._describe(name, job)

    @threaded("estimate rows")
    def estimate_rows(self, job: Job, name: str) -> RowCount:
        """Exact when cheap, else an upper bound from the rowid (instant).

        A view is not counted here: its count runs the view's whole query,
        which can take any time. Its rows are None until counted on demand."""
        table = self._describe(name, job)
        if table.type == "view":
            return RowCount(None, exact=False)
        if table.rowid_sql:
            high = self._query(job, f"SELECT max({table.rowid_sql}) FROM {self.dialect.quote(name)}")[0][0]
            if high is not None and high > CHEAP_COUNT:
                return RowCount(high, exact=False)
            if high is None:
                return RowCount(0, exact=True)
        return self.count_rows.in_thread(self, job, paging.View(table))

    @threaded("count rows")
    def count_rows(self, job: Job, view: paging.View) -> RowCount:
        sql, params = paging.Plan(view, self.dialect).count_sql()
        return RowCount(self._query(job, sql, params)[0][0], exact=True)

    # -- rows ---------------------------------------------------------------------
    @threaded("read rows")
    def fetch(self, job: Job, view: paging.View, mark: tuple | None, *, forward: bool = True, limit: int = 200,
              inclusive: bool = False, from_end: bool = False) -> paging.Page:
        plan = paging.Plan(view, self.dialect)
        return paging.fetch(lambda sql, params: self._query(job, sql, params, limit=limit), plan, mark,
                            forward=forward, limit=limit, inclusive=inclusive, from_end=from_end)

    @threaded("go to a row")
    def fetch_at(self, job: Job, view: paging.View, offset: int, *, limit: int = 200) -> paging.Page:
        """Rows from row *offset* (0-based) of *view*, with marks to page on from them. Costs a read of
        the rows before *offset* in the database (the price of a jump by number); cancellable."""
        plan = paging.Plan(view, self.dialect)
        return paging.fetch_at(lambda sql, params: self._query(job, sql, params), plan, offset, limit=limit)

    @threaded("count rows")
    def count_rows_of(self, job: Job, name: str) -> RowCount:
        return self.count_rows.in_thread(self, job, paging.View(self._describe(name, job)))
