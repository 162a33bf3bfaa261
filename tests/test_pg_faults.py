"""Faults on the real PostgreSQL server: connections killed from the server side, logins refused, a database
or schema that is not there, privileges taken away, a server that does not answer. Each through Database as
the console uses it, with the one line describe_error gives the operator."""

from __future__ import annotations

import socket
import threading

import psycopg
import pytest
import pytest_twisted

from storage.backends import ErrorKind
from storage.database import RowCount
from storage.paging import View
from tests import pg_support
from tests.pg_support import failure_of, fill_pool, pooled_pids, until_running, uri_as

pg_role = pg_support.pg_role          # a fixture


def alive(conn, pids) -> set[int]:
    return {pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),))}


@pytest_twisted.inlineCallbacks
def test_pooled_connections_killed_by_the_server_are_never_handed_out(pg_schema, opened):
    uri, schema, conn = pg_schema
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    db = opened(uri, threads=3)
    yield fill_pool(db, 3)
    dead = pooled_pids(db)
    for pid in dead:
        conn.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
    assert alive(conn, dead) == set()
    # Three dead connections in the pool: a read on each would fail, and the retry too.
    for _ in range(3):
        assert (yield db.count_rows_of(f"{schema}.t")) == RowCount(0, exact=True)
    assert not set(pooled_pids(db)) & set(dead)


@pytest_twisted.inlineCallbacks
def test_a_connection_killed_during_a_read_is_read_again_on_a_fresh_one(pg_schema, opened):
    uri, schema, conn = pg_schema
    conn.execute("CREATE VIEW slowish AS SELECT n FROM generate_series(1, 3) n, pg_sleep(0.5)")
    db = opened(uri, threads=1)
    view = yield db.describe(f"{schema}.slowish")
    d = db.fetch(View(view), None, limit=10)
    pid = yield until_running(conn, "slowish")
    conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    page = yield d                                   # the retry, on a new connection
    assert sorted(page.rows) == [(1,), (2,), (3,)]
    assert pid not in pooled_pids(db) and len(pooled_pids(db)) == 1


def test_the_errors_of_a_lost_connection_are_connection_lost(pg_schema):
    from storage.backends.postgres import PostgresBackend
    from storage.targets import parse_target

    uri, _, conn = pg_schema
    backend = PostgresBackend(parse_target(uri))
    try:
        raw = backend.checkout()
        conn.execute("SELECT pg_terminate_backend(%s, 5000)", (raw.info.backend_pid,))
        errors = []
        for _ in range(2):           # the server's goodbye (57P01), then psycopg's "the connection is closed"
            with pytest.raises(psycopg.Error) as caught:
                raw.execute("SELECT 1")
            errors.append(caught.value)
        assert [e.sqlstate for e in errors] == ["57P01", None]
        assert {backend.classify(e) for e in errors} == {ErrorKind.CONNECTION_LOST}
        assert "the connection was lost" in backend.describe_error(errors[0])
        backend.release(raw, broken=False)       # broken all the same: not pooled
        assert backend.connection._pool == []
    finally:
        backend.close()


@pytest_twisted.inlineCallbacks
def tables_failure(db):
    [failure] = yield failure_of(db.tables())
    return failure.value, db.backend.classify(failure.value), db.backend.describe_error(failure.value)


@pytest_twisted.inlineCallbacks
def test_logins_refused(pg_schema, pg_role, opened):
    uri, _, conn = pg_schema
    error, kind, text = yield tables_failure(opened(uri_as(uri, "rowdesk_no_such_role")))
    assert kind is ErrorKind.AUTHENTICATION
    assert text == ('PostgreSQL at 127.0.0.1:5432: login refused for user rowdesk_no_such_role: '
                    'role "rowdesk_no_such_role" does not exist')
    role = pg_role(login=False)
    error, kind, text = yield tables_failure(opened(uri_as(uri, role)))
    assert kind is ErrorKind.AUTHENTICATION and text.endswith(f'role "{role}" is not permitted to log in')
    limited = pg_role()
    conn.execute(f'ALTER ROLE "{limited}" CONNECTION LIMIT 0')
    error, kind, text = yield tables_failure(opened(uri_as(uri, limited)))
    assert text.startswith(f"PostgreSQL at 127.0.0.1:5432: the server has no connection left for user {limited}")


