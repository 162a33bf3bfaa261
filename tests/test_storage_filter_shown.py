"""`text` and `!text` filters match the text the grid shows (storage.filters), on a real SQLite file.

The grid's rules (console/formatting.py, widgets/cells.py): a bool column shows 0 and 1 (integers or reals)
as false and true and anything else as stored; a REAL shows as Python's repr (the shortest text that reads
back as the same number); everything else as str().
"""

from __future__ import annotations

import sqlite3

import pytest

from console.formatting import formatter
from storage.backends import sqlite as sqlite_backend
from storage.dialect import SQLITE
from storage.filters import add_sqlite_functions, parse_filter
from tests import realworld

REALS = [0.1 + 0.2, 2 / 3, 1 / 3, 1e20, 1e-05, 1e15, 1e16, 12.345, 99999999999.999, 1234567890123456.7, -0.5,
         float("inf"), float("-inf"), 5e-324, 0.0, 100.0, 123456789.12345679, 1.5e-07, 842485754513489.25,
         558947.7782152, 8.350864631325894e+277, 0.0001, 9999999999999998.0]
VALUES = {
    "flag": [1, 0, 2, 0.5, "yes", None, 1, 0],
    "price": [12.345, 12, "n/a", 0.1 + 0.2, 0.005, 99999999999.999, None, -1],
    "qty": [5, "n/a", 1e20, 2.5, None, -3, 0, 7],
    "name": ["Apple", "true", "1e+20", None, "0.3", "Ça", "x_y", "100%"],
    "anything": [12, "12", 12.0, 1.5e-07, None, "true", 0, 2 / 3],
}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = realworld.build(tmp_path_factory.mktemp("shown") / "shown.db", """
        CREATE TABLE reals (id INTEGER PRIMARY KEY, r REAL);
        CREATE TABLE mixed (id INTEGER PRIMARY KEY, flag BOOLEAN, price NUMERIC(12,2), qty INTEGER, name TEXT,
                            anything);
    """)
    conn = sqlite3.connect(path)
    conn.executemany("INSERT INTO reals VALUES (?, ?)", list(enumerate(REALS, 1)))
    conn.executemany("INSERT INTO mixed VALUES (?, ?, ?, ?, ?, ?)",
                     [(i + 1, *(VALUES[c][i] for c in VALUES)) for i in range(8)])
    conn.commit()
    add_sqlite_functions(conn)
    yield conn
    conn.close()


def shown(value, kind: str) -> str:
    """The grid's text for a stored value, by the rules above."""
    if kind == "bool" and isinstance(value, (int, float)) and value in (0, 1):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def fold(text: str) -> str:
    """SQLite's LIKE ignores the case of ASCII letters only."""
    return text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))


def check(conn, table_name: str, column: str, pattern: str):
    table = sqlite_backend.sqlite_table(conn, table_name, "table")
    col = table.column(column)
    stored = conn.execute(f"SELECT id, {column} FROM {table_name} ORDER BY id").fetchall()
    want = [i for i, v in stored if v is not None and fold(pattern) in fold(shown(v, col.kind))]
    want_not = [i for i, v in stored if i not in want]            # NULL counts as not containing
    for text, expected in ((pattern, want), ("!" + pattern, want_not)):
        cond = parse_filter(text, col, SQLITE)
        got = [r[0] for r in conn.execute(f"SELECT id FROM {table_name} WHERE {cond.sql} ORDER BY id",
                                          cond.params)]
        assert got == expected, (column, text, [shown(v, col.kind) for _, v in stored])
    return want


@pytest.mark.parametrize("pattern", [
    "0.30000000000000004", "0000000000000004", "667", "6666666666666666", "3333333333333333", "1e+20", "1.0e+20",
    "e-05", "1e-05", "1000000000000000.0", "1e+16", "12.345", "99999999999.999", "1234567890123456.8", "inf",
    "-inf", "-0.5", "5e-324", "0.0", "100.0", ".0", "123456789.12345679", "1.5e-07", "489.2", "489.3", "7782152",
    "2001", "894e+277", "893e+277", "0.0001", "9999999999999998.0", "E+", "e-0",
])
def test_reals_as_the_grid_shows_them(db, pattern):
    check(db, "reals", "r", pattern)


def test_what_this_sqlite_would_show_instead(db):
    """Why SQLite's own text of a REAL cannot be used: it has 15 significant digits, and its own formatting."""
    assert db.execute("SELECT CAST(0.1 + 0.2 AS TEXT), CAST(1e20 AS TEXT), CAST(2.0 / 3 AS TEXT)").fetchone() == (
        "0.3", "1.0e+20", "0.666666666666667")
    assert check(db, "reals", "r", "0.666666666666667") == []       # the grid shows 0.6666666666666666


@pytest.mark.parametrize(("column", "pattern", "expected"), [
    ("flag", "true", [1, 7]),               # the case: the grid shows true, the file holds 1
    ("flag", "TRUE", [1, 7]),
    ("flag", "fal", [2, 8]),
    ("flag", "e", [1, 2, 5, 7, 8]),
    ("flag", "1", []),
    ("flag", "0", [4]),                     # 0.5, shown as stored
    ("flag", "2", [3]),
    ("flag", "yes", [5]),
    ("price", "12.345", [1]),               # never rounded to the declared scale
    ("price", "12.34", [1]),
    ("price", "0.30000000000000004", [4]),
    ("price", "0.005", [5]),
    ("price", "n/a", [3]),
    ("qty", "e+20", [3]),
    ("qty", "2.5", [4]),
    ("name", "true", [2]),
    ("name", "_", [7]),
    ("name", "%", [8]),
    ("anything", "12", [1, 2, 3]),
    ("anything", "12.0", [3]),
    ("anything", "e-07", [4]),
    ("anything", "true", [6]),
    ("anything", "0.6666666666666666", [8]),
])
def test_contains_matches_the_grid(db, column, pattern, expected):
    assert check(db, "mixed", column, pattern) == expected


def test_the_rules_are_the_grids(db):
    """The rules the filters follow are the grid's own (console.formatting)."""
    for name, column in (("reals", "r"), ("mixed", "flag"), ("mixed", "price"), ("mixed", "qty"),
                         ("mixed", "name"), ("mixed", "anything")):
        col = sqlite_backend.sqlite_table(db, name, "table").column(column)
        show = formatter(col)
        for (value,) in db.execute(f"SELECT {column} FROM {name} WHERE {column} IS NOT NULL"):
            assert show(value) == shown(value, col.kind), (column, value)
