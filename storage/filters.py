"""The filter language of the browse screen, one column at a time.

    text      rows whose value, as the grid shows it, contains "text" (case-insensitive for ASCII)
    =v  !=v   equal / not equal
    <v <=v >v >=v   comparisons, in the column's type
    !text     rows whose value does not contain "text"
    null  !null     the value is (not) NULL
    "..."     quotes a literal that looks like syntax: "=x", "null", "  padded"

A value is read in the column's kind, by one parser per kind (below). Where the
engine holds only values of the declared type (server engines, SQLite STRICT
tables), a value that is not of the kind is a typo: FilterError, and nothing
runs. Elsewhere SQLite holds any value in any column, so such a value is
compared as SQLite compares it (as a number if it looks like one, else as
text) and the condition's `note` says so.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass

from storage.dialect import Dialect
from storage.schema import Column
from storage.types import DIGITS, INT64, NUMBER, kind, sqlite_affinity

OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
ORDERING = frozenset({"<", "<=", ">", ">="})
HELP = 'text  =v  !=v  <v  <=v  >v  >=v  !text  null  !null  "quoted"'
_SQL_OP = {"!=": "<>", "<=": "<=", ">=": ">=", "=": "=", "<": "<", ">": ">"}


class FilterError(ValueError):
    """A filter the operator typed that cannot be applied; str() says why."""


@dataclass(frozen=True)
class Condition:
    column: str
    sql: str                 # with `?` placeholders and the column already quoted
    params: tuple
    label: str               # how the status line shows it, e.g. "email ~ kim"
    text: str = ""           # exactly what the operator typed: parsed again, it gives this condition
    note: str | None = None  # how the value is compared when it is not of the column's type, for the status line


def convert(text: str, col: Column):
    """The operator's *text* as a value of the column's kind, or FilterError naming the column."""
    parser = kind(col.kind).parse
    if parser is None:
        return text
    try:
        return parser(text)
    except (ValueError, decimal.InvalidOperation):
        raise FilterError(f"{text!r} is not a valid {col.kind} for column {col.name}"
                          + (f" ({col.declared})" if col.declared else "")) from None


# -- the language ------------------------------------------------------------------------------------------------
def _unquote(text: str) -> tuple[str, bool]:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1], True
    return text, False


# The LIKE escape character: not a backslash, which MySQL reads as an escape in its own string literals
# (and, under NO_BACKSLASH_ESCAPES, does not): '!' means the same on every engine.
_ESCAPE = "!"


def _like_pattern(text: str) -> str:
    e = _ESCAPE
    return "%" + text.replace(e, e + e).replace("%", e + "%").replace("_", e + "_") + "%"


def _contains(shown: str, dialect: Dialect, operand: str, *, negated: bool = False) -> tuple[str, tuple]:
    """(sql, params): *shown* contains *operand*, ignoring case in every alphabet, accents kept (the text the grid
    shows is what is matched). PostgreSQL's LIKE is case-sensitive: both sides are lowered. MySQL compares under
    the column's collation, which ignores accents (utf8mb4_general_ci: 'krakow' would find 'Kraków'): the lowered
    text is compared byte for byte. SQLite's LIKE folds ASCII letters only: an operand with other letters is
    matched against the text lowered by Python."""
    like = "NOT LIKE" if negated else "LIKE"
    escape = f"ESCAPE '{_ESCAPE}'"
    if dialect.name == "sqlite":
        if operand.isascii():
            return f"{shown} {like} ? {escape}", (_like_pattern(operand),)
        return f"{LOWER_TEXT}({shown}) {like} ? {escape}", (_like_pattern(operand.lower()),)
    if dialect.name == "mysql":
        return (f"LOWER(CONVERT({shown} USING utf8mb4)) COLLATE utf8mb4_bin {like} "
                f"LOWER(CONVERT(? USING utf8mb4)) {escape}"), (_like_pattern(operand),)
    return f"LOWER({shown}) {like} LOWER(?) {escape}", (_like_pattern(operand),)


def parse_filter(text: str, col: Column, dialect: Dialect) -> Condition | None:
    """Parse *text* for column *col*; None for an empty filter (no filtering)."""
    raw = text.strip()         # spaces around the whole filter are not part of it; inside quotes they are
    if not raw:
        return None
    name = col.name
    q = dialect.quote(name)
    value, quoted = _unquote(raw)
    if not quoted:
        low = raw.lower()
        if low == "null":
            return Condition(name, f"{q} IS NULL", (), f"{name} is null", text)
        if low == "!null":
            return Condition(name, f"{q} IS NOT NULL", (), f"{name} is not null", text)
        for op in OPERATORS:
            if raw.startswith(op):
                operand, quoted_operand = _unquote(raw[len(op):].strip())
                if operand == "" and not quoted_operand:     # ="" is the empty string
                    raise FilterError(f"{op} needs a value, e.g. {op}42")
                sql, params, note = _comparison(q, op, operand, col, dialect)
                return Condition(name, sql, params, f"{name} {op} {operand}", text, note)
        if raw.startswith("!") and len(raw) > 1:
            operand, _ = _unquote(raw[1:])
            sql, params = _contains(_shown(q, col, dialect), dialect, operand, negated=True)
            return Condition(name, f"({q} IS NULL OR {sql})", params, f"{name} !~ {operand}", text)
    sql, params = _contains(_shown(q, col, dialect), dialect, value)
    return Condition(name, sql, params, f"{name} ~ {value}", text)


def _comparison(q: str, op: str, operand: str, col: Column, dialect: Dialect) -> tuple[str, tuple, str | None]:
    """(sql, params, note) comparing column *q* with the operator's *operand*."""
    if dialect.name == "sqlite" and not col.enforced:
        return _sqlite_comparison(q, op, operand, col)
    # The engine holds only values of the declared type: one that does not parse cannot be there (a typo).
    # A geometry compares by its WKT, as it is shown and sorted.
    return f"{dialect.order_sql(col, q)} {_SQL_OP[op]} ?", (convert(operand, col),), None


