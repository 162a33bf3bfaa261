"""Schema introspection (storage.schema) and SQLObject classes (storage.models) on real-world schemas."""

from __future__ import annotations

import sqlite3
import threading
import time
from decimal import Decimal

import pytest
import pytest_twisted
import sqlobject as so
from sqlobject import classregistry
from twisted.internet import reactor

from storage.backends import sqlite as sqlite_backend
from storage.backends.sqlite import RowdeskSQLiteConnection
from storage.database import Database
from storage.dialect import SQLITE
from storage.models import build_model, new_registry_name
from storage.targets import parse_target
from storage.types import decimal_size
from storage.types import sqlite_kind as kind_of
from tests import realworld


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("realworld-schema")
    return {
        "chinook": realworld.chinook(d / "chinook.sqlite"),
        "northwind": realworld.northwind(d / "northwind.sqlite"),
        "oddities": realworld.oddities(d / "oddities.sqlite"),
    }


def describe(path, name):
    conn = sqlite3.connect(path)
    try:
        kinds = dict(sqlite_backend.sqlite_tables(conn))
        return sqlite_backend.sqlite_table(conn, name, kinds[name])
    finally:
        conn.close()


def table_names(path):
    conn = sqlite3.connect(path)
    try:
        return sqlite_backend.sqlite_tables(conn)
    finally:
        conn.close()


# -- kinds --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("declared", "kind"), [
    ("INTEGER", "int"), ("int", "int"), ("BIGINT", "int"), ("SMALLINT UNSIGNED", "int"), ("INT8", "int"),
    ("TIMESTAMP", "datetime"), ("DATETIME", "datetime"), ("timestamp with time zone", "datetime"),
    ("DATETIME2(7)", "datetime"), ("SMALLDATETIME", "datetime"),
    ("DATE", "date"), ("TIME", "time"), ("TIME WITH TIME ZONE", "time"),
    ("NUMERIC", "decimal"), ("NUMERIC(10,2)", "decimal"), ("DECIMAL(8, 1)", "decimal"), ("MONEY", "decimal"),
    ("BOOLEAN", "bool"), ("BOOL", "bool"),
    ("REAL", "float"), ("DOUBLE", "float"), ("DOUBLE PRECISION", "float"), ("FLOAT", "float"),
    ("TEXT", "text"), ("NVARCHAR(160)", "text"), ("VARCHAR(80)", "text"), ("CHAR(2)", "text"), ("CLOB", "text"),
    ("NCHAR(5)", "text"), ("UUID", "text"),
    ("BLOB", "blob"), ("BYTEA", "blob"), ("VARBINARY(16)", "blob"),
    ("JSON", "json"), ("JSONB", "json"),
    ("", "any"), ("WHATEVER", "any"),
])
def test_kind_of(declared, kind):
    assert kind_of(declared) == kind


@pytest.mark.parametrize(("declared", "size"), [
    ("NUMERIC(10,2)", (10, 2)), ("DECIMAL( 8 , 1 )", (8, 1)), ("NUMERIC(12)", (12, 0)), ("NUMERIC", (18, 4)),
])
def test_decimal_size(declared, size):
    assert decimal_size(declared) == size


# -- the table list ------------------------------------------------------------------------------------------------
def test_table_list_chinook(files):
    assert table_names(files["chinook"]) == [
        ("Album", "table"), ("Artist", "table"), ("Genre", "table"), ("Invoice", "table"), ("MediaType", "table"),
        ("Playlist", "table"), ("PlaylistTrack", "table"), ("Track", "table")]


def test_table_list_has_views_and_odd_names_but_not_sqlite_internals(files):
    names = dict(table_names(files["northwind"]))
    assert names["Order Details"] == "table"
    assert names["Alphabetical list of products"] == "view"
    assert names["Order Subtotals"] == "view"
    assert "sqlite_sequence" not in names        # AUTOINCREMENT made it
    odd = dict(table_names(files["oddities"]))
    assert odd['we"ird tab'] == "table"
    assert odd["recent_events"] == "view"


def test_table_list_sorted_case_insensitively(tmp_path):
    path = realworld.build(tmp_path / "case.db", "CREATE TABLE beta (x); CREATE TABLE Alpha (x);"
                                                 "CREATE TABLE gamma (x); CREATE TABLE Delta (x);")
    assert [n for n, _ in table_names(path)] == ["Alpha", "beta", "Delta", "gamma"]


