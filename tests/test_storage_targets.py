"""storage.targets, storage.secrets and storage.sqlite_backend against real files."""

from __future__ import annotations

import os
import sqlite3

import pytest

from storage.backends.sqlite import RowdeskSQLiteConnection, journal_mode
from storage.backends.sqlite_files import BUSY_TIMEOUT_MS, check_sqlite_file
from storage.secrets import mask_secrets
from storage.targets import TargetError, parse_target
from tests import realworld


@pytest.fixture
def dbfile(tmp_path):
    return realworld.build(tmp_path / "shop.sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                                                     "INSERT INTO t VALUES (1, 'one');")


def listing(directory):
    return sorted(p.name for p in directory.iterdir())


# -- files that are not there or are not databases ------------------------------------------------------------
def test_missing_file_is_an_error_and_is_not_created(tmp_path):
    path = tmp_path / "nope.sqlite"
    with pytest.raises(TargetError, match="no such file") as e:
        parse_target(str(path))
    assert str(path) in str(e.value)
    assert not path.exists()
    assert listing(tmp_path) == []


def test_missing_file_via_uri_is_not_created(tmp_path):
    path = tmp_path / "nope.sqlite"
    with pytest.raises(TargetError, match="no such file"):
        parse_target(f"sqlite://{path}")
    assert listing(tmp_path) == []


def test_missing_file_read_only_is_not_created(tmp_path):
    with pytest.raises(TargetError, match="no such file"):
        parse_target(str(tmp_path / "nope.sqlite"), read_only=True)
    assert listing(tmp_path) == []


def test_directory(tmp_path):
    with pytest.raises(TargetError, match="is a directory"):
        parse_target(str(tmp_path))


def test_not_a_database(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: milk, eggs, and a SQLite book\n" * 50)
    with pytest.raises(TargetError, match="not a SQLite database") as e:
        parse_target(str(path))
    assert str(path) in str(e.value)
    assert "\n" not in str(e.value)


def test_short_file_is_not_a_database(tmp_path):
    path = tmp_path / "tiny.db"
    path.write_bytes(b"SQLite")
    with pytest.raises(TargetError, match="not a SQLite database"):
        parse_target(str(path))


def test_corrupt_database_after_the_header(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 2000)
    with pytest.raises(TargetError, match="cannot open it as a SQLite database"):
        parse_target(str(path))


def test_empty_file_is_an_empty_database(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    target = parse_target(str(path))
    assert target.path == path and target.scheme == "sqlite"
    assert path.stat().st_size == 0           # checking it wrote nothing
    assert listing(tmp_path) == ["empty.db"]


def test_unreadable_file(tmp_path, dbfile):
    dbfile.chmod(0)
    try:
        try:
            with open(dbfile, "rb"):
                readable = True
        except PermissionError:
            readable = False
        if readable:
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not stop this process "
                        "from reading the file, so there is no unreadable file to test with")
        with pytest.raises(TargetError, match="cannot read it"):
            parse_target(str(dbfile), read_only=True)
    finally:
        dbfile.chmod(0o644)


def test_not_writable_needs_read_only(tmp_path, dbfile):
    dbfile.chmod(0o444)
    try:
        if os.access(dbfile, os.W_OK):
            pytest.skip("running as root: a 0444 file is still writable for this process")
        with pytest.raises(TargetError, match="--read-only"):
            parse_target(str(dbfile))
        assert parse_target(str(dbfile), read_only=True).read_only
    finally:
        dbfile.chmod(0o644)


@pytest.mark.parametrize("name", ["a#b.sqlite", "what?.sqlite", "50%done.sqlite", "sp ace.sqlite", "ü.sqlite"])
def test_odd_file_names_are_checked_as_themselves(tmp_path, name):
    """The URI filename must be quoted: '#' or '?' would cut the name short, and SQLite would create
    (and then happily check) an empty database under the shorter name."""
    good = realworld.build(tmp_path / name, "CREATE TABLE t (x);")
    assert parse_target(str(good)).path == good
    assert listing(tmp_path) == [name]
    empty = tmp_path / ("empty " + name)
    empty.touch()
    parse_target(str(empty))
    bad = tmp_path / ("bad " + name)
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 2000)
    with pytest.raises(TargetError):
        check_sqlite_file(bad)
    assert listing(tmp_path) == sorted([name, "empty " + name, "bad " + name])


# -- URIs ------------------------------------------------------------------------------------------------------
def test_sqlite_uri(dbfile):
    target = parse_target(f"sqlite://{dbfile}")
    assert target.path == dbfile
    assert target.uri == f"sqlite://{dbfile}"
    assert target.display == target.uri
    assert not target.read_only


def test_sqlite_uri_percent_encoded(tmp_path):
    path = realworld.build(tmp_path / "my shop.db", "CREATE TABLE t (x);")
    uri = "sqlite://" + str(path).replace(" ", "%20")
    assert parse_target(uri).path == path


def test_sqlite_single_slash_uri(dbfile):
    assert parse_target(f"sqlite:{dbfile}").path == dbfile


def test_sqlite_uri_with_host_is_refused(dbfile):
    with pytest.raises(TargetError, match="no host"):
        parse_target(f"sqlite://server{dbfile}")


@pytest.mark.parametrize("uri", ["sqlite:///:memory:", "sqlite:/:memory:"])
def test_memory_database_is_refused(uri):
    with pytest.raises(TargetError, match="in-memory"):
        parse_target(uri)


def test_relative_path_becomes_absolute(tmp_path, dbfile, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = parse_target(dbfile.name)
    assert target.path == dbfile and target.path.is_absolute()


def test_read_only_flag_is_kept(dbfile):
    assert parse_target(str(dbfile), read_only=True).read_only


@pytest.mark.parametrize("uri", ["http://example.com/db", "oracle://scott:tiger@db/orcl", "redis://:hunter2@cache/0"])
def test_unknown_scheme(uri):
    with pytest.raises(TargetError, match="unknown scheme") as e:
        parse_target(uri)
    msg = str(e.value)
    assert "tiger" not in msg and "hunter2" not in msg
    assert uri.split(":", 1)[0] in msg


@pytest.mark.parametrize(("uri", "engine", "host", "port", "user", "database"), [
    ("postgresql://admin:s3cr3t-pw@db.example.com:5432/shop", "postgres", "db.example.com", 5432, "admin", "shop"),
    ("postgres://admin:s3cr3t-pw@db.example.com/shop?schema=sales", "postgres", "db.example.com", 5432, "admin",
     "shop"),
    ("mysql://root:s3cr3t-pw@localhost/shop", "mysql", "localhost", 3306, "root", "shop"),
    ("mariadb://root:s3cr3t-pw@10.0.0.2:3307/shop", "mysql", "10.0.0.2", 3307, "root", "shop"),
])
def test_server_uris_keep_the_password_apart(uri, engine, host, port, user, database):
    t = parse_target(uri)
    assert (t.scheme, t.host, t.port, t.user, t.database) == (engine, host, port, user, database)
    assert t.password == "s3cr3t-pw"
    for shown in (t.uri, t.display, repr(t)):
        assert "s3cr3t-pw" not in shown


@pytest.mark.parametrize("uri", [
    "mariadb://root:s3cr3t-pw@10.0.0.2:3306/shop?charset=utf8mb4",
    "postgres://admin@db.example.com/shop?password=s3cr3t-pw&sslmode=require",
    "postgres://admin:s3cr3t-pw@db.example.com:99999/shop",
])
def test_a_refused_server_uri_never_shows_the_password(uri):
    with pytest.raises(TargetError) as e:
        parse_target(uri)
    msg = str(e.value)
    assert "s3cr3t-pw" not in msg and "***" in msg


# -- mask_secrets ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("postgresql://bob:pa55@db:5432/shop", "postgresql://bob:***@db:5432/shop"),
    ("mysql://bob:@db/shop", "mysql://bob:@db/shop"),
    ("mysql://bob@db/shop", "mysql://bob@db/shop"),
    ("sqlite:///home/bob/shop.db", "sqlite:///home/bob/shop.db"),
    ("postgres://bob@db/shop?password=pa55&sslmode=require", "postgres://bob@db/shop?password=***&sslmode=require"),
    ("mysql://bob@db/shop;PWD=pa55", "mysql://bob@db/shop;PWD=***"),
    ("postgres://bob@db/shop?sslmode=require&passwd=pa55", "postgres://bob@db/shop?sslmode=require&passwd=***"),
    ("error connecting to mysql://root:pa55@h/db: refused; retry mysql://root:pa55@h2/db",
     "error connecting to mysql://root:***@h/db: refused; retry mysql://root:***@h2/db"),
    ("no uri here: user:pass@host", "no uri here: user:pass@host"),
])
def test_mask_secrets(text, expected):
    assert mask_secrets(text) == expected


