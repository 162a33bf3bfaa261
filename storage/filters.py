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

import calendar
import datetime as dt
import decimal
import ipaddress
import re
from dataclasses import dataclass

from storage.dialect import Dialect, mysql_members
from storage.schema import Column
from storage.types import (
    DIGITS,
    INT64,
    NUMBER,
    OFFSET,
    kind,
    parse_bool,
    parse_bytes,
    parse_datetime_tz,
    parse_duration,
    parse_int,
    parse_time,
    parse_time_tz,
    parse_wide_int,
    show_duration,
    sqlite_affinity,
)

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
        raise _not_valid(text, col) from None


def _not_valid(text: str, col: Column) -> FilterError:
    return FilterError(f"{text!r} is not a valid {col.kind} for column {col.name}"
                       + (f" ({col.declared})" if col.declared else ""))


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
            sql, params = _contains(_shown(q, col, dialect, operand), dialect, operand, negated=True)
            return Condition(name, f"({q} IS NULL OR {sql})", params, f"{name} !~ {operand}", text)
    sql, params = _contains(_shown(q, col, dialect, value), dialect, value)
    return Condition(name, sql, params, f"{name} ~ {value}", text)


def equal(col: Column, value, dialect: Dialect) -> Condition:
    """Rows whose *col* holds *value*, a value as the driver returned it (a foreign key's, a row's key): bound
    as it is, compared as the engine compares keys. Its text, typed again in a filter, finds the same rows."""
    if value is None:
        return Condition(col.name, f"{dialect.quote(col.name)} IS NULL", (), f"{col.name} is null", "null")
    shown = value.hex() if isinstance(value, bytes) else str(value)
    operand = f'"{shown}"' if shown != shown.strip() or shown == "" else shown
    return Condition(col.name, f"{dialect.quote(col.name)} = ?", (dialect.bind(col, value),),
                     f"{col.name} = {shown}", f"={operand}")


def _comparison(q: str, op: str, operand: str, col: Column, dialect: Dialect) -> tuple[str, tuple, str | None]:
    """(sql, params, note) comparing column *q* with the operator's *operand*."""
    if dialect.name == "sqlite":
        if not col.enforced:
            return _sqlite_comparison(q, op, operand, col)
        # A STRICT table holds only values of the declared type: one that does not parse cannot be there (a typo).
        return f"{q} {_SQL_OP[op]} ?", (convert(operand, col),), None
    return _server_comparison(q, op, operand, col, dialect)


def _shown(q: str, col: Column, dialect: Dialect, operand: str = "") -> str:
    """SQL for the text the grid shows of column *q*'s value, which `text` filters search for *operand*."""
    if dialect.name == "sqlite":
        return _sqlite_shown(q, col)
    return _server_shown(q, col, dialect, operand)


# == the server engines ===============================================================================================
# A server holds only values of the declared type: the operand is read in the column's kind (one that does not parse
# is a typo: FilterError, and nothing runs) and compared by the server in the column's type, as ORDER BY orders it.
# The grid shows Python's text of the value the driver returned (console.formatting), which is often not the
# server's own text of it (a timestamptz's +00:00 is +00 on the server, a float's inf is Infinity, a bytea's
# "<3 bytes> 00 ff 10" is \x00ff10): the SQL below writes the grid's text on the server. Literals in it never hold
# a `?` (Dialect.placeholders would take it for a parameter) nor a backslash (MySQL's NO_BACKSLASH_ESCAPES).
_TEXTUAL = frozenset({"text", "json", "any"})


def _server_comparison(q: str, op: str, operand: str, col: Column, dialect: Dialect) -> tuple[str, tuple, None]:
    by_text = _pg_without_equality(col, dialect)
    if op in ORDERING and by_text:
        raise FilterError(f"{col.declared} values have no order: {col.name} takes =, != and text filters")
    if op in ("=", "!=") and (by_text or (col.kind in _TEXTUAL and _has_pictures(operand))):
        # The text as the grid shows it: a control character is typed back as its picture (a newline as ⏎).
        return f"{_server_shown(q, col, dialect, operand)} {_SQL_OP[op]} ?", (operand,), None
    try:
        value = (_pg_value if dialect.name == "postgres" else _mysql_value)(operand, col)
    except (ValueError, decimal.InvalidOperation):
        raise _not_valid(operand, col) from None
    if value is _PLAIN:
        value = convert(operand, col)
    # A geometry compares by its WKT, as it is shown and sorted.
    return (f"{dialect.order_sql(col, q)} {_SQL_OP[op]} {dialect.operand_sql(col)}", (dialect.bind(col, value),),
            None)


