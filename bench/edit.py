#!/usr/bin/env python3
"""Benchmark of saving rows (issue 11) on a 10,000,000-row table on SQLite, PostgreSQL and MariaDB, measured as
the operator sees it.

    bench/edit.py [--engines sqlite,postgres,mysql] [--reps 3] [--quick] [--saves 5]

Each repetition starts `rowdesk TARGET` in a pseudo-terminal of 120x40 through tuibench (the shared instrument,
called, not copied; bench/browse.py drives it), opens `orders`, and on rows near the top, then after End on the
last rows: `e` (timed until the form shows the row), Tab to `note`, a marker typed into it, `ctrl s` (timed until
the grid shows the marker in that row and the message line says `saved`); `E` on the next row, the marker typed
into the prompt, Enter (timed until the grid shows it, `saved note`). Then, in a process of the app's own Python
(this file run with `--app-python-helper`), Database.update_row is timed against the same write without the
conflict check. Every value written is a marker in `note` of a row the bench read first; each row gets its
original value back after every repetition (and from bench/results/edit-*.restore.json if a run was killed).

The tables: the demo SQLite file `DB_DIR/orders-N.sqlite` (bench/browse.py builds it with `rowdesk demo`), and
the `orders` tables of bench/servers.py (bench/server_tables.py builds them in the schema / database
rowdesk_bench). Figures, targets and how each is measured: bench/README.md. Results: a table per engine on
stdout, JSON in bench/results/edit-<engine>.json; the exit status is 1 when a target is not met.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HELPER = "--app-python-helper"        # argv[1] of the in-process part, run with the app's interpreter
ENV_TARGET = "ROWDESK_BENCH_TARGET"   # what the helper opens: in its environment, never in argv (passwords)
COLUMN = "note"                       # the column written (text, nullable, in every engine's orders)
KEY = "id"                            # the key of orders: ids 1..N, so that row r of the key order is id r
DEFAULT_ROWS = 10_000_000
QUICK_ROWS = 200_000
PROBE_ROWS = 50                       # the page the in-process probe fetches and writes to
TARGET_MS = 50.0                      # e -> form, ctrl s -> grid (issue 11)
CHECK_TARGET_MS = 5.0                 # what the conflict check may add to a save


# ================================================================================================================
# The in-process part: run with the app's Python (`.venv/bin/python bench/edit.py --app-python-helper ...`).
# Only the standard library is imported at the top of this file, so that both interpreters can load it.
# ================================================================================================================

def _call(db, method, *args, **kwargs):
    """A threaded Database method run synchronously in this thread (its `.in_thread` form), on a job of its
    own, whose connection goes back to the pool afterwards (as storage.jobs does after each job)."""
    from storage.jobs import Job

    job = Job(method.__name__)
    try:
        return method.in_thread(db, job, *args, **kwargs)
    finally:
        if job.lease is not None:
            job.lease.close()


def _open(name: str):
    sys.path.insert(0, str(REPO))
    from twisted.internet import reactor

    from storage.database import Database
    from storage.targets import parse_target

    db = Database(parse_target(os.environ[ENV_TARGET]), reactor)
    try:
        table = _call(db, db.describe, name)
        if list(table.identity.columns) != [KEY] or COLUMN not in table.column_names:
            raise SystemExit(f"{name}: expected the key {KEY} and a column {COLUMN}; found key "
                             f"{list(table.identity.columns)} and columns {table.column_names}")
    except BaseException:
        db.close()
        raise
    return db, table


def _restore(db, table, originals: dict) -> int:
    """Every row of *originals* (id -> value) given back its value, in one transaction; rows changed."""
    d = db.dialect
    sql = f"UPDATE {d.table(table.schema, table.name)} SET {d.quote(COLUMN)} = ? WHERE {d.quote(KEY)} = ?"
    counts = _call(db, db.write, [(sql, (value, int(key))) for key, value in originals.items()])
    return sum(counts)


def helper_read(db, table, ids: list[int]) -> dict:
    out = {}
    for i in ids:
        row = _call(db, db.read_row, table, (i,))
        if row is None:
            raise SystemExit(f"{table.display}: no row with {KEY} = {i}")
        out[str(i)] = row.get(table, COLUMN)
    return {"values": out}


def helper_probe(db, table, rounds: int, warmup: int) -> dict:
    """Database.update_row (the locked re-read, the compare, the write of the changed column, the read-back, in
    one transaction) against the same transaction without the re-read and compare, interleaved on the same rows.
    Also timed: Database.write + read_row (the public calls without the check), update_row with a journal (as
    the app saves), and the locked re-read + compare alone, inside update_row."""
    import itertools

    from storage import edits, writes
    from storage.journal import Journal
    from storage.lease import Lease
    from storage.paging import View

    page = _call(db, db.fetch, View(table), None, limit=PROBE_ROWS)
    identity = table.identity
    rows = [edits.Row(tuple(r), m[-1] if identity.hidden is not None and not identity.columns else None)
            for r, m in zip(page.rows, page.marks, strict=True)]
    if len(rows) < 4:
        raise SystemExit(f"{table.display}: only {len(rows)} rows")
    originals = {str(r.get(table, KEY)): r.get(table, COLUMN) for r in rows}
    journal_dir = tempfile.mkdtemp(prefix="rowdesk-bench-journal-")
    journal = Journal(Path(journal_dir) / "journal.sqlite")

    # The check's own statements, timed where update_row runs them (edits.Rows.update calls both by name).
    inner: list[float] = []
    real_read, real_same_row = edits.Rows.read, edits.same_row

    def timed_read(self, run, key, *, lock):
        if not lock:
            return real_read(self, run, key, lock=lock)
        t = time.perf_counter()
        try:
            return real_read(self, run, key, lock=lock)
        finally:
            inner.append(time.perf_counter() - t)

    def timed_same_row(a, b):
        t = time.perf_counter()
        try:
            return real_same_row(a, b)
        finally:
            inner.append(time.perf_counter() - t)
    edits.Rows.read, edits.same_row = timed_read, timed_same_row

    def checked(mine, value):
        db.journal = None
        return _call(db, db.update_row, table, mine, {COLUMN: value})

    def journaled(mine, value):
        db.journal = journal
        try:
            return _call(db, db.update_row, table, mine, {COLUMN: value})
        finally:
            db.journal = None

    def plain(mine, value):
        """update_row's transaction without the check: the UPDATE of the column and the read-back."""
        from storage.jobs import Job

        job = Job("plain write")
        job.lease = Lease(db.backend, job)
        try:
            r = edits.Rows(db.backend, table)
            key = r.key(mine)
            where, params = r.where(key)
            sql = f"UPDATE {r.name} SET {db.dialect.quote(COLUMN)} = ? WHERE {where}"

            def body(run):
                if run(sql, (value, *params)).rowcount != 1:
                    raise SystemExit(f"plain write: not one row for {key}")
                return r.read(run, key, lock=False)
            return writes.in_transaction(db.backend, job.lease, db.dialect, body, label=job.label)
        finally:
            job.lease.close()

    def public(mine, value):
        """Database.write (one transaction: the UPDATE) and Database.read_row, on one job's connection."""
        from storage.jobs import Job

        job = Job("write and read back")
        try:
            d = db.dialect
            key = db.row_key(table, mine)
            db.write.in_thread(db, job, [(f"UPDATE {d.table(table.schema, table.name)} SET {d.quote(COLUMN)} = ? "
                                          f"WHERE {d.quote(KEY)} = ?", (value, *key))])
            return db.read_row.in_thread(db, job, table, key)
        finally:
            if job.lease is not None:
                job.lease.close()

    variants = {"check": checked, "plain": plain, "public": public, "journal": journaled}
    samples: dict[str, list[float]] = {k: [] for k in variants}
    samples["inner"] = []
    paired: list[float] = []
    orders = list(itertools.permutations(variants))       # each variant first, second, ... equally often
    try:
        for n in range(warmup + rounds):
            i = (len(rows) - 1 - n % len(rows)) if n < warmup else (n - warmup) % len(rows)
            took = {}
            for v in orders[n % len(orders)]:
                value = f"rdbp{n}{v[0]}"
                del inner[:]
                t = time.perf_counter()
                after = variants[v](rows[i], value)
                took[v] = time.perf_counter() - t
                if after is None or after.get(table, COLUMN) != value:
                    raise SystemExit(f"{v}: the row read back holds {after and after.get(table, COLUMN)!r}, "
                                     f"not {value!r}")
                rows[i] = after
                if v == "check" and n >= warmup:
                    samples["inner"].append(sum(inner) * 1000)
            if n >= warmup:
                for v, s in took.items():
                    samples[v].append(s * 1000)
                paired.append((took["check"] - took["plain"]) * 1000)
    finally:
        edits.Rows.read, edits.same_row = real_read, real_same_row
        db.journal = None
        restored = _restore(db, table, originals)
        journal.close()
        shutil.rmtree(journal_dir, ignore_errors=True)
    return {"samples": samples, "paired_ms": paired, "rounds": rounds, "warmup": warmup, "rows": len(rows),
            "restored": restored, "engine": db.dialect.name}


