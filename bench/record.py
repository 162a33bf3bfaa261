#!/usr/bin/env python3
"""Benchmark of the record view and the value screen on megabyte values,
measured from outside as the operator sees it.

    bench/record.py [--reps 5] [--mb 1] [--db-dir /tmp/rowdesk-bench]

The table `big_values` holds one row whose text, BLOB and JSON columns are
each about --mb MB (the text on a single line: the worst case for laying it
out). Each repetition starts a fresh `rowdesk DB` in a 120x40 pseudo-terminal
(tuibench, as bench/browse.py does) and times key -> screen for: Enter in the
grid -> the record view; End in the record view; Enter on the long text -> the
value screen; End, PgUp and Home there; the same for the BLOB's hex dump.
Before the fix the record view of a 1 MB value blocked the reactor for ~90 s.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import browse as base  # noqa: E402  (re-runs this script under tuibench's Python when needed)

TARGET_MS = 50.0


def ensure_db(db_dir: Path, mb: int) -> Path:
    db_dir.mkdir(parents=True, exist_ok=True)
    path = db_dir / f"big-values-{mb}mb.sqlite"
    if path.exists():
        return path
    size = mb * 1024 * 1024
    text = "START" + ("lorem ipsum dolor sit amet " * (size // 27 + 1))[:size - 11] + "THEEND"
    data = bytes(i % 256 for i in range(size))
    doc = json.dumps({"items": [{"n": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(size // 50)]})
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    conn.execute("CREATE TABLE big_values (id INTEGER PRIMARY KEY, note TEXT, data BLOB, doc TEXT)")
    conn.execute("INSERT INTO big_values VALUES (1, ?, ?, ?)", (text, data, doc))
    conn.commit()
    conn.close()
    tmp.rename(path)
    return path


FIGURES = [
    ("record", "Enter in the grid → record view", TARGET_MS),
    ("record_end", "End in the record view → end of the record", TARGET_MS),
    ("value", "Enter on the long text → value screen", TARGET_MS),
    ("value_end", "End in the value screen → last line", TARGET_MS),
    ("value_pgup", "PgUp at the end of the value", TARGET_MS),
    ("value_home", "Home in the value screen", TARGET_MS),
    ("hex", "Enter on the BLOB → hex dump", TARGET_MS),
    ("hex_end", "End in the hex dump", TARGET_MS),
    ("idle", "idle CPU on the value screen", 1.0),
]


def run_once(db: Path, mb: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with base.App(db) as app:
        app.wait("tables", r"big_values", timeout=30)
        app.measure("open", "<Enter>", until=r"big_values · row 1 of 1", timeout=30)
        out["record"] = app.measure("record", "<Enter>", until=r"characters in all", timeout=120)
        # The last field's note: "(JSON, pretty-printed…" up to 16 KB, "(JSON: Enter formats…" above.
        out["record_end"] = app.measure("record end", "G", until=r"\(JSON\b", timeout=60)
        app.keys("back to the top", "g")
        app.wait("top", r"^id ", timeout=30)
        app.keys("to note", "j")
        time.sleep(0.2)
        out["value"] = app.measure("value", "<Enter>", until=r"value · big_values\.note .* 0 %", timeout=120)
        out["value_end"] = app.measure("value end", "G", until=r"THEEND", timeout=60)
        out["value_pgup"] = app.measure("value pgup", "<PageUp>", until=r"THEEND", absent=True, timeout=60)
        out["value_home"] = app.measure("value home", "g", until=r"^STARTlorem", timeout=60)
        out["idle"] = app.s.idle("idle", 3.0)["cpu_pct"]
        app.keys("back", "q")
        app.wait("record again", r"^record · big_values", timeout=30)
        app.keys("to data", "j")
        time.sleep(0.2)
        out["hex"] = app.measure("hex", "<Enter>", until=r"value · big_values\.data", timeout=120)
        last = f"{(mb * 1024 * 1024 - 16):08x}"
        out["hex_end"] = app.measure("hex end", "G", until=last, timeout=60)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Benchmark the record view on megabyte values (see bench/README.md).")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--mb", type=int, default=1, help="size of each long value in MB")
    p.add_argument("--db-dir", type=Path, default=Path("/tmp/rowdesk-bench"))
    args = p.parse_args(argv)
    db = ensure_db(args.db_dir, args.mb)
    samples: dict[str, list[float]] = {k: [] for k, _, _ in FIGURES}
    print(f"rowdesk record benchmark: {args.mb} MB values ({db}), {args.reps} fresh processes, "
          f"terminal {base.COLS}x{base.ROWS}", flush=True)
    for rep in range(args.reps):
        print(f"rep {rep + 1}/{args.reps}…", flush=True)
        for key, value in run_once(db, args.mb).items():
            samples[key].append(value * 1000 if key != "idle" else value)
    figs = {}
    for key, label, target in FIGURES:
        unit = "%" if key == "idle" else "ms"
        fig = base.Figure(key, label, unit, target)
        for v in samples[key]:
            fig.add(v)
        figs[key] = fig
    print()
    print(base.table(figs))
    return 0 if all(f.verdict() == "PASS" for f in figs.values()) else 1


if __name__ == "__main__":
    base.run(main)
