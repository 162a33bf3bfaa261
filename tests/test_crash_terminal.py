"""A hard crash of rowdesk started from an interactive shell, as a user has it: bash in a pseudo-terminal
that is its controlling terminal, rowdesk a foreground job. The shell takes the terminal back (tcsetpgrp)
and restores its own modes the moment the process dies, so the watcher (console/guardian.py) finds itself
in a background process group. Whatever the race, the user must get the terminal back: out of the
alternate screen, cursor shown, the watcher's message, and a next command that is echoed once, runs
with cooked modes and gives the prompt back. Not checked, as no watcher can promise it: that the
shell's first prompt comes after the watcher's output. When the shell is quicker (about 7 runs in
100 here), that prompt was drawn in the alternate screen and shows again only after Enter.

Ten segfaults and ten `kill -9` of the main process, as root and as `nobody`.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import signal
import sqlite3
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.terminal import Terminal
from tests.test_e2e import rowdesk_command

RUNS = 10
PROMPT = b"shell-ready$ "
ALT_ON, ALT_OFF = b"\x1b[?1049h", b"\x1b[?1049l"
CURSOR_OFF, CURSOR_ON = b"\x1b[?25l", b"\x1b[?25h"
MESSAGE = b"rowdesk: died of a fatal error; the terminal was restored"
ROOT = Path(__file__).resolve().parents[1]


class Shell:
    """An interactive bash whose controlling terminal is a pty, driven as a user types into it."""

    def __init__(self, argv: list[str], *, home: Path, owner: tuple[int, int] | None = None, setup: str = ""):
        env = {"PS1": PROMPT.decode(), "PROMPT_COMMAND": "", "HISTFILE": "/dev/null", "HOME": str(home),
               **{var: str(home / var.lower()) for var in
                  ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}}
        self.term = Terminal(argv + ["bash", "--norc", "--noprofile", "-i"], env=env, controlling=True,
                             owner=owner)
        self.wait_for_prompt(0)
        # No core files: these runs are about the terminal, and a core per run costs time and disk.
        self.command("ulimit -S -c 0")
        if setup:
            self.command(setup)

    @property
    def raw(self) -> bytes:
        return self.term.raw

    def wait_for_prompt(self, since: int, timeout: float = 20) -> None:
        """Until the shell waits at a prompt written after *since* (after a line was entered, if any)."""
        deadline = time.monotonic() + timeout
        while not (self.raw.endswith(PROMPT) and (since == 0 or b"\n" in self.raw[since:])):
            if time.monotonic() > deadline:
                raise AssertionError(f"no prompt after {timeout}s; the shell wrote {self.raw[since:][-600:]!r}")
            self.term.pump(0.05)

    def command(self, line: str) -> str:
        """Run *line*; its output, up to the next prompt."""
        start = len(self.raw)
        self.term.send(line + "\r")
        self.wait_for_prompt(start)
        out = self.raw[start:]
        echoed = out.find(b"\n")
        # Without readline's own sequences around a command's run (bracketed paste off, then on).
        return re.sub(rb"\x1b\[\?2004[hl]", b"", out[echoed + 1:-len(PROMPT)]).decode(errors="replace")

    def foreground(self) -> int:
        """The terminal's foreground process group: the shell's own, or its running job's."""
        return os.tcgetpgrp(self.term.fd)

    def close(self) -> None:
        self.term.close()


def crash_once(shell: Shell, command: str, *, kill: bool) -> list[str]:
    """Start rowdesk, let it die hard; what is wrong with the terminal afterwards (nothing: [])."""
    start = len(shell.raw)
    shell.term.send(command + "\r")
    out = b""
    deadline = time.monotonic() + 20
    # Started: in the alternate screen (the segfault comes 0.3 s later); to be killed: the tables drawn.
    started = b"order_lines" if kill else ALT_ON
    while started not in out[out.find(ALT_ON):] and time.monotonic() < deadline:
        shell.term.pump(0.02)
        out = shell.raw[start:]
    if ALT_ON not in out or started not in out[out.find(ALT_ON):]:
        return [f"rowdesk did not start: {out[-400:]!r}"]
    if kill:
        job = shell.foreground()
        if job == shell.term.proc.pid:
            return [f"rowdesk was not the foreground job: {out[-400:]!r}"]
        os.kill(job, signal.SIGKILL)      # the main process only: the watcher is in its process group
    # The shell takes the terminal back when the job is dead; the watcher acts at about the same moment.
    while shell.foreground() != shell.term.proc.pid and time.monotonic() < deadline:
        shell.term.pump(0.02)
    settled = time.monotonic() + 3
    while time.monotonic() < settled:
        shell.term.pump(0.02)
        out = shell.raw[start:]
        if MESSAGE in out and PROMPT in out[out.rfind(ALT_ON):]:
            break
    shell.term.settle(quiet=0.1, limit=1)
    out = shell.raw[start:]
    problems = []
    if out.rfind(ALT_OFF) < out.rfind(ALT_ON):
        problems.append("left in the alternate screen")
    if out.rfind(CURSOR_ON) < out.rfind(CURSOR_OFF):
        problems.append("cursor hidden")
    if MESSAGE not in out:
        problems.append("no message from the watcher")
    # The next command: echoed once (readline's modes were left alone), and it gets cooked modes.
    line = "stty -a"
    before = len(shell.raw)
    modes = shell.command(line).split()
    echoes = shell.raw[before:].count(line.encode())
    if echoes != 1:
        problems.append(f"the next command line was echoed {echoes} times")
    if "echo" not in modes or "icanon" not in modes:
        problems.append(f"the next command runs with {' '.join(m for m in modes if 'echo' in m or 'icanon' in m)}")
    return problems


