"""A condition keeps exactly the text the operator typed (storage.filters), so that editing a filter starts
from it: parsed again, it gives the same condition and finds the same rows. A text rebuilt from the label
loses quotes and spaces: `"null"` became `null` (IS NULL), `"=x"` became `= x`, `"  padded"` became `padded`."""

from __future__ import annotations

import sqlite3

import pytest

from storage.backends import sqlite as sqlite_backend
from storage.dialect import SQLITE
from storage.filters import add_sqlite_functions, parse_filter
from tests import realworld

TYPED = [
    '"null"', "null", "NULL", "!null", '"!null"', '"=x"', "=x", '= "  padded"', '"  padded"', '  "  padded"  ',
    "  apple  ", '!"  padded"', "!apple", '=""', '!=""', '""x""', "=null", '="null"', ">= b", "<B", "%", "_",
    "x'; DROP TABLE t; --", '"', "!",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = realworld.build(tmp_path_factory.mktemp("kept") / "t.db", """
        CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER);
        INSERT INTO t VALUES (1, 'null', 1), (2, NULL, 2), (3, '=x', 3), (4, '  padded', 4), (5, 'padded', 5),
                             (6, 'apple', 6), (7, '', 7), (8, '"x"', 8), (9, 'x', 9), (10, '!null', 10),
                             (11, 'b%_', 11), (12, '"', 12), (13, '!', 13);
    """)
    conn = sqlite3.connect(path)
    add_sqlite_functions(conn)
    yield conn, sqlite_backend.sqlite_table(conn, "t", "table")
    conn.close()


def rows(conn, cond) -> list[int]:
    return [r[0] for r in conn.execute(f"SELECT id FROM t WHERE {cond.sql} ORDER BY id", cond.params)]


@pytest.mark.parametrize("typed", TYPED)
def test_typed_text_is_kept_and_parses_to_the_same_condition(db, typed):
    conn, table = db
    cond = parse_filter(typed, table.column("v"), SQLITE)
    assert cond.text == typed
    again = parse_filter(cond.text, table.column("v"), SQLITE)
    assert again == cond
    assert rows(conn, again) == rows(conn, cond)


@pytest.mark.parametrize(("typed", "expected"), [
    ('"null"', [1, 10]),        # the text null, not IS NULL
    ("null", [2]),
    ('"=x"', [3]),              # contains "=x", not equals x
    ('"  padded"', [4]),        # the spaces inside quotes are part of the value
    ('  "  padded"  ', [4]),
    ("  padded  ", [4, 5]),     # unquoted, the spaces around are not
    ('= "  padded"', [4]),
    ('!"  padded"', [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
    ('"!null"', [10]),
    ('"', [8, 12]),
])
def test_quoted_literals_keep_their_meaning(db, typed, expected):
    conn, table = db
    cond = parse_filter(typed, table.column("v"), SQLITE)
    assert rows(conn, cond) == expected
    assert rows(conn, parse_filter(cond.text, table.column("v"), SQLITE)) == expected


def test_kept_text_of_a_comparison_with_a_note(db):
    conn, table = db
    cond = parse_filter("= LAMB93", table.column("n"), SQLITE)
    assert cond.text == "= LAMB93" and cond.note == "'LAMB93' is not an int: compared as text"
    assert parse_filter(cond.text, table.column("n"), SQLITE) == cond