def helper_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="edit.py " + HELPER)
    p.add_argument("action", choices=("read", "restore", "probe"))
    p.add_argument("table")
    p.add_argument("--rounds", type=int, default=60)
    p.add_argument("--warmup", type=int, default=3)
    args = p.parse_args(argv)
    code = 0
    try:
        db, table = _open(args.table)
        try:
            if args.action == "read":
                out = helper_read(db, table, json.loads(sys.stdin.read()))
            elif args.action == "restore":
                out = {"restored": _restore(db, table, json.loads(sys.stdin.read()))}
            else:
                out = helper_probe(db, table, args.rounds, args.warmup)
        finally:
            db.close()
        out["ok"] = True
    except BaseException as e:  # noqa: BLE001 - said in the JSON, with the exit status
        import traceback

        traceback.print_exc()
        out = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        code = 1
    print(json.dumps(out, default=str))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)                    # never hang on a worker thread left behind by a failure


# ================================================================================================================
# The benchmark: run with tuibench's Python (bench/env.py re-runs this script with it)
# ================================================================================================================

@dataclass
class Engine:
    key: str               # sqlite, postgres, mysql
    name: str              # as printed: "SQLite 3.40.1", "PostgreSQL 15.20"
    target: str            # what rowdesk is given
    shown: str             # the target as printed (no password)
    table: str             # the table as the Tables list and the status line name it
    rows: int


