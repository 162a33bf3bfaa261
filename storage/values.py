"""A value typed into a form, read as a value of its column, or refused with a message that names the field,
what is wrong with the text and what the column takes.

The kinds' own parsers (storage.types) read the text; this adds what the column's declared type allows:
the range of its integer type (MySQL's unsigned ones too), the precision and scale of a NUMERIC(p,s), the
length of a VARCHAR(n), JSON that parses, bytes typed as hex, a member of an ENUM, NOT NULL. The engines
check these too, but a message here comes before anything is sent, worded for the operator, and the same
on every engine (SQLite enforces none of them outside STRICT tables). A value the column's kind has no
parser for (a PostgreSQL array, interval, inet, uuid) is sent as typed: the server reads it, and says so
when it cannot.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re

from storage.schema import Column
from storage.types import DIGITS, INT64, parse_bool, parse_decimal, parse_float

_OFFSET = r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_CLOCK = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
_DATE_RE = re.compile(_DATE)
_DATETIME_RE = re.compile(f"({_DATE})(?:[ T]({_CLOCK}))?({_OFFSET})?")
_TIME_RE = re.compile(f"({_CLOCK})({_OFFSET})?")
_DURATION_RE = re.compile(r"(-)?([0-9]{1,3}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?")
_SIZE = re.compile(r"\(\s*([0-9]+)\s*(?:,\s*([0-9]+)\s*)?\)")
_MEMBER = re.compile(r"'((?:[^']|'')*)'")

# Integer types by their name in a declared type (PostgreSQL's, MySQL's; SQLite's INTEGER is 64 bits).
_INT_BITS = {"tinyint": 8, "smallint": 16, "int2": 16, "mediumint": 24, "int": 32, "integer": 32, "int4": 32,
             "serial": 32, "bigint": 64, "int8": 64, "bigserial": 64, "smallserial": 16}
# MySQL's text types hold this many bytes.
_TEXT_BYTES = {"tinytext": 255, "text": 65_535, "mediumtext": 16_777_215}
EXAMPLES = {"int": "42", "float": "3.5", "decimal": "12.50", "date": "2026-03-31",
            "datetime": "2026-03-31 14:05:00", "time": "14:05:00", "bool": "true or false"}


class InvalidValue(ValueError):
    """What is wrong with the text typed for one field; str() is the message for the operator."""

    def __init__(self, column: str, problem: str):
        super().__init__(f"{column}: {problem}")
        self.column, self.problem = column, problem


def read(col: Column, text: str | None, engine: str, current=None):
    """*text* typed for column *col* (None: NULL) as the value to write. InvalidValue when it cannot be one.
    *current*: the value the field was opened with; a column of no type (SQLite's) keeps that value's type."""
    if text is None:
        if not col.nullable:
            raise InvalidValue(col.name, "cannot be NULL (the column is NOT NULL): type a value")
        if col.pk_position:
            raise InvalidValue(col.name, "is part of the key: it needs a value (a row keyed by NULL cannot be "
                                         "found again)")
        return None
    if col.kind == "any" and current is not None:
        return _like(col, text, current, engine)
    reader = _READERS.get(col.kind)
    if reader is None:
        return _text(col, text, engine)
    value = reader(col, text, engine)
    if engine == "sqlite" and col.kind in ("datetime", "time"):
        return _sqlite_moment(value, current)
    return value


def _sqlite_moment(typed: str, current) -> str:
    """SQLite keeps dates and times as text, compared as text: written in one form, whatever the operator typed
    (`2026-02-28 10:00` as `2026-02-28 10:00:00`), so that `WHERE at >= '…'` of other programs stays right. The
    form is the one of the value it replaces (a `T` between date and time, where that value has one), else
    SQLite's own (`YYYY-MM-DD HH:MM:SS`); a fraction and an offset typed are kept."""
    m = _DATETIME_RE.fullmatch(typed)
    if m is not None:
        day, clock, offset = m.groups()
        if clock is None and isinstance(current, str) and len(current) == 10:
            return day + (offset or "")            # a column that holds days: a day, as its values are
        sep = "T" if isinstance(current, str) and len(current) > 10 and current[10] == "T" else " "
        return f"{day}{sep}{_seconds(clock or '00:00:00')}{offset or ''}"
    m = _TIME_RE.fullmatch(typed)
    return f"{_seconds(m.group(1))}{m.group(2) or ''}" if m is not None else typed


def _seconds(clock: str) -> str:
    """HH:MM as HH:MM:00; seconds and a fraction as typed."""
    return clock + ":00" if len(clock) == 5 else clock


def _bad(col: Column, text: str, what: str) -> InvalidValue:
    shown = text if len(text) <= 40 else text[:37] + "…"
    example = EXAMPLES.get(col.kind)
    return InvalidValue(col.name, f"{shown!r} is not {what}" + (f" (e.g. {example})" if example else ""))


def _base_type(col: Column) -> str:
    return col.declared.strip().lower().split("(")[0].split()[0] if col.declared.strip() else ""


def _int(col: Column, text: str, engine: str) -> int:
    t = text.strip().replace("_", "")
    if not DIGITS.fullmatch(t):
        raise _bad(col, text, "a whole number")
    value = int(t)                      # not parse_int: an unsigned BIGINT goes past 64 signed bits
    low, high = int_range(col, engine)
    if not low <= value <= high:
        raise InvalidValue(col.name, f"{value} is out of range for {col.declared}: {low} to {high}")
    return value


def int_range(col: Column, engine: str) -> tuple[int, int]:
    declared = col.declared.lower()
    base = _base_type(col)
    if engine == "mysql" and base == "year":
        return 1901, 2155
    if engine == "sqlite" or base not in _INT_BITS:
        return INT64.start, INT64.stop - 1
    bits = _INT_BITS[base]
    if "unsigned" in declared:
        return 0, 2 ** bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _float(col: Column, text: str, engine: str) -> float:
    try:
        return parse_float(text.strip())
    except ValueError:
        raise _bad(col, text, "a number") from None


def _decimal(col: Column, text: str, engine: str) -> decimal.Decimal:
    try:
        value = parse_decimal(text.strip().replace("_", ""))
    except (ValueError, decimal.InvalidOperation):
        raise _bad(col, text, "a number") from None
    size = _SIZE.search(col.declared)
    if size:
        precision, scale = int(size.group(1)), int(size.group(2) or 0)
        _sign, digits, exponent = value.as_tuple()
        places = max(0, -exponent)
        if places > scale:
            raise InvalidValue(col.name, f"{text.strip()} has {places} decimal places; {col.declared} keeps "
                                         f"{scale}")
        whole = len(digits) + exponent          # digits before the point
        if value != 0 and whole > precision - scale:
            raise InvalidValue(col.name, f"{text.strip()} is too large for {col.declared}: at most "
                                         f"{precision - scale} digits before the point")
    # sqlite3 binds no Decimal: the text, which a column of NUMERIC affinity stores as the number it reads
    return str(value) if engine == "sqlite" else value


def _bool(col: Column, text: str, engine: str):
    try:
        return parse_bool(text.strip())
    except ValueError:
        raise _bad(col, text, "true or false") from None


def _offset(text: str | None):
    if not text:
        return None
    if text == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0)))


