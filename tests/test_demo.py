"""The demo database (storage.demo): sizes, content, determinism, and what rowdesk reads from it."""

from __future__ import annotations

import sqlite3
import time

import pytest

from storage.backends import sqlite as sqlite_backend
from storage.backends.sqlite import journal_mode
from storage.demo import CATEGORIES, FIRST, STATUSES, create_demo, sizes
from storage.dialect import SQLITE
from storage.paging import Order, Plan, View
from storage.targets import parse_target
from tests import realworld

TABLES = ["categories", "customers", "products", "orders", "order_lines"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    started = time.perf_counter()
    steps = []
    result = create_demo(path, progress=steps.append)
    return path, result, time.perf_counter() - started, steps


def q(path, sql, params=()):
    return realworld.rows(path, sql, params)


def test_default_demo_is_quick_and_has_the_advertised_sizes(demo):
    path, result, seconds, steps = demo
    assert seconds < 2
    assert result == sizes(3000) == {"categories": len(CATEGORIES), "customers": 500, "products": 120,
                                     "orders": 3000, "order_lines": 7500}
    for table in TABLES:
        assert q(path, f"SELECT count(*) FROM {table}")[0][0] == result[table], table
    assert steps == ["categories", "customers", "products", "orders", "order_lines", "indexes"]


@pytest.mark.parametrize("rows", [1, 7, 200, 100_001])
def test_other_sizes(tmp_path, rows):
    path = tmp_path / f"demo-{rows}.sqlite"
    result = create_demo(path, rows)
    assert result == sizes(rows)
    for table in TABLES:
        assert q(path, f"SELECT count(*) FROM {table}")[0][0] == result[table], table
    check_integrity(path)


def test_sizes():
    assert sizes(1) == {"categories": 12, "customers": 50, "products": 20, "orders": 1, "order_lines": 2}
    big = sizes(10_000_000)
    assert big["customers"] == 200_000 and big["products"] == 5_000 and big["order_lines"] == 10_000_000


def check_integrity(path):
    assert q(path, "PRAGMA integrity_check") == [("ok",)]
    assert q(path, "PRAGMA foreign_key_check") == []
    # every order has its lines, numbered 1..k without gaps
    bad = q(path, "SELECT order_id, count(*), min(line_no), max(line_no) FROM order_lines GROUP BY order_id "
                  "HAVING min(line_no) <> 1 OR max(line_no) <> count(*)")
    assert bad == []
    assert q(path, "SELECT count(*) FROM orders WHERE id NOT IN (SELECT order_id FROM order_lines)") == [(0,)]


def test_integrity(demo):
    check_integrity(demo[0])


def test_content(demo):
    path = demo[0]
    assert {r[0] for r in q(path, "SELECT DISTINCT status FROM orders")} == set(STATUSES)
    assert q(path, "SELECT count(*) FROM customers WHERE email NOT LIKE '%@example.com'") == [(0,)]
    assert q(path, "SELECT count(DISTINCT email) = count(*) FROM customers") == [(1,)]
    firsts = {r[0] for r in q(path, "SELECT DISTINCT first_name FROM customers")}
    assert firsts <= set(FIRST) and any(not n.isascii() for n in firsts)
    # NULLs where the schema allows them, for the NULL paging paths
    for table, col in (("customers", "city"), ("customers", "credit_limit"), ("customers", "last_login"),
                       ("orders", "shipped_on"), ("orders", "note"), ("products", "weight_kg")):
        nulls, total = q(path, f"SELECT count(*) - count({col}), count(*) FROM {table}")[0]
        assert 0 < nulls < total, (table, col)
    lo, hi = q(path, "SELECT min(placed_at), max(placed_at) FROM orders")[0]
    assert "2019-01-01" <= lo < hi < "2026-01-01"
    assert q(path, "SELECT count(*) FROM vip_customers") == q(path, "SELECT count(*) FROM customers WHERE vip")
    assert q(path, "SELECT count(*) FROM categories WHERE parent_id IS NOT NULL") == [(4,)]


def test_two_builds_are_identical(tmp_path, demo):
    again = tmp_path / "again.sqlite"
    create_demo(again)
    for table in TABLES + ["vip_customers"]:
        assert q(demo[0], f"SELECT * FROM {table} ORDER BY 1, 2") == q(again, f"SELECT * FROM {table} ORDER BY 1, 2")
    assert q(demo[0], "SELECT type, name, sql FROM sqlite_master ORDER BY name") == \
        q(again, "SELECT type, name, sql FROM sqlite_master ORDER BY name")


def test_refuses_to_overwrite(tmp_path):
    path = tmp_path / "precious.sqlite"
    path.write_bytes(b"operator data")
    with pytest.raises(FileExistsError, match="will not overwrite"):
        create_demo(path)
    assert path.read_bytes() == b"operator data"
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(FileExistsError):
        create_demo(empty)
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.sqlite", "precious.sqlite"]


def test_leaves_no_partial_file_and_replaces_a_stale_one(tmp_path):
    path = tmp_path / "sub" / "demo.sqlite"
    path.parent.mkdir()
    (path.parent / "demo.sqlite.part").write_bytes(b"left over from a crash")
    create_demo(path, 10)
    assert sorted(p.name for p in path.parent.iterdir()) == ["demo.sqlite"]
    check_integrity(path)


def test_creates_missing_directories(tmp_path):
    path = tmp_path / "a" / "b" / "demo.sqlite"
    create_demo(path, 5)
    assert path.exists()


def test_demo_is_wal_and_opens_as_a_target(demo):
    path = demo[0]
    assert journal_mode(path) == "wal"
    assert parse_target(str(path)).path == path


def test_schema_as_rowdesk_reads_it(demo):
    conn = sqlite3.connect(demo[0])
    try:
        tables = dict(sqlite_backend.sqlite_tables(conn))
        assert tables == {"categories": "table", "customers": "table", "order_lines": "table", "orders": "table",
                          "products": "table", "vip_customers": "view"}
        orders = sqlite_backend.sqlite_table(conn, "orders", "table")
        assert {c.name: c.kind for c in orders.columns} == {
            "id": "int", "customer_id": "int", "status": "text", "placed_at": "datetime", "shipped_on": "date",
            "total": "decimal", "paid": "bool", "note": "text"}
        assert orders.column("customer_id").references == ("customers", "id")
        assert orders.column("placed_at").indexed and orders.identity.page_key == ("id",)
        lines = sqlite_backend.sqlite_table(conn, "order_lines", "table")
        assert lines.primary_key == ("order_id", "line_no") and lines.read_only_reason is None
        customers = sqlite_backend.sqlite_table(conn, "customers", "table")
        assert customers.column("vip").kind == "bool" and customers.column("credit_limit").kind == "decimal"
        assert customers.column("email").indexed              # UNIQUE makes an index
        products = sqlite_backend.sqlite_table(conn, "products", "table")
        assert products.identity.page_key == ("product_id",) and products.column("price").kind == "decimal"
        # sorting orders by time walks the index
        plan = Plan(View(orders, Order("placed_at", True)), SQLITE)
        sql, params = plan.segment_sql("all", ("2020-01-01 00:00:00", 10), True, False, 200)
        details = " ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
        assert "orders_placed_at" in details and "TEMP B-TREE" not in details
    finally:
        conn.close()
