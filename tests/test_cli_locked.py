"""Starting on a file another process holds locked: never at random. rowdesk says it
waits, then starts when the lock goes (or ends with one line when ^C is pressed)."""

from tests import realworld
from tests.terminal import Terminal
from tests.test_e2e import rowdesk_command
from tests.test_storage_lock_wait import LockHolder


def test_start_waits_visibly_for_a_lock_and_opens_when_it_goes(tmp_path):
    db = realworld.chinook(tmp_path / "chinook.sqlite")
    holder = LockHolder(db)
    t = Terminal(rowdesk_command() + [str(db)], cols=220)      # the line before the UI: on one row
    try:
        t.wait_for(r"waiting for\s+another process to release its lock")
        holder.release()
        t.wait_for(r"\d+ tables and views")
        t.wait_for(r"Track\s*│table│\s*1,037")        # counted once the lock is gone
        t.press("q")
        assert t.wait_exit() == 0
    finally:
        holder.kill()
        t.close()


def test_ctrl_c_during_the_wait_ends_with_one_line(tmp_path):
    db = realworld.chinook(tmp_path / "chinook.sqlite")
    holder = LockHolder(db)
    t = Terminal(rowdesk_command() + [str(db)], controlling=True, cols=220)
    try:
        t.wait_for(r"waiting for\s+another process to release its lock")
        t.press("ctrl c")
        assert t.wait_exit() == 130
        assert "Traceback" not in t.text and "rowdesk: interrupted" in t.text
    finally:
        holder.kill()
        t.close()
