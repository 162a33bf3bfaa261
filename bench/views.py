#!/usr/bin/env python3
"""Benchmark of paging a big view, measured from outside as the operator sees it.

    bench/views.py [--rows 1000000] [--reps 3] [--db-dir /tmp/rowdesk-bench] [--quick] [--source DIR]

Runs `rowdesk DB` in a pseudo-terminal of 120x40 through tuibench, like bench/browse.py (whose driver, figures
and report it imports), on a view of a table of N rows with duplicated rows, NULLs and a column that holds
integers and text. Every repetition starts fresh processes: one pages the view sorted by a column that no
index serves (PgDn, End, PgUp), one pages it unsorted; a third process measures what one scan of the view
costs, the yardstick of the targets. The figures, their targets and how each one is measured are in
bench/README.md. Results: a table on stdout, JSON in bench/results/views.json.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


sys.path.insert(0, str(HERE))
import browse  # noqa: E402  (re-runs this script under tuibench's Python when needed)
from browse import PAGE, App, Figure, NeighbourCPU, StepFailed, table  # noqa: E402
from env import project_python  # noqa: E402

VIEW = "order_view"
SORT_COL, SORT_INDEX = "price", 5       # column 5 of 6 in the view: REAL, NULL in 1 row of 23, not indexed
DEFAULT_ROWS = 1_000_000
QUICK_ROWS = 100_000
TABLE_LISTED = rf"^{VIEW}\s*│view"

# One row in ten repeats the one before it (identical in every column of the view); region and price have
# NULLs, status has NULLs, qty is INTEGER but holds 'n/a' in one row of 101.
BUILD_SQL = """
CREATE TABLE raw_orders (
    id INTEGER PRIMARY KEY, region TEXT, status TEXT, day DATE, qty INTEGER, price REAL, note TEXT);
WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < {rows}),
h(i, x) AS (SELECT i, ((i - (i % 10 = 0)) * 2654435761) % 4294967291 FROM r)
INSERT INTO raw_orders
SELECT i,
  CASE WHEN x % 17 = 0 THEN NULL ELSE 'region ' || (x % 12) END,
  CASE x % 7 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' WHEN 2 THEN 'shipped' WHEN 3 THEN 'delivered'
             WHEN 4 THEN 'cancelled' WHEN 5 THEN 'returned' ELSE NULL END,
  date('2020-01-01', '+' || (x % 1500) || ' days'),
  CASE WHEN x % 101 = 0 THEN 'n/a' ELSE 1 + x % 50 END,
  CASE WHEN x % 23 = 0 THEN NULL ELSE (x % 100000) / 100.0 END,
  CASE WHEN x % 5 = 0 THEN 'gift wrap' ELSE NULL END