def figures(rows: int):
    from browse import Figure

    n = f"{rows:,}"
    figs = [
        Figure("form_open", f"e → form shown (every press; {n} rows)", "ms", TARGET_MS),
        Figure("save_form", "ctrl s → grid shows the saved value (every press)", "ms", TARGET_MS),
        Figure("save_quick", "E … Enter → grid shows the saved value (every press)", "ms", TARGET_MS),
        Figure("check", "conflict check adds, per save (in-process, median of the rounds)", "ms", CHECK_TARGET_MS),
        # informational
        Figure("form_open_end", "(info) e → form, after End (last rows)", "ms", None),
        Figure("save_form_end", "(info) ctrl s → grid, after End", "ms", None),
        Figure("save_quick_end", "(info) E … Enter → grid, after End", "ms", None),
        Figure("save_first", "(info) first ctrl s of each process (cold)", "ms", None),
        Figure("quick_prompt", "(info) E → prompt shown", "ms", None),
        Figure("open", "(info) Enter on the table → first rows", "ms", None),
        Figure("ip_check", "(info) in-process Database.update_row (check, write, read back)", "ms", None),
        Figure("ip_plain", "(info) in-process the same transaction without the check", "ms", None),
        Figure("ip_inner", "(info) in-process the check itself: locked re-read + compare", "ms", None),
        Figure("ip_paired", "(info) in-process update_row − plain, paired per round", "ms", None),
        Figure("ip_public", "(info) in-process Database.write + read_row (no check)", "ms", None),
        Figure("ip_journal", "(info) in-process update_row with the journal (as the app saves)", "ms", None),
        Figure("neighbours", "(info) CPU of other processes during the rep (% of 1 core)", "%", None),
        Figure("server_cpu", "(info) CPU of the database server during the rep (% of 1 core; all its clients)",
               "%", None),
    ]
    return {f.key: f for f in figs}


