"""Paging keyless views (storage.paging) on a real SQLite file: views over a table with duplicated rows,
NULLs in every column and columns that hold several storage classes, paged forward, backward, from the end
and from any row, compared row for row with plain `SELECT ... ORDER BY` run by sqlite3."""

from __future__ import annotations

import dataclasses
import random
import re
import sqlite3
from collections import Counter

import pytest
import pytest_twisted
from twisted.internet import reactor

from storage import schema
from storage.backends import sqlite as sqlite_backend
from storage.database import Database
from storage.dialect import MYSQL, POSTGRES, SQLITE
from storage.filters import add_sqlite_functions, parse_filter
from storage.paging import Order, Plan, RowMark, View, fetch, fetch_at
from storage.targets import parse_target

# The SQL shapes of the server dialects, runnable on SQLite (see postgres_on_sqlite for the NULL order).
# MySQL's and PostgreSQL's paging SQL, run on SQLite: the comparisons and NULL order of those dialects, not
# their per-type SQL (CONVERT … USING, COLLATE "C"), which the tests on the real servers cover
# (tests/test_mysql_paging.py, tests/test_pg_paging.py).
MYSQL_ON_SQLITE = dataclasses.replace(MYSQL, name="mysql-on-sqlite", paramstyle="qmark", quote_char='"')
POSTGRES_ON_SQLITE = dataclasses.replace(POSTGRES, name="postgres-on-sqlite", paramstyle="qmark")

# Per column, the values rows are drawn from: NULLs everywhere; `a` has no type and holds every storage class
# (1 and 1.0 compare equal but are not the same value), `c` is INTEGER but keeps text and a real, `f` is NOCASE.
VALUES = {
    "a": [None, 1, 1.0, 2, 2.5, -3, "1", "x", "X", "é", b"\x01", b"\x00\x02"],
    "b": [None, "alpha", "beta", "Beta", "gamma", ""],
    "c": [None, 0, 1, 2, 10, "n/a", "N/A", 7.5],
    "d": [None, 0.5, 1.0, 2.25, -1.0],
    "e": [None, b"", b"\x00", b"\xff", b"ab"],
    "f": [None, "abc", "ABC", "Abc", "b", "B"],
}
WIDE = 30

SCHEMA = f"""
CREATE TABLE base (a, b TEXT, c INTEGER, d REAL, e BLOB, f TEXT COLLATE NOCASE);
CREATE VIEW v_all AS SELECT a, b, c, d, e, f FROM base;
CREATE VIEW v_two AS SELECT b, f FROM base;
CREATE VIEW v_union AS SELECT c AS x, b AS y FROM base UNION ALL SELECT b, c FROM base;
CREATE VIEW v_grouped AS SELECT b, count(*) AS n, total(d) AS s FROM base GROUP BY b;
CREATE VIEW v_ordered AS SELECT a, b, c FROM base ORDER BY c DESC, b;
CREATE VIEW v_clean AS SELECT b, c, d FROM base WHERE typeof(c) <> 'real';
CREATE VIEW v_wide AS SELECT {', '.join(f'{"abcdef"[i % 6]} AS w{i}' for i in range(WIDE))} FROM base;
CREATE VIEW v_empty AS SELECT a, b FROM base WHERE 0;
CREATE TABLE keyless (n INTEGER NOT NULL, t TEXT, rowid INTEGER, _rowid_ INTEGER, oid INTEGER);
CREATE TABLE keyed (id INTEGER PRIMARY KEY, v TEXT);
"""


def base_rows() -> list[tuple]:
    rnd = random.Random(9)
    rows = [tuple(rnd.choice(VALUES[c]) for c in "abcdef") for _ in range(260)]
    rows += [rows[7]] * 60                           # a group of identical rows longer than a page
    for r in rnd.sample(rows[:260], 40):             # many small groups
        rows += [r] * rnd.randint(1, 4)
    rows += [(1, "beta", 2, 0.5, b"ab", "abc"), (1.0, "beta", 2, 0.5, b"ab", "abc"),   # equal, not identical
             (1, "beta", 2, 0.5, b"ab", "ABC"), (1, "beta", 2, 0.5, b"ab", "abc")]
    rows += [(None,) * 6] * 5                        # NULL in every column
    rnd.shuffle(rows)
    return rows


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("view-paging") / "views.sqlite"
    c = sqlite3.connect(path)
    c.executescript(SCHEMA)
    c.executemany("INSERT INTO base VALUES (?, ?, ?, ?, ?, ?)", base_rows())
    c.executemany("INSERT INTO keyless VALUES (?, ?, ?, ?, ?)", [(i % 7, f"t{i % 3}", i, i, i) for i in range(90)])
    c.executemany("INSERT INTO keyed VALUES (?, ?)", [(i, [None, "a", "b"][i * 7 % 3]) for i in range(1, 60)])
    c.commit()
    c.close()
    return path