_PLAIN = object()        # the operand is read by the kind's own parser (storage.types)


def _server_shown(q: str, col: Column, dialect: Dialect, operand: str) -> str:
    text = (_pg_shown if dialect.name == "postgres" else _mysql_shown)(q, col, dialect)
    if col.kind in _TEXTUAL and _has_pictures(operand):
        text = _visible_sql(text, dialect)
    return text


# -- the grid's pictures of control characters (widgets.cells.visible; storage does not import widgets, and
# tests/test_server_filters.py checks that the two agree on every character)
_C0 = ("NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC "
       "FS GS RS US").split()
PICTURES = ({chr(i): f"⟨{name}⟩" for i, name in enumerate(_C0)} | {"\t": "→", "\n": "⏎", "\x7f": "⟨DEL⟩"}
            | {chr(i): f"⟨U+{i:04X}⟩" for i in (*range(0x80, 0xA0), 0x061C, 0x180E, 0x200B, 0x200E, 0x200F,
                                                *range(0x202A, 0x202F), *range(0x2060, 0x2065),
                                                *range(0x2066, 0x206A), 0xFEFF, 0xFFF9, 0xFFFA, 0xFFFB)})
_PICTURE_MARKS = ("⏎", "→", "⟨", "⟩")


def _has_pictures(operand: str) -> bool:
    """Does the operand hold a picture the grid draws for a character? Only then is the column's text rewritten
    into the grid's pictures, which costs a replace() per character pictured: other operands are matched in the
    stored text, where they are found exactly where the grid shows them (a picture's name aside: "ESC" alone does
    not find ⟨ESC⟩)."""
    return any(mark in operand for mark in _PICTURE_MARKS)


def _visible_sql(text: str, dialect: Dialect) -> str:
    """SQL of widgets.cells.visible(*text*): CR LF and LF as ⏎, a tab as →, other controls by name."""
    if dialect.name == "mysql":
        def char(s: str) -> str:
            return f"CHAR(0x{s.encode().hex()} USING utf8mb4)"
        text = f"CONVERT({text} USING utf8mb4)"
        replace = "REPLACE"
    else:
        def char(s: str) -> str:
            return " || ".join(f"chr({ord(c)})" for c in s)
        replace = "replace"
    text = f"{replace}({text}, {char(chr(13) + chr(10))}, '⏎')"
    for ch, picture in PICTURES.items():
        if ch != "\0" or dialect.name == "mysql":          # PostgreSQL's text never holds NUL (and chr(0) fails)
            text = f"{replace}({text}, {char(ch)}, '{picture}')"
    return text


# -- string functions in each server's spelling -------------------------------------------------------------------
def _cat(d: Dialect, *parts: str) -> str:
    return f"CONCAT({', '.join(parts)})" if d.name == "mysql" else "(" + " || ".join(parts) + ")"


def _length(d: Dialect, s: str) -> str:
    return f"CHAR_LENGTH({s})" if d.name == "mysql" else f"length({s})"


def _from(d: Dialect, s: str, start: str) -> str:
    return f"SUBSTRING({s}, {start})" if d.name == "mysql" else f"substr({s}, {start})"


def _before(d: Dialect, s: str, sep: str) -> str:
    return f"SUBSTRING_INDEX({s}, '{sep}', 1)" if d.name == "mysql" else f"split_part({s}, '{sep}', 1)"


def _after(d: Dialect, s: str, sep: str) -> str:
    """What follows the first *sep* in *s*, where *s* holds one."""
    return f"SUBSTRING_INDEX({s}, '{sep}', -1)" if d.name == "mysql" else f"split_part({s}, '{sep}', 2)"