def test_tables_named_like_sqlite_but_not_internal_are_listed(tmp_path):
    """'_' is a LIKE wildcard: NOT LIKE 'sqlite_%' would hide these user tables."""
    path = realworld.build(tmp_path / "names.db", "CREATE TABLE sqlite1_data (x); CREATE TABLE sqlitebrowser_tmp (x);"
                                                  "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);"
                                                  "INSERT INTO t VALUES (NULL); ANALYZE;")
    names = [n for n, _ in table_names(path)]
    assert names == ["sqlite1_data", "sqlitebrowser_tmp", "t"]


# -- keys, kinds, references ------------------------------------------------------------------------------------------
def test_chinook_track(files):
    t = describe(files["chinook"], "Track")
    assert t.type == "table"
    assert t.primary_key == ("TrackId",)
    assert t.identity.page_key == ("TrackId",)                 # INTEGER PRIMARY KEY is the rowid
    assert t.identity.hidden is None and t.identity.columns == ("TrackId",)
    assert t.read_only_reason is None
    assert t.column_names == ["TrackId", "Name", "AlbumId", "MediaTypeId", "GenreId", "Composer", "Milliseconds",
                              "Bytes", "UnitPrice"]
    c = {col.name: col for col in t.columns}
    assert c["TrackId"].pk_position == 1 and not c["TrackId"].nullable
    assert c["Name"].kind == "text" and c["Name"].declared == "NVARCHAR(200)" and not c["Name"].nullable
    assert c["AlbumId"].references == ("Album", "AlbumId")
    assert c["GenreId"].references == ("Genre", "GenreId")
    assert c["MediaTypeId"].references == ("MediaType", "MediaTypeId")
    assert c["AlbumId"].nullable and c["AlbumId"].indexed
    assert c["Composer"].indexed and c["Composer"].nullable
    assert not c["Milliseconds"].indexed and not c["Name"].indexed
    assert c["UnitPrice"].kind == "decimal" and c["UnitPrice"].numeric
    assert c["Milliseconds"].kind == "int" and c["Milliseconds"].numeric
    assert not c["Name"].numeric
    with pytest.raises(KeyError):
        t.column("trackid")


def test_chinook_kinds(files):
    inv = describe(files["chinook"], "Invoice")
    assert {c.name: c.kind for c in inv.columns} == {
        "InvoiceId": "int", "CustomerId": "int", "InvoiceDate": "datetime", "BillingCountry": "text",
        "Total": "decimal", "Paid": "bool"}
    album = describe(files["chinook"], "Album")
    assert album.primary_key == ("AlbumId",)
    assert album.column("ArtistId").references == ("Artist", "ArtistId")
    assert album.column("ArtistId").indexed


def test_composite_key_in_a_rowid_table(files):
    t = describe(files["chinook"], "PlaylistTrack")
    assert t.primary_key == ("PlaylistId", "TrackId")
    assert t.identity.page_key == ("_rowid_",) and t.identity.hidden == "_rowid_"
    assert t.read_only_reason is None                   # a composite key is written by its columns
    assert t.column("PlaylistId").pk_position == 1 and t.column("TrackId").pk_position == 2
    assert t.column("TrackId").references == ("Track", "TrackId")
    assert t.column("TrackId").indexed            # IFK_PlaylistTrackTrackId


def test_northwind_order_details(files):
    t = describe(files["northwind"], "Order Details")
    assert t.primary_key == ("OrderID", "ProductID")
    assert t.identity.page_key == ("_rowid_",)
    assert t.read_only_reason is None
    assert t.column("OrderID").references == ("Orders", "OrderID")
    assert t.column("ProductID").references == ("Products", "ProductID")
    assert t.column("Discount").kind == "float"
    assert t.column("UnitPrice").kind == "decimal" and t.column("UnitPrice").default == "0"
    assert t.column("Quantity").default == "1"
    assert t.column("OrderID").indexed and not t.column("ProductID").indexed


def test_text_primary_key_in_a_rowid_table(files):
    t = describe(files["northwind"], "Customers")
    assert t.primary_key == ("CustomerID",)
    assert t.identity.page_key == ("_rowid_",) and t.identity.hidden == "_rowid_"
    assert t.read_only_reason is None
    assert t.column("CustomerID").kind == "text" and t.column("CustomerID").indexed
    # SQLite accepts NULL in it (not declared NOT NULL, not INTEGER PRIMARY KEY, not WITHOUT ROWID)
    assert t.column("CustomerID").nullable


def test_text_primary_key_holding_nulls_is_nullable(files):
    t = describe(files["oddities"], "tags")
    assert t.column("code").nullable
    assert realworld.rows(files["oddities"], "SELECT count(*) FROM tags WHERE code IS NULL") == [(10,)]


