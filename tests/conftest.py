"""Shared fixtures: databases on disk and the whole app run headless on the
real reactor (pytest-twisted) with its real thread pools."""

from __future__ import annotations

import re
import sqlite3
import time

import pytest
import urwid.testing
from twisted.internet import reactor, task

from console.app import App
from storage.database import Database
from storage.demo import create_demo
from storage.targets import parse_target


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path_factory, monkeypatch):
    """Nothing a test runs may touch the real home directory."""
    base = tmp_path_factory.mktemp("xdg")
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(base / var.lower()))


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """The default demo database, built once per session; tests must not write to it."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    create_demo(path)
    return path


def make_db(path, script: str):
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def opened():
    """opened(path, read_only=..., threads=...) -> Database on the real reactor; every one is closed after the test."""
    made = []

    def make(p, *, read_only=True, threads=3):
        db = Database(parse_target(str(p), read_only=read_only), reactor, threads=threads)
        made.append(db)
        return db
    yield make
    for db in made:
        db.close()


class HeadlessScreen(urwid.testing.ScriptedScreen):
    """A screen with no terminal: keeps the last frame and takes keys from the test."""

    def draw_screen(self, size, canvas):
        self.draw_count += 1
        self.canvases[-1:] = [canvas]

    def send(self, keys: list[str]) -> None:
        self._callback(keys, [])

    # What the app writes to the terminal beside the drawing (OSC 52: the clipboard), as the raw screen has it.
    written: list[str]

    def write(self, data: str) -> None:
        self.__dict__.setdefault("written", []).append(data)

    def flush(self) -> None:
        pass


class Harness:
    def __init__(self, path, *, size=(100, 30), read_only=False, theme="dark", models=None):
        from console.main import open_journal  # the app's own journal, in the test's XDG_DATA_HOME
        self.db = Database(parse_target(str(path), read_only=read_only), reactor, **open_journal())
        try:
            self.screen = HeadlessScreen(size=size)
            self.app = App(self.db, reactor, display=self.screen, manage_reactor=False, theme=theme, models=models)
            self.app.start()
        except BaseException:
            self.db.close()     # its worker threads would keep the test process alive
            raise

    @property
    def text(self) -> str:
        self.app.loop.draw_screen()
        return "\n".join(line.rstrip() for line in self.screen.last_text)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def status(self) -> str:
        """The status line (second to last row)."""
        return self.lines[-2]

    @property
    def message(self) -> str:
        return self.lines[-1]

    def press(self, *keys: str) -> None:
        for key in keys:
            self.screen.send([key])

    def type(self, text: str) -> None:
        self.press(*list(text))

    def resize(self, cols: int, rows: int) -> None:
        self.screen.size = (cols, rows)
        self.screen.send(["window resize"])

    async def wait_for(self, pattern: str, *, timeout: float = 10.0, where: str = "text") -> re.Match:
        """Poll the rendered screen until *pattern* matches (the reactor keeps running meanwhile)."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, getattr(self, where), re.M)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not on screen after {timeout}s:\n{self.text}")
            await task.deferLater(reactor, 0.01, lambda: None)

    async def idle(self) -> None:
        """Wait until no query runs."""
        deadline = time.monotonic() + 10
        while self.db.worker.running:
            if time.monotonic() > deadline:
                jobs = [(j.label, j.cancelled) for j in self.db.worker.running.values()]
                raise AssertionError(f"queries still running after 10s: {jobs}")
            await task.deferLater(reactor, 0.01, lambda: None)
        await task.deferLater(reactor, 0.02, lambda: None)

    def close(self) -> None:
        self.app.quit()
        self.app.loop.stop()
        self.db.close()
        assert self.app.crashed is None, f"the app crashed: {self.app.crashed!r}"


@pytest.fixture
def harness():
    """harness(path, size=..., read_only=...) -> a started app; closed after the test."""
    made = []

    def make(path, **kw):
        h = Harness(path, **kw)
        made.append(h)
        return h
    yield make
    for h in made:
        h.close()


# The server fixtures: pg_schema and mysql_database, a namespace of its own per test on the real servers;
# private_server, a PostgreSQL server of the module's own that asks for a password and may be stopped.
from tests.pg_private import private_server  # noqa: E402, F401
from tests.servers import mysql_database, pg_schema  # noqa: E402, F401