def helper(engine: Engine, action: str, table: str, payload=None, extra: tuple = (), timeout: float = 900) -> dict:
    from env import project_python

    tmp = tempfile.mkdtemp(prefix="rowdesk-bench-xdg-")
    env = {**os.environ, ENV_TARGET: engine.target}
    for var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[var] = os.path.join(tmp, var.lower())
    try:
        p = subprocess.run([project_python(), str(Path(__file__).resolve()), HELPER, action, table, *extra],
                           input=json.dumps(payload) if payload is not None else "", capture_output=True,
                           text=True, env=env, cwd=str(REPO), timeout=timeout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        out = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        out = {"ok": False, "error": f"exit {p.returncode}"}
    if not out.get("ok"):
        out["stderr"] = p.stderr.strip()[-3000:]
    return out


def must(out: dict, what: str) -> dict:
    if not out.get("ok"):
        raise SystemExit(f"bench: {what} failed: {out.get('error')}\n{out.get('stderr', '')}")
    return out


# ----------------------------------------------------------------------------------------------------------------
# What the data held before, given back afterwards
# ----------------------------------------------------------------------------------------------------------------

class Originals:
    """The values of `note` in the rows the bench writes to, read before the first write, kept in a file until
    they are written back (a run killed half-way is mended by the next one)."""

    def __init__(self, engine: Engine, out_dir: Path, ids: list[int]):
        self.engine = engine
        self.path = out_dir / f"edit-{engine.key}-{engine.rows}.restore.json"
        self.ids = ids
        self.values: dict[str, object] = {}

    def take(self) -> None:
        if self.path.exists():
            left = json.loads(self.path.read_text())
            print(f"   a run before this one left markers in {len(left['values'])} rows: writing their values back "
                  f"({self.path.name})", flush=True)
            must(helper(self.engine, "restore", left["table"], left["values"]), "restoring what a run left")
            self.path.unlink()
        self.values = must(helper(self.engine, "read", self.engine.table, self.ids), "reading the rows")["values"]
        marked = [k for k, v in self.values.items() if isinstance(v, str) and re.fullmatch(r"rdb\w+", v)]
        if marked:
            raise SystemExit(f"bench: rows {', '.join(marked[:5])} of {self.engine.table} hold a bench marker and no "
                             f"restore file says what they held: set them back by hand")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"target": self.engine.shown, "table": self.engine.table,
                                         "column": COLUMN, "values": self.values}, ensure_ascii=False))

    def give_back(self) -> int:
        return must(helper(self.engine, "restore", self.engine.table, self.values), "restoring the rows")["restored"]

    def done(self) -> None:
        self.give_back()
        self.path.unlink(missing_ok=True)


# ----------------------------------------------------------------------------------------------------------------
# The scenario, in the app
# ----------------------------------------------------------------------------------------------------------------

def _no_flow_control(app) -> None:
    """`stty -ixon` on the app's terminal: ^S and ^Q reach the program instead of stopping the output."""
    import termios

    tty = os.readlink(f"/proc/{app.s.term.proc.pid}/fd/0")
    fd = os.open(tty, os.O_RDWR | os.O_NOCTTY)
    try:
        attrs = termios.tcgetattr(fd)
        attrs[0] &= ~termios.IXON
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
    finally:
        os.close(fd)


def _flow_control(app) -> dict:
    import termios

    tty = os.readlink(f"/proc/{app.s.term.proc.pid}/fd/0")
    fd = os.open(tty, os.O_RDWR | os.O_NOCTTY)
    try:
        attrs = termios.tcgetattr(fd)
    finally:
        os.close(fd)
    stop = attrs[6][termios.VSTOP]
    return {"ixon": bool(attrs[0] & termios.IXON), "stop": stop if isinstance(stop, int) else ord(stop)}


def journal_entries(app) -> dict:
    """What the app wrote to its journal ($XDG_DATA_HOME/rowdesk/journal.sqlite, private to this process)."""
    path = Path(app.tmp) / "xdg_data_home" / "rowdesk" / "journal.sqlite"
    if not path.exists():
        return {"file": False}
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT state, count(*) FROM entries GROUP BY state").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as e:
        return {"file": True, "error": str(e)}
    return {"file": True, "states": dict(found), "entries": sum(n for _, n in found)}


