"""console.crash: reports without secrets, faulthandler output, terminal restore, thread hook."""

from __future__ import annotations

import os
import re
import resource
import select
import signal
import stat
import subprocess
import sys
import tempfile
import termios
import textwrap
import threading
import tty
from pathlib import Path

import pytest

from console import crash

ROOT = Path(__file__).resolve().parents[1]
SECRET_URI = "postgres://bob:hunter2@db/x"
SECRET_QUERY = "mysql://bob@db/x?charset=utf8&password=hunter2"


@pytest.fixture
def state_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state/rowdesk"


def fail_deep_inside() -> None:
    raise RuntimeError(f"cannot connect to {SECRET_URI} nor {SECRET_QUERY}")


def caught() -> RuntimeError:
    try:
        fail_deep_inside()
    except RuntimeError as error:
        return error
    raise AssertionError("not raised")


def make_log(tmp_path: Path) -> Path:
    lines = [f"log line {n}" for n in range(1, 101)]
    lines[97] = f"log line 98 opening {SECRET_URI}"
    lines[98] = f"log line 99 opening {SECRET_QUERY}"
    log = tmp_path / "rowdesk.log"
    log.write_text("\n".join(lines) + "\n")
    return log


def test_report_has_everything_but_secrets(state_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["rowdesk", "--uri", SECRET_URI, SECRET_QUERY])
    path = crash.write_report(caught(), screen_stack=["Targets", "Table sales.orders"],
                              log_path=make_log(tmp_path), version="9.8.7", extra={"target": SECRET_URI})
    assert path.parent == state_dir
    assert re.fullmatch(rf"crash-\d{{8}}-\d{{6}}-{os.getpid()}\.txt", path.name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "hunter2" not in text
    assert "rowdesk 9.8.7" in text
    assert f"Python {sys.version.split()[0]}" in text
    assert "Targets\nTable sales.orders\n" in text
    assert "in fail_deep_inside" in text and "RuntimeError: cannot connect to postgres://bob:***@db/x" in text
    assert "argv rowdesk --uri postgres://bob:***@db/x mysql://bob@db/x?charset=utf8&password=***" in text
    assert "target: postgres://bob:***@db/x" in text
    log_lines = [line for line in text.splitlines() if line.startswith("log line ")]
    assert [line.split()[2] for line in log_lines] == [str(n) for n in range(51, 101)]


def test_report_accepts_exc_info_and_missing_log(state_dir):
    try:
        fail_deep_inside()
    except RuntimeError:
        path = crash.write_report(sys.exc_info(), screen_stack=[], log_path=None, version="1")
    text = path.read_text()
    assert "in fail_deep_inside" in text and "(no log file)" in text and "hunter2" not in text


def test_report_with_unreadable_log_still_written(state_dir, tmp_path):
    path = crash.write_report(caught(), screen_stack=["A"], log_path=tmp_path / "missing.log", version="1")
    text = path.read_text()
    assert "unreadable" in text and "in fail_deep_inside" in text


def test_two_reports_in_the_same_second_do_not_overwrite(state_dir, monkeypatch):
    monkeypatch.setattr(crash, "_report_name", lambda: "crash-fixed")
    first = crash.write_report(caught(), screen_stack=["one"], log_path=None, version="1")
    second = crash.write_report(caught(), screen_stack=["two"], log_path=None, version="1")
    assert first != second
    assert "one" in first.read_text() and "two" in second.read_text()


def test_report_falls_back_to_temp_dir(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))  # state_dir() cannot be created under a file
    fallback = tmp_path / "tmp"
    fallback.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(fallback))
    path = crash.write_report(caught(), screen_stack=["A"], log_path=None, version="1")
    assert path.parent == fallback
    assert "in fail_deep_inside" in path.read_text()


def test_report_never_raises(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    monkeypatch.setattr(tempfile, "tempdir", str(blocker / "nope"))
    path = crash.write_report(caught(), screen_stack=[object()], log_path=None, version="1")
    assert path == Path("<stderr>")
    err = capsys.readouterr().err
    assert "in fail_deep_inside" in err and "hunter2" not in err


# ------------------------------------------------------------------ faulthandler


def test_faulthandler_leaves_a_traceback_after_a_segfault(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_STATE_HOME": str(tmp_path / "state")}
    script = textwrap.dedent("""
        import faulthandler
        from console import crash
        def segfault_here():
            faulthandler._sigsegv()
        print(crash.enable_faulthandler(), flush=True)
        segfault_here()
    """)
    no_core = resource.getrlimit(resource.RLIMIT_CORE)[1]
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=30,
                              preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, no_core)))
        assert done.returncode == -signal.SIGSEGV, done.stderr
    log = tmp_path / "state/rowdesk/faulthandler.log"
    assert done.stdout.strip() == str(log)
    text = log.read_text()
    assert text.count("Fatal Python error: Segmentation fault") == 2  # appended, not overwritten
    assert text.count("--- rowdesk pid") == 2
    assert 'line 5 in segfault_here' in text


# ---------------------------------------------------------------------- terminal


def test_restore_terminal_resets_screen_and_modes(monkeypatch):
    monkeypatch.setattr(crash, "_saved_terminal", None)
    master, slave = os.openpty()
    try:
        saved = termios.tcgetattr(slave)
        assert crash.save_terminal_state(slave)
        tty.setraw(slave)
        assert termios.tcgetattr(slave) != saved
        crash.restore_terminal(out_fd=slave)
        assert termios.tcgetattr(slave) == saved
        ready, _, _ = select.select([master], [], [], 2)
        assert ready
        written = os.read(master, 4096)
        for sequence in (b"\x1b[?1049l", b"\x1b[?25h", b"\x1b[0m", b"\x1b[?1000l", b"\x1b[?1006l"):
            assert sequence in written
    finally:
        os.close(master)
        os.close(slave)


def test_terminal_helpers_never_raise(monkeypatch):
    monkeypatch.setattr(crash, "_saved_terminal", None)
    read_end, write_end = os.pipe()
    try:
        assert crash.save_terminal_state(read_end) is False  # a pipe is not a terminal
    finally:
        os.close(read_end)
        os.close(write_end)
    monkeypatch.setattr(crash, "_saved_terminal", (read_end, [0, 0, 0, 0, 0, 0, []]))  # fd now closed
    crash.restore_terminal(out_fd=read_end)


# ------------------------------------------------------------------------ threads


def test_thread_exceptions_reach_the_callback(monkeypatch):
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)  # undone after the test
    seen: list[BaseException] = []
    crash.install_thread_excepthook(seen.append)

    def boom():
        raise ValueError("worker failed")

    def leave():
        raise SystemExit(0)

    for target in (boom, leave):
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    assert len(seen) == 1
    assert isinstance(seen[0], ValueError) and seen[0].__traceback__ is not None


def test_failing_callback_falls_back_to_previous_hook(monkeypatch):
    reported = []
    monkeypatch.setattr(threading, "excepthook", lambda args: reported.append(args.exc_value))

    def broken(exc):
        raise OSError("disk full")

    previous = crash.install_thread_excepthook(broken)
    assert previous is not threading.excepthook
    thread = threading.Thread(target=fail_deep_inside)
    thread.start()
    thread.join()
    assert len(reported) == 1 and isinstance(reported[0], RuntimeError)
