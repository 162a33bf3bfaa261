"""A program in a pseudo-terminal, read through a terminal emulator (pyte), as a user sees it.

Used by the end-to-end tests and by screenshots/make.py."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

import pyte

KEYS = {"enter": "\r", "esc": "\x1b", "tab": "\t", "backspace": "\x7f", "up": "\x1b[A", "down": "\x1b[B",
        "right": "\x1b[C", "left": "\x1b[D", "home": "\x1b[H", "end": "\x1b[F", "page up": "\x1b[5~",
        "page down": "\x1b[6~", "f1": "\x1bOP", "f2": "\x1bOQ", "f4": "\x1bOS", "ctrl c": "\x03",
        "ctrl s": "\x13", "ctrl u": "\x15", "ctrl n": "\x0e", "ctrl o": "\x0f", "ctrl e": "\x05",
        "shift tab": "\x1b[Z", "delete": "\x1b[3~"}


class Terminal:
    def __init__(self, argv: list[str], *, cols: int = 100, rows: int = 30, env: dict | None = None, cwd=None,
                 preexec_fn=None, inherit_env: bool = True, controlling: bool = False,
                 owner: tuple[int, int] | None = None):
        """*controlling*: the pty becomes the program's controlling terminal, as a login shell has it (job
        control, SIGHUP on hang-up); otherwise the program runs in a session with no terminal of its own.
        *owner*: (uid, gid) given the pty, as a login gives the user their terminal."""
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        if owner is not None:
            os.fchown(slave, *owner)
        full_env = {**(os.environ if inherit_env else {}), "TERM": "xterm-256color", **(env or {})}
        setup = preexec_fn
        if controlling:
            def setup():
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)   # stdin is the pty; we are a new session's leader
                if preexec_fn is not None:
                    preexec_fn()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=full_env,
                                     start_new_session=True, close_fds=True, cwd=cwd, preexec_fn=setup)
        os.close(slave)
        self.fd = master
        self.raw = b""
        self.eof = False

    def pump(self, timeout: float) -> bool:
        """Read what is there (waiting at most *timeout*); True if something arrived."""
        if self.eof:
            time.sleep(timeout)
            return False
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:            # EIO: the program has gone and the pty is closed
            data = b""
        if not data:
            self.eof = True
            return False
        self.raw += data
        self.stream.feed(data)
        return True

    @property
    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def framed(self) -> str:
        bar = "+" + "-" * self.screen.columns + "+"
        return "\n".join([bar, *("|" + line + "|" for line in self.screen.display), bar])

    def wait_for(self, pattern: str, timeout: float = 15.0) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.text, re.M)
            if m:
                return m
            if time.monotonic() > deadline:
                gone = " (the program has exited)" if self.proc.poll() is not None else ""
                raise AssertionError(f"{pattern!r} not on the terminal after {timeout:.0f}s{gone}:\n{self.framed()}")
            self.pump(0.05)

    def settle(self, quiet: float = 0.4, limit: float = 4.0) -> None:
        """Let the program finish drawing: until nothing arrived for *quiet* seconds (at most *limit*)."""
        deadline = time.monotonic() + limit
        last = time.monotonic()
        while time.monotonic() < deadline:
            if self.pump(0.05):
                last = time.monotonic()
            elif time.monotonic() - last >= quiet:
                return

    def send(self, text: str) -> None:
        """*text* written at once, as a paste arrives (press types one key at a time)."""
        os.write(self.fd, text.encode())
        self.pump(0)

    def press(self, *keys: str) -> None:
        """Named keys (KEYS) or plain text, typed one character at a time."""
        for key in keys:
            for piece in ([KEYS[key]] if key in KEYS else list(key)):
                os.write(self.fd, piece.encode())
                time.sleep(0.02)
                self.pump(0)

    def wait_exit(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout}s:\n{self.text}")
            self.pump(0.05)
        self.pump(0.05)
        return self.proc.returncode

    def hang_up(self) -> None:
        """Close the terminal's side, as when its window is closed or the connection drops: the program's
        input ends, and if the pty is its controlling terminal the kernel sends it SIGHUP."""
        os.close(self.fd)
        self.fd = -1
        self.eof = True

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