def scenario(engine: Engine, originals: dict, rep: int, args) -> dict:
    import browse
    from browse import StepFailed

    out: dict = {"scenario": "edit", "rep": rep, "table": engine.table, "rows": engine.rows, "presses": []}
    rows = engine.rows
    with browse.App(engine.target, engine.table) as app:
        t = app.t

        def quiet():
            if app.busy():
                app.wait_quiet("quiet", hold=0.1)

        def status_row(r: int) -> str:
            return rf"^{t} · (?:[^\n]* · )?row {r:,} of"

        def grid_shows(r: int, marker: str, message: str) -> str:
            # The row's line in the grid (its id first, the note last) holding the marker, the browse screen's
            # status line on that row, and the message line.
            return rf"(?s)^ *{r}│[^\n]*│{marker} *$.*{status_row(r)}[^\n]*\n{message} *$"

        def original(r: int):
            if str(r) not in originals:
                raise StepFailed({"name": f"row {r}", "error": f"row {r} is not among the rows read first"})
            return originals[str(r)]

        def to_note() -> None:
            for _ in range(12):
                m = re.search(r"· field (\S+) ·", app.status())
                if m and m.group(1) == COLUMN:
                    return
                app.keys("Tab", "<Tab>")
                app.wait("next field", rf"· field (?!{re.escape(m.group(1) if m else '')} ·)\S+ ·", timeout=5)
            raise StepFailed({"name": "Tab to note", "error": "no field note in the form",
                              "screen": app.s.term.lines()})

        def form_save(r: int, where: str, first: bool) -> None:
            quiet()
            marker = f"rdb{rep}{where[0]}f{r % 1000}"
            press = {"row": r, "where": where, "kind": "form", "marker": marker}
            press["open"] = app.measure(f"e on row {r}", "e",
                                        rf"(?s)^ {KEY} +[^\n]*key +{r} *$.*^ {COLUMN} .*^edit · {t} · row {r:,} ·",
                                        timeout=15)
            to_note()
            old = original(r)
            typed = ("<Backspace>" * len(old) if old else "") + marker
            app.keys("type the marker", typed)
            app.wait("typed", rf"^\*{COLUMN} .* {marker} *$", timeout=10)
            saved = grid_shows(r, marker, "saved")
            if first:
                # As the terminal comes: is ^S the program's key, or the terminal's XOFF (flow control)?
                press["flow_control"] = _flow_control(app)
                step = app.s.measure(f"ctrl s on row {r} (terminal as it comes)", "<C-s>", saved, timeout=3)
                press["ctrl_s_delivered"] = step["ok"]
                if step["ok"]:
                    press["save"] = step["latency"]
                else:
                    press["screen_after_ctrl_s"] = app.s.term.lines()
                    app.keys("XON: the output goes on", "<C-q>")
                    _no_flow_control(app)
                    time.sleep(0.3)
                    press["save"] = app.measure(f"ctrl s on row {r} (stty -ixon)", "<C-s>", saved, timeout=15)
            else:
                press["save"] = app.measure(f"ctrl s on row {r}", "<C-s>", saved, timeout=15)
            out["presses"].append(press)

        def quick_save(r: int, where: str) -> None:
            quiet()
            marker = f"rdb{rep}{where[0]}q{r % 1000}"
            press = {"row": r, "where": where, "kind": "quick", "marker": marker}
            # The prompt: `note = `, or `note = <hint>: ` when the column has a hint, then the text.
            press["prompt"] = app.measure(f"E on row {r}", "E", rf"^{COLUMN} = ", timeout=15)
            app.keys("clear the prompt", "<C-u>")
            app.keys("type the marker", marker)
            app.wait("typed", rf"^{COLUMN} = (?:[^\n]*: )?{marker} *$", timeout=10)
            press["save"] = app.measure(f"Enter on row {r}", "<Enter>", grid_shows(r, marker, f"saved {COLUMN}"),
                                        timeout=15)
            out["presses"].append(press)

        def move(key: str, r: int) -> None:
            app.keys(key, key)
            app.wait(f"row {r}", status_row(r), timeout=15)
            time.sleep(args.gap)

        def segment(where: str, start: int, step: int) -> None:
            r = start
            for i in range(args.saves):
                form_save(r, where, first=(where == "top" and i == 0))
                move("j" if step > 0 else "k", r + step)
                r += step
                quick_save(r, where)
                if i < args.saves - 1:
                    move("j" if step > 0 else "k", r + step)
                    r += step

        try:
            app.wait("tables listed", app.listed, timeout=60)
            app.wait_quiet("tables counted")
            app.cursor_to_table()
            app.must(app.s.calm("cursor moved", quiet=0.3))
            out["open"] = app.measure("open", "<Enter>", rf"^{t} · row 1 of", timeout=60)
            app.wait_quiet("browse count")
            m = re.search(r"col \d+/(\d+)", app.status())
            app.go_to_col(int(m.group(1)) if m else 8)           # note: the last column of orders
            segment("top", 1, 1)
            time.sleep(args.gap)
            quiet()
            app.measure("End", "<End>", rf"^{t} · row (?:\?|{rows:,}) of", timeout=60)
            app.wait_quiet("after End")
            if browse.current_row(app) != rows:
                raise StepFailed({"name": "End", "error": f"status after End: {app.status()!r}",
                                  "screen": app.s.term.lines()})
            segment("end", rows, -1)
            out["journal"] = journal_entries(app)
            out["ok"] = True
        except StepFailed as e:
            out.update(ok=False, error=str(e), screen=e.step.get("screen") or app.s.term.lines())
            out["journal"] = journal_entries(app)
        out["resources"] = app.close()
        out["steps"] = app.s.steps
    return out


