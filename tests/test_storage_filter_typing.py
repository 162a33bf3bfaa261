"""SQLite's dynamic typing and the filter language (storage.filters), on real SQLite files.

Outside STRICT tables SQLite keeps any value in any column: a value that does not parse as the column's
declared type is compared as SQLite compares it (as a number if it looks like one, else as text), and the
condition's note says so. Only where the engine enforces the type (STRICT tables; server engines) is such
a value a typo, refused before anything runs.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from storage import schema
from storage.backends import sqlite as sqlite_backend
from storage.dialect import POSTGRES, SQLITE
from storage.filters import FilterError, add_sqlite_functions, parse_filter
from tests import realworld

SCRIPT = '''
CREATE TABLE places (
    id      INTEGER PRIMARY KEY,
    code    INTEGER_OR_TEXT,
    n       INTEGER,
    born    DATE,
    seen    DATETIME,
    at      TIME,
    ok      BOOLEAN,
    price   NUMERIC(12,2),
    weight  REAL,
    label   TEXT,
    anything
);
INSERT INTO places VALUES
    (1, 2154, 10, '2024-01-05', '2024-05-01 08:00:00', '08:00:00', 1, 12.345, 0.5, 'a', 12),
    (2, 'LAMB93', 'n/a', '2024-13-45', '2024-05-01T08:00:00', '08:00', 0, 12.34, 'heavy', 'b', '12'),
    (3, 'WGS84', 1.5, '5/01/2024', '2024-05-01', '08:00:00.5', 'maybe', 'n/a', 1.5, 'c', 12.5),
    (4, 4326, 20240105, 20240105, '7/4/1996', 'noon', 2, 0.005, NULL, 'd', 'x'),
    (5, NULL, -3, '2024-01-05', '2024-05-01 08:00:00.000', '23:59:59', NULL, 99999999999.999, 2.0, 'e', NULL),
    (6, 'lamb93', 1e20, '2024-01-06', '2024-05-01 07:59:59.999999', '12:00:00', 1, 12, 2, 'f', 'LAMB93'),
    (7, 'x9', 7, '2024-01-04 23:00', '2024-05-01 08:00:00.5', '07:59:59.999', 0, -1, 1e-7, 'g', 12.0);
CREATE TABLE tight (id INTEGER PRIMARY KEY, n INTEGER, w REAL, t TEXT, a ANY) STRICT;
INSERT INTO tight VALUES (1, 5, 1.5, 'x', 'LAMB93'), (2, 7, 2.0, 'y', 7), (3, 9, 2.5, 'z', '7');
'''


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = realworld.build(tmp_path_factory.mktemp("typing") / "places.db", SCRIPT)
    conn = sqlite3.connect(path)
    add_sqlite_functions(conn)
    tables = {name: sqlite_backend.sqlite_table(conn, name, "table") for name in ("places", "tight")}
    yield conn, tables
    conn.close()


def found(db, table: str, column: str, text: str):
    conn, tables = db
    cond = parse_filter(text, tables[table].column(column), SQLITE)
    rows = conn.execute(f'SELECT id FROM "{table}" WHERE {cond.sql} ORDER BY id', cond.params).fetchall()
    return [r[0] for r in rows], cond.note


def plain_sql(db, sql: str, params=()) -> list[int]:
    conn, _ = db
    return [r[0] for r in conn.execute(f"SELECT id FROM places WHERE {sql} ORDER BY id", params).fetchall()]


# -- a value that is not of the column's type -------------------------------------------------------------------
@pytest.mark.parametrize(("column", "text", "expected", "note"), [
    # the issue's own case: plain SQL finds the row, the filter must too
    ("code", "=LAMB93", [2], "'LAMB93' is not an int: compared as text"),
    ("code", "=lamb93", [6], "'lamb93' is not an int: compared as text"),
    ("code", "!=LAMB93", [1, 3, 4, 6, 7], "'LAMB93' is not an int: compared as text"),
    # < and > compare text with the column's text values (by its collation), never with its numbers
    ("code", "<M", [2], "'M' is not an int: compared as text"),
    ("code", ">M", [3, 6, 7], "'M' is not an int: compared as text"),
    ("code", "=2154", [1], None),
    ("n", "=n/a", [2], "'n/a' is not an int: compared as text"),
    # a number that is not an int is compared as the number it is (SQLite would convert the text anyway)
    ("n", "=1.5", [3], "'1.5' is not an int: compared as a number"),
    ("n", ">1e19", [6], "'1e19' is not an int: compared as a number"),
    ("n", "=99999999999999999999", [6], "'99999999999999999999' is not an int: compared as the number 1e+20"),
    ("born", "=2024-13-45", [2], "'2024-13-45' is not a date: compared as text"),
    ("born", "=5/01/2024", [3], "'5/01/2024' is not a date: compared as text"),
    ("born", "=20240105", [4], "'20240105' is not a date: compared as a number"),
    ("seen", "=7/4/1996", [4], "'7/4/1996' is not a datetime: compared as text"),
    ("at", "=noon", [4], "'noon' is not a time: compared as text"),
    ("ok", "=maybe", [3], "'maybe' is not a bool: compared as text"),
    ("ok", "=2", [4], "'2' is not a bool: compared as a number"),
    ("price", "=n/a", [3], "'n/a' is not a decimal: compared as text"),
    ("weight", "=heavy", [2], "'heavy' is not a float: compared as text"),
])
def test_value_not_of_the_declared_type(db, column, text, expected, note):
    assert found(db, "places", column, text) == (expected, note)


def test_text_comparison_is_what_plain_sql_finds(db):
    """'compared as text' is SQLite's own comparison of the text with the column (for < and >, with its text
    values only): the rows of the plain statement."""
    for op in ("=", "!=", "<", "<=", ">", ">="):
        sql_op = "<>" if op == "!=" else op
        where = f"code {sql_op} ?" if op in ("=", "!=") else f"typeof(code) = 'text' AND code {sql_op} ?"
        for value in ("LAMB93", "M", "lamb", "x9"):
            assert found(db, "places", "code", f"{op}{value}")[0] == plain_sql(db, where, (value,))


# -- values that are of the column's type, stored in any form ---------------------------------------------------
@pytest.mark.parametrize(("column", "text", "expected"), [
    ("born", "=2024-01-05", [1, 5]),
    ("born", "!=2024-01-05", [2, 3, 4, 6, 7]),            # what is not that date, whatever its form
    # comparisons take dates only: not a text that is not one (13th month, another format, a number)
    ("born", ">2024-01-05", [6]),
    ("born", ">=2024-01-05", [1, 5, 6]),
    ("born", "<2024-01-05", [7]),
    ("born", "<=2024-01-06", [1, 5, 6, 7]),
    # a DATETIME column holding ISO text written in several ways: each is the same moment
    ("seen", "=2024-05-01 08:00", [1, 2, 5]),
    ("seen", "=2024-05-01T08:00:00.000000", [1, 2, 5]),
    ("seen", "=2024-05-01", [3]),
    ("seen", "=2024-05-01 08:00:00.5", [7]),
    ("seen", "!=2024-05-01 08:00", [3, 4, 6, 7]),
    ("seen", ">2024-05-01 08:00", [7]),
    ("seen", ">=2024-05-01 08:00", [1, 2, 5, 7]),
    ("seen", "<2024-05-01 08:00", [3, 6]),                # exact below the millisecond: 07:59:59.999999
    ("seen", "<=2024-05-01", [3]),
    ("seen", ">2024-05-01 07:59:59.9999", [1, 2, 5, 6, 7]),
    ("at", "=08:00", [1, 2]),
    ("at", ">08:00", [3, 5, 6]),
    ("at", "<08:00:00.5", [1, 2, 7]),
    ("at", ">=07:59:59.999", [1, 2, 3, 5, 6, 7]),
    ("ok", "=true", [1, 6]),
    ("ok", "=false", [2, 7]),
    ("n", "=10", [1]),
    ("n", ">=7", [1, 4, 6, 7]),                            # numbers only: not the text 'n/a', sorted after them
    ("weight", ">=1.5", [3, 5, 6]),
    ("weight", "<1e-6", [7]),
    # a decimal is compared with the stored number, never rounded to the declared scale
    ("price", "=12.345", [1]),
    ("price", "=12.34", [2]),
    ("price", "=12.35", []),
    ("price", "=0.005", [4]),
    ("price", "=0.00", []),
    ("price", "=99999999999.999", [5]),
    ("price", "=100000000000.00", []),
    ("price", "=12", [6]),
    ("price", "=12.0", [6]),
    ("price", ">12.34", [1, 5]),
])
def test_value_of_the_declared_type(db, column, text, expected):
    assert found(db, "places", column, text) == (expected, None)


def test_more_digits_than_a_real_holds_says_what_it_compared(db):
    ids, note = found(db, "places", "price", "=12.3450000000000000001")
    assert ids == [1]
    assert note == "'12.3450000000000000001' has more digits than SQLite's numbers hold: compared as 12.345"


@pytest.mark.parametrize(("column", "text", "expected"), [
    # no declared type: 12 and '12' are shown alike, so "=12" finds both
    ("anything", "=12", [1, 2, 7]),
    ("anything", "!=12", [3, 4, 6]),
    ("anything", "=LAMB93", [6]),
    ("label", "=12", []),
    ("label", "=a", [1]),
])
def test_columns_of_no_kind(db, column, text, expected):
    assert found(db, "places", column, text) == (expected, None)


def test_dates_use_the_index(db):
    """Comparisons on dates keep a range on the column itself, so an index on it narrows the scan."""
    conn, tables = db
    conn.execute("CREATE INDEX IF NOT EXISTS places_seen ON places(seen)")
    for text in ("=2024-05-01 08:00", ">2024-05-01", "<=2024-05-01 08:00"):
        cond = parse_filter(text, tables["places"].column("seen"), SQLITE)
        plan = " ".join(r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT id FROM places WHERE {cond.sql}",
                                                   cond.params))
        assert re.search(r"USING (COVERING )?INDEX places_seen \(seen[<>]", plan), (text, plan)


# -- where the engine enforces the type, a value that is not of it is a typo -------------------------------------
def test_strict_tables_are_detected(db):
    _, tables = db
    assert {c.name: c.enforced for c in tables["tight"].columns} == {
        "id": True, "n": True, "w": True, "t": True, "a": False}       # ANY holds anything, even in STRICT
    assert not any(c.enforced for c in tables["places"].columns)


def test_views_are_never_enforced(tmp_path):
    path = realworld.build(tmp_path / "v.db", "CREATE TABLE t (n INTEGER) STRICT; CREATE VIEW v AS SELECT n FROM t;")
    conn = sqlite3.connect(path)
    try:
        assert sqlite_backend.sqlite_table(conn, "t", "table").column("n").enforced
        assert not sqlite_backend.sqlite_table(conn, "v", "view").column("n").enforced
    finally:
        conn.close()


@pytest.mark.parametrize(("column", "text"), [
    ("n", "=LAMB93"), ("n", ">1.5"), ("n", "<=1e3"), ("n", '=""'), ("n", "=99999999999999999999"),
    ("w", ">heavy"), ("w", "=1,5"),
])
def test_strict_table_keeps_the_typo_warning(db, column, text):
    _, tables = db
    col = tables["tight"].column(column)
    with pytest.raises(FilterError) as e:
        parse_filter(text, col, SQLITE)
    operand = text.lstrip("=<>!").strip().strip('"')
    assert str(e.value) == f"{operand!r} is not a valid {col.kind} for column {column} ({col.declared})"


@pytest.mark.parametrize(("column", "text", "expected"), [
    ("n", "=7", [2]), ("n", ">5", [2, 3]), ("w", "<=2", [1, 2]), ("t", "=y", [2]),
    ("a", "=LAMB93", [1]), ("a", "=7", [2, 3]),                 # ANY: the integer and the text both show 7
])
def test_strict_table_comparisons(db, column, text, expected):
    assert found(db, "tight", column, text) == (expected, None)


@pytest.mark.parametrize(("kind", "declared", "text"), [
    ("int", "integer", "=LAMB93"), ("int", "bigint", ">1.5"), ("float", "double precision", "=heavy"),
    ("decimal", "numeric(12,2)", "=n/a"), ("bool", "boolean", "=maybe"), ("date", "date", "=2024-13-45"),
    ("datetime", "timestamp", "<7/4/1996"), ("time", "time", "=noon"),
])
def test_server_columns_keep_the_typo_warning(kind, declared, text):
    """Server engines enforce column types: their catalogue readers build columns as enforced (the default)."""
    col = schema.Column("c", declared, kind)
    with pytest.raises(FilterError, match=f"is not a valid {kind} for column c"):
        parse_filter(text, col, POSTGRES)


def test_ordering_on_a_column_of_no_type_compares_numbers_as_numbers(tmp_path):
    path = tmp_path / "untyped.db"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE t (id INTEGER PRIMARY KEY, x);
        INSERT INTO t (x) VALUES (1), (5), (300), (353), (359.5), ('n/a'), ('zebra'), (NULL);
        CREATE VIEW totals AS SELECT id, sum(x) AS total FROM t WHERE typeof(x) != 'text' GROUP BY id;
    """)

    def found(table, name, kind, text):
        col = sqlite_backend.sqlite_table(conn, table, kind).column(name)
        cond = parse_filter(text, col, SQLITE)
        return sorted(r[0] for r in conn.execute(f'SELECT "{name}" FROM "{table}" WHERE {cond.sql}', cond.params))
    assert found("t", "x", "table", ">300") == [353, 359.5]          # not the text values, not 'n/a'
    assert found("t", "x", "table", "<=5") == [1, 5]
    assert found("t", "x", "table", ">m") == ["n/a", "zebra"]        # text with text
    assert found("totals", "total", "view", ">300") == [353, 359.5]  # a view's computed column
    assert found("totals", "total", "view", "<300") == [1, 5]
    conn.close()


def test_a_pasted_number_of_thousands_of_digits_is_a_filter_not_a_crash():
    col = schema.Column("n", "INTEGER", "int", enforced=False)
    assert parse_filter("=" + "9" * 5000, col, SQLITE) is not None
