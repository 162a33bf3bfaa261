"""Column types in one place: for every kind of column, how its values are shown, how the operator's text
is read as one (filters today, forms next), whether it sorts, and its SQLObject column class; and for each
engine, which of its types is which kind (SQLite by its affinity rules, PostgreSQL by type name, MySQL by
DATA_TYPE).

Values read from a database are kept exactly as the driver returned them: nothing here converts them on
the way in, and nothing goes through SQLObject's validators (they rewrite datetimes and BLOBs); `show` is
only their text on the screen. Engine-specific comparisons (how a value binds in SQL) are the dialect's
(storage.dialect) and the filters' (storage.filters).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass

# -- the operator's values: one parser per column kind --------------------------------------------------------------
# Each reads the text typed after the operator and returns a Python value of the kind, or raises ValueError.
# They know no engine: how a value is bound and compared is the engine's (storage.filters, storage.dialect).

DIGITS = re.compile(r"[+-]?[0-9]+")
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INFINITY = re.compile(r"[+-]?inf(?:inity)?", re.IGNORECASE)
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"     # to the microsecond, as Python holds it
_DATE_RE = re.compile(_DATE)
_DATETIME_RE = re.compile(f"{_DATE}(?:[ T]{_TIME})?")
_TIME_RE = re.compile(_TIME)
INT64 = range(-2 ** 63, 2 ** 63)
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def parse_int(text: str) -> int:
    """Decimal digits, within 64 bits (no engine's integer column holds more)."""
    if not DIGITS.fullmatch(text) or int(text) not in INT64:
        raise ValueError(text)
    return int(text)


def parse_float(text: str) -> float:
    if not (NUMBER.fullmatch(text) or _INFINITY.fullmatch(text)):
        raise ValueError(text)
    return float(text)


def parse_decimal(text: str) -> decimal.Decimal:
    if not NUMBER.fullmatch(text):
        raise ValueError(text)
    return decimal.Decimal(text)


def parse_bool(text: str) -> bool:
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(text)


def parse_date(text: str) -> dt.date:
    if not _DATE_RE.fullmatch(text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


def parse_datetime(text: str) -> dt.datetime:
    """An ISO date and time ("T" or a space between); a date alone is midnight: "> 2024-05-01" means after it."""
    if not _DATETIME_RE.fullmatch(text):
        raise ValueError(text)
    return dt.datetime.fromisoformat(text)


def parse_time(text: str) -> dt.time:
    if not _TIME_RE.fullmatch(text):
        raise ValueError(text)
    return dt.time.fromisoformat(text)


# Values of the server engines that the parsers above refuse, each in the grid's text of it (storage.filters reads
# them for the server engines only; SQLite compares these kinds its own way).
UINT64 = range(0, 2 ** 64)
OFFSET = r"[+-][0-9]{2}(?::[0-9]{2}(?::[0-9]{2})?)?"     # a UTC offset as Python writes it, or PostgreSQL (+05)
_DATETIME_TZ_RE = re.compile(f"{_DATE}(?:[ T]{_TIME}(?:{OFFSET})?)?")
_TIME_TZ_RE = re.compile(f"{_TIME}(?:{OFFSET})?")
_DURATION_RE = re.compile(r"(-?)([0-9]{1,9}):([0-5][0-9])(?::([0-5][0-9])(?:\.([0-9]{1,6}))?)?")
_BYTES_RE = re.compile(r"(?:<([0-9][0-9,]*) bytes>)? *(?:0x|\\x)?([0-9a-fA-F ]*)")


def parse_wide_int(text: str) -> int:
    """Decimal digits within 64 bits, signed or unsigned: MySQL's BIGINT UNSIGNED holds up to 2**64 - 1."""
    if not DIGITS.fullmatch(text) or not (INT64.start <= int(text) < UINT64.stop):
        raise ValueError(text)
    return int(text)


def parse_datetime_tz(text: str) -> dt.datetime:
    """parse_datetime, or with a UTC offset (2024-02-29 11:45:01+00:00, as the grid shows a timestamptz)."""
    if not _DATETIME_TZ_RE.fullmatch(text):
        raise ValueError(text)
    return dt.datetime.fromisoformat(text)


def parse_time_tz(text: str) -> dt.time:
    """parse_time, or with a UTC offset (10:00:00+05:30, as the grid shows a timetz)."""
    if not _TIME_TZ_RE.fullmatch(text):
        raise ValueError(text)
    return dt.time.fromisoformat(text)


def parse_duration(text: str) -> dt.timedelta:
    """[-]H:MM[:SS[.ffffff]], any number of hours: show_duration's text of a MySQL TIME (05:00 as MySQL writes it
    too)."""
    m = _DURATION_RE.fullmatch(text)
    if m is None:
        raise ValueError(text)
    sign, hours, minutes, seconds, fraction = m.groups()
    value = dt.timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0),
                         microseconds=int((fraction or "").ljust(6, "0")))
    return -value if sign else value


