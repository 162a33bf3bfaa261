"""storage.database on MariaDB, in its real worker threads on the real reactor: a cancel stops the statement on
the server (KILL QUERY) and keeps the connection; a connection killed from the server side never breaks the
next read; faults at connect give the operator one plain line."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest_twisted
from twisted.internet import defer

from storage.backends import ErrorKind
from storage.jobs import Cancelled, is_cancel
from storage.paging import View
from tests import mysql_support
from tests.mysql_support import failure_of, kill, run, running_job, sleep, statements, uri_of

open_mysql = mysql_support.open_mysql            # fixtures
mysql_user = mysql_support.mysql_user


@pytest_twisted.inlineCallbacks
def test_cancel_stops_the_statement_on_the_server_and_keeps_the_connection(mysql_database, open_mysql):
    uri, _name, conn = mysql_database
    db = open_mysql(uri, threads=1)
    d = db.worker.submit("slow", lambda job: db._query(job, "SELECT SLEEP(30) AS rowdesk_slow"))
    job = yield running_job(db)
    thread = job._raw.thread_id()
    yield sleep(0.05)
    assert [tid for tid, _ in statements(conn, "rowdesk_slow")] == [thread]
    d.cancel()
    cancelled_at = time.monotonic()
    while statements(conn, "rowdesk_slow"):                  # gone from the server's process list ...
        assert time.monotonic() - cancelled_at < 1, "the statement still runs on the server"
        yield sleep(0.01)
    [failure] = yield failure_of(d)
    assert is_cancel(failure)
    # ... and the connection lives on (KILL QUERY, not KILL CONNECTION): the next job gets it back
    again = yield db.worker.submit("again", lambda job: db._query(job, "SELECT CONNECTION_ID()"))
    assert again == [(thread,)]


@pytest_twisted.inlineCallbacks
def test_a_statement_of_a_cancelled_job_is_never_sent(mysql_database, open_mysql):
    """A KILL QUERY that reaches the server before the statement starts is lost: the statement would run.
    A job cancelled between taking its connection and sending its statement sends nothing."""
    uri, _name, conn = mysql_database
    run(conn, "CREATE TABLE t (id int PRIMARY KEY)")
    db = open_mysql(uri, threads=1)
    taken, go = threading.Event(), threading.Event()

    def job_fn(job):
        assert db._lease(job).raw.open      # the connection is taken and registered for cancel
        taken.set()
        go.wait(5)
        return db._query(job, "INSERT INTO t VALUES (1)")
    d = db.worker.submit("write", job_fn)
    assert taken.wait(5)
    d.cancel()
    yield sleep(0.1)                          # the interrupt has run in the control thread: nothing to kill yet
    go.set()
    [failure] = yield failure_of(d)
    assert is_cancel(failure)
    yield sleep(0.05)
    assert run(conn, "SELECT id FROM t") == []


@pytest_twisted.inlineCallbacks
def test_a_connection_killed_on_the_server_is_never_handed_out_again(mysql_database, open_mysql):
    uri, _name, conn = mysql_database
    db = open_mysql(uri, threads=1)
    [(first,)] = yield db.worker.submit("who", lambda job: db._query(job, "SELECT CONNECTION_ID()"))
    kill(conn, first)                         # idle in the pool, killed as a server restart would
    [(second,)] = yield db.worker.submit("who", lambda job: db._query(job, "SELECT CONNECTION_ID()"))
    assert second != first
    tables = yield db.tables()
    assert tables == []


@pytest_twisted.inlineCallbacks
def test_a_read_whose_connection_dies_runs_again_once_on_a_fresh_one(mysql_database, open_mysql, caplog):
    uri, _name, conn = mysql_database
    run(conn, "CREATE TABLE t (id int PRIMARY KEY)")
    run(conn, "INSERT INTO t VALUES (1), (2)")
    db = open_mysql(uri, threads=1)
    table = yield db.describe("t")
    caplog.set_level(logging.INFO, logger="storage.database")
    d = db.worker.submit("read", lambda job: db._query(job, "SELECT count(*) FROM t WHERE SLEEP(0.3) = 0"))
    job = yield running_job(db)
    victim = job._raw.thread_id()
    kill(conn, victim)                        # mid-statement: the client sees error 2013
    assert (yield d) == [(2,)]
    assert "the connection died" in caplog.text and "reading again on a fresh one" in caplog.text
    page = yield db.fetch(View(table), None, limit=10)
    assert page.rows == [(1,), (2,)]
    [(now,)] = yield db.worker.submit("who", lambda job: db._query(job, "SELECT CONNECTION_ID()"))
    assert now != victim


@pytest_twisted.inlineCallbacks
def test_a_job_cancelled_while_its_connection_dies_is_not_run_again(mysql_database, open_mysql):
    uri, _name, conn = mysql_database
    db = open_mysql(uri, threads=1)
    d = db.worker.submit("slow", lambda job: db._query(job, "SELECT SLEEP(30) AS rowdesk_gone"))
    job = yield running_job(db)
    job.cancel()                              # flagged first, as Deferred.cancel does, then the connection dies
    kill(conn, job._raw.thread_id())
    [failure] = yield failure_of(d)
    assert failure.check(Cancelled, defer.CancelledError)
    assert statements(conn, "rowdesk_gone") == []


@pytest_twisted.inlineCallbacks
def test_faults_at_connect_are_one_plain_line(mysql_database, open_mysql, mysql_user):
    _uri, name, _conn = mysql_database
    user, password = mysql_user("SELECT ON {db}.*")
    cases = {
        uri_of(name, user, "wrong"): (ErrorKind.AUTHENTICATION, f"login refused for user {user!r}: wrong password"),
        uri_of("rowdesk_missing_db"): (ErrorKind.OTHER, "there is no database 'rowdesk_missing_db'"),
    }
    for uri, (kind, words) in cases.items():
        db = open_mysql(uri)
        [failure] = yield failure_of(db.tables())
        assert db.backend.classify(failure.value) is kind
        message = db.backend.describe_error(failure.value)
        assert words in message and "\n" not in message and password not in message


@pytest_twisted.inlineCallbacks
def test_permission_denied_on_a_table_while_browsing(mysql_database, open_mysql, mysql_user):
    _uri, name, conn = mysql_database
    run(conn, "CREATE TABLE secret (id int PRIMARY KEY, v text)")
    user, password = mysql_user("INSERT ON {db}.secret")
    db = open_mysql(uri_of(name, user, password))
    entries = yield db.tables()
    assert [e.name for e in entries] == ["secret"]            # listed: the user holds a privilege on it
    table = yield db.describe("secret")
    [failure] = yield failure_of(db.fetch(View(table), None, limit=10))
    assert db.backend.describe_error(failure.value) == (
        f"permission denied: user {user!r} may not SELECT the table `{name}`.`secret`")


@pytest_twisted.inlineCallbacks
def test_a_cancel_inside_a_transaction_leaves_nothing_behind(mysql_database, open_mysql):
    """KILL QUERY stops the statement but leaves its transaction open: the connection goes back rolled back."""
    uri, _name, conn = mysql_database
    run(conn, "CREATE TABLE t (id int PRIMARY KEY)")
    db = open_mysql(uri, threads=1)

    def job_fn(job):
        db._query(job, "BEGIN")
        db._query(job, "INSERT INTO t VALUES (1)")
        return db._query(job, "SELECT SLEEP(30) AS rowdesk_in_tx")
    d = db.worker.submit("tx", job_fn)
    job = yield running_job(db)
    thread = job._raw.thread_id()
    while not statements(conn, "rowdesk_in_tx"):
        yield sleep(0.01)
    d.cancel()
    [failure] = yield failure_of(d)
    assert is_cancel(failure)
    state = yield db.worker.submit("state", lambda job: db._query(
        job, "SELECT CONNECTION_ID(), @@in_transaction, (SELECT count(*) FROM t)"))
    assert state == [(thread, 0, 0)]                 # the same connection, clean: the INSERT rolled back


@pytest_twisted.inlineCallbacks
def test_close_stops_a_running_statement_on_the_server(mysql_database, open_mysql):
    uri, _name, conn = mysql_database
    db = open_mysql(uri, threads=1)
    d = db.worker.submit("slow", lambda job: db._query(job, "SELECT SLEEP(30) AS rowdesk_at_close"))
    d.addErrback(lambda f: None)
    yield running_job(db)
    while not statements(conn, "rowdesk_at_close"):
        yield sleep(0.01)
    started = time.monotonic()
    db.close()
    assert time.monotonic() - started < 5
    assert statements(conn, "rowdesk_at_close") == []


@pytest_twisted.inlineCallbacks
def test_a_connect_that_fails_is_not_tried_twice_for_a_read(open_mysql):
    """A read is tried again when its connection died; a connection that never came up lost nothing, and a
    second attempt would only wait for the connect timeout again."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    attempts = []

    def accept():
        while True:
            try:
                attempts.append(silent.accept()[0])          # kept open, never answered
            except OSError:
                return
    threading.Thread(target=accept, daemon=True).start()
    try:
        db = open_mysql(f"mysql://root@127.0.0.1:{silent.getsockname()[1]}/test?connect_timeout=1")
        [failure] = yield failure_of(db.tables())
        assert "no answer before the connect timeout" in db.backend.describe_error(failure.value)
        assert len(attempts) == 1
    finally:
        silent.close()
        for conn in attempts:
            conn.close()


