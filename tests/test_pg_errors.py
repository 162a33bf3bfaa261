"""What PostgreSQL's errors mean to rowdesk (classify) and what the operator reads (describe_error), for the
driver's exceptions and for SQLObject's dberrors alike, provoked on the real server."""

from __future__ import annotations

import psycopg
import pytest
from sqlobject import dberrors

from storage.backends import ErrorKind
from storage.backends.postgres import PostgresBackend
from storage.targets import parse_target


@pytest.fixture
def backend(pg_schema):
    uri, _, conn = pg_schema
    conn.execute("""
        CREATE TABLE parent (id int PRIMARY KEY);
        CREATE TABLE child (id int PRIMARY KEY, parent int NOT NULL REFERENCES parent);
        INSERT INTO parent VALUES (1);
    """)
    made = PostgresBackend(parse_target(uri))
    yield made
    made.close()


def error_of(raw, sql: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        raw.execute(sql)
    return caught.value


@pytest.mark.parametrize("sql, state, kind", [
    ("INSERT INTO parent VALUES (1)", "23505", ErrorKind.CONSTRAINT),
    ("INSERT INTO child VALUES (1, 2)", "23503", ErrorKind.CONSTRAINT),
    ("INSERT INTO child (id) VALUES (1)", "23502", ErrorKind.CONSTRAINT),
    ("SELECT * FROM missing", "42P01", ErrorKind.OTHER),
])
def test_driver_errors(backend, sql, state, kind):
    raw = backend.checkout()
    error = error_of(raw, sql)
    assert (error.sqlstate, backend.classify(error)) == (state, kind)
    backend.release(raw, broken=False)


def test_sqlobjects_errors_keep_their_meaning(backend, pg_schema):
    _, schema, conn = pg_schema
    so = backend.connection
    with pytest.raises(dberrors.DuplicateEntryError) as caught:
        so.query(f'INSERT INTO "{schema}".parent VALUES (1)')
    assert backend.classify(caught.value) is ErrorKind.CONSTRAINT
    with pytest.raises(dberrors.ProgrammingError) as caught:
        so.queryAll(f'SELECT * FROM "{schema}".missing')
    assert backend.classify(caught.value) is ErrorKind.OTHER
    assert backend.describe_error(caught.value) == f'relation "{schema}.missing" does not exist'
    # A connection of SQLObject's pool killed from the server side.
    [pid] = [raw.info.backend_pid for raw in so._pool]
    conn.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
    with pytest.raises(dberrors.OperationalError) as caught:
        so.queryAll("SELECT 1")
    assert backend.classify(caught.value) is ErrorKind.CONNECTION_LOST
    # SQLObject gave the dead connection back to its pool; rowdesk never hands it out.
    raw = backend.checkout()
    assert raw.info.backend_pid != pid and raw.execute("SELECT 1").fetchone() == (1,)


def test_a_row_locked_by_another_session(backend, pg_schema):
    _, _, conn = pg_schema
    raw = backend.checkout()
    with conn.transaction():
        conn.execute("SELECT * FROM parent WHERE id = 1 FOR UPDATE")
        error = error_of(raw, "SELECT * FROM parent WHERE id = 1 FOR UPDATE NOWAIT")
    assert (error.sqlstate, backend.classify(error)) == ("55P03", ErrorKind.LOCK_TIMEOUT)
    assert backend.describe_error(error) == 'could not obtain lock on row in relation "parent"'
    backend.release(raw, broken=False)
