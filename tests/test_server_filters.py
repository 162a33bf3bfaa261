"""The filter language on the real servers: contains is case-insensitive (non-ASCII letters too), a literal
% or _ or ! is itself, booleans match what the grid shows, comparisons are typed, and a typo is refused
(servers enforce the column's type). The SQL is run as paging runs it: the dialect's placeholders."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from storage.dialect import MYSQL, POSTGRES
from storage.filters import FilterError, parse_filter
from storage.schema import Column

ROWS = [
    (1, "Kraków", True, decimal.Decimal("12.345"), dt.date(2024, 5, 1), "50% off"),
    (2, "KRAKÓW center", False, decimal.Decimal("0.005"), dt.date(2024, 5, 2), "a_b!c"),
    (3, "Lisbon", None, None, None, None),
]


def columns(dialect):
    return {
        "name": Column("name", "text", "text"),
        "flag": Column("flag", "boolean" if dialect is POSTGRES else "tinyint(1)", "bool"),
        "amount": Column("amount", "numeric(12,3)", "decimal"),
        "day": Column("day", "date", "date"),
        "note": Column("note", "text", "text"),
    }


@pytest.fixture(params=["postgres", "mysql"])
def server(request):
    if request.param == "postgres":
        _uri, schema, conn = request.getfixturevalue("pg_schema")
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text, flag boolean, amount numeric(12,3), day date, "
                     "note text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s)", ROWS)

        def run(sql, params):
            return [r[0] for r in conn.execute(sql, params).fetchall()]
        return POSTGRES, run
    _uri, name, conn = request.getfixturevalue("mysql_database")
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id int PRIMARY KEY, name text, flag tinyint(1), amount decimal(12,3), day date, "
                    "note text)")
        cur.executemany("INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s)", ROWS)

    def run(sql, params):
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return [r[0] for r in cur.fetchall()]
    return MYSQL, run


def ids(server, column, text):
    dialect, run = server
    cond = parse_filter(text, columns(dialect)[column], dialect)
    sql = dialect.placeholders(f"SELECT id FROM t WHERE {cond.sql} ORDER BY id")
    return run(sql, cond.params)


def test_contains_ignores_case_non_ascii_letters_too(server):
    assert ids(server, "name", "kraków") == [1, 2]
    assert ids(server, "name", "KRAKÓW") == [1, 2]
    assert ids(server, "name", "!kraków") == [3]


def test_like_characters_are_literals(server):
    assert ids(server, "note", "50%") == [1]
    assert ids(server, "note", "a_b") == [2]
    assert ids(server, "note", "_") == [2]
    assert ids(server, "note", "b!c") == [2]
    assert ids(server, "note", "%") == [1]


def test_booleans_match_what_the_grid_shows(server):
    assert ids(server, "flag", "true") == [1]
    assert ids(server, "flag", "fals") == [2]
    assert ids(server, "flag", "=true") == [1]


def test_comparisons_are_typed_and_typos_refused(server):
    assert ids(server, "amount", ">=12.345") == [1]
    assert ids(server, "amount", "<12.345") == [2]
    assert ids(server, "day", ">2024-05-01") == [2]
    assert ids(server, "amount", "null") == [3]
    dialect, _run = server
    with pytest.raises(FilterError, match="is not a valid decimal"):
        parse_filter(">12,3", columns(dialect)["amount"], dialect)