@pytest_twisted.inlineCallbacks
def test_a_database_or_schema_that_is_not_there(pg_schema, opened):
    uri, schema, _ = pg_schema
    error, kind, text = yield tables_failure(opened(uri.replace("/test?", "/rowdesk_no_such_db?")))
    assert kind is ErrorKind.OTHER
    assert text == "PostgreSQL at 127.0.0.1:5432: there is no database 'rowdesk_no_such_db'"
    error, kind, text = yield tables_failure(opened(uri.replace(f"schema={schema}", "schema=rowdesk_no_such")))
    assert text == ("PostgreSQL at 127.0.0.1:5432: database test has no schema 'rowdesk_no_such' "
                    "that user postgres may use")


@pytest_twisted.inlineCallbacks
def test_a_schema_the_user_may_not_use(pg_schema, pg_role, opened):
    uri, schema, conn = pg_schema
    role = pg_role()
    conn.execute(f'REVOKE USAGE ON SCHEMA "{schema}" FROM "{role}"')
    error, kind, text = yield tables_failure(opened(uri_as(uri, role)))
    assert text == f"PostgreSQL at 127.0.0.1:5432: database test has no schema '{schema}' that user {role} may use"


@pytest_twisted.inlineCallbacks
def test_permission_taken_away_mid_session(pg_schema, pg_role, opened):
    uri, schema, conn = pg_schema
    role = pg_role()
    conn.execute(f'CREATE TABLE orders (id int PRIMARY KEY); GRANT SELECT ON orders TO "{role}"')
    db = opened(uri_as(uri, role))
    orders = yield db.describe(f"{schema}.orders")
    conn.execute(f'REVOKE SELECT ON orders FROM "{role}"')
    [failure] = yield failure_of(db.fetch(View(orders), None, limit=10))
    assert db.backend.classify(failure.value) is ErrorKind.OTHER
    assert db.backend.describe_error(failure.value) == f"permission denied for table orders (user {role})"


@pytest.fixture
def silent_server():
    """A port on 127.0.0.1 that accepts connections and never says a word: (port, accepted connections)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1], accepted
    stop.set()
    thread.join()
    for s in accepted:
        s.close()
    listener.close()


@pytest_twisted.inlineCallbacks
def test_a_server_that_does_not_answer_is_given_up_after_the_connect_timeout_once(pg_schema, silent_server, opened):
    uri, _, _ = pg_schema
    port, accepted = silent_server
    db = opened(uri.replace(":5432/", f":{port}/") + "&connect_timeout=2")
    error, kind, text = yield tables_failure(db)
    assert text == f"PostgreSQL at 127.0.0.1:{port}: no answer before the connect timeout"
    assert len(accepted) == 1                  # not tried again: a read is retried only on a lost connection


@pytest_twisted.inlineCallbacks
def test_nothing_listening(pg_schema, opened):
    uri, _, _ = pg_schema
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]                # free now, and nothing listens on it
    error, kind, text = yield tables_failure(opened(uri.replace(":5432/", f":{port}/")))
    assert text == (f"PostgreSQL at 127.0.0.1:{port}: connection refused "
                    "(is the server running and listening on that port?)")


@pytest_twisted.inlineCallbacks
def test_a_connection_the_server_ended_is_made_again_and_said_once(pg_schema, opened):
    """The operator is told, in one line, that the server had closed the connection and it was made again."""
    from twisted.internet import reactor, task

    from storage.backends.base import Backend

    uri, schema, conn = pg_schema
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    conn.execute("INSERT INTO t SELECT generate_series(1, 10)")
    db = opened(uri)
    said = []
    db.notice_listeners.append(said.append)
    table = yield db.describe(f"{schema}.t")
    yield db.count_rows(View(table))
    with psycopg.connect(host="127.0.0.1", port=5432, dbname="test", autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'test' "
                       "AND pid <> pg_backend_pid() AND application_name LIKE 'rowdesk%'")
    count = yield db.count_rows(View(table))
    assert count.rows == 10
    yield task.deferLater(reactor, 0.05, lambda: None)
    assert said and set(said) == {Backend.RECONNECTED}