@pytest.fixture(scope="module")
def conn(db_path):
    ro = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    add_sqlite_functions(ro)             # what filter conditions call, as on rowdesk's own connections
    yield ro
    ro.close()


def q_of(conn):
    return lambda sql, p: conn.execute(sql, p).fetchall()


def table_of(conn, name) -> schema.Table:
    kind = sqlite_backend.sqlite_table_type(conn, name)
    return sqlite_backend.sqlite_table(conn, name, kind)


def typed(rows) -> list[tuple]:
    """Rows compared with their types: 1 and 1.0 are different values."""
    return [tuple((type(v).__name__, v) for v in r) for r in rows]


def reference(conn, table: schema.Table, order: Order, filters=(), *, nulls_last=False) -> list[tuple]:
    """The view's order, spelled out for sqlite3: the sort column, then every column exactly (binary
    collation), then the storage class of the untyped columns (1 before 1.0, or after when descending)."""
    q = sqlite_backend.quote_sqlite
    d = " DESC" if order.descending else ""
    nulls = (" NULLS FIRST" if order.descending else " NULLS LAST") if nulls_last else ""
    terms = [q(order.column) + d + nulls] if order.column else []
    terms += [f"{q(c)} COLLATE BINARY{d}{nulls}" for c in table.column_names]
    terms += [f"typeof({q(c.name)}){d}" for c in table.columns if c.kind in ("any", "blob") and not nulls_last]
    return conn.execute(select_all(table, filters) + " ORDER BY " + ", ".join(terms),
                        [p for f in filters for p in f.params]).fetchall()


def select_all(table, filters=()) -> str:
    q = sqlite_backend.quote_sqlite
    sql = f"SELECT {', '.join(q(c) for c in table.column_names)} FROM {q(table.name)}"
    return sql + (" WHERE " + " AND ".join(f.sql for f in filters) if filters else "")


def walk_forward(q, plan, size, mark=None):
    rows, marks = [], []
    for _ in range(5000):
        page = fetch(q, plan, mark, forward=True, limit=size)
        assert len(page.rows) == len(page.marks) <= size
        rows += page.rows
        marks += page.marks
        if page.reached_end:
            assert len(page.rows) < size
            return rows, marks
        assert len(page.rows) == size
        mark = page.marks[-1]
    raise AssertionError("paging does not advance")


def walk_backward(q, plan, size):
    rows, marks, mark = [], [], None
    for _ in range(5000):
        page = fetch(q, plan, mark, forward=False, limit=size, from_end=mark is None)
        assert len(page.rows) == len(page.marks) <= size
        rows[:0] = page.rows
        marks[:0] = page.marks
        if page.reached_end:
            # By keyset the first row is reached when fewer rows came; by offset (an unsorted view) at offset 0.
            assert len(page.rows) < size or page.marks[:1] == [(0,)]
            return rows, marks
        assert len(page.rows) == size
        mark = page.marks[0]
    raise AssertionError("paging does not advance")


CASES = [
    # (view, sort column or None, descending)
    ("v_all", None, False),
    ("v_all", "a", False),       # every storage class, 1 and 1.0, NULLs
    ("v_all", "a", True),
    ("v_all", "c", False),       # INTEGER with text and a real in it
    ("v_all", "c", True),
    ("v_all", "f", False),       # NOCASE: 'abc', 'ABC' and 'Abc' tie on the sort column
    ("v_all", "f", True),
    ("v_all", "e", True),        # BLOBs
    ("v_two", None, False),      # two columns: long runs of identical rows
    ("v_two", "b", False),
    ("v_two", "f", True),
    ("v_union", None, False),    # a compound view: its column's affinity differs between its two halves
    ("v_union", "x", False),
    ("v_union", "x", True),
    ("v_union", "y", False),
    ("v_grouped", "n", True),    # computed by the view (GROUP BY)
    ("v_grouped", None, False),
    ("v_ordered", None, False),  # the view's own ORDER BY
    ("v_ordered", "a", False),
    ("v_wide", "w3", False),     # 30 columns: one comparison of 30 terms
    ("v_wide", None, False),
    ("keyless", None, False),    # a table whose rowid aliases are all taken: no key
    ("keyless", "n", True),
]


