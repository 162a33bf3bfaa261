"""Editing in a real terminal: ^S reaches rowdesk (the terminal's XON/XOFF flow control would otherwise
freeze the output on it), the form saves, and the terminal's own settings come back at the end."""

import shutil
import sqlite3
import termios

from tests.terminal import Terminal
from tests.test_e2e import rowdesk_command


def test_ctrl_s_saves_in_a_real_terminal_and_flow_control_comes_back(demo_db, tmp_path):
    db = tmp_path / "shop.sqlite"
    shutil.copyfile(demo_db, db)
    t = Terminal(rowdesk_command() + [str(db)], cols=120, rows=36, controlling=True)
    before = termios.tcgetattr(t.fd)
    try:
        t.wait_for(r"orders\s*│table│")
        t.press("j", "j", "j", "enter")
        t.wait_for(r"^orders · row 1 of")
        t.press("e")
        t.wait_for(r"^edit · orders · row 1")
        t.press("tab", "ctrl u", *"shipped", "ctrl s")
        t.wait_for(r"^saved")
        t.wait_for(r"│shipped\s*│")
        t.press("q", "q")
        assert t.wait_exit() == 0
        after = termios.tcgetattr(t.fd)             # the pty's settings, as rowdesk left them
    finally:
        t.close()
    assert after[6][termios.VSTOP] == before[6][termios.VSTOP] and after[0] & termios.IXON == before[0] & termios.IXON
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM orders WHERE id = 1").fetchone() == ("shipped",)
