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


def test_in_a_real_terminal_ctrl_c_asks_and_a_paste_is_text_not_keys(demo_db, tmp_path):
    """^C is a key (not the terminal's SIGINT, which would end rowdesk at once and lose the form's input), and a
    bracketed paste is text: a tab and a ^S inside it neither move nor save."""
    db = tmp_path / "shop.sqlite"
    shutil.copyfile(demo_db, db)
    t = Terminal(rowdesk_command() + [str(db)], cols=120, rows=36, controlling=True)
    try:
        t.wait_for(r"orders\s*│table│")
        t.press("j", "j", "j", "enter")
        t.wait_for(r"^orders · row 1 of")
        t.press("e")
        t.wait_for(r"^edit · orders · row 1")
        t.press(*["tab"] * 6, "ctrl u")                         # the note
        t.wait_for(r"field note")
        t.send("\x1b[200~ship\tped\x1b[201~")                   # a tab inside a paste: text, in the field
        t.send("\x1b[200~then\x13saved\x1b[201~")               # a ^S inside a paste: refused, never a save
        t.wait_for(r"the paste holds control characters: nothing was pasted")
        t.press("ctrl c")
        t.wait_for(r"unsaved changes: quit and lose them\?")
        t.press("n", "enter")
        t.wait_for(r"^edit · orders · row 1")
        t.press("ctrl s")
        t.wait_for(r"^saved")
        t.press("q", "q")
        assert t.wait_exit() == 0
    finally:
        t.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT note FROM orders WHERE id = 1").fetchone() == ("ship\tped",)
