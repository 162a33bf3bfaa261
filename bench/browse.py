#!/usr/bin/env python3
"""Benchmark of browsing a big table, measured from outside as the operator sees it.

    bench/browse.py [--rows 10000000] [--reps 3] [--db-dir /tmp/rowdesk-bench] [--quick]

Each scenario runs `rowdesk DB` in a pseudo-terminal of 120x40 through
tuibench (the shared instrument in ../shared/tools/tuibench, called, not
copied), sends keys and times key -> screen. Every repetition starts fresh
processes. The figures, their targets and how each one is measured are in
bench/README.md. Results: a table on stdout, JSON in bench/results/latest.json.

bench/env.py finds tuibench, installs what is missing (the app's .venv,
tuibench's venv bench/.venv-tuibench) and re-runs the script under tuibench's
Python.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

from env import prepare, project_python, rowdesk_exe  # noqa: E402  (bench/ is on sys.path: the script's folder)

sys.path.insert(0, str(prepare()))          # re-runs this script under tuibench's Python when needed
import psutil  # noqa: E402
from tuibench import Session  # noqa: E402

COLS, ROWS = 120, 40
PAGE = ROWS - 4            # data rows on screen: title, grid header, status line, message line
BUSY = r"Esc cancels"      # the spinner's text at the right of the status line
LIST_TOP = 2               # the Tables list's first row on screen (below the title and the header)
SPINNER_INTERVAL = 0.12    # console.app.SPIN_INTERVAL: one spinner frame every 120 ms
DEFAULT_ROWS = 10_000_000
SMALL_ROWS = 10_000        # the memory baseline
QUICK_ROWS = 200_000


class StepFailed(Exception):
    def __init__(self, step: dict):
        self.step = step
        super().__init__(f"{step.get('name')}: {step.get('error')}")


# ----------------------------------------------------------------------------------------------
# Figures: what is reported, with its target
# ----------------------------------------------------------------------------------------------

@dataclass
class Figure:
    key: str
    label: str
    unit: str                 # "ms", "MB", "%", "x"
    target: float | None      # None: informational
    judge: str = "median"     # which statistic must meet the target: "median" or "max"
    op: str = "<"             # "<" or "<="
    samples: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, value):
        if value is not None:
            self.samples.append(value)

    def stats(self) -> dict:
        if not self.samples:
            return {"n": 0}
        s = sorted(self.samples)
        return {"n": len(s), "median": statistics.median(s), "min": s[0], "max": s[-1],
                "p90": s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]}

    def verdict(self) -> str:
        if self.target is None:
            return "info"
        st = self.stats()
        if not st["n"]:
            return "NO DATA"
        return "PASS" if self.meets(st) else "FAIL"

    def meets(self, st: dict) -> bool:
        """Do the stats *st* (of at least one sample) meet the target?"""
        value = st[self.judge]
        return value < self.target if self.op == "<" else value <= self.target

    def target_text(self) -> str:
        if self.target is None:
            return "—"
        pre = "max " if self.judge == "max" else ""
        return f"{pre}{self.op} {fmt(self.target, self.unit)}"


def fmt(v, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "ms":
        return f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms"
    if unit == "MB":
        return f"{v:.1f} MB"
    if unit == "%":
        return f"{v:.2f} %"
    if unit == "±%":
        return f"{v:+.1f} %"
    if unit == "s":
        return f"{v:.2f} s"
    return f"{v:g}"


def make_figures(rows: int, small: int) -> dict[str, Figure]:
    n = f"{rows:,}"
    figs = [
        Figure("startup", "start → Tables list with orders", "ms", 800),
        Figure("open", f"Enter on orders → first rows ({n} rows)", "ms", 100),
        Figure("pgdn", "PgDn → next page (every press, all reps)", "ms", 30),
        Figure("end", "End → last rows", "ms", 100),
        Figure("sort_indexed", "s on placed_at (indexed) → first page", "ms", 100),
        Figure("filter_indexed", "/=shipped on status (indexed) → first page", "ms", 100),
        Figure("hwm", f"peak memory VmHWM, browse scenario, {n} rows", "MB", 120),
        Figure("hwm_diff", f"VmHWM {n} rows vs {small:,} rows (same scenario)", "±%", 10, op="<="),
        Figure("key_slow", "key (h/l) → screen while slow sort runs", "ms", 50, judge="max"),
        Figure("spinner_stall", "reactor stall seen outside: spinner gap − 120 ms", "ms", 50, judge="max"),
        Figure("esc_cancel", "Esc during slow sort → spinner gone", "ms", 500),
        Figure("probe_lag", "reactor lag in-process during slow sort (5 ms tick)", "ms", 50, judge="max"),
        Figure("idle_cpu", "idle CPU, table open, 5 s", "%", 1),
        # informational
        Figure("tables_quiet", "(info) start → Tables counts done", "ms", None),
        Figure("open_quiet", "(info) Enter → browse count done (spinner gone)", "ms", None),
        Figure("home_from_end", "(info) Home after End → first rows", "ms", None),
        Figure("sort_indexed_desc", "(info) s again → placed_at ▼ first page", "ms", None),
        Figure("filter_sorted", "(info) /=shipped while sorted by placed_at ▼", "ms", None),
        Figure("hwm_small", f"(info) VmHWM browse scenario, {small:,} rows", "MB", None),
        Figure("hwm_slow", "(info) VmHWM of the slow-sort process", "MB", None),
        Figure("key_idle", "(info) key (h/l) → screen, nothing running", "ms", None),
        Figure("spinner_appears", "(info) s on total → spinner shows", "ms", None),
        Figure("probe_idle_lag", "(info) reactor lag in-process, idle", "ms", None),
        Figure("probe_cancel", "(info) in-process Esc → no query running", "ms", None),
        Figure("probe_draw", "(info) longest redraw in-process during slow sort", "ms", None),
        Figure("probe_gc", "(info) longest GC pause in-process during slow sort", "ms", None),
        Figure("neighbours", "(info) CPU of other processes during the rep (% of 1 core)", "%", None),
    ]
    return {f.key: f for f in figs}


class NeighbourCPU(threading.Thread):
    """CPU used by processes that are not this benchmark or its children (other work on the machine
    competes for the same 2 cores and inflates every latency: it is reported next to the figures)."""

    def __init__(self, interval: float = 0.5):
        super().__init__(name="neighbour-cpu", daemon=True)
        self.interval = interval
        self._halt = threading.Event()
        self._last: dict[int, float] = {}
        self._names: dict[int, str] = {}
        self.used: dict[int, float] = {}          # pid -> CPU seconds seen while watching
        self._lock = threading.Lock()

    def run(self):
        self._sample()
        while not self._halt.wait(self.interval):
            self._sample()

    def stop(self):
        self._halt.set()
        self.join(timeout=5)

    def _sample(self):
        me = psutil.Process()
        try:
            mine = {me.pid} | {c.pid for c in me.children(recursive=True)}
        except psutil.Error:
            mine = {me.pid}
        for p in psutil.process_iter(["cpu_times", "cmdline", "name"]):
            if p.pid in mine or p.info["cpu_times"] is None:
                continue
            v = p.info["cpu_times"].user + p.info["cpu_times"].system
            prev = self._last.get(p.pid)
            self._last[p.pid] = v
            if prev is not None and v > prev:
                with self._lock:
                    self.used[p.pid] = self.used.get(p.pid, 0.0) + (v - prev)
                    self._names[p.pid] = " ".join(p.info["cmdline"] or [p.info["name"] or "?"])[:80]

    def snapshot(self) -> tuple[float, list[tuple[float, int, str]]]:
        with self._lock:
            total = sum(self.used.values())
            top = sorted(((v, pid, self._names.get(pid, "?")) for pid, v in self.used.items()), reverse=True)[:3]
        return total, top


# ----------------------------------------------------------------------------------------------
# Databases
# ----------------------------------------------------------------------------------------------

def source_fingerprint() -> dict:
    """Which app code was measured: a hash of console/, widgets/, storage/ and the newest change in them
    (the tree may be edited while a run goes on; the run says so when it happens)."""
    import hashlib

    h = hashlib.sha256()
    newest, newest_file = 0.0, ""
    for pkg in ("console", "widgets", "storage"):
        for f in sorted((REPO / pkg).rglob("*.py")):
            data = f.read_bytes()
            h.update(str(f.relative_to(REPO)).encode() + b"\0" + data)
            m = f.stat().st_mtime
            if m > newest:
                newest, newest_file = m, str(f.relative_to(REPO))
    return {"sha256": h.hexdigest()[:16], "newest_change": time.strftime("%H:%M:%S", time.localtime(newest)),
            "newest_file": newest_file}


def max_id(path: Path, table: str = "orders") -> int | None:
    """max(id) of *table* in a cached benchmark database (its size), None when unreadable."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute(f'SELECT max("id") FROM "{table}"').fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def ensure_db(db_dir: Path, rows: int) -> Path:
    """The cached demo database with *rows* orders, built with `rowdesk demo` when missing."""
    db_dir.mkdir(parents=True, exist_ok=True)
    path = db_dir / f"orders-{rows}.sqlite"
    part = path.with_name(path.name + ".part")
    # Another run (or a hand-started `rowdesk demo`) may be building it: wait instead of restarting it.
    while not path.exists() and part.exists() and time.time() - part.stat().st_mtime < 60:
        print(f"  waiting for {part} (being built by another process)…", file=sys.stderr, flush=True)
        time.sleep(5)
    if path.exists():
        found = max_id(path)
        if found == rows:
            return path
        raise SystemExit(f"{path} has {found} orders, expected {rows}: remove it and run again")
    print(f"building {path} ({rows:,} orders; 10M take about 2 min)…", file=sys.stderr, flush=True)
    subprocess.run([rowdesk_exe(), "demo", "--rows", str(rows), str(path)], check=True)
    return path