@pytest.mark.parametrize("password", ["p@ss", "p/ss", "a:b", "h#sh", "q?mark", "100%", "p@ss/word@x"])
def test_mask_secrets_passwords_with_uri_characters(password):
    """Operators type passwords unencoded; none of it may leak."""
    uri = f"postgresql://admin:{password}@db.example.com:5432/shop"
    assert mask_secrets(uri) == "postgresql://admin:***@db.example.com:5432/shop"
    assert mask_secrets(f"cannot connect to {uri}: timeout") == \
        "cannot connect to postgresql://admin:***@db.example.com:5432/shop: timeout"


def test_target_display_masks(dbfile):
    target = parse_target(str(dbfile))
    assert "***" not in target.display
    assert target.display == f"sqlite://{dbfile}"


# -- the connection ---------------------------------------------------------------------------------------------
def test_read_only_connection_cannot_write(dbfile):
    conn = RowdeskSQLiteConnection(dbfile, read_only=True)
    try:
        raw = conn.getConnection()
        try:
            assert raw.execute("SELECT v FROM t").fetchall() == [("one",)]
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                raw.execute("INSERT INTO t VALUES (2, 'two')")
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                raw.execute("CREATE TABLE u (x)")
            try:
                raw.execute("PRAGMA journal_mode=WAL").fetchall()
            except sqlite3.OperationalError:
                pass
        finally:
            conn.releaseConnection(raw)
    finally:
        conn.close()
    assert realworld.rows(dbfile, "SELECT * FROM t") == [(1, "one")]
    assert journal_mode(dbfile) == "delete"