def _has(d: Dialect, s: str, sep: str) -> str:
    return f"LOCATE('{sep}', {s}) > 0" if d.name == "mysql" else f"strpos({s}, '{sep}') > 0"


def _int(d: Dialect, s: str) -> str:
    return f"CAST({s} AS {'SIGNED' if d.name == 'mysql' else 'integer'})"


def _str(d: Dialect, n: str) -> str:
    return f"CAST({n} AS {d.text_type})"


def _lstrip_zeros(d: Dialect, s: str) -> str:
    return f"TRIM(LEADING '0' FROM {s})" if d.name == "mysql" else f"ltrim({s}, '0')"


def _sign(s: str) -> str:
    return f"CASE WHEN {s} LIKE '-%' THEN '-' ELSE '' END"


def _lit(text: str) -> str:
    return f"'{text}'"


def _float_text(t: str, d: Dialect) -> str:
    """Python's repr of the float whose server text is *t*. Both servers write the shortest digits that read back
    as the number, as repr does (PostgreSQL but for some past 1e16: _pg_shortest), but not in its form: repr writes
    1e+16 and 1e-05 yet 1000000000000000.0, 100.0 and 0.0001; PostgreSQL writes 1e+15 (a real: 1e+06), 100 and
    Infinity, MariaDB 1e15 and 0.00000015."""
    mantissa, exp = _before(d, t, "e"), _int(d, _after(d, t, "e"))
    digits = f"REPLACE(REPLACE({mantissa}, '-', ''), '.', '')"
    n = _length(d, digits)
    below_one = _cat(d, _lit("0."), f"REPEAT('0', -{exp} - 1)", digits)
    whole = _cat(d, digits, f"REPEAT('0', {exp} + 1 - {n})", _lit(".0"))
    pointed = _cat(d, f"LEFT({digits}, {exp} + 1)", _lit("."), _from(d, digits, f"{exp} + 2"))
    fixed = f"CASE WHEN {exp} < 0 THEN {below_one} WHEN {n} <= {exp} + 1 THEN {whole} ELSE {pointed} END"
    scientific = _cat(d, mantissa, _lit("e"), f"CASE WHEN {exp} < 0 THEN '-' ELSE '+' END",
                      _exponent(d, f"ABS({exp})"))
    # 0.00000015 (MariaDB's text of a number below 1e-4) is 1.5e-07
    fraction = _after(d, t, ".")
    significant = _lstrip_zeros(d, fraction)
    small = _cat(d, _sign(t), _first_and_rest(d, significant), _lit("e-"),
                 _exponent(d, f"{_length(d, fraction)} - {_length(d, significant)} + 1"))
    return (f"(CASE WHEN {t} = 'NaN' THEN 'nan' WHEN {t} = 'Infinity' THEN 'inf' WHEN {t} = '-Infinity' THEN '-inf' "
            f"WHEN {_has(d, t, 'e')} THEN CASE WHEN {exp} BETWEEN -4 AND 15 THEN {_cat(d, _sign(t), fixed)} "
            f"ELSE {scientific} END "
            f"WHEN {t} LIKE '0.0000%' OR {t} LIKE '-0.0000%' THEN {small} "
            f"WHEN {_has(d, t, '.')} THEN {t} ELSE {_cat(d, t, _lit('.0'))} END)")


def _exponent(d: Dialect, n: str) -> str:
    """*n* (not negative) in at least two digits, as repr writes an exponent (1e-05)."""
    return _cat(d, f"CASE WHEN {n} < 10 THEN '0' ELSE '' END", _str(d, n))


def _first_and_rest(d: Dialect, digits: str) -> str:
    """1.5 of the digits 15, 1 of 1: a mantissa of scientific notation."""
    rest = _cat(d, _lit("."), _from(d, digits, "2"))
    return _cat(d, f"LEFT({digits}, 1)", f"CASE WHEN {_length(d, digits)} > 1 THEN {rest} ELSE '' END")