def case_id(case):
    name, col, desc = case
    return f"{name}-{col or 'unsorted'}-{'desc' if desc else 'asc'}"


@pytest.mark.parametrize("size", [1, 3, 50])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_walks_match_order_by(conn, case, size):
    name, col, desc = case
    if size == 1 and name in ("v_wide", "v_union"):
        pytest.skip("the other cases put a boundary between every two rows")
    table = table_of(conn, name)
    assert not table.identity.page_key
    order = Order(col, desc)
    plan = Plan(View(table, order), SQLITE)
    q = q_of(conn)
    want = reference(conn, table, order)
    everything = Counter(typed(conn.execute(select_all(table)).fetchall()))
    assert len(want) > 5
    forward, _ = walk_forward(q, plan, size)
    backward, _ = walk_backward(q, plan, size)
    if col is None:
        # An unsorted view is in its own order, from its top and from its end (row N is the same row both ways).
        want = conn.execute(select_all(table)).fetchall()
    assert typed(forward) == typed(want)
    assert typed(backward) == typed(want)
    assert Counter(typed(forward)) == Counter(typed(backward)) == everything


def test_groups_of_identical_rows_are_there(conn):
    """The fixture has what the cases above are about."""
    rows = typed(conn.execute("SELECT * FROM v_all").fetchall())
    groups = Counter(rows)
    assert max(groups.values()) > 50 and sum(1 for n in groups.values() if n > 1) > 30
    assert groups[typed([(None,) * 6])[0]] >= 5
    assert conn.execute("SELECT count(*) FROM v_all WHERE a = 1 AND typeof(a) = 'real'").fetchone()[0]
    assert conn.execute("SELECT count(DISTINCT typeof(c)) FROM v_all").fetchone()[0] == 4
    assert conn.execute("SELECT count(DISTINCT typeof(x)) FROM v_union").fetchone()[0] == 4


# -- from any row, with marks read forward and marks read backward ----------------------------------------------
@pytest.mark.parametrize("case", [("v_two", "b", False), ("v_all", "a", True),
                                  ("v_union", "x", True), ("keyless", "n", False)], ids=case_id)