# ----------------------------------------------------------------------------------------------
# Driving the app
# ----------------------------------------------------------------------------------------------

class App:
    """One rowdesk process on a pty, with private XDG directories, browsing *table* of *db* (a SQLite file
    or a server URI)."""

    def __init__(self, db: Path | str, table: str = "orders"):
        self.table = table
        self.t = re.escape(table)                  # the table's name as it starts the status line
        self.listed = rf"^{self.t}\s*│table│"     # its row in the Tables list
        self.tmp = tempfile.mkdtemp(prefix="rowdesk-bench-xdg-")
        env = {var: os.path.join(self.tmp, var.lower())
               for var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
        env.pop("NO_COLOR", None)
        self.s = Session([rowdesk_exe(), str(db)], cols=COLS, rows=ROWS, env=env)
        self.summary: dict | None = None

    def __enter__(self):
        self.s.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.summary is None:
            self.summary = self.s.close()
            shutil.rmtree(self.tmp, ignore_errors=True)
        return self.summary

    # -- steps that must succeed -----------------------------------------------------------
    def must(self, step: dict) -> dict:
        if not step["ok"]:
            raise StepFailed(step)
        return step

    def wait(self, name, regex, timeout=30.0, absent=False):
        return self.must(self.s.wait(name, regex, timeout=timeout, absent=absent))

    def measure(self, name, keys, until, timeout=30.0, absent=False) -> float:
        """Seconds from the key to the first screen on which *until* matches."""
        return self.must(self.s.measure(name, keys, until=until, timeout=timeout, absent=absent))["latency"]

    def keys(self, name, keys, after=0.0):
        return self.s.keys(name, keys, after=after)

    def text(self) -> str:
        return self.s.term.text()

    def status(self) -> str:
        return self.s.term.lines()[-2]

    def busy(self) -> bool:
        return re.search(BUSY, self.text()) is not None

    def wait_quiet(self, name, timeout=180.0, hold=0.3) -> float:
        """Wait until no spinner has shown for *hold* s; return when it went away (s since the call)."""
        t0 = time.perf_counter()
        while True:
            left = timeout - (time.perf_counter() - t0)
            step = self.wait(name, BUSY, timeout=max(0.1, left), absent=True)
            gone = t0 + step["t"]
            time.sleep(hold)
            if not self.busy():
                return gone - t0
            if time.perf_counter() - t0 > timeout:
                raise StepFailed({"name": name, "error": f"spinner still showing after {timeout}s"})

    def col(self) -> int:
        m = re.search(r"col (\d+)/\d+", self.status())
        return int(m.group(1)) if m else 0

    def go_to_col(self, col: int) -> None:
        cur = self.col()
        if cur == col:
            return
        self.keys(f"to col {col}", ("l" if col > cur else "h") * abs(col - cur))
        self.wait(f"col {col}", rf"^{self.t} · .*col {col}/")

    def cursor_to_table(self) -> None:
        """Down the Tables list to the table (on a server the list holds other schemas' tables too)."""
        row = next(i for i, line in enumerate(self.s.term.lines()) if re.match(self.listed, line))
        self.keys(f"cursor to {self.table}", "j" * (row - LIST_TOP))


def current_row(app: App) -> int | None:
    m = re.search(r"row ([\d,]+) of", app.status())
    return int(m.group(1).replace(",", "")) if m else None


# ----------------------------------------------------------------------------------------------
# Scenarios
# ----------------------------------------------------------------------------------------------

def scenario_browse(db: Path | str, rows: int, args, table: str = "orders") -> dict:
    """The browse scenario: open, idle, PgDn×N, End, Home, filter, sort; VmHWM at the end."""
    out: dict = {"scenario": "browse", "db": str(db), "table": table, "rows": rows}
    with App(db, table) as app:
        try:
            listed = app.wait("tables listed", app.listed)["t_launch"]
            out["startup"] = listed
            t_call = time.perf_counter()
            gone = app.wait_quiet("tables counted")
            out["tables_quiet"] = t_call - app.s.term.t_launch + gone
            app.cursor_to_table()
            app.must(app.s.calm("cursor moved", quiet=0.3))
            t_enter = time.perf_counter()
            out["open"] = app.measure("open", "<Enter>", rf"^{app.t} · row 1 of")
            t_call = time.perf_counter()
            gone = app.wait_quiet("browse count")
            out["open_quiet"] = t_call - t_enter + gone

            out["idle_cpu"] = app.must(app.s.idle("idle", args.idle_seconds))["cpu_pct"]

            pgdn = []
            cur = current_row(app) or 1
            for i in range(args.presses):
                expected = min(cur + PAGE, rows)
                pgdn.append(app.measure(f"PgDn {i + 1}", "<PageDown>", rf"^{app.t} · row {expected:,} of", timeout=10))
                cur = expected
                time.sleep(args.gap)
            out["pgdn"] = pgdn

            out["end"] = app.measure("End", "<End>", rf"^{app.t} · row (?:\?|{rows:,}) of")
            app.wait_quiet("after End")
            out["home_from_end"] = app.measure("Home", "g", rf"^{app.t} · row 1 of")
            app.wait_quiet("after Home")

            app.go_to_col(3)                                   # status
            app.keys("filter prompt", "/")
            app.wait("prompt", r"^filter status \(text\): *$")
            app.keys("filter text", "=shipped")
            app.wait("typed", r"^filter status \(text\): =shipped")
            out["filter_indexed"] = app.measure("filter status", "<Enter>",
                                                rf"^{app.t} · filter status = shipped · row 1 of")
            app.wait_quiet("filter count")
            app.keys("clear filters", "F")
            app.wait("unfiltered", rf"^{app.t} · row 1 of")
            app.wait_quiet("count after clearing")

            app.go_to_col(4)                                   # placed_at
            out["sort_indexed"] = app.measure("sort placed_at", "s", rf"^{app.t} · sort placed_at ▲ · row 1 of")
            app.wait_quiet("after sort")
            out["sort_indexed_desc"] = app.measure("sort placed_at desc", "s",
                                                   rf"^{app.t} · sort placed_at ▼ · row 1 of")
            app.wait_quiet("after sort desc")
            out["hwm"] = app.s.sample("memory")["root_hwm_mb"]

            # Extra, after the memory sample: a filter on an indexed column under a sort on another one.
            app.go_to_col(3)
            app.keys("filter prompt", "/")
            app.wait("prompt", r"^filter status \(text\): *$")
            app.keys("filter text", "=shipped")
            app.wait("typed", r"^filter status \(text\): =shipped")
            out["filter_sorted"] = app.measure(
                "filter status under sort", "<Enter>",
                rf"^{app.t} · sort placed_at ▼ · filter status = shipped · row 1 of", timeout=120)
            out["ok"] = True
        except StepFailed as e:
            out.update(ok=False, error=str(e), screen=e.step.get("screen") or app.s.term.lines())
        out["resources"] = app.close()
        out["steps"] = app.s.steps
    return out


def scenario_slow(db: Path | str, rows: int, args, table: str = "orders", server=None) -> dict:
    """While a slow sort (unindexed `total`) runs: cheap keys, spinner cadence, then Esc.

    *server*, on a database server (bench/servers.py), watches the sort's statement there: `arm()` just
    before Esc (is it running?), `gone_after(t)` after it (when it was gone, from *t*, the Esc's send time)."""
    out: dict = {"scenario": "slow", "db": str(db), "table": table, "rows": rows}
    with App(db, table) as app:
        try:
            app.wait("tables listed", app.listed)
            app.wait_quiet("tables counted")
            app.cursor_to_table()
            app.must(app.s.calm("cursor moved", quiet=0.3))
            app.measure("open", "<Enter>", rf"^{app.t} · row 1 of")
            app.wait_quiet("browse count")

            # Baseline: the same cheap key with nothing running.
            idle_keys = []
            for i in range(10):
                target = 2 if i % 2 == 0 else 1
                idle_keys.append(app.measure(f"idle key {i}", "l" if target == 2 else "h",
                                             rf"^{app.t} · .*col {target}/", timeout=5))
                time.sleep(args.gap)
            out["key_idle"] = idle_keys

            app.go_to_col(6)                                   # total: not indexed
            sorting = r"sorting by total"

            def is_sorting() -> bool:
                return re.search(sorting, app.text()) is not None

            def sortable(name: str) -> None:
                # `s` cycles ▲, ▼, unsorted on the current column: each ▲ or ▼ is a new full sort on total.
                app.go_to_col(6)
                if re.search(r"sort total ▼", app.status()):
                    app.keys(f"{name}: back to key order", "s")         # the third s: no sort to time
                    app.wait(f"{name}: key order", rf"^{app.t} · (?!sort).*row 1 of", timeout=30)
                    app.wait_quiet(f"{name}: quiet")

            def start_sort(name: str) -> float:
                sortable(name)
                out["sorts_started"] = out.get("sorts_started", 0) + 1
                return app.measure(name, "s", sorting)

            def wait_sort_end() -> None:
                deadline = time.perf_counter() + 120
                while is_sorting() and time.perf_counter() < deadline:
                    time.sleep(0.05)

            def fresh_sort(name: str) -> float:
                # With full statistics the sort takes ~1.3 s on 10M rows: let the running one end and
                # start a new one, so that the phase that follows sees a whole sort, not its tail.
                wait_sort_end()
                return start_sort(name)

            t_sort = time.perf_counter()
            out["spinner_appears"] = start_sort("sort total")
            keys = []
            i = 0
            while time.perf_counter() - t_sort < args.slow_seconds and len(keys) < args.slow_keys:
                if not is_sorting():
                    start_sort(f"sort total again {i}")        # it finished: start another one
                target = 5 if app.col() == 6 else 6
                lat = app.measure(f"key while sorting {i}", "h" if target == 5 else "l",
                                  rf"^{app.t} · .*col {target}/", timeout=5)
                if is_sorting():                # count the key only if the sort ran all along
                    keys.append(lat)
                i += 1
                time.sleep(args.gap)
            out["key_slow"] = keys

            # Reactor stalls seen from outside: with nothing else happening, the spinner repaints
            # every 120 ms; a longer gap between output chunks is time the reactor did not run.
            fresh_sort("sort total for the spinner window")
            t_a = time.perf_counter()
            time.sleep(args.spinner_window)
            t_b = time.perf_counter()
            if is_sorting():
                chunks = [t for t in list(app.s.term.chunk_times) if t_a <= t <= t_b]
                gaps = [y - x for x, y in zip(chunks, chunks[1:])]
                out["spinner_gap_max"] = max(gaps) if gaps else None
                out["spinner_chunks"] = len(chunks)
            else:
                out["spinner_gap_max"] = None
                out["spinner_problem"] = "the sort ended inside the spinner window (table too small)"

            wait_sort_end()
            sortable("sort total before Esc")
            before_sort = app.status()
            start_sort("sort total before Esc")
            time.sleep(0.2)
            if is_sorting():
                if server is not None:
                    out["server_before_esc"] = server.arm()
                esc = app.must(app.s.measure("Esc", "<Esc>", BUSY, absent=True, timeout=10))
                out["esc_cancel"] = esc["latency"]
                if server is not None:
                    sent = app.s.term.t_launch + esc["t_launch"] - esc["latency"]
                    out["server_after_esc"] = server.gone_after(sent)
                status = app.status()
                out["after_cancel_status"] = status
                out["after_cancel_message"] = app.s.term.lines()[-1]
                # Cancelled: the order shown is the one before `s`, not the new one.
                order = re.compile(r"sort \S+ [▲▼]|sorting")
                if order.findall(status) != order.findall(before_sort):
                    out["cancel_problem"] = f"status after Esc: {status!r} (before the sort: {before_sort!r})"
                # Keys still work and the screen is the browse screen, not the Tables list.
                target = 5 if app.col() == 6 else 6
                app.measure("key after cancel", "h" if target == 5 else "l", rf"^{app.t} · .*col {target}/",
                            timeout=5)
            else:
                out["esc_cancel"] = None
                out["cancel_problem"] = "the sort finished before Esc could be pressed (table too small)"
            out["hwm_slow"] = app.s.sample("memory")["root_hwm_mb"]
            out["ok"] = True
        except StepFailed as e:
            out.update(ok=False, error=str(e), screen=e.step.get("screen") or app.s.term.lines())
        out["resources"] = app.close()
        out["steps"] = app.s.steps
    return out


def scenario_probe(db: Path, args) -> dict:
    tmp = tempfile.mkdtemp(prefix="rowdesk-bench-xdg-")
    env = dict(os.environ)
    for var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[var] = os.path.join(tmp, var.lower())
    cmd = [project_python(), str(HERE / "reactor_probe.py"), str(db), "--seconds", str(args.slow_seconds),
           "--cols", str(COLS), "--rows", str(ROWS)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=str(REPO))
        try:
            out = json.loads(p.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            out = {"ok": False, "error": f"probe exit {p.returncode}: {p.stderr.strip()[-2000:]}"}
    except subprocess.TimeoutExpired:
        out = {"ok": False, "error": "probe timed out"}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out["scenario"] = "probe"
    return out


# ----------------------------------------------------------------------------------------------
# Collecting and reporting
# ----------------------------------------------------------------------------------------------

def collect(figs: dict[str, Figure], big: dict, small: dict | None, slow: dict, probe: dict | None) -> None:
    ms = 1000.0
    for key in ("startup", "open", "end", "sort_indexed", "filter_indexed", "tables_quiet", "open_quiet",
                "home_from_end", "sort_indexed_desc", "filter_sorted"):
        if big.get(key) is not None:
            figs[key].add(big[key] * ms)
    for v in big.get("pgdn", []):
        figs["pgdn"].add(v * ms)
    figs["idle_cpu"].add(big.get("idle_cpu"))
    figs["hwm"].add(big.get("hwm"))
    if small is not None:
        figs["hwm_small"].add(small.get("hwm"))
        if big.get("hwm") and small.get("hwm"):
            figs["hwm_diff"].add(abs(big["hwm"] / small["hwm"] - 1) * 100)
    for v in slow.get("key_slow", []):
        figs["key_slow"].add(v * ms)
    if slow.get("ok") and not slow.get("key_slow"):
        figs["key_slow"].notes.append("no key could be timed while the sort ran (it ended first: table too small)")
    for v in slow.get("key_idle", []):
        figs["key_idle"].add(v * ms)
    if slow.get("spinner_gap_max") is not None:
        figs["spinner_stall"].add(max(0.0, slow["spinner_gap_max"] - SPINNER_INTERVAL) * ms)
    if slow.get("spinner_problem"):
        figs["spinner_stall"].notes.append(slow["spinner_problem"])
    if slow.get("esc_cancel") is not None:
        figs["esc_cancel"].add(slow["esc_cancel"] * ms)
    if slow.get("spinner_appears") is not None:
        figs["spinner_appears"].add(slow["spinner_appears"] * ms)
    figs["hwm_slow"].add(slow.get("hwm_slow"))
    if slow.get("cancel_problem"):
        figs["esc_cancel"].notes.append(slow["cancel_problem"])
    if probe and probe.get("ok"):
        slow_p = probe.get("slow") or {}
        if slow_p.get("ticks"):
            figs["probe_lag"].add(slow_p["max_ms"])
        if (probe.get("idle") or {}).get("ticks"):
            figs["probe_idle_lag"].add(probe["idle"]["max_ms"])
        if probe.get("cancel"):
            figs["probe_cancel"].add(probe["cancel"]["esc_to_idle_ms"])
        if probe.get("gc", {}).get("collections"):
            figs["probe_gc"].add(probe["gc"]["max_ms"])
        if probe.get("draws", {}).get("count"):
            figs["probe_draw"].add(probe["draws"]["max_ms"])
        if probe.get("cancel") is None:
            figs["probe_cancel"].notes.append("no sort was running when Esc was to be pressed (table too small)")
    elif probe is not None:
        figs["probe_lag"].notes.append(probe.get("error", "probe failed"))


def table(figs: dict[str, Figure]) -> str:
    head = ("figure", "median", "min … max", "n", "target", "result")
    lines = []
    for f in figs.values():
        st = f.stats()
        if st["n"]:
            row = (f.label, fmt(st["median"], f.unit), f"{fmt(st['min'], f.unit)} … {fmt(st['max'], f.unit)}",
                   str(st["n"]), f.target_text(), f.verdict())
        else:
            row = (f.label, "—", "—", "0", f.target_text(), f.verdict())
        lines.append(row)
    widths = [max(len(r[i]) for r in [head, *lines]) for i in range(len(head))]

    def render(r):
        return "  ".join(c.ljust(w) if i in (0, 4, 5) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    out = [render(head), "  ".join("-" * w for w in widths)]
    out += [render(r) for r in lines]
    return "\n".join(out)


def add_scenario_arguments(p: argparse.ArgumentParser, *, default_rows: int, small_rows: int, quick_rows: int) -> None:
    """The options of the browse scenarios (this script's, and bench/servers.py's on the servers)."""
    p.add_argument("--rows", type=int, default=None, help=f"rows of the big table (default {default_rows:,})")
    p.add_argument("--small-rows", type=int, default=small_rows, help="rows of the memory baseline table")
    p.add_argument("--reps", type=int, default=None, help="fresh-process repetitions of every scenario (default 3)")
    p.add_argument("--quick", action="store_true", help=f"smoke check: {quick_rows:,} rows, 1 rep")
    p.add_argument("--presses", type=int, default=20, help="PgDn presses per run")
    p.add_argument("--gap", type=float, default=0.1, help="pause between timed key presses (s)")
    p.add_argument("--idle-seconds", type=float, default=5.0)
    p.add_argument("--slow-seconds", type=float, default=5.0, help="how long to press keys during the slow sort")
    p.add_argument("--slow-keys", type=int, default=30, help="at most this many keys during the slow sort")
    p.add_argument("--spinner-window", type=float, default=0.9,
                   help="seconds of spinner alone (no keys) in which gaps between frames are measured")
    p.add_argument("--no-probe", action="store_true", help="skip the in-process reactor probe")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Benchmark browsing a big table in rowdesk (see bench/README.md).")
    p.add_argument("--db-dir", type=Path, default=Path("/tmp/rowdesk-bench"), help="cache of demo databases")
    add_scenario_arguments(p, default_rows=DEFAULT_ROWS, small_rows=SMALL_ROWS, quick_rows=QUICK_ROWS)
    p.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = p.parse_args(argv)
    rows = args.rows or (QUICK_ROWS if args.quick else DEFAULT_ROWS)
    reps = args.reps or (1 if args.quick else 3)

    big_db = ensure_db(args.db_dir, rows)
    small_db = ensure_db(args.db_dir, args.small_rows)
    figs = make_figures(rows, args.small_rows)
    runs = []
    started = time.time()
    print(f"rowdesk browse benchmark: {rows:,} rows ({big_db}), baseline {args.small_rows:,} rows, "
          f"{reps} rep(s), terminal {COLS}x{ROWS}", flush=True)
    code_before = source_fingerprint()
    print(f"app source {code_before['sha256']} (newest change {code_before['newest_change']} "
          f"{code_before['newest_file']})", flush=True)
    watch = NeighbourCPU()
    watch.start()
    for rep in range(1, reps + 1):
        rep_t0, (rep_cpu0, _) = time.perf_counter(), watch.snapshot()
        print(f"rep {rep}/{reps}: browse {rows:,}…", end="", flush=True)
        big = scenario_browse(big_db, rows, args)
        print(f" browse {args.small_rows:,}…", end="", flush=True)
        small = scenario_browse(small_db, args.small_rows, args)
        print(" slow sort…", end="", flush=True)
        slow = scenario_slow(big_db, rows, args)
        probe = None
        if not args.no_probe:
            print(" probe…", end="", flush=True)
            probe = scenario_probe(big_db, args)
        print(" done", flush=True)
        report_failures(big, small, slow, probe)
        collect(figs, big, small, slow, probe)
        neighbours = neighbours_during(watch, figs, rep_t0, rep_cpu0)
        runs.append({"rep": rep, "browse": big, "browse_small": small, "slow": slow, "probe": probe,
                     "neighbour_cpu_pct": neighbours})
    watch.stop()
    code_after = source_fingerprint()
    if code_after != code_before:
        print(f"  !! the app source changed during the run ({code_before['sha256']} -> {code_after['sha256']}, "
              f"{code_after['newest_file']} at {code_after['newest_change']}): figures mix two versions", flush=True)

    print()
    print(table(figs))
    for f in figs.values():
        if f.judge == "max" and f.target is not None and f.samples:
            over = sum(1 for v in f.samples if not (v < f.target if f.op == "<" else v <= f.target))
            if over:
                f.notes.append(f"{over} of {len(f.samples)} samples over the target "
                               f"({', '.join(fmt(v, f.unit) for v in sorted(f.samples)[-over:])})")
    notes = [(f.label, n) for f in figs.values() for n in dict.fromkeys(f.notes)]
    if notes:
        print()
        for label, n in notes:
            print(f"note: {label}: {n}")
    # A figure with no data is a failure, unless a note says why it could not be measured
    # (e.g. --quick: on a small table the "slow" sort ends before a key can be timed).
    failed = [f.label for f in figs.values() if f.verdict() == "FAIL" or (f.verdict() == "NO DATA" and not f.notes)]
    unmeasured = [f.label for f in figs.values() if f.verdict() == "NO DATA" and f.notes]
    print()
    print(f"{len(failed)} target(s) not met" + (": " + "; ".join(failed) if failed else ""))
    if unmeasured:
        print(f"{len(unmeasured)} target(s) not measured (see notes): " + "; ".join(unmeasured))

    meta = {"source_before": code_before, "source_after": code_after,
            "rows": rows, "small_rows": args.small_rows, "reps": reps, "terminal": [COLS, ROWS],
            "big_db": str(big_db), "small_db": str(small_db),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "took_s": time.time() - started, "host": platform.node(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "args": {k: str(v) for k, v in vars(args).items()},
            "neighbour_cpu_top": [{"cpu_s": v, "pid": pid, "cmd": name} for v, pid, name in watch.snapshot()[1]]}
    write_results(args.out, meta, figs, runs)
    return 1 if failed else 0


def report_failures(*results) -> None:
    """Say which scenarios of a rep failed, with the screen at the failure."""
    for r in results:
        if r is not None and not r.get("ok", False):
            print(f"  !! {r['scenario']} ({r.get('rows', '')}) failed: {r.get('error')}", flush=True)
            if r.get("screen"):
                print("     screen at the failure:\n       " + "\n       ".join(r["screen"]), flush=True)


def neighbours_during(watch: NeighbourCPU, figs: dict[str, Figure], rep_t0: float, rep_cpu0: float) -> float:
    """The CPU other processes used during a rep (% of a core), recorded as a figure; a warning above 10 %."""
    cpu, top = watch.snapshot()
    neighbours = 100.0 * (cpu - rep_cpu0) / (time.perf_counter() - rep_t0)
    figs["neighbours"].add(neighbours)
    if neighbours > 10:
        print(f"  !! other processes used {neighbours:.0f} % of a core during this rep; busiest so far: "
              + "; ".join(f"pid {pid} {v:.1f} s {name}" for v, pid, name in top), flush=True)
    return neighbours


def run(main) -> None:
    """The entry point of every bench script: its exit status, 130 on ^C, 2 with the traceback on a bug."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        traceback.print_exc()
        sys.exit(2)


def write_results(path: Path, meta: dict, figs: dict[str, Figure], runs: list) -> None:
    """Everything measured, as JSON: meta, every figure with its samples and verdict, every run."""
    result = {
        "meta": meta,
        "figures": {k: {"label": f.label, "unit": f.unit, "target": f.target, "judge": f.judge, "op": f.op,
                        "verdict": f.verdict(), **f.stats(), "samples": f.samples, "notes": f.notes}
                    for k, f in figs.items()},
        "runs": runs,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    print(f"JSON: {path}")


if __name__ == "__main__":
    run(main)
