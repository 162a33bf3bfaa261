#!/usr/bin/env python3
"""Benchmark of following relations (the Relations issue) on a 10,000,000-row table on SQLite, PostgreSQL and
MariaDB, measured as the operator sees it.

    bench/relations.py [--engines sqlite,postgres,mysql] [--reps 3] [--quick] [--jumps 5]

Each repetition starts `rowdesk TARGET` in a pseudo-terminal of 120x40 through tuibench (the shared instrument,
called, not copied; bench/browse.py drives it), opens `orders`, goes to its `customer_id` column and to its last
row (End: a keyset read, cheap at any size), then, on rows N, N-1, …: `>` (timed until the title shows the trail
`orders N › customers` and the grid the customer the cell held), `<` on that customer (timed until the list of
the rows that refer to it shows its `orders.customer_id` line, and on until that line has its count),
Backspace (back on customers), Backspace (timed until `orders` is back on row N, the same cell, no trail), `k`.
Last, one jump by Enter on the foreign-key cell. Every count shown is checked against the database afterwards.

The tables: on SQLite the demo file `DB_DIR/orders-N.sqlite` (bench/browse.py builds it with `rowdesk demo`:
`orders.customer_id REFERENCES customers(id)`, indexed). On the servers, bench/servers.py's `orders` tables
(bench/server_tables.py builds them in `rowdesk_bench`) have no customers table and no foreign key: this script
copies one into its own namespace `rowdesk_bench_rel` (the schema of PostgreSQL's database, the database on
MariaDB), with a `customers` table, an index on `customer_id` and the foreign key, and reuses it afterwards
(this file run with `--app-python-helper build`, the app's Python, which has the drivers). Nothing else is
written. Figures, targets and how each is measured: bench/README.md. Results: a table per engine on stdout, JSON
in bench/results/relations-<engine>.json; the exit status is 1 when a target is not met.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HELPER = "--app-python-helper"        # argv[1] of the server part, run with the app's interpreter
ENV_SERVER = "ROWDESK_BENCH_SERVER"   # the server the helper connects to: in its environment, never in argv
NAMESPACE = "rowdesk_bench_rel"       # the only schema / database this script creates or writes
FK_COLUMN = "customer_id"
DEFAULT_ROWS = 10_000_000
QUICK_ROWS = 200_000
JUMP_MS = 50.0                        # > -> the referenced row, with the trail (the targets)
BACK_MS = 50.0                        # Backspace -> the big table at the same row
LIST_MS = 100.0                       # < -> the list of referencing tables shown (counts may still run)
LOCK_NAME = "rowdesk_bench_rel build"
MYSQL_BATCH = 500_000                 # rows per INSERT ... SELECT (and per transaction) on MariaDB
COUNTRIES = ("PT", "PL", "CH", "SE", "BR", "IS", "JP", "FR", "CA", "DK", "US", "KE", "ES", "DE", "EE")
VERSION = "v1"                        # in the tables' comment: a change of how they are built rebuilds them


def names(rows: int) -> tuple[str, str]:
    """The big table and its parent, as bench/server_tables.py names its tables (the 10M ones unsuffixed)."""
    suffix = "" if rows == DEFAULT_ROWS else f"_{rows}"
    return f"orders{suffix}", f"customers{suffix}"


# ================================================================================================================
# The server part: run with the app's Python (`.venv/bin/python bench/relations.py --app-python-helper ...`).
# Only the standard library is imported at the top of this file, so that both interpreters can load it.
# ================================================================================================================

def _log(text: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _lap(t0: float, what: str) -> float:
    dt = time.perf_counter() - t0
    _log(f"  {what} in {dt:.0f} s")
    return dt


def _spec(rows: int, customers: int, source: str, source_comment: str) -> str:
    """What the comment of a complete copy says: its size, the source table's own spec, how it was built."""
    return (f"rowdesk bench relations {VERSION}: {rows} rows copied from {source} "
            f"({source_comment.split('; built ')[0]}), {customers} customers")


def _complete(found: str | None, spec: str) -> bool:
    return found is not None and (found == spec or found.startswith(spec + "; built "))


def _built(spec: str, steps: dict) -> str:
    took = ", ".join(f"{k} {v:.0f} s" for k, v in steps.items())
    return f"{spec}; built {time.strftime('%Y-%m-%d %H:%M')} in {sum(steps.values()):.0f} s ({took})"


def _pg_connect(uri: str):
    import psycopg

    parts = urlsplit(uri)
    return psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=unquote(parts.username or ""),
                           password=unquote(parts.password) if parts.password else None,
                           dbname=unquote(parts.path.lstrip("/")) or "test", autocommit=True,
                           application_name="rowdesk-bench-relations")


