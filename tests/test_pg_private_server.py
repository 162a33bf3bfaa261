"""Faults that the shared PostgreSQL server cannot show without disturbing other tests, on a private server
(tests/pg_private.py): a password refused (the shared one trusts every local login) and a server restarted
mid-session."""

from __future__ import annotations

import os

import pytest
import pytest_twisted

from storage.backends import ErrorKind
from storage.backends.postgres import PostgresBackend
from storage.targets import parse_target
from tests.pg_private import PASSWORD
from tests.pg_support import failure_of, fill_pool, pooled_pids


def connect_error(uri: str):
    backend = PostgresBackend(parse_target(uri))
    try:
        with pytest.raises(Exception) as caught:
            backend.checkout()
        return backend.classify(caught.value), backend.describe_error(caught.value), caught.value
    finally:
        backend.close()


def test_a_password_is_asked_for_refused_when_wrong_and_never_shown(private_server, monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", os.devnull)
    where = f"PostgreSQL at 127.0.0.1:{private_server.port}"
    kind, text, _ = connect_error(private_server.uri())
    assert kind is ErrorKind.AUTHENTICATION
    assert text == f"{where}: login refused for user postgres: fe_sendauth: no password supplied"
    wrong = PASSWORD + "-wrong"
    kind, text, error = connect_error(private_server.uri(wrong))
    assert kind is ErrorKind.AUTHENTICATION
    assert text == f'{where}: login refused for user postgres: password authentication failed for user "postgres"'
    assert wrong not in text + str(error) + repr(error) + str(error.__cause__)
    backend = PostgresBackend(parse_target(private_server.uri(PASSWORD)))
    try:
        raw = backend.checkout()
        assert raw.execute("SELECT current_user").fetchone() == ("postgres",)
        assert PASSWORD not in raw.info.dsn                  # psycopg's own record of the connection
    finally:
        backend.close()


def test_without_a_password_libpq_reads_pgpassword_and_the_password_file(private_server, monkeypatch, tmp_path):
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    monkeypatch.setenv("PGPASSFILE", os.devnull)
    backend = PostgresBackend(parse_target(private_server.uri()))
    backend.release(backend.checkout(), broken=False)
    backend.close()
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{private_server.port}:*:postgres:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    backend = PostgresBackend(parse_target(private_server.uri()))
    backend.release(backend.checkout(), broken=False)
    backend.close()


@pytest_twisted.inlineCallbacks
def test_a_server_restarted_mid_session(private_server, opened):
    db = opened(private_server.uri(PASSWORD), threads=2)
    assert [e for e in (yield db.tables()) if e.schema == "public"] == []
    yield fill_pool(db, 2)
    before = pooled_pids(db)
    private_server.pg_ctl("-m", "fast", "stop")
    [failure] = yield failure_of(db.tables())
    assert db.backend.describe_error(failure.value) == (
        f"PostgreSQL at 127.0.0.1:{private_server.port}: connection refused "
        "(is the server running and listening on that port?)")
    private_server.pg_ctl("start")
    # The connections of before the restart are dead: the next read takes a new one, without a word.
    assert (yield db.worker.submit("read", lambda job: db._query(job, "SELECT 1"))) == [(1,)]
    assert not set(pooled_pids(db)) & set(before)


@pytest_twisted.ensureDeferred
async def test_a_save_while_the_server_is_down_writes_nothing_and_a_retry_after_the_restart_saves(
        private_server, harness):
    import psycopg

    from tests.test_app_browse import open_table
    with psycopg.connect(private_server.uri(PASSWORD), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY, v text)")
        conn.execute("DELETE FROM kv")
        conn.execute("INSERT INTO kv VALUES (1, 'one')")
    h = harness(private_server.uri(PASSWORD))
    await open_table(h, "public.kv")
    await h.wait_for(r"public\.kv · row 1 of 1", where="status")
    h.press("e")
    await h.wait_for(r"^edit · public\.kv", where="status")
    h.type("!")
    private_server.pg_ctl("-m", "fast", "stop")
    try:
        h.press("ctrl s")
        await h.wait_for(r"^the server cannot be reached \(PostgreSQL at .*connection refused", where="message",
                         timeout=20)
        assert h.app.top.name == "form" and "one!" in h.text
    finally:
        private_server.pg_ctl("start")
    h.press("ctrl s")
    await h.wait_for(r"^saved", where="message", timeout=20)
    with psycopg.connect(private_server.uri(PASSWORD)) as conn:
        assert conn.execute("SELECT v FROM kv").fetchall() == [("one!",)]