def test_declared_not_null_primary_key_is_not_nullable(files):
    t = describe(files["northwind"], "Order Details")
    assert not t.column("OrderID").nullable and not t.column("ProductID").nullable
    inv = describe(files["oddities"], "inventory")
    assert not inv.column("warehouse").nullable


def test_northwind_kinds_and_blob(files):
    t = describe(files["northwind"], "Orders")
    assert [c.kind for c in t.columns] == ["int", "text", "int", "datetime", "datetime", "datetime", "decimal", "text"]
    assert t.column("OrderDate").indexed
    assert t.column("CustomerID").references == ("Customers", "CustomerID")
    cats = describe(files["northwind"], "Categories")
    assert cats.column("Picture").kind == "blob"
    assert cats.identity.page_key == ("CategoryID",)             # AUTOINCREMENT: still the rowid


def test_without_rowid_composite_key(files):
    t = describe(files["oddities"], "inventory")
    assert t.primary_key == ("warehouse", "sku")
    assert t.identity.page_key == ("warehouse", "sku")
    assert t.identity.hidden is None
    assert t.read_only_reason is None


def test_without_rowid_single_key_is_writable(tmp_path):
    path = realworld.build(tmp_path / "wr.db", "CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;")
    t = describe(path, "kv")
    assert t.identity.page_key == ("k",) and t.identity.hidden is None and t.read_only_reason is None
    assert not t.column("k").nullable            # WITHOUT ROWID enforces NOT NULL on the key


def test_no_primary_key(files):
    t = describe(files["oddities"], "event_log")
    assert t.primary_key == ()
    assert t.identity.page_key == ("_rowid_",) and t.identity.hidden == "_rowid_"
    assert t.read_only_reason is None                   # its rows are written by their rowid
    assert t.column("level").indexed


def test_column_named_rowid(files):
    t = describe(files["oddities"], "legacy")
    assert t.column_names == ["rowid", "name", "note"]
    assert t.identity.hidden == "_rowid_" and t.identity.page_key == ("_rowid_",)
    # the alias really is SQLite's rowid, not the user's column
    got = realworld.rows(files["oddities"], f"SELECT {t.identity.hidden}, \"rowid\" FROM legacy ORDER BY 1 LIMIT 3")
    assert got == [(1, None), (2, 999), (3, 998)]


def test_every_rowid_alias_taken(files):
    t = describe(files["oddities"], "all_aliases")
    assert t.column_names == ["_rowid_", "rowid", "oid", "v"]
    assert t.identity.page_key == () and t.identity.hidden is None
    assert t.read_only_reason is not None


def test_int_primary_key_is_not_a_rowid_alias(files):
    t = describe(files["oddities"], "codes")
    assert t.primary_key == ("id",)
    assert t.identity.page_key == ("_rowid_",)                  # "INT PRIMARY KEY" is an ordinary column
    got = realworld.rows(files["oddities"], "SELECT _rowid_, id FROM codes ORDER BY _rowid_ LIMIT 2")
    assert got == [(1, 10), (2, 20)]


def test_quoted_identifiers(files):
    t = describe(files["oddities"], 'we"ird tab')
    assert t.name == 'we"ird tab'
    assert t.column_names == ["id", 'col "x"', "sp ace"]
    assert t.identity.page_key == ("id",) and t.identity.hidden is None
    assert sqlite_backend.quote_sqlite(t.name) == '"we""ird tab"'


def test_odd_kinds_and_indexes(files):
    t = describe(files["oddities"], "files")
    assert {c.name: c.kind for c in t.columns} == {
        "id": "int", "name": "text", "data": "blob", "created": "datetime", "size_kb": "decimal", "archived": "bool",
        "start_at": "time", "meta": "json", "score": "float", "born": "date", "anything": "any"}
    assert not t.column("score").indexed          # a partial index does not serve every query
    assert not t.column("name").indexed           # an expression index is not an index on the column


def test_implicit_foreign_key_target_is_the_parents_primary_key(files):
    t = describe(files["oddities"], "ref_implicit")
    assert t.column("code_id").references == ("codes", "id")


def test_views(files):
    for path, name in ((files["northwind"], "Alphabetical list of products"), (files["northwind"], "Order Subtotals"),
                       (files["oddities"], "recent_events")):
        t = describe(path, name)
        assert t.type == "view"
        assert t.identity.page_key == () and t.identity.hidden is None
        assert t.read_only_reason == "a view: rows have no identity to write back to"
    v = describe(files["northwind"], "Alphabetical list of products")
    assert v.column_names == ["ProductID", "ProductName", "CategoryID", "QuantityPerUnit", "UnitPrice",
                              "Discontinued", "CategoryName"]


