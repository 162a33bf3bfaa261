"""Keyset paging (storage.paging) through Database.fetch on the real PostgreSQL server: walked both ways, page
by page, and compared row for row with the server's own ORDER BY (NULLs last ascending, as PostgreSQL sorts)."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet import defer

from storage.paging import Order, View

LIMIT = 7


@defer.inlineCallbacks
def walk(db, view, *, backward: bool):
    """Every row of *view* in display order, read LIMIT at a time from the first row (or from the last, backward)."""
    rows, mark = [], None
    while True:
        page = yield db.fetch(view, mark, forward=not backward, limit=LIMIT, from_end=backward and mark is None)
        rows = page.rows + rows if backward else rows + page.rows
        if page.reached_end or not page.marks:
            return rows
        mark = page.marks[0] if backward else page.marks[-1]
        assert len(rows) < 1_000, "paging does not end"


@defer.inlineCallbacks
def assert_walks(db, conn, table, sql_order: dict):
    """Walk *table* by each Order in *sql_order* both ways; compare with `SELECT * ... ORDER BY` its SQL."""
    for order, sql in sql_order.items():
        want = conn.execute(f"SELECT * FROM {table.name} ORDER BY {sql}").fetchall()
        view = View(table, order)
        for backward in (False, True):
            got = yield walk(db, view, backward=backward)
            assert got == want, f"{order} {'backward' if backward else 'forward'}"


def orders(sort: str, tie: str) -> dict:
    return {Order(sort): f"{sort} ASC NULLS LAST, {tie}",
            Order(sort, descending=True): f"{sort} DESC NULLS FIRST, " + tie.replace(",", " DESC,") + " DESC"}


@pytest_twisted.inlineCallbacks
def test_a_composite_key_and_nulls_in_the_sort_column(pg_schema, opened):
    uri, schema, conn = pg_schema
    conn.execute("""
        CREATE TABLE pairs (region text, n int, score int, label text, PRIMARY KEY (region, n));
        INSERT INTO pairs
            SELECT chr(65 + g % 5), g, CASE WHEN g % 4 = 0 THEN NULL ELSE g % 6 END, 'row ' || g
            FROM generate_series(1, 60) g;
    """)
    db = opened(uri)
    table = yield db.describe(f"{schema}.pairs")
    assert table.identity.page_key == ("region", "n")
    yield assert_walks(db, conn, table, {Order(): "region, n", **orders("score", "region, n")})
    # A text sort column with NULLs too, and equal values across keys.
    conn.execute("UPDATE pairs SET label = NULL WHERE n % 7 = 0; UPDATE pairs SET label = 'same' WHERE n % 3 = 0")
    yield assert_walks(db, conn, table, orders("label", "region, n"))


@pytest_twisted.inlineCallbacks
def test_a_keyless_table_with_duplicate_rows_and_nulls(pg_schema, opened):
    uri, schema, conn = pg_schema
    conn.execute("""
        CREATE TABLE loose (a int, b text, r real);
        INSERT INTO loose SELECT g % 4, CASE WHEN g % 5 = 0 THEN NULL ELSE 'v' || g % 3 END, (g % 3) / 10.0
            FROM generate_series(1, 40) g;
        INSERT INTO loose SELECT 1, 'v1', 0.1 FROM generate_series(1, 9);
        INSERT INTO loose VALUES (NULL, NULL, NULL), (NULL, NULL, NULL);
    """)
    db = opened(uri)
    table = yield db.describe(f"{schema}.loose")
    assert table.identity.page_key == ()
    # Rows identical in every column are told apart only by their place: compare as the server orders them.
    every = "a NULLS LAST, b NULLS LAST, r NULLS LAST"
    every_desc = "a DESC NULLS FIRST, b DESC NULLS FIRST, r DESC NULLS FIRST"
    yield assert_walks(db, conn, table, {
        Order("b"): f"b ASC NULLS LAST, {every}", Order("b", descending=True): f"b DESC NULLS FIRST, {every_desc}",
        Order("r"): f"r ASC NULLS LAST, {every}", Order("r", descending=True): f"r DESC NULLS FIRST, {every_desc}",
    })


@pytest.fixture
def case_insensitive(pg_schema):
    """A nondeterministic ICU collation, under which 'abc' = 'ABC'."""
    _, schema, conn = pg_schema
    conn.execute("CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)")
    return f'"{schema}".ci'


@pytest_twisted.inlineCallbacks
def test_a_case_insensitive_collation_in_a_keyed_table(pg_schema, case_insensitive, opened):
    """Equal values under the collation ('a', 'A') are ties that the key breaks: paging stays exact."""
    uri, schema, conn = pg_schema
    conn.execute(f"""
        CREATE TABLE names (id int PRIMARY KEY, name text COLLATE {case_insensitive});
        INSERT INTO names
            SELECT g, (ARRAY['a', 'A', 'b', 'B', 'ab', 'AB', NULL])[1 + g % 7] FROM generate_series(1, 50) g;
    """)
    assert conn.execute("SELECT count(*) FROM names WHERE name = 'A'").fetchone()[0] > 10
    db = opened(uri)
    table = yield db.describe(f"{schema}.names")
    yield assert_walks(db, conn, table, orders("name", "id"))


@pytest_twisted.inlineCallbacks
def test_a_case_insensitive_collation_in_a_keyless_table(pg_schema, case_insensitive, opened):
    uri, schema, conn = pg_schema
    conn.execute(f"""
        CREATE TABLE loose_names (name text COLLATE {case_insensitive}, n int);
        INSERT INTO loose_names SELECT (ARRAY['a', 'A', 'b', 'B'])[1 + g % 4], g % 3 FROM generate_series(1, 40) g;
    """)
    db = opened(uri)
    table = yield db.describe(f"{schema}.loose_names")
    got = yield walk(db, View(table, Order("n")), backward=False)
    want = conn.execute("SELECT * FROM loose_names").fetchall()
    assert sorted(got) == sorted(want)
