"""Writes: statements run in one transaction on a job's connection, all applied or none, and never sent
again on their own (PITFALLS.md, "Writes").

When the connection dies, what happened depends on when:
- before COMMIT was sent, the server rolls the transaction back when it sees the connection gone: nothing
  was applied, and the error is the driver's own (ErrorKind.CONNECTION_LOST);
- while COMMIT was on its way or its answer was (or a cancel cut it short), nobody can tell whether the
  server applied it:
  OutcomeUnknown, for the caller to read the rows back and tell the operator. Re-sending it could apply it
  twice; assuming it failed could hide a change that was made.
Any other error rolls the transaction back and is raised as it came.

Used in a job's worker thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from storage.backends import ErrorKind

log = logging.getLogger(__name__)
T = TypeVar("T")


class OutcomeUnknown(Exception):
    """The connection died while a COMMIT was in flight: the write may or may not have been applied."""

    def __init__(self, label: str, cause: BaseException):
        super().__init__(f"{label}: the connection was lost while the change was being committed; "
                         "whether the server applied it is unknown (read the rows again to see)")
        self.cause = cause


def run_transaction(backend, lease, dialect, statements: Sequence[tuple[str, tuple]], *, label: str) -> list[int]:
    """Run *statements* ((sql with `?`, params), ...) in one transaction on *lease*'s connection;
    the row count of each. Nothing is retried."""
    return in_transaction(backend, lease, dialect,
                          lambda run: [run(sql, params).rowcount for sql, params in statements], label=label)


@dataclass
class Result:
    rows: list[tuple]
    rowcount: int
    lastrowid: object = None          # the driver's cursor.lastrowid: SQLite's rowid, MySQL's AUTO_INCREMENT


def in_transaction(backend, lease, dialect, body: Callable[[Callable[..., Result]], T], *, label: str) -> T:
    """body(run) in one transaction on *lease*'s connection, committed when it returns, rolled back when it
    raises; run(sql with `?`, params) runs one statement and gives its rows and row count. Nothing is retried."""
    raw = lease.raw
    committing = False

    def run(sql: str, params=()) -> Result:
        return execute(raw, dialect.placeholders(sql), params)
    try:
        for statement in backend.begin_write_sql():
            execute(raw, statement, ())
        result = body(run)
        committing = True
        execute(raw, "COMMIT", ())
        _reset(backend, lease, label)
        return result
    except Exception as e:
        kind = backend.classify(e)
        if committing and kind in (ErrorKind.CONNECTION_LOST, ErrorKind.CANCELLED):
            # A COMMIT cut short (a cancel can arrive after the server applied it, e.g. while it waits for
            # a synchronous replica): the server may or may not have applied it.
            lease.discard()
            log.warning("%s: COMMIT cut short (%s): outcome unknown", label, kind.name)
            raise OutcomeUnknown(label, e) from e
        if kind is ErrorKind.CONNECTION_LOST:
            lease.discard()
            raise
        try:
            execute(raw, "ROLLBACK", ())
            _reset(backend, lease, label)
        except Exception as rollback_error:  # noqa: BLE001 - the connection cannot be trusted any more
            log.info("%s: ROLLBACK failed (%s): connection thrown away", label, rollback_error)
            lease.discard()
        raise


def _reset(backend, lease, label: str) -> None:
    try:
        for statement in backend.end_write_sql():
            execute(lease.raw, statement, ())
    except Exception as e:  # noqa: BLE001 - a connection that cannot be reset is not given out again
        log.info("%s: connection could not be reset after a write (%s): thrown away", label, e)
        lease.discard()


def execute(raw, sql: str, params) -> Result:
    """One statement on *raw*: its rows (if it returns any), its row count, the driver's lastrowid."""
    cur = raw.cursor()
    try:
        cur.execute(sql, params)
        rows = list(cur.fetchall()) if cur.description else []
        return Result(rows, cur.rowcount, getattr(cur, "lastrowid", None))
    finally:
        cur.close()