def _mysql_connect(uri: str):
    import pymysql

    parts = urlsplit(uri)
    return pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=unquote(parts.username or "root"),
                           password=unquote(parts.password) if parts.password else "", charset="utf8mb4",
                           autocommit=True)


def build_postgres(uri: str, rows: int) -> dict:
    """rowdesk_bench_rel.customers (ids 1..C) and rowdesk_bench_rel.orders, a copy of rowdesk_bench.orders with
    its primary key, an index on customer_id and the foreign key to customers; found or built."""
    import server_tables as st

    orders, customers = names(rows)
    n_customers = st.sizes(rows)["customers"]
    source = f"{st.NAMESPACE}.{st.table_name(rows)}"
    conn = _pg_connect(uri)
    with conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (LOCK_NAME,))
        source_comment = conn.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", (source,)).fetchone()[0]
        if not source_comment:
            raise SystemExit(f"{source} is missing or incomplete (bench/server_tables.py builds it)")
        spec = _spec(rows, n_customers, source, source_comment)
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {NAMESPACE}")
        found = conn.execute("SELECT obj_description(to_regclass(%s), 'pg_class')",
                             (f"{NAMESPACE}.{orders}",)).fetchone()[0]
        steps: dict[str, float] = {}
        if not (_complete(found, spec) and _pg_has_fk(conn, orders, customers)):
            _log(f"PostgreSQL: building {NAMESPACE}.{orders} ({rows:,} rows, from {source}) and "
                 f"{NAMESPACE}.{customers} ({n_customers:,} rows)" + (f"; found {found!r}" if found else ""))
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute("SET synchronous_commit = off")
            build = f"{orders}__build"
            t = time.perf_counter()
            conn.execute(f"DROP TABLE IF EXISTS {NAMESPACE}.{orders}, {NAMESPACE}.{build}")
            conn.execute(f"DROP TABLE IF EXISTS {NAMESPACE}.{customers}")
            countries = ", ".join(f"'{c}'" for c in COUNTRIES)
            conn.execute(f"CREATE TABLE {NAMESPACE}.{customers} (id integer PRIMARY KEY, name text NOT NULL, "
                         "country char(2) NOT NULL)")
            conn.execute(f"INSERT INTO {NAMESPACE}.{customers} SELECT n, 'customer ' || n, "
                         f"(ARRAY[{countries}])[1 + n % {len(COUNTRIES)}] FROM generate_series(1, {n_customers}) n")
            conn.execute(f"VACUUM (ANALYZE) {NAMESPACE}.{customers}")
            steps["customers"] = _lap(t, "customers")
            t = time.perf_counter()
            conn.execute(f"CREATE TABLE {NAMESPACE}.{build} (LIKE {source} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            conn.execute(f"INSERT INTO {NAMESPACE}.{build} SELECT * FROM {source}")
            steps["copy"] = _lap(t, "orders copied")
            t = time.perf_counter()
            conn.execute(f"ALTER TABLE {NAMESPACE}.{build} ADD CONSTRAINT {orders}_pkey PRIMARY KEY (id)")
            conn.execute(f"CREATE INDEX {orders}_customer ON {NAMESPACE}.{build} ({FK_COLUMN})")
            steps["indexes"] = _lap(t, "primary key and the index on customer_id")
            t = time.perf_counter()
            conn.execute(f"ALTER TABLE {NAMESPACE}.{build} ADD CONSTRAINT {orders}_customer_fk FOREIGN KEY "
                         f"({FK_COLUMN}) REFERENCES {NAMESPACE}.{customers} (id)")
            steps["foreign_key"] = _lap(t, "foreign key (checked)")
            t = time.perf_counter()
            conn.execute(f"VACUUM (ANALYZE) {NAMESPACE}.{build}")
            steps["vacuum_analyze"] = _lap(t, "VACUUM ANALYZE")
            with conn.transaction():
                conn.execute(f"ALTER TABLE {NAMESPACE}.{build} RENAME TO {orders}")
                conn.execute(f"COMMENT ON TABLE {NAMESPACE}.{orders} IS '{_built(spec, steps)}'")
            found = None
        indexed = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = i.indkey[0] WHERE i.indrelid = to_regclass(%s) AND a.attname = %s)",
            (f"{NAMESPACE}.{orders}", FK_COLUMN)).fetchone()[0]
        size = conn.execute("SELECT pg_total_relation_size(%s)", (f"{NAMESPACE}.{orders}",)).fetchone()[0]
        version = conn.execute("SHOW server_version").fetchone()[0].split(" (")[0]
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (LOCK_NAME,))
    return {"server": f"PostgreSQL {version}", "orders": f"{NAMESPACE}.{orders}",
            "customers": f"{NAMESPACE}.{customers}", "rows": rows, "customers_rows": n_customers, "source": source,
            "cached": found is not None, "comment": found, "steps_s": steps, "seconds": sum(steps.values()),
            "bytes": size, "fk_indexed": bool(indexed)}