FROM h;
CREATE VIEW order_view AS SELECT region, status, day, qty, price, note FROM raw_orders;
ANALYZE;
"""
VIEW_COLUMNS = ("region", "status", "day", "qty", "price", "note")
# What one scan of the view costs: every value of every row read once, in SQLite.
SCAN_SQL = f"SELECT {', '.join(f'max({c})' for c in VIEW_COLUMNS)} FROM {VIEW}"
SCAN_PROGRAM = """
import sqlite3, sys, time
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
t0 = time.perf_counter(); conn.execute(sys.argv[2]).fetchall(); scan = time.perf_counter() - t0
t0 = time.perf_counter(); conn.execute(f"SELECT count(*) FROM {sys.argv[3]}").fetchall()
print(scan, time.perf_counter() - t0)
"""


def ensure_db(db_dir: Path, rows: int) -> Path:
    """The cached database with *rows* rows under the view, built when missing (1M rows: ~5 s, 50 MB)."""
    db_dir.mkdir(parents=True, exist_ok=True)
    path = db_dir / f"views-{rows}.sqlite"
    if path.exists():
        found = browse.max_id(path, "raw_orders")
        if found == rows:
            return path
        raise SystemExit(f"{path} has {found} rows, expected {rows}: remove it and run again")
    part = path.with_name(path.name + f".part{os.getpid()}")
    print(f"building {path} ({rows:,} rows)…", file=sys.stderr, flush=True)
    conn = sqlite3.connect(part)
    try:
        conn.executescript(BUILD_SQL.format(rows=int(rows)))
        conn.commit()
    finally:
        conn.close()
    part.replace(path)
    return path


def make_figures(rows: int) -> dict[str, Figure]:
    n = f"{rows:,}"
    # Targets "within one scan" (0 here) are set once the scan has been measured (see main).
    figs = [
        Figure("scan", f"one scan of the {n}-row view (max of every column), fresh process", "ms", None),
        Figure("sorted_end", f"End → last rows, view sorted by {SORT_COL}", "ms", 0),
        Figure("sorted_pgup", "PgUp → page above, sorted (every press, all reps)", "ms", 0, judge="max"),
        Figure("sorted_pgdn", "PgDn → next page, sorted (every press, all reps)", "ms", 0, judge="max"),
        Figure("unsorted_end", "End → last rows, unsorted view", "ms", 0),
        Figure("unsorted_pgup", "PgUp → page above, unsorted (every press, all reps)", "ms", 0, judge="max"),
        Figure("unsorted_pgdn", "PgDn → next page, unsorted (every press, all reps)", "ms", 0, judge="max"),
        Figure("count", "(info) count(*) of the view, fresh process", "ms", None),
        Figure("open", "(info) Enter on the view → first rows (unsorted)", "ms", None),
        Figure("sort_first", f"(info) s on {SORT_COL} → first page, sorted", "ms", None),
        Figure("sorted_pgup_median", "(info) PgUp median, sorted", "ms", None),
        Figure("unsorted_pgdn_median", "(info) PgDn median, unsorted: what any key costs", "ms", None),
        Figure("home", "(info) Home after the PgUps → first rows, sorted", "ms", None),
        Figure("neighbours", "(info) CPU of other processes during the rep (% of 1 core)", "%", None),
    ]
    return {f.key: f for f in figs}


class ViewApp(App):
    """browse.App on the view (its own `go_to_col` waits for a status line that names `orders`)."""

    def go_to_col(self, col: int) -> None:
        cur = self.col()
        if cur != col:
            self.keys(f"to col {col}", ("l" if col > cur else "h") * abs(col - cur))
            self.wait(f"col {col}", rf"^{VIEW} · .*col {col}/")

    def row(self) -> int | None:
        return browse.current_row(self)


def open_view(app: ViewApp) -> float:
    app.wait("tables listed", TABLE_LISTED)
    app.wait_quiet("tables counted")
    # The view is the first entry of the Tables list (order_view < raw_orders): the cursor is on it.
    took = app.measure("open view", "<Enter>", rf"^{VIEW} · .*row 1 of")
    app.wait_quiet("view counted")              # the exact count runs the view: let it end
    return took


def page_keys(app: ViewApp, key: str, presses: int, rows: int, gap: float) -> list[float]:
    """*presses* of PgDn or PgUp, each timed until the status line shows the row one screen further."""
    out = []
    cur = app.row() or 1
    for i in range(presses):
        expected = min(cur + PAGE, rows) if key == "<PageDown>" else max(cur - PAGE, 1)
        out.append(app.measure(f"{key} {i + 1}", key, rf"^{VIEW} · .*row {expected:,} of", timeout=120))
        cur = expected
        time.sleep(gap)
    return out


def scenario(db: Path, rows: int, args, sort: bool) -> dict:
    out: dict = {"scenario": "sorted" if sort else "unsorted", "rows": rows}
    with ViewApp(db) as app:
        try:
            out["open"] = open_view(app)
            if sort:
                app.go_to_col(SORT_INDEX)
                out["sort_first"] = app.measure(f"sort {SORT_COL}", "s", rf"^{VIEW} · .*sort {SORT_COL} ▲ · row 1 of",
                                                timeout=120)
                app.wait_quiet("after sort")
            out["pgdn"] = page_keys(app, "<PageDown>", args.presses, rows, args.gap)
            app.wait_quiet("after PgDn")
            out["end"] = app.measure("End", "<End>", rf"^{VIEW} · .*row (?:\?|{rows:,}) of", timeout=120)
            app.wait_quiet("after End")
            out["pgup"] = page_keys(app, "<PageUp>", args.presses, rows, args.gap)
            app.wait_quiet("after PgUp")
            if sort:
                out["home"] = app.measure("Home", "g", rf"^{VIEW} · .*row 1 of", timeout=120)
            out["ok"] = True
        except StepFailed as e:
            out.update(ok=False, error=str(e), screen=e.step.get("screen") or app.s.term.lines())
        out["resources"] = app.close()
        out["steps"] = app.s.steps
    return out


def measure_scan(db: Path) -> tuple[float, float]:
    """(scan, count) in seconds, in a fresh process of the app's own Python (its SQLite)."""
    p = subprocess.run([project_python(), "-c", SCAN_PROGRAM, str(db), SCAN_SQL, VIEW], capture_output=True,
                       text=True, check=True, timeout=600)
    scan, count = (float(x) for x in p.stdout.split())
    return scan, count


