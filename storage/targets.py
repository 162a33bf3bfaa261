"""Turning the operator's TARGET (a path or a connection URI) into a checked connection spec.

Every failure is a `TargetError` with one line fit for stderr: the CLI prints it
and exits non-zero, before any terminal set-up. Each engine checks its own
targets (SQLite files: storage.backends.sqlite_files).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from storage.secrets import mask_secrets

SERVER_SCHEMES = {"postgres", "postgresql", "mysql", "mariadb"}
# How long the start-up check, and a job, wait for another process to release its lock on a file.
LOCK_WAIT = 30.0


class TargetError(Exception):
    """A TARGET that cannot be opened; str() is the message for the operator."""


@dataclass(frozen=True)
class Target:
    scheme: str          # the engine: "sqlite", "postgres" or "mysql"
    uri: str             # what was asked for, never with a password (that is `password`); shown as `display`
    path: Path | None    # SQLite file
    read_only: bool
    immutable: bool = False      # SQLite immutable=1: no locks, nothing created, others' changes unseen
    notes: tuple[str, ...] = ()  # for the operator, one line each: how the file was opened and what it means
    identity: tuple[int, int] | None = None   # (st_dev, st_ino) of the file that was checked
    # Servers:
    host: str | None = None
    port: int | None = None
    user: str | None = None
    database: str | None = None
    schema: str | None = None                 # PostgreSQL: the schema asked for (?schema=), shown first
    options: tuple[tuple[str, str], ...] = ()
    password: str | None = field(default=None, repr=False, compare=False)   # never in a repr, log or report

    @property
    def display(self) -> str:
        """The target as shown: a password it holds appears as *** (it is there, and never shown)."""
        if self.password and self.user and "://" in self.uri:
            scheme, rest = self.uri.split("://", 1)
            user, at, host = rest.partition("@")
            if at:
                return mask_secrets(f"{scheme}://{user}:***@{host}")
        return mask_secrets(self.uri)

    @property
    def is_server(self) -> bool:
        return self.scheme != "sqlite"


def parse_target(text: str, *, read_only: bool = False, on_wait: Callable[[str], None] | None = None,
                 lock_wait: float = LOCK_WAIT) -> Target:
    """Check *text* and return a Target; raise TargetError with a one-line reason.

    When another process holds a lock on the file, the check waits for it (at most *lock_wait* seconds), and
    calls on_wait(message) once as the waiting starts: the CLI prints it, so the wait is never silent."""
    from storage.backends.sqlite_files import sqlite_target

    if "://" in text or text.startswith("sqlite:"):
        scheme = text.split(":", 1)[0].lower()
        if scheme in SERVER_SCHEMES:
            from storage.backends.server_targets import server_target

            return server_target(text, read_only=read_only)
        if scheme != "sqlite":
            raise TargetError(f"{mask_secrets(text)}: unknown scheme {scheme!r} (expected a SQLite file, "
                              "sqlite:///path, postgres://… or mysql://…)")
    return sqlite_target(text, read_only=read_only, on_wait=on_wait, lock_wait=lock_wait)