def parse_bytes(text: str) -> bytes:
    """Hexadecimal bytes, spaced or not, as the grid shows them: "<3 bytes> 00 ff 10" (the count, if given, must be
    theirs), "00 ff 10", "00ff10", "0x00ff10" or "\\x00ff10"."""
    m = _BYTES_RE.fullmatch(text)
    if m is None:
        raise ValueError(text)
    value = bytes.fromhex(m.group(2))
    if m.group(1) is not None and m.group(1) != f"{len(value):,}":
        raise ValueError(text)
    return value



# -- how a value is shown -------------------------------------------------------------------------------------------
def show_bool(value) -> str | None:
    """0/1 (and True/False) as false/true; anything else SQLite holds in a BOOLEAN column as it is (None)."""
    if not isinstance(value, (str, bytes)) and value in (0, 1):
        return "true" if value else "false"
    return None


def show_duration(value) -> str | None:
    """A MySQL TIME, which PyMySQL returns as a timedelta from -838:59:59 to 838:59:59, as MySQL writes it:
    [-]H:MM:SS[.ffffff] (str() of a timedelta reads "-35 days, 1:00:00.500000")."""
    if not isinstance(value, dt.timedelta):
        return None
    total = abs(value)
    seconds = total.days * 86400 + total.seconds
    text = f"{'-' if value < dt.timedelta(0) else ''}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return text + (f".{total.microseconds:06d}" if total.microseconds else "")


# -- the kinds ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    name: str
    parse: Callable[[str], object] | None = None    # operator text -> a value of the kind; None: the text as it is
    numeric: bool = False                           # shown right-aligned, lined up on the point
    # The kind's own text of a value, or None for the generic text of its Python type (the widgets' plain text:
    # repr of floats, hex of bytes, str of the rest); never a rounding or a conversion of what is stored.
    show: Callable[[object], str | None] | None = None
    sortable: bool = True

    @property
    def article(self) -> str:
        return ("an " if self.name[0] in "aeiou" else "a ") + self.name


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("int", parse_int, numeric=True),
    Kind("float", parse_float, numeric=True),
    Kind("decimal", parse_decimal, numeric=True),
    Kind("bool", parse_bool, show=show_bool),
    Kind("date", parse_date),
    Kind("datetime", parse_datetime),
    Kind("time", parse_time, show=show_duration),
    Kind("text"),
    Kind("json"),
    Kind("blob"),
    Kind("spatial"),                 # a geometry, read as its WKT text (MySQL: ST_AsText)
    Kind("any"),
)}


def kind(name: str) -> Kind:
    return KINDS.get(name) or KINDS["any"]


