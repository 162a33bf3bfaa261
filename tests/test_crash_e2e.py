"""Each kind of crash, provoked in a pseudo-terminal: the terminal comes back,
and evidence is left that names what was open. (That a report masks passwords
is tested on the report itself, in test_crash_report.)"""

import os
import re
import termios
import time
from pathlib import Path

import pytest

from console import coredump
from tests.terminal import Terminal
from tests.test_e2e import rowdesk_command


def _terminal_is_cooked(t: Terminal) -> bool:
    lflag = termios.tcgetattr(t.fd)[3]
    return bool(lflag & termios.ECHO) and bool(lflag & termios.ICANON)


@pytest.mark.parametrize("kind", ["key", "callback", "thread"])
def test_python_crash_restores_terminal_and_writes_masked_report(kind, demo_db):
    t = Terminal(rowdesk_command() + [str(demo_db), "--read-only", "--crash-test", kind])
    try:
        assert t.wait_exit(timeout=20) == 70
        assert b"\x1b[?1049l" in t.raw                  # left the alternate screen
        assert _terminal_is_cooked(t)
        t.wait_for(r"crash report: ")
        state_dir = Path(os.environ["XDG_STATE_HOME"]) / "rowdesk"
        reports = sorted(state_dir.glob("crash-*.txt"))
        assert len(reports) == 1
        assert reports[0].name[:20] in t.text.replace("\n", "")
        report = reports[0].read_text()
        assert f"crash test ({kind}) while connected to sqlite://{demo_db}" in report
        assert "Traceback" in report and "tables" in report
        assert "db.example" not in report and "db.example" not in t.text
    finally:
        t.close()


def test_segfault_restores_terminal_and_leaves_traceback_and_core(demo_db, tmp_path):
    state = coredump.read_state()
    t = Terminal(rowdesk_command() + [str(demo_db), "--read-only", "--dump-core", "--crash-test", "segfault"],
                 cwd=tmp_path)
    try:
        t.wait_exit(timeout=20)
        assert t.proc.returncode == -11                   # SIGSEGV
        flat = "".join(line.rstrip() for line in t.screen.display)
        assert "died of a fatal error; the terminal was restored" in flat
        assert _terminal_is_cooked(t)
        fault_log = Path(os.environ["XDG_STATE_HOME"]) / "rowdesk" / "faulthandler.log"
        assert "Segmentation fault" in fault_log.read_text()
        pattern = state.core_pattern or ""
        if not re.fullmatch(r"[\w.%-]+", pattern) or state.hard == 0:
            pytest.skip(f"core pattern {pattern!r} / hard limit {state.hard}: no core file in the cwd to check")
        cores = [p for p in tmp_path.iterdir() if p.name.startswith("core")]
        assert cores, f"no core file in {tmp_path} with pattern {pattern!r}"
    finally:
        t.close()


def test_segfault_turns_off_the_reports_the_terminal_was_asked_for(demo_db):
    """A terminal that answers urwid's DECRQM queries gets focus reports and bracketed paste turned on;
    left on after a hard crash, the shell would read them as typed text (`^[[I`, `^[[200~`)."""
    t = Terminal(rowdesk_command() + [str(demo_db), "--read-only", "--crash-test", "segfault"])
    try:
        deadline = time.monotonic() + 15
        while b"\x1b[?1004$p" not in t.raw and time.monotonic() < deadline:
            t.pump(0.02)
        os.write(t.fd, b"\x1b[?1004;2$y\x1b[?2004;2$y")       # both known, both off now
        t.wait_exit(timeout=20)
        assert t.proc.returncode == -11
        for mode in (b"1004", b"2004"):
            assert t.raw.rfind(b"\x1b[?" + mode + b"h") >= 0, f"urwid did not turn on mode {mode}"
            assert t.raw.rfind(b"\x1b[?" + mode + b"l") > t.raw.rfind(b"\x1b[?" + mode + b"h"), mode
    finally:
        t.close()
