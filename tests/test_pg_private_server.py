"""Faults that the shared PostgreSQL server cannot show without disturbing other tests: a password refused
(it trusts every local login) and a server restarted mid-session. A private server is made for them: initdb
in a temporary folder (as the postgres system user: PostgreSQL refuses to run as root), password
authentication (scram-sha-256), on a free port of 127.0.0.1; stopped and removed after the module."""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile

import pytest
import pytest_twisted

from storage.backends import ErrorKind
from storage.backends.postgres import PostgresBackend
from storage.targets import parse_target
from tests.pg_support import failure_of, fill_pool, pooled_pids

PASSWORD = "pw-" + secrets.token_hex(6)


class PrivateServer:
    def __init__(self, bindir: str, folder: str, port: int):
        self.bindir, self.folder, self.port = bindir, folder, port
        self.data = os.path.join(folder, "data")

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(["runuser", "-u", "postgres", "--", f"{self.bindir}/pg_ctl", "-D", self.data, "-w",
                        "-l", os.path.join(self.folder, "log"), "-o", options, *args],
                       check=True, capture_output=True, timeout=60)

    def uri(self, password: str | None = None) -> str:
        auth = "postgres" + (f":{password}" if password is not None else "")
        return f"postgres://{auth}@127.0.0.1:{self.port}/postgres"


@pytest.fixture(scope="module")
def private_server():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found or os.geteuid() != 0 or shutil.which("runuser") is None:
        problem = "no initdb, or not root (needed to run the server as the postgres user)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: server tests must run, but {problem}")
        pytest.skip(problem)
    bindir = os.path.dirname(found[-1])
    folder = tempfile.mkdtemp(prefix="rowdesk-pg-")
    shutil.chown(folder, "postgres")
    password_file = os.path.join(folder, "password")
    with open(password_file, "w") as f:
        f.write(PASSWORD)
    shutil.chown(password_file, "postgres")
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    server = PrivateServer(bindir, folder, port)
    try:
        subprocess.run(["runuser", "-u", "postgres", "--", f"{bindir}/initdb", "-D", server.data, "-U", "postgres",
                        "-A", "scram-sha-256", f"--pwfile={password_file}", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        server.pg_ctl("start")
        yield server
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", f"{bindir}/pg_ctl", "-D", server.data, "-m", "immediate",
                        "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


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
