"""`sqlite:` URIs: the accepted forms, and their query parameters honoured or refused (never dropped)."""

from __future__ import annotations

import sqlite3

import pytest

from storage.backends.sqlite import RowdeskSQLiteConnection
from storage.demo import create_demo
from storage.targets import TargetError, parse_target
from tests import realworld


def listing(directory):
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def dbfile(tmp_path):
    return realworld.build(tmp_path / "shop.sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                                                     "INSERT INTO t VALUES (1, 'one');")


def write_through(target) -> None:
    """Try a write on the connection rowdesk would open for *target*."""
    conn = RowdeskSQLiteConnection(target.path, read_only=target.read_only, immutable=target.immutable)
    try:
        raw = conn.getConnection()
        try:
            raw.execute("INSERT INTO t VALUES (2, 'two')")
        finally:
            conn.releaseConnection(raw)
    finally:
        conn.close()


# -- the forms ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["sqlite://{abs}", "sqlite:///{abs}", "sqlite:{abs}"])
def test_absolute_forms(dbfile, form):
    """sqlite:///abs/path (three slashes), sqlite:////abs/path (four), and sqlite:/abs/path all mean /abs/path."""
    uri = form.format(abs=dbfile)            # dbfile starts with "/"
    assert parse_target(uri).path == dbfile, uri


@pytest.mark.parametrize("relative", ["{name}", "./{name}", "sub/../{name}"])
def test_relative_form(tmp_path, dbfile, monkeypatch, relative):
    """sqlite:relative/path (no slash after the colon) is relative to the current directory."""
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    target = parse_target("sqlite:" + relative.format(name=dbfile.name))
    assert target.path.resolve() == dbfile and target.path.is_absolute()


def test_host_form_is_refused_with_the_forms_that_work(dbfile):
    with pytest.raises(TargetError, match="no host") as e:
        parse_target(f"sqlite://{dbfile.name}")
    assert "sqlite:///" in str(e.value) and f"sqlite:{dbfile.name}" in str(e.value)


def test_fragment_is_refused(dbfile):
    with pytest.raises(TargetError, match="%23"):
        parse_target(f"sqlite://{dbfile}#x")


# -- parameters that are honoured ------------------------------------------------------------------------------------
def test_mode_ro_opens_read_only(dbfile):
    target = parse_target(f"sqlite://{dbfile}?mode=ro")
    assert target.read_only and not target.immutable
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        write_through(target)
    assert realworld.rows(dbfile, "SELECT * FROM t") == [(1, "one")]


def test_mode_rw_is_the_default(dbfile):
    target = parse_target(f"sqlite://{dbfile}?mode=rw")
    assert not target.read_only
    write_through(target)
    assert realworld.rows(dbfile, "SELECT count(*) FROM t") == [(2,)]


def test_read_only_flag_wins_over_mode_rw(dbfile):
    assert parse_target(f"sqlite://{dbfile}?mode=rw", read_only=True).read_only


@pytest.mark.parametrize("query", ["immutable=1", "immutable=true", "mode=ro&immutable=1", "immutable=on"])
def test_immutable_opens_read_only_with_a_note(tmp_path, query):
    """immutable=1: read-only, no locks and no -wal/-shm (nothing is created even for a WAL database),
    and a note for the operator that changes by other processes will not be seen."""
    path = tmp_path / "demo.sqlite"
    create_demo(path)
    target = parse_target(f"sqlite://{path}?{query}")
    assert target.read_only and target.immutable
    assert any("other processes" in note and "not be seen" in note for note in target.notes)
    assert all("\n" not in note for note in target.notes)
    conn = RowdeskSQLiteConnection(path, read_only=True, immutable=True)
    try:
        raw = conn.getConnection()
        try:
            assert raw.execute("SELECT count(*) FROM categories").fetchone()[0] > 0
        finally:
            conn.releaseConnection(raw)
    finally:
        conn.close()
    assert listing(tmp_path) == ["demo.sqlite"]


def test_immutable_0_is_the_default(dbfile):
    target = parse_target(f"sqlite://{dbfile}?immutable=0")
    assert not target.immutable and not target.read_only and target.notes == ()


def test_immutable_is_refused_when_the_wal_holds_changes(tmp_path):
    """immutable=1 ignores the -wal file: rows committed there would silently be missing."""
    path = tmp_path / "w.db"
    writer = sqlite3.connect(path)
    try:
        writer.executescript("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
                             "CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        with pytest.raises(TargetError, match="immutable=1.*-wal") as e:
            parse_target(f"sqlite://{path}?immutable=1")
        assert "\n" not in str(e.value)
    finally:
        writer.close()


# -- parameters that are refused -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("query", "named"), [
    ("nolock=1", "nolock"),
    ("cache=shared", "cache"),
    ("vfs=unix-none", "vfs"),
    ("psow=0", "psow"),
    ("debug=1", "debug"),
    ("mode=rwc", "mode=rwc"),
    ("mode=memory", "mode=memory"),
    ("mode=RO", "mode=RO"),
    ("immutable=maybe", "immutable=maybe"),
    ("mode=ro&mode=rw", "mode"),
    ("mode", "mode"),
])
def test_other_parameters_are_refused_by_name(dbfile, query, named):
    with pytest.raises(TargetError) as e:
        parse_target(f"sqlite://{dbfile}?{query}")
    message = str(e.value)
    assert named in message and "\n" not in message
    assert listing(dbfile.parent) == ["shop.sqlite"]
