"""Opening files in a directory this user cannot write, and on a read-only mount.

Permissions are tested as an unprivileged user (root writes anywhere): a subprocess starts as root, imports
what it needs, drops to `nobody` and opens the file through rowdesk's storage on a real reactor and thread
pool. The read-only mount is a tmpfs remounted read-only in a private mount namespace (`unshare -m`).
"""

from __future__ import annotations

import json
import os
import pwd
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from storage.demo import create_demo
from tests import realworld

ROOT = Path(__file__).resolve().parents[1]

# Opens argv[1] (read-only when argv[2] == "ro") as rowdesk does, reads every table's rows and prints JSON.
PROBE = textwrap.dedent("""
    import json, os, sys
    import sqlite3, sqlite3.dbapi2
    from twisted.internet import defer, task
    from storage.database import Database
    from storage.targets import TargetError, parse_target

    path, mode, user = sys.argv[1], sys.argv[2], sys.argv[3]
    if user != "root":
        import pwd
        who = pwd.getpwnam(user)
        os.setgroups([])
        os.setgid(who.pw_gid)
        os.setuid(who.pw_uid)

    @defer.inlineCallbacks
    def main(reactor):
        try:
            target = parse_target(path, read_only=(mode == "ro"))
        except TargetError as e:
            print(json.dumps({"refused": str(e)}))
            return
        db = Database(target, reactor, threads=2)
        try:
            tables = yield db.tables()
            counts = {}
            for t in tables:
                if t.type == "table":
                    counts[t.name] = (yield db.count_rows_of(t.name)).rows
            print(json.dumps({"read_only": db.read_only, "immutable": target.immutable,
                              "notes": list(db.notes), "counts": counts}))
        finally:
            db.close()
    task.react(main)
""")


