#!/usr/bin/env python3
"""Benchmark of `rowdesk export` (the Export issue) on a 10,000,000-row table on SQLite, PostgreSQL and MariaDB,
against each engine's own command-line client, in the same run.

    bench/export.py [--engines sqlite,postgres,mysql] [--reps 3] [--quick] [--profile | --no-profile]

Each repetition, on each engine, runs as separate processes, one after the other, on the whole `orders` table:
the engine's client writing CSV (`sqlite3 -csv -header FILE "SELECT * FROM orders"`, psql's
`\\copy (SELECT * FROM schema.orders) TO 'file' CSV HEADER`, `mariadb --batch -e "SELECT * FROM orders"`) and
`rowdesk export TARGET orders OUT.csv` (which of the two goes first alternates from rep to rep); then
`rowdesk export` to CSV on a table of a tenth of the size (the memory baseline: its peak RSS against the big
table's must stay flat) and, in the first --jsonl-reps reps, `rowdesk export` to JSON Lines (info). Every process
is timed from its start to its exit (start-up included, for the client as for rowdesk) and its peak RSS and CPU
are the kernel's (wait4: ru_maxrss, ru_utime + ru_stime, taken by a small launcher: see LAUNCHER). Each
output's line count is checked (the rows + the header line; JSON Lines: the rows) and the file removed;
everything is written in a temporary folder removed at the end. When rowdesk's CSV throughput is under half the
client's, the export is profiled in-process (this file run with the app's Python, `--app-python-helper profile`):
the driver alone, the per-value conversion, csv.writer, the whole Database.export, and cProfile's busiest
functions.

The tables: on SQLite the demo files `DB_DIR/orders-N.sqlite` of bench/browse.py (`rowdesk demo --rows N`, built
when missing); on the servers bench/servers.py's `rowdesk_bench.orders` (bench/server_tables.py builds them when
missing). Nothing is written to any database. Figures, targets, how each is measured: bench/README.md. Results: a
table per engine on stdout, JSON in bench/results/export-<engine>.json; the exit status is 1 when a target is not
met or a check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HELPER = "--app-python-helper"          # argv[1] of the in-process part, run with the app's interpreter
ENV_TARGET = "ROWDESK_BENCH_TARGET"     # the helper's target: in its environment, never in argv
DEFAULT_ROWS = 10_000_000
QUICK_ROWS = 200_000
RATIO_TARGET = 0.5                      # rowdesk's CSV rows/s at least half the client's
RSS_RATIO = 1.2                         # peak RSS on the big table within 1.2x of the small table's…
RSS_SLACK_MB = 20.0                     # …or within +20 MB of it
BATCH = 5000                            # Database.export's batch (rows per fetchmany)
JSONL_PROFILE_ROWS = 50_000             # rows given to Writer('jsonl').rows under the profiler
FINAL = re.compile(r"rowdesk export: ([\d,]+) rows to (.*) in ([\d.]+) s \(([\d,]+) rows/s\)")


# ================================================================================================================
# The in-process part: run with the app's Python (`.venv/bin/python bench/export.py --app-python-helper ...`).
# Only the standard library is imported at the top of this file, so that both interpreters can load it.
# ================================================================================================================

def _call(db, method, *args, **kwargs):
    """A threaded Database method run synchronously in this thread (its `.in_thread` form), on a job of its
    own, whose connection goes back to the pool afterwards (as bench/edit.py does)."""
    from storage.jobs import Job

    job = Job(method.__name__)
    try:
        return method.in_thread(db, job, *args, **kwargs)
    finally:
        if job.lease is not None:
            job.lease.close()


def helper_profile(table_name: str, rows: int, out_dir: str, top: int, rounds: int) -> dict:
    """Where the time of an export of *table_name* goes, in this process and thread (cProfile sees only its own
    thread): each stage read through the whole table once on a fresh connection, in the order below."""
    import cProfile
    import csv

    sys.path.insert(0, str(REPO))
    from twisted.internet import reactor

    from console.export_cli import _target
    from storage import paging
    from storage.database import Database
    from storage.export import Writer
    from storage.jobs import Job
    from storage.lease import Lease

    db = Database(_target(os.environ[ENV_TARGET]), reactor)
    try:
        table = _call(db, db.describe, table_name)
        view = paging.View(table)
        statements = paging.Plan(view, db.dialect).stream_sql()
        columns = table.columns

        def stream(consume) -> int:
            job = Job("bench stream")
            job.lease = Lease(db.backend, job)
            n = [0]

            def counted(batch):
                n[0] += len(batch)
                consume(batch)
            try:
                for sql, params in statements:
                    db.backend.stream(job.lease.raw, sql, params, BATCH, counted)
            finally:
                job.lease.close()
            return n[0]

        def devnull():
            return open(os.devnull, "w", newline="", encoding="utf-8")  # noqa: SIM115

        times: dict[str, list[float]] = {}

        def stage(key: str, label: str, body: Callable[[], int]) -> None:
            t = time.perf_counter()
            n = body()
            dt = time.perf_counter() - t
            if n != rows:
                raise SystemExit(f"profile: {label}: {n:,} rows read, {rows:,} expected")
            times.setdefault(key, []).append(dt)
            print(f"  [profile] {label}: {dt:.2f} s ({n / dt:,.0f} rows/s)", file=sys.stderr, flush=True)

        def driver():
            return stream(lambda batch: None)

        def convert():
            with devnull() as out:
                w = Writer("csv", out, columns)
                f = w._convert                        # the per-row converter Writer.rows applies (None: none)
                return stream((lambda batch: list(map(f, batch))) if f is not None else (lambda batch: None))

        def csv_raw():
            with devnull() as out:
                w = csv.writer(out, lineterminator="\n")
                return stream(w.writerows)

        def writer(fmt: str):
            def body():
                with devnull() as out:
                    w = Writer(fmt, out, columns)
                    w.header()
                    n = stream(w.rows)
                    w.end()
                    return n
            return body

        path = os.path.join(out_dir, "profiled.csv")

        def export():
            n = _call(db, db.export, view, "csv", path, overwrite=True)
            os.unlink(path)
            return n

        plan = [("driver", "driver alone: fetchmany(5000) through the whole table, rows dropped", driver),
                ("convert", "driver + Writer's per-row conversion (storage/export.py), dropped", convert),
                ("csv_raw", "driver + csv.writer.writerows of the rows as fetched (no conversion), to /dev/null",
                 csv_raw),
                ("writer_csv", "driver + Writer('csv').rows (conversion + csv.writer), to /dev/null", writer("csv")),
                ("export_csv", "Database.export(view, 'csv', file) in-process (all of it, to a file)", export)]
        driver()                                      # untimed: the table's pages in the caches
        for r in range(rounds):                       # each stage's best of *rounds*, in rotated orders
            for key, label, body in plan[r % len(plan):] + plan[:r % len(plan)]:
                stage(key, label, body)
        stages = [{"key": key, "label": label, "s": min(times[key]), "all_s": times[key],
                   "rows_per_s": rows / min(times[key])} for key, label, _ in plan]

        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        n = _call(db, db.export, view, "csv", path, overwrite=True)
        prof.disable()
        profiled_s = time.perf_counter() - t
        os.unlink(path)
        top_csv = _top(prof, top)

        # JSON Lines: Writer('jsonl').rows alone, under the profiler, on the first rows held in memory.
        held: list = []

        def hold(batch):
            if len(held) < JSONL_PROFILE_ROWS:
                held.extend(batch)
        stream(hold)
        held = held[:JSONL_PROFILE_ROWS]
        with devnull() as out:
            w = Writer("jsonl", out, columns)
            t = time.perf_counter()
            for i in range(0, len(held), BATCH):
                w.rows(held[i:i + BATCH])
            jsonl_plain_s = time.perf_counter() - t
            prof = cProfile.Profile()
            t = time.perf_counter()
            prof.enable()
            for i in range(0, len(held), BATCH):
                w.rows(held[i:i + BATCH])
            prof.disable()
            jsonl_s = time.perf_counter() - t
        converted = [c.name for c in columns if _converted(c)]
        return {"rows": n, "stages": stages, "profiled_s": profiled_s, "profile_top": top_csv,
                "jsonl_rows": len(held), "jsonl_s": jsonl_plain_s, "jsonl_profiled_s": jsonl_s,
                "jsonl_profile_top": _top(prof, top),
                "converted_columns": converted, "kinds": {c.name: c.kind for c in columns},
                "driver": _driver_info(db)}
    finally:
        db.close()


def _top(prof, top: int) -> list[str]:
    """cProfile's *top* functions by their own time, as pstats prints them (its header line first)."""
    import io
    import pstats

    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(top)
    lines = text.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return lines[start:start + top + 1]


