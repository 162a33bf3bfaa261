"""Relations on each engine, on the whole app: the same CamelCase schema with a composite foreign key on SQLite,
the PostgreSQL server and the MariaDB server; > follows a key to its row, < lists and counts the rows that refer
to a row, Backspace comes back to the exact cursor. Storage's view of the same keys is checked too."""

from __future__ import annotations

import sqlite3

import pytest
import pytest_twisted

from tests import app_engines as data
from tests.servers import MY, PG, require, unique

DDL = [
    "CREATE TABLE {Depot} ({DepotCode} VARCHAR(8) PRIMARY KEY, {City} VARCHAR(40))",
    "CREATE TABLE {Shelf} ({DepotCode} VARCHAR(8) NOT NULL, {ShelfNo} INTEGER NOT NULL, {Label} VARCHAR(20), "
    "PRIMARY KEY ({DepotCode}, {ShelfNo}), FOREIGN KEY ({DepotCode}) REFERENCES {Depot}({DepotCode}))",
    "CREATE TABLE {Item} ({ItemId} INTEGER PRIMARY KEY, {Name} VARCHAR(40), {Depot} VARCHAR(8), {Shelf} INTEGER, "
    "CONSTRAINT {OnShelf} FOREIGN KEY ({Depot}, {Shelf}) REFERENCES {Shelf}({DepotCode}, {ShelfNo}))",
    "INSERT INTO {Depot} VALUES ('LDN', 'London'), ('PAR', 'Paris')",
    "INSERT INTO {Shelf} VALUES ('LDN', 1, 'top'), ('LDN', 2, 'bottom'), ('PAR', 1, 'only')",
]
ITEMS = [(i, f"item {i}", "LDN" if i % 3 else "PAR", 1 + i % 2 if i % 3 else 1) for i in range(1, 601)]


def statements(engine: str) -> list[str]:
    names = {n: data.quote(engine, n) for n in ("Depot", "DepotCode", "City", "Shelf", "ShelfNo", "Label", "Item",
                                               "ItemId", "Name", "OnShelf")}
    return [s.format(**names) for s in DDL]


def _fill(engine, execute, executemany):
    for s in statements(engine):
        execute(s)
    p = "?" if engine == "sqlite" else "%s"
    executemany(f"INSERT INTO {data.quote(engine, 'Item')} VALUES ({p}, {p}, {p}, {p})", ITEMS)


@pytest.fixture(scope="module", params=data.ENGINES)
def engine(request, tmp_path_factory):
    name = request.param
    if name == "sqlite":
        path = tmp_path_factory.mktemp("relations") / "depots.db"
        conn = sqlite3.connect(path)
        _fill("sqlite", conn.execute, conn.executemany)
        conn.commit()
        conn.close()
        yield data.Engine("sqlite", str(path))
    elif name == "postgres":
        require("PostgreSQL", PG["port"], "psycopg")
        import psycopg
        schema = unique("rowdesk_Rel")
        conn = psycopg.connect(**PG, autocommit=True)
        try:
            conn.execute(f'CREATE SCHEMA "{schema}"')
            conn.execute(f'SET search_path TO "{schema}"')
            with conn.transaction(), conn.cursor() as cur:
                _fill("postgres", cur.execute, cur.executemany)
            conn.execute(f'ANALYZE "{schema}"."Item"')
            yield data.Engine("postgres", f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{PG['dbname']}"
                                          f"?schema={schema}", schema, conn)
        finally:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.close()
    else:
        require("MariaDB", MY["port"], "pymysql")
        import pymysql
        db = unique("rowdesk_Rel")
        conn = pymysql.connect(**MY, autocommit=True, charset="utf8mb4")
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
                cur.execute(f"USE `{db}`")
                _fill("mysql", cur.execute, cur.executemany)
            yield data.Engine("mysql", f"mysql://{MY['user']}@{MY['host']}:{MY['port']}/{db}", db, conn)
        finally:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
            conn.close()


async def opened(harness, engine, name):
    from tests.test_app_engines import open_table
    h = harness(engine.target, size=(120, 30))
    await open_table(h, engine, name)
    await h.wait_for(r"· row 1 of [\d,]+ ", where="status")
    await h.idle()
    return h


@pytest_twisted.ensureDeferred
async def test_storage_knows_the_keys_both_ways(harness, engine):
    h = harness(engine.target)
    db = h.db
    await db.tables()
    item = await db.describe(engine.table("Item"))
    (fk,) = item.foreign_keys
    assert (fk.columns, fk.target, fk.target_columns) == (("Depot", "Shelf"), engine.table("Shelf"),
                                                           ("DepotCode", "ShelfNo"))
    assert engine.name == "sqlite" or fk.name == "OnShelf"
    shelf = await db.describe(engine.table("Shelf"))
    refs = await db.referencing(shelf)
    assert [(r.table, r.columns, r.target_columns) for r in refs] == \
        [(engine.table("Item"), ("Depot", "Shelf"), ("DepotCode", "ShelfNo"))]
    depot = await db.describe(engine.table("Depot"))
    assert [(r.table, r.columns) for r in await db.referencing(depot)] == [(engine.table("Shelf"), ("DepotCode",))]
    count = await db.count_referencing(refs[0], ("LDN", 2))
    assert count.rows == sum(1 for i in ITEMS if i[2:] == ("LDN", 2))
    row = await db.find_row(shelf, ("DepotCode", "ShelfNo"), ("PAR", 1))
    assert row.get(shelf, "Label") == "only"
    assert await db.find_row(shelf, ("DepotCode", "ShelfNo"), ("PAR", 9)) is None


@pytest_twisted.ensureDeferred
async def test_follow_a_composite_key_list_the_rows_back_and_return(harness, engine):
    h = await opened(harness, engine, "Item")
    h.press("#")
    h.type("401")
    h.press("enter")                                  # item 401: LDN, shelf 2
    await h.wait_for(r"Item · row 401 of 600", where="status")
    h.press("l", "l", ">")
    await h.wait_for(r"Shelf · row \S+ of 3", where="status")
    assert "bottom" in h.text and f"{engine.table('Item')} 401 › {engine.table('Shelf')}" in h.lines[0]
    h.press("<")
    n = sum(1 for i in ITEMS if i[2:] == ("LDN", 2))
    await h.wait_for(rf"Item\.\(Depot, Shelf\) +{n} rows")
    h.press("enter")
    await h.wait_for(rf"Item · filter Depot = LDN · filter Shelf = 2 · row 1 of {n}", where="status")
    assert f"{engine.table('Shelf')} LDN,2 › {engine.table('Item')}" in h.lines[0]
    h.press("backspace")
    await h.wait_for(r"Shelf · row \S+ of 3", where="status")
    h.press("backspace")
    await h.wait_for(r"Item · row 401 of 600 · col 3/4", where="status")
