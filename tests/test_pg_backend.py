"""The PostgreSQL backend on the real server: its connection, the catalogue, describing a table, estimates.
Each test in a schema of its own (tests.servers.pg_schema), through storage.database.Database where the
console would go through it."""

from __future__ import annotations

import psycopg
import pytest
import pytest_twisted
from sqlobject.postgres.pgconnection import PostgresConnection

from storage.backends import ErrorKind
from storage.backends.postgres import PostgresBackend
from storage.backends.postgres_catalog import CHEAP_COUNT
from storage.database import RowCount
from storage.paging import View
from storage.targets import parse_target
from tests import pg_support
from tests.pg_support import failure_of, uri_as
from tests.servers import unique

pg_role = pg_support.pg_role          # a fixture

SECRET = "s3cret-Pw-never-shown"


# -- the connection ---------------------------------------------------------------------------------------------------
def test_connection_is_sqlobjects_on_psycopg3_without_the_password(pg_schema):
    uri, schema, _ = pg_schema
    target = parse_target(uri.replace("postgres@", f"postgres:{SECRET}@"))
    assert target.password == SECRET
    backend = PostgresBackend(target)
    try:
        conn = backend.connection
        assert isinstance(conn, PostgresConnection) and conn.driver == "psycopg" and conn.module is psycopg
        # SQLObject would put the password into its DSN, and the DSN into the message of a failed connect.
        assert SECRET not in repr(conn.dsn) + repr(conn.dsn_dict) + repr(conn.password)
        raw = backend.checkout()
        assert isinstance(raw, psycopg.Connection) and raw.autocommit
        assert raw.execute("SHOW search_path").fetchone()[0].startswith(f'{schema}, ')
        assert raw.execute("SHOW application_name").fetchone()[0] == "rowdesk"
        backend.release(raw, broken=False)
        assert backend.checkout() is raw            # back in SQLObject's pool
    finally:
        backend.close()


def test_a_failed_connect_never_shows_the_password(pg_schema):
    uri, _, _ = pg_schema
    target = parse_target(uri.replace("postgres@", f"postgres:{SECRET}@").replace(":5432/", ":1/"))
    backend = PostgresBackend(target)
    with pytest.raises(Exception) as caught:
        backend.checkout()
    error = caught.value
    text = backend.describe_error(error)
    assert "connection refused" in text and "127.0.0.1:1" in text
    chain = [error, error.__cause__]
    assert SECRET not in text + "".join(repr(e) + str(e) for e in chain)
    assert backend.classify(error) is ErrorKind.UNREACHABLE    # not CONNECTION_LOST: no second connect attempt


@pytest_twisted.inlineCallbacks
def test_read_only_is_enforced_by_the_server(pg_schema, opened):
    uri, _, conn = pg_schema
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    db = opened(uri, read_only=True)
    assert (yield db.count_rows_of(f"{pg_schema[1]}.t")) == RowCount(0, exact=True)
    write = db.worker.submit("write", lambda job: db._query(job, "INSERT INTO t VALUES (1) RETURNING id"))
    [failure] = yield failure_of(write)
    assert db.backend.classify(failure.value) is ErrorKind.READ_ONLY
    assert db.backend.describe_error(failure.value).startswith("read-only: cannot execute INSERT")
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    assert any("read-only" in note for note in db.notes)


def test_connect_timeout_comes_from_the_uri_or_the_default(pg_schema):
    uri, _, _ = pg_schema
    default = PostgresBackend(parse_target(uri)).connection.connect_arguments()
    given = PostgresBackend(parse_target(uri + "&connect_timeout=3")).connection.connect_arguments()
    assert default["connect_timeout"] == 10 and given["connect_timeout"] == 3


# -- the catalogue ----------------------------------------------------------------------------------------------------
@pytest.fixture
def more_schemas(pg_schema):
    """Two more schemas beside the test's own: (in the search_path, not in it); dropped after."""
    _, schema, conn = pg_schema
    names = (f"{schema}_z_in_path", f"{schema}_a_other")
    for name in names:
        conn.execute(f'CREATE SCHEMA "{name}"')
    yield names
    for name in names:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def foreign_server(pg_schema):
    """A foreign-data wrapper and server (database-wide objects, so named per test), dropped after."""
    _, _, conn = pg_schema
    name = unique("rowdesk_fdw")
    conn.execute(f'CREATE FOREIGN DATA WRAPPER "{name}"')
    conn.execute(f'CREATE SERVER "{name}" FOREIGN DATA WRAPPER "{name}"')
    yield name
    conn.execute(f'DROP FOREIGN DATA WRAPPER "{name}" CASCADE')


