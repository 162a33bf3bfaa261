"""Writes through Database.write on SQLite, PostgreSQL and MariaDB: one transaction, all applied or none,
refused on a read-only database, and never sent again. A connection the server ends before COMMIT leaves
nothing applied (the driver's error); one that dies during COMMIT is OutcomeUnknown. The faults are made
on the real servers (pg_terminate_backend, KILL)."""

from __future__ import annotations

import sqlite3
import time

import pytest
import pytest_twisted
from twisted.internet import defer

from storage.backends import ErrorKind
from storage.database import ReadOnly
from storage.writes import OutcomeUnknown
from tests import mysql_support, pg_support
from tests.pg_support import failure_of, sleep


class Place:
    """A table `items (id int PRIMARY KEY, name varchar(20) NOT NULL)` on one engine, and a way to look at it
    from outside rowdesk."""

    def __init__(self, engine: str, uri: str, admin, schema: str | None = None):
        self.engine, self.uri, self.admin, self.schema = engine, uri, admin, schema

    def sql(self, statement: str, params=()) -> list[tuple]:
        return self.admin(statement, params)

    def rows(self) -> list[tuple]:
        return [tuple(r) for r in self.sql(f"SELECT id, name FROM {self.items} ORDER BY id")]

    @property
    def items(self) -> str:
        return f'"{self.schema}".items' if self.schema else "items"

    def running(self, needle: str) -> list[int]:
        """Session ids of the statements running on the server whose text holds *needle*."""
        if self.engine == "postgres":
            return [pid for pid, _state in pg_support.statements(self.conn, needle)]
        return [tid for tid, _info in mysql_support.statements(self.conn, needle)]

    def end_session(self, session: int) -> None:
        if self.engine == "postgres":
            self.sql("SELECT pg_terminate_backend(%s)", (session,))
        else:
            mysql_support.kill(self.conn, session)


def make_place(engine: str, request, tmp_path) -> Place:
    create = "CREATE TABLE {t} (id int PRIMARY KEY, name varchar(20) NOT NULL)"
    if engine == "sqlite":
        path = tmp_path / "w.sqlite"
        with sqlite3.connect(path) as conn:
            conn.execute(create.format(t="items"))

        def admin(statement, params=()):
            with sqlite3.connect(path) as c:
                return c.execute(statement, params).fetchall()
        return Place("sqlite", str(path), admin)
    if engine == "postgres":
        uri, schema, conn = request.getfixturevalue("pg_schema")
        conn.execute(create.format(t=f'"{schema}".items'))

        def admin(statement, params=()):
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []
        p = Place("postgres", uri, admin, schema)
        p.conn = conn
        return p
    uri, _name, conn = request.getfixturevalue("mysql_database")
    mysql_support.run(conn, create.format(t="items"))
    p = Place("mysql", uri, lambda statement, params=(): mysql_support.run(conn, statement, params))
    p.conn = conn
    return p


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def place(request, tmp_path):
    return make_place(request.param, request, tmp_path)


@pytest.fixture(params=["postgres", "mysql"])
def server_place(request, tmp_path):
    return make_place(request.param, request, tmp_path)


@pytest.fixture
def pg_place(request, tmp_path):
    return make_place("postgres", request, tmp_path)


def insert(place, db, *rows) -> list[tuple[str, tuple]]:
    table = db.dialect.table(place.schema, "items")
    return [(f"INSERT INTO {table} (id, name) VALUES (?, ?)", row) for row in rows]


@pytest_twisted.inlineCallbacks
def test_statements_are_applied_together(place, opened):
    db = opened(place.uri, read_only=False)
    table = db.dialect.table(place.schema, "items")
    counts = yield db.write(insert(place, db, (1, "one"), (2, "two"), (3, "three"))
                            + [(f"UPDATE {table} SET name = ? WHERE id >= ?", ("many", 2))])
    assert counts == [1, 1, 1, 2]
    assert place.rows() == [(1, "one"), (2, "many"), (3, "many")]
    # The job's connection went back without a transaction open: another job reads what was committed.
    assert (yield db.worker.submit("read", lambda job: db._query(job, f"SELECT count(*) FROM {table}"))) == [(3,)]