def _date(col: Column, text: str, engine: str):
    t = text.strip()
    if not _DATE_RE.fullmatch(t):
        raise _bad(col, text, "a date as YYYY-MM-DD")
    try:
        value = dt.date.fromisoformat(t)
    except ValueError:
        raise InvalidValue(col.name, f"{t} is not a date of the calendar") from None
    return value.isoformat() if engine == "sqlite" else value


def _datetime(col: Column, text: str, engine: str):
    t = text.strip()
    m = _DATETIME_RE.fullmatch(t)
    if not m:
        raise _bad(col, text, "a date and time as YYYY-MM-DD HH:MM[:SS[.ffffff]][±HH:MM]")
    day, clock, offset = m.groups()
    try:
        value = dt.datetime.fromisoformat(f"{day} {clock or '00:00:00'}").replace(tzinfo=_offset(offset))
    except ValueError:
        raise InvalidValue(col.name, f"{t} is not a date and time of the calendar") from None
    if engine == "sqlite":
        return t                   # SQLite keeps dates as text: as typed, once it is known to be one
    if engine == "mysql" and value.tzinfo is not None:
        # PyMySQL writes a datetime without its offset. A TIMESTAMP is an instant (rowdesk's sessions are in
        # UTC): converted. A DATETIME holds no zone: an offset would be dropped silently, so it is refused.
        if _base_type(col) != "timestamp":
            raise InvalidValue(col.name, f"{col.declared} holds no time zone: type the time without {offset}")
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _time(col: Column, text: str, engine: str):
    t = text.strip()
    if engine == "mysql":
        return _duration(col, t)
    m = _TIME_RE.fullmatch(t)
    if not m:
        raise _bad(col, text, "a time as HH:MM[:SS[.ffffff]]")
    try:
        value = dt.time.fromisoformat(m.group(1)).replace(tzinfo=_offset(m.group(2)))
    except ValueError:
        raise InvalidValue(col.name, f"{t} is not a time of day") from None
    return t if engine == "sqlite" else value