def collect(figs: dict, ui: dict, probe: dict | None) -> None:
    ms = 1000.0
    if ui.get("open") is not None:
        figs["open"].add(ui["open"] * ms)
    for p in ui.get("presses", []):
        end = p["where"] == "end"
        if p["kind"] == "form":
            figs["form_open"].add(p["open"] * ms)
            if p.get("save") is not None:
                figs["save_form"].add(p["save"] * ms)
                if end:
                    figs["save_form_end"].add(p["save"] * ms)
                if "ctrl_s_delivered" in p:
                    figs["save_first"].add(p["save"] * ms)
            if end:
                figs["form_open_end"].add(p["open"] * ms)
        else:
            figs["quick_prompt"].add(p["prompt"] * ms)
            if p.get("save") is not None:
                figs["save_quick"].add(p["save"] * ms)
                if end:
                    figs["save_quick_end"].add(p["save"] * ms)
    if probe is None:
        return
    if not probe.get("ok"):
        figs["check"].notes.append(f"the in-process probe failed: {probe.get('error')}")
        return
    s = probe["samples"]
    figs["check"].add(statistics.median(s["check"]) - statistics.median(s["plain"]))
    for key, name in (("ip_check", "check"), ("ip_plain", "plain"), ("ip_inner", "inner"), ("ip_public", "public"),
                      ("ip_journal", "journal")):
        for v in s[name]:
            figs[key].add(v)
    for v in probe["paired_ms"]:
        figs["ip_paired"].add(v)


def make_engines(args) -> list[Engine]:
    import browse
    import servers

    chosen, found = servers.chosen_engines(args)
    engines = []
    for key in chosen:
        if key == "sqlite":
            db = browse.ensure_db(args.db_dir, args.rows)
            engines.append(Engine("sqlite", f"SQLite {sqlite3.sqlite_version}", str(db), str(db), "orders", args.rows))
            continue
        server = found[key]
        built = servers.ensure_tables(server, [args.rows])[0]
        print(f"   {servers.describe_build(built)}", flush=True)
        prefix = f"{servers.NAMESPACE}." if key == "postgres" else ""
        engines.append(Engine(key, built["server"], server.target, servers.shown(server.target),
                              prefix + servers.table_name(args.rows), args.rows))
    return engines


def in_database(engine: Engine, ui: dict, rep: int) -> list[str]:
    """Does the database hold what the grid showed after each save (the last marker of each row)?"""
    saved = {p["row"]: p["marker"] for p in ui.get("presses", []) if p.get("save") is not None}
    if not saved:
        return []
    found = must(helper(engine, "read", engine.table, sorted(saved)), "reading the saved rows")["values"]
    wrong = [f"row {r}: {found[str(r)]!r}, not {m!r}" for r, m in saved.items() if found[str(r)] != m]
    ui["in_database"] = {"checked": len(saved), "wrong": wrong}
    return [f"rep {rep}: the database does not hold what the grid showed: " + "; ".join(wrong)] if wrong else []


