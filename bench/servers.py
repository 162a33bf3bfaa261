#!/usr/bin/env python3
"""Benchmark of browsing a 10,000,000-row table on PostgreSQL and on MariaDB, measured from outside.

    bench/servers.py [--servers postgres,mysql] [--reps 3] [--quick] [--postgres URI] [--mysql URI]

The scenarios of bench/browse.py (whose driver, figures and report this imports), run on `rowdesk URI` in a
pseudo-terminal of 120x40 through tuibench, fresh processes every repetition, on each server in turn:
browse the big table, browse a 10,000-row one (the memory baseline), a slow sort (the unindexed `total`)
during which cheap keys are timed and then Esc, whose statement a watcher on its own connection sees
leave the server (bench/server_statements.py). The tables are built in the server by
bench/server_tables.py when missing, in the bench's own namespace only (the schema `rowdesk_bench` of
PostgreSQL's database, the database `rowdesk_bench` on MariaDB), and reused. Figures, targets and how each
is measured: bench/README.md. Results: a table per server on stdout, JSON in bench/results/servers-*.json.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

sys.path.insert(0, str(HERE))
import browse  # noqa: E402  (re-runs this script under tuibench's Python when needed)
from browse import Figure, NeighbourCPU, fmt, make_figures, table  # noqa: E402
from env import SETUP_LOCK, project_python  # noqa: E402

NAMESPACE = "rowdesk_bench"          # the only schema / database the bench creates or writes
DEFAULT_ROWS = 10_000_000
QUICK_ROWS = 200_000
SMALL_ROWS = 10_000
# The databases' own processes: their CPU is the work measured, not a neighbour's (reported apart).
SERVER_PROCESS = re.compile(r"^(postgres|mariadbd|mysqld)\b|/(postgres|mariadbd|mysqld)\b")


@dataclass(frozen=True)
class Server:
    key: str            # "postgres" or "mysql"
    extra: str          # rowdesk's extra with the driver (pyproject.toml)
    module: str         # the driver's module
    uri: str            # the server, as the helpers connect to it (no namespace)

    @property
    def target(self) -> str:
        """What rowdesk is given: the bench's schema (PostgreSQL) or database (MariaDB) on the server."""
        parts = urlsplit(self.uri)
        if self.key == "postgres":
            return urlunsplit((parts.scheme, parts.netloc, parts.path or "/test", f"schema={NAMESPACE}", ""))
        return urlunsplit((parts.scheme, parts.netloc, f"/{NAMESPACE}", "", ""))

    def env(self) -> dict:
        """The helpers' environment: the URI there, not in argv (a password would show in `ps`)."""
        return {**os.environ, "ROWDESK_BENCH_SERVER": self.uri}