def _shown(q: str, col: Column, dialect: Dialect) -> str:
    """SQL for the text the grid shows of column *q*'s value, which `text` filters search."""
    if dialect.name == "sqlite":
        return _sqlite_shown(q, col)
    if col.kind == "spatial":
        return dialect.order_sql(col, q)        # its WKT, as the grid shows it
    if col.kind == "bool" and dialect.name == "mysql":
        # MySQL's booleans are tinyint(1): 1 and 0, shown true and false.
        return f"(CASE {q} WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE CAST({q} AS CHAR) END)"
    return f"CAST({q} AS {dialect.text_type})"


# == SQLite ==========================================================================================================
# Everything below knows SQLite's dynamic typing (https://sqlite.org/datatype3.html). Outside STRICT tables a column
# holds values of any type. Compared with a column of INTEGER, REAL or NUMERIC affinity, a text operand that looks
# like a number is converted to one; any other text stays text, compared with the column's text values by its
# collation. Numbers sort before text, text before blobs.

# SQLite's own text of a REAL has 15 significant digits (CAST(0.1 + 0.2 AS TEXT) is '0.3', 1e20 is '1.0e+20'),
# and its printf cannot give more than 16 correct ones (3.40: digits past the 16th are zeros; round trips checked
# with its own text-to-number are off by one unit in some values). The grid shows a REAL as Python's repr, so
# Python makes that text, in a function that every connection running filters must have (add_sqlite_functions).
REAL_TEXT = "rowdesk_real_text"
# SQLite's lower() and LIKE fold ASCII letters only ('Ł' stays 'Ł'): Python lowers the rest.
LOWER_TEXT = "rowdesk_lower"


def add_sqlite_functions(raw) -> None:
    """Give a new sqlite3 connection the SQL functions that filter conditions call."""
    raw.create_function(REAL_TEXT, 1, repr, deterministic=True)
    raw.create_function(LOWER_TEXT, 1, _lower, deterministic=True)


def _lower(text):
    return text.lower() if isinstance(text, str) else text


