"""A file locked by another process: storage waits with a visible note and retries, a cancel ends the wait at once,
and a lock held too long fails with one clear line; never at random. The lock is held by a real second process
(`BEGIN EXCLUSIVE` / `BEGIN IMMEDIATE` on a rollback-journal database); storage runs on the real reactor and pools."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
import pytest_twisted
from twisted.internet import defer, reactor, task

from storage.backends.sqlite_files import LOCK_NOTE, FileLocked
from storage.database import RowCount, TableEntry
from storage.jobs import is_cancel
from storage.targets import TargetError, parse_target
from tests import realworld

HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute(sys.argv[2])
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
conn.close()
print("released", flush=True)
"""


class LockHolder:
    """Another process holding a lock on *path* until release()."""

    def __init__(self, path, begin="BEGIN EXCLUSIVE"):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), begin], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"
        self.held = True

    def release(self):
        if self.held:
            self.held = False
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            assert self.proc.stdout.readline().strip() == "released"
            self.proc.wait(10)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def chinook(tmp_path):
    path = realworld.chinook(tmp_path / "chinook.sqlite")
    assert realworld.rows(path, "PRAGMA journal_mode")[0][0] == "delete"
    return path


@pytest.fixture
def lock():
    """lock(path, begin=...) -> LockHolder; released (or killed) after the test."""
    made = []

    def hold(path, begin="BEGIN EXCLUSIVE"):
        holder = LockHolder(path, begin)
        made.append(holder)
        return holder
    yield hold
    for holder in made:
        holder.kill()


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


