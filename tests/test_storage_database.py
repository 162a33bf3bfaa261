"""storage.database and storage.jobs on real files, in real worker threads, on the real reactor (pytest-twisted)."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import pytest_twisted
from twisted.internet import defer, reactor, task

from storage import schema
from storage.backends import sqlite as sqlite_backend
from storage.backends.sqlite import CHEAP_COUNT
from storage.database import Database, RowCount, TableEntry
from storage.dialect import SQLITE
from storage.filters import parse_filter
from storage.jobs import Cancelled, is_cancel
from storage.paging import Order, Plan, View
from storage.paging import fetch as page_fetch
from storage.targets import parse_target
from tests import realworld

BIG = CHEAP_COUNT + 50_000
# ~30 s of work for SQLite here: long enough that "< 2 s" proves an interrupt, short enough not to hang a broken run.
FOREVER = 10 ** 8
MEDIUM_SQL = ("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000) "
              "SELECT count(*) FROM c")


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    p = realworld.chinook(tmp_path_factory.mktemp("database") / "chinook.sqlite")
    conn = sqlite3.connect(p)
    conn.executescript(f"""
        CREATE TABLE big (id INTEGER PRIMARY KEY, v INTEGER);
        WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {BIG})
            INSERT INTO big SELECT n, n % 97 FROM s;
        CREATE TABLE sparse (id INTEGER PRIMARY KEY, v INTEGER);
        INSERT INTO sparse VALUES (1, 1), (2, 2), ({CHEAP_COUNT * 3}, 3);
        CREATE TABLE empty (id INTEGER PRIMARY KEY, v TEXT);
        CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
        INSERT INTO kv VALUES ('a', '1'), ('b', '2'), ('c', '3');
        CREATE TABLE t3000 (n INTEGER);
        WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 3000)
            INSERT INTO t3000 SELECT n FROM s;
        CREATE VIEW shuffled_pairs AS SELECT a.n AS a, b.n AS b FROM t3000 a, t3000 b ORDER BY random();
        CREATE VIEW forever AS
            WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {FOREVER}) SELECT n FROM c;
        CREATE VIEW rock AS SELECT TrackId, Name FROM Track WHERE GenreId = 1;
    """)
    conn.commit()
    conn.close()
    return p


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


@defer.inlineCallbacks
def running_job(db, timeout=5.0):
    """Wait until some job has attached its connection, i.e. its statement is running; return it."""
    deadline = time.monotonic() + timeout
    while True:
        attached = [j for j in list(db.worker.running.values()) if j._raw is not None]
        if attached:
            return attached[0]
        assert time.monotonic() < deadline, "no statement started"
        yield sleep(0.005)


@defer.inlineCallbacks
def idle(db, timeout=5.0):
    deadline = time.monotonic() + timeout
    while db.worker.running:
        assert time.monotonic() < deadline, f"jobs still running: {[j.label for j in db.worker.running.values()]}"
        yield sleep(0.005)


def failure_of(d):
    """A Deferred firing with [failure] when *d* fails; an AssertionError when it succeeds.
    (A callback that returns a Failure would fail again: hence the list.)"""
    def ok(result):
        raise AssertionError(f"expected a failure, got {result!r}")
    return d.addCallbacks(ok, lambda f: [f])


# -- the catalogue ---------------------------------------------------------------------------------------------------
@pytest_twisted.inlineCallbacks
def test_tables(path, opened):
    db = opened(path)
    entries = yield db.tables()
    assert TableEntry("Track", "table") in entries
    assert TableEntry("forever", "view") in entries
    assert [e.name for e in entries] == sorted((e.name for e in entries), key=str.lower)
    assert db.display == f"sqlite://{path}" and db.read_only


@pytest_twisted.inlineCallbacks
def test_describe(path, opened):
    db = opened(path)
    track = yield db.describe("Track")
    assert isinstance(track, schema.Table)
    assert track.primary_key == ("TrackId",) and track.identity.page_key == ("TrackId",)
    assert db.models["Track"].sqlmeta.idName == '"TrackId"'
    again = yield db.describe("Track")
    assert again is track                              # cached
    rock = yield db.describe("rock")
    assert rock.type == "view" and rock.read_only_reason and "rock" not in db.models
    [failure] = yield failure_of(db.describe("no such table"))
    assert failure.check(KeyError)


def test_describe_runs_in_a_worker_thread(path, opened, monkeypatch):
    db = opened(path)
    seen = []
    real = sqlite_backend.sqlite_table
    monkeypatch.setattr(sqlite_backend, "sqlite_table",
                        lambda raw, *a: seen.append(threading.current_thread()) or real(raw, *a))
    d = db.describe("Track")
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.005)
    assert seen and seen[0] is not threading.main_thread()
    assert isinstance(d, defer.Deferred)


# -- counting ----------------------------------------------------------------------------------------------------------
@pytest_twisted.inlineCallbacks
def test_estimate_rows(path, opened):
    db = opened(path)
    assert (yield db.estimate_rows("Track")) == RowCount(realworld.TRACKS, exact=True)
    assert (yield db.estimate_rows("empty")) == RowCount(0, exact=True)
    assert (yield db.estimate_rows("kv")) == RowCount(3, exact=True)            # WITHOUT ROWID: counted
    # a view is not counted on the way (its query can take any time): counted on demand only
    assert (yield db.estimate_rows("forever")) == RowCount(None, exact=False)
    rock = yield db.describe("rock")
    assert (yield db.count_rows(View(rock))) == RowCount(
        realworld.rows(path, "SELECT count(*) FROM Track WHERE GenreId = 1")[0][0], exact=True)
    big = yield db.estimate_rows("big")
    assert big == RowCount(BIG, exact=False)                                   # ~N, from max(rowid)
    sparse = yield db.estimate_rows("sparse")
    assert not sparse.exact and sparse.rows >= 3                                # an upper bound, never below


@pytest_twisted.inlineCallbacks
def test_estimate_of_a_large_table_is_instant(path, opened):
    db = opened(path)
    yield db.describe("big")
    started = time.perf_counter()
    count = yield db.estimate_rows("big")
    assert not count.exact
    assert time.perf_counter() - started < 0.5


@pytest_twisted.inlineCallbacks
def test_count_rows(path, opened):
    db = opened(path)
    big = yield db.describe("big")
    assert (yield db.count_rows(View(big))) == RowCount(BIG, exact=True)
    cond = parse_filter("=5", big.column("v"), SQLITE)
    want = realworld.rows(path, "SELECT count(*) FROM big WHERE v = 5")[0][0]
    assert (yield db.count_rows(View(big, filters=(cond,)))) == RowCount(want, exact=True)
    assert (yield db.count_rows_of("Track")) == RowCount(realworld.TRACKS, exact=True)


# -- rows -------------------------------------------------------------------------------------------------------------
@pytest_twisted.inlineCallbacks
def test_fetch_pages(path, opened):
    db = opened(path)
    track = yield db.describe("Track")
    view = View(track, Order("Composer", descending=True))
    want = realworld.rows(path, "SELECT * FROM Track ORDER BY Composer DESC, TrackId DESC")
    got, mark = [], None
    while True:
        page = yield db.fetch(view, mark, forward=True, limit=200)
        got += page.rows
        if page.reached_end:
            break
        mark = page.marks[-1]
    assert got == want
    last = yield db.fetch(view, None, forward=False, from_end=True, limit=10)
    assert last.rows == want[-10:]
    again = yield db.fetch(view, last.marks[0], forward=True, limit=3, inclusive=True)
    assert again.rows == want[-10:-7]


@pytest_twisted.inlineCallbacks
def test_fetch_reads_at_most_one_page(path, opened):
    db = opened(path)
    big = yield db.describe("big")
    started = time.perf_counter()
    page = yield db.fetch(View(big, Order("v")), None, forward=True, limit=50)
    assert len(page.rows) == 50 and not page.reached_end
    assert time.perf_counter() - started < 1
    plan = Plan(View(big, Order("v")), SQLITE)
    conn = sqlite3.connect(path)
    try:
        assert page.rows == page_fetch(lambda s, p: conn.execute(s, p).fetchall(), plan, None, forward=True,
                                       limit=50).rows
    finally:
        conn.close()


@pytest_twisted.inlineCallbacks
def test_read_only_database_cannot_write(path, opened):
    db = opened(path, read_only=True)
    [failure] = yield failure_of(db.worker.submit("write", lambda job: db._query(job, "DELETE FROM Track")))
    assert failure.check(sqlite3.OperationalError) and "readonly" in failure.getErrorMessage()
    assert realworld.rows(path, "SELECT count(*) FROM Track")[0][0] == realworld.TRACKS


@pytest_twisted.inlineCallbacks
def test_read_write_database_writes(tmp_path, opened):
    p = realworld.build(tmp_path / "rw.db", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);")
    db = opened(p, read_only=False)
    yield db.worker.submit("write", lambda job: db._query(job, "INSERT INTO t (v) VALUES (?)", ("x",)))
    assert realworld.rows(p, "SELECT * FROM t") == [(1, "x")]


# -- cancelling --------------------------------------------------------------------------------------------------------
@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("what", ["count", "fetch", "cross join"])
def test_cancel_interrupts_the_statement(path, opened, what):
    db = opened(path, threads=1)            # one thread: the next query can only run once the first is stopped
    interrupted = []
    real = db.backend.interrupt
    db.backend.interrupt = lambda raw: interrupted.append(raw) or real(raw)
    forever = yield db.describe("forever")
    if what == "count":
        d = db.count_rows(View(forever))
    elif what == "fetch":
        d = db.fetch(View(forever, Order("n", descending=True)), None, limit=10)
    else:
        pairs = yield db.describe("shuffled_pairs")
        d = db.count_rows(View(pairs))              # sorts 9,000,000 rows by random(): seconds
        d2 = db.fetch(View(pairs), None, limit=10)   # queued behind it; cancelled before it starts
        d2.cancel()
    job = yield running_job(db)
    yield sleep(0.05)
    started = time.monotonic()
    d.cancel()
    [failure] = yield failure_of(d)
    assert failure.check(defer.CancelledError) and is_cancel(failure)
    # the worker thread is free again: a quick query on it answers at once
    count = yield db.count_rows_of("Track")
    assert count == RowCount(realworld.TRACKS, exact=True)
    assert time.monotonic() - started < 2
    # stopped by the interrupt from the control thread, or by the progress handler that watches the flag
    assert len(interrupted) <= 1
    assert job.cancelled
    yield idle(db)
    # and the connection is still usable for real work
    track = yield db.describe("Track")
    page = yield db.fetch(View(track), None, limit=5)
    assert [r[0] for r in page.rows] == [1, 2, 3, 4, 5]


@pytest_twisted.inlineCallbacks
def test_cancel_before_the_job_starts_never_runs_it(path, opened):
    db = opened(path, threads=1)
    forever = yield db.describe("forever")
    ran = []
    slow = db.count_rows(View(forever))
    yield running_job(db)
    queued = db.worker.submit("queued", lambda job: ran.append(job) or db._query(job, "SELECT 1"))
    queued.cancel()
    slow.cancel()
    for d in (queued, slow):
        [failure] = yield failure_of(d)
        assert failure.check(defer.CancelledError)
    yield idle(db)
    assert ran == []
    assert (yield db.count_rows_of("empty")) == RowCount(0, exact=True)


@pytest_twisted.inlineCallbacks
def test_late_cancel_never_interrupts_the_next_query(path, opened):
    """The job has finished in its thread, its result is not delivered yet, and the next statement already runs
    on the same connection when the cancel arrives: that statement must not be interrupted."""
    db = opened(path, threads=1)
    interrupted = []
    real = db.backend.interrupt
    db.backend.interrupt = lambda raw: interrupted.append(raw) or real(raw)
    finished = threading.Event()

    def quick(job):
        rows = db._query(job, "SELECT count(*) FROM Track")
        finished.set()
        return rows
    first = db.worker.submit("first", quick)
    assert finished.wait(5)                       # the reactor is blocked: `first` cannot be delivered yet
    second = db.worker.submit("second", lambda job: db._query(job, MEDIUM_SQL))
    deadline = time.monotonic() + 5
    jobs = [j for j in db.worker.running.values() if j.label == "second"]
    while jobs[0]._raw is None:                   # still blocking the reactor, until `second` runs its statement
        assert time.monotonic() < deadline
        time.sleep(0.001)
    first.cancel()
    [failure] = yield failure_of(first)
    assert failure.check(defer.CancelledError)
    assert (yield second) == [(1_000_000,)]
    assert interrupted == []


@pytest_twisted.inlineCallbacks
def test_cancel_after_delivery_is_a_no_op(path, opened):
    db = opened(path, threads=1)
    interrupted = []
    db.backend.interrupt = interrupted.append
    d = db.count_rows_of("Track")
    count = yield d
    d.cancel()
    second = db.worker.submit("second", lambda job: db._query(job, MEDIUM_SQL))
    assert (yield second) == [(1_000_000,)]
    assert count.rows == realworld.TRACKS and interrupted == []


@pytest_twisted.inlineCallbacks
def test_errors_are_delivered(path, opened):
    db = opened(path, threads=1)
    [failure] = yield failure_of(db.worker.submit("bad", lambda job: db._query(job, "SELECT nope FROM Track")))
    assert failure.check(sqlite3.OperationalError) and "no such column" in failure.getErrorMessage()
    assert not is_cancel(failure)
    assert (yield db.count_rows_of("empty")) == RowCount(0, exact=True)


@pytest_twisted.inlineCallbacks
def test_running_jobs_are_reported(path, opened):
    db = opened(path, threads=1)
    counts = []
    db.worker.listeners.append(counts.append)
    forever = yield db.describe("forever")
    d = db.count_rows(View(forever))
    yield running_job(db)
    assert len(db.worker.running) == 1
    d.cancel()
    yield failure_of(d)
    yield idle(db)
    assert counts[0] == 1 and counts[-1] == 0


def test_job_refuses_to_attach_after_cancel():
    from storage.jobs import Job
    job = Job("x")
    job.attach(object(), lambda raw: None)
    job.detach()
    job.cancel()
    with pytest.raises(Cancelled):
        job.attach(object(), lambda raw: None)
    calls = []
    job._raw, job._interrupt = None, calls.append
    job.interrupt()
    assert calls == []


@pytest_twisted.inlineCallbacks
def test_close_stops_a_running_query(path):
    db = Database(parse_target(str(path), read_only=True), reactor, threads=1)
    try:
        forever = yield db.describe("forever")
        d = db.count_rows(View(forever))
        d.addErrback(lambda f: None)
        yield running_job(db)
    finally:
        started = time.monotonic()
        db.close()                        # interrupts, then joins the threads
        assert time.monotonic() - started < 2


@pytest_twisted.inlineCallbacks
def test_cancel_landing_just_before_the_statement_starts(path, opened, monkeypatch):
    """SQLite ignores an interrupt when no statement runs: a cancel arriving between attach() and execute()
    must still stop the statement."""
    from storage.jobs import Job
    db = opened(path, threads=1)
    forever = yield db.describe("forever")
    real_attach = Job.attach

    def attach_then_cancel(job, raw, interrupt):
        real_attach(job, raw, interrupt)
        if job.label == "count rows":
            job.cancel()                  # what Deferred.cancel() does, then the control thread interrupts:
            job.interrupt()               # nothing runs on the connection yet, so SQLite drops it
    monkeypatch.setattr(Job, "attach", attach_then_cancel)
    d = db.count_rows(View(forever))
    started = time.monotonic()
    [failure] = yield failure_of(d.addTimeout(3, reactor))
    assert failure.check(Cancelled, defer.CancelledError), failure
    yield idle(db, timeout=2)
    assert time.monotonic() - started < 2


@pytest_twisted.inlineCallbacks
def test_interrupt_from_the_control_thread_stops_the_statement(path, opened):
    """The interrupt path alone (the job's flag not set, so only sqlite3's interrupt() can stop it)."""
    db = opened(path, threads=1)
    forever = yield db.describe("forever")
    d = db.count_rows(View(forever))
    job = yield running_job(db)
    yield sleep(0.05)
    started = time.monotonic()
    db.worker.control.callInThread(job.interrupt)
    [failure] = yield failure_of(d)
    assert failure.check(sqlite3.OperationalError) and "interrupt" in failure.getErrorMessage()
    assert time.monotonic() - started < 2
    assert (yield db.count_rows_of("empty")) == RowCount(0, exact=True)