@pytest_twisted.inlineCallbacks
def test_catalogue_lists_every_kind_of_relation_schema_first_then_search_path_then_by_name(
        pg_schema, more_schemas, foreign_server, monkeypatch, opened):
    uri, schema, conn = pg_schema
    in_path, other = more_schemas
    conn.execute(f"""
        CREATE TABLE "{other}".early (id int PRIMARY KEY);
        CREATE TABLE "{in_path}".middle (id int PRIMARY KEY);
        CREATE TABLE plain (id int PRIMARY KEY);
        CREATE TABLE "Mixed Case.""quoted" (id int PRIMARY KEY, v text);
        INSERT INTO "Mixed Case.""quoted" VALUES (1, 'odd');
        CREATE TABLE parted (id int PRIMARY KEY) PARTITION BY RANGE (id);
        CREATE TABLE parted_low PARTITION OF parted FOR VALUES FROM (0) TO (100);
        CREATE VIEW a_view AS SELECT * FROM plain;
        CREATE MATERIALIZED VIEW b_matview AS SELECT * FROM plain;
        CREATE FOREIGN TABLE c_foreign (id int) SERVER "{foreign_server}";
        CREATE TEMPORARY TABLE temporary_one (id int);
    """)
    # The search_path, as a role's or the server's setting would give it (read-only keeps it too); the URI's
    # schema goes first.
    monkeypatch.setenv("PGOPTIONS", f"-c search_path={in_path}")
    db = opened(uri, read_only=True)
    entries = yield db.tables()
    mine = [(e.schema, e.name, e.type) for e in entries if e.schema in (schema, in_path, other)]
    assert mine == [
        (schema, "a_view", "view"), (schema, "b_matview", "view"), (schema, "c_foreign", "table"),
        (schema, 'Mixed Case."quoted', "table"), (schema, "parted", "table"), (schema, "plain", "table"),
        (in_path, "middle", "table"),
        (other, "early", "table"),
    ]
    assert [e.display for e in entries[:2]] == [f"{schema}.a_view", f"{schema}.b_matview"]
    # no system schema, no temporary table, no partition (its rows are the partitioned table's)
    assert not {e.schema for e in entries} & {"pg_catalog", "information_schema"}
    assert not [e for e in entries if e.schema.startswith(("pg_toast", "pg_temp")) or e.name == "parted_low"]
    # one table by its display name, without the catalogue; a partition too; odd names work all the way
    db._entries.clear()
    odd = yield db.describe(f'{schema}.Mixed Case."quoted')
    page = yield db.fetch(View(odd), None, limit=10)
    assert page.rows == [(1, "odd")]
    assert db.backend.find(db.backend.checkout(), "parted_low").display == f"{schema}.parted_low"


@pytest_twisted.inlineCallbacks
def test_catalogue_leaves_out_what_the_user_may_not_read(pg_schema, pg_role, opened):
    uri, schema, conn = pg_schema
    role = pg_role()
    conn.execute(f"""
        CREATE TABLE granted (id int PRIMARY KEY);
        CREATE TABLE secret (id int PRIMARY KEY);
        CREATE TABLE some_columns (id int PRIMARY KEY, public_part text, private_part text);
        GRANT SELECT ON granted TO "{role}";
        GRANT SELECT (id, public_part) ON some_columns TO "{role}";
    """)
    db = opened(uri_as(uri, role))
    names = [e.name for e in (yield db.tables()) if e.schema == schema]
    assert names == ["granted", "some_columns"]
    table = yield db.describe(f"{schema}.some_columns")
    assert table.column_names == ["id", "public_part"]
    assert any("private_part" in note and "SELECT privilege" in note for note in table.notes)
    assert table.read_only_reason == f"user {role} may not change it (no UPDATE privilege)"
    page = yield db.fetch(View(table), None, limit=10)
    assert page.rows == []


