"""One open database: its backend, its worker threads, and every query the
console needs, each returning a Deferred (see `storage.jobs`).

Nothing here knows which engine it talks to: the backend (storage.backends)
does. Each job runs its statements on one connection of its own (a lease,
storage.lease); a read whose connection died is run again once on a fresh one.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Sequence

from storage import edits, filters, paging, writes
from storage.backends import ErrorKind, open_backend
from storage.dialect import Dialect
from storage.jobs import Job, Worker, threaded
from storage.lease import Lease
from storage.models import build_model, new_registry_name
from storage.schema import Reference, RowCount, Table, TableEntry
from storage.targets import Target

log = logging.getLogger(__name__)


def _put_in_place(part: str, path: str) -> None:
    """*part* renamed to *path*, unless *path* was taken meanwhile (FileExistsError): never replaced."""
    try:
        os.link(part, path)                         # atomic, and fails on an existing name
    except FileExistsError:
        raise
    except OSError:                                 # a file system without hard links
        if os.path.exists(path):
            raise FileExistsError(f"{path} exists: not replaced") from None
        os.rename(part, path)
        return
    os.unlink(part)


class ReadOnly(Exception):
    """A write asked of a database opened read-only: refused before anything is sent."""


__all__ = ["Database", "RowCount", "TableEntry"]


class Database:
    def __init__(self, target: Target, reactor, *, threads: int = 3, lock_wait: float | None = None,
                 journal=None, journal_problem: str | None = None):
        self.target = target
        self.journal = journal              # storage.journal.Journal: every committed change, kept locally
        self.journal_problem = journal_problem      # why there is no journal, when changes are refused for it
        self.reactor = reactor
        self.backend = open_backend(target, lock_wait=lock_wait)
        self.backend.notice = self._notice
        self.dialect: Dialect = self.backend.dialect
        self.registry = new_registry_name()
        self.worker = Worker(reactor, self.backend.name, threads=threads)
        self._tables: dict[str, Table] = {}
        self._entries: dict[str, TableEntry] = {}          # by display name, from the last catalogue read
        self._describe_lock = threading.Lock()
        self._undo_lock = threading.Lock()
        self.models: dict[str, type] = {}
        # Called on the reactor thread with one line for the operator about what storage did on its own
        # (a connection the server dropped, made again).
        self.notice_listeners: list = []

    @property
    def connection(self):
        """The SQLObject connection (for SQLObject classes; rowdesk's own queries go through leases)."""
        return self.backend.connection

    @property
    def display(self) -> str:
        return self.target.display

    @property
    def read_only(self) -> bool:
        return self.target.read_only

    def classify(self, error: BaseException) -> ErrorKind:
        """What kind of failure *error* is (cancelled, connection lost, constraint, lock timeout, ...)."""
        return self.backend.classify(error)

    def describe_error(self, error: BaseException) -> str:
        """One line for the operator naming what failed, in plain words (no password)."""
        return self.backend.describe_error(error)

    @property
    def notes(self) -> tuple[str, ...]:
        """How the database was opened, for the operator (one line each), e.g. why a file is read as immutable."""
        return self.backend.notes

    def close(self) -> None:
        self.worker.stop()
        self.backend.close()
        if self.journal is not None:
            self.journal.close()

    @threaded("check the file")
    def check_file(self, job: Job) -> str | None:
        """None while the database is still the one that was opened; else one line for the operator (a file
        deleted or replaced at its path). In a worker: a stat can block on a network file system."""
        return self.backend.check_file()

    # -- running statements ---------------------------------------------------------
    def _lease(self, job: Job) -> Lease:
        if job.lease is None:
            job.lease = Lease(self.backend, job)
        return job.lease

    def _read(self, job: Job, fn):
        """fn(raw) on the job's connection, with the engine's own waits; run again once on a fresh
        connection when the connection died under it (a read only: a write is never re-sent)."""
        lease = self._lease(job)
        for attempt in (1, 2):
            try:
                return self.backend.run(job, lambda: fn(lease.raw))
            except Exception as e:
                kind = self.backend.classify(e)
                if kind is ErrorKind.CANCELLED and job.cancelled:
                    job.check()
                if kind is ErrorKind.CONNECTION_LOST:
                    lease.discard()
                    if attempt == 1 and not job.cancelled:
                        log.info("%s: the connection died (%s); reading again on a fresh one", job.label, e)
                        self._notice(self.backend.RECONNECTED)
                        continue
                raise
        raise AssertionError("unreachable")

    def _notice(self, text: str) -> None:
        """From a worker thread: tell the listeners, on the reactor thread."""
        for listener in list(self.notice_listeners):
            self.reactor.callFromThread(listener, text)

    def _query(self, job: Job, sql: str, params=(), *, limit: int | None = None) -> list[tuple]:
        """Run one statement on the job's connection, cancellable through *job*."""
        return self._read(job, lambda raw: self._statement(raw, sql, params, limit))

    @staticmethod
    def _statement(raw, sql: str, params, limit: int | None) -> list[tuple]:
        started = time.perf_counter()
        cur = raw.cursor()
        try:
            cur.execute(sql, params)
            rows = cur.fetchmany(limit) if limit is not None else cur.fetchall()
        finally:
            cur.close()
        log.debug("%.1f ms %s %r", (time.perf_counter() - started) * 1000, sql, params)
        return rows

    # -- catalogue ----------------------------------------------------------------
    @threaded("list tables")
    def tables(self, job: Job) -> list[TableEntry]:
        entries = self._read(job, self.backend.catalogue)
        self._entries = {e.display: e for e in entries}
        return entries

    def _entry(self, job: Job, name: str) -> TableEntry:
        entry = self._entries.get(name)
        if entry is None:
            entry = self._read(job, lambda raw: self.backend.find(raw, name))
            if entry is None:
                raise KeyError(f"no table named {name!r}")
        return entry

    def _describe(self, name: str, job: Job | None = None) -> Table:
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

    def _describe_locked(self, name: str, job: Job) -> Table:
        if name not in self._tables:
            entry = self._entry(job, name)
            table = self._read(job, lambda raw: self.backend.describe(raw, entry))
            try:
                model = build_model(table, self.connection, self.registry, self.dialect)
            except Exception as e:   # noqa: BLE001 - an odd schema must not stop browsing
                log.warning("no SQLObject class for %s: %s", name, e)
                model = None
            if model is not None:
                self.models[name] = model
            self._tables[name] = table
        return self._tables[name]

    @threaded("read schema")
    def describe(self, job: Job, name: str) -> Table:
        return self._describe(name, job)

    @threaded("estimate rows")
    def estimate_rows(self, job: Job, name: str) -> RowCount:
        """The engine's quick estimate (exact when cheap), else an exact count.

        A view is not counted here: its count runs the view's whole query,
        which can take any time. Its rows are None until counted on demand."""
        table = self._describe(name, job)
        estimate = self._read(job, lambda raw: self.backend.estimate(raw, table))
        if estimate is not None:
            return estimate
        return self.count_rows.in_thread(self, job, paging.View(table))

    @threaded("count rows")
    def count_rows(self, job: Job, view: paging.View) -> RowCount:
        sql, params = paging.Plan(view, self.dialect).count_sql()
        return RowCount(self._query(job, sql, params)[0][0], exact=True)

    # -- writes -------------------------------------------------------------------
    @threaded("write")
    def write(self, job: Job, statements: Sequence[tuple[str, tuple]]) -> list[int]:
        """Run *statements* ((sql with `?`, params), ...) in one transaction: all applied or none; the row
        count of each. Never re-sent: a connection lost during COMMIT raises storage.writes.OutcomeUnknown."""
        if self.read_only:
            raise ReadOnly(f"{self.display} is open read-only: nothing was written")
        return writes.run_transaction(self.backend, self._lease(job), self.dialect, statements, label=job.label)

    # -- row edits (storage.edits): each one transaction, conflict-checked, journaled, never re-sent ----------
    # The journal (storage.journal) cannot commit with the database: an entry is written pending inside the
    # transaction, once the change and the row read back are known, then committed, discarded (the
    # transaction rolled back) or marked unknown (the connection died during COMMIT) after it.
    def _edit(self, job: Job, table: Table, body, journal_of, *, undoes: int | None = None):
        """body(rows, run) in one transaction; journal_of(result) -> [(action, key, before, after)]."""
        if self.read_only:
            raise ReadOnly(f"{self.display} is open read-only: nothing was written")
        if self.journal_problem is not None:
            raise edits.Unwritable(self.journal_problem)
        rows = edits.Rows(self.backend, table)
        entries: list[int] = []

        def journaled(run):
            result = body(rows, run)
            if self.journal is not None:
                changes = journal_of(rows, result)
                if changes:
                    try:
                        entries.extend(self.journal.begin_many(database=self.display, table=table.display,
                                                               changes=changes, undoes=undoes))
                    except Exception as e:  # noqa: BLE001 - no change goes unjournaled: this one is rolled back
                        log.warning("the journal could not be written: %s", type(e).__name__)
                        raise edits.Unwritable(f"the journal {self.journal.path} could not be written ({e}): the "
                                               "change was rolled back, nothing was written") from e
            return result
        try:
            result = writes.in_transaction(self.backend, self._lease(job), self.dialect, journaled,
                                           label=job.label)
        except writes.OutcomeUnknown:
            if entries:
                self.journal.unknown(entries)
                for entry_id in entries:                 # decided now from the row, if it can be read already
                    entry = self.journal.get(entry_id)
                    if entry is not None:
                        try:
                            self._resolve_entry(job, entry)
                        except Exception as e:  # noqa: BLE001 - still unknown: resolved at the next start
                            log.info("journal entry %s stays unknown: %s", entry_id, type(e).__name__)
            raise
        except BaseException:
            if entries:
                self.journal.discard(entries)
            raise
        if entries:
            try:
                self.journal.commit(entries)
            except Exception as e:  # noqa: BLE001 - the change is in the database: say so, resolve it at next start
                log.warning("journal entries %s stay pending (%s): resolved at the next start", entries,
                            type(e).__name__)
        return result

    @staticmethod
    def _named(table: Table, row: edits.Row | None) -> dict | None:
        return None if row is None else dict(zip(table.column_names, row.values, strict=True))

    @threaded("save the row")
    def update_row(self, job: Job, table: Table, mine: edits.Row, changes: dict, *,
                   undoes: int | None = None) -> edits.Row:
        """Write *changes* (column -> value) to the row shown as *mine*; the row as it now is. edits.Conflict
        when it no longer holds *mine*; writes.OutcomeUnknown when the connection died during COMMIT."""
        if not any(not edits.same(v, mine.get(table, n)) for n, v in changes.items()):
            # Nothing to write: no transaction, no journal entry (someone else's change since is not ours).
            now = self.read_row.in_thread(self, job, table, self.row_key(table, mine))
            if now is None:
                raise edits.Conflict(table, mine, None)
            return now
        def journal_of(rows, after):
            if edits.same_row(after, mine):
                return []       # the column stored what it held (1 into a REAL 1.0): the row is as it was
            return [("update", rows.key(after), self._named(table, mine), self._named(table, after))]
        return self._edit(job, table, lambda rows, run: rows.update(run, mine, changes), journal_of, undoes=undoes)

    @threaded("insert a row")
    def insert_row(self, job: Job, table: Table, values: dict, *, undoes: int | None = None) -> edits.Row:
        """Insert *values* (the columns left out take their defaults); the new row as the database holds it."""
        return self._edit(job, table, lambda rows, run: rows.insert(run, values),
                          lambda rows, new: [("insert", rows.key(new), None, self._named(table, new))],
                          undoes=undoes)

    @threaded("delete rows")
    def delete_rows(self, job: Job, table: Table, shown: Sequence[edits.Row], *, undoes: int | None = None) -> int:
        """Delete the rows shown as *shown*, all or none: edits.Conflict when one of them changed meanwhile."""
        def body(rows, run):
            for row in shown:
                rows.delete(run, row)
            return len(shown)
        return self._edit(job, table, body, lambda rows, _n: [
            ("delete", rows.key(row), self._named(table, row), None) for row in shown], undoes=undoes)

    # -- the journal: undo, and what a crash or a lost connection left unresolved ------------------------------
    def _journal_row(self, rows: edits.Rows, table: Table, values: dict, key) -> edits.Row:
        return edits.Row(tuple(values[c] for c in table.column_names),
                         tuple(key)[0] if rows.hidden is not None else None)

    @threaded("undo a change")
    def undo(self, job: Job, entry) -> object:
        """Undo the journal's *entry* with the same check as any edit: refused (edits.Conflict) when the row
        no longer holds what the change left. Journaled itself, as the undo of *entry*."""
        with self._undo_lock:              # one undo at a time: two of one change must not both pass the check
            return self._undo(job, entry.id)

    def _undo(self, job: Job, entry_id: int):
        entry = self.journal.get(entry_id) if self.journal is not None else None     # as it is now, not as shown
        if entry is None:
            raise edits.Unwritable(f"change {entry_id} is not in the journal")
        if entry.undone_by is not None:
            raise edits.Unwritable(f"change {entry.id} was undone already (by change {entry.undone_by})")
        if entry.state != "committed":
            raise edits.Unwritable(f"change {entry.id} is {entry.state}: only a committed change can be undone")
        table = self._describe(entry.table, job)
        rows = edits.Rows(self.backend, table)
        if entry.action == "insert":
            inserted = self._journal_row(rows, table, entry.after, entry.key)
            return self.delete_rows.in_thread(self, job, table, [inserted], undoes=entry.id)
        if entry.action == "update":
            now = self._journal_row(rows, table, entry.after, entry.key)
            back = {c: v for c, v in entry.before.items()
                    if not table.column(c).generated and not edits.same(v, entry.after.get(c))}
            return self.update_row.in_thread(self, job, table, now, back, undoes=entry.id)
        values = {c: v for c, v in entry.before.items() if not table.column(c).generated}
        return self.insert_row.in_thread(self, job, table, values, undoes=entry.id)

    @threaded("check the journal")
    def resolve_journal(self, job: Job, *, include_live: bool = False) -> list:
        """The changes a crash or a lost connection left pending or unknown: each decided from the row as it
        is now (storage.journal.Journal.resolve); [(entry, state)]. Those of a rowdesk still running are
        its own to finish, unless *include_live*."""
        if self.journal is None:
            return []
        decided = []
        for entry in self.journal.pending(self.display, include_live=include_live):
            try:
                table = self._describe(entry.table, job)
                edits.Rows(self.backend, table)
            except Exception as e:  # noqa: BLE001 - a table gone or unwritable: left for the operator to see
                log.info("journal entry %s: %s", entry.id, type(e).__name__)
                continue
            decided.append((entry, self._resolve_entry(job, entry)))
        return decided

    def _resolve_entry(self, job: Job, entry):
        """Decide *entry* (pending or unknown) from its row as it is now."""
        table = self._describe(entry.table, job)
        rows = edits.Rows(self.backend, table)
        current = None
        keys = [tuple(entry.key)] if entry.key else []
        if entry.action == "update" and entry.before and rows.hidden is None:
            keys.append(tuple(entry.before[k] for k in rows.key_columns))      # not applied: the old key
        for key in keys:
            found = self.read_row.in_thread(self, job, table, key)
            if found is not None:
                current = self._named(table, found)
                break
        return self.journal.resolve(entry, current)

    @threaded("read the journal")
    def journal_entries(self, job: Job, *, table: str | None = None, before_id: int | None = None,
                        limit: int = 200) -> list:
        """This database's changes in the journal, newest first (a file read: in a worker, as any read)."""
        if self.journal is None:
            return []
        return self.journal.entries(database=self.display, table=table, before_id=before_id, limit=limit)

    def row_key(self, table: Table, row: edits.Row) -> tuple:
        """What identifies *row* in *table*: its key columns' values, or its hidden row id."""
        return edits.Rows(self.backend, table).key(row)

    @threaded("read the row")
    def read_row(self, job: Job, table: Table, key: tuple) -> edits.Row | None:
        """The row whose key (or hidden row id) is *key*, as it is now; None when there is none."""
        rows = edits.Rows(self.backend, table)
        return self._read(job, lambda raw: rows.read(
            lambda sql, params=(): writes.execute(raw, self.dialect.placeholders(sql), params), key, lock=False))

    # -- relations ----------------------------------------------------------------------
    @threaded("find the tables that refer to it")
    def referencing(self, job: Job, table: Table) -> list[Reference]:
        """The foreign keys of every table that point at rows of *table*."""
        return self._read(job, lambda raw: self.backend.referencing(raw, table))

    @threaded("find the row")
    def find_row(self, job: Job, table: Table, columns: Sequence[str], values: Sequence) -> edits.Row | None:
        """The first row of *table* whose *columns* hold *values* (a foreign key's target: a key or a unique
        index, so one seek), None when there is none (a dangling reference)."""
        rows = edits.Rows(self.backend, table)
        conditions = self.equal(table, columns, values)
        where = " AND ".join(c.sql for c in conditions)
        params = tuple(p for c in conditions for p in c.params)
        found = self._query(job, self.dialect.placeholders(f"{rows.select} WHERE {where} LIMIT 1"), params, limit=1)
        return rows.row_of(found[0]) if found else None

    def equal(self, table: Table, columns: Sequence[str], values: Sequence) -> tuple[filters.Condition, ...]:
        """Filters keeping the rows of *table* whose *columns* hold *values* (one per column)."""
        return tuple(filters.equal(table.column(c), v, self.dialect) for c, v in zip(columns, values, strict=True))

    @threaded("count the rows that refer to it")
    def count_referencing(self, job: Job, reference: Reference, values: Sequence) -> RowCount:
        """How many rows of the referencing table hold *values* in the reference's columns."""
        table = self._describe(reference.table, job)
        view = paging.View(table, paging.Order(), self.equal(table, reference.columns, values))
        return self.count_rows.in_thread(self, job, view)

    # -- export -------------------------------------------------------------------
    @threaded("export")
    def export(self, job: Job, view: paging.View, fmt: str, path: str, *, overwrite: bool = False,
               progress=None, batch: int = 5000) -> int:
        """Write the rows of *view* (its sort and filters) to *path* in *fmt* (storage.export.FORMATS), read
        through once and written as they come; the number of rows. *progress(rows)* is called on the reactor
        thread about ten times a second. The file is written as PATH.part and put in place when complete; a
        cancel or an error removes it. An existing file is never replaced unless *overwrite* (FileExistsError);
        path "-" writes to standard output."""
        from storage.export import Writer

        if path != "-" and not overwrite and os.path.exists(path):
            raise FileExistsError(f"{path} exists: not replaced")
        part = f"{path}.part" if path != "-" else None
        out = open(part, "w", newline="", encoding="utf-8") if part else sys.stdout  # noqa: SIM115
        writer = Writer(fmt, out, view.table.columns)
        last = [0.0]                                # the first batch is told at once

        def tell(rows: int) -> None:
            """A cancel stops the export here; *rows* written so far reach progress() ten times a second."""
            job.check()
            now = time.monotonic()
            if progress is not None and now - last[0] >= 0.1:
                last[0] = now
                self.reactor.callFromThread(progress, rows)

        def consume(rows):
            job.check()
            writer.rows(rows)
            tell(writer.rows_written)
        lease = self._lease(job)
        try:
            writer.header()
            # Not through backend.run, which runs a read again after a lock: rows already written would be
            # written twice.
            plan = paging.Plan(view, self.dialect)
            copied = None
            if fmt == "csv" and self.backend.writes_csv:
                out.flush()                                 # the header, before the bytes of the rows
                copied = self.backend.copy_csv(lease.raw, plan, out.buffer.write, tell, beside=part)
            if copied is not None:
                writer.rows_written = copied
            else:
                for sql, params in plan.stream_sql():
                    self.backend.stream(lease.raw, sql, params, batch, consume)
            writer.end()
            out.flush()
            if part is not None:
                out.close()
                if overwrite:
                    os.replace(part, path)
                else:
                    _put_in_place(part, path)
        except BaseException:
            lease.discard()                         # a result read halfway: the connection is not reused
            if part is not None:
                out.close()
                try:
                    os.unlink(part)
                except FileNotFoundError:
                    pass
            raise
        return writer.rows_written

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