def _decimal_text(t: str, d: Dialect) -> str:
    """str() of the Decimal whose server text is *t*. Both servers write a plain decimal, as str() does, unless
    the number is below 1e-6 or a zero of more than 6 decimals: str() writes 1E-7 and 0E-10."""
    fraction = _after(d, t, ".")
    significant = _lstrip_zeros(d, fraction)
    zero = _cat(d, _lit("0E-"), _str(d, _length(d, fraction)))
    other = _cat(d, _first_and_rest(d, significant), _lit("E-"),
                 _str(d, f"{_length(d, fraction)} - {_length(d, significant)} + 1"))
    scientific = _cat(d, _sign(t), f"CASE WHEN {significant} = '' THEN {zero} ELSE {other} END")
    return (f"(CASE WHEN ({t} LIKE '0.000000%' OR {t} LIKE '-0.000000%') "
            f"AND ({significant} <> '' OR {_length(d, fraction)} > 6) THEN {scientific} ELSE {t} END)")


# -- PostgreSQL ------------------------------------------------------------------------------------------------------
def _pg_declared(col: Column) -> str:
    return col.declared.strip().lower()


def _pg_without_equality(col: Column, dialect: Dialect) -> bool:
    """json and xml have no = and no order: their text is compared (a domain over one is not recognised)."""
    return dialect.name == "postgres" and _pg_declared(col) in ("json", "xml")


_PG_NUMERIC_SPECIAL = re.compile(r"nan|[+-]?inf(?:inity)?", re.IGNORECASE)
_PG_INFINITY = frozenset({"infinity", "+infinity", "-infinity"})
_PG_TIME_24 = re.compile(f"24:00(?::00(?:\\.0{{1,6}})?)?(?P<offset>{OFFSET})?")
# The server's text of a date or timestamp that Python cannot hold (the driver returns that text, shown as it is):
# BC, or past the year 9999.
_PG_FAR = re.compile(f"(?P<year>[0-9]{{4,}})-(?P<month>[0-9]{{2}})-(?P<day>[0-9]{{2}})"
                     f"(?:[ T](?P<time>[0-9:.]+?)(?P<offset>{OFFSET})?)?(?P<bc> BC)?", re.IGNORECASE)


def _pg_value(text: str, col: Column):
    """The operand as bound for a PostgreSQL column: NaN and the infinities of numbers, dates and times beyond
    Python's (bound as text, which the server reads in the column's type), UTC offsets where the column has them."""
    k, zoned = col.kind, "with time zone" in _pg_declared(col)
    if k == "blob":
        return parse_bytes(text)
    if k == "float" and text.lower() == "nan":
        return float("nan")                # the server's NaN equals itself, and sorts after every number
    if k == "decimal" and _PG_NUMERIC_SPECIAL.fullmatch(text):
        return decimal.Decimal(text)
    if k in ("date", "datetime") and text.lower() in _PG_INFINITY:
        return text.lower()
    if k == "time":
        m = _PG_TIME_24.fullmatch(text)
        if m is not None and (zoned or m.group("offset") is None):
            return text
        return parse_time_tz(text) if zoned else _PLAIN
    if k in ("date", "datetime"):
        m = _PG_FAR.fullmatch(text)
        if m is not None and (m.group("bc") or int(m.group("year")) > 9999):
            return _pg_far(text, m, k, zoned)
        if k == "datetime" and zoned:
            return parse_datetime_tz(text)
    return _PLAIN


def _pg_far(text: str, m: re.Match, k: str, zoned: bool) -> str:
    year = int(m.group("year"))
    if year == 0 or (m.group("time") is not None and k == "date") or (m.group("offset") and not zoned):
        raise ValueError(text)
    # The calendar is Gregorian back to any year; 1 BC is the year 0, a leap year.
    leap = calendar.isleap(1 - year if m.group("bc") else year)
    dt.date(2000 if leap else 2001, int(m.group("month")), int(m.group("day")))
    if m.group("time") is not None:
        parse_time(m.group("time"))
    return text


# Python's ipaddress writes an IPv4 address inside an IPv6 one in hexadecimal (::ffff:102:304), where the server
# writes it dotted (::ffff:1.2.3.4) after ::ffff: or ::. (Python 3.13 writes the first dotted too.)
_IP4_IN_IP6 = [prefix for prefix, example in (("::ffff:", "::ffff:1.2.3.4"), ("::", "::1.2.3.4"))
               if "." not in str(ipaddress.IPv6Address(example))]


