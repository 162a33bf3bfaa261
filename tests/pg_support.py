"""Helpers for the PostgreSQL backend tests (tests/test_pg_*.py): a role of its own per test, the server's
view of rowdesk's sessions, and waiting on Deferreds from the real reactor."""

from __future__ import annotations

import threading
import time

import pytest
from twisted.internet import defer, reactor, task

from tests.servers import PG, unique


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


def failure_of(d):
    """A Deferred firing with [failure] when *d* fails; an AssertionError when it succeeds."""
    def ok(result):
        raise AssertionError(f"expected a failure, got {result!r}")
    return d.addCallbacks(ok, lambda f: [f])


def uri_as(uri: str, user: str) -> str:
    """*uri* (the pg_schema fixture's) with another user."""
    return uri.replace(f"//{PG['user']}@", f"//{user}@", 1)


@pytest.fixture
def pg_role(pg_schema):
    """role(login=True) -> the name of a fresh role without any privilege (trust auth: it logs in without a
    password), allowed to use the test schema; every role made is dropped after the test."""
    _uri, schema, conn = pg_schema
    made = []

    def make(*, login: bool = True) -> str:
        name = unique("rowdesk_r")
        conn.execute(f'CREATE ROLE "{name}" {"LOGIN" if login else "NOLOGIN"}')
        conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{name}"')
        made.append(name)
        return name
    yield make
    for name in made:
        conn.execute(f'DROP OWNED BY "{name}"')       # its privileges here, so that the role can go
        conn.execute(f'DROP ROLE "{name}"')


def statements(conn, pattern: str) -> list[tuple[int, str]]:
    """(pid, state) of the sessions whose current statement contains *pattern* (not this query itself)."""
    return conn.execute(
        "SELECT pid, state FROM pg_stat_activity WHERE query LIKE %s AND pid <> pg_backend_pid() "
        "AND state = 'active'", (f"%{pattern}%",)).fetchall()


@defer.inlineCallbacks
def until_running(conn, pattern: str, timeout: float = 10.0):
    """Wait until a statement containing *pattern* runs on the server; return its pid."""
    deadline = time.monotonic() + timeout
    while True:
        found = statements(conn, pattern)
        if found:
            return found[0][0]
        assert time.monotonic() < deadline, f"no statement like {pattern!r} started on the server"
        yield sleep(0.01)


@defer.inlineCallbacks
def until_gone(conn, pattern: str, timeout: float = 10.0):
    """Wait until no statement containing *pattern* runs on the server; return how long that took."""
    started = time.monotonic()
    while statements(conn, pattern):
        assert time.monotonic() - started < timeout, f"{pattern!r} still runs after {timeout} s"
        yield sleep(0.005)
    return time.monotonic() - started


def pooled_pids(db) -> list[int]:
    """The backend pids of the connections in a Database's pool."""
    return [raw.info.backend_pid for raw in db.backend.connection._pool]


@defer.inlineCallbacks
def fill_pool(db, n):
    """n reads at once, so that the pool holds n connections afterwards."""
    gate = threading.Barrier(n)

    def read(job):
        rows = db._query(job, "SELECT 1")
        gate.wait(5)                      # each job keeps its connection until all n have one
        return rows
    yield defer.gatherResults([db.worker.submit("read", read) for _ in range(n)])
    assert len(pooled_pids(db)) == n