def _converted(col) -> bool:
    from storage.export import _text

    return _text(col) is not None


def _driver_info(db) -> str:
    name = type(db.backend).__name__
    try:
        if "Postgres" in name:
            import psycopg
            return f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__} implementation)"
        if "MySQL" in name:
            import pymysql
            return f"PyMySQL {pymysql.__version__} (pure Python)"
        return f"sqlite3 module, SQLite {sqlite3.sqlite_version}"
    except Exception as e:  # noqa: BLE001 - informational only
        return f"{name} ({e})"


def helper_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="export.py " + HELPER)
    p.add_argument("action", choices=("profile",))
    p.add_argument("table")
    p.add_argument("rows", type=int)
    p.add_argument("out_dir")
    p.add_argument("--top", type=int, default=18)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args(argv)
    print(json.dumps(helper_profile(args.table, args.rows, args.out_dir, args.top, args.rounds), default=str),
          flush=True)


# ================================================================================================================
# The benchmark: run with tuibench's Python (bench/env.py re-runs this script with it: psutil, the shared
# figures and CPU watchers of bench/browse.py and bench/servers.py)
# ================================================================================================================

@dataclass
class Subject:
    """One table exported: what rowdesk is given, what the client SELECTs from, how many rows it has."""
    target: str            # a SQLite file or a server URI (the bench's namespace)
    table: str             # as `rowdesk export TARGET TABLE` takes it (schema.table on PostgreSQL)
    sql: str               # as the client's SELECT names it
    rows: int