def _pg_shown(q: str, col: Column, d: Dialect) -> str:
    k, declared = col.kind, _pg_declared(col)
    zoned = "with time zone" in declared
    if k in ("bool", "int"):
        return f"CAST({q} AS TEXT)"
    if k == "float":
        if declared == "real":
            return _float_text(f"CAST({q} AS TEXT)", d)   # its own text (widened to a double, 0.1 has 17 digits)
        t = f"CAST({q} AS TEXT)"
        return f"(CASE WHEN {_pg_exponent(t)} >= 16 THEN {_pg_shortest(q)} ELSE {_float_text(t, d)} END)"
    if k == "decimal":
        return _decimal_text(f"CAST({q} AS TEXT)", d)
    if k in ("date", "datetime"):
        # Python's str() of a date or datetime where Python holds it, else the server's text, which the driver
        # returns instead (infinity, BC, past 9999).
        if k == "date":
            text = f"to_char({q}, 'YYYY-MM-DD')"
        else:
            text = (f"(to_char({q}, 'YYYY-MM-DD HH24:MI:SS') || "
                    f"CASE WHEN to_char({q}, 'US') <> '000000' THEN '.' || to_char({q}, 'US') ELSE '' END"
                    + (f" || {_pg_offset(q)}" if zoned else "") + ")")
        return (f"(CASE WHEN isfinite({q}) AND extract(year FROM {q}) BETWEEN 1 AND 9999 THEN {text} "
                f"ELSE CAST({q} AS TEXT) END)")
    if k == "time":
        if not zoned:
            return _pg_time(q)
        return (f"(CASE WHEN CAST({q} AS time) = CAST('24:00:00' AS time) THEN CAST({q} AS TEXT) "
                f"ELSE {_pg_time(f'CAST({q} AS time)')} || {_pg_offset(q)} END)")
    if k == "blob":
        return (f"('<' || to_char(octet_length({q}), 'FM999,999,999,990') || ' bytes> ' || "
                f"rtrim(regexp_replace(encode({q}, 'hex'), '(..)', chr(92) || '1 ', 'g'), ' '))")
    # The type's own text (what the driver returns as str, and str() of its uuids and addresses): not CAST, which
    # drops a char(n)'s padding and adds an inet's /32. num_nulls: a composite of NULL fields IS NULL.
    text = f"(CASE WHEN num_nulls({q}) = 0 THEN concat({q}) END)"
    if declared in ("inet", "cidr") and _IP4_IN_IP6:
        text = _pg_ip4_in_ip6(text)
    return text


def pg_export_text(col: Column, d: Dialect) -> str:
    """SQL of the text storage.export writes for a value of *col* on PostgreSQL (its CSV): the grid's text, but
    bytes in plain hex; NULL stays NULL (an empty field)."""
    q = d.quote(col.name)
    declared = _pg_declared(col)
    if col.kind == "blob":
        return f"encode({q}, 'hex')"
    # The column itself wherever COPY's text of it (its type's output function) is the grid's: an integer, a
    # text (a char(n) with its padding), a json; with DateStyle ISO (PostgresBackend.copy_csv sets it) a date,
    # a timestamp(0); a numeric of a declared scale up to 6, which str() of a Decimal writes plainly too.
    # Each expression instead costs the server a function call a row: COPY is the server's work.
    if col.kind in ("int", "json", "date") or (col.kind == "text" and declared not in ("inet", "cidr")):
        return q
    if col.kind == "datetime" and _PG_WHOLE_SECONDS.fullmatch(declared):
        return q
    if col.kind == "decimal" and (scale := _declared_scale(declared)) is not None and scale <= 6:
        return q
    shown = _pg_shown(q, col, d)
    # The server's own text where it is the same as the grid's (the usual values), the exact conversion only
    # where they differ: to_char and the digit logic cost three times the whole COPY.
    if col.kind == "decimal":
        # str() of a Decimal writes 1E-7 for 0.0000001 (and 0E-7 for a zero of scale 7), the server 0.0000001.
        return (f"(CASE WHEN abs({q}) >= 0.000001 OR ({q} = 0 AND scale({q}) <= 6) THEN CAST({q} AS TEXT) "
                f"ELSE {shown} END)")
    if col.kind == "datetime" and "with time zone" not in _pg_declared(col):
        # Whole seconds: the server writes what str() of a datetime writes (a fraction: .5 against .500000).
        return f"(CASE WHEN date_trunc('second', {q}) = {q} THEN CAST({q} AS TEXT) ELSE {shown} END)"
    return shown


