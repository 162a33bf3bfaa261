"""Export on each engine (tests/app_engines.py's data set, every kind of column): CSV, JSON Lines and JSON read
back and compared row by row with the rows the database holds; the view's sort and filters kept; a cancelled
export and a refused overwrite leave no file behind; the command line `rowdesk export`."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import os
import subprocess
import sys

import pytest
import pytest_twisted

from storage import filters
from storage.database import Database
from storage.jobs import Cancelled
from storage.paging import Order, View
from storage.targets import parse_target
from storage.types import kind
from tests import app_engines as data


@pytest.fixture(scope="module", params=data.ENGINES)
def engine(request, tmp_path_factory):
    yield from data.made(request.param, tmp_path_factory)


@pytest.fixture
def db(engine):
    from twisted.internet import reactor
    d = Database(parse_target(engine.target, read_only=True), reactor)
    yield d
    d.close()


def as_text(col, v) -> str:
    """What the CSV holds for a value, worked out here on its own."""
    if v is None:
        return ""
    shown = kind(col.kind).show(v) if kind(col.kind).show is not None else None
    if shown is not None:
        return shown
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, float):
        return repr(v)
    return str(v)


async def all_rows(db, view):
    rows, mark = [], None
    while True:
        page = await db.fetch(view, mark, limit=500)
        rows += page.rows
        if page.reached_end:
            return rows
        mark = page.marks[-1]


@pytest_twisted.ensureDeferred
async def test_csv_holds_every_row_and_value_as_the_database_does(db, engine, tmp_path):
    await db.tables()
    table = await db.describe(engine.table("OrderLine"))
    view = View(table)
    out = tmp_path / "lines.csv"
    seen = []
    n = await db.export(view, "csv", str(out), progress=seen.append, batch=37)
    rows = await all_rows(db, view)
    assert n == len(rows) == data.ROWS
    with open(out, newline="", encoding="utf-8") as f:
        got = list(csv.reader(f))
    assert got[0] == table.column_names
    want = [[as_text(c, v) for c, v in zip(table.columns, row, strict=True)] for row in rows]
    assert got[1:] == want
    assert not os.path.exists(f"{out}.part")


@pytest_twisted.ensureDeferred
async def test_jsonl_and_json_keep_types_and_the_views_sort_and_filters(db, engine, tmp_path):
    await db.tables()
    table = await db.describe(engine.table("OrderLine"))
    cond = filters.parse_filter(">10", table.column("Quantity"), db.dialect)
    view = View(table, Order("UnitPrice", descending=True), (cond,))
    rows = await all_rows(db, view)
    for fmt in ("jsonl", "json"):
        out = tmp_path / f"lines.{fmt}"
        n = await db.export(view, fmt, str(out))
        text = out.read_text(encoding="utf-8")
        objs = [json.loads(line, parse_float=decimal.Decimal) for line in text.splitlines()] if fmt == "jsonl" \
            else json.loads(text, parse_float=decimal.Decimal)
        assert n == len(objs) == len(rows) > 0
        for obj, row in zip(objs, rows, strict=True):
            assert list(obj) == table.column_names
            for c, v in zip(table.columns, row, strict=True):
                got = obj[c.name]
                if v is None:
                    assert got is None
                elif c.kind == "int":
                    assert got == v and isinstance(got, int)
                elif c.kind == "decimal":
                    assert got == decimal.Decimal(str(v))          # every digit, as a JSON number
                elif c.kind == "bool":
                    assert got is bool(v)
                elif c.kind == "blob":
                    assert got == bytes(v).hex()
                elif c.kind == "json":
                    assert got == (json.loads(v, parse_float=decimal.Decimal) if isinstance(v, str) else v)
                elif isinstance(v, (dt.date, dt.datetime, dt.time)):
                    assert got == v.isoformat()
                else:
                    assert got == as_text(c, v)


@pytest_twisted.ensureDeferred
async def test_an_existing_file_is_never_replaced_unless_asked(db, engine, tmp_path):
    await db.tables()
    table = await db.describe(engine.table("OrderLine"))
    out = tmp_path / "lines.csv"
    out.write_text("mine")
    with pytest.raises(FileExistsError):
        await db.export(View(table), "csv", str(out))
    assert out.read_text() == "mine" and not os.path.exists(f"{out}.part")
    n = await db.export(View(table), "csv", str(out), overwrite=True)        # asked for: replaced
    assert n == data.ROWS and out.read_text().startswith("OrderId,")


@pytest_twisted.ensureDeferred
async def test_a_cancelled_export_removes_its_partial_file(tmp_path):
    from twisted.internet import defer, reactor

    from tests.conftest import make_db
    path = make_db(tmp_path / "big.db", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                   "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 300000) "
                   "INSERT INTO t SELECT n, 'value ' || n FROM s;")
    db = Database(parse_target(str(path), read_only=True), reactor)
    try:
        table = await db.describe("t")
        out = tmp_path / "t.csv"
        told = []
        d = None

        def progress(rows):
            told.append(rows)
            if len(told) == 1:
                assert os.path.exists(f"{out}.part") and not out.exists()      # written beside, as it comes
                d.cancel()
        d = db.export(View(table), "csv", str(out), progress=progress, batch=10)
        with pytest.raises((Cancelled, defer.CancelledError)):
            await d
        # The cancel is told at once; the worker removes the file as it stops, at its next batch.
        for _ in range(100):
            if not os.path.exists(f"{out}.part"):
                break
            await task_sleep(0.02)
        assert told and not out.exists() and not os.path.exists(f"{out}.part")
    finally:
        db.close()


def task_sleep(seconds: float):
    from twisted.internet import reactor, task
    return task.deferLater(reactor, seconds, lambda: None)


def test_the_command_line_exports_with_a_filter_and_a_sort(engine, tmp_path):
    out = tmp_path / "some.csv"
    cmd = [sys.executable, "-m", "console", "export", engine.target, engine.table("OrderLine"), str(out),
           "--where", "Quantity >10", "--sort", "UnitPrice", "--desc"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "rows to" in run.stderr and "rows/s" in run.stderr
    rows = list(csv.reader(out.open(newline="", encoding="utf-8")))
    names = rows[0]
    q, p = names.index("Quantity"), names.index("UnitPrice")
    assert rows[1:] and all(int(r[q]) > 10 for r in rows[1:])
    prices = [decimal.Decimal(r[p]) for r in rows[1:]]
    assert prices == sorted(prices, reverse=True)
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "exists" in again.stderr and "--force" in again.stderr
    bad = subprocess.run(cmd[:6] + [str(tmp_path / "x.csv"), "--where", "Nope =1"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 1 and "has no column 'Nope'" in bad.stderr and "Traceback" not in bad.stderr


@pytest_twisted.ensureDeferred
async def test_a_million_rows_exported_are_the_million_rows_of_the_table(tmp_path):
    """Row by row against the database's own reading, in the view's order."""
    from twisted.internet import reactor

    from tests.conftest import make_db
    path = make_db(tmp_path / "million.db", """
        CREATE TABLE m (id INTEGER PRIMARY KEY, label TEXT, amount NUMERIC(12, 2), at TEXT, flag BOOLEAN, raw BLOB);
        WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 1000000)
        INSERT INTO m SELECT n, CASE WHEN n % 7 = 0 THEN NULL ELSE 'row, "' || n || '"' END, (n * 37 % 100000) / 100.0,
               datetime(1700000000 + n, 'unixepoch'), n % 2, CASE WHEN n % 5 = 0 THEN x'00ff' END FROM s;""")
    db = Database(parse_target(str(path), read_only=True), reactor)
    try:
        table = await db.describe("m")
        out = tmp_path / "m.csv"
        n = await db.export(View(table, Order("amount", descending=True)), "csv", str(out))
        assert n == 1_000_000
    finally:
        db.close()
    import sqlite3
    conn = sqlite3.connect(path)
    cur = conn.execute("SELECT * FROM m ORDER BY amount DESC, id DESC")
    with open(out, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        assert next(reader) == ["id", "label", "amount", "at", "flag", "raw"]
        count = 0
        for got, row in zip(reader, cur, strict=True):
            want = [str(row[0]), row[1] or "", repr(row[2]) if isinstance(row[2], float) else str(row[2]), row[3],
                    "true" if row[4] else "false", row[5].hex() if row[5] is not None else ""]
            assert got == want, (count, got, want)
            count += 1
    assert count == 1_000_000


def test_the_command_lines_mistakes_are_one_plain_line(engine, tmp_path):
    base = [sys.executable, "-m", "console", "export", engine.target]
    for args, said in (
            ([engine.table("Nosuch"), str(tmp_path / "a.csv")], "rowdesk export: no table named "
                                                                  f"'{engine.table('Nosuch')}'\n"),
            ([engine.table("OrderLine"), str(tmp_path)],
             f"rowdesk export: {tmp_path} is a folder: name a file in it\n"),
            ([engine.table("OrderLine"), str(tmp_path / "b.csv"), "--desc"],
             "rowdesk export: --desc goes with --sort COLUMN\n"),
            ([engine.table("OrderLine"), str(tmp_path / "no" / "c.csv")],
             f"rowdesk export: {tmp_path / 'no' / 'c.csv'}: No such file or directory\n")):
        run = subprocess.run(base + args, capture_output=True, text=True, timeout=120)
        assert run.returncode != 0 and run.stderr == said, run.stderr


@pytest_twisted.ensureDeferred
async def test_a_cancelled_copy_on_postgresql_removes_its_file_and_ends_on_the_server(pg_schema, tmp_path):
    """On PostgreSQL the server writes the CSV (COPY … TO STDOUT): a cancel stops it there too."""
    from twisted.internet import defer, reactor
    uri, schema, conn = pg_schema
    conn.execute("CREATE TABLE big AS SELECT n AS id, 'value ' || n AS v FROM generate_series(1, 2000000) n")
    conn.execute("ALTER TABLE big ADD PRIMARY KEY (id)")
    db = Database(parse_target(uri, read_only=True), reactor)
    try:
        await db.tables()
        table = await db.describe(f"{schema}.big")
        out = tmp_path / "big.csv"
        d = None

        def progress(rows):
            if not d.called:
                d.cancel()
        d = db.export(View(table), "csv", str(out), progress=progress)
        with pytest.raises((Cancelled, defer.CancelledError)):
            await d
        for _ in range(250):
            if not os.path.exists(f"{out}.part") and not conn.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'COPY (%' AND pid <> pg_backend_pid() "
                    "AND state = 'active'").fetchall():
                break
            await task_sleep(0.02)
        assert not out.exists() and not os.path.exists(f"{out}.part")
        assert not conn.execute("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'COPY (%' "
                                "AND pid <> pg_backend_pid() AND state = 'active'").fetchall()
    finally:
        db.close()


@pytest_twisted.ensureDeferred
async def test_every_postgresql_type_is_written_as_the_grid_shows_it(pg_schema, tmp_path, monkeypatch):
    """The server's CSV (COPY) holds the same text as rowdesk's own writer would, for every type, with the values
    at the edges: infinity, BC dates, NaN, 24:00, tiny and huge numerics, empty arrays and ranges; dates as
    Python writes them under any DateStyle of the session (here German: 15.03.2024)."""
    from twisted.internet import reactor

    from tests.test_pg_types import create
    uri, schema, conn = pg_schema
    create(conn)
    conn.execute("CREATE TABLE tiny (id int PRIMARY KEY, n numeric, t timestamp, t0 timestamp(0), d date, "
                 "n6 numeric(30,6), n7 numeric(30,7))")
    conn.execute("INSERT INTO tiny VALUES (1, 0.0000001, '2020-01-01 00:00:00.5', '2020-01-01 00:00:00.5', "
                 "'2024-03-15', 0.000001, 0.0000001), (2, 0.00000000, '2020-01-01 00:00:00', '0044-03-15 10:00 BC', "
                 "'0044-03-15 BC', 0, 0), (3, 'NaN', 'infinity', '-infinity', 'infinity', -1.5, -0.0000012), "
                 "(4, -0.000001, '0044-03-15 10:00 BC', '10000-01-01 00:00', '10000-01-01', NULL, NULL), "
                 "(5, 123456789012345678901234567890.123456789, '2020-01-01 00:00:00.000001', '0001-01-01', "
                 "'0001-01-01', 123456789012345678901234.5, 1)")
    conn.execute("CREATE TABLE one (v text)")
    conn.execute("INSERT INTO one VALUES (''), (NULL), ('x')")
    monkeypatch.setenv("PGOPTIONS", "-c DateStyle=German")
    db = Database(parse_target(uri, read_only=True), reactor)
    try:
        await db.tables()
        for name in ("every_type", "tiny", "one"):
            table = await db.describe(f"{schema}.{name}")
            out = tmp_path / f"{name}.csv"
            await db.export(View(table), "csv", str(out))
            rows = await all_rows(db, View(table))
            with open(out, newline="", encoding="utf-8") as f:
                got = list(csv.reader(f))[1:]      # a line that is empty would be read as no row
            want = [[as_text(c, v) for c, v in zip(table.columns, row, strict=True)] for row in rows]
            assert got == want
    finally:
        db.close()


@pytest_twisted.ensureDeferred
async def test_every_mysql_type_is_written_as_the_grid_shows_it(mysql_database, tmp_path):
    """MariaDB writes each CSV line (storage.filters.mysql_export_text): the same text as rowdesk's own writer, for
    every type and its edge values (zero dates, TIME past 24 hours and below zero, BIT, FLOAT, tiny decimals,
    YEAR 0, an ENUM's ''), quoted where a value holds a quote, a comma, a CR or a LF; a table of one column whose
    value is empty still has its line."""
    from twisted.internet import reactor

    from tests.mysql_support import run
    from tests.test_mysql_schema import fill_every_type
    uri, _name, conn = mysql_database
    fill_every_type(conn, [{"id": 7, "vc": 'say "hi", bye', "tx": "cr\ronly", "latin": "a,b", "ltx": "",
                            "j": '["a,b"]', "e": "mid", "c": ""}])
    run(conn, "CREATE TABLE one (v varchar(10))")
    run(conn, "INSERT INTO one VALUES (''), (NULL), ('x'), (' ')")
    run(conn, "CREATE TABLE zf (id int PRIMARY KEY, n int(5) zerofill, d decimal(6,2) zerofill, "
              "f float(7,3) zerofill, l varchar(5) CHARACTER SET latin1 COLLATE latin1_german1_ci)")
    run(conn, "INSERT INTO zf VALUES (1, 42, 1.5, 2.25, 'ä,b'), (2, NULL, NULL, NULL, NULL), (3, 0, 0, 0, '')")
    db = Database(parse_target(uri, read_only=True), reactor)
    try:
        await db.tables()
        for name in ("every_type", "one", "zf"):
            table = await db.describe(name)
            out = tmp_path / f"{name}.csv"
            n = await db.export(View(table), "csv", str(out))
            rows = await all_rows(db, View(table))
            with open(out, newline="", encoding="utf-8") as f:
                got = list(csv.reader(f))
            want = [[as_text(c, v) for c, v in zip(table.columns, row, strict=True)] for row in rows]
            assert n == len(rows) and got[0] == table.column_names
            assert got[1:] == want
    finally:
        db.close()


# -- SQLite: a large export written by several processes (storage.backends.sqlite_export) ------------------------
MIXED = """
    CREATE TABLE mixed (id INTEGER PRIMARY KEY, label TEXT NOT NULL, amount NUMERIC, flag BOOLEAN, raw BLOB,
                        anything, at TEXT);
    WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 20000)
    INSERT INTO mixed SELECT n,
        CASE n % 4 WHEN 0 THEN 'a, "quoted" one' WHEN 1 THEN 'line' || char(10) || 'two' WHEN 2 THEN 'cr' || char(13)
                   ELSE 'plain ' || n END,
        CASE n % 3 WHEN 0 THEN 0.1 + 0.2 * n WHEN 1 THEN n ELSE 'text ' || n END,
        CASE n % 5 WHEN 0 THEN 1 WHEN 1 THEN 0 WHEN 2 THEN 1.0 WHEN 3 THEN 'maybe' ELSE x'01' END,
        CASE WHEN n % 2 = 0 THEN x'00ff10' END,
        CASE n % 4 WHEN 0 THEN x'abcd' WHEN 1 THEN 2.5e300 WHEN 2 THEN -0.0 ELSE NULL END,
        CASE WHEN n % 1000 = 0 THEN x'0102' WHEN n % 1000 = 1 THEN 'Jacob''s b"x"'
             ELSE datetime(1700000000 + n, 'unixepoch') END
    FROM s;
    CREATE VIEW mixed_view AS SELECT label, flag, at FROM mixed;