def collect(figs: dict[str, Figure], sorted_run: dict, unsorted_run: dict, scan: float, count: float) -> None:
    ms = 1000.0
    figs["scan"].add(scan * ms)
    figs["count"].add(count * ms)
    for prefix, run in (("sorted", sorted_run), ("unsorted", unsorted_run)):
        if run.get("end") is not None:
            figs[f"{prefix}_end"].add(run["end"] * ms)
        for v in run.get("pgup", []):
            figs[f"{prefix}_pgup"].add(v * ms)
        for v in run.get("pgdn", []):
            figs[f"{prefix}_pgdn"].add(v * ms)
    for key, run, src in (("open", unsorted_run, "open"), ("sort_first", sorted_run, "sort_first"),
                          ("home", sorted_run, "home")):
        if run.get(src) is not None:
            figs[key].add(run[src] * ms)
    for v in sorted_run.get("pgup", []):
        figs["sorted_pgup_median"].add(v * ms)
    for v in unsorted_run.get("pgdn", []):
        figs["unsorted_pgdn_median"].add(v * ms)


def source_of(path: Path) -> str:
    """Which paging code ran: the hash of storage/paging.py in the measured source."""
    return hashlib.sha256((path / "storage" / "paging.py").read_bytes()).hexdigest()[:16]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Benchmark paging a big view in rowdesk (see bench/README.md).")
    p.add_argument("--rows", type=int, default=None, help=f"rows under the view (default {DEFAULT_ROWS:,})")
    p.add_argument("--reps", type=int, default=None, help="fresh-process repetitions (default 3)")
    p.add_argument("--db-dir", type=Path, default=Path("/tmp/rowdesk-bench"), help="cache of the database")
    p.add_argument("--quick", action="store_true", help=f"smoke check: {QUICK_ROWS:,} rows, 1 rep")
    p.add_argument("--presses", type=int, default=12, help="PgDn and PgUp presses per run")
    p.add_argument("--gap", type=float, default=0.1, help="pause between timed key presses (s)")
    p.add_argument("--source", type=Path, default=REPO,
                   help="run the app from this copy of the source (PYTHONPATH), e.g. the code before a change")
    p.add_argument("--out", type=Path, default=HERE / "results" / "views.json")
    args = p.parse_args(argv)
    rows = args.rows or (QUICK_ROWS if args.quick else DEFAULT_ROWS)
    reps = args.reps or (1 if args.quick else 3)
    source = args.source.resolve()
    if source != REPO:
        os.environ["PYTHONPATH"] = str(source) + os.pathsep + os.environ.get("PYTHONPATH", "")

    db = ensure_db(args.db_dir, rows)
    figs = make_figures(rows)
    runs = []
    started = time.time()
    print(f"rowdesk view benchmark: {rows:,} rows ({db}), {reps} rep(s), terminal {browse.COLS}x{browse.ROWS}, "
          f"source {source} (storage/paging.py {source_of(source)})", flush=True)
    watch = NeighbourCPU()
    watch.start()
    for rep in range(1, reps + 1):
        rep_t0, (rep_cpu0, _) = time.perf_counter(), watch.snapshot()
        print(f"rep {rep}/{reps}: scan…", end="", flush=True)
        scan, count = measure_scan(db)
        print(" sorted…", end="", flush=True)
        sorted_run = scenario(db, rows, args, sort=True)
        print(" unsorted…", end="", flush=True)
        unsorted_run = scenario(db, rows, args, sort=False)
        print(" done", flush=True)
        browse.report_failures(sorted_run, unsorted_run)
        collect(figs, sorted_run, unsorted_run, scan, count)
        neighbours = browse.neighbours_during(watch, figs, rep_t0, rep_cpu0)
        runs.append({"rep": rep, "scan_s": scan, "count_s": count, "sorted": sorted_run, "unsorted": unsorted_run,
                     "neighbour_cpu_pct": neighbours})
    watch.stop()

    # Within what one scan costs, on top of what any key costs (the drawing, the pty): the median scan
    # and the median PgDn of the unsorted view (nearly always served from the rows held) of this run.
    one_scan, key = figs["scan"].stats().get("median"), figs["unsorted_pgdn_median"].stats().get("median")
    for f in figs.values():
        if f.target == 0:
            f.target, f.op = (one_scan + key if one_scan is not None and key is not None else None), "<="
            f.label += " ≤ scan + key"
    print()
    print(table(figs))
    failed = [f.label for f in figs.values() if f.verdict() in ("FAIL", "NO DATA")]
    print()
    print(f"{len(failed)} target(s) not met" + (": " + "; ".join(failed) if failed else ""))
    meta = {"rows": rows, "reps": reps, "db": str(db), "source": str(source), "paging_sha": source_of(source),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "took_s": time.time() - started, "args": {k: str(v) for k, v in vars(args).items()}}
    browse.write_results(args.out, meta, figs, runs)
    return 1 if failed else 0


if __name__ == "__main__":
    browse.run(main)
