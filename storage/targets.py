"""Turning the operator's TARGET (a path or a connection URI) into a checked connection spec.

Every failure is a `TargetError` with one line fit for stderr: the CLI prints it
and exits non-zero, before any terminal set-up.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from storage.secrets import mask_secrets

SQLITE_MAGIC = b"SQLite format 3\x00"
SERVER_SCHEMES = {"postgres", "postgresql", "mysql", "mariadb"}


class TargetError(Exception):
    """A TARGET that cannot be opened; str() is the message for the operator."""


@dataclass(frozen=True)
class Target:
    scheme: str          # "sqlite" for now; server schemes come with their backends
    uri: str             # the full URI, password included: never show it, use `display`
    path: Path | None    # SQLite file
    read_only: bool

    @property
    def display(self) -> str:
        return mask_secrets(self.uri)


def parse_target(text: str, *, read_only: bool = False) -> Target:
    """Check *text* and return a Target; raise TargetError with a one-line reason."""
    if "://" in text or text.startswith("sqlite:"):
        scheme = text.split(":", 1)[0].lower()
        if scheme == "sqlite":
            return _sqlite_target(_sqlite_uri_path(text), read_only)
        if scheme in SERVER_SCHEMES:
            raise TargetError(f"{mask_secrets(text)}: {scheme} servers are not supported by this version yet")
        raise TargetError(f"{mask_secrets(text)}: unknown scheme {scheme!r} (expected a SQLite file or sqlite:///path)")
    return _sqlite_target(Path(text).expanduser(), read_only)


def _sqlite_uri_path(uri: str) -> Path:
    parts = urlsplit(uri)
    if parts.netloc:
        raise TargetError(f"{mask_secrets(uri)}: a SQLite URI has no host; use sqlite:///absolute/path.db")
    path = unquote(parts.path)
    if not path or path == "/:memory:":
        raise TargetError(f"{mask_secrets(uri)}: rowdesk needs a database file, not an in-memory database")
    # sqlite:////abs/path (SQLObject accepts it too) means the same file as sqlite:///abs/path.
    return Path("/" + path.lstrip("/")) if path.startswith("//") else Path(path)


def _sqlite_target(path: Path, read_only: bool) -> Target:
    path = path.absolute()
    if not path.exists():
        raise TargetError(f"{path}: no such file (rowdesk does not create databases; check the path)")
    if path.is_dir():
        raise TargetError(f"{path}: is a directory, not a SQLite database file")
    check_sqlite_file(path)
    if not read_only and not os.access(path, os.W_OK):
        raise TargetError(f"{path}: not writable by you; open it with --read-only to browse it")
    return Target("sqlite", f"sqlite://{path}", path, read_only)


def check_sqlite_file(path: Path) -> None:
    """Raise TargetError unless *path* is a readable SQLite 3 database."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as e:
        raise TargetError(f"{path}: cannot read it ({e.strerror.lower() if e.strerror else e})") from None
    # An empty file is a valid, empty SQLite database (sqlite3 creates them that way).
    if head and head != SQLITE_MAGIC:
        raise TargetError(f"{path}: not a SQLite database (the file does not start with the SQLite header)")
    try:
        # Quoted: a '?' or '#' in the name would end the filename early and
        # SQLite would create (and check) an empty database under the shorter name.
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise TargetError(f"{path}: cannot open it as a SQLite database ({e})") from None