def shown(uri: str) -> str:
    """*uri* with its password, if any, as ***."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def table_name(rows: int) -> str:
    """As bench/server_tables.py names it."""
    return "orders" if rows == DEFAULT_ROWS else f"orders_{rows}"


# ----------------------------------------------------------------------------------------------
# Setting up: the drivers, the tables
# ----------------------------------------------------------------------------------------------

def ensure_drivers(servers: list[Server]) -> None:
    """The app's venv with the server drivers (env.py installs the app without extras)."""
    with open(SETUP_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = [s for s in servers
                   if subprocess.run([project_python(), "-c", f"import {s.module}"], capture_output=True).returncode]
        if not missing:
            return
        spec = f"{REPO}[{','.join(s.extra for s in missing)}]"
        print(f"bench: installing the drivers into the app's venv: pip install -e '{spec}'…", file=sys.stderr,
              flush=True)
        if subprocess.run([project_python(), "-m", "pip", "install", "-qq", "-e", spec]).returncode:
            sys.exit(f"bench: pip install -e '{spec}' failed (its output is above)")


def ensure_tables(server: Server, sizes: list[int]) -> list[dict]:
    """Each table, found or built by bench/server_tables.py (progress on stderr), as it reports it."""
    p = subprocess.run([project_python(), str(HERE / "server_tables.py"), *map(str, sizes)], env=server.env(),
                       stdout=subprocess.PIPE, text=True)
    if p.returncode:
        raise SystemExit(f"bench: the tables on {shown(server.uri)} could not be made (above)")
    return json.loads(p.stdout.strip().splitlines()[-1])


def describe_build(t: dict) -> str:
    size = f"{t['rows']:,} rows, {t['bytes'] / 2**20:,.0f} MB with indexes"
    if not t["cached"]:
        steps = ", ".join(f"{k} {v:.0f} s" for k, v in t["steps_s"].items())
        return f"{t['table']}: {size}, built now in {t['seconds']:.0f} s ({steps})"
    m = re.search(r"; built (.*)$", t["comment"] or "")
    return f"{t['table']}: {size}, cached" + (f" (built {m.group(1)})" if m else "")


# ----------------------------------------------------------------------------------------------
# The statement on the server
# ----------------------------------------------------------------------------------------------

class StatementWatch:
    """bench/server_statements.py on a connection of its own: is the sort running before Esc, when is it
    gone after. Passed to browse.scenario_slow as its `server`."""

    def __init__(self, server: Server):
        self.p = subprocess.Popen([project_python(), str(HERE / "server_statements.py")], env=server.env(),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.present = False
        if self._line(30) != "ready":
            self.close()
            raise SystemExit(f"bench: the statement watcher could not connect to {shown(server.uri)}")

    def _line(self, timeout: float) -> str | None:
        ready, _, _ = select.select([self.p.stdout], [], [], timeout)
        return self.p.stdout.readline().strip() if ready else None

    def arm(self) -> dict:
        self.p.stdin.write("arm\n")
        line = self._line(10) or ""
        self.present = line.startswith("present ")
        if not self.present:
            return {"present": False, "reply": line}
        _, t, seen = line.split(" ", 2)
        return {"present": True, "t": float(t), "statements": json.loads(seen)}

    def gone_after(self, sent: float) -> dict:
        if not self.present:
            return {"problem": "the sort's statement was not seen running on the server before Esc"}
        line = (self._line(30) or "").split()
        if line[:1] != ["gone"]:
            return {"problem": "the sort's statement still ran on the server 20 s after Esc" if line[:1] == ["stuck"]
                    else f"the statement watcher gave no answer after Esc ({' '.join(line)!r})"}
        t_gone, t_last = float(line[1]), float(line[2])
        if t_gone < sent:
            return {"problem": "the sort ended on its own before Esc"}
        return {"latency": t_gone - sent, "last_seen_after": t_last - sent}

    def close(self) -> None:
        if self.p.poll() is None:
            self.p.stdin.close()
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------

# The targets of the servers (issue 10), where they differ from browse.py's SQLite ones.
TARGETS_MS = {"startup": 1000, "open": 50, "pgdn": 50, "end": 50, "sort_indexed": 100, "filter_indexed": 100}


def server_figures(rows: int, small: int) -> dict[str, Figure]:
    figs = make_figures(rows, small)
    for key, ms in TARGETS_MS.items():
        figs[key].target = ms
    # No absolute memory target on a server: within 10 % of the small table's run is the one.
    figs["hwm"].target, figs["hwm"].label = None, "(info) " + figs["hwm"].label
    figs["esc_cancel"].target = None
    figs["esc_cancel"].label = "(info) Esc during slow sort → spinner gone"
    server = Figure("esc_server", "Esc during slow sort → statement gone on the server", "ms", 500)
    cpu = Figure("server_cpu", "(info) CPU of the database server during the rep (% of 1 core)", "%", None)
    ordered = {}
    for key, f in figs.items():
        if key == "esc_cancel":
            ordered["esc_server"] = server
        ordered[key] = f
    ordered["server_cpu"] = cpu
    return ordered


def collect(figs: dict[str, Figure], big: dict, small: dict, slow: dict, probe: dict | None) -> None:
    browse.collect(figs, big, small, slow, probe)
    after = slow.get("server_after_esc")
    if after is not None:
        if after.get("latency") is not None:
            figs["esc_server"].add(after["latency"] * 1000)
        else:
            figs["esc_server"].notes.append(after["problem"])
    if slow.get("cancel_problem"):
        figs["esc_server"].notes.append(slow["cancel_problem"])


class ServerCPU(NeighbourCPU):
    """NeighbourCPU that keeps the database server's processes apart: their CPU is the work measured."""

    def snapshot(self):
        with self._lock:
            used = {pid: v for pid, v in self.used.items() if not SERVER_PROCESS.search(self._names.get(pid, ""))}
            top = sorted(((v, pid, self._names.get(pid, "?")) for pid, v in used.items()), reverse=True)[:3]
        return sum(used.values()), top

    def server_seconds(self) -> float:
        with self._lock:
            return sum(v for pid, v in self.used.items() if SERVER_PROCESS.search(self._names.get(pid, "")))


# ----------------------------------------------------------------------------------------------

def bench_server(server: Server, rows: int, reps: int, args) -> tuple[dict[str, Figure], dict]:
    tables = ensure_tables(server, [rows, args.small_rows])
    big_t, small_t = tables
    name = big_t["server"]
    print(f"\n== {name}: rowdesk '{shown(server.target)}'", flush=True)
    for t in tables:
        print(f"   {describe_build(t)}", flush=True)
    # As the tables list and the status line name them: schema.table on PostgreSQL.
    prefix = f"{NAMESPACE}." if server.key == "postgres" else ""
    big_table, small_table = prefix + table_name(rows), prefix + table_name(args.small_rows)
    figs = server_figures(rows, args.small_rows)
    if args.no_probe:
        figs["probe_lag"].notes.append("not run (--no-probe, or not the 10,000,000-row `orders`)")
    runs = []
    watch = ServerCPU()
    watch.start()
    for rep in range(1, reps + 1):
        rep_t0, (rep_cpu0, _), server_cpu0 = time.perf_counter(), watch.snapshot(), watch.server_seconds()
        print(f"rep {rep}/{reps}: browse {rows:,}…", end="", flush=True)
        big = browse.scenario_browse(server.target, rows, args, table=big_table)
        print(f" browse {args.small_rows:,}…", end="", flush=True)
        small = browse.scenario_browse(server.target, args.small_rows, args, table=small_table)
        print(" slow sort…", end="", flush=True)
        statements = StatementWatch(server)
        try:
            slow = browse.scenario_slow(server.target, rows, args, table=big_table, server=statements)
        finally:
            statements.close()
        probe = None
        if not args.no_probe:
            print(" probe…", end="", flush=True)
            probe = browse.scenario_probe(server.target, args)
        print(" done", flush=True)
        browse.report_failures(big, small, slow, probe)
        collect(figs, big, small, slow, probe)
        neighbours = browse.neighbours_during(watch, figs, rep_t0, rep_cpu0)
        figs["server_cpu"].add(100.0 * (watch.server_seconds() - server_cpu0) / (time.perf_counter() - rep_t0))
        runs.append({"rep": rep, "browse": big, "browse_small": small, "slow": slow, "probe": probe,
                     "neighbour_cpu_pct": neighbours})
    watch.stop()
    print()
    print(f"{name}, {rows:,} rows ({big_table}), baseline {args.small_rows:,} rows, {reps} rep(s), "
          f"terminal {browse.COLS}x{browse.ROWS}")
    print(table(figs))
    return figs, {"server": name, "target": shown(server.target), "tables": tables, "runs": runs}


def chosen_engines(args) -> tuple[list[str], dict[str, Server]]:
    """The engines --engines names, in order (an unknown one: exit saying which are known), and the servers among
    them (--postgres, --mysql), their drivers installed in the app's venv."""
    chosen = [e.strip() for e in args.engines.split(",") if e.strip()]
    known = ("sqlite", "postgres", "mysql")
    if not chosen or any(e not in known for e in chosen):
        raise SystemExit(f"--engines takes {', '.join(known)} (comma-separated)")
    found = {"postgres": Server("postgres", "postgres", "psycopg", args.postgres),
             "mysql": Server("mysql", "mysql", "pymysql", args.mysql)}
    needed = [found[e] for e in chosen if e in found]
    if needed:
        ensure_drivers(needed)
    return chosen, found


def add_server_arguments(p, where: str = "the bench works in") -> None:
    """--postgres and --mysql: the servers the benches run on (their namespace NAMESPACE is the bench's own)."""
    p.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test",
                   help=f"the PostgreSQL server and database ({where} its schema {NAMESPACE})")
    p.add_argument("--mysql", default="mysql://root@127.0.0.1:3306",
                   help=f"the MariaDB/MySQL server ({where} its database {NAMESPACE})")


def run_meta(started: float, args) -> dict:
    """What every results file says of the run: when, how long, on what, with which options."""
    return {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "took_s": time.time() - started, "host": platform.node(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "args": {k: str(v) for k, v in vars(args).items()}}


def finish(code_before: dict, failed_all: list[str], started_all: float | None = None) -> int:
    """The end of a run: a warning when the app's source changed meanwhile, the targets not met; the exit status."""
    code_after = browse.source_fingerprint()
    if code_after != code_before:
        print(f"  !! the app source changed during the run ({code_before['sha256']} -> {code_after['sha256']}, "
              f"{code_after['newest_file']} at {code_after['newest_change']}): figures mix two versions", flush=True)
    took = f" · {time.time() - started_all:.0f} s in all" if started_all is not None else ""
    print(f"\n{len(failed_all)} target(s) not met" + (": " + "; ".join(failed_all) if failed_all else "") + took)
    return 1 if failed_all else 0


def failures(figs: dict[str, Figure]) -> tuple[list[str], list[str]]:
    """Targets not met (a figure with no data and no note is one), and targets not measured (with a note)."""
    for f in figs.values():
        if f.judge == "max" and f.target is not None and f.samples:
            over = sorted(v for v in f.samples if not (v < f.target if f.op == "<" else v <= f.target))
            if over:
                f.notes.append(f"{len(over)} of {len(f.samples)} samples over the target "
                               f"({', '.join(fmt(v, f.unit) for v in over)})")
    failed = [f.label for f in figs.values() if f.verdict() == "FAIL" or (f.verdict() == "NO DATA" and not f.notes)]
    unmeasured = [f.label for f in figs.values() if f.verdict() == "NO DATA" and f.notes]
    return failed, unmeasured


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Benchmark browsing a big table on PostgreSQL and MariaDB "
                                            "(see bench/README.md).")
    p.add_argument("--servers", default="postgres,mysql", help="which servers, in order (default postgres,mysql)")
    add_server_arguments(p)
    browse.add_scenario_arguments(p, default_rows=DEFAULT_ROWS, small_rows=SMALL_ROWS, quick_rows=QUICK_ROWS)
    p.add_argument("--out-dir", type=Path, default=HERE / "results", help="where servers-<server>.json go")
    args = p.parse_args(argv)
    rows = args.rows or (QUICK_ROWS if args.quick else DEFAULT_ROWS)
    reps = args.reps or (1 if args.quick else 3)
    known = {"postgres": Server("postgres", "postgres", "psycopg", args.postgres),
             "mysql": Server("mysql", "mysql", "pymysql", args.mysql)}
    chosen = [s.strip() for s in args.servers.split(",") if s.strip()]
    if not chosen or any(s not in known for s in chosen):
        p.error(f"--servers takes {', '.join(known)} (comma-separated)")
    servers = [known[s] for s in chosen]
    ensure_drivers(servers)
    if not args.no_probe and rows != DEFAULT_ROWS:
        # reactor_probe.py opens the table named `orders`, which holds the 10,000,000 rows only.
        print(f"(the in-process probe needs the {DEFAULT_ROWS:,}-row `orders`: skipped with {rows:,} rows)")
        args.no_probe = True

    code_before = browse.source_fingerprint()
    print(f"rowdesk server benchmark: {rows:,} rows, {reps} rep(s); app source {code_before['sha256']} "
          f"(newest change {code_before['newest_change']} {code_before['newest_file']})", flush=True)
    failed_all = []
    for server in servers:
        started = time.time()
        figs, result = bench_server(server, rows, reps, args)
        failed, unmeasured = failures(figs)
        notes = [(f.label, n) for f in figs.values() for n in dict.fromkeys(f.notes)]
        for label, n in notes:
            print(f"note: {label}: {n}")
        print(f"{result['server']}: {len(failed)} target(s) not met" + (": " + "; ".join(failed) if failed else ""))
        if unmeasured:
            print(f"{result['server']}: {len(unmeasured)} target(s) not measured (see notes): "
                  + "; ".join(unmeasured))
        failed_all += [f"{result['server']}: {label}" for label in failed]
        meta = {"server": result["server"], "target": result["target"], "tables": result["tables"],
                "source_before": code_before, "source_after": browse.source_fingerprint(),
                "rows": rows, "small_rows": args.small_rows, "reps": reps, "terminal": [browse.COLS, browse.ROWS],
                **run_meta(started, args)}
        browse.write_results(args.out_dir / f"servers-{server.key}.json", meta, figs, result["runs"])
    return finish(code_before, failed_all)


if __name__ == "__main__":
    browse.run(main)
