"""A private PostgreSQL server, for what the shared one cannot show without disturbing other tests: a
password refused (the shared one trusts every local login) and a server restarted mid-session. initdb in a
temporary folder (as the postgres system user: PostgreSQL refuses to run as root), password authentication
(scram-sha-256), on a free port of 127.0.0.1; stopped and removed after the module that uses it."""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile

import pytest

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