@defer.inlineCallbacks
def until(predicate, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"never: {what}"
        yield sleep(0.01)


def failure_of(d):
    def ok(result):
        raise AssertionError(f"expected a failure, got {result!r}")
    return d.addCallbacks(ok, lambda f: [f])


# -- waiting in the worker ---------------------------------------------------------------------------------------
@pytest_twisted.inlineCallbacks
def test_a_read_waits_for_the_lock_with_a_note_then_succeeds(chinook, opened, lock):
    db = opened(chinook)
    notes = []
    db.worker.waiting_listeners.append(notes.append)
    holder = lock(chinook)
    d = db.count_rows_of("Track")
    yield until(lambda: db.worker.waiting == LOCK_NOTE, "the worker says it waits for the lock")
    assert notes == [LOCK_NOTE]
    assert [j.waiting for j in db.worker.running.values()] == [LOCK_NOTE]
    yield sleep(0.5)                          # several of SQLite's busy timeouts: still waiting, not failed
    assert not d.called
    holder.release()
    assert (yield d) == RowCount(realworld.TRACKS, exact=True)
    assert db.worker.waiting is None and notes == [LOCK_NOTE, None]


@pytest_twisted.inlineCallbacks
def test_cancel_ends_the_wait_at_once(chinook, opened, lock):
    db = opened(chinook, threads=1)
    lock(chinook)
    d = db.count_rows_of("Track")
    yield until(lambda: db.worker.running, "the count runs")
    yield sleep(0.3)                          # well into the waiting
    d.cancel()
    [failure] = yield failure_of(d)
    assert is_cancel(failure)
    # The lock is still held: the job's thread is free again because the cancel ended the wait, not the lock
    # (SQLite's busy handler would have kept it waiting, spinner and all, for its whole timeout).
    yield until(lambda: not db.worker.running, "the cancelled job left the worker", timeout=2)
    assert db.worker.waiting is None


@pytest_twisted.inlineCallbacks
def test_the_note_goes_when_a_waiting_job_is_cancelled(chinook, opened, lock):
    db = opened(chinook, threads=1)
    notes = []
    db.worker.waiting_listeners.append(notes.append)
    lock(chinook)
    d = db.count_rows_of("Track")
    yield until(lambda: db.worker.waiting is not None, "waiting")
    d.cancel()
    yield failure_of(d)
    yield until(lambda: not db.worker.running, "the cancelled job left the worker")
    assert notes == [LOCK_NOTE, None] and db.worker.waiting is None


@pytest_twisted.inlineCallbacks
def test_a_lock_held_too_long_fails_with_one_line(chinook, opened, lock):
    db = opened(chinook)
    db.lock_wait = 0.3
    lock(chinook)
    [failure] = yield failure_of(db.count_rows_of("Track"))
    assert failure.check(FileLocked)
    message = failure.getErrorMessage()
    assert "locked" in message and "another process" in message and "\n" not in message
    assert db.worker.waiting is None


@pytest_twisted.inlineCallbacks
def test_starting_while_locked_waits_for_everything_then_reads_it_all(chinook, opened, lock):
    """What the tables screen does at start: the list, the estimates, a describe, all at once, all waiting."""
    db = opened(chinook)
    holder = lock(chinook)
    ds = [db.tables(), db.describe("Track"), db.estimate_rows("Track"), db.estimate_rows("Album")]
    # tables() and one describe wait for the file; the other describe waits for that one
    yield until(lambda: sum(j.waiting is not None for j in db.worker.running.values()) == 2, "two jobs wait")
    yield sleep(0.3)
    assert not any(d.called for d in ds)
    holder.release()
    tables, track, tracks, albums = yield defer.gatherResults(ds, consumeErrors=True)
    assert TableEntry("Track", "table") in tables
    assert track.primary_key == ("TrackId",)
    assert tracks == RowCount(realworld.TRACKS, exact=True)
    assert albums.rows == realworld.rows(chinook, "SELECT count(*) FROM Album")[0][0]


@pytest_twisted.inlineCallbacks
def test_a_describe_queued_behind_a_waiting_describe_can_be_cancelled(chinook, opened, lock):
    db = opened(chinook, threads=2)
    lock(chinook)
    first = db.describe("Track")
    yield until(lambda: db.worker.waiting is not None, "the first describe waits for the lock")
    second = db.describe("Album")           # waits for the first one (one describe at a time)
    yield until(lambda: len(db.worker.running) == 2, "both run")
    second.cancel()
    [failure] = yield failure_of(second)
    assert is_cancel(failure)
    yield until(lambda: len(db.worker.running) == 1, "the cancelled describe left the worker", timeout=2)
    first.cancel()
    yield failure_of(first)


@pytest_twisted.inlineCallbacks
def test_a_write_waits_for_another_writer(tmp_path, opened, lock):
    path = realworld.build(tmp_path / "rw.db", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);")
    db = opened(path, read_only=False)
    holder = lock(path, "BEGIN IMMEDIATE")            # another writer: reads go on, writes must wait
    assert (yield db.worker.submit("read", lambda job: db._query(job, "SELECT count(*) FROM t"))) == [(0,)]
    d = db.worker.submit("write", lambda job: db._query(job, "INSERT INTO t (v) VALUES ('x')"))
    yield until(lambda: db.worker.waiting == LOCK_NOTE, "the write waits")
    holder.release()
    yield d
    assert realworld.rows(path, "SELECT v FROM t") == [("x",)]


# -- the start-up check ------------------------------------------------------------------------------------------------
def test_start_up_check_waits_for_the_lock_and_says_so(chinook, lock):
    holder = lock(chinook)
    messages, result = [], []
    checking = threading.Thread(target=lambda: result.append(parse_target(str(chinook), on_wait=messages.append)))
    checking.start()
    deadline = time.monotonic() + 10
    while not messages and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert len(messages) == 1, "the wait is announced once"
        assert str(chinook) in messages[0] and "lock" in messages[0] and "\n" not in messages[0]
        time.sleep(0.3)
        assert checking.is_alive() and not result, "still waiting while the lock is held"
    finally:
        holder.release()
        checking.join(10)
    assert result and result[0].path == chinook


def test_start_up_check_gives_up_with_one_line(chinook, lock):
    lock(chinook)
    with pytest.raises(TargetError) as e:
        parse_target(str(chinook), lock_wait=0.3)
    message = str(e.value)
    assert str(chinook) in message and "locked" in message and "\n" not in message
    assert "cannot open it as a SQLite database" not in message
