"""A backend per engine (see base.py for what each one owns)."""

from __future__ import annotations

from storage.backends.base import Backend, ErrorKind
from storage.backends.sqlite import SQLiteBackend  # the embedded default: always there


def open_backend(target, *, lock_wait: float | None = None) -> Backend:
    """The backend for *target* (a storage.targets.Target), with its connection made (nothing runs yet)."""
    if target.scheme == "sqlite":
        return SQLiteBackend(target, lock_wait=lock_wait)
    raise ValueError(f"no backend for {target.scheme!r}")


__all__ = ["Backend", "ErrorKind", "open_backend"]
