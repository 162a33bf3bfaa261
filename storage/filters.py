"""The filter language of the browse screen, one column at a time.

    text      rows whose value contains "text" (case-insensitive for ASCII)
    =v  !=v   equal / not equal
    <v <=v >v >=v   comparisons, in the column's type
    !text     rows whose value does not contain "text"
    null  !null     the value is (not) NULL
    "..."     quotes a literal that looks like syntax: "=x", "null", "  padded"

Values are checked against the column's kind before anything runs, so a typo
gets a message instead of a silent empty result.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass

from storage.dialect import Dialect
from storage.schema import Column

OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
HELP = 'text  =v  !=v  <v  <=v  >v  >=v  !text  null  !null  "quoted"'


class FilterError(ValueError):
    """A filter the operator typed that cannot be applied; str() says why."""


@dataclass(frozen=True)
class Condition:
    column: str
    sql: str                 # with `?` placeholders and the column already quoted
    params: tuple
    label: str               # how the status line shows it, e.g. "email ~ kim"


def _unquote(text: str) -> tuple[str, bool]:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1], True
    return text, False


def convert(value: str, col: Column):
    """Turn the operator's text into a value of the column's kind, or raise FilterError."""
    kind = col.kind
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "decimal":
            return str(decimal.Decimal(value))     # compared as text on SQLite: keep exact digits
        if kind == "bool":
            low = value.lower()
            if low in ("1", "true", "t", "yes", "y", "on"):
                return 1
            if low in ("0", "false", "f", "no", "n", "off"):
                return 0
            raise ValueError
        if kind == "date":
            return dt.date.fromisoformat(value).isoformat()
        if kind == "datetime":
            # A date alone is allowed: "> 2024-05-01" means after midnight.
            return dt.datetime.fromisoformat(value).isoformat(sep=" ")
        if kind == "time":
            return dt.time.fromisoformat(value).isoformat()
    except (ValueError, decimal.InvalidOperation):
        raise FilterError(f"{value!r} is not a valid {kind} for column {col.name}"
                          + (f" ({col.declared})" if col.declared else "")) from None
    return value


def _like_pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def parse_filter(text: str, col: Column, dialect: Dialect) -> Condition | None:
    """Parse *text* for column *col*; None for an empty filter (no filtering)."""
    raw = text.strip()
    if not raw:
        return None
    q = dialect.quote(col.name)
    value, quoted = _unquote(raw)
    if not quoted:
        low = raw.lower()
        if low == "null":
            return Condition(col.name, f"{q} IS NULL", (), f"{col.name} is null")
        if low == "!null":
            return Condition(col.name, f"{q} IS NOT NULL", (), f"{col.name} is not null")
        for op in OPERATORS:
            if raw.startswith(op):
                operand, quoted_operand = _unquote(raw[len(op):].strip())
                if operand == "" and not quoted_operand:     # ="" is the empty string
                    raise FilterError(f"{op} needs a value, e.g. {op}42")
                sql_op = "<>" if op == "!=" else op
                return Condition(col.name, f"{q} {sql_op} ?", (convert(operand, col),), f"{col.name} {op} {operand}")
        if raw.startswith("!") and len(raw) > 1:
            operand, _ = _unquote(raw[1:])
            return Condition(
                col.name, f"({q} IS NULL OR CAST({q} AS TEXT) NOT LIKE ? ESCAPE '\\')",
                (_like_pattern(operand),), f"{col.name} !~ {operand}",
            )
    return Condition(
        col.name, f"CAST({q} AS TEXT) LIKE ? ESCAPE '\\'", (_like_pattern(value),), f"{col.name} ~ {value}",
    )