def crash_series(shell: Shell, command: str, *, kill: bool) -> list[str]:
    failures = []
    for run in range(1, RUNS + 1):
        problems = crash_once(shell, command, kill=kill)
        if problems:
            failures.append(f"{'kill -9' if kill else 'segfault'} run {run}: {', '.join(problems)}")
    return failures


def crash_runs(open_shell: Callable[[], Shell], db: Path, uid: int) -> None:
    """Ten segfaults in one shell and ten `kill -9` in another, side by side (two cores: half the time)."""
    base = shlex.join([*rowdesk_command(), str(db), "--read-only"])
    shells = [open_shell(), open_shell()]
    try:
        for shell in shells:
            assert shell.command("id -u").strip() == str(uid)
        with ThreadPoolExecutor(max_workers=2) as pool:
            segfaults = pool.submit(crash_series, shells[0], base + " --crash-test segfault", kill=False)
            kills = pool.submit(crash_series, shells[1], base, kill=True)
            failures = segfaults.result() + kills.result()
    finally:
        for shell in shells:
            shell.close()
    assert not failures, f"{len(failures)} of {2 * RUNS} hard crashes left the terminal broken:\n" + \
        "\n".join(failures)


def test_hard_crashes_from_a_shell_give_the_terminal_back_as_root(demo_db, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the root half of this test needs root")
    crash_runs(lambda: Shell([], home=tmp_path), demo_db, 0)


# ------------------------------------------------------------------- as nobody


def _searchable(directory: Path, uid: int, gid: int) -> bool:
    st = directory.stat()
    bit = stat.S_IXUSR if st.st_uid == uid else stat.S_IXGRP if st.st_gid == gid else stat.S_IXOTH
    return bool(st.st_mode & bit)


def _unblocking_mounts(paths: list[Path], uid: int, gid: int, stages: Path) -> str:
    """Shell commands, for a private mount namespace, that let *uid* reach *paths*.

    The interpreter may live where that user cannot go (pyenv under /root, mode 0700): each directory
    the user cannot search is covered by a searchable tmpfs holding bind mounts of just the entries on
    the way to *paths*. Nothing outside the namespace changes, and it all goes when the shell ends."""
    blocked: dict[Path, set[str]] = {}
    for path in paths:
        path = path.resolve()
        for parent in reversed(path.parents):
            if not _searchable(parent, uid, gid):
                blocked.setdefault(parent, set()).add(path.relative_to(parent).parts[0])
    lines = []
    for number, (directory, entries) in enumerate(sorted(blocked.items(), key=lambda item: len(item[0].parts))):
        stage = stages / str(number)
        stage.mkdir(parents=True)
        lines.append(f"mount -t tmpfs -o mode=0755 rowdesk-test {shlex.quote(str(stage))}")
        for entry in sorted(entries):
            inside, outside = shlex.quote(str(stage / entry)), shlex.quote(str(directory / entry))
            lines.append(f"{'mkdir' if (directory / entry).is_dir() else 'touch'} {inside}")
            lines.append(f"mount --bind {outside} {inside}")
        lines.append(f"mount --rbind {shlex.quote(str(stage))} {shlex.quote(str(directory))}")
    return "\n".join(lines)


@pytest.fixture
def nobody_home(tmp_path):
    """A home directory of nobody's, outside root's private temporary directories."""
    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user on this system")
    home = Path(tempfile.mkdtemp(prefix="rowdesk-crash-"))
    os.chown(home, user.pw_uid, user.pw_gid)
    yield user, home
    shutil.rmtree(home, ignore_errors=True)


def test_hard_crashes_from_a_shell_give_the_terminal_back_as_nobody(demo_db, nobody_home, tmp_path):
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("setpriv") is None:
        pytest.skip("needs root, unshare and setpriv to start a shell as nobody")
    user, home = nobody_home
    uid, gid = user.pw_uid, user.pw_gid
    db = home / "demo.sqlite"
    source, copy = sqlite3.connect(demo_db), sqlite3.connect(db)
    source.backup(copy)
    source.close()
    copy.close()
    os.chown(db, uid, gid)
    reach = [Path(sys.base_prefix), Path(sys.prefix), Path(rowdesk_command()[0]), ROOT, home]
    mounts = _unblocking_mounts(reach, uid, gid, tmp_path / "stages")
    become = f"exec setpriv --reuid={uid} --regid={gid} --clear-groups --"
    # TOSTOP on: a background process's write stops it too, unless it ignores SIGTTOU.
    crash_runs(lambda: Shell(["unshare", "--mount", "--propagation", "private", "--", "sh", "-ec",
                              f'{mounts}\n{become} "$@"', "sh"], home=home, owner=(uid, gid), setup="stty tostop"),
               db, uid)