@pytest_twisted.inlineCallbacks
def test_refusals_of_keys_foreign_keys_not_null_and_checks_are_plain_words(mysql_database, open_mysql):
    uri, _name, conn = mysql_database
    run(conn, "CREATE TABLE parent (id int PRIMARY KEY, email varchar(40) UNIQUE, n int NOT NULL CHECK (n > 0))")
    run(conn, "CREATE TABLE child (id int PRIMARY KEY, parent_id int, "
              "CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent(id))")
    run(conn, "INSERT INTO parent VALUES (1, 'a@x', 1)")
    run(conn, "INSERT INTO child VALUES (1, 1)")
    db = open_mysql(uri)
    said = {}
    for what, sql in (("unique", "INSERT INTO parent VALUES (2, 'a@x', 1)"),
                      ("referenced", "DELETE FROM parent WHERE id = 1"),
                      ("dangling", "INSERT INTO child VALUES (2, 99)"),
                      ("null", "INSERT INTO parent VALUES (3, 'b@x', NULL)"),
                      ("check", "INSERT INTO parent VALUES (4, 'c@x', -1)")):
        [failure] = yield failure_of(db.write([(sql, ())]))
        assert db.classify(failure.value) is ErrorKind.CONSTRAINT, what
        said[what] = db.describe_error(failure.value)
    assert said == {
        "unique": "email must be unique: another row already holds 'a@x'",
        "referenced": "other rows refer to it (child.parent_id, foreign key child_parent)",
        "dangling": "parent_id refers to a row of parent that does not exist (foreign key child_parent)",
        "null": "n cannot be empty (NULL): it needs a value",
        "check": "the table's check n refused the value",
    }
