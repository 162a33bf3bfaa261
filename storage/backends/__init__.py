"""A backend per engine (see base.py for what each one owns)."""

from __future__ import annotations

from storage.backends.base import Backend, ErrorKind
from storage.backends.sqlite import SQLiteBackend  # the embedded default: always there

# Each server backend imports its driver: one line naming the extra to install when it is missing.
SERVER_BACKENDS = {
    "postgres": ("storage.backends.postgres", "PostgresBackend", "psycopg", "postgres", "PostgreSQL"),
    "mysql": ("storage.backends.mysql", "MySQLBackend", "pymysql", "mysql", "MySQL/MariaDB"),
}


class MissingDriver(Exception):
    """The driver of a server engine is not installed; str() is one line naming the extra to install."""


def check_driver(scheme: str) -> None:
    """Raise MissingDriver when the driver of *scheme*'s engine cannot be imported."""
    import importlib.util

    if scheme in SERVER_BACKENDS:
        _module, _cls, driver, extra, label = SERVER_BACKENDS[scheme]
        if importlib.util.find_spec(driver) is None:
            raise MissingDriver(f"{label} needs its driver, {driver}: pip install 'rowdesk[{extra}]'")


def open_backend(target, *, lock_wait: float | None = None) -> Backend:
    """The backend for *target* (a storage.targets.Target), with its connection made (nothing runs yet)."""
    if target.scheme == "sqlite":
        return SQLiteBackend(target, lock_wait=lock_wait)
    if target.scheme in SERVER_BACKENDS:
        import importlib

        check_driver(target.scheme)
        module, cls, *_ = SERVER_BACKENDS[target.scheme]
        return getattr(importlib.import_module(module), cls)(target)
    raise ValueError(f"no backend for {target.scheme!r}")


__all__ = ["Backend", "ErrorKind", "MissingDriver", "check_driver", "open_backend"]
