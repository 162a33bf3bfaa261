"""A watcher that gives the terminal back when rowdesk dies without cleaning up.

Python cannot run code after a segfault or a SIGKILL, so a small child process,
forked before any database is opened, holds the read end of a pipe. When
rowdesk ends normally it says so on the pipe; if the pipe closes without that
word, the process died hard, and the child leaves the alternate screen, shows
the cursor, says where the evidence is, and restores the terminal modes saved
at start unless a shell has already taken the terminal back with its own.
"""

from __future__ import annotations

import os
import signal
import termios

from console.crash import RESET_SEQUENCE

CLEAN = b"clean"


class Guardian:
    def __init__(self, write_fd: int, pid: int):
        self._fd = write_fd
        self.pid = pid

    def dismiss(self) -> None:
        """rowdesk is ending on its own terms: the watcher leaves the terminal alone."""
        if self._fd < 0:
            return
        try:
            os.write(self._fd, CLEAN)
            os.close(self._fd)
        except OSError:
            pass
        self._fd = -1
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def start(message: str) -> Guardian | None:
    """Fork the watcher; None when stdin is not a terminal (nothing to restore)."""
    if not os.isatty(0):
        return None
    try:
        attrs = termios.tcgetattr(0)
    except termios.error:
        return None
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(read_fd)
        return Guardian(write_fd, pid)
    # The watcher: no Python cleanup of the parent's state may run here, hence os._exit.
    try:
        os.close(write_fd)
        # SIGTTOU ignored: once the shell has the terminal back, a write from this background process
        # group would stop the watcher when TOSTOP is set.
        for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGHUP, signal.SIGTTOU):
            signal.signal(sig, signal.SIG_IGN)
        said = b""
        while chunk := os.read(read_fd, 64):
            said += chunk
        if CLEAN not in said:
            _give_back(attrs, message.encode(errors="replace"))
    finally:
        os._exit(0)


def _give_back(attrs: list, message: bytes) -> None:
    """Undo what the dead process left on the terminal, without taking it from whoever has it now.

    An interactive shell takes the terminal back (tcsetpgrp) the moment its job dies, restores its own
    modes and draws its prompt: the watcher races it, from what is now a background process group.
    The screen first, at once: a prompt drawn before this, in the alternate screen, would be lost.
    """
    for fd, data in ((1, RESET_SEQUENCE), (2, message)):
        try:
            os.write(fd, data)
        except OSError:
            pass
    # The kernel decides, in one call, whether the modes are still ours to set: tcsetattr succeeds
    # while the watcher's group has the terminal and fails once the shell has it (EIO in an orphaned
    # group, else SIGTTOU, caught so that it interrupts the call instead of being ignored). Setting
    # them anyway would undo the shell's modes, and readline's while it reads the next line.
    signal.signal(signal.SIGTTOU, lambda *_: None)
    try:
        termios.tcsetattr(0, termios.TCSANOW, attrs)
    except termios.error:
        pass