def test_generated_columns_are_listed(tmp_path):
    path = realworld.build(tmp_path / "gen.db", "CREATE TABLE g (id INTEGER PRIMARY KEY, a INT, "
                                                "b INT GENERATED ALWAYS AS (a * 2) VIRTUAL, "
                                                "c INT GENERATED ALWAYS AS (a + 1) STORED);")
    assert describe(path, "g").column_names == ["id", "a", "b", "c"]


# -- SQLObject classes ---------------------------------------------------------------------------------------------
@pytest.fixture
def chinook_conn(files):
    conn = RowdeskSQLiteConnection(files["chinook"], read_only=True)
    yield conn
    conn.close()


def test_build_model_chinook(files, chinook_conn):
    track = describe(files["chinook"], "Track")
    registry = new_registry_name()
    Track = build_model(track, chinook_conn, registry, SQLITE)
    assert issubclass(Track, so.SQLObject)
    assert Track.sqlmeta.table == '"Track"'            # quoted: SQLObject writes it into SQL as given
    assert Track.sqlmeta.idName == '"TrackId"'
    assert Track.sqlmeta.idType is int
    assert Track.sqlmeta.registry == registry
    assert [c.dbName for c in Track.sqlmeta.columnList] == [f'"{n}"' for n in (
        "Name", "AlbumId", "MediaTypeId", "GenreId", "Composer", "Milliseconds", "Bytes", "UnitPrice")]
    cols = Track.sqlmeta.columns
    assert isinstance(cols["UnitPrice"], so.col.SODecimalCol)
    assert isinstance(cols["Milliseconds"], so.col.SOIntCol) and cols["Milliseconds"].notNone
    assert not cols["Composer"].notNone
    row = Track.get(5)
    expected = realworld.rows(files["chinook"], "SELECT Name, Composer, Milliseconds FROM Track WHERE TrackId = 5")
    assert (row.id, row.Name, row.Composer, row.Milliseconds) == (5, *expected[0])
    assert Track.select(Track.q.GenreId == 2).count() == \
        realworld.rows(files["chinook"], "SELECT count(*) FROM Track WHERE GenreId = 2")[0][0]
    assert classregistry.registry(registry).getClass("T_Track") is Track


def test_build_model_text_key(files, tmp_path):
    t = describe(files["northwind"], "Customers")
    conn = RowdeskSQLiteConnection(files["northwind"], read_only=True)
    try:
        Customers = build_model(t, conn, new_registry_name(), SQLITE)
        assert Customers.sqlmeta.idName == '"CustomerID"' and Customers.sqlmeta.idType is str
        first = realworld.rows(files["northwind"], 'SELECT "CustomerID", "CompanyName" FROM "Customers" LIMIT 1')[0]
        assert Customers.get(first[0]).CompanyName == first[1]
    finally:
        conn.close()


@pytest.mark.parametrize(("db", "name"), [
    ("chinook", "PlaylistTrack"), ("northwind", "Order Details"), ("northwind", "Alphabetical list of products"),
    ("oddities", "inventory"), ("oddities", "event_log"), ("oddities", "legacy"), ("oddities", "all_aliases"),
    ("oddities", "recent_events"),
])
def test_no_model_for_unmappable_tables(files, chinook_conn, db, name):
    assert build_model(describe(files[db], name), chinook_conn, new_registry_name(), SQLITE) is None


def test_model_attribute_names_for_odd_columns(files, chinook_conn):
    t = describe(files["oddities"], 'we"ird tab')
    Weird = build_model(t, chinook_conn, new_registry_name(), SQLITE)
    assert Weird.sqlmeta.idName == '"id"'
    assert sorted((c.name, c.dbName) for c in Weird.sqlmeta.columnList) == [("col__x_", '"col ""x"""'),
                                                                            ("sp_ace", '"sp ace"')]


def test_same_class_name_twice_in_one_registry(tmp_path, chinook_conn):
    path = realworld.build(tmp_path / "twins.db", 'CREATE TABLE "order-items" (id INTEGER PRIMARY KEY, v TEXT);'
                                                  "CREATE TABLE order_items (id INTEGER PRIMARY KEY, w TEXT);")
    registry = new_registry_name()
    a = build_model(describe(path, "order-items"), chinook_conn, registry, SQLITE)
    b = build_model(describe(path, "order_items"), chinook_conn, registry, SQLITE)
    assert a is not None and b is not None and a is not b
    assert (a.sqlmeta.table, b.sqlmeta.table) == ('"order-items"', '"order_items"')