def run_probe(path: Path, mode: str, user: str, wrap: list[str] | None = None) -> dict:
    """Run PROBE; *wrap* is a command prefix whose last item is a shell script ending in `exec`."""
    argv = [sys.executable, "-c", PROBE, str(path), mode, user]
    if wrap:
        argv = wrap[:-1] + [f"{wrap[-1]} {shlex.join(argv)}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def nobody():
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to the 'nobody' user in a subprocess")
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user on this system")


@pytest.fixture
def shared_dir():
    """A directory `nobody` can reach (pytest's tmp_path is private to root); made read-only by the tests."""
    d = Path(tempfile.mkdtemp(prefix="rowdesk-ro-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    d.chmod(0o755)
    shutil.rmtree(d)


def listing(directory):
    return sorted(p.name for p in directory.iterdir())


def demo_counts(path: Path) -> dict:
    tables = [r[0] for r in realworld.rows(path, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                                 "AND name NOT LIKE 'sqlite_%'")]
    return {t: realworld.rows(path, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}


@pytest.fixture(scope="module")
def demo_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    create_demo(path)
    return path.read_bytes(), demo_counts(path)


# -- --read-only in a directory nobody may write ---------------------------------------------------------------------
def test_read_only_opens_a_wal_database_in_a_read_only_directory(shared_dir, demo_bytes):
    nobody()
    data, counts = demo_bytes
    path = shared_dir / "demo.sqlite"
    path.write_bytes(data)
    path.chmod(0o644)
    shared_dir.chmod(0o555)
    got = run_probe(path, "ro", "nobody")
    assert "refused" not in got, got
    assert got["counts"] == counts
    assert got["read_only"] and got["immutable"]
    assert any("not writable" in n and "other processes" in n and "not be seen" in n for n in got["notes"]), got
    assert listing(shared_dir) == ["demo.sqlite"]


def test_read_only_reads_a_live_wal_through_its_existing_files(shared_dir):
    """Another process (the owner) has the WAL database open: its -wal and -shm exist, and rows it committed are
    only in the -wal. rowdesk reads them through those files (mode=ro, not immutable), so it sees them."""
    nobody()
    path = shared_dir / "live.db"
    writer = sqlite3.connect(path)
    try:
        writer.executescript("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
                             "CREATE TABLE t (x); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);")
        for p in shared_dir.iterdir():
            p.chmod(0o644)
        shared_dir.chmod(0o555)
        got = run_probe(path, "ro", "nobody")
    finally:
        writer.close()
    assert got.get("counts") == {"t": 2}, got
    assert not got["immutable"] and got["notes"] == []


def test_read_only_refuses_a_wal_it_cannot_read(shared_dir):
    """A -wal that holds committed rows, without its -shm, in a read-only directory: SQLite cannot read it, and
    immutable would silently skip those rows. One line, nothing opened."""
    nobody()
    src = shared_dir / "src"
    src.mkdir()
    writer = sqlite3.connect(src / "w.db")
    try:
        writer.executescript("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
                             "CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        for name in ("w.db", "w.db-wal"):
            shutil.copy(src / name, shared_dir / name)
            (shared_dir / name).chmod(0o644)
    finally:
        writer.close()
    shutil.rmtree(src)
    shared_dir.chmod(0o555)
    got = run_probe(shared_dir / "w.db", "ro", "nobody")
    assert "w.db-wal" in got.get("refused", ""), got
    assert "\n" not in got["refused"]
    assert listing(shared_dir) == ["w.db", "w.db-wal"]


# -- a writable file in a directory nobody may write, without --read-only -------------------------------------------
@pytest.mark.parametrize("kind", ["wal", "rollback"])
def test_writable_file_in_a_read_only_directory_says_why(shared_dir, demo_bytes, kind):
    nobody()
    path = shared_dir / "shop.sqlite"
    if kind == "wal":
        path.write_bytes(demo_bytes[0])
    else:
        realworld.chinook(path)
    path.chmod(0o666)
    shared_dir.chmod(0o555)
    got = run_probe(path, "rw", "nobody")
    message = got.get("refused", "")
    assert str(shared_dir) in message and "not writable" in message and "--read-only" in message, got
    assert ("-wal" in message) == (kind == "wal")
    assert "\n" not in message
    assert run_probe(path, "ro", "nobody").get("counts"), "and --read-only opens it"
    assert listing(shared_dir) == ["shop.sqlite"]


# -- a read-only mount -----------------------------------------------------------------------------------------------
@pytest.fixture
def read_only_mount(tmp_path, demo_bytes):
    """A command prefix that runs its argument in a private mount namespace, with a read-only tmpfs at
    tmp_path/mnt holding demo.sqlite (root there cannot write either: the file system refuses)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare(1) to mount a file system in a private namespace")
    src = tmp_path / "demo.sqlite"
    src.write_bytes(demo_bytes[0])
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    setup = f"mount -t tmpfs -o size=16m tmpfs '{mnt}' && cp '{src}' '{mnt}/' && mount -o remount,ro '{mnt}'"
    tried = subprocess.run(["unshare", "-m", "sh", "-c", f"{setup} && touch '{mnt}/x'"],
                           capture_output=True, text=True, timeout=30)
    if "Read-only file system" not in tried.stderr:
        pytest.skip(f"cannot make a read-only mount here (unshare -m / mount not permitted): {tried.stderr.strip()}")
    return mnt / "demo.sqlite", ["unshare", "-m", "sh", "-c", f"{setup} && exec"]


def test_read_only_opens_a_wal_database_on_a_read_only_mount(read_only_mount, demo_bytes):
    path, wrap = read_only_mount
    got = run_probe(path, "ro", "root", wrap=wrap)
    assert got.get("counts") == demo_bytes[1], got
    assert got["immutable"] and any("not be seen" in n for n in got["notes"])


def test_read_write_on_a_read_only_mount_says_so(read_only_mount):
    path, wrap = read_only_mount
    got = run_probe(path, "rw", "root", wrap=wrap)
    assert "read-only file system" in got.get("refused", "") and "--read-only" in got["refused"], got
