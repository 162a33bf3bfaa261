"""Keyset paging (storage.paging) on real SQLite files, compared with plain ORDER BY over the whole table."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from storage import schema
from storage.backends import sqlite as sqlite_backend
from storage.dialect import MYSQL, POSTGRES, SQLITE, Dialect
from storage.filters import add_sqlite_functions, parse_filter
from storage.paging import Order, Plan, View, fetch
from tests import realworld

# MySQL's SQL shape (expanded comparisons, no row values) runnable on SQLite: same semantics.
# MySQL's and PostgreSQL's paging SQL, run on SQLite: the comparisons and NULL order of those dialects, not
# their per-type SQL (CONVERT … USING, COLLATE "C"), which the tests on the real servers cover
# (tests/test_mysql_paging.py, tests/test_pg_paging.py).
MYSQL_ON_SQLITE = dataclasses.replace(MYSQL, name="mysql-on-sqlite", paramstyle="qmark", quote_char='"')


@pytest.fixture(scope="module")
def conns(tmp_path_factory):
    d = tmp_path_factory.mktemp("realworld-paging")
    paths = {
        "chinook": realworld.chinook(d / "chinook.sqlite"),
        "northwind": realworld.northwind(d / "northwind.sqlite"),
        "oddities": realworld.oddities(d / "oddities.sqlite"),
    }
    opened = {name: sqlite3.connect(f"file:{p}?mode=ro", uri=True) for name, p in paths.items()}
    for c in opened.values():
        add_sqlite_functions(c)          # what filter conditions call, as on rowdesk's own connections
    yield opened
    for c in opened.values():
        c.close()


def q_of(conn):
    return lambda sql, p: conn.execute(sql, p).fetchall()


def table_of(conn, name) -> schema.Table:
    kinds = dict(sqlite_backend.sqlite_tables(conn))
    return sqlite_backend.sqlite_table(conn, name, kinds[name])


def expected(conn, table: schema.Table, order: Order, filters=(), *, from_end=False) -> list[tuple]:
    """Every row with a plain ORDER BY over the whole table: what paging must reproduce (*from_end*: as
    read from the end, which for an unsorted view is in the order of every column)."""
    q = sqlite_backend.quote_sqlite
    sql = f"SELECT {', '.join(q(c) for c in table.column_names)} FROM {q(table.name)}"
    params = [p for f in filters for p in f.params]
    if filters:
        sql += " WHERE " + " AND ".join(f.sql for f in filters)
    d = " DESC" if order.descending else ""
    if table.identity.page_key:
        hidden = table.identity.hidden
        keys = [hidden] if hidden is not None else [q(k) for k in table.identity.page_key]
        by = ([q(order.column) + d] if order.column else []) + [k + d for k in keys]
        sql += " ORDER BY " + ", ".join(by)
    elif order.column or from_end:
        # No key: the sort column, then every column exactly (tests/test_storage_view_paging.py has the rest).
        by = ([q(order.column) + d] if order.column else []) + [f"{q(c)} COLLATE BINARY{d}" for c in table.column_names]
        by += [f"typeof({q(c.name)}){d}" for c in table.columns if c.kind in ("any", "blob")]
        sql += " ORDER BY " + ", ".join(by)
    return conn.execute(sql, params).fetchall()


def walk_forward(q, plan, size):
    rows, marks, mark, pages = [], [], None, 0
    while True:
        page = fetch(q, plan, mark, forward=True, limit=size)
        pages += 1
        assert len(page.rows) == len(page.marks) <= size
        assert page.sql
        rows += page.rows
        marks += page.marks
        if page.reached_end:
            assert len(page.rows) < size
            return rows, marks
        assert len(page.rows) == size
        mark = page.marks[-1]
        assert pages < 5000, "paging does not advance"


def walk_backward(q, plan, size):
    rows, marks, mark, pages = [], [], None, 0
    while True:
        page = fetch(q, plan, mark, forward=False, limit=size, from_end=mark is None)
        pages += 1
        assert len(page.rows) == len(page.marks) <= size
        rows[:0] = page.rows
        marks[:0] = page.marks
        if page.reached_end:
            return rows, marks
        assert len(page.rows) == size
        mark = page.marks[0]
        assert pages < 5000, "paging does not advance"


CASES = [
    # (database, table, sort column or None, descending)
    ("chinook", "Track", None, False),
    ("chinook", "Track", None, True),
    ("chinook", "Track", "TrackId", True),
    ("chinook", "Track", "AlbumId", False),      # nullable, indexed, a few NULLs
    ("chinook", "Track", "AlbumId", True),
    ("chinook", "Track", "Composer", False),     # nullable, mostly NULL
    ("chinook", "Track", "Composer", True),
    ("chinook", "Track", "Name", False),         # NOT NULL text with many duplicates, non-ASCII
    ("chinook", "Track", "Name", True),
    ("chinook", "Track", "UnitPrice", True),     # two values only
    ("chinook", "Track", "Bytes", False),
    ("chinook", "PlaylistTrack", None, False),   # composite key, paged on the rowid
    ("chinook", "PlaylistTrack", "TrackId", True),
    ("chinook", "Invoice", "InvoiceDate", True),
    ("chinook", "Invoice", "Paid", False),
    ("northwind", "Order Details", None, True),
    ("northwind", "Order Details", "ProductID", False),
    ("northwind", "Order Details", "Discount", True),
    ("northwind", "Customers", "CustomerID", False),
    ("northwind", "Orders", "ShippedDate", False),   # ISO, US format and NULL as TEXT
    ("northwind", "Orders", "ShippedDate", True),
    ("northwind", "Categories", "Picture", False),   # BLOBs
    ("northwind", "Alphabetical list of products", None, False),      # views: no key
    ("northwind", "Alphabetical list of products", "ProductName", True),
    ("northwind", "Order Subtotals", "Subtotal", False),
    ("oddities", "inventory", None, False),      # WITHOUT ROWID, composite key
    ("oddities", "inventory", None, True),
    ("oddities", "inventory", "qty", False),
    ("oddities", "inventory", "sku", True),
    ("oddities", "inventory", "warehouse", True),
    ("oddities", "event_log", "level", False),   # no primary key, many NULLs
    ("oddities", "event_log", "level", True),
    ("oddities", "event_log", "at", False),
    ("oddities", "legacy", None, True),          # a user column called rowid
    ("oddities", "legacy", "rowid", False),
    ("oddities", "legacy", "rowid", True),
    ("oddities", "legacy", "note", True),
    ("oddities", "tags", "code", False),         # a TEXT primary key holding NULLs
    ("oddities", "tags", "code", True),
    ("oddities", "we\"ird tab", 'col "x"', True),
    ("oddities", "we\"ird tab", "sp ace", False),
    ("oddities", "files", "anything", False),    # mixed storage classes, BLOB and NULL included
    ("oddities", "files", "data", True),
    ("oddities", "files", "created", False),
    ("oddities", "files", "score", True),
    ("oddities", "codes", "id", True),           # INT PRIMARY KEY: not the rowid
    ("oddities", "all_aliases", None, False),    # every rowid alias taken: no key
    ("oddities", "all_aliases", "rowid", True),
    ("oddities", "recent_events", "level", True),
]


def case_id(case):
    db, name, col, desc = case
    return f"{db}-{name}-{col or 'key'}-{'desc' if desc else 'asc'}"


# Page size 1 puts a boundary between every two rows. On the 1,037-row Track table it is kept for the
# cases that exercise something the smaller tables do not (the NULL segments, key order): time matters.
SIZE1_ON_TRACK = {("chinook", "Track", None, False), ("chinook", "Track", "Composer", False),
                  ("chinook", "Track", "Composer", True), ("chinook", "Track", "AlbumId", True)}
WALKS = [pytest.param(case, size, id=f"{case_id(case)}-{size}") for case in CASES for size in (1, 7, 200)
         if size != 1 or case[1] != "Track" or case in SIZE1_ON_TRACK]


@pytest.mark.parametrize(("case", "size"), WALKS)
def test_walk_both_ways_matches_order_by(conns, case, size):
    db, name, col, desc = case
    conn = conns[db]
    table = table_of(conn, name)
    order = Order(col, desc)
    plan = Plan(View(table, order), SQLITE)
    want = expected(conn, table, order)
    assert want, "the fixture table is empty"
    q = q_of(conn)
    forward, fmarks = walk_forward(q, plan, size)
    assert forward == want
    backward, bmarks = walk_backward(q, plan, size)
    assert backward == expected(conn, table, order, from_end=True)
    if table.identity.page_key:
        assert fmarks == bmarks       # a keyless row's mark says from which side it was read


@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "northwind" or c[2] != "Picture"], ids=case_id)
def test_mysql_expanded_comparison_gives_the_same_rows(conns, case):
    db, name, col, desc = case
    conn = conns[db]
    table = table_of(conn, name)
    plan = Plan(View(table, Order(col, desc)), MYSQL_ON_SQLITE)
    q = q_of(conn)
    want = expected(conn, table, Order(col, desc))
    for size in (7, 64):
        assert walk_forward(q, plan, size)[0] == want
        assert walk_backward(q, plan, size)[0] == expected(conn, table, Order(col, desc), from_end=True)
    if len(plan._order_cols("value" if plan.sort_nullable else "all")) > 1:
        sql, _ = plan.segment_sql("value" if plan.sort_nullable else "all", (0,) * len(plan.mark_index), True,
                                  False, 10)
        assert ") > (" not in sql and "OR" in sql


def test_mysql_expanded_comparison_inclusive_three_columns(conns):
    conn = conns["oddities"]
    table = table_of(conn, "inventory")
    q = q_of(conn)
    want = expected(conn, table, Order("qty"))
    for dialect in (SQLITE, MYSQL_ON_SQLITE):
        plan = Plan(View(table, Order("qty")), dialect)
        assert len(plan.mark_index) == 3
        _, marks = walk_forward(q, plan, 50)
        for i in (0, 1, 57, 200, len(want) - 1):
            page = fetch(q, plan, marks[i], forward=True, limit=5, inclusive=True)
            assert page.rows == want[i:i + 5]
            page = fetch(q, plan, marks[i], forward=False, limit=5, inclusive=True)
            assert page.rows == want[max(0, i - 4):i + 1]
            page = fetch(q, plan, marks[i], forward=False, limit=5)
            assert page.rows == want[max(0, i - 5):i]


def test_mysql_sql_shape():
    plan_cols = ['"a"', '"b"', '"c"']
    table = schema.Table("t", "table", (schema.Column("a", "INTEGER", "int", nullable=False),
                                        schema.Column("b", "INTEGER", "int", nullable=False),
                                        schema.Column("c", "INTEGER", "int", nullable=False)),
                         primary_key=("b", "c"), identity=schema.RowIdentity(("b", "c")))
    plan = Plan(View(table, Order("a")), MYSQL_ON_SQLITE)
    sql, params = plan._compare(plan_cols, [1, 2, 3], ">")
    assert sql == '("a" >= ? AND ("a" > ? OR ("a" = ? AND ("b" > ? OR ("b" = ? AND "c" > ?)))))'
    assert params == [1, 1, 1, 2, 2, 3]
    sql, params = plan._compare(plan_cols, [1, 2, 3], "<=")
    assert sql == '("a" <= ? AND ("a" < ? OR ("a" = ? AND ("b" < ? OR ("b" = ? AND "c" <= ?)))))'
    real = Plan(View(table, Order("a")), MYSQL)
    sql, _ = real.segment_sql("all", (1, 2, 3), True, False, 10)
    assert "%s" in sql and "?" not in sql and "`a`" in sql


# -- the NULL segments ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("desc", [False, True])
def test_null_segment_order_and_every_row_once(conns, desc):
    conn = conns["chinook"]
    table = table_of(conn, "Track")
    plan = Plan(View(table, Order("Composer", desc)), SQLITE)
    assert plan.sort_nullable
    assert plan.segments() == (["value", "null"] if desc else ["null", "value"])
    rows, marks = walk_forward(q_of(conn), plan, 10)
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)) == realworld.TRACKS
    composers = [r[5] for r in rows]
    nulls = composers.count(None)
    assert nulls > 300
    if desc:
        assert composers[-nulls:] == [None] * nulls
    else:
        assert composers[:nulls] == [None] * nulls
    assert all(m[0] == r[5] and m[1] == r[0] for m, r in zip(marks, rows))


def test_postgres_puts_nulls_last_ascending():
    table = schema.Table("t", "table", (schema.Column("id", "INTEGER", "int", nullable=False, pk_position=1),
                                        schema.Column("v", "TEXT", "text")), primary_key=("id",),
                         identity=schema.RowIdentity(("id",)))
    assert Plan(View(table, Order("v")), POSTGRES).segments() == ["value", "null"]
    assert Plan(View(table, Order("v", True)), POSTGRES).segments() == ["null", "value"]
    assert Plan(View(table, Order("v")), SQLITE).segments() == ["null", "value"]
    assert Plan(View(table, Order("id")), SQLITE).segments() == ["all"]


def test_page_that_spans_both_segments(conns):
    conn = conns["oddities"]
    table = table_of(conn, "event_log")
    plan = Plan(View(table, Order("level")), SQLITE)
    want = expected(conn, table, Order("level"))
    nulls = sum(1 for r in want if r[1] is None)
    q = q_of(conn)
    first = fetch(q, plan, None, forward=True, limit=nulls - 2)
    page = fetch(q, plan, first.marks[-1], forward=True, limit=5)
    assert page.rows == want[nulls - 2:nulls + 3]
    assert len(page.sql) == 2 and "IS NULL" in page.sql[0] and "IS NOT NULL" in page.sql[1]
    back = fetch(q, plan, page.marks[-1], forward=False, limit=5)
    assert back.rows == want[nulls - 3:nulls + 2]
    assert len(back.sql) == 2 and "IS NOT NULL" in back.sql[0] and "IS NULL" in back.sql[1]


# -- starting in the middle, inclusive ------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [("chinook", "Track", "AlbumId", False), ("chinook", "Track", "Composer", True),
                                  ("oddities", "inventory", "sku", False), ("oddities", "tags", "code", False),
                                  ("northwind", "Alphabetical list of products", "ProductName", False),
                                  ("oddities", "legacy", "rowid", True)], ids=case_id)
def test_from_any_row(conns, case):
    db, name, col, desc = case
    conn = conns[db]
    table = table_of(conn, name)
    plan = Plan(View(table, Order(col, desc)), SQLITE)
    q = q_of(conn)
    want = expected(conn, table, Order(col, desc))
    _, marks = walk_forward(q, plan, 100)
    n = len(want)
    for i in sorted({0, 1, n // 3, n // 2, n - 2, n - 1}):
        assert fetch(q, plan, marks[i], forward=True, limit=9).rows == want[i + 1:i + 10]
        assert fetch(q, plan, marks[i], forward=True, limit=9, inclusive=True).rows == want[i:i + 9]
        assert fetch(q, plan, marks[i], forward=False, limit=9).rows == want[max(0, i - 9):i]
        assert fetch(q, plan, marks[i], forward=False, limit=9, inclusive=True).rows == want[max(0, i - 8):i + 1]
        page = fetch(q, plan, marks[i], forward=True, limit=9, inclusive=True)
        assert page.marks[0] == marks[i]


def test_reached_end_flags(conns):
    conn = conns["oddities"]
    table = table_of(conn, "codes")          # 30 rows
    plan = Plan(View(table), SQLITE)
    q = q_of(conn)
    page = fetch(q, plan, None, forward=True, limit=30)
    assert len(page.rows) == 30 and not page.reached_end
    after = fetch(q, plan, page.marks[-1], forward=True, limit=30)
    assert after.rows == [] and after.reached_end
    assert fetch(q, plan, None, forward=True, limit=31).reached_end
    first = fetch(q, plan, page.marks[0], forward=False, limit=5)
    assert first.rows == [] and first.reached_end
    last = fetch(q, plan, None, forward=False, limit=3)
    assert [r[0] for r in last.rows] == [280, 290, 300] and not last.reached_end


def test_view_offsets_from_the_top_and_from_the_end(conns):
    """An unsorted view: OFFSET marks in its own order, from its top and from its end (counted)."""
    conn = conns["northwind"]
    table = table_of(conn, "Alphabetical list of products")
    plan = Plan(View(table), SQLITE)
    assert not plan.keyed
    q = q_of(conn)
    want = expected(conn, table, Order())
    assert fetch(q, plan, (3,), forward=False, limit=10).rows == want[:3]
    assert fetch(q, plan, (3,), forward=False, limit=10).reached_end
    assert fetch(q, plan, (3,), forward=True, limit=2, inclusive=True).rows == want[3:5]
    assert fetch(q, plan, (len(want) - 1,), forward=True, limit=2).rows == []
    last = fetch(q, plan, None, forward=False, from_end=True, limit=5)
    assert last.rows == want[-5:]
    assert last.marks == [(len(want) - 5 + i,) for i in range(5)] and not last.reached_end


def test_view_sort_is_applied(conns):
    """The browse screen sorts views too: the OFFSET fallback must honour the order."""
    conn = conns["northwind"]
    table = table_of(conn, "Order Subtotals")
    q = q_of(conn)
    for desc in (False, True):
        page = fetch(q, Plan(View(table, Order("Subtotal", desc)), SQLITE), None, forward=True, limit=20)
        values = [r[1] for r in page.rows]
        assert values == sorted(values, reverse=desc)


# -- with filters ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("db", "name", "filters", "col", "desc"), [
    ("chinook", "Track", {"Composer": "!null"}, "Composer", False),
    ("chinook", "Track", {"Composer": "null"}, "AlbumId", True),
    ("chinook", "Track", {"Name": "ö", "UnitPrice": ">1"}, "Name", False),
    ("chinook", "Track", {"AlbumId": ">=30", "GenreId": "!=2"}, "GenreId", True),
    ("chinook", "Track", {"Composer": "!young"}, "Composer", True),
    ("northwind", "Order Details", {"Discount": ">0"}, "Quantity", False),
    ("northwind", "Orders", {"ShippedDate": "/"}, "ShippedDate", True),
    ("northwind", "Alphabetical list of products", {"CategoryName": "!con"}, "UnitPrice", True),
    ("oddities", "inventory", {"warehouse": "<c", "qty": "<=250"}, None, True),
    ("oddities", "event_log", {"message": "event 1"}, "level", False),
])
def test_walk_with_filters(conns, db, name, filters, col, desc):
    conn = conns[db]
    table = table_of(conn, name)
    conds = tuple(parse_filter(text, table.column(c), SQLITE) for c, text in filters.items())
    view = View(table, Order(col, desc), conds)
    want = expected(conn, table, Order(col, desc), conds)
    assert want
    total = conn.execute(f"SELECT count(*) FROM {sqlite_backend.quote_sqlite(name)}").fetchone()[0]
    assert len(want) < total
    q = q_of(conn)
    for dialect in (SQLITE, MYSQL_ON_SQLITE):
        plan = Plan(view, dialect)
        for size in (3, 50):
            assert walk_forward(q, plan, size)[0] == want
            assert walk_backward(q, plan, size)[0] == expected(conn, table, Order(col, desc), conds, from_end=True)
        sql, params = plan.count_sql()
        assert q(sql, params)[0][0] == len(want)


# -- the planner uses the index ---------------------------------------------------------------------------------------
def plan_details(conn, sql, params):
    return [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


@pytest.mark.parametrize(("db", "name", "col", "index"), [
    ("chinook", "Track", "AlbumId", "IFK_TrackAlbumId"),
    ("chinook", "Track", "Composer", "IX_TrackComposer"),
    ("northwind", "Orders", "OrderDate", "OrdersOrderDate"),
    ("oddities", "event_log", "level", "event_log_level"),        # key is the hidden rowid
    ("chinook", "PlaylistTrack", "TrackId", "IFK_PlaylistTrackTrackId"),
])
@pytest.mark.parametrize("desc", [False, True])
@pytest.mark.parametrize("forward", [True, False])
def test_keyset_page_walks_the_index(conns, db, name, col, index, desc, forward):
    conn = conns[db]
    table = table_of(conn, name)
    plan = Plan(View(table, Order(col, desc)), SQLITE)
    q = q_of(conn)
    _, marks = walk_forward(q, plan, 500)
    values = [m for m in marks if m[0] is not None]
    mark = values[len(values) // 2]
    null_mark = next((m for m in marks if m[0] is None), None)
    checks = [(plan.segment_of(mark), mark)]
    if null_mark is not None:
        checks.append(("null", null_mark))
    for segment, m in checks:
        for with_mark in (m, None):
            sql, params = plan.segment_sql(segment, with_mark, forward, False, 200)
            details = " | ".join(plan_details(conn, sql, params))
            assert "TEMP B-TREE" not in details, (sql, details)
            assert index in details, (sql, details)


def test_key_order_walks_the_primary_key(conns):
    conn = conns["oddities"]
    plan = Plan(View(table_of(conn, "inventory"), Order(None, True)), SQLITE)
    sql, params = plan.segment_sql("all", ("Berlin", "SKU-0003"), True, False, 200)
    details = " | ".join(plan_details(conn, sql, params))
    assert "TEMP B-TREE" not in details and "PRIMARY KEY" in details


# -- small things --------------------------------------------------------------------------------------------------
def test_sort_by_the_single_key_is_key_order(conns):
    table = table_of(conns["chinook"], "Track")
    plan = Plan(View(table, Order("TrackId", True)), SQLITE)
    assert plan.sort is None and plan.desc and plan.mark_index == [0]


def test_marks_carry_the_hidden_rowid(conns):
    conn = conns["oddities"]
    table = table_of(conn, "legacy")
    plan = Plan(View(table, Order("name")), SQLITE)
    page = fetch(q_of(conn), plan, None, forward=True, limit=5)
    assert all(len(r) == 3 for r in page.rows)        # the alias is not shown
    for row, mark in zip(page.rows, page.marks):
        assert mark[0] == row[1]
        assert conn.execute("SELECT name FROM legacy WHERE _rowid_ = ?", (mark[1],)).fetchone()[0] == row[1]


def test_dialect_quoting_and_placeholders():
    assert SQLITE.quote('we"ird') == '"we""ird"'
    assert MYSQL.quote("we`ird") == "`we``ird`"
    assert SQLITE.placeholders("a = ? AND b LIKE '%x'") == "a = ? AND b LIKE '%x'"
    assert MYSQL.placeholders("a = ? AND b LIKE '%x'") == "a = %s AND b LIKE '%%x'"
    assert isinstance(MYSQL_ON_SQLITE, Dialect) and not MYSQL_ON_SQLITE.row_values_indexed
