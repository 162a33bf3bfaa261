"""Keyset paging (storage.paging through Database.fetch) on the real MariaDB server, both ways, compared row for
row with ORDER BY on the server: a composite key, NULLs in the sort column (first ascending on MySQL), text
in a _ci collation, keyless tables and views (every column the tie-break), a jump to row N; and the types that
compare otherwise than they sort or read (ENUM/SET, FLOAT, BIT, _ci ties: storage.dialect's value_sql,
exact_sql and bind)."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet import defer

from storage.paging import Order, View
from tests import mysql_support
from tests.mysql_support import run

open_mysql = mysql_support.open_mysql            # the fixture

PAGES = 200          # a walk that needs more pages than this is going round in circles


@defer.inlineCallbacks
def walk(db, view, limit):
    """(every row paged forward from the top, every row paged backward from the end), each in display order."""
    forward, mark = [], None
    for _ in range(PAGES):
        page = yield db.fetch(view, mark, forward=True, limit=limit)
        forward += page.rows
        if page.reached_end:
            break
        mark = page.marks[-1]
    backward, mark = [], None
    for _ in range(PAGES):
        page = yield db.fetch(view, mark, forward=False, limit=limit, from_end=mark is None)
        backward = page.rows + backward
        if page.reached_end:
            break
        mark = page.marks[0]
    return forward, backward


def ordered(conn, table: str, by: list[str], desc: bool) -> list[tuple]:
    order = ", ".join(f"{c}{' DESC' if desc else ''}" for c in by)
    return run(conn, f"SELECT * FROM {table} ORDER BY {order}")


PEOPLE = [  # (region, id, name, score): key (region, id); score and name with NULLs and ties
    (r, i, n, s) for i, (r, n, s) in enumerate([
        ("north", "abc", 3), ("North", "ABC", None), ("south", "abc ", 3), ("north", None, 1), ("east", "Zoë", None),
        ("east", "zoe", 2), ("south", "b", 3), ("north", "a", None), ("West", "ä", 2), ("west", "A", 1),
        ("east", None, None), ("south", "abc", 3), ("north", "B", 5), ("west", "b", 5), ("east", "c", 3),
    ] * 3, start=1)
]


@pytest.fixture
def people(mysql_database, open_mysql):
    uri, _name, conn = mysql_database
    run(conn, "CREATE TABLE people (region varchar(10) NOT NULL, id int NOT NULL, name varchar(10), score int, "
              "PRIMARY KEY (region, id), KEY by_score (score))")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO people VALUES (%s, %s, %s, %s)", PEOPLE)
    return open_mysql(uri), conn


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("sort", [None, "score", "name", "region"])
@pytest.mark.parametrize("desc", [False, True])
def test_a_composite_key_with_nulls_in_the_sort_column_both_ways(people, sort, desc):
    db, conn = people
    table = yield db.describe("people")
    assert table.identity.page_key == ("region", "id")
    by = (["`region`", "`id`"] if sort in (None, "region") else [f"`{sort}`", "`region`", "`id`"])
    want = ordered(conn, "people", by, desc)
    forward, backward = yield walk(db, View(table, Order(sort, desc)), limit=7)
    assert forward == want
    assert backward == want


@pytest_twisted.inlineCallbacks
def test_a_jump_to_row_n_then_paging_on_from_it(people):
    db, conn = people
    table = yield db.describe("people")
    view = View(table, Order("score", descending=True))
    want = ordered(conn, "people", ["`score`", "`region`", "`id`"], desc=True)
    page = yield db.fetch_at(view, 20, limit=5)
    assert page.rows == want[20:25]
    after = yield db.fetch(view, page.marks[-1], forward=True, limit=5)
    before = yield db.fetch(view, page.marks[0], forward=False, limit=5)
    assert after.rows == want[25:30] and before.rows == want[15:20]


NUMBERS = [(i % 4 or None, f"2024-0{i % 3 + 1}-01", i % 5, None if i % 7 == 0 else i % 2) for i in range(40)]


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("what", ["keyless table", "view"])
@pytest.mark.parametrize("sort", [None, "a", "day", "d"])
@pytest.mark.parametrize("desc", [False, True])
def test_keyless_tables_and_views_page_by_every_column(mysql_database, open_mysql, what, sort, desc):
    uri, _name, conn = mysql_database
    run(conn, "CREATE TABLE nums (a int, day date, n decimal(5,2), d tinyint)")   # identical rows included
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO nums VALUES (%s, %s, %s, %s)", NUMBERS)
    run(conn, "CREATE VIEW nums_v AS SELECT a, day, n, d FROM nums WHERE n < 4")
    name = "nums" if what == "keyless table" else "nums_v"
    db = open_mysql(uri)
    table = yield db.describe(name)
    assert table.identity.page_key == ()
    every = ["`a`", "`day`", "`n`", "`d`"]
    want = ordered(conn, name, ([f"`{sort}`"] if sort else []) + every, desc)
    forward, backward = yield walk(db, View(table, Order(sort, desc)), limit=6)
    if sort is None:          # unsorted: in the server's own order, by OFFSET, from either end
        assert sorted(forward, key=repr) == sorted(want, key=repr) == sorted(backward, key=repr)
    else:
        assert forward == want and backward == want


# -- defects that need a change outside the backend ------------------------------------------------------------
ODD = [  # (id, e, s, f, bits, name): ENUM and SET members declared out of alphabetical order
    (1, "zeta", "z", 1.5, 5, "abc"), (2, "alpha", "a", 0.1, 1, "ABC"), (3, "mid", "z,a", 123456789, 31, "abc "),
    (4, "zeta", "", 0.1, 5, "b"), (5, "alpha", "a", 1.5, 1, "B"), (6, "mid", "z", 1.0000001, 31, "abc"),
    (7, "zeta", "z,a", 0.1, 5, "ABC"), (8, "alpha", "", 1.5, 1, "b "),
]


@pytest.fixture
def odd(mysql_database, open_mysql):
    """A table per odd type (id and the column), and a keyless one of text in a _ci collation."""
    uri, _name, conn = mysql_database
    for column, declared in [("e", "enum('zeta', 'alpha', 'mid')"), ("s", "set('z', 'a')"), ("f", "float"),
                             ("bits", "bit(5)")]:
        run(conn, f"CREATE TABLE odd_{column} (id int PRIMARY KEY, {column} {declared})")
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO odd_{column} VALUES (%s, %s)",
                            [(r[0], r["id e s f bits".split().index(column)]) for r in ODD])
    run(conn, "CREATE TABLE odd_keyless (name varchar(10), half int)")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO odd_keyless VALUES (%s, %s)", [(r[5], r[0] % 2) for r in ODD])
    return open_mysql(uri), conn


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("column", ["e", "s"])
@pytest.mark.parametrize("desc", [False, True])
def test_enum_and_set_columns_page_in_the_order_of_declaration(odd, column, desc):
    db, conn = odd
    table = yield db.describe(f"odd_{column}")
    forward, backward = yield walk(db, View(table, Order(column, desc)), limit=2)
    want = ordered(conn, f"odd_{column}", [f"`{column}`", "`id`"], desc)
    assert forward == want and backward == want


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("desc", [False, True])
def test_float_columns_show_and_page_on_their_stored_values(odd, desc):
    db, conn = odd
    table = yield db.describe("odd_f")
    forward, backward = yield walk(db, View(table, Order("f", desc)), limit=2)
    want = run(conn, f"SELECT id, CAST(f AS DOUBLE) FROM odd_f ORDER BY f{' DESC' if desc else ''}, "
                     f"id{' DESC' if desc else ''}")
    assert forward == want and backward == want


@pytest_twisted.inlineCallbacks
def test_bit_columns_page_both_ways(odd):
    db, conn = odd
    table = yield db.describe("odd_bits")
    forward, backward = yield walk(db, View(table, Order("bits")), limit=2)
    want = ordered(conn, "odd_bits", ["`bits`", "`id`"], desc=False)
    assert forward == want and backward == want


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("desc", [False, True])
def test_keyless_text_in_a_case_insensitive_collation(odd, desc):
    db, conn = odd
    table = yield db.describe("odd_keyless")
    forward, backward = yield walk(db, View(table, Order("half", desc)), limit=2)
    assert sorted(forward) == sorted(run(conn, "SELECT * FROM odd_keyless"))
    assert forward == backward


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("what", ["keyed", "keyless"])
@pytest.mark.parametrize("desc", [False, True])
def test_geometries_page_by_their_text_both_ways(mysql_database, open_mysql, what, desc):
    """Read, sorted and tied by their WKT: the bytes a driver gets are MySQL's own format, not comparable."""
    uri, _name, conn = mysql_database
    key = "id int PRIMARY KEY, " if what == "keyed" else "id int, "
    run(conn, f"CREATE TABLE geo ({key}pt point, label varchar(5))")
    points = [(i, f"POINT({i % 4} {i % 3})" if i % 5 else None, "same") for i in range(1, 25)]
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO geo VALUES (%s, ST_GeomFromText(%s), %s)", points)
        cur.execute("INSERT INTO geo VALUES (1, ST_GeomFromText('POINT(1 1)'), 'same')" if what == "keyless"
                    else "SELECT 1")               # keyless: two identical rows as well
    db = open_mysql(uri)
    table = yield db.describe("geo")
    d = " DESC" if desc else ""
    want = run(conn, f"SELECT id, ST_AsText(pt), label FROM geo ORDER BY ST_AsText(pt){d}, id{d}, label{d}")
    forward, backward = yield walk(db, View(table, Order("pt", desc)), limit=4)
    assert forward == want and backward == want
