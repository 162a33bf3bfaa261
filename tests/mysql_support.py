"""Helpers of the MySQL/MariaDB backend tests (tests/test_mysql_*.py): statements on the fixture's own
connection, the server's process list, users of a test's own, a Database on the real reactor."""

from __future__ import annotations

import time

import pymysql
import pytest
from twisted.internet import defer, reactor, task

from storage.database import Database
from storage.targets import parse_target
from tests.servers import MY, unique


def run(conn, sql: str, params=()) -> list[tuple]:
    """One statement on a set-up connection (autocommit), its rows."""
    with conn.cursor() as cur:
        cur.execute(sql, params or None)          # no parameters: a % in the SQL is itself
        return list(cur.fetchall())


def statements(conn, needle: str) -> list[tuple]:
    """(thread id, statement) of every statement the server runs whose text contains *needle*, but this one."""
    return [(tid, info) for tid, info in run(
        conn, "SELECT ID, INFO FROM information_schema.PROCESSLIST WHERE INFO LIKE %s AND ID <> CONNECTION_ID()",
        (f"%{needle}%",))]


def uri_of(name: str, user: str = "root", password: str | None = None, **params) -> str:
    auth = user + (f":{password}" if password is not None else "")
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"mysql://{auth}@{MY['host']}:{MY['port']}/{name}" + (f"?{query}" if query else "")


def kill(conn, thread_id: int) -> None:
    """End a session from the server side, as an operator's KILL or a server restart would."""
    run(conn, f"KILL CONNECTION {int(thread_id)}")


@pytest.fixture
def mysql_user(mysql_database):
    """make(grants...) -> (user, password) of a fresh user that may connect from 127.0.0.1 with only the given
    GRANTs on the test's database (e.g. "SELECT ON {db}.t"); dropped afterwards."""
    _uri, database, conn = mysql_database
    made = []

    def make(*grants: str) -> tuple[str, str]:
        user, password = unique("rowdesk_u"), unique("pw")
        run(conn, "CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (user, password))
        made.append(user)
        for grant in grants:
            run(conn, f"GRANT {grant.format(db=f'`{database}`')} TO %s@'127.0.0.1'", (user,))
        return user, password
    yield make
    for user in made:
        run(conn, "DROP USER IF EXISTS %s@'127.0.0.1'", (user,))


def database(uri: str, made: list, *, read_only: bool = False, threads: int = 3) -> Database:
    db = Database(parse_target(uri, read_only=read_only), reactor, threads=threads)
    made.append(db)
    return db


@pytest.fixture
def open_mysql():
    """open_mysql(uri, read_only=..., threads=...) -> Database on the real reactor; closed after the test."""
    made: list[Database] = []
    yield lambda uri, **kw: database(uri, made, **kw)
    for db in made:
        if db.worker.pool.started:          # a test may have closed it itself
            db.close()


def sleep(seconds: float):
    return task.deferLater(reactor, seconds, lambda: None)


@defer.inlineCallbacks
def running_job(db, timeout: float = 5.0):
    """The job whose statement has started (it has taken its connection), once there is one."""
    deadline = time.monotonic() + timeout
    while True:
        attached = [j for j in list(db.worker.running.values()) if j._raw is not None and j._raw.running]
        if attached:
            return attached[0]
        assert time.monotonic() < deadline, "no statement started"
        yield sleep(0.005)


def failure_of(d):
    """A Deferred firing with [failure] when *d* fails; an AssertionError when it succeeds."""
    def ok(result):
        raise AssertionError(f"expected a failure, got {result!r}")
    return d.addCallbacks(ok, lambda f: [f])


def root_connection(name: str | None = None):
    return pymysql.connect(**MY, database=name, autocommit=True, charset="utf8mb4")
