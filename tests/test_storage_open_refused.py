"""A file that rowdesk refuses is left exactly as it was: no -wal, -shm or -journal appears beside it."""

from __future__ import annotations

import pytest

from storage.backends.sqlite_files import check_sqlite_file
from storage.demo import create_demo
from storage.targets import TargetError, parse_target
from tests import realworld


def listing(directory):
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture(scope="module")
def wal_bytes(tmp_path_factory):
    """The bytes of a WAL-mode database (rowdesk's demo), closed cleanly: no -wal or -shm beside it."""
    path = tmp_path_factory.mktemp("wal") / "demo.sqlite"
    create_demo(path)
    data = path.read_bytes()
    assert data[18:20] == b"\x02\x02"          # the header says WAL
    return data


@pytest.mark.parametrize("keep", [100, 4096, 50_000, "half"])
@pytest.mark.parametrize("read_only", [False, True])
def test_truncated_wal_database_is_refused_and_nothing_is_created(tmp_path, wal_bytes, keep, read_only):
    cut = tmp_path / "cut.sqlite"
    cut.write_bytes(wal_bytes[:len(wal_bytes) // 2 if keep == "half" else keep])
    before = listing(tmp_path)
    with pytest.raises(TargetError, match="cannot open it as a SQLite database") as e:
        parse_target(str(cut), read_only=read_only)
    assert "\n" not in str(e.value)
    assert listing(tmp_path) == before == ["cut.sqlite"]


def test_check_of_a_truncated_wal_database_creates_nothing(tmp_path, wal_bytes):
    cut = tmp_path / "cut.sqlite"
    cut.write_bytes(wal_bytes[:8192])
    with pytest.raises(TargetError):
        check_sqlite_file(cut)
    assert listing(tmp_path) == ["cut.sqlite"]


def test_corrupt_rollback_database_creates_nothing(tmp_path):
    good = realworld.chinook(tmp_path / "chinook.sqlite")
    data = good.read_bytes()
    good.unlink()
    cut = tmp_path / "cut.sqlite"
    cut.write_bytes(data[:3000])
    with pytest.raises(TargetError):
        parse_target(str(cut))
    assert listing(tmp_path) == ["cut.sqlite"]


def test_a_good_wal_database_is_accepted_and_checking_it_creates_nothing(tmp_path, wal_bytes):
    path = tmp_path / "demo.sqlite"
    path.write_bytes(wal_bytes)
    assert parse_target(str(path)).path == path
    assert parse_target(str(path), read_only=True).read_only
    assert listing(tmp_path) == ["demo.sqlite"]