# -- SQLite: the declared type, by SQLite's affinity rules ----------------------------------------------------------
_DECIMAL_ARGS = re.compile(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")


def sqlite_kind(declared: str) -> str:
    """Map a declared SQL type to a kind, following SQLite's affinity rules
    where they apply and recognising the usual names of other databases."""
    t = declared.upper()
    if not t:
        return "any"
    if "BOOL" in t:
        return "bool"
    if "INT" in t:
        return "int"
    if "DATETIME" in t or "TIMESTAMP" in t:
        return "datetime"
    if "DATE" in t:
        return "date"
    if t.startswith("TIME"):
        return "time"
    if "JSON" in t:
        return "json"
    if any(s in t for s in ("CHAR", "CLOB", "TEXT", "UUID", "ENUM")):
        return "text"
    if "BLOB" in t or "BYTEA" in t or "BINARY" in t:
        return "blob"
    if any(s in t for s in ("REAL", "FLOA", "DOUB")):
        return "float"
    if "NUMERIC" in t or "DECIMAL" in t or "MONEY" in t:
        return "decimal"
    return "any"


def sqlite_affinity(declared: str) -> str:
    """SQLite's affinity for a declared type, by its rules (https://sqlite.org/datatype3.html section 3.1):
    "INTEGER", "TEXT", "BLOB" (no affinity: values compare as stored), "REAL" or "NUMERIC"."""
    t = declared.upper()
    if "INT" in t:
        return "INTEGER"
    if any(s in t for s in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in t or not t:
        return "BLOB"
    if any(s in t for s in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def decimal_size(declared: str) -> tuple[int, int]:
    """(precision, scale) of a DECIMAL(p, s) declaration; (18, 4) when not given."""
    m = _DECIMAL_ARGS.search(declared)
    if not m:
        return 18, 4
    return int(m.group(1)), int(m.group(2) or 0)


# -- PostgreSQL: by the name of the column's base type (past any domain) --------------------------------------------
# What kind each built-in type's values have (by the oid of the column's base type, past any domain): its
# Python values as psycopg returns them. Every other type is "text": str (the server's own text: arrays,
# intervals, ranges, enums, bit strings, money, geometric types, xml, composite types...) or a value shown by
# its str(), which is the server's text too (uuid, inet, cidr).
POSTGRES_KINDS = {
    "int2": "int", "int4": "int", "int8": "int", "oid": "int",
    "float4": "float", "float8": "float", "numeric": "decimal", "bool": "bool",
    "date": "date", "timestamp": "datetime", "timestamptz": "datetime", "time": "time", "timetz": "time",
    "bytea": "blob", "json": "json", "jsonb": "json",
}

# -- MySQL / MariaDB: by DATA_TYPE ----------------------------------------------------------------------------------
# DATA_TYPE -> kind. tinyint(1) (what BOOLEAN is) is "bool"; JSON is "json" also where MariaDB stores it as
# LONGTEXT with a json_valid() check. The spatial types are read as their WKT text (storage.dialect), sorted,
# paged and filtered by it. BIT is shown as the bytes it is.
MYSQL_KINDS = {
    **dict.fromkeys(("tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"), "int"),
    **dict.fromkeys(("float", "double", "real"), "float"),
    **dict.fromkeys(("decimal", "numeric"), "decimal"),
    "date": "date", "datetime": "datetime", "timestamp": "datetime",
    "time": "time",                            # PyMySQL returns a timedelta: TIME runs from -838:59:59 to 838:59:59
    **dict.fromkeys(("char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set",
                     "uuid", "inet4", "inet6"), "text"),
    **dict.fromkeys(("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"), "blob"),
    "json": "json",
    "bit": "blob",
    **dict.fromkeys(("geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
                     "multipolygon", "geometrycollection"), "spatial"),
}
TEXT_TYPES = frozenset({"char", "varchar", "tinytext", "text", "mediumtext", "longtext"})


def mysql_kind(data_type: str, column_type: str, *, json_checked: bool = False) -> str:
    t = data_type.lower()
    if json_checked:
        return "json"
    if t == "tinyint" and column_type.lower() == "tinyint(1)":
        return "bool"
    return MYSQL_KINDS.get(t, "any")




# -- SQLObject's column class of each kind (for SQLObject classes of tables; rowdesk reads and writes its own SQL) --
def sqlobject_column(col, dialect):
    import sqlobject as so

    kw = {"dbName": dialect.quote(col.name), "default": None if col.nullable else so.col.NoDefault,
          "notNone": not col.nullable}
    if col.kind == "int":
        return so.IntCol(**kw)
    if col.kind == "float":
        return so.FloatCol(**kw)
    if col.kind == "decimal":
        size, precision = decimal_size(col.declared)
        return so.DecimalCol(size=size, precision=precision, **kw)
    if col.kind == "bool":
        return so.BoolCol(**kw)
    if col.kind == "date":
        return so.DateCol(**kw)
    if col.kind == "datetime":
        return so.DateTimeCol(**kw)
    if col.kind == "time":
        return so.TimeCol(**kw)
    if col.kind == "blob":
        return so.BLOBCol(**kw)
    if col.kind == "json":
        return so.JSONCol(**kw)
    return so.UnicodeCol(**kw)