def _duration(col: Column, t: str) -> dt.timedelta:
    """A MySQL TIME: [-]H:MM:SS[.ffffff], -838:59:59 to 838:59:59."""
    m = _DURATION_RE.fullmatch(t)
    if not m or int(m.group(3)) > 59 or int(m.group(4)) > 59:
        raise InvalidValue(col.name, f"{t!r} is not a time as [-]H:MM:SS (e.g. 14:05:00, -2:30:00, 100:00:00)")
    sign, hours, minutes, seconds, fraction = m.groups()
    value = dt.timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds),
                         microseconds=int((fraction or "0").ljust(6, "0")))
    if value > dt.timedelta(hours=838, minutes=59, seconds=59):
        raise InvalidValue(col.name, f"{t} is out of range for TIME: -838:59:59 to 838:59:59")
    return -value if sign else value


def _like(col: Column, text: str, current, engine: str):
    """A column that holds any type (SQLite without a declared type): the text read as the type of the value it
    replaces, so that an integer stays an integer and bytes stay bytes; text otherwise."""
    if isinstance(current, bool) or not isinstance(current, (int, float, bytes)):
        return text
    if isinstance(current, bytes):
        return _blob(col, text, engine)
    if isinstance(current, int) and DIGITS.fullmatch(text.strip()):
        return int(text.strip())
    try:
        return float(parse_float(text.strip()))
    except ValueError:
        raise InvalidValue(col.name, f"{text!r} is not a number, as the value it replaces is (the column takes "
                                     "any type: the form keeps the one it holds)") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _json(col: Column, text: str, engine: str) -> str:
    try:
        json.loads(text, parse_constant=_no_constant)      # Python's parser takes NaN and Infinity; JSON does not
    except ValueError as e:
        raise InvalidValue(col.name, f"not valid JSON: {e}") from None
    return text


def _blob(col: Column, text: str, engine: str) -> bytes:
    digits = "".join(text.split())
    if digits.lower().startswith(("\\x", "0x")):
        digits = digits[2:]
    if len(digits) % 2:
        raise InvalidValue(col.name, f"hex needs two digits a byte: {len(digits)} digits given")
    try:
        value = bytes.fromhex(digits)
    except ValueError:
        raise InvalidValue(col.name, "not hex: bytes are typed as hex digits, e.g. 00 ff 1a") from None
    size = _SIZE.search(col.declared)
    if size and _base_type(col) in ("binary", "varbinary") and len(value) > int(size.group(1)):
        raise InvalidValue(col.name, f"{len(value)} bytes is more than {col.declared} holds")
    return value


def members(col: Column) -> list[str] | None:
    """The values an enum column takes (a PostgreSQL enum type's labels; a MySQL ENUM or SET as declared), else
    None."""
    if col.members is not None:
        return list(col.members)
    declared = col.declared.strip()
    if not declared.lower().startswith(("enum(", "set(")):
        return None
    return [m.replace("''", "'") for m in _MEMBER.findall(declared)]


def _text(col: Column, text: str, engine: str) -> str:
    allowed = members(col)
    if allowed is not None:
        if col.members is not None or col.declared.lower().startswith("enum("):
            if text not in allowed:
                raise InvalidValue(col.name, f"{text!r} is not one of {', '.join(allowed)}")
        else:
            unknown = [m for m in text.split(",") if m and m not in allowed]
            if unknown:
                raise InvalidValue(col.name, f"{', '.join(unknown)}: not among {', '.join(allowed)}")
        return text
    base = _base_type(col)
    size = _SIZE.search(col.declared)
    if size and base in ("varchar", "char", "character", "nvarchar", "nchar", "varying") \
            or size and col.declared.lower().startswith("character varying"):
        limit = int(size.group(1))
        if len(text) > limit:
            raise InvalidValue(col.name, f"{len(text):,} characters is more than {col.declared} holds ({limit})")
    if engine == "mysql" and base in _TEXT_BYTES and len(text.encode()) > _TEXT_BYTES[base]:
        raise InvalidValue(col.name, f"{len(text.encode()):,} bytes is more than {base.upper()} holds "
                                     f"({_TEXT_BYTES[base]:,})")
    return text


_READERS = {"int": _int, "float": _float, "decimal": _decimal, "bool": _bool, "date": _date,
            "datetime": _datetime, "time": _time, "json": _json, "blob": _blob}
