"""A program in a pseudo-terminal, read through a terminal emulator (pyte), as a user sees it."""

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

KEYS = {"enter": "\r", "esc": "\x1b", "down": "\x1b[B", "up": "\x1b[A", "right": "\x1b[C", "left": "\x1b[D",
        "page down": "\x1b[6~", "page up": "\x1b[5~", "home": "\x1b[H", "end": "\x1b[F", "ctrl c": "\x03"}


class Terminal:
    def __init__(self, argv: list[str], *, cols: int = 100, rows: int = 30, env: dict | None = None, cwd=None,
                 preexec_fn=None):
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=full_env,
                                     start_new_session=True, close_fds=True, cwd=cwd,
                                     preexec_fn=preexec_fn)
        os.close(slave)
        self.fd = master
        self.raw = b""

    def _pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            self.raw += data
            self.stream.feed(data)

    @property
    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, pattern: str, timeout: float = 15.0) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.text, re.M)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not on the terminal after {timeout}s:\n{self.text}")
            self._pump(0.05)

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.fd, KEYS.get(key, key).encode())
            time.sleep(0.02)

    def wait_exit(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout}s:\n{self.text}")
            self._pump(0.05)
        self._pump(0.05)
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.fd)
