"""Cancel on the real PostgreSQL server: a Deferred cancelled in the console stops the statement on the server
(gone from pg_stat_activity within a second), never the connection; an aborted transaction is rolled back
before the connection serves another job."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
import pytest_twisted
from psycopg.pq import TransactionStatus
from twisted.internet import defer, reactor

from storage.backends import ErrorKind
from storage.database import RowCount
from storage.jobs import Cancelled, Job, is_cancel
from storage.paging import Order, View
from tests.pg_support import failure_of, sleep, statements, until_gone, until_running

SLOW = "pg_sleep(30)"


@pytest_twisted.inlineCallbacks
def test_cancel_stops_the_statement_on_the_server_and_keeps_the_connection(pg_schema, opened):
    uri, schema, conn = pg_schema
    conn.execute(f"CREATE VIEW slow AS SELECT n, {SLOW}::text AS s FROM generate_series(1, 3) n")
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    db = opened(uri, threads=1)          # one thread: the next query can only run once this one is stopped
    slow = yield db.describe(f"{schema}.slow")
    reading = f'FROM "{schema}"."slow"'              # the statement as the server shows it
    for read in (lambda: db.count_rows(View(slow)),
                 lambda: db.fetch(View(slow, Order("n", descending=True)), None, limit=10)):
        d = read()
        pid = yield until_running(conn, reading)
        started = time.monotonic()
        d.cancel()
        [failure] = yield failure_of(d)
        assert failure.check(defer.CancelledError) and is_cancel(failure)
        gone = yield until_gone(conn, reading)
        assert gone < 1.0, f"the statement ran on {gone:.2f} s after the cancel"
        assert (yield db.count_rows_of(f"{schema}.t")) == RowCount(0, exact=True)
        assert time.monotonic() - started < 2
        # the same session, idle again: the statement was cancelled, not the connection
        state = conn.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        assert state == ("idle",)


@pytest_twisted.inlineCallbacks
def test_interrupt_from_the_control_thread_alone_stops_the_statement(pg_schema, opened):
    """Only the cancel request on the server can stop it: the job's flag is not set."""
    uri, _, conn = pg_schema
    db = opened(uri, threads=1)
    d = db.worker.submit("slow", lambda job: db._query(job, f"SELECT {SLOW}"))
    yield until_running(conn, SLOW)
    [job] = db.worker.running.values()
    started = time.monotonic()
    db.worker.control.callInThread(job.interrupt)
    [failure] = yield failure_of(d)
    assert failure.check(psycopg.errors.QueryCanceled) and failure.value.sqlstate == "57014"
    assert db.backend.classify(failure.value) is ErrorKind.CANCELLED
    assert time.monotonic() - started < 1.5
    assert (yield db.worker.submit("next", lambda job: db._query(job, "SELECT 1"))) == [(1,)]


@pytest_twisted.inlineCallbacks
def test_cancel_landing_before_the_statement_starts_stops_it(pg_schema, opened, monkeypatch):
    """The server drops a cancel request for an idle session: one arriving between attach() and execute()
    must still stop the statement."""
    uri, _, conn = pg_schema
    db = opened(uri, threads=1)
    real_attach = Job.attach

    def attach_then_cancel(job, raw, interrupt):
        real_attach(job, raw, interrupt)
        if job.label == "slow":
            job.cancel()                  # what Deferred.cancel() does, then the control thread interrupts:
            job.interrupt()               # nothing runs on the connection yet
    monkeypatch.setattr(Job, "attach", attach_then_cancel)
    d = db.worker.submit("slow", lambda job: db._query(job, f"SELECT {SLOW}"))
    started = time.monotonic()
    [failure] = yield failure_of(d.addTimeout(3, reactor))
    assert failure.check(Cancelled, defer.CancelledError), failure
    assert time.monotonic() - started < 1.5
    assert statements(conn, SLOW) == []


@pytest_twisted.inlineCallbacks
def test_a_cancel_request_the_server_dropped_is_sent_again(pg_schema, opened):
    """A request that reached the server just before the statement did is lost there: the statement, still
    running, is cancelled again."""
    uri, _, conn = pg_schema
    db = opened(uri, threads=1)
    d = db.worker.submit("slow", lambda job: db._query(job, f"SELECT {SLOW}"))
    yield until_running(conn, SLOW)
    [job] = db.worker.running.values()
    raw = job._raw
    sent = []
    real_cancel = raw.cancel_safe

    def first_one_lost(**kwargs):
        sent.append(time.monotonic())
        if len(sent) > 1:
            real_cancel(**kwargs)
    raw.cancel_safe = first_one_lost
    d.cancel()
    [failure] = yield failure_of(d)
    assert is_cancel(failure)
    gone = yield until_gone(conn, SLOW)
    assert len(sent) >= 2 and gone < 1.0


def test_a_cancel_inside_a_transaction_is_rolled_back_before_the_connection_is_used_again(pg_schema):
    """After a cancel inside a transaction it is aborted (25P02 for every statement): release rolls it back."""
    from storage.backends.postgres import PostgresBackend
    from storage.targets import parse_target

    uri, _, conn = pg_schema
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    backend = PostgresBackend(parse_target(uri))
    try:
        job = Job("write")
        raw = backend.checkout()
        backend.prepare(raw, job)
        raw.execute("BEGIN")
        raw.execute("INSERT INTO t VALUES (1)")
        errors = []

        def run():
            try:
                raw.execute(f"SELECT {SLOW}")
            except psycopg.Error as e:
                errors.append(e)
        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + 5
        while not statements(conn, SLOW):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        backend.interrupt(raw)
        worker.join(5)
        assert [backend.classify(e) for e in errors] == [ErrorKind.CANCELLED]
        assert raw.info.transaction_status is TransactionStatus.INERROR
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):       # 25P02
            raw.execute("SELECT 1")
        backend.unprepare(raw)
        backend.release(raw, broken=False)
        again = backend.checkout()
        assert again is raw and again.info.transaction_status is TransactionStatus.IDLE
        assert again.execute("SELECT count(*) FROM t").fetchone() == (0,)     # the insert was rolled back
        backend.release(again, broken=False)
    finally:
        backend.close()


@pytest_twisted.inlineCallbacks
def test_close_stops_a_running_statement(pg_schema):
    from storage.database import Database
    from storage.targets import parse_target

    uri, _, conn = pg_schema
    db = Database(parse_target(uri), reactor, threads=1)
    try:
        d = db.worker.submit("slow", lambda job: db._query(job, f"SELECT {SLOW}"))
        d.addErrback(lambda f: None)
        yield until_running(conn, SLOW)
    finally:
        started = time.monotonic()
        db.close()                        # interrupts, then joins the threads
        assert time.monotonic() - started < 2
    yield sleep(0)
    assert statements(conn, SLOW) == []