_PG_WHOLE_SECONDS = re.compile(r"timestamp\s*\(\s*0\s*\)(\s+without time zone)?")
_SCALE = re.compile(r"(?:numeric|decimal)\s*\(\s*[0-9]+\s*,\s*([0-9]+)\s*\)")


def _declared_scale(declared: str) -> int | None:
    """The scale of a numeric(p,s) / decimal(p,s), whose every value the server writes with s decimals; None
    where none is declared (a bare numeric keeps each value's own)."""
    m = _SCALE.match(declared)
    return int(m.group(1)) if m else None


def _pg_exponent(t: str) -> str:
    """The exponent in a double's text *t*, 0 where it has none (Infinity, 12.5)."""
    return f"CAST(split_part({t} || 'e0', 'e', 2) AS integer)"


def _pg_shortest(q: str) -> str:
    """repr of a double of 1e16 or more, where the server writes e+16 as repr does, but in 17 digits some integers
    that repr writes in fewer (5.2990648348713776e+16 is 5.299064834871378e+16): the fewest digits of 15, 16 and
    17 that read back as the double. (Past 1e16 at most one number of 15 digits, or of 16, is that near it.)"""
    t = f"CAST({q} AS TEXT)"
    e = _pg_exponent(t)

    def written(r: str) -> str:        # an integral numeric as repr writes it: 5.299064834871378e+16
        a = f"CAST(abs({r}) AS TEXT)"
        digits = f"rtrim({a}, '0')"
        return (f"({_sign(t)} || left({digits}, 1) || "
                f"CASE WHEN length({digits}) > 1 THEN '.' || substr({digits}, 2) ELSE '' END || "
                f"'e+' || CAST(length({a}) - 1 AS TEXT))")
    r15, r16 = (f"round(CAST({t} AS numeric), {digits - 1} - {e})" for digits in (15, 16))
    return (f"(CASE WHEN CAST({r15} AS float8) = {q} THEN {written(r15)} "
            f"WHEN CAST({r16} AS float8) = {q} THEN {written(r16)} ELSE {t} END)")


def _pg_time(q: str) -> str:
    """str() of a time: the server writes .5 for 500 milliseconds, Python .500000."""
    return (f"(CASE WHEN strpos(CAST({q} AS TEXT), '.') > 0 THEN rpad(CAST({q} AS TEXT), 15, '0') "
            f"ELSE CAST({q} AS TEXT) END)")


def _pg_offset(q: str) -> str:
    """A UTC offset as Python writes it: +00:00, -12:00, +00:53:28 (the server: +00, -12, +00:53:28)."""
    z = f"CAST(extract(timezone FROM {q}) AS integer)"
    return (f"(CASE WHEN {z} < 0 THEN '-' ELSE '+' END || to_char(abs({z}) / 3600, 'FM00') || ':' || "
            f"to_char(abs({z}) / 60 % 60, 'FM00') || "
            f"CASE WHEN abs({z}) % 60 <> 0 THEN ':' || to_char(abs({z}) % 60, 'FM00') ELSE '' END)")


def _pg_ip4_in_ip6(text: str) -> str:
    prefixes = "|".join(_IP4_IN_IP6)
    hexed = ("m[1] || to_hex(CAST(m[2] AS integer) * 256 + CAST(m[3] AS integer)) || ':' || "
             "to_hex(CAST(m[4] AS integer) * 256 + CAST(m[5] AS integer)) || coalesce(m[6], '')")
    return (f"(SELECT coalesce({hexed}, {text}) FROM regexp_match({text}, "
            f"'^({prefixes})([0-9]+)[.]([0-9]+)[.]([0-9]+)[.]([0-9]+)(/[0-9]+){{0,1}}$') AS r(m))")


