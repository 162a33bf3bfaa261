"""storage.backends.mysql on the real MariaDB server: how connections are made, pooled, checked, reset and
thrown away; SQLObject's retry loop switched off; read-only enforced by the server; errors classified and
described from what the server really says."""

from __future__ import annotations

import socket
import threading

import pymysql
import pytest
from sqlobject import dberrors

from storage.backends import ErrorKind, open_backend
from storage.backends.mysql import MySQLBackend, RowdeskMySQLConnection
from storage.targets import parse_target
from tests import mysql_support
from tests.mysql_support import kill, root_connection, run, uri_of

mysql_user = mysql_support.mysql_user          # the fixture


@pytest.fixture
def backend(mysql_database):
    """(a MySQLBackend on the test's database, the set-up connection); closed after the test."""
    uri, name, conn = mysql_database
    made = []

    def make(uri=uri, read_only=False):
        b = open_backend(parse_target(uri, read_only=read_only))
        made.append(b)
        return b
    yield make, conn, name
    for b in made:
        b.close()


one = run          # a statement on a raw connection of the backend, as on the set-up one

# -- how a connection is made ----------------------------------------------------------------------------------------
def test_a_connection_is_utf8mb4_utc_autocommit_and_counts_matched_rows(backend):
    make, conn, _name = backend
    b = make()
    assert isinstance(b, MySQLBackend) and isinstance(b.connection, RowdeskMySQLConnection)
    run(conn, "CREATE TABLE t (id int PRIMARY KEY, v varchar(20))")
    run(conn, "INSERT INTO t VALUES (1, 'same')")
    raw = b.checkout()
    try:
        assert one(raw, "SELECT @@character_set_client, @@character_set_results, @@time_zone, @@autocommit") == [
            ("utf8mb4", "utf8mb4", "+00:00", 1)]
        cur = raw.cursor()
        # FOUND_ROWS: an UPDATE that leaves the value as it was still counts its row (else it reads as a conflict)
        assert cur.execute("UPDATE t SET v = 'same' WHERE id = 1") == 1
        cur.execute("INSERT INTO t VALUES (2, %s)", ("🦄 ok",))
        assert one(raw, "SELECT v FROM t WHERE id = 2") == [("🦄 ok",)]
    finally:
        b.release(raw, broken=False)


def test_each_backend_has_its_own_connection_and_pool_and_never_the_password(backend, mysql_user):
    make, _conn, name = backend
    user, password = mysql_user("SELECT ON {db}.*")
    uri = uri_of(name, user, password)
    a, b = make(uri), make(uri)
    assert a.connection is not b.connection                 # connectionForURI would have given the same one
    ra, rb = a.checkout(), b.checkout()
    try:
        assert ra.thread_id() != rb.thread_id()
        assert one(ra, "SELECT CURRENT_USER()")[0][0].startswith(user + "@")
    finally:
        a.release(ra, broken=False)
        b.release(rb, broken=False)
    for conn in (a.connection, b.connection):
        assert password not in conn.uri() and password not in repr(conn) and password not in str(vars(conn))


def test_sqlobject_never_runs_a_statement_again_after_its_connection_died(backend):
    """SQLObject's MySQL connection reconnects after error 2013 and runs the statement again, in autocommit:
    a transaction whose connection died had its second half committed without its first."""
    make, conn, _name = backend
    b = make()
    run(conn, "CREATE TABLE t (id int PRIMARY KEY)")
    tx = b.connection.transaction()
    tx.query("INSERT INTO t VALUES (1)")
    kill(conn, tx._connection.thread_id())
    with pytest.raises(dberrors.OperationalError) as e:
        tx.query("INSERT INTO t VALUES (2)")
    assert b.classify(e.value) is ErrorKind.CONNECTION_LOST
    assert run(conn, "SELECT id FROM t") == []              # neither half: the first died with its connection
    with pytest.raises(pymysql.err.Error):
        tx.rollback()                     # nothing to roll back on a dead connection, as SQLObject finds out
    tx._obsolete = True                   # (else it would try again when the transaction is collected)


# -- the pool ------------------------------------------------------------------------------------------------------
def test_a_connection_killed_in_the_pool_is_never_handed_out(backend):
    make, conn, _name = backend
    b = make()
    raw = b.checkout()
    dead = raw.thread_id()
    b.release(raw, broken=False)
    kill(conn, dead)
    fresh = b.checkout()
    try:
        assert fresh is not raw and fresh.thread_id() != dead
        assert one(fresh, "SELECT 1") == [(1,)]
        assert not raw.open and raw not in b.connection._pool
    finally:
        b.release(fresh, broken=False)