def bench_engine(engine: Engine, args) -> tuple[dict, dict]:
    import browse
    import servers

    figs = figures(engine.rows)
    if engine.key == "sqlite":
        del figs["server_cpu"]
    span = 2 * args.saves + 1
    ids = sorted(set(range(1, max(PROBE_ROWS, span) + 1)) | set(range(engine.rows - span + 1, engine.rows + 1)))
    print(f"\n== {engine.name}: rowdesk '{engine.shown}', table {engine.table} ({engine.rows:,} rows)", flush=True)
    originals = Originals(engine, args.out_dir, ids)
    originals.take()
    runs = []
    watch = servers.ServerCPU() if engine.key != "sqlite" else browse.NeighbourCPU()
    watch.start()
    problems: list[str] = []
    try:
        for rep in range(1, args.reps + 1):
            rep_t0, (rep_cpu0, _) = time.perf_counter(), watch.snapshot()
            server_cpu0 = watch.server_seconds() if engine.key != "sqlite" else 0.0
            print(f"rep {rep}/{args.reps}: saves in the app…", end="", flush=True)
            ui = scenario(engine, originals.values, rep, args)
            problems += in_database(engine, ui, rep)
            restored = originals.give_back()
            probe = None
            if not args.no_probe:
                print(" in-process probe…", end="", flush=True)
                probe = helper(engine, "probe", engine.table, extra=("--rounds", str(args.rounds)))
            print(f" done (rows given back their values: {restored})", flush=True)
            browse.report_failures(ui, *([probe] if probe is not None and not probe.get("ok") else []))
            if probe is not None and not probe.get("ok"):
                print(f"     {probe.get('stderr', '')}", flush=True)
            first = next((p for p in ui.get("presses", []) if "ctrl_s_delivered" in p), None)
            if first is not None and not first["ctrl_s_delivered"]:
                fc = first.get("flow_control", {})
                problems.append(f"rep {rep}: ctrl s did not reach the app: the terminal stopped its output instead "
                                f"(ixon {'on' if fc.get('ixon') else 'off'}, stop = {fc.get('stop')!r}, as the app "
                                "left it); ^Q resumed it, the form was still open with the change; measured with "
                                "`stty -ixon` from then on")
            j = ui.get("journal") or {}
            saves = sum(1 for p in ui.get("presses", []) if p.get("save") is not None)
            if not j.get("file"):
                problems.append(f"rep {rep}: no journal file in the process's XDG_DATA_HOME after {saves} saves")
            elif j.get("states", {}).get("committed", 0) != saves:
                problems.append(f"rep {rep}: the journal holds {j.get('states')} after {saves} saves")
            collect(figs, ui, probe)
            browse.neighbours_during(watch, figs, rep_t0, rep_cpu0)
            if engine.key != "sqlite":
                figs["server_cpu"].add(100.0 * (watch.server_seconds() - server_cpu0) / (time.perf_counter() - rep_t0))
            runs.append({"rep": rep, "ui": ui, "probe": probe, "restored": restored})
    finally:
        watch.stop()
        originals.done()
    return figs, {"runs": runs, "problems": problems}


def checks_line(runs: list[dict]) -> str:
    """What was checked besides the times: ^S as the terminal came, the journal, the database."""
    firsts = [p for r in runs for p in r["ui"].get("presses", []) if "ctrl_s_delivered" in p]
    journals = [r["ui"].get("journal") or {} for r in runs]
    held = [r["ui"].get("in_database") or {} for r in runs]
    saves = [sum(1 for p in r["ui"].get("presses", []) if p.get("save") is not None) for r in runs]
    return (f"checks: ctrl s reached the app with the terminal as it came in "
            f"{sum(p['ctrl_s_delivered'] for p in firsts)}/{len(firsts)} processes; journal entries committed per "
            f"process {[j.get('states', {}).get('committed', 0) for j in journals]} for {saves} saves; the database "
            f"held the value the grid showed in {sum(h.get('checked', 0) - len(h.get('wrong', [])) for h in held)}"
            f"/{sum(saves)} saves")


