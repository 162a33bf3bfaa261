"""A terminal that hangs up (window closed, connection dropped) ends rowdesk as a quit does: one line
in the log, no crash report, no traceback, the watcher dismissed."""

import os
import signal
from pathlib import Path

import pytest

from tests.terminal import Terminal
from tests.test_e2e import rowdesk_command

WATCHER_MESSAGE = "died of a fatal error"


def state_dir() -> Path:
    return Path(os.environ["XDG_STATE_HOME"]) / "rowdesk"


@pytest.mark.parametrize("how", [
    "window closed",      # the pty is the controlling terminal: SIGHUP, and the input ends
    "input closed",       # no controlling terminal: only the end of input
    "closed at start",    # the same before the first draw, before the reactor runs
    "SIGHUP",             # the signal alone (kill -HUP, or a shell passing on its own hang-up)
])
def test_hang_up_is_a_quiet_ordinary_exit(how, demo_db):
    # A draw can come before the hang-up is noticed, and fail: a closed window, three times over.
    for _ in range(3 if how == "window closed" else 1):
        t = Terminal(rowdesk_command() + [str(demo_db), "--read-only"], controlling=how == "window closed")
        try:
            if how != "closed at start":
                t.wait_for(r"order_lines")
            if how == "SIGHUP":
                os.kill(t.proc.pid, signal.SIGHUP)
            else:
                t.hang_up()
            assert t.wait_exit(timeout=15) == 0
            if how == "SIGHUP":          # the terminal is still there: given back as after a quit
                assert t.raw.rfind(b"\x1b[?1049l") > t.raw.rfind(b"\x1b[?1049h")
                assert WATCHER_MESSAGE not in t.text
        finally:
            t.close()
    assert not list(state_dir().glob("crash-*.txt"))
    log = (state_dir() / "rowdesk.log").read_text()
    assert "Traceback" not in log and " ERROR " not in log, log
    hung_up = [line for line in log.splitlines() if "hung up" in line]
    assert len(hung_up) == (3 if how == "window closed" else 1) and all(" INFO " in line for line in hung_up), log