def test_a_connection_comes_back_with_no_transaction_open(backend):
    make, conn, _name = backend
    b = make()
    run(conn, "CREATE TABLE t (id int PRIMARY KEY)")
    raw = b.checkout()
    raw.begin()
    one(raw, "INSERT INTO t VALUES (1)")
    raw.autocommit(False)
    b.release(raw, broken=False)
    assert run(conn, "SELECT id FROM t") == []              # rolled back, not left open nor committed
    again = b.checkout()
    try:
        assert again is raw                                  # the pool kept it, clean
        assert one(again, "SELECT @@autocommit, @@in_transaction") == [(1, 0)]
    finally:
        b.release(again, broken=False)


def test_a_broken_connection_is_closed_not_pooled(backend):
    make, _conn, _name = backend
    b = make()
    raw = b.checkout()
    b.release(raw, broken=True)
    assert not raw.open and raw not in b.connection._pool
    other = b.checkout()
    try:
        assert other is not raw
    finally:
        b.release(other, broken=False)


def test_the_connect_timeout_covers_a_server_that_never_answers(backend):
    """A port that accepts connections and then says nothing (an overloaded server, or not MySQL) must not
    hang the start: the handshake times out like the connect."""
    make, _conn, _name = backend
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)                 # the kernel completes the TCP handshake; nothing ever answers
    try:
        port = silent.getsockname()[1]
        b = make(f"mysql://root@127.0.0.1:{port}/test?connect_timeout=1")
        done = []
        t = threading.Thread(target=lambda: done.append(_error_of(b.checkout)), daemon=True)
        t.start()
        t.join(15)
        assert done, "the connection attempt hung"
        assert isinstance(done[0], pymysql.err.OperationalError)
        assert b.describe_error(done[0]) == f"MySQL at 127.0.0.1:{port}: no answer before the connect timeout"
        assert b.classify(done[0]) is ErrorKind.UNREACHABLE  # not CONNECTION_LOST: nothing to read again
    finally:
        silent.close()


def _error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the test looks at what it was
        return e
    return None


# -- read-only ---------------------------------------------------------------------------------------------------
def test_read_only_is_enforced_by_the_server_and_again_at_every_checkout(backend):
    make, conn, _name = backend
    run(conn, "CREATE TABLE t (id int PRIMARY KEY)")
    b = make(read_only=True)
    raw = b.checkout()
    with pytest.raises(pymysql.err.OperationalError) as e:
        one(raw, "INSERT INTO t VALUES (1)")
    assert e.value.args[0] == 1792 and b.classify(e.value) is ErrorKind.READ_ONLY
    assert "read-only" in b.describe_error(e.value)
    one(raw, "SET SESSION TRANSACTION READ WRITE")         # one statement undoes it ...
    b.release(raw, broken=False)
    again = b.checkout()                                     # ... and the checkout undoes that
    try:
        assert again is raw
        with pytest.raises(pymysql.err.OperationalError, match="READ ONLY"):
            one(again, "INSERT INTO t VALUES (2)")
        assert one(again, "SELECT count(*) FROM t") == [(0,)]
    finally:
        b.release(again, broken=False)
    assert run(conn, "SELECT count(*) FROM t") == [(0,)]


# -- errors, as the server reports them -------------------------------------------------------------------------------
def _raised(raw, sql, params=()):
    with pytest.raises(Exception) as e:        # noqa: B017 - the test classifies whatever the driver raises
        one(raw, sql, params)
    return e.value


def test_errors_are_classified_by_their_numbers(backend):
    make, conn, name = backend
    b = make()
    run(conn, "CREATE TABLE parent (id int PRIMARY KEY) ENGINE=InnoDB")
    run(conn, "CREATE TABLE child (id int PRIMARY KEY, parent int NOT NULL, "
              "FOREIGN KEY (parent) REFERENCES parent (id))")
    run(conn, "INSERT INTO parent VALUES (1), (3)")
    run(conn, "INSERT INTO child VALUES (1, 1)")
    raw = b.checkout()
    try:
        assert b.classify(_raised(raw, "INSERT INTO parent VALUES (1)")) is ErrorKind.CONSTRAINT          # 1062
        assert b.classify(_raised(raw, "INSERT INTO child VALUES (1, 2)")) is ErrorKind.CONSTRAINT        # 1452
        assert b.classify(_raised(raw, "DELETE FROM parent")) is ErrorKind.CONSTRAINT                     # 1451
        assert b.classify(_raised(raw, "INSERT INTO child VALUES (2, NULL)")) is ErrorKind.CONSTRAINT     # 1048
        assert b.classify(_raised(raw, "SELEKT 1")) is ErrorKind.OTHER                                    # 1064
        assert "MySQL error 1064" in b.describe_error(_raised(raw, "SELEKT 1"))
        # A row lock held by another session, waited for one second only:
        holder = root_connection(name)
        try:
            holder.begin()
            run(holder, "SELECT * FROM parent WHERE id = 1 FOR UPDATE")
            one(raw, "SET SESSION innodb_lock_wait_timeout = 1")
            locked = _raised(raw, "SELECT * FROM parent WHERE id = 1 FOR UPDATE")
            assert locked.args[0] == 1205 and b.classify(locked) is ErrorKind.LOCK_TIMEOUT
            nowait = _raised(raw, "SELECT * FROM parent WHERE id = 1 FOR UPDATE NOWAIT")
            assert b.classify(nowait) is ErrorKind.LOCK_TIMEOUT
        finally:
            holder.rollback()
            holder.close()
        # Killed from the server side: 2013 on the statement, then InterfaceError on the closed socket.
        kill(conn, raw.thread_id())
        lost = _raised(raw, "SELECT 1")
        assert b.classify(lost) is ErrorKind.CONNECTION_LOST
        assert "lost" in b.describe_error(lost)
        assert b.classify(_raised(raw, "SELECT 1")) is ErrorKind.CONNECTION_LOST
    finally:
        b.release(raw, broken=True)
    # SQLObject's own errors (dberrors, the number in args[0].code) mean the same:
    with pytest.raises(dberrors.DuplicateEntryError) as e:
        b.connection.query("INSERT INTO parent VALUES (1)")
    assert b.classify(e.value) is ErrorKind.CONSTRAINT


