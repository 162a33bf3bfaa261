"""How a value of each column kind is shown: the bridge between storage's
column kinds and the widgets' plain text."""

from __future__ import annotations

import decimal

from storage.schema import Column, decimal_size
from widgets.cells import one_line


def formatter(col: Column):
    """A function value -> one-line text for the column; None values never reach it."""
    if col.kind == "bool":
        return _bool
    if col.kind == "decimal":
        _, scale = decimal_size(col.declared)
        if "(" in col.declared:
            return lambda v: _decimal(v, scale)
    return one_line


def _bool(value) -> str:
    if value in (0, 1, True, False):
        return "true" if value else "false"
    return one_line(value)        # whatever else SQLite holds in a BOOLEAN column, shown as it is


def _decimal(value, scale: int) -> str:
    # SQLite keeps NUMERIC(10,2) as REAL: 62447.5 is shown 62447.50, as declared.
    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        try:
            return f"{decimal.Decimal(str(value)):.{scale}f}"
        except (decimal.InvalidOperation, ValueError):
            pass
    return one_line(value)