# -- describing a table -----------------------------------------------------------------------------------------------
@pytest_twisted.inlineCallbacks
def test_describe_reads_keys_references_indexes_defaults_and_generated_columns(pg_schema, opened):
    uri, schema, conn = pg_schema
    conn.execute("""
        CREATE TABLE region (code text, "Country" char(2), name text NOT NULL,
                             CONSTRAINT region_key PRIMARY KEY ("Country", code));
        CREATE TABLE shop (
            shop_no bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            region_code text, country char(2),
            opened date DEFAULT current_date,
            area numeric(8, 2) NOT NULL DEFAULT 0,
            area_sqft numeric GENERATED ALWAYS AS (area * 10.7639) STORED,
            FOREIGN KEY (country, region_code) REFERENCES region ("Country", code));
        CREATE INDEX ON shop (opened, area);
        CREATE INDEX ON shop (lower(region_code));
        CREATE INDEX ON shop (area) WHERE area > 0;
        CREATE VIEW big_shops AS SELECT * FROM shop WHERE area > 100;
        CREATE TABLE loose (a int, b text);
    """)
    db = opened(uri)
    region = yield db.describe(f"{schema}.region")
    assert region.primary_key == ("Country", "code") and region.identity.columns == ("Country", "code")
    assert region.identity.hidden is None                       # ctid is not stable: no hidden row id
    assert [(c.name, c.pk_position, c.nullable) for c in region.columns] == [
        ("code", 2, False), ("Country", 1, False), ("name", 0, False)]
    assert region.read_only_reason is None                      # written by its two key columns

    shop = yield db.describe(f"{schema}.shop")
    cols = {c.name: c for c in shop.columns}
    assert shop.schema == schema and shop.display == f"{schema}.shop" and shop.primary_key == ("shop_no",)
    assert shop.read_only_reason is None
    assert (cols["area"].declared, cols["area"].kind, cols["area"].default) == ("numeric(8,2)", "decimal", "0")
    assert (cols["opened"].declared, cols["opened"].default) == ("date", "CURRENT_DATE")
    assert (cols["country"].declared, cols["country"].kind) == ("character(2)", "text")
    assert cols["country"].references == (f"{schema}.region", "Country")
    assert cols["region_code"].references == (f"{schema}.region", "code")
    # leading columns of the indexes that serve any query: not an expression's, not a partial index's
    assert {c.name for c in shop.columns if c.indexed} == {"shop_no", "opened"}
    assert cols["area_sqft"].default is None
    assert "area_sqft: generated always as (area * 10.7639), stored" in shop.notes
    assert [c.name for c in shop.columns if c.generated] == ["area_sqft"]
    assert [c.name for c in shop.columns if c.autoincrement] == ["shop_no"]
    assert "shop_no: an identity column, generated always" in shop.notes
    assert all(c.enforced for c in shop.columns)

    view = yield db.describe(f"{schema}.big_shops")
    assert view.type == "view" and view.primary_key == () and view.identity.page_key == ()
    assert view.read_only_reason == "a view: rows have no identity to write back to"
    loose = yield db.describe(f"{schema}.loose")
    assert loose.read_only_reason == "no primary key: a row cannot be identified safely"


# -- estimates --------------------------------------------------------------------------------------------------------
@pytest_twisted.inlineCallbacks
def test_estimate_follows_the_relation_size_since_the_last_analyze(pg_schema, opened):
    uri, schema, conn = pg_schema
    n = CHEAP_COUNT + 50_000
    conn.execute(f"""
        CREATE TABLE grows (id int PRIMARY KEY, pad text) WITH (autovacuum_enabled = false);
        INSERT INTO grows SELECT g, 'row ' || g FROM generate_series(1, {n}) g;
        ANALYZE grows;
        CREATE TABLE never_analyzed (id int PRIMARY KEY) WITH (autovacuum_enabled = false);
        INSERT INTO never_analyzed SELECT generate_series(1, {n});
        CREATE TABLE small (id int PRIMARY KEY) WITH (autovacuum_enabled = false);
        INSERT INTO small SELECT generate_series(1, 1000);
        ANALYZE small;
        CREATE TABLE parted (id int PRIMARY KEY) PARTITION BY RANGE (id);
        CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO ({n // 2})
            WITH (autovacuum_enabled = false);
        CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM ({n // 2}) TO (MAXVALUE)
            WITH (autovacuum_enabled = false);
        INSERT INTO parted SELECT generate_series(1, {n});
        ANALYZE parted_1; ANALYZE parted_2;
        CREATE VIEW everything AS SELECT * FROM grows;
    """)
    db = opened(uri)
    entries = {e.name: e.estimate for e in (yield db.tables()) if e.schema == schema}
    assert entries == {"grows": n, "never_analyzed": None, "small": 1000, "parted": n, "everything": None}
    first = yield db.estimate_rows(f"{schema}.grows")
    assert not first.exact and abs(first.rows - n) <= n * 0.01
    conn.execute(f"INSERT INTO grows SELECT g, 'row ' || g FROM generate_series({n + 1}, {2 * n}) g")
    second = yield db.estimate_rows(f"{schema}.grows")          # no ANALYZE since: scaled by the pages
    assert not second.exact and abs(second.rows - 2 * n) <= n * 0.02
    parted = yield db.estimate_rows(f"{schema}.parted")
    assert not parted.exact and abs(parted.rows - n) <= n * 0.01
    # counted when there are no statistics, or few rows; a view only on demand
    assert (yield db.estimate_rows(f"{schema}.never_analyzed")) == RowCount(n, exact=True)
    assert (yield db.estimate_rows(f"{schema}.small")) == RowCount(1000, exact=True)
    assert (yield db.estimate_rows(f"{schema}.everything")) == RowCount(None, exact=False)


def test_a_connection_goes_back_without_an_open_transaction(pg_schema):
    """A job that began a transaction and did not end it: its work is rolled back, not left for the next job."""
    from psycopg.pq import TransactionStatus

    uri, _, conn = pg_schema
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    backend = PostgresBackend(parse_target(uri, read_only=False))
    try:
        raw = backend.checkout()
        raw.execute("BEGIN")
        raw.execute("INSERT INTO t VALUES (1)")
        backend.release(raw, broken=False)
        again = backend.checkout()
        assert again is raw and again.info.transaction_status is TransactionStatus.IDLE
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
        backend.release(again, broken=True)                  # broken: closed, never pooled
        assert raw.closed and backend.connection._pool == []
    finally:
        backend.close()