"""


def kept_crews(monkeypatch) -> list:
    """Every sqlite_export._Crew the test makes (its worker processes in .procs), in order."""
    from storage.backends import sqlite_export

    crews = []
    real_crew = sqlite_export._Crew

    def kept(parts):
        crews.append(real_crew(parts))
        return crews[-1]
    monkeypatch.setattr(sqlite_export, "_Crew", kept)
    return crews


def _crew_files(folder) -> list[str]:
    return [name for name in os.listdir(folder) if name.startswith(".rowdesk-export-")]


@pytest_twisted.ensureDeferred
async def test_a_large_sqlite_export_by_several_processes_is_the_export_of_one(tmp_path, monkeypatch):
    """Three worker processes, each a consecutive part of the view, write the same bytes as one stream: every
    storage class in a column, text to quote, REALs as repr, booleans, blobs; a sorted and filtered view too."""
    from twisted.internet import reactor

    from storage.backends import sqlite_export
    from tests.conftest import make_db
    path = make_db(tmp_path / "mixed.db", MIXED)
    db = Database(parse_target(str(path), read_only=True), reactor)
    crews = kept_crews(monkeypatch)
    try:
        table = await db.describe("mixed")
        cond = filters.parse_filter(">100", table.column("id"), db.dialect)
        for name, view in (("all", View(table)), ("sorted", View(table, Order("label", descending=True), (cond,)))):
            got = {}
            for workers in (1, 3):
                monkeypatch.setattr(sqlite_export, "workers_for", lambda rows, n=workers: n)
                out = tmp_path / f"{name}-{workers}.csv"
                n = await db.export(view, "csv", str(out))
                got[workers] = out.read_bytes()
                assert n == len(await all_rows(db, view))
            assert got[1] == got[3]
            with open(tmp_path / f"{name}-3.csv", newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f))[1:]
            read = await all_rows(db, view)
            assert rows == [[as_text(c, v) for c, v in zip(table.columns, row, strict=True)] for row in read]
        assert [len(c.procs) for c in crews] == [3, 3]      # the three-worker runs did run three processes
        # A keyless view has no one order that parts by OFFSET could share (ties may fall otherwise under a
        # LIMIT): one stream writes it.
        keyless = await db.describe("mixed_view")
        view = View(keyless)
        out = tmp_path / "keyless.csv"
        assert await db.export(view, "csv", str(out)) == 20000
        assert len(crews) == 2
        with open(out, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))[1:]
        assert sorted(rows) == sorted([as_text(c, v) for c, v in zip(keyless.columns, row, strict=True)]
                                      for row in await all_rows(db, view))
        assert _crew_files(tmp_path) == []
    finally:
        db.close()


@pytest_twisted.ensureDeferred
async def test_a_cancelled_export_by_several_processes_stops_them_and_removes_their_files(tmp_path, monkeypatch):
    from twisted.internet import defer, reactor

    from storage.backends import sqlite_export
    from tests.conftest import make_db
    path = make_db(tmp_path / "big.db", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                   "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 600000) "
                   "INSERT INTO t SELECT n, 'value ' || n FROM s;")
    monkeypatch.setattr(sqlite_export, "workers_for", lambda rows: 2)
    crews = kept_crews(monkeypatch)
    db = Database(parse_target(str(path), read_only=True), reactor)
    try:
        table = await db.describe("t")
        out = tmp_path / "t.csv"
        d = None

        def progress(rows):
            if rows > 0 and not d.called:
                d.cancel()
        d = db.export(View(table), "csv", str(out), progress=progress)
        with pytest.raises((Cancelled, defer.CancelledError)):
            await d
        for _ in range(250):
            if not os.path.exists(f"{out}.part") and not _crew_files(tmp_path):
                break
            await task_sleep(0.02)
        assert not out.exists() and not os.path.exists(f"{out}.part") and _crew_files(tmp_path) == []
        assert crews and all(p.poll() is not None for p in crews[0].procs)
    finally:
        db.close()


@pytest_twisted.ensureDeferred
async def test_a_commit_while_the_processes_start_gets_the_export_of_one_stream(tmp_path, monkeypatch):
    """The parts must come from one state of the file: a commit by another process between the count and the
    moment every worker holds its snapshot is seen (PRAGMA data_version), and one stream writes the export."""
    import sqlite3

    from twisted.internet import reactor

    from storage.backends import sqlite_export
    from tests.conftest import make_db
    path = make_db(tmp_path / "wal.db", "PRAGMA journal_mode = WAL;" + MIXED)
    monkeypatch.setattr(sqlite_export, "workers_for", lambda rows: 2)
    real_ready = sqlite_export._Crew.wait_ready

    def ready_then_commit(self, progress):
        real_ready(self, progress)
        other = sqlite3.connect(path)
        other.execute("UPDATE mixed SET label = 'changed' WHERE id = 1")
        other.commit()
        other.close()
    monkeypatch.setattr(sqlite_export._Crew, "wait_ready", ready_then_commit)
    db = Database(parse_target(str(path), read_only=True), reactor)
    try:
        table = await db.describe("mixed")
        out = tmp_path / "m.csv"
        n = await db.export(View(table), "csv", str(out))
        assert n == 20000
        with open(out, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[1][1] == "changed"             # the state after the commit, read in one stream
        assert _crew_files(tmp_path) == []
    finally:
        db.close()


@pytest_twisted.ensureDeferred
async def test_a_failing_worker_is_one_line_and_leaves_no_file(tmp_path, monkeypatch):
    from twisted.internet import reactor

    from storage.backends import sqlite_export
    from tests.conftest import make_db
    path = make_db(tmp_path / "mixed.db", MIXED)
    monkeypatch.setattr(sqlite_export, "workers_for", lambda rows: 2)
    monkeypatch.setattr(sqlite_export, "csv_values_sql",
                        lambda columns, quote: [f"{quote(c.name)} || rowdesk_no_such_function()" for c in columns])
    db = Database(parse_target(str(path), read_only=True), reactor)
    try:
        table = await db.describe("mixed")
        out = tmp_path / "m.csv"
        with pytest.raises(sqlite_export.WorkerFailed, match="^no such function: rowdesk_no_such_function$"):
            await db.export(View(table), "csv", str(out))
        assert not out.exists() and not os.path.exists(f"{out}.part") and _crew_files(tmp_path) == []
    finally:
        db.close()


@pytest_twisted.ensureDeferred
async def test_workers_that_cannot_start_leave_the_export_to_one_stream(tmp_path, monkeypatch, caplog):
    from twisted.internet import reactor

    from storage.backends import sqlite_export
    from tests.conftest import make_db
    caplog.set_level("INFO", logger="storage.backends.sqlite_export")
    path = make_db(tmp_path / "mixed.db", MIXED)
    monkeypatch.setattr(sqlite_export, "workers_for", lambda rows: 2)
    monkeypatch.setattr(sqlite_export, "WORKER", "storage.backends.no_such_worker")
    db = Database(parse_target(str(path), read_only=True), reactor)
    try:
        table = await db.describe("mixed")
        out = tmp_path / "m.csv"
        assert await db.export(View(table), "csv", str(out)) == 20000
        with open(out, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))[1:]
        assert rows == [[as_text(c, v) for c, v in zip(table.columns, row, strict=True)]
                        for row in await all_rows(db, View(table))]
        assert "written in one stream" in caplog.text and _crew_files(tmp_path) == []
    finally:
        db.close()


@pytest_twisted.ensureDeferred
async def test_a_mysql_line_longer_than_the_servers_packet_stops_the_export_in_plain_words(mysql_database, tmp_path):
    """MariaDB makes a too long result NULL (a warning only): the export stops there, saying so, not writing an
    empty field or a short line."""
    from twisted.internet import reactor

    from storage.backends.mysql import ExportTooLong
    from tests.mysql_support import run
    uri, _name, conn = mysql_database
    run(conn, "CREATE TABLE big (id int PRIMARY KEY, b longblob)")
    run(conn, "INSERT INTO big VALUES (1, 'small'), (2, REPEAT('x', 9000000)), (3, 'after')")
    db = Database(parse_target(uri, read_only=True), reactor)
    try:
        await db.tables()
        table = await db.describe("big")
        out = tmp_path / "big.csv"
        with pytest.raises(ExportTooLong, match="^row 2 of the export is longer than the server's max_allowed_packet"):
            await db.export(View(table), "csv", str(out))
        assert not out.exists() and not os.path.exists(f"{out}.part")
    finally:
        db.close()