_SQLITE_SPACE = " \t\n\x0b\f\r"      # what SQLite skips around a number in text
_SQLITE_NUMBER = re.compile(f"[{_SQLITE_SPACE}]*{NUMBER.pattern}[{_SQLITE_SPACE}]*")
_NUMERIC_AFFINITY = frozenset({"INTEGER", "REAL", "NUMERIC"})
_IS_NUMBER = "typeof({q}) IN ('integer', 'real')"


def _sqlite_comparison(q: str, op: str, operand: str, col: Column) -> tuple[str, tuple, str | None]:
    parser = kind(col.kind).parse
    if parser is None:
        return _sqlite_as_given(q, op, operand, col)
    try:
        value = parser(operand)
    except (ValueError, decimal.InvalidOperation):
        return _sqlite_not_of_kind(q, op, operand, col)
    if col.kind in ("date", "datetime", "time"):
        return _sqlite_moment(q, op, value)
    note = None
    if col.kind in ("float", "decimal"):
        value, exact = _sqlite_number(operand)
        if not exact:
            note = f"{operand!r} has more digits than SQLite's numbers hold: compared as {value!r}"
    return _sqlite_number_comparison(q, op), (value,), note


def _sqlite_number_comparison(q: str, op: str) -> str:
    # A comparison takes the column's numbers only: text and blobs sort after every number.
    sql = f"{q} {_SQL_OP[op]} ?"
    return f"({_IS_NUMBER.format(q=q)} AND {sql})" if op in ORDERING else sql


def _sqlite_number(text: str) -> tuple[int | float, bool]:
    """The number SQLite reads in *text* (an integer if it fits 64 bits), and whether it is exactly that."""
    digits = text.strip(_SQLITE_SPACE)
    # (Past 20 digits it is no 64-bit integer; int() of a pasted 5,000-digit text would even raise.)
    if len(digits) <= 20 and DIGITS.fullmatch(digits) and int(digits) in INT64:
        return int(digits), True
    number = float(digits)
    return number, decimal.Decimal(digits) == decimal.Decimal(repr(number))


def _sqlite_as_given(q: str, op: str, operand: str, col: Column) -> tuple[str, tuple, None]:
    """A column of no kind that rowdesk parses (text, json, blob, any): the text as typed, compared by SQL."""
    if op in ("=", "!=") and _SQLITE_NUMBER.fullmatch(operand):
        # Without affinity to convert it, the integer 12 and the text '12' are different values, shown alike:
        # match both (with an affinity, both are converted to the same value).
        number, _ = _sqlite_number(operand)
        return f"{q} {'NOT IN' if op == '!=' else 'IN'} (?, ?)", (number, operand), None
    if op in ORDERING and sqlite_affinity(col.declared) == "BLOB":
        # No affinity (a view's computed sum(x), a column declared with no type): values compare as stored,
        # so text '300' would sort after every number. "> 300" means the numbers above 300; "> abc" the
        # text values after 'abc'.
        if _SQLITE_NUMBER.fullmatch(operand):
            number, _ = _sqlite_number(operand)
            return _sqlite_number_comparison(q, op), (number,), None
        return f"(typeof({q}) = 'text' AND {q} {_SQL_OP[op]} ?)", (operand,), None
    return f"{q} {_SQL_OP[op]} ?", (operand,), None


def _sqlite_not_of_kind(q: str, op: str, operand: str, col: Column) -> tuple[str, tuple, str]:
    """A value that is not of the column's kind, compared as SQLite compares it, with a note saying how."""
    what = f"{operand!r} is not {kind(col.kind).article}"
    if sqlite_affinity(col.declared) in _NUMERIC_AFFINITY and _SQLITE_NUMBER.fullmatch(operand):
        # SQLite would convert this text to a number: compare the number Python reads (the same one).
        number, exact = _sqlite_number(operand)
        how = "a number" if exact else f"the number {number!r}"
        return _sqlite_number_comparison(q, op), (number,), f"{what}: compared as {how}"
    sql = f"{q} {_SQL_OP[op]} ?"
    if op in ORDERING:
        sql = f"(typeof({q}) = 'text' AND {sql})"      # with the column's text values, not with its numbers
    return sql, (operand,), f"{what}: compared as text"