@dataclass
class Engine:
    key: str               # sqlite, postgres, mysql
    name: str              # "SQLite 3.40.1", "PostgreSQL 15.20", "MariaDB 10.11.19"
    client: str            # the client as printed: "sqlite3 3.40.1", …
    big: Subject
    small: Subject
    profiled: Subject | None = None  # the table the in-process profile reads (--profile-rows)
    server: object | None = None     # servers.Server
    built: list = field(default_factory=list)


def _needs(figure_cls):
    """A browse.Figure whose target is met by a function of its stats (targets browse.Figure cannot say: ≥, or
    either of two bounds)."""

    @dataclass
    class Checked(figure_cls):
        passes: Callable[[dict], bool] | None = None
        text: str = ""

        def meets(self, st: dict) -> bool:
            return self.passes(st)

        def target_text(self) -> str:
            return self.text or super().target_text()
    return Checked


def figures(engine: Engine, jsonl: Subject) -> dict:
    from browse import Figure

    Checked = _needs(Figure)
    big, small, c = f"{engine.big.rows:,}", f"{engine.small.rows:,}", engine.client.split()[0]
    rss_extra = {}
    figs = [
        Checked("ratio", f"CSV throughput, rowdesk export / {c} ({big} rows, same rep)", "x", RATIO_TARGET,
                passes=lambda st: st["median"] >= RATIO_TARGET, text=f"≥ {RATIO_TARGET:g}"),
        Checked("rss_ratio", f"peak RSS of rowdesk export CSV, {big} rows / {small} rows", "x", RSS_RATIO,
                passes=lambda st: st["median"] <= RSS_RATIO or rss_extra["diff"].stats().get("median", 1e9)
                <= RSS_SLACK_MB, text=f"≤ {RSS_RATIO:g}x or +{RSS_SLACK_MB:g} MB"),
        Figure("rate", f"(info) rowdesk export CSV, {big} rows (process start → exit)", "rows/s", None),
        Figure("rate_client", f"(info) {engine.client} CSV, {big} rows (process start → exit)", "rows/s", None),
        Figure("rss_big", f"(info) peak RSS rowdesk export CSV, {big} rows", "MB", None),
        Figure("rss_small", f"(info) peak RSS rowdesk export CSV, {small} rows", "MB", None),
        Figure("rss_diff", f"(info) peak RSS {big} rows − {small} rows", "MB", None),
        Figure("rate_jsonl", f"(info) rowdesk export JSONL, {jsonl.rows:,} rows", "rows/s", None),
        Figure("ratio_jsonl", f"(info) JSONL throughput, rowdesk ({jsonl.rows:,} rows) / {c} CSV ({big} rows)", "x",
               None),
        Figure("rss_jsonl", f"(info) peak RSS rowdesk export JSONL, {jsonl.rows:,} rows", "MB", None),
        Figure("rate_small", f"(info) rowdesk export CSV, {small} rows", "rows/s", None),
        Figure("rate_own", "(info) rowdesk's own final line (from its timer: no start-up)", "rows/s", None),
        Figure("startup", "(info) rowdesk wall time outside its own timer (start-up, exit)", "s", None),
        Figure("cpu", "(info) CPU of rowdesk export CSV (% of 1 core)", "%", None),
        Figure("cpu_client", f"(info) CPU of {c} (% of 1 core)", "%", None),
        Figure("rss_client", f"(info) peak RSS of {c}", "MB", None),
        Figure("size", f"(info) CSV size rowdesk / {c}", "MB/MB", None),
        Figure("neighbours", "(info) CPU of other processes during the rep (% of 1 core)", "%", None),
    ]
    if engine.key != "sqlite":
        figs += [Figure("server_cpu", "(info) CPU of the server during rowdesk export CSV (% of 1 core)", "%", None),
                 Figure("server_cpu_client", f"(info) CPU of the server during {c} (% of 1 core)", "%", None)]
    out = {f.key: f for f in figs}
    rss_extra["diff"] = out["rss_diff"]
    return out