def test_read_write_connection_writes_and_enforces_foreign_keys(tmp_path):
    path = realworld.build(tmp_path / "fk.db", "CREATE TABLE p (id INTEGER PRIMARY KEY);"
                                               "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id));"
                                               "INSERT INTO p VALUES (1);")
    conn = RowdeskSQLiteConnection(path)
    try:
        raw = conn.getConnection()
        try:
            raw.execute("INSERT INTO c VALUES (1, 1)")
            with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
                raw.execute("INSERT INTO c VALUES (2, 99)")
            assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
            assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        finally:
            conn.releaseConnection(raw)
    finally:
        conn.close()
    assert realworld.rows(path, "SELECT * FROM c") == [(1, 1)]
    # autocommit: the write is there for another connection at once, and the journal mode is untouched
    assert journal_mode(path) == "delete"


def test_connection_never_creates_a_missing_file(tmp_path):
    conn = RowdeskSQLiteConnection(tmp_path / "gone.db")
    try:
        with pytest.raises(sqlite3.OperationalError):
            conn.getConnection()
    finally:
        conn.close()
    assert listing(tmp_path) == []


def test_connection_with_odd_file_name(tmp_path):
    path = realworld.build(tmp_path / "a#b?c%d.db", "CREATE TABLE t (x); INSERT INTO t VALUES (42);")
    conn = RowdeskSQLiteConnection(path, read_only=True)
    try:
        raw = conn.getConnection()
        try:
            assert raw.execute("SELECT x FROM t").fetchall() == [(42,)]
        finally:
            conn.releaseConnection(raw)
    finally:
        conn.close()
    assert listing(tmp_path) == ["a#b?c%d.db"]


def test_wal_file_stays_wal(tmp_path):
    path = realworld.build(tmp_path / "wal.db", "PRAGMA journal_mode=WAL; CREATE TABLE t (x);")
    assert journal_mode(path) == "wal"
    conn = RowdeskSQLiteConnection(path)
    try:
        raw = conn.getConnection()
        raw.execute("INSERT INTO t VALUES (1)")
        conn.releaseConnection(raw)
    finally:
        conn.close()
    assert journal_mode(path) == "wal"


def test_unreadable_file_message(tmp_path, dbfile, monkeypatch):
    """The same path as test_unreadable_file, with the permission error simulated (root can read anything)."""
    import storage.backends.sqlite_files as targets

    def refuse(path, mode="r", *a, **kw):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(targets, "open", refuse, raising=False)
    with pytest.raises(TargetError) as e:
        parse_target(str(dbfile), read_only=True)
    assert str(e.value) == f"{dbfile}: cannot read it (permission denied)"


def test_not_writable_message(dbfile, monkeypatch):
    """The same path as test_not_writable_needs_read_only, with the missing permission simulated."""
    import storage.backends.sqlite_files as targets

    monkeypatch.setattr(targets.os, "access", lambda path, mode: mode != os.W_OK)
    with pytest.raises(TargetError) as e:
        parse_target(str(dbfile))
    assert str(e.value) == f"{dbfile}: not writable by you; open it with --read-only to browse it"
    assert parse_target(str(dbfile), read_only=True).read_only