# Dates and times are text in SQLite, written in many ways: "2024-05-01 08:00:00", "2024-05-01T08:00",
# "2024-05-01 08:00:00.000", a date alone. A date/time value compares with the stored text that is an ISO date
# and time (checked by its shape and by SQLite's julianday()), rewritten in one form whose text order is the order
# of time, exact at any precision: "YYYY-MM-DD HH:MM:SS" then the fraction without trailing zeros. Other text
# (another format, a 13th month) and numbers are no moment: never equal, before or after one. A range on the
# column's own text around the date (or the time's minute) comes first, so that an index on the column serves.
_GLOB_DATE = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
_GLOB_HM = "[0-9][0-9]:[0-9][0-9]"
_AFTER = "~"            # sorts after every character of an ISO date or time: "2024-05-01~" ends that day's texts


def _sqlite_moment(q: str, op: str, value: dt.date | dt.datetime | dt.time) -> tuple[str, tuple, None]:
    if isinstance(value, dt.time):
        wanted = _iso_time(value)
        prefix = wanted[:5]                                      # HH:MM
        forms = (_GLOB_HM, f"{_GLOB_HM}:[0-9][0-9]")
        fraction = f"{_GLOB_HM}:[0-9][0-9].[0-9]*", 10
        one_form = (f"CASE length({q}) WHEN 5 THEN {q} || ':00' WHEN 8 THEN {q} "
                    f"ELSE rtrim(rtrim({q}, '0'), '.') END")
    else:
        moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        wanted = f"{moment.date().isoformat()} {_iso_time(moment.time())}"
        prefix = wanted[:10]                                     # YYYY-MM-DD
        at = f"{_GLOB_DATE}[ T]{_GLOB_HM}"
        forms = (_GLOB_DATE, at, f"{at}:[0-9][0-9]")
        fraction = f"{at}:[0-9][0-9].[0-9]*", 21
        one_form = (f"substr({q}, 1, 10) || ' ' || CASE length({q}) WHEN 10 THEN '00:00:00' "
                    f"WHEN 16 THEN substr({q}, 12) || ':00' WHEN 19 THEN substr({q}, 12) "
                    f"ELSE rtrim(rtrim(substr({q}, 12), '0'), '.') END")
    shape = " OR ".join([f"{q} GLOB '{form}'" for form in forms]
                        + [f"({q} GLOB '{fraction[0]}' AND NOT substr({q}, {fraction[1]}) GLOB '*[^0-9]*')"])
    is_moment = f"({shape}) AND julianday({q}) IS NOT NULL"
    if op == "!=":
        return f"({q} IS NOT NULL AND NOT ({is_moment} AND {one_form} = ?))", (wanted,), None
    if op == "=":
        bounds, params = f"{q} >= ? AND {q} < ?", (prefix, prefix + _AFTER)
    elif op in (">", ">="):
        bounds, params = f"{q} >= ?", (prefix,)
    else:
        bounds, params = f"{q} < ?", (prefix + _AFTER,)
    return f"({bounds} AND {is_moment} AND {one_form} {op} ?)", (*params, wanted), None


def _iso_time(t: dt.time) -> str:
    """HH:MM:SS, then the fraction of a second without trailing zeros: the form stored texts are rewritten in."""
    text = f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return text + ("." + f"{t.microsecond:06d}".rstrip("0") if t.microsecond else "")


def _sqlite_shown(q: str, col: Column) -> str:
    """SQL for the grid's text of column *q*: a bool's 0 and 1 as false and true, a REAL as Python's repr,
    anything else as SQLite's text of it."""
    text = f"CAST({q} AS TEXT)"
    if sqlite_affinity(col.declared) != "TEXT":          # a TEXT column turns every number into text
        text = f"CASE typeof({q}) WHEN 'real' THEN {REAL_TEXT}({q}) ELSE {text} END"
    if col.kind == "bool":
        text = (f"CASE WHEN {_IS_NUMBER.format(q=q)} AND {q} IN (0, 1) "
                f"THEN CASE WHEN {q} = 0 THEN 'false' ELSE 'true' END ELSE {text} END")
    return text