def test_a_cancelled_statement_is_classified_cancelled(backend):
    make, conn, _name = backend
    b = make()
    raw = b.checkout()
    try:
        timer = threading.Timer(0.3, lambda: run(root_connection(), f"KILL QUERY {raw.thread_id()}"))
        timer.start()
        cancelled = _raised(raw, "SELECT SLEEP(20)")
        timer.join()
        assert cancelled.args[0] == 1317 and b.classify(cancelled) is ErrorKind.CANCELLED
        assert one(raw, "SELECT 1") == [(1,)]                    # KILL QUERY: the connection stays
    finally:
        b.release(raw, broken=False)


def test_authentication_refused_says_so_without_the_password(backend, mysql_user):
    make, conn, name = backend
    user, password = mysql_user("SELECT ON {db}.*")
    b = make(uri_of(name, user, "not-" + password))
    error = _error_of(b.checkout)
    assert b.classify(error) is ErrorKind.AUTHENTICATION
    message = b.describe_error(error)
    assert message.startswith(f"MySQL at 127.0.0.1:3306: login refused for user {user!r}: wrong password")
    assert password not in message


def test_a_database_that_does_not_exist(backend):
    make, _conn, _name = backend
    b = make(uri_of("rowdesk_no_such_db"))
    message = b.describe_error(_error_of(b.checkout))
    assert message == "MySQL at 127.0.0.1:3306: there is no database 'rowdesk_no_such_db'"


def test_a_server_that_is_not_there(backend):
    make, _conn, _name = backend
    with socket.socket() as s:           # a port that nothing listens on: taken, then closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    b = make(f"mysql://root@127.0.0.1:{port}/test")
    error = _error_of(b.checkout)
    assert b.describe_error(error) == (f"MySQL at 127.0.0.1:{port}: connection refused "
                                       "(is the server running and listening on that port?)")
    assert b.classify(error) is ErrorKind.UNREACHABLE


def test_a_host_that_does_not_exist(backend):
    make, _conn, _name = backend
    b = make("mysql://root@no-such-host.invalid/test")
    assert b.describe_error(_error_of(b.checkout)).startswith("MySQL at no-such-host.invalid:3306: no such host (")


def test_too_many_connections(backend, mysql_user):
    make, conn, name = backend
    user, password = mysql_user("SELECT ON {db}.*")
    run(conn, "ALTER USER %s@'127.0.0.1' WITH MAX_USER_CONNECTIONS 1", (user,))
    b = make(uri_of(name, user, password))
    raw = b.checkout()
    try:
        message = b.describe_error(_error_of(make(uri_of(name, user, password)).checkout))
        assert message.startswith("MySQL at 127.0.0.1:3306: too many connections open")
    finally:
        b.release(raw, broken=False)


def test_permission_denied_on_a_table_names_it(backend, mysql_user):
    make, conn, name = backend
    run(conn, "CREATE TABLE open_t (id int PRIMARY KEY)")
    run(conn, "CREATE TABLE secret (id int PRIMARY KEY)")
    user, password = mysql_user("SELECT ON {db}.open_t", "INSERT ON {db}.secret")
    b = make(uri_of(name, user, password))
    raw = b.checkout()
    try:
        assert one(raw, "SELECT count(*) FROM open_t") == [(0,)]
        denied = _raised(raw, "SELECT * FROM secret")
        assert b.classify(denied) is ErrorKind.OTHER
        assert b.describe_error(denied) == (f"permission denied: user {user!r} may not SELECT "
                                            f"the table `{name}`.`secret`")
    finally:
        b.release(raw, broken=False)
