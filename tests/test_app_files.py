"""What the operator sees about the file itself: another process's lock (waited
for visibly, Esc ends the wait), a file deleted or replaced under rowdesk, and
how a file was opened when it is not the obvious way."""

import os
import shutil
import stat

import pytest
import pytest_twisted

from tests import realworld
from tests.test_app_browse import open_table
from tests.test_storage_lock_wait import LockHolder


@pytest.fixture
def chinook(tmp_path):
    return realworld.chinook(tmp_path / "chinook.sqlite")


@pytest_twisted.ensureDeferred
async def test_a_lock_held_by_another_process_is_waited_for_visibly_and_esc_ends_the_wait(harness, chinook):
    h = harness(chinook)
    await h.wait_for(r"tables and views", where="status")
    await h.idle()
    await open_table(h, "Track")
    await h.wait_for(r"row 1 of", where="status")
    holder = LockHolder(chinook)
    try:
        h.press("r")
        await h.wait_for("waiting for another process to release its lock", where="status")
        h.press("esc")
        await h.wait_for("cancelled", where="message")
        await h.idle()                             # the wait ended at once: nothing runs any more
        assert "waiting" not in h.status
        h.press("r")
        await h.wait_for("waiting for another process", where="status")
        holder.release()                           # the lock goes: the rows and the count come
        await h.idle()
        assert "row 1 of 1,037" in h.status, h.status
    finally:
        holder.kill()


@pytest_twisted.ensureDeferred
async def test_r_says_when_the_file_was_replaced_or_deleted(harness, chinook, tmp_path):
    h = harness(chinook)
    await h.wait_for(r"tables and views", where="status")
    await h.idle()
    other = realworld.northwind(tmp_path / "other.sqlite")
    os.replace(other, chinook)
    h.press("r")
    await h.wait_for("has been replaced", where="message")
    await h.idle()
    os.unlink(chinook)
    h.press("r")
    await h.wait_for("deleted", where="message")


@pytest_twisted.ensureDeferred
async def test_a_wal_database_in_a_read_only_directory_opens_read_only_with_a_note(harness, demo_db, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    shutil.copy(demo_db, folder / "demo.sqlite")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.access(folder, os.W_OK):
        # Root writes anyway: SQLite would make its -wal there and nothing would be read-only.
        # The storage tests cover this case as an unprivileged user; here, check the note as such.
        folder.chmod(0o755)
        pytest.skip("running as root: a 0500 folder is still writable for this process "
                    "(tests/test_storage_open_readonly_dir.py drops to nobody)")
    h = harness(folder / "demo.sqlite", read_only=True)
    await h.wait_for("changes by other processes will not be seen", where="message")