def test_two_databases_each_build_a_class_for_the_same_table(files, tmp_path):
    other = realworld.chinook(tmp_path / "copy-of-chinook.sqlite")
    dbs = [Database(parse_target(str(p), read_only=True), reactor, threads=1) for p in (files["chinook"], other)]
    try:
        tables = [db._describe("Track") for db in dbs]
        assert all(t.read_only_reason is None for t in tables)
        a, b = (db.models["Track"] for db in dbs)
        assert a is not b
        assert a.__name__ == b.__name__ == "T_Track"
        assert a.sqlmeta.registry != b.sqlmeta.registry
        assert a.get(1).Name == b.get(1).Name
        assert a._connection is dbs[0].connection and b._connection is dbs[1].connection
    finally:
        for db in dbs:
            db.close()


def test_database_maps_what_it_can(files):
    db = Database(parse_target(str(files["northwind"]), read_only=True), reactor, threads=1)
    try:
        assert db._describe("Orders").read_only_reason is None and "Orders" in db.models
        # A composite key: written by rowdesk by its columns; no SQLObject class (SQLObject maps one-column keys)
        assert db._describe("Order Details").read_only_reason is None
        assert "Order Details" not in db.models
        with pytest.raises(KeyError, match="no table named"):
            db._describe("Nope")
    finally:
        db.close()


@pytest_twisted.inlineCallbacks
def test_concurrent_describes_build_one_class(files, monkeypatch):
    """The console asks for the schema, the count and the first page at once: three threads describe one table."""
    slow_inside = threading.Barrier(2, timeout=0.5)
    real = sqlite_backend.sqlite_table

    def slow(raw, name, kind):
        try:
            slow_inside.wait()            # two threads in here at once, if nothing stops them
        except threading.BrokenBarrierError:
            pass
        time.sleep(0.02)
        return real(raw, name, kind)
    monkeypatch.setattr(sqlite_backend, "sqlite_table", slow)
    db = Database(parse_target(str(files["chinook"]), read_only=True), reactor, threads=3)
    try:
        from twisted.internet import defer
        results = yield defer.gatherResults([db.describe("Track"), db.describe("Track"), db.estimate_rows("Track")])
        t1, t2, count = results
        assert t1 is t2
        assert t1.read_only_reason is None
        assert count.rows == realworld.TRACKS and count.exact
        assert list(classregistry.registry(db.registry).classes) == ["T_Track"]
        assert db.models["Track"].sqlmeta.idName == '"TrackId"'
    finally:
        db.close()


def test_decimal_values_read_through_the_model(files, chinook_conn):
    Track = build_model(describe(files["chinook"], "Track"), chinook_conn, new_registry_name(), SQLITE)
    price = Track.get(1).UnitPrice
    assert Decimal(str(price)) in (Decimal("0.99"), Decimal("1.99"))


def test_model_of_a_table_whose_names_need_quoting_works(tmp_path):
    """SQLObject writes names into SQL as given: spaces, quotes and keywords must arrive quoted."""
    path = realworld.build(tmp_path / "quoted.db", 'CREATE TABLE "we""ird tab" ("id" INTEGER PRIMARY KEY, '
                                                   '"col ""x""" TEXT, "sp ace" INTEGER, "order" INTEGER);'
                                                   "INSERT INTO \"we\"\"ird tab\" VALUES (1, 'one', 3, 7);")
    conn = RowdeskSQLiteConnection(path)
    try:
        Weird = build_model(describe(path, 'we"ird tab'), conn, new_registry_name(), SQLITE)
        row = Weird.get(1)
        assert (row.col__x_, row.sp_ace, row.order) == ("one", 3, 7)
        row.sp_ace = 99
        new = Weird(col__x_="two", sp_ace=5, order=1)
        assert Weird.select(Weird.q.sp_ace == 99).count() == 1
        new.destroySelf()
    finally:
        conn.close()
    assert realworld.rows(path, 'SELECT * FROM "we""ird tab"') == [(1, "one", 99, 7)]


def test_generated_columns_are_marked(tmp_path):
    path = realworld.build(tmp_path / "gen.db", "CREATE TABLE box (id INTEGER PRIMARY KEY, w REAL, h REAL, "
                           "area REAL GENERATED ALWAYS AS (w * h) VIRTUAL, "
                           "label TEXT GENERATED ALWAYS AS ('box ' || id) STORED);")
    t = describe(path, "box")
    assert t.column_names == ["id", "w", "h", "area", "label"]
    assert [c.name for c in t.columns if c.generated] == ["area", "label"]