def show(v, unit: str) -> str:
    from browse import fmt

    if v is None:
        return "—"
    if unit == "rows/s":
        return f"{v:,.0f} rows/s"
    if unit == "x":
        return f"{v:.2f}x" if v < 10 else f"{v:.1f}x"
    if unit == "MB/MB":
        return f"{v:.2f}"
    return fmt(v, unit)


def render(figs: dict) -> str:
    """browse.table's layout, with this bench's units (rows/s, ratios)."""
    head = ("figure", "median", "min … max", "n", "target", "result")
    lines = []
    for f in figs.values():
        st = f.stats()
        if st["n"]:
            lines.append((f.label, show(st["median"], f.unit), f"{show(st['min'], f.unit)} … {show(st['max'], f.unit)}",
                          str(st["n"]), f.target_text(), f.verdict()))
        else:
            lines.append((f.label, "—", "—", "0", f.target_text(), f.verdict()))
    widths = [max(len(r[i]) for r in [head, *lines]) for i in range(len(head))]

    def one(r):
        return "  ".join(c.ljust(w) if i in (0, 4, 5) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([one(head), "  ".join("-" * w for w in widths), *map(one, lines)])


# ----------------------------------------------------------------------------------------------
# Running one process, measured by the kernel
# ----------------------------------------------------------------------------------------------

# Linux keeps a process's peak RSS across exec, counting the memory of the process it was forked from (even a
# vfork shares it): spawned straight from this benchmark (~60 MB), every process would read at least that. A
# small launcher (python -S, ~10 MB) spawns the measured process and reports the kernel's figures of it (wait4:
# that process and the children it waited for, rowdesk's export workers included).
LAUNCHER = """
import json, os, sys
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump([status, ru.ru_utime, ru.ru_stime, ru.ru_maxrss], f)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measured(argv: list[str], *, stdout: str | None, stderr: str, env: dict, timeout: float) -> dict:
    """Run *argv* to its end: wall time (start → exit), its CPU and peak RSS (wait4's rusage of that process,
    taken by LAUNCHER)."""
    report = stderr + ".rusage"
    with open(stdout or os.devnull, "wb") as so, open(stderr, "wb") as se:
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, report, *argv], stdin=subprocess.DEVNULL,
                             stdout=so, stderr=se, env=env, start_new_session=True)
        killed = []
        timer = threading.Timer(timeout, lambda: (killed.append(True), os.killpg(p.pid, 9)))
        timer.start()
        try:
            p.wait()
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    err = Path(stderr).read_text(errors="replace")
    try:
        status, user, system, maxrss = json.loads(Path(report).read_text())
        os.unlink(report)
    except (OSError, ValueError):                       # killed before it could report
        status, user, system, maxrss = 9, 0.0, 0.0, 0
    p.returncode = os.waitstatus_to_exitcode(status)
    return {"argv": argv, "rc": p.returncode, "wall_s": wall, "cpu_s": user + system,
            "user_s": user, "sys_s": system, "maxrss_mb": maxrss / 1024.0,
            "killed": bool(killed), "stderr_tail": err[-600:]}


def count_lines(path: str) -> tuple[int, bool]:
    """Newlines in the file, and whether it ends with one."""
    n, last = 0, b""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n, last == b"\n"


def rowdesk_env(tmp: str) -> dict:
    env = {**os.environ}
    for var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[var] = os.path.join(tmp, "xdg", var.lower())
    return env


def client_command(engine: Engine, subject: Subject, out: str) -> tuple[list[str], str | None, dict]:
    """The engine's own client writing CSV of the whole table: argv, where its stdout goes, its environment."""
    env = {**os.environ}
    if engine.key == "sqlite":
        return ["sqlite3", "-csv", "-header", subject.target, f"SELECT * FROM {subject.sql}"], out, env
    parts = urlsplit(engine.server.uri)
    if engine.key == "postgres":
        if parts.password:
            env["PGPASSWORD"] = unquote(parts.password)        # not in argv
        return (["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", parts.hostname or "127.0.0.1",
                 "-p", str(parts.port or 5432), "-U", unquote(parts.username or "postgres"),
                 "-d", unquote(parts.path.lstrip("/")) or "test",
                 "-c", f"\\copy (SELECT * FROM {subject.sql}) TO '{out}' CSV HEADER"], None, env)
    if parts.password:
        env["MYSQL_PWD"] = unquote(parts.password)
    import servers
    return ([mysql_client(), "--batch", "-h", parts.hostname or "127.0.0.1", "-P", str(parts.port or 3306),
             "-u", unquote(parts.username or "root"), "-e", f"SELECT * FROM {subject.sql}", servers.NAMESPACE],
            out, env)


def mysql_client() -> str:
    return shutil.which("mariadb") or shutil.which("mysql") or "mariadb"


def client_version(key: str) -> str:
    exe = {"sqlite": "sqlite3", "postgres": "psql", "mysql": mysql_client()}[key]
    try:
        text = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        raise SystemExit(f"bench: {exe} (the engine's own client, the yardstick) is not installed") from None
    if key == "sqlite":
        return f"sqlite3 {text.split()[0]}"
    m = re.search(r"(\d+\.\d+(?:\.\d+)?)(?:-MariaDB)?", text.split("Distrib")[-1] if "Distrib" in text else text)
    return f"{Path(exe).name} {m.group(1) if m else text.strip()}"


# ----------------------------------------------------------------------------------------------
# Engines
# ----------------------------------------------------------------------------------------------

def make_engines(args) -> list[Engine]:
    import browse
    import servers

    chosen, found = servers.chosen_engines(args)
    engines = []
    sizes = (args.rows, args.small_rows, args.profile_rows)
    for key in chosen:
        client = client_version(key)
        if key == "sqlite":
            big, small, profiled = (Subject(str(browse.ensure_db(args.db_dir, n)), "orders", "orders", n)
                                    for n in sizes)
            engines.append(Engine("sqlite", f"SQLite {sqlite3.sqlite_version}", client, big, small, profiled))
            continue
        server = found[key]
        built = servers.ensure_tables(server, list(dict.fromkeys(sizes)))
        for t in built:
            print(f"   {servers.describe_build(t)}", flush=True)
        # As rowdesk names them: schema.table on PostgreSQL; the table of the URI's database on MariaDB.
        prefix = f"{servers.NAMESPACE}." if key == "postgres" else ""
        big, small, profiled = (Subject(server.target, prefix + servers.table_name(n), prefix + servers.table_name(n),
                                        n) for n in sizes)
        engines.append(Engine(key, built[0]["server"], client, big, small, profiled, server=server, built=built))
    return engines


# ----------------------------------------------------------------------------------------------
# One engine
# ----------------------------------------------------------------------------------------------

class Run:
    """The runs of one engine, with their checks."""

    def __init__(self, engine: Engine, args, tmp: str, watch):
        self.engine, self.args, self.tmp, self.watch = engine, args, tmp, watch
        self.problems: list[str] = []
        self.checked = [0, 0]
        self.runs: list[dict] = []

    def _server_s(self) -> float:
        return self.watch.server_seconds() if self.engine.key != "sqlite" else 0.0

    def one(self, what: str, subject: Subject, fmt: str, rep: int) -> dict:
        """One process writing *subject* in *fmt*: the client ("client") or rowdesk; measured, checked, its output
        removed."""
        ext = {"csv": "csv", "jsonl": "jsonl"}[fmt]
        out = os.path.join(self.tmp, f"{what}-{subject.rows}.{ext}")
        err = os.path.join(self.tmp, f"{what}-{subject.rows}.stderr")
        timeout = max(900.0, subject.rows / 5000)
        if what == "client":
            argv, stdout, env = client_command(self.engine, subject, out)
        else:
            argv = [rowdesk_exe(), "export", subject.target, subject.table, out, "--format", fmt]
            stdout, env = None, rowdesk_env(self.tmp)
        s0 = self._server_s()
        r = measured(argv, stdout=stdout, stderr=err, env=env, timeout=timeout)
        r["server_cpu_s"] = self._server_s() - s0
        r.update(what=what, rep=rep, fmt=fmt, rows=subject.rows, table=subject.table)
        if what != "client":
            r["argv"] = [*argv[:2], shown_target(subject.target), *argv[3:]]
        label = f"rep {rep}: {'the client' if what == 'client' else 'rowdesk export'} {fmt}, {subject.rows:,} rows"
        ok = r["rc"] == 0 and not r["killed"]
        if not ok:
            self.problems.append(f"{label}: exit status {r['rc']}" + (" (killed at the timeout)" if r["killed"] else "")
                                 + f": {r['stderr_tail'].strip().splitlines()[-1:] }")
        if what != "client":
            last = r["stderr_tail"].replace("\r", "\n").strip().splitlines()
            m = FINAL.search(last[-1]) if last else None
            if m:
                r["own_rows"] = int(m.group(1).replace(",", ""))
                r["own_s"] = float(m.group(3))
                r["own_rate"] = int(m.group(4).replace(",", ""))
                if r["own_rows"] != subject.rows:
                    self.problems.append(f"{label}: rowdesk says {r['own_rows']:,} rows")
            elif ok:
                self.problems.append(f"{label}: no final line `rowdesk export: N rows to OUT in T s (R rows/s)` "
                                     f"on stderr (last: {last[-1:]!r})")
            if os.path.exists(out + ".part"):
                self.problems.append(f"{label}: {out}.part left behind")
        if ok:
            want = subject.rows + (1 if fmt == "csv" else 0)        # CSV (and --batch): a header line
            lines, newline_end = count_lines(out)
            r["lines"], r["bytes"] = lines, os.path.getsize(out)
            self.checked[1] += 1
            if lines == want and newline_end:
                self.checked[0] += 1
            else:
                self.problems.append(f"{label}: {lines:,} lines, {want:,} expected"
                                     + ("" if newline_end else " (no newline at the end)"))
        for path in (out, out + ".part"):
            if os.path.exists(path):
                os.unlink(path)
        r["rate"] = subject.rows / r["wall_s"]
        self.runs.append(r)
        return r


def shown_target(target: str) -> str:
    import servers

    return servers.shown(target) if "://" in target else target


def bench_engine(engine: Engine, args, tmp: str) -> tuple[dict, Run]:
    import browse
    import servers

    jsonl = engine.big if args.jsonl_big else engine.small
    figs = figures(engine, jsonl)
    print(f"\n== {engine.name}: rowdesk export '{shown_target(engine.big.target)}' {engine.big.table} "
          f"({engine.big.rows:,} rows) vs {engine.client}; baseline {engine.small.table} ({engine.small.rows:,} rows"
          + (f", {engine.small.target}" if engine.key == "sqlite" else "") + ")", flush=True)
    watch = servers.ServerCPU() if engine.key != "sqlite" else browse.NeighbourCPU()
    watch.start()
    run = Run(engine, args, tmp, watch)
    try:
        if not args.no_warmup:
            # Untimed: the table read once through the client, so that every timed run finds it in the caches.
            for subject in (engine.big, engine.small):
                w = run.one("client", subject, "csv", 0)
                print(f"warm-up: {engine.client} on {subject.rows:,} rows in {w['wall_s']:.1f} s", flush=True)
            run.runs.clear()
        for rep in range(1, args.reps + 1):
            rep_t0, rep_cpu0 = time.perf_counter(), watch.snapshot()[0]
            order = ("client", "rowdesk") if rep % 2 else ("rowdesk", "client")
            print(f"rep {rep}/{args.reps}:", end="", flush=True)
            got = {}
            for what in order:
                got[what] = r = run.one(what, engine.big, "csv", rep)
                print(f" {'client' if what == 'client' else 'rowdesk'} CSV {r['wall_s']:.1f} s,", end="", flush=True)
            got["small"] = r = run.one("rowdesk", engine.small, "csv", rep)
            print(f" rowdesk {engine.small.rows:,} rows {r['wall_s']:.1f} s", end="", flush=True)
            if rep <= args.jsonl_reps:
                got["jsonl"] = r = run.one("rowdesk", jsonl, "jsonl", rep)
                print(f", rowdesk JSONL {jsonl.rows:,} rows {r['wall_s']:.1f} s", end="", flush=True)
            print(flush=True)
            collect(figs, got)
            browse.neighbours_during(watch, figs, rep_t0, rep_cpu0)
    finally:
        watch.stop()
    return figs, run


def collect(figs: dict, got: dict) -> None:
    mine, theirs, small = got["rowdesk"], got["client"], got["small"]
    if mine["rc"] or theirs["rc"]:
        return
    figs["rate"].add(mine["rate"])
    figs["rate_client"].add(theirs["rate"])
    figs["ratio"].add(mine["rate"] / theirs["rate"])
    figs["rss_big"].add(mine["maxrss_mb"])
    figs["cpu"].add(100.0 * mine["cpu_s"] / mine["wall_s"])
    figs["cpu_client"].add(100.0 * theirs["cpu_s"] / theirs["wall_s"])
    figs["rss_client"].add(theirs["maxrss_mb"])
    if mine.get("bytes") and theirs.get("bytes"):
        figs["size"].add(mine["bytes"] / theirs["bytes"])
    if "own_rate" in mine:
        figs["rate_own"].add(mine["own_rate"])
        figs["startup"].add(mine["wall_s"] - mine["own_s"])
    if "server_cpu" in figs:
        figs["server_cpu"].add(100.0 * mine["server_cpu_s"] / mine["wall_s"])
        figs["server_cpu_client"].add(100.0 * theirs["server_cpu_s"] / theirs["wall_s"])
    if not small["rc"]:
        figs["rss_small"].add(small["maxrss_mb"])
        figs["rate_small"].add(small["rate"])
        figs["rss_ratio"].add(mine["maxrss_mb"] / small["maxrss_mb"])
        figs["rss_diff"].add(mine["maxrss_mb"] - small["maxrss_mb"])
    j = got.get("jsonl")
    if j is not None and not j["rc"]:
        figs["rate_jsonl"].add(j["rate"])
        figs["ratio_jsonl"].add(j["rate"] / theirs["rate"])
        figs["rss_jsonl"].add(j["maxrss_mb"])


def profile(engine: Engine, subject: Subject, tmp: str, rounds: int) -> dict | None:
    """The helper in the app's Python on *subject*: stage timings and cProfile's busiest functions."""
    from env import project_python

    print(f"profiling the export in-process on {subject.table} ({subject.rows:,} rows; {5 * rounds + 3} reads "
          "through it)…", flush=True)
    p = subprocess.run([project_python(), str(Path(__file__).resolve()), HELPER, "profile", subject.table,
                        str(subject.rows), tmp, "--rounds", str(rounds)], stdout=subprocess.PIPE, text=True,
                       cwd=str(REPO),
                       env={**rowdesk_env(tmp), ENV_TARGET: subject.target}, timeout=3600)
    if p.returncode:
        print(f"!! the profile failed (exit status {p.returncode}; its output is above)", flush=True)
        return None
    return json.loads(p.stdout.strip().splitlines()[-1])


def print_profile(engine: Engine, prof: dict, rate_client: float | None) -> None:
    print(f"\nWhere the time goes, {engine.name} ({prof['driver']}), {prof['rows']:,} rows in-process "
          f"(one thread, no process start-up; best of {len(prof['stages'][0]['all_s'])} per stage):")
    base = None
    for s in prof["stages"]:
        extra = ""
        if s["key"] == "driver":
            base = s["s"]
        elif base is not None:
            extra = f"  (+{s['s'] - base:.2f} s over the driver)"
        vs = f", {s['rows_per_s'] / rate_client:.2f}x the client" if rate_client else ""
        print(f"  {s['s']:7.2f} s  {s['rows_per_s']:>11,.0f} rows/s{vs}  {s['label']}{extra}")
    print(f"  columns converted one by one in CSV: {', '.join(prof['converted_columns']) or 'none'} "
          f"(kinds: {', '.join(f'{k} {v}' for k, v in prof['kinds'].items())})")
    print(f"  cProfile of Database.export ({prof['profiled_s']:.2f} s under the profiler), by own time:")
    for line in prof["profile_top"]:
        print("    " + line)
    n = prof["jsonl_rows"]
    print(f"  Writer('jsonl').rows alone on {n:,} rows held in memory, to /dev/null: {prof['jsonl_s']:.2f} s "
          f"({n / prof['jsonl_s']:,.0f} rows/s); cProfile ({prof['jsonl_profiled_s']:.2f} s under it), by own time:")
    for line in prof["jsonl_profile_top"]:
        print("    " + line)


# ----------------------------------------------------------------------------------------------

def check_disk(tmp_dir: Path, rows: int) -> None:
    """Enough free space for the largest output at a time (a JSONL of the big table, ~250 bytes a row)."""
    free = shutil.disk_usage(tmp_dir).free
    need = rows * 300 + 2**30
    print(f"free space in {tmp_dir}: {free / 2**30:,.1f} GB (the largest output at a time needs about "
          f"{need / 2**30:,.1f} GB; each one is removed once checked)", flush=True)
    if free < need:
        raise SystemExit(f"bench: not enough free space in {tmp_dir}: give --tmp-dir a folder with "
                         f"{need / 2**30:,.1f} GB free")


def rowdesk_exe() -> str:
    from env import rowdesk_exe as exe
    return exe()


def bench_main(argv=None) -> int:
    sys.path.insert(0, str(HERE))
    import browse  # noqa: F401  (re-runs this script under tuibench's Python when needed)
    import servers

    p = argparse.ArgumentParser(description="Benchmark `rowdesk export` against the engines' own clients on "
                                            "SQLite, PostgreSQL and MariaDB (see bench/README.md).")
    p.add_argument("--engines", default="sqlite,postgres,mysql", help="which engines, in order")
    p.add_argument("--rows", type=int, default=None, help=f"rows of orders (default {DEFAULT_ROWS:,})")
    p.add_argument("--small-rows", type=int, default=None,
                   help="rows of the memory baseline table (default: a tenth of --rows, 1,000,000 at 10M)")
    p.add_argument("--reps", type=int, default=3, help="repetitions (default 3; fresh processes every time)")
    p.add_argument("--jsonl-reps", type=int, default=1,
                   help="in how many of the reps the JSON Lines export (info) runs (default 1)")
    p.add_argument("--jsonl-big", action="store_true",
                   help="the JSON Lines export on the big table (default: on the baseline table, a tenth of it)")
    p.add_argument("--quick", action="store_true", help=f"smoke check: {QUICK_ROWS:,} rows")
    p.add_argument("--no-warmup", action="store_true", help="skip the untimed client run before rep 1")
    p.add_argument("--profile", action="store_true", help="profile the export in-process on every engine")
    p.add_argument("--no-profile", action="store_true",
                   help="never profile (by default: on an engine whose throughput ratio misses its target)")
    p.add_argument("--profile-rows", type=int, default=None,
                   help=f"rows of the table profiled (default {QUICK_ROWS:,}, or --rows if fewer)")
    p.add_argument("--profile-rounds", type=int, default=2, help="each profiled stage's best of N (default 2)")
    p.add_argument("--db-dir", type=Path, default=Path("/tmp/rowdesk-bench"), help="cache of SQLite demo databases")
    p.add_argument("--tmp-dir", type=Path, default=Path(tempfile.gettempdir()),
                   help="where the outputs are written (a folder made in it, removed at the end)")
    servers.add_server_arguments(p, "the tables in")
    p.add_argument("--out-dir", type=Path, default=HERE / "results", help="where export-<engine>.json go")
    args = p.parse_args(argv)
    args.rows = args.rows or (QUICK_ROWS if args.quick else DEFAULT_ROWS)
    args.small_rows = args.small_rows or max(1000, args.rows // 10)
    args.profile_rows = args.profile_rows or min(QUICK_ROWS, args.rows)
    if args.reps < 1 or args.small_rows >= args.rows:
        p.error("--reps takes a number above 0, --small-rows one below --rows")

    started_all = time.time()
    code_before = browse.source_fingerprint()
    print(f"rowdesk export benchmark: {args.rows:,} rows (baseline {args.small_rows:,}), {args.reps} rep(s), "
          f"JSONL in {min(args.jsonl_reps, args.reps)}; {os.cpu_count()} CPUs; app source {code_before['sha256']} "
          f"(newest change {code_before['newest_change']} {code_before['newest_file']})", flush=True)
    check_disk(args.tmp_dir, args.rows)
    engines = make_engines(args)
    tmp = tempfile.mkdtemp(prefix="rowdesk-export-bench-", dir=args.tmp_dir)
    failed_all = []
    try:
        for engine in engines:
            started = time.time()
            figs, run = bench_engine(engine, args, tmp)
            failed, unmeasured = servers.failures(figs)
            print()
            print(f"{engine.name}, {engine.big.rows:,} rows ({engine.big.table}), baseline {engine.small.rows:,}, "
                  f"{args.reps} rep(s), vs {engine.client}")
            print(render(figs))
            for label, n in [(f.label, n) for f in figs.values() for n in dict.fromkeys(f.notes)]:
                print(f"note: {label}: {n}")
            print(f"checks: {run.checked[0]}/{run.checked[1]} outputs had the expected line count (rows + the "
                  "header line; JSON Lines: the rows); every one removed")
            for problem in run.problems:
                print(f"!! {problem}")
            if run.problems:
                failed.append(f"{len(run.problems)} problem(s) (above)")
            prof = None
            ratio = figs["ratio"]
            if args.profile or (not args.no_profile and ratio.verdict() == "FAIL"):
                prof = profile(engine, engine.profiled, tmp, args.profile_rounds)
                if prof is not None:
                    print_profile(engine, prof, figs["rate_client"].stats().get("median"))
            print(f"{engine.name}: {len(failed)} target(s) not met" + (": " + "; ".join(failed) if failed else ""))
            if unmeasured:
                print(f"{engine.name}: {len(unmeasured)} target(s) not measured (see notes): " + "; ".join(unmeasured))
            failed_all += [f"{engine.name}: {label}" for label in failed]
            meta = {"engine": engine.name, "client": engine.client, "target": shown_target(engine.big.target),
                    "table": engine.big.table, "rows": engine.big.rows, "small_table": engine.small.table,
                    "small_rows": engine.small.rows, "built": engine.built, "reps": args.reps,
                    "source_before": code_before, "source_after": browse.source_fingerprint(),
                    "problems": run.problems, "checked": run.checked, "profile": prof,
                    **servers.run_meta(started, args)}
            browse.write_results(args.out_dir / f"export-{engine.key}.json", meta, figs, run.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return servers.finish(code_before, failed_all, started_all)


if __name__ == "__main__":
    if sys.argv[1:2] == [HELPER]:
        helper_main(sys.argv[2:])
    else:
        sys.path.insert(0, str(HERE))
        import browse

        browse.run(bench_main)
