"""^Z from an interactive shell: rowdesk gives the terminal back (main screen, cursor,
cooked modes for the shell) and `fg` brings it back redrawn, still working."""

import time

from tests.test_crash_terminal import ALT_OFF, ALT_ON, Shell
from tests.test_e2e import rowdesk_command


def test_ctrl_z_suspends_and_fg_resumes(demo_db, tmp_path):
    shell = Shell([], home=tmp_path)
    try:
        cmd = " ".join(rowdesk_command() + [str(demo_db), "--read-only"])
        shell.term.send(cmd + "\r")
        shell.term.wait_for(r"tables and views")
        shell.term.settle()
        start = len(shell.raw)
        shell.term.send("\x1a")                      # ^Z
        shell.wait_for_prompt(start)
        suspended = shell.raw[start:]
        assert ALT_OFF in suspended                  # the shell's screen is back
        assert "Stopped" in shell.command("jobs")
        start = len(shell.raw)
        shell.term.send("fg\r")
        deadline = time.monotonic() + 15
        while ALT_ON not in shell.raw[start:] and time.monotonic() < deadline:
            shell.term.pump(0.05)
        shell.term.wait_for(r"tables and views")
        shell.term.press("/")                        # keys work again: the prompt opens
        shell.term.wait_for(r"table name:")
        shell.term.press("esc")
        shell.term.settle()                          # Esc then q at once would read as Alt-q
        start = len(shell.raw)
        shell.term.send("q")
        shell.wait_for_prompt(start)
        assert "Stopped" not in shell.command("jobs")
    finally:
        shell.term.close()
