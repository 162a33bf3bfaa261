"""The browse screen's filter language (storage.filters), run on a real SQLite table."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from decimal import Decimal

import pytest

from storage import schema
from storage.backends import sqlite as sqlite_backend
from storage.dialect import MYSQL, POSTGRES, SQLITE
from storage.filters import FilterError, add_sqlite_functions, convert, parse_filter
from tests import realworld

SCRIPT = '''
CREATE TABLE items (
    id       INTEGER PRIMARY KEY,
    name     TEXT,
    qty      INTEGER,
    weight   REAL,
    price    NUMERIC(10,2),
    active   BOOLEAN,
    born     DATE,
    seen     DATETIME,
    at_time  TIME,
    "odd ""col""" TEXT
);
INSERT INTO items VALUES
    (1, 'Apple',          3,    0.5,  1.20, 1, '2024-01-05', '2024-05-01 08:00:00', '08:00:00', 'a'),
    (2, 'apple pie',      10,   1.25, 4.50, 0, '2023-12-31', '2024-04-30 23:59:59', '23:59:00', 'b'),
    (3, 'Banana_split',   0,    NULL, 2.00, 1, NULL,         NULL,                  NULL,       NULL),
    (4, '100% juice',     -2,   2.0,  3.99, NULL, '2024-02-29', '2024-05-01 00:00:00', '12:00:00', '"x"'),
    (5, NULL,             NULL, 3.5,  NULL, 0, '2024-01-05', '2024-05-02 10:30:00', '09:15:00', 'c'),
    (6, 'null',           7,    0.0,  0.10, 1, '2022-06-15', '2023-01-01 12:00:00', '00:00:00', '=x'),
    (7, '=x',             7,    9.75, 10,   1, '2024-01-06', '2024-05-01 08:00:01', '18:45:00', '  padded'),
    (8, 'back\\slash',    1,    0.25, 1.2,  0, '2024-01-05', '2024-05-01 07:59:59', '07:00:00', 'Ünïcode'),
    (9, 'Ça va',          2,    1.0,  5,    1, '2024-03-01', '2024-06-01 00:00:00', '10:00:00', 'ça'),
    (10, 'Bananas',       5,    NULL, 2.5,  NULL, '2024-01-01', '2024-01-01 00:00:00', '11:11:11', 'a%b'),
    (11, 'under_score',   5,    1.5,  2.50, 0, '2024-01-01', '2024-05-01 08:00:00', '11:00:00', 'a_b');