def bench_main(argv=None) -> int:
    sys.path.insert(0, str(HERE))
    import browse  # noqa: F401  (re-runs this script under tuibench's Python when needed)
    import servers

    p = argparse.ArgumentParser(description="Benchmark saving rows in rowdesk on SQLite, PostgreSQL and MariaDB "
                                            "(see bench/README.md).")
    p.add_argument("--engines", default="sqlite,postgres,mysql", help="which engines, in order")
    p.add_argument("--rows", type=int, default=None, help=f"rows of orders (default {DEFAULT_ROWS:,})")
    p.add_argument("--reps", type=int, default=3, help="fresh-process repetitions (default 3)")
    p.add_argument("--quick", action="store_true", help=f"smoke check: {QUICK_ROWS:,} rows")
    p.add_argument("--saves", type=int, default=5,
                   help="form saves and as many quick edits near the top, and again after End, per rep (default 5)")
    p.add_argument("--rounds", type=int, default=60, help="in-process saves of each kind per rep (default 60)")
    p.add_argument("--gap", type=float, default=0.1, help="pause after moving to a row (s)")
    p.add_argument("--no-probe", action="store_true", help="skip the in-process measure of the conflict check")
    p.add_argument("--db-dir", type=Path, default=Path("/tmp/rowdesk-bench"), help="cache of SQLite demo databases")
    servers.add_server_arguments(p, "the bench works in")
    p.add_argument("--out-dir", type=Path, default=HERE / "results", help="where edit-<engine>.json go")
    args = p.parse_args(argv)
    args.rows = args.rows or (QUICK_ROWS if args.quick else DEFAULT_ROWS)
    if args.saves < 1 or args.rounds < 1:
        p.error("--saves and --rounds take a number above 0")

    started_all = time.time()
    code_before = browse.source_fingerprint()
    print(f"rowdesk edit benchmark: {args.rows:,} rows, {args.reps} rep(s), {args.saves} form saves + "
          f"{args.saves} quick edits near the top and as many after End per rep, {args.rounds} in-process rounds; "
          f"terminal {browse.COLS}x{browse.ROWS}; app source {code_before['sha256']} (newest change "
          f"{code_before['newest_change']} {code_before['newest_file']})", flush=True)
    failed_all = []
    for engine in make_engines(args):
        started = time.time()
        figs, result = bench_engine(engine, args)
        failed, unmeasured = servers.failures(figs)
        print()
        print(f"{engine.name}, {engine.rows:,} rows ({engine.table}), {args.reps} rep(s), terminal "
              f"{browse.COLS}x{browse.ROWS}")
        print(browse.table(figs))
        for label, n in [(f.label, n) for f in figs.values() for n in dict.fromkeys(f.notes)]:
            print(f"note: {label}: {n}")
        ip = {k: figs[k].stats() for k in ("ip_check", "ip_plain", "ip_inner")}
        if all(st["n"] for st in ip.values()):
            print(f"conflict check, in-process medians: update_row {ip['ip_check']['median']:.3f} ms, without the "
                  f"check {ip['ip_plain']['median']:.3f} ms, per rep the difference "
                  + ", ".join(f"{v:.3f}" for v in figs["check"].samples)
                  + f" ms; the locked re-read + compare alone {ip['ip_inner']['median']:.3f} ms")
        print(checks_line(result["runs"]))
        for problem in result["problems"]:
            print(f"!! {problem}")
        print(f"{engine.name}: {len(failed)} target(s) not met" + (": " + "; ".join(failed) if failed else ""))
        if unmeasured:
            print(f"{engine.name}: {len(unmeasured)} target(s) not measured (see notes): " + "; ".join(unmeasured))
        failed_all += [f"{engine.name}: {label}" for label in failed]
        meta = {"engine": engine.name, "target": engine.shown, "table": engine.table, "rows": engine.rows,
                "reps": args.reps, "saves": args.saves, "rounds": args.rounds, "terminal": [browse.COLS, browse.ROWS],
                "source_before": code_before, "source_after": browse.source_fingerprint(),
                "problems": result["problems"],
                **servers.run_meta(started, args)}
        browse.write_results(args.out_dir / f"edit-{engine.key}.json", meta, figs, result["runs"])
    return servers.finish(code_before, failed_all, started_all)


if __name__ == "__main__":
    if sys.argv[1:2] == [HELPER]:
        helper_main(sys.argv[2:])
    else:
        sys.path.insert(0, str(HERE))
        import browse

        browse.run(bench_main)