# -- MySQL / MariaDB --------------------------------------------------------------------------------------------------
MYSQL_TIME_MAX = dt.timedelta(hours=838, minutes=59, seconds=59, microseconds=999999)
_MYSQL_MOMENT = re.compile("(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})(?:[ T](?P<time>.*))?")
_MYSQL_BITS = re.compile(r"bit\s*\(\s*([0-9]+)\s*\)")


def _mysql_value(text: str, col: Column):
    """The operand as bound for a MySQL column: unsigned 64-bit integers, TIME's hours past 23 and below zero,
    dates with zeros in them, bytes (a BIT's as its number, by Dialect.bind), ENUM and SET members (their numbers,
    as ORDER BY orders them, by Dialect.bind)."""
    k, declared = col.kind, col.declared.lower()
    if k == "int" and "unsigned" in declared:
        return parse_wide_int(text)
    if k == "blob":
        return parse_bytes(text)
    if k == "time":
        value = parse_duration(text)
        if abs(value) > MYSQL_TIME_MAX:
            raise ValueError(text)          # the server would clip it to 838:59:59.999999
        return show_duration(value)
    if k in ("date", "datetime"):
        return _mysql_zero_date(text, k)
    if k == "bool":
        try:
            return parse_bool(text)
        except ValueError:
            return parse_int(text)         # a tinyint(1) holds -128 to 127, shown as they are but 0 and 1
    members = mysql_members(col.declared)
    if members is not None:
        return _mysql_member(text, members, declared.startswith("set("))
    return _PLAIN


def _mysql_zero_date(text: str, k: str):
    """A date with a zero year, month or day (0000-00-00, which the driver returns as its text), else _PLAIN."""
    m = _MYSQL_MOMENT.fullmatch(text)
    if m is None:
        return _PLAIN
    year, month, day = (int(m.group(g)) for g in ("year", "month", "day"))
    if year and month and day:
        return _PLAIN                     # Python's parser reads it (or refuses it)
    if m.group("time") is not None:
        if k == "date":
            raise ValueError(text)
        parse_time(m.group("time"))
    if month or day:
        dt.date(year or 2000, month or 1, day or 1)
    return text


def _mysql_member(text: str, members: list[str], is_set: bool) -> str:
    """The members named, as declared (their case may differ: the server's collation ignores it)."""
    def member(name: str) -> str:
        if name in members:
            return name
        found = [m for m in members if m.lower() == name.lower()]
        if len(found) != 1:
            raise ValueError(name)
        return found[0]
    if not is_set:
        return "" if text == "" else member(text)          # '': the ENUM's error value, number 0
    return ",".join(member(name) for name in text.split(",")) if text else ""