'''


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = realworld.build(tmp_path_factory.mktemp("filters") / "items.db", SCRIPT)
    conn = sqlite3.connect(path)
    add_sqlite_functions(conn)
    table = sqlite_backend.sqlite_table(conn, "items", "table")
    yield conn, table
    conn.close()


def ids(db, column: str, text: str) -> list[int]:
    conn, table = db
    cond = parse_filter(text, table.column(column), SQLITE)
    assert cond is not None and cond.column == column
    rows = conn.execute(f"SELECT id FROM items WHERE {cond.sql} ORDER BY id", cond.params).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize(("column", "text", "expected"), [
    # contains, case-insensitive for ASCII
    ("name", "apple", [1, 2]),
    ("name", "APPLE", [1, 2]),
    ("name", "  apple  ", [1, 2]),
    ("name", "ban", [3, 10]),
    # LIKE metacharacters are literal
    ("name", "%", [4]),
    ("name", "_", [3, 11]),
    ("name", "a_s", [3]),
    ("name", "\\", [8]),
    ("odd \"col\"", "%", [10]),
    ("odd \"col\"", "a_b", [11]),
    # not contains: NULL rows count as not containing
    ("name", "!apple", [3, 4, 5, 6, 7, 8, 9, 10, 11]),
    ("name", "!_", [1, 2, 4, 5, 6, 7, 8, 9, 10]),
    ("weight", "!.", [3, 10]),
    # null / !null
    ("name", "null", [5]),
    ("name", "NULL", [5]),
    ("name", "!null", [1, 2, 3, 4, 6, 7, 8, 9, 10, 11]),
    ("born", "null", [3]),
    # quoting a literal that looks like syntax
    ("name", '"null"', [6]),
    ("name", '"=x"', [7]),
    ("odd \"col\"", '"  padded"', [7]),
    ("odd \"col\"", '""x""', [4]),
    ("odd \"col\"", '= "  padded"', [7]),
    ("odd \"col\"", '="=x"', [6]),
    # comparisons in the column's type
    ("qty", "=7", [6, 7]),
    ("qty", "= 7", [6, 7]),
    ("qty", "!=7", [1, 2, 3, 4, 8, 9, 10, 11]),
    ("qty", ">5", [2, 6, 7]),
    ("qty", ">=5", [2, 6, 7, 10, 11]),
    ("qty", "<0", [4]),
    ("qty", "<=0", [3, 4]),
    ("qty", "<-1", [4]),
    ("weight", ">1.25", [4, 5, 7, 11]),
    ("weight", "=0", [6]),
    ("weight", "<1e0", [1, 6, 8]),
    ("price", ">=2.5", [2, 4, 7, 9, 10, 11]),
    ("price", "=1.20", [1, 8]),
    ("price", "=10", [7]),
    ("price", "<0.5", [6]),
    ("active", "=yes", [1, 3, 6, 7, 9]),
    ("active", "=true", [1, 3, 6, 7, 9]),
    ("active", "=0", [2, 5, 8, 11]),
    ("active", "!=f", [1, 3, 6, 7, 9]),
    ("active", "null", [4, 10]),
    ("born", "=2024-01-05", [1, 5, 8]),
    ("born", ">2024-01-05", [4, 7, 9]),
    ("born", "<2024-01-01", [2, 6]),
    ("seen", ">=2024-05-01", [1, 4, 5, 7, 8, 9, 11]),
    ("seen", ">2024-05-01 08:00", [5, 7, 9]),
    ("seen", "=2024-05-01T08:00:00", [1, 11]),
    ("seen", "<2024-01-01 00:00:01", [6, 10]),
    ("at_time", ">=11:00:00", [2, 4, 7, 10, 11]),
    ("at_time", "<09:00", [1, 6, 8]),
    ("at_time", "=12:00", [4]),
    ("name", ">b", [6, 8, 9, 11]),
    ("name", "<B", [1, 4, 7]),
    ("name", "=Apple", [1]),
    ("name", "=apple", []),
    ("name", "ça va", [9]),           # the case of every letter is ignored, not only ASCII's (SQLite's LIKE)
    ("name", "Ça VA", [9]),
])
def test_operator(db, column, text, expected):
    assert ids(db, column, text) == expected


BAD_VALUES = [
    ("qty", "=seven"), ("qty", ">1.5"), ("qty", "<=1e3"), ("weight", ">heavy"), ("price", "=1,20"),
    ("price", "<abc"), ("active", "=maybe"), ("active", "=2"), ("born", ">2024-13-01"), ("born", "=yesterday"),
    ("born", "=05/01/2024"), ("seen", ">2024-05-01 25:00"), ("seen", "<soon"), ("at_time", "=noon"),
    ("at_time", ">25:00"),
]


@pytest.mark.parametrize(("column", "text"), BAD_VALUES)
def test_bad_value_names_the_column_where_the_engine_enforces_types(db, column, text):
    """A server engine (or a STRICT table) holds only values of the declared type: such a value is a typo."""
    _, table = db
    col = dataclasses.replace(table.column(column), enforced=True)
    for dialect in (POSTGRES, SQLITE):
        with pytest.raises(FilterError) as e:
            parse_filter(text, col, dialect)
        msg = str(e.value)
        assert column in msg
        assert col.kind in msg
        assert repr(text.lstrip("=<>!").strip()) in msg


@pytest.mark.parametrize(("column", "text"), BAD_VALUES)
def test_bad_value_is_compared_and_noted_on_sqlite(db, column, text):
    """An ordinary SQLite table may hold such a value: it is compared (here nothing has it) and the note says how."""
    _, table = db
    cond = parse_filter(text, table.column(column), SQLITE)
    operand = text.lstrip("=<>!").strip()
    assert cond.note.startswith(f"{operand!r} is not a")
    assert cond.note.endswith(("compared as text", "compared as a number"))
    assert ids(db, column, text) == {
        "<=1e3": [1, 2, 3, 4, 6, 7, 8, 9, 10, 11], ">1.5": [1, 2, 6, 7, 9, 10, 11],    # as numbers
        ">2024-05-01 25:00": [5, 9], "<soon": [1, 2, 4, 5, 6, 7, 8, 9, 10, 11],      # as text, by text order
    }.get(text, [])


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_operator_without_a_value(db, op):
    _, table = db
    with pytest.raises(FilterError, match="needs a value"):
        parse_filter(op, table.column("qty"), SQLITE)
    with pytest.raises(FilterError, match="needs a value"):
        parse_filter(op + "   ", table.column("name"), SQLITE)


def test_equals_quoted_empty_string(db):
    conn, table = db
    conn.execute("INSERT INTO items (id, name) VALUES (100, '')")
    try:
        assert ids(db, "name", '=""') == [100]
        assert ids(db, "name", '!=""') == [1, 2, 3, 4, 6, 7, 8, 9, 10, 11]
    finally:
        conn.execute("DELETE FROM items WHERE id = 100")
    assert ids(db, "qty", '=""') == []
    assert parse_filter('=""', table.column("qty"), SQLITE).note == "'' is not an int: compared as text"
    with pytest.raises(FilterError, match="not a valid int for column qty"):
        parse_filter('=""', dataclasses.replace(table.column("qty"), enforced=True), SQLITE)


def test_contains_ignores_case_beyond_ascii_and_keeps_accents(db):
    """SQLite's LIKE folds ASCII letters only: an operand with other letters is matched lowered by Python."""
    assert ids(db, "name", "ça va") == [9]
    assert ids(db, "name", "!ça va") == [i for i in ids(db, "name", "!zzz") if i != 9]
    assert ids(db, "name", "ca va") == []              # an accent is a different letter
    assert ids(db, "name", "APPLE PIE") == [2]


def test_empty_filter_is_no_filter(db):
    _, table = db
    assert parse_filter("", table.column("name"), SQLITE) is None
    assert parse_filter("   ", table.column("name"), SQLITE) is None


def test_labels(db):
    _, table = db
    col = table.column("name")
    assert parse_filter("kim", col, SQLITE).label == "name ~ kim"
    assert parse_filter("!kim", col, SQLITE).label == "name !~ kim"
    assert parse_filter(">= b", col, SQLITE).label == "name >= b"
    assert parse_filter("null", col, SQLITE).label == "name is null"
    assert parse_filter("!null", col, SQLITE).label == "name is not null"


def test_column_is_quoted_for_the_dialect(db):
    _, table = db
    col = table.column('odd "col"')
    assert parse_filter("=x", col, SQLITE).sql == '"odd ""col""" = ?'
    assert parse_filter("=x", col, MYSQL).sql == '`odd "col"` = ?'


def test_values_are_parameters_never_sql(db):
    conn, table = db
    text = "x'; DROP TABLE items; --"
    cond = parse_filter(text, table.column("name"), SQLITE)
    assert "DROP" not in cond.sql
    assert ids(db, "name", text) == []
    assert ids(db, "name", "=" + text) == []
    assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 11


def test_convert_kinds():
    """One parser per kind, returning Python values; how they are bound is the engine's business."""
    col = schema.Column
    assert convert("42", col("c", "INTEGER", "int")) == 42
    assert convert("-1.5", col("c", "REAL", "float")) == -1.5
    assert convert("12.50", col("c", "NUMERIC", "decimal")) == Decimal("12.50")
    assert convert("Y", col("c", "BOOLEAN", "bool")) is True
    assert convert("off", col("c", "BOOLEAN", "bool")) is False
    assert convert("2024-02-29", col("c", "DATE", "date")) == dt.date(2024, 2, 29)
    assert convert("2024-05-01", col("c", "DATETIME", "datetime")) == dt.datetime(2024, 5, 1)
    assert convert("2024-05-01T10:20", col("c", "DATETIME", "datetime")) == dt.datetime(2024, 5, 1, 10, 20)
    assert convert("10:20:30.5", col("c", "TIME", "time")) == dt.time(10, 20, 30, 500000)
    assert convert("anything", col("c", "TEXT", "text")) == "anything"
    with pytest.raises(FilterError, match="not a valid int for column c"):
        convert("4.2", col("c", "INTEGER", "int"))
    with pytest.raises(FilterError, match="not a valid date"):
        convert("2023-02-29", col("c", "DATE", "date"))


@pytest.mark.parametrize(("kind", "text"), [
    # Python's own parsers take more than a user means, or than SQLite's numbers and dates are
    ("int", "1_000"), ("int", "٣"), ("int", " 12"), ("int", "9223372036854775808"), ("float", "1_0.5"),
    ("float", "nan"), ("decimal", "NaN"), ("decimal", "Infinity"), ("decimal", "1_000"), ("date", "20240105"),
    ("date", "2024-W01-1"), ("datetime", "2024-05-01 08"), ("datetime", "2024-05-01T08:00:00+02:00"),
    ("datetime", "2024-05-01 08:00:00.1234567"), ("time", "0800"), ("time", "08:00:00Z"),
])
def test_parsers_take_plain_forms_only(kind, text):
    with pytest.raises(FilterError, match=f"is not a valid {kind}"):
        convert(text, schema.Column("c", "", kind))
