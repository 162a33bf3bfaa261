"""What a PostgreSQL error means (ErrorKind) and how to say it to the operator in one line.

Errors come as psycopg's exceptions (with the SQLSTATE), as SQLObject's dberrors wrapping one (its
ErrorMessage keeps the code), or as rowdesk's ConnectFailed/SchemaNotFound. A failed connect has no SQLSTATE
(libpq only has the server's message), so it is told by libpq's and the server's words.
"""

from __future__ import annotations

import re

import psycopg
from sqlobject import dberrors

from storage.backends.base import ErrorKind
from storage.backends.postgres_catalog import TableGone
from storage.backends.postgres_connection import ConnectFailed, SchemaNotFound
from storage.jobs import Cancelled

_BY_CLASS = {"08": ErrorKind.CONNECTION_LOST, "23": ErrorKind.CONSTRAINT, "28": ErrorKind.AUTHENTICATION}
_BY_STATE = {
    "57014": ErrorKind.CANCELLED,                 # query_canceled (pg_cancel_backend, cancel_safe)
    "57P01": ErrorKind.CONNECTION_LOST,           # admin_shutdown: pg_terminate_backend, a server shutting down
    "57P02": ErrorKind.CONNECTION_LOST,           # crash_shutdown
    "57P03": ErrorKind.CONNECTION_LOST,           # cannot_connect_now: starting up, shutting down
    "55P03": ErrorKind.LOCK_TIMEOUT,              # lock_not_available: NOWAIT, lock_timeout
    "40P01": ErrorKind.LOCK_TIMEOUT,              # deadlock_detected: the other session holds the lock
    "25006": ErrorKind.READ_ONLY,                 # read_only_sql_transaction
}
# libpq's and the server's words for a refused login (the server's are in its lc_messages; English by default).
_AUTHENTICATION = re.compile(
    r"password authentication failed|no password supplied|authentication failed|is not permitted to log in"
    r"|role \".*\" does not exist|no pg_hba\.conf entry|SCRAM|certificate", re.IGNORECASE)


# Of those, the refusals a password can mend (a role that does not exist, NOLOGIN or pg_hba are not).
_PASSWORD = re.compile(r"password authentication failed|no password supplied", re.IGNORECASE)


def wants_password(error: BaseException) -> bool:
    """Would another password help? (The login failed for want of one, or for a wrong one.)"""
    return isinstance(error, ConnectFailed) and _PASSWORD.search(str(error)) is not None


def _psycopg_error(error: BaseException) -> psycopg.Error | None:
    """The driver's exception behind *error*: itself, or the one SQLObject wrapped."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, psycopg.Error):
            return error
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


def sqlstate(error: BaseException) -> str | None:
    if isinstance(error, dberrors.Error) and error.args and getattr(error.args[0], "code", None):
        return error.args[0].code                 # SQLObject's ErrorMessage
    driver = _psycopg_error(error)
    return driver.sqlstate if driver is not None else None


# A connect that found no server to talk to (as opposed to one that said no: a missing database, a full server).
_UNREACHABLE = re.compile(r"Connection refused|could not translate host name|timeout expired|No route to host|"
                          r"Network is unreachable|server closed the connection unexpectedly", re.IGNORECASE)


def classify(error: BaseException) -> ErrorKind:
    if isinstance(error, ConnectFailed):
        # Not CONNECTION_LOST: a read is run again after that, and a host that does not answer would be
        # waited for twice.
        if _AUTHENTICATION.search(str(error)):
            return ErrorKind.AUTHENTICATION
        return ErrorKind.UNREACHABLE if _UNREACHABLE.search(str(error)) else ErrorKind.OTHER
    state = sqlstate(error)
    if state is not None:
        return _BY_STATE.get(state) or _BY_CLASS.get(state[:2], ErrorKind.OTHER)
    driver = _psycopg_error(error)
    if isinstance(driver, (psycopg.OperationalError, psycopg.InterfaceError)):
        # No SQLSTATE: libpq lost the connection ("server closed the connection unexpectedly", "the connection
        # is closed", "consuming input failed").
        return ErrorKind.CONNECTION_LOST
    return ErrorKind.OTHER


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _server_words(error: ConnectFailed) -> str:
    """libpq's message without its preamble: 'connection failed: connection to server at "h", port p failed:'."""
    text = str(error)
    text = re.sub(r'^connection failed: (connection to server at "[^"]*"(?: \([^)]*\))?, port \d+ failed: )?', "",
                  text)
    return _one_line(text.replace("FATAL:", ""))


def describe_error(error: BaseException, target) -> str:
    """One line for the operator naming what failed (never the password: libpq's messages do not hold it)."""
    where = f"PostgreSQL at {target.host}:{target.port}"
    user = target.user or "(your login name)"
    if isinstance(error, SchemaNotFound):
        return f"{where}: database {error.database} has no schema {error.schema!r} that user {user} may use"
    if isinstance(error, TableGone):
        return f"{error.args[0]} no longer exists (dropped or renamed since the list was read)"
    if isinstance(error, Cancelled):
        return "cancelled"
    if isinstance(error, ConnectFailed):
        words = _server_words(error)
        low = words.lower()
        if classify(error) is ErrorKind.AUTHENTICATION:
            return f"{where}: login refused for user {user}: {words}"
        if "database" in low and "does not exist" in low:
            return f"{where}: there is no database {target.database!r}"
        if "connection refused" in low:
            return f"{where}: connection refused (is the server running and listening on that port?)"
        if "resolve host" in low or "translate host name" in low:
            return f"{where}: no such host ({words})"
        if "timeout" in low:
            return f"{where}: no answer before the connect timeout"
        if "too many" in low or "connection slots" in low:
            return f"{where}: the server has no connection left for user {user} ({words})"
        return f"{where}: cannot connect: {words}"
    driver = _psycopg_error(error)
    if driver is None:
        return _one_line(str(error)) or type(error).__name__
    message = _one_line(driver.diag.message_primary or str(driver))
    kind = classify(error)
    if kind is ErrorKind.CANCELLED:
        return "cancelled on the server"
    if kind is ErrorKind.CONNECTION_LOST:
        return f"{where}: the connection was lost ({message})"
    if driver.sqlstate == "42501":
        return f"{message} (user {user})"         # "permission denied for table orders"
    if kind is ErrorKind.READ_ONLY:
        return f"read-only: {message}"
    detail = driver.diag.message_detail
    return message + (f": {_one_line(detail)}" if detail else "")