def _mysql_shown(q: str, col: Column, d: Dialect) -> str:
    k = col.kind
    if k in ("int", "decimal") and "zerofill" in col.declared.lower():
        q = f"({q} + 0)"                  # the driver's number: the server's text of 42 in int(5) ZEROFILL is 00042
    if k == "spatial":
        return d.order_sql(col, q)        # its WKT, as the grid shows it
    if k == "bool":
        # MySQL's booleans are tinyint(1): 1 and 0, shown true and false.
        return f"(CASE {q} WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE CAST({q} AS CHAR) END)"
    if k == "int" and col.declared.lower().startswith("year"):
        return f"CAST({q} + 0 AS CHAR)"   # the driver's int: the year 0 is 0, which the server writes 0000
    if k == "float":
        return _float_text(f"CAST({d.value_sql(col, q)} AS CHAR)", d)     # a FLOAT as the double the grid shows
    if k == "decimal":
        return _decimal_text(f"CAST({q} AS CHAR)", d)
    if k == "datetime":
        # The server writes a DATETIME(6)'s every digit, Python none of a zero fraction, all six of another;
        # a date with zeros in it comes back from the driver as the server's text.
        return (f"(CASE WHEN DATE_ADD({q}, INTERVAL 0 DAY) IS NULL THEN CAST({q} AS CHAR) "
                f"ELSE CONCAT(DATE_FORMAT({q}, '%Y-%m-%d %H:%i:%s'), {_mysql_fraction(q)}) END)")
    if k == "time":
        seconds = f"FLOOR(ABS(TIME_TO_SEC({q})))"
        return (f"CONCAT(IF({q} < 0, '-', ''), {seconds} DIV 3600, ':', LPAD({seconds} DIV 60 MOD 60, 2, '0'), ':', "
                f"LPAD({seconds} MOD 60, 2, '0'), {_mysql_fraction(q)})")       # show_duration's text
    if k == "blob":
        bits = _MYSQL_BITS.match(col.declared.lower())
        if bits is not None or col.declared.lower().strip() == "bit":
            # a BIT(n) comes back as its ceil(n / 8) bytes, which HEX() of its number does not pad
            size = (int(bits.group(1)) if bits else 1) + 7 >> 3
            hexed, count = f"LPAD(LOWER(HEX({q})), {2 * size}, '0')", f"'{size:,}'"
        else:
            hexed, count = f"LOWER(HEX({q}))", f"FORMAT(LENGTH({q}), 0, 'en_US')"
        spaced = f"TRIM(TRAILING ' ' FROM REGEXP_REPLACE({hexed}, '(..)', CONCAT(CHAR(92 USING utf8mb4), '1 ')))"
        return f"CONCAT('<', {count}, ' bytes> ', {spaced})"
    return f"CAST({q} AS CHAR)"


_MYSQL_WHOLE_SECONDS = re.compile(r"(datetime|timestamp)(\s*\(\s*0\s*\))?")
_MYSQL_QUOTED = frozenset({"text", "json", "any", "spatial"})    # kinds whose text may hold " , CR or LF


def mysql_export_text(col: Column, d: Dialect) -> str:
    """SQL of the CSV field storage.export writes for a value of *col* on MySQL / MariaDB: the grid's text, but
    bytes in plain hex, quoted as CSV quotes it (where it holds a quote, a comma, a CR or a LF); NULL stays
    NULL (an empty field). As the bytes of its UTF-8, whatever the column's character set: joined with others
    into a line, text of two collations would be refused (an "illegal mix")."""
    q = d.quote(col.name)
    declared = col.declared.lower().strip()
    if col.kind == "blob":
        bits = _MYSQL_BITS.match(declared)
        if bits is not None or declared == "bit":
            return f"LPAD(LOWER(HEX({q})), {2 * ((int(bits.group(1)) if bits else 1) + 7 >> 3)}, '0')"
        return f"LOWER(HEX({q}))"
    # The server's own text where it is the grid's, as in pg_export_text: each function costs a call a row. A
    # ZEROFILL number's text has its padding (00042), the driver's number none: + 0 drops it.
    plain = f"({q} + 0)" if "zerofill" in declared else q
    if col.kind == "int" and not declared.startswith("year"):
        return f"CAST({plain} AS BINARY)"
    if (col.kind == "datetime" and _MYSQL_WHOLE_SECONDS.fullmatch(declared)) or col.kind == "date":
        return f"CAST({q} AS BINARY)"     # a zero date is the server's text in the grid too
    if col.kind == "decimal" and (scale := _declared_scale(declared)) is not None and scale <= 6:
        return f"CAST({plain} AS BINARY)"
    text = f"CAST(CONVERT({_mysql_shown(q, col, d)} USING utf8mb4) AS BINARY)"
    if col.kind not in _MYSQL_QUOTED:
        return text
    # Searched as bytes: an accent-insensitive collation would find a full-width comma for ','.
    special = " OR ".join(f"LOCATE({c}, {text}) > 0" for c in ("'\"'", "','", "CHAR(10)", "CHAR(13)"))
    return f"IF({special}, CONCAT('\"', REPLACE({text}, '\"', '\"\"'), '\"'), {text})"


def _mysql_fraction(q: str) -> str:
    return f"IF(MICROSECOND({q}) <> 0, CONCAT('.', LPAD(MICROSECOND({q}), 6, '0')), '')"


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