def _pg_has_fk(conn, orders: str, customers: str) -> bool:
    return conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = to_regclass(%s) "
                        "AND confrelid = to_regclass(%s)",
                        (f"{NAMESPACE}.{orders}", f"{NAMESPACE}.{customers}")).fetchone()[0] == 1


def build_mysql(uri: str, rows: int) -> dict:
    """The same on MariaDB: rowdesk_bench_rel.customers and rowdesk_bench_rel.orders (a copy of
    rowdesk_bench.orders, in batches), the index on customer_id and the foreign key added after the load."""
    import server_tables as st

    orders, customers = names(rows)
    n_customers = st.sizes(rows)["customers"]
    source = f"{st.NAMESPACE}.{st.table_name(rows)}"
    conn = _mysql_connect(uri)
    try:
        cur = conn.cursor()
        cur.execute("SELECT GET_LOCK(%s, 7200)", (LOCK_NAME,))

        def comment(schema: str, table: str) -> str | None:
            cur.execute("SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                        "AND TABLE_NAME = %s", (schema, table))
            return (cur.fetchone() or [None])[0]

        source_comment = comment(st.NAMESPACE, st.table_name(rows))
        if not source_comment:
            raise SystemExit(f"{source} is missing or incomplete (bench/server_tables.py builds it)")
        spec = _spec(rows, n_customers, source, source_comment)
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {NAMESPACE} CHARACTER SET utf8mb4")
        cur.execute(f"USE {NAMESPACE}")             # the SEQUENCE engine's seq_1_to_N live in the current database
        found = comment(NAMESPACE, orders)
        cur.execute("SELECT count(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = %s "
                    "AND TABLE_NAME = %s AND REFERENCED_TABLE_NAME = %s", (NAMESPACE, orders, customers))
        has_fk = cur.fetchone()[0] == 1
        steps: dict[str, float] = {}
        if not (_complete(found, spec) and has_fk):
            _log(f"MariaDB: building {NAMESPACE}.{orders} ({rows:,} rows, from {source}) and "
                 f"{NAMESPACE}.{customers} ({n_customers:,} rows)" + (f"; found {found!r}" if found else ""))
            build = f"{orders}__build"
            t = time.perf_counter()
            cur.execute("SET SESSION foreign_key_checks = 0")      # the drops in any order; the FK added in place
            cur.execute(f"DROP TABLE IF EXISTS {NAMESPACE}.{orders}, {NAMESPACE}.{build}, {NAMESPACE}.{customers}")
            countries = ", ".join(f"'{c}'" for c in COUNTRIES)
            cur.execute(f"CREATE TABLE {NAMESPACE}.{customers} (id INT NOT NULL PRIMARY KEY, name VARCHAR(40) "
                        "NOT NULL, country CHAR(2) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
            cur.execute(f"INSERT INTO {NAMESPACE}.{customers} SELECT seq, CONCAT('customer ', seq), "
                        f"ELT(1 + seq % {len(COUNTRIES)}, {countries}) FROM seq_1_to_{n_customers}")
            steps["customers"] = _lap(t, "customers")
            t = time.perf_counter()
            cur.execute(f"CREATE TABLE {NAMESPACE}.{build} LIKE {source}")
            cur.execute("SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s "
                        "AND TABLE_NAME = %s AND INDEX_NAME <> 'PRIMARY'", (NAMESPACE, build))
            secondary = [r[0] for r in cur.fetchall()]
            if secondary:             # not kept up row by row during the load (and not needed here)
                cur.execute(f"ALTER TABLE {NAMESPACE}.{build} " + ", ".join(f"DROP INDEX `{i}`" for i in secondary))
            for lo in range(1, rows + 1, MYSQL_BATCH):               # autocommit: one transaction per batch
                hi = min(rows, lo + MYSQL_BATCH - 1)
                cur.execute(f"INSERT INTO {NAMESPACE}.{build} SELECT * FROM {source} WHERE id BETWEEN {lo} AND {hi}")
                if hi < rows and (hi // MYSQL_BATCH) % 4 == 0:
                    _log(f"  {hi:,} rows")
            steps["copy"] = _lap(t, "orders copied")
            t = time.perf_counter()
            cur.execute(f"ALTER TABLE {NAMESPACE}.{build} ADD INDEX {orders}_customer ({FK_COLUMN}), "
                        f"ADD CONSTRAINT {orders}_customer_fk FOREIGN KEY ({FK_COLUMN}) "
                        f"REFERENCES {NAMESPACE}.{customers} (id)")
            cur.execute("SET SESSION foreign_key_checks = 1")
            steps["index_and_foreign_key"] = _lap(t, "index on customer_id and foreign key")
            t = time.perf_counter()
            cur.execute(f"ANALYZE TABLE {NAMESPACE}.{build}, {NAMESPACE}.{customers}")
            cur.fetchall()
            steps["analyze"] = _lap(t, "ANALYZE TABLE")
            cur.execute(f"ALTER TABLE {NAMESPACE}.{build} COMMENT = '{_built(spec, steps)}'")
            cur.execute(f"RENAME TABLE {NAMESPACE}.{build} TO {NAMESPACE}.{orders}")
            found = None
        cur.execute("SELECT count(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s "
                    "AND COLUMN_NAME = %s AND SEQ_IN_INDEX = 1", (NAMESPACE, orders, FK_COLUMN))
        indexed = cur.fetchone()[0] > 0
        cur.execute("SELECT DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                    "AND TABLE_NAME = %s", (NAMESPACE, orders))
        size = int(cur.fetchone()[0])
        cur.execute("SELECT VERSION()")
        version = cur.fetchone()[0]
        cur.execute("SELECT RELEASE_LOCK(%s)", (LOCK_NAME,))
    finally:
        conn.close()
    return {"server": ("MariaDB " if "MariaDB" in version else "MySQL ") + version.split("-")[0],
            "orders": f"{NAMESPACE}.{orders}", "customers": f"{NAMESPACE}.{customers}", "rows": rows,
            "customers_rows": n_customers, "source": source, "cached": found is not None, "comment": found,
            "steps_s": steps, "seconds": sum(steps.values()), "bytes": size, "fk_indexed": indexed}


def count_on_server(uri: str, rows: int, ids: list[int]) -> dict:
    """How many rows of the copy refer to each customer (what the list must show), read with the driver."""
    orders, _ = names(rows)
    if urlsplit(uri).scheme in ("postgres", "postgresql"):
        conn = _pg_connect(uri)
        with conn:
            return {str(i): conn.execute(f"SELECT count(*) FROM {NAMESPACE}.{orders} WHERE {FK_COLUMN} = %s",
                                         (i,)).fetchone()[0] for i in ids}
    conn = _mysql_connect(uri)
    try:
        cur = conn.cursor()
        out = {}
        for i in ids:
            cur.execute(f"SELECT count(*) FROM {NAMESPACE}.{orders} WHERE {FK_COLUMN} = %s", (i,))
            out[str(i)] = cur.fetchone()[0]
        return out
    finally:
        conn.close()


def helper_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="relations.py " + HELPER)
    p.add_argument("action", choices=("build", "count"))
    p.add_argument("rows", type=int)
    args = p.parse_args(argv)
    sys.path.insert(0, str(HERE))
    uri = os.environ[ENV_SERVER]
    postgres = urlsplit(uri).scheme in ("postgres", "postgresql")
    if args.action == "build":
        out = (build_postgres if postgres else build_mysql)(uri, args.rows)
    else:
        out = {"counts": count_on_server(uri, args.rows, json.loads(sys.stdin.read()))}
    print(json.dumps(out, default=str), flush=True)


# ================================================================================================================
# The benchmark: run with tuibench's Python (bench/env.py re-runs this script with it)
# ================================================================================================================

@dataclass
class Engine:
    key: str               # sqlite, postgres, mysql
    name: str              # as printed: "SQLite 3.40.1", "PostgreSQL 15.20"
    target: str            # what rowdesk is given
    shown: str             # the target as printed (no password)
    orders: str            # the big table, as the Tables list and the status line name it
    customers: str         # the table its foreign key refers to
    rows: int
    fk_indexed: bool
    server_uri: str | None = None    # the helper's connection (servers only)
    built: dict | None = None


def figures(rows: int, engine: Engine):
    from browse import Figure

    n = f"{rows:,}"
    indexed = "indexed" if engine.fk_indexed else "NOT indexed"
    figs = [
        Figure("jump", f"> on {FK_COLUMN} (last rows of {n}) → customer shown, trail in the title", "ms", JUMP_MS),
        Figure("back", f"Backspace → {engine.orders} on the same row", "ms", BACK_MS),
        Figure("list", "< on the customer → referred-to-by list shown", "ms", LIST_MS),
        # informational
        Figure("counted", f"(info) < → its count shown ({engine.orders}.{FK_COLUMN} {indexed})", "ms", None),
        Figure("jump_first", "(info) first > of each process", "ms", None),
        Figure("jump_enter", "(info) Enter on the foreign-key cell → customer shown", "ms", None),
        Figure("back_list", "(info) Backspace from the list → customers", "ms", None),
        Figure("open", f"(info) Enter on {engine.orders} → first rows", "ms", None),
        Figure("end", "(info) End → last rows", "ms", None),
        Figure("neighbours", "(info) CPU of other processes during the rep (% of 1 core)", "%", None),
        Figure("server_cpu", "(info) CPU of the database server during the rep (% of 1 core; all its clients)",
               "%", None),
    ]
    if engine.key == "sqlite":
        figs.pop()
    return {f.key: f for f in figs}


def measure_two(app, name: str, keys: str, first: str, then: str, timeout: float = 30.0) -> tuple[float, float]:
    """Seconds from the keys to the first screen matching *first*, and to the first one matching *then* (both
    watched from the same keypress: the list shown, then its count landed, which may be the same screen)."""
    from browse import StepFailed
    from tuibench import encode_keys

    term = app.s.term
    t_send, (w_first, w_then) = term.send_watched(encode_keys(keys, term.app_cursor_keys()),
                                                  [(first, False), (then, False)])
    ok = term.await_watch(w_first, timeout) and term.await_watch(w_then, timeout)
    step = {"name": name, "op": "measure_two", "keys": keys, "until": first, "then": then, "ok": ok}
    if w_first.t is not None:
        step["latency"] = w_first.t - t_send
    if w_then.t is not None:
        step["latency_then"] = w_then.t - t_send
    fb = term.first_chunk_after(t_send)
    if fb is not None:
        step["first_byte"] = fb - t_send
    if not ok:
        step.update(error=f"`{first}` then `{then}` not seen within {timeout}s", screen=term.lines())
    app.s.steps.append(step)
    if not ok:
        raise StepFailed(step)
    return step["latency"], step["latency_then"]


def scenario(engine: Engine, rep: int, args) -> dict:
    import browse
    from browse import StepFailed

    out: dict = {"scenario": "relations", "rep": rep, "table": engine.orders, "rows": engine.rows, "jumps": []}
    rows = engine.rows
    with browse.App(engine.target, engine.orders) as app:
        t, parent = app.t, re.escape(engine.customers)

        def quiet():
            if app.busy():
                app.wait_quiet("quiet", hold=0.1)

        def status_row(r: int) -> str:
            return rf"^{t} · (?:[^\n]* · )?row {r:,} of"

        def customer_of(r: int) -> int:
            """The customer_id the grid shows in row r (its id first; ids are the row numbers of the key order)."""
            for line in app.s.term.lines():
                m = re.match(rf" *{r}│ *(\d+)│", line)
                if m:
                    return int(m.group(1))
            raise StepFailed({"name": f"row {r}", "error": f"row {r} with its {FK_COLUMN} is not on the screen",
                              "screen": app.s.term.lines()})

        def jumped(r: int, cid: int) -> str:
            # The title's trail `orders r › customers`, the customer's row in the grid, the customers status line.
            return (rf"\A[^\n]*{t} {r} › {parent}(?![\w.]| \d)[^\n]*$(?s:.*)^ *{cid}│(?s:.*)"
                    rf"^{parent} · (?:[^\n]* · )?row ")

        def back_on(r: int, cid: int) -> str:
            # No trail in the title, row r with its customer_id in the grid, the status line on row r.
            return rf"\A(?![^\n]*›)[^\n]*$(?s:.*)^ *{r}│ *{cid}│(?s:.*){status_row(r)}"

        label = rf"^  {t}\.{FK_COLUMN} +"
        listed = rf"{label}(?:counting…|[\d,]+ rows?)(?s:.*)^referred to by · "
        counted = rf"{label}(?P<count>[\d,]+) rows?\b"

        try:
            app.wait("tables listed", app.listed, timeout=60)
            app.wait_quiet("tables counted")
            app.cursor_to_table()
            app.must(app.s.calm("cursor moved", quiet=0.3))
            out["open"] = app.measure("open", "<Enter>", rf"^{t} · row 1 of", timeout=60)
            app.wait_quiet("browse count")
            header = [c.strip() for c in app.s.term.lines()[1].split("│")]
            if FK_COLUMN not in header:
                raise StepFailed({"name": "header", "error": f"no column {FK_COLUMN} in {header}",
                                  "screen": app.s.term.lines()})
            app.go_to_col(header.index(FK_COLUMN) + 1)
            out["end"] = app.measure("End", "<End>", rf"^{t} · (?:[^\n]* · )?row (?:\?|{rows:,}) of", timeout=60)
            app.wait_quiet("after End")
            if browse.current_row(app) != rows:
                raise StepFailed({"name": "End", "error": f"status after End: {app.status()!r}",
                                  "screen": app.s.term.lines()})
            r = rows
            for j in range(args.jumps + 1):
                enter = j == args.jumps                     # the last one: Enter on the cell instead of >
                quiet()
                cid = customer_of(r)
                jump = {"row": r, "customer": cid, "key": "Enter" if enter else ">"}
                jump["jump"] = app.measure(f"{jump['key']} on row {r}", "<Enter>" if enter else ">", jumped(r, cid),
                                           timeout=30)
                out["jumps"].append(jump)
                app.wait_quiet("customers count")
                if not enter:
                    jump["list"], jump["counted"] = measure_two(app, f"< on customer {cid}", "<lt>", listed, counted)
                    m = re.search(counted, app.text(), re.MULTILINE)
                    jump["count"] = int(m.group("count").replace(",", ""))
                    quiet()
                    jump["back_list"] = app.measure("Backspace from the list", "<Backspace>", jumped(r, cid))
                    quiet()
                jump["back"] = app.measure(f"Backspace to row {r}", "<Backspace>", back_on(r, cid), timeout=30)
                time.sleep(args.gap)
                if j < args.jumps:
                    quiet()
                    r -= 1
                    app.keys("k", "k")
                    app.wait(f"row {r}", status_row(r), timeout=15)
                    time.sleep(args.gap)
            out["ok"] = True
        except StepFailed as e:
            out.update(ok=False, error=str(e), screen=e.step.get("screen") or app.s.term.lines())
        out["resources"] = app.close()
        out["steps"] = app.s.steps
    return out


def helper(engine: Engine, action: str, payload=None, timeout: float = 3600) -> dict:
    from env import project_python

    p = subprocess.run([project_python(), str(Path(__file__).resolve()), HELPER, action, str(engine.rows)],
                       input=json.dumps(payload) if payload is not None else "", stdout=subprocess.PIPE, text=True,
                       env={**os.environ, ENV_SERVER: engine.server_uri}, cwd=str(REPO), timeout=timeout)
    if p.returncode:
        raise SystemExit(f"bench: relations.py {HELPER} {action} failed on {engine.shown} (its output is above)")
    return json.loads(p.stdout.strip().splitlines()[-1])


def expected_counts(engine: Engine, ids: list[int]) -> dict[str, int]:
    """How many rows of the big table refer to each customer, read from the database itself."""
    if engine.key != "sqlite":
        return helper(engine, "count", sorted(set(ids)))["counts"]
    conn = sqlite3.connect(f"file:{engine.target}?mode=ro", uri=True)
    try:
        return {str(i): conn.execute(f'SELECT count(*) FROM "{engine.orders}" WHERE "{FK_COLUMN}" = ?',
                                     (i,)).fetchone()[0] for i in set(ids)}
    finally:
        conn.close()


def sqlite_fk(path: Path, orders: str, customers: str) -> bool:
    """Is `orders.customer_id` a foreign key to customers in the demo file, and is it indexed (first column of an
    index)? Exits when there is no such foreign key."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        fks = conn.execute(f'PRAGMA foreign_key_list("{orders}")').fetchall()
        if not any(fk[2] == customers and fk[3] == FK_COLUMN for fk in fks):
            raise SystemExit(f"bench: {path}: {orders}.{FK_COLUMN} is no foreign key to {customers}")
        return any(conn.execute(f'PRAGMA index_info("{ix[1]}")').fetchone()[2] == FK_COLUMN
                   for ix in conn.execute(f'PRAGMA index_list("{orders}")').fetchall())
    finally:
        conn.close()


def server_target(server, key: str) -> str:
    """What rowdesk is given: this script's schema (PostgreSQL) or database (MariaDB) on the server."""
    parts = urlsplit(server.uri)
    if key == "postgres":
        return urlunsplit((parts.scheme, parts.netloc, parts.path or "/test", f"schema={NAMESPACE}", ""))
    return urlunsplit((parts.scheme, parts.netloc, f"/{NAMESPACE}", "", ""))


def describe_build(b: dict) -> str:
    size = f"{b['rows']:,} rows and {b['customers']} ({b['customers_rows']:,} rows), {b['bytes'] / 2**20:,.0f} MB"
    if not b["cached"]:
        steps = ", ".join(f"{k} {v:.0f} s" for k, v in b["steps_s"].items())
        return f"{b['orders']}: {size}, copied from {b['source']} now in {b['seconds']:.0f} s ({steps})"
    m = re.search(r"; built (.*)$", b["comment"] or "")
    return f"{b['orders']}: {size}, cached" + (f" (built {m.group(1)})" if m else "")


def make_engines(args) -> list[Engine]:
    import browse
    import servers

    chosen, found = servers.chosen_engines(args)
    engines = []
    orders, customers = "orders", "customers"
    for key in chosen:
        if key == "sqlite":
            db = browse.ensure_db(args.db_dir, args.rows)
            engines.append(Engine("sqlite", f"SQLite {sqlite3.sqlite_version}", str(db), str(db), orders, customers,
                                  args.rows, sqlite_fk(db, orders, customers)))
            continue
        server = found[key]
        source = servers.ensure_tables(server, [args.rows])[0]          # bench/servers.py's orders, the source
        print(f"   {servers.describe_build(source)}", flush=True)
        target = server_target(server, key)
        engine = Engine(key, source["server"], target, servers.shown(target), "", "", args.rows, False,
                        server_uri=server.uri)
        engine.built = b = helper(engine, "build")
        print(f"   {describe_build(b)}", flush=True)
        # As the Tables list and the status line name them: schema.table on PostgreSQL.
        strip = "" if key == "postgres" else f"{NAMESPACE}."
        engine.orders, engine.customers = b["orders"].removeprefix(strip), b["customers"].removeprefix(strip)
        engine.name, engine.fk_indexed = b["server"], b["fk_indexed"]
        engines.append(engine)
    return engines


def collect(figs: dict, ui: dict) -> None:
    ms = 1000.0
    for key in ("open", "end"):
        if ui.get(key) is not None:
            figs[key].add(ui[key] * ms)
    for i, j in enumerate(ui.get("jumps", [])):
        if i == 0:
            figs["jump_first"].add(j["jump"] * ms)
        figs["jump_enter" if j["key"] == "Enter" else "jump"].add(j["jump"] * ms)
        for key in ("list", "counted", "back_list", "back"):
            if j.get(key) is not None:
                figs[key].add(j[key] * ms)


def bench_engine(engine: Engine, args) -> tuple[dict, dict]:
    import browse
    import servers

    figs = figures(engine.rows, engine)
    print(f"\n== {engine.name}: rowdesk '{engine.shown}', {engine.orders} ({engine.rows:,} rows) → "
          f"{engine.customers}; {engine.orders}.{FK_COLUMN} {'indexed' if engine.fk_indexed else 'NOT indexed'}",
          flush=True)
    runs, problems, checked = [], [], [0, 0]
    watch = servers.ServerCPU() if engine.key != "sqlite" else browse.NeighbourCPU()
    watch.start()
    try:
        for rep in range(1, args.reps + 1):
            rep_t0, (rep_cpu0, _) = time.perf_counter(), watch.snapshot()
            server_cpu0 = watch.server_seconds() if engine.key != "sqlite" else 0.0
            print(f"rep {rep}/{args.reps}: {args.jumps} × (> < Backspace Backspace k), Enter…", end="", flush=True)
            ui = scenario(engine, rep, args)
            shown = [j for j in ui.get("jumps", []) if "count" in j]
            if shown:
                expected = expected_counts(engine, [j["customer"] for j in shown])
                wrong = [f"customer {j['customer']}: {j['count']:,} shown, {expected[str(j['customer'])]:,} in the "
                         "database" for j in shown if expected[str(j["customer"])] != j["count"]]
                checked[0] += len(shown) - len(wrong)
                checked[1] += len(shown)
                problems += [f"rep {rep}: {w}" for w in wrong]
            print(" done", flush=True)
            browse.report_failures(ui)
            if not ui.get("ok"):
                problems.append(f"rep {rep}: {ui.get('error')}")
            collect(figs, ui)
            browse.neighbours_during(watch, figs, rep_t0, rep_cpu0)
            if engine.key != "sqlite":
                figs["server_cpu"].add(100.0 * (watch.server_seconds() - server_cpu0) / (time.perf_counter() - rep_t0))
            runs.append({"rep": rep, "ui": ui})
    finally:
        watch.stop()
    counts = [j["count"] for r in runs for j in r["ui"].get("jumps", []) if "count" in j]
    return figs, {"runs": runs, "problems": problems, "checked": checked, "counts": counts}


def bench_main(argv=None) -> int:
    sys.path.insert(0, str(HERE))
    import browse  # noqa: F401  (re-runs this script under tuibench's Python when needed)
    import servers

    p = argparse.ArgumentParser(description="Benchmark following foreign keys both ways in rowdesk on SQLite, "
                                            "PostgreSQL and MariaDB (see bench/README.md).")
    p.add_argument("--engines", default="sqlite,postgres,mysql", help="which engines, in order")
    p.add_argument("--rows", type=int, default=None, help=f"rows of orders (default {DEFAULT_ROWS:,})")
    p.add_argument("--reps", type=int, default=3, help="fresh-process repetitions (default 3)")
    p.add_argument("--quick", action="store_true", help=f"smoke check: {QUICK_ROWS:,} rows")
    p.add_argument("--jumps", type=int, default=5,
                   help="> < Backspace Backspace rounds per rep, on the last rows going up (default 5); then one "
                        "jump by Enter")
    p.add_argument("--gap", type=float, default=0.1, help="pause after each round and move (s)")
    p.add_argument("--db-dir", type=Path, default=Path("/tmp/rowdesk-bench"), help="cache of SQLite demo databases")
    servers.add_server_arguments(p, "the bench works in")
    p.add_argument("--out-dir", type=Path, default=HERE / "results", help="where relations-<engine>.json go")
    args = p.parse_args(argv)
    args.rows = args.rows or (QUICK_ROWS if args.quick else DEFAULT_ROWS)
    if args.jumps < 1 or args.reps < 1:
        p.error("--jumps and --reps take a number above 0")

    started_all = time.time()
    code_before = browse.source_fingerprint()
    print(f"rowdesk relations benchmark: {args.rows:,} rows, {args.reps} rep(s), {args.jumps} jumps each way per "
          f"rep; terminal {browse.COLS}x{browse.ROWS}; app source {code_before['sha256']} (newest change "
          f"{code_before['newest_change']} {code_before['newest_file']})", flush=True)
    failed_all = []
    for engine in make_engines(args):
        started = time.time()
        figs, result = bench_engine(engine, args)
        failed, unmeasured = servers.failures(figs)
        print()
        print(f"{engine.name}, {engine.rows:,} rows ({engine.orders} → {engine.customers}), {args.reps} rep(s), "
              f"terminal {browse.COLS}x{browse.ROWS}")
        print(browse.table(figs))
        for label, n in [(f.label, n) for f in figs.values() for n in dict.fromkeys(f.notes)]:
            print(f"note: {label}: {n}")
        counts = result["counts"]
        print(f"checks: the count shown matched the database for {result['checked'][0]}/{result['checked'][1]} "
              f"customers" + (f" ({min(counts):,} … {max(counts):,} referring rows each)" if counts else ""))
        for problem in result["problems"]:
            print(f"!! {problem}")
        if result["problems"]:                 # a scenario that failed, a count unlike the database's
            failed.append(f"{len(result['problems'])} problem(s) (above)")
        print(f"{engine.name}: {len(failed)} target(s) not met" + (": " + "; ".join(failed) if failed else ""))
        if unmeasured:
            print(f"{engine.name}: {len(unmeasured)} target(s) not measured (see notes): " + "; ".join(unmeasured))
        failed_all += [f"{engine.name}: {label}" for label in failed]
        meta = {"engine": engine.name, "target": engine.shown, "orders": engine.orders, "customers": engine.customers,
                "rows": engine.rows, "fk_indexed": engine.fk_indexed, "built": engine.built, "reps": args.reps,
                "jumps": args.jumps, "terminal": [browse.COLS, browse.ROWS], "source_before": code_before,
                "source_after": browse.source_fingerprint(), "problems": result["problems"],
                "checked": result["checked"],
                **servers.run_meta(started, args)}
        browse.write_results(args.out_dir / f"relations-{engine.key}.json", meta, figs, result["runs"])
    return servers.finish(code_before, failed_all, started_all)


if __name__ == "__main__":
    if sys.argv[1:2] == [HELPER]:
        helper_main(sys.argv[2:])
    else:
        sys.path.insert(0, str(HERE))
        import browse

        browse.run(bench_main)