def test_from_any_row(conn, case):
    name, col, desc = case
    table = table_of(conn, name)
    plan = Plan(View(table, Order(col, desc)), SQLITE)
    q = q_of(conn)
    want = typed(reference(conn, table, Order(col, desc)))
    n = len(want)
    _, back_marks = walk_backward(q, plan, 7)
    sets = [back_marks, walk_forward(q, plan, 7)[1]]
    # The first two, middle and last two rows of every group of identical rows, the rows around them,
    # and a sample of the others.
    positions = set(range(0, n, 13)) | {n - 1}
    i = 0
    while i < n:
        j = i
        while j + 1 < n and want[j + 1] == want[i]:
            j += 1
        if j > i:
            positions |= {k for k in (i - 1, i, i + 1, (i + j) // 2, j - 1, j, j + 1) if 0 <= k < n}
        i = j + 1
    positions = sorted(positions)
    for marks in sets:
        assert len(marks) == n
        for i in positions:
            m = marks[i]
            assert isinstance(m, RowMark)
            for size in (4, 70) if i % 5 == 0 else (4,):
                page = fetch(q, plan, m, forward=True, limit=size)
                assert typed(page.rows) == want[i + 1:i + 1 + size]
                assert page.reached_end == (i + 1 + size > n)
                page = fetch(q, plan, m, forward=True, limit=size, inclusive=True)
                assert typed(page.rows) == want[i:i + size]
                page = fetch(q, plan, m, forward=False, limit=size)
                assert typed(page.rows) == want[max(0, i - size):i]
                assert page.reached_end == (i - size < 0)
                page = fetch(q, plan, m, forward=False, limit=size, inclusive=True)
                assert typed(page.rows) == want[max(0, i + 1 - size):i + 1]
            if i % 37 == 0:                     # the marks of those pages lead on as well
                page = fetch(q, plan, m, forward=False, limit=5, inclusive=True)
                rest, _ = walk_forward(q, plan, 11, page.marks[-1])
                assert typed(rest) == want[i + 1:]


def test_end_then_back_then_on_like_the_browse_screen(conn):
    """End, PgUp through a group of identical rows longer than a page, PgDn back, r (reload from the first row
    of the window): the way the browse model uses marks (window ends, inclusive reload)."""
    table = table_of(conn, "v_two")
    plan = Plan(View(table, Order("f", True)), SQLITE)
    q = q_of(conn)
    want = typed(reference(conn, table, Order("f", True)))
    last = fetch(q, plan, None, forward=False, from_end=True, limit=20)
    rows, marks = list(last.rows), list(last.marks)
    while len(rows) < len(want) // 2:               # PgUp: prefetches before the window
        page = fetch(q, plan, marks[0], forward=False, limit=20)
        rows[:0], marks[:0] = page.rows, page.marks
    start = len(want) - len(rows)
    rows, marks = rows[:45], marks[:45]             # the window was trimmed at its end
    for _ in range(8):                              # PgDn: prefetches after it
        page = fetch(q, plan, marks[-1], forward=True, limit=20)
        rows += page.rows
        marks += page.marks
    assert typed(rows) == want[start:start + 45 + 8 * 20]
    again = fetch(q, plan, marks[0], forward=True, limit=len(rows), inclusive=True)
    assert typed(again.rows) == typed(rows)


# -- what it costs: no OFFSET from the first row, no count --------------------------------------------------------
def offsets(sql: list[str]) -> list[int]:
    return [int(n) for s in sql for n in re.findall(r"\bOFFSET (\d+)", s)]


def group_sizes(want: list[tuple]) -> list[int]:
    """Per row, how many rows are identical to it."""
    counts = Counter(want)
    return [counts[r] for r in want]


@pytest.mark.parametrize("case", [("v_all", "d", False), ("v_two", "b", True),
                                  ("v_union", "y", False)], ids=case_id)
def test_end_and_paging_cost_a_scan_not_an_offset(conn, case):
    """End reads the last rows in one statement, without counting the view and without an OFFSET; PgUp and PgDn
    from any row skip at most the rows identical to it (the only rows a keyless row cannot tell apart)."""
    name, col, desc = case
    table = table_of(conn, name)
    plan = Plan(View(table, Order(col, desc)), SQLITE)
    q = q_of(conn)
    end = fetch(q, plan, None, forward=False, from_end=True, limit=20)
    assert not any("count(" in s.lower() for s in end.sql) and offsets(end.sql) == []
    assert len(end.sql) <= len(plan.segments())
    want = typed(reference(conn, table, Order(col, desc)))
    sizes = group_sizes(want)
    _, marks = walk_backward(q, plan, 20)
    marks = marks[:len(marks) // 2] + walk_forward(q, plan, 20)[1][len(marks) // 2:]
    for i in range(0, len(want), 3):
        for forward in (True, False):
            for inclusive in (True, False):
                page = fetch(q, plan, marks[i], forward=forward, limit=20, inclusive=inclusive)
                assert all(n <= sizes[i] for n in offsets(page.sql)), (i, sizes[i], page.sql)


def test_the_end_of_an_unsorted_view_is_its_own_last_rows(conn):
    """End on a view with its own ORDER BY: the rows that are last in that order, at the offsets they have there
    (read in another order, the first row would show again as the last one)."""
    table = table_of(conn, "v_ordered")
    plan = Plan(View(table), SQLITE)
    q = q_of(conn)
    own = typed(conn.execute(select_all(table)).fetchall())
    end = fetch(q, plan, None, forward=False, from_end=True, limit=20)
    assert typed(end.rows) == own[-20:]
    assert end.marks == [(len(own) - 20 + i,) for i in range(20)]


def test_unsorted_view_from_its_top_is_read_in_its_own_order(conn):
    """An unsorted view from its top: the rows as the view gives them (its own ORDER BY kept), by OFFSET marks."""
    table = table_of(conn, "v_ordered")
    plan = Plan(View(table), SQLITE)
    q = q_of(conn)
    want = typed(conn.execute("SELECT a, b, c FROM v_ordered").fetchall())
    first = fetch(q, plan, None, forward=True, limit=10)
    assert typed(first.rows) == want[:10] and first.marks == [(i,) for i in range(10)]
    assert "ORDER BY" not in first.sql[0] and offsets(first.sql) == []
    assert typed(fetch(q, plan, (3,), forward=False, limit=10).rows) == want[:3]
    assert fetch(q, plan, (3,), forward=False, limit=10).reached_end
    assert typed(fetch(q, plan, (3,), forward=True, limit=2, inclusive=True).rows) == want[3:5]
    assert fetch(q, plan, (len(want) - 1,), forward=True, limit=2).rows == []


def test_empty_view(conn):
    table = table_of(conn, "v_empty")
    for order in (Order(), Order("b")):
        plan = Plan(View(table, order), SQLITE)
        for forward in (True, False):
            page = fetch(q_of(conn), plan, None, forward=forward, limit=10, from_end=not forward)
            assert page.rows == [] and page.marks == [] and page.reached_end


# -- filters, dialects ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "filters", "col", "desc"), [
    ("v_all", {"b": "!null", "c": ">1", "a": "!x"}, "a", False),
    ("v_all", {"f": "b"}, None, False),
    ("v_two", {"b": "=beta"}, "f", True),
])
def test_walk_with_filters(conn, name, filters, col, desc):
    table = table_of(conn, name)
    conds = tuple(parse_filter(text, table.column(c), SQLITE) for c, text in filters.items())
    view = View(table, Order(col, desc), conds)
    want = typed(reference(conn, table, Order(col, desc), conds))
    total = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    assert 10 < len(want) < total
    plan = Plan(view, SQLITE)
    q = q_of(conn)
    if col is None:                                 # an unsorted view: its own order, both ways
        want = typed(q(*plan.offset_sql(0, total)))
    for size in (3, 40):
        forward, _ = walk_forward(q, plan, size)
        assert typed(forward) == want
        assert typed(walk_backward(q, plan, size)[0]) == want
    sql, params = plan.count_sql()
    assert q(sql, params)[0][0] == len(want)


def postgres_nulls(q):
    """Run a statement on SQLite with PostgreSQL's NULL order (ascending puts NULLs last, descending first)."""
    def run(sql, params):
        head, rest = sql.split(" ORDER BY ")
        order, limit = rest.split(" LIMIT ")
        terms = [t + (" NULLS FIRST" if t.endswith(" DESC") else " NULLS LAST") for t in order.split(", ")]
        return q(f"{head} ORDER BY {', '.join(terms)} LIMIT {limit}", params)
    return run


@pytest.mark.parametrize("dialect", [MYSQL_ON_SQLITE, POSTGRES_ON_SQLITE], ids=["mysql", "postgres"])
@pytest.mark.parametrize(("col", "desc"), [("b", False), ("c", True), ("d", False)])
def test_server_dialects(conn, dialect, col, desc):
    """The SQL written for MariaDB and PostgreSQL (NULLs last ascending there) pages the same rows."""
    table = table_of(conn, "v_clean")
    plan = Plan(View(table, Order(col, desc)), dialect)
    postgres = dialect is POSTGRES_ON_SQLITE
    q = postgres_nulls(q_of(conn)) if postgres else q_of(conn)
    want = typed(reference(conn, table, Order(col, desc), nulls_last=postgres))
    assert typed(walk_forward(q, plan, 7)[0]) == want
    assert plan.segments() == (["null", "value"] if desc == postgres else ["value", "null"])
    backward, marks = walk_backward(q, plan, 7)
    assert typed(backward) == want
    for i in range(0, len(want), 11):
        assert typed(fetch(q, plan, marks[i], forward=True, limit=9).rows) == want[i + 1:i + 10]
        assert typed(fetch(q, plan, marks[i], forward=False, limit=9, inclusive=True).rows) == want[max(0, i - 8):i + 1]
    sql = fetch(q, plan, marks[len(marks) // 2], forward=True, limit=9).sql[0]
    assert ") > (" not in sql and "+" not in sql and "COLLATE" not in sql and "typeof" not in sql


def test_nulls_are_never_compared(conn):
    """A boundary row with NULLs: NULL is tested with IS NULL, never compared (a comparison with NULL is NULL)."""
    table = table_of(conn, "v_all")
    plan = Plan(View(table, Order("b")), SQLITE)
    row = (None, "beta", None, 0.5, None, None)
    mark = RowMark(row, None, 0)
    page = fetch(q_of(conn), plan, mark, forward=True, limit=5)
    [sql] = page.sql
    assert "<> ?" in sql and "IS NULL" in sql and "IS NOT NULL" in sql
    assert None not in [p for p in plan._beyond(plan.view_terms("value"), row, True, False)[1]]


# -- going to a row by its number -------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [("v_two", "b", False), ("v_all", "a", True), ("v_all", None, False),
                                  ("keyed", "v", True), ("keyed", "v", False), ("keyed", None, False)], ids=case_id)
def test_fetch_at(conn, case):
    """Rows from row N, with marks to page on from there by keyset (the first rows may be in the middle of a
    group of identical rows that starts before N)."""
    name, col, desc = case
    table = table_of(conn, name)
    plan = Plan(View(table, Order(col, desc)), SQLITE)
    q = q_of(conn)
    if table.identity.page_key:
        d = " DESC" if desc else ""
        want = typed(conn.execute(f"SELECT id, v FROM keyed ORDER BY {f'v{d}, ' if col else ''}id{d}").fetchall())
    elif col is None:
        want = typed(conn.execute(select_all(table)).fetchall())
    else:
        want = typed(reference(conn, table, Order(col, desc)))
    n = len(want)
    inside = [i for i in range(1, n - 1) if want[i - 1] == want[i] == want[i + 1]]
    assert table.identity.page_key or inside
    for offset in sorted({0, 1, 2, n // 2, n - 1, n, n + 3, *inside[:3], *inside[-3:]}):
        page = fetch_at(q, plan, offset, limit=9)
        assert typed(page.rows) == want[offset:offset + 9]
        assert page.reached_end == (offset + 9 > n)
        if page.rows:
            assert typed(fetch(q, plan, page.marks[0], forward=False, limit=9).rows) == want[max(0, offset - 9):offset]
            assert typed(fetch(q, plan, page.marks[-1], forward=True, limit=9).rows) == want[offset + 9:offset + 18]
            k = len(page.rows) // 2
            assert typed(fetch(q, plan, page.marks[k], forward=True, limit=4, inclusive=True).rows) == \
                want[offset + k:offset + k + 4]


@pytest_twisted.inlineCallbacks
def test_database_pages_a_view_from_its_end(conn, db_path):
    """Through storage.database in its worker threads, as the browse screen asks: End, PgUp, r, PgDn."""
    db = Database(parse_target(str(db_path), read_only=True), reactor)
    try:
        table = yield db.describe("v_two")
        view = View(table, Order("b"))
        want = typed(reference(conn, table, Order("b")))
        last = yield db.fetch(view, None, forward=False, from_end=True, limit=30)
        above = yield db.fetch(view, last.marks[0], forward=False, limit=30)
        assert typed(above.rows + last.rows) == want[-60:]
        again = yield db.fetch(view, above.marks[0], forward=True, limit=60, inclusive=True)
        assert typed(again.rows) == want[-60:] and again.reached_end is False
        after = yield db.fetch(view, again.marks[-1], forward=True, limit=30)
        assert after.rows == [] and after.reached_end
    finally:
        db.close()


def test_a_view_of_many_columns(tmp_path):
    """One comparison over 400 columns (800 terms with their storage classes): no parser or parameter limit."""
    path = tmp_path / "wide.sqlite"
    c = sqlite3.connect(path)
    c.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(400))})")
    c.execute("CREATE VIEW v AS SELECT * FROM t")
    c.executemany(f"INSERT INTO t VALUES ({', '.join('?' * 400)})",
                  [tuple(None if (i + j) % 7 == 0 else (j // 3 + i) % 2 for i in range(400)) for j in range(30)])
    c.commit()
    table = table_of(c, "v")
    plan = Plan(View(table, Order("c1", True)), SQLITE)
    assert len(plan.view_terms("value")) == 801
    backward, _ = walk_backward(q_of(c), plan, 4)
    assert typed(backward) == typed(reference(c, table, Order("c1", True)))
    c.close()
