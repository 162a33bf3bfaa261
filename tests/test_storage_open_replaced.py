"""The open file deleted or replaced at its path: storage notices (Database.check_file, in a worker thread) and
never reads the new file on a connection opened later, while the one it opened stays as it was."""

from __future__ import annotations

import os
import threading

import pytest
import pytest_twisted
from twisted.internet import reactor

from storage.backends import sqlite_files
from storage.backends.sqlite import RowdeskSQLiteConnection
from storage.backends.sqlite_files import FileReplaced
from storage.database import Database
from storage.targets import parse_target
from tests import realworld


def make(path, rows):
    return realworld.build(path, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                                 + "".join(f"INSERT INTO t VALUES ({i}, 'v{i}');" for i in range(rows)))


@pytest.fixture
def opened(tmp_path):
    path = make(tmp_path / "shop.sqlite", 3)
    db = Database(parse_target(str(path), read_only=True), reactor, threads=1)
    yield db
    db.close()


def rows_of(db):
    return db.worker.submit("rows", lambda job: db._query(job, "SELECT count(*) FROM t"))


@pytest_twisted.inlineCallbacks
def test_unchanged_file_is_fine(opened):
    assert (yield rows_of(opened)) == [(3,)]
    assert (yield opened.check_file()) is None


@pytest_twisted.inlineCallbacks
def test_replaced_file_is_noticed_and_the_opened_one_is_still_read(opened, tmp_path):
    assert (yield rows_of(opened)) == [(3,)]
    new = make(tmp_path / "new.sqlite", 7)
    os.replace(new, opened.target.path)               # what `cp` to a temp name and `mv` does: a new inode
    message = yield opened.check_file()
    assert message is not None and "replaced" in message and str(opened.target.path) in message
    assert "\n" not in message
    assert (yield rows_of(opened)) == [(3,)]          # the file it opened, as it was: never a mix of the two


@pytest_twisted.inlineCallbacks
def test_deleted_file_is_noticed(opened):
    assert (yield rows_of(opened)) == [(3,)]
    opened.target.path.unlink()
    message = yield opened.check_file()
    assert message is not None and "deleted" in message and "\n" not in message
    assert (yield rows_of(opened)) == [(3,)]


@pytest_twisted.inlineCallbacks
def test_check_runs_in_a_worker_thread(opened, monkeypatch):
    seen = []
    real = sqlite_files.file_identity
    monkeypatch.setattr(sqlite_files, "file_identity", lambda p: seen.append(threading.current_thread()) or real(p))
    assert (yield opened.check_file()) is None
    assert seen and threading.main_thread() not in seen


def test_a_connection_opened_after_the_replacement_refuses_the_new_file(tmp_path):
    """SQLObject opens one connection per thread, as threads come: a thread that starts after the file was
    replaced must not read the new file beside threads that read the old one."""
    path = make(tmp_path / "shop.sqlite", 3)
    target = parse_target(str(path), read_only=True)
    conn = RowdeskSQLiteConnection(path, read_only=True, identity=target.identity)
    try:
        raw = conn.getConnection()
        conn.releaseConnection(raw)
        os.replace(make(tmp_path / "new.sqlite", 7), path)
        errors = []

        def new_thread():
            try:
                conn.getConnection()
            except FileReplaced as e:
                errors.append(str(e))
        t = threading.Thread(target=new_thread)
        t.start()
        t.join(10)
        assert errors and "replaced" in errors[0]
    finally:
        conn.close()