@pytest_twisted.inlineCallbacks
def test_a_failing_statement_leaves_nothing_applied(place, opened):
    place.sql(f"INSERT INTO {place.items} VALUES (7, 'seven')")
    db = opened(place.uri, read_only=False)
    [failure] = yield failure_of(db.write(insert(place, db, (1, "one"), (7, "again"), (2, "two"))))
    assert db.backend.classify(failure.value) is ErrorKind.CONSTRAINT
    assert place.rows() == [(7, "seven")]                     # the first INSERT was rolled back with it
    counts = yield db.write(insert(place, db, (1, "one")))   # and the connection is usable again
    assert counts == [1] and place.rows() == [(1, "one"), (7, "seven")]


@pytest_twisted.inlineCallbacks
def test_a_read_only_database_refuses_before_sending_anything(place, opened):
    db = opened(place.uri, read_only=True)
    [failure] = yield failure_of(db.write(insert(place, db, (1, "one"))))
    assert failure.check(ReadOnly) and "read-only" in str(failure.value)
    assert place.rows() == []


SLEEP = {"postgres": "SELECT pg_sleep(30)", "mysql": "SELECT SLEEP(30)"}


@defer.inlineCallbacks
def until_running(place, needle: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not place.running(needle):
        assert time.monotonic() < deadline, f"{needle!r} never ran on the server"
        yield sleep(0.01)
    return place.running(needle)[0]


@pytest_twisted.inlineCallbacks
def test_a_session_ended_before_commit_applies_nothing_and_is_not_sent_again(server_place, opened):
    place = server_place
    db = opened(place.uri, read_only=False)
    d = db.write(insert(place, db, (1, "one")) + [(SLEEP[place.engine], ())])
    session = yield until_running(place, "SLEEP(30)" if place.engine == "mysql" else "pg_sleep(30)")
    place.end_session(session)
    [failure] = yield failure_of(d)
    assert not failure.check(OutcomeUnknown)                   # COMMIT was never sent: nothing applied, known
    assert db.backend.classify(failure.value) is ErrorKind.CONNECTION_LOST
    yield sleep(0.5)
    assert place.rows() == []                                  # and nothing sent again on a new connection
    assert (yield db.write(insert(place, db, (2, "two")))) == [1]     # a fresh connection serves the next one
    assert place.rows() == [(2, "two")]


@pytest_twisted.inlineCallbacks
def test_a_session_ended_during_commit_is_outcome_unknown(pg_place, opened):
    """A deferred constraint trigger runs at COMMIT: it sleeps, and the session is ended while it does.
    (PostgreSQL only: MariaDB runs nothing of the user's at COMMIT.)"""
    place = pg_place
    s = place.schema
    place.sql(f'CREATE FUNCTION "{s}".slow_commit() RETURNS trigger LANGUAGE plpgsql AS '
              "$$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$")
    place.sql(f'CREATE CONSTRAINT TRIGGER slow AFTER INSERT ON "{s}".items DEFERRABLE INITIALLY DEFERRED '
              f'FOR EACH ROW EXECUTE FUNCTION "{s}".slow_commit()')
    db = opened(place.uri, read_only=False)
    d = db.write(insert(place, db, (1, "one")))
    session = yield until_running(place, "COMMIT")           # the session's statement is COMMIT meanwhile
    place.end_session(session)
    [failure] = yield failure_of(d)
    assert failure.check(OutcomeUnknown), failure
    assert "whether the server applied it is unknown" in str(failure.value)
    assert db.backend.classify(failure.value.cause) is ErrorKind.CONNECTION_LOST
    yield sleep(0.5)
    assert place.rows() == []                      # ended before the trigger returned: not applied, not re-sent
