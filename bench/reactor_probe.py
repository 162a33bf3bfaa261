"""In-process probe: how late does the reactor run while a slow query is under way?

Runs the real application (console.app.App on storage.database.Database, the
real Twisted reactor and thread pools) with a headless urwid screen, opens the
`orders` table, starts a sort on the unindexed `total` column and, while it
runs, presses h/l every 50 ms like an operator would. A `LoopingCall` ticking
every 5 ms records how late each tick comes: the reactor's lag. Then Esc is
pressed and the time until no query runs any more is recorded.

Prints one JSON object on stdout. Run it with the project's interpreter:

    .venv/bin/python bench/reactor_probe.py /tmp/rowdesk-bench/orders-10000000.sqlite

It is called by bench/browse.py; its figures are secondary to the ones
measured from outside with tuibench (the headless screen renders widgets to
canvases like the real one but writes no escape sequences to a terminal).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import urwid.testing  # noqa: E402
from twisted.internet import defer, task  # noqa: E402

from console.app import App  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.targets import parse_target  # noqa: E402

TICK = 0.005


class HeadlessScreen(urwid.testing.ScriptedScreen):
    """No terminal: keeps the last canvas, takes keys from the probe."""

    def draw_screen(self, size, canvas):
        self.draw_count += 1
        self.canvas = canvas

    def send(self, keys):
        self._callback(keys, [])

    def set_terminal_properties(self, colors=None, bright_is_bold=None, has_underline=None):
        """The app asks a real terminal for 256 colours; nothing to set here."""


class LagMeter:
    """Lag of a LoopingCall: how much later than TICK after the previous tick each tick runs."""

    def __init__(self, clock):
        self.clock = clock
        self.samples: list[tuple[float, float]] = []     # (time, lag)
        self._last = None
        self._lc = task.LoopingCall(self._tick)
        self._lc.clock = clock

    def _tick(self):
        now = time.perf_counter()
        if self._last is not None:
            self.samples.append((now, now - self._last - TICK))
        self._last = now

    def start(self):
        self._lc.start(TICK, now=True)

    def stop(self):
        self._lc.stop()

    def summary(self, t0: float, t1: float) -> dict:
        lags = [lag for t, lag in self.samples if t0 <= t <= t1]
        if not lags:
            return {"ticks": 0}
        lags_sorted = sorted(lags)
        return {
            "ticks": len(lags),
            "max_ms": max(lags) * 1000,
            "p99_ms": lags_sorted[min(len(lags) - 1, int(0.99 * len(lags)))] * 1000,
            "median_ms": statistics.median(lags) * 1000,
            "over_50ms": sum(1 for x in lags if x > 0.050),
            "over_20ms": sum(1 for x in lags if x > 0.020),
        }


def sleep(reactor, seconds):
    return task.deferLater(reactor, seconds, lambda: None)


@defer.inlineCallbacks
def until(reactor, predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not after {timeout}s")
        yield sleep(reactor, 0.01)


@defer.inlineCallbacks
def probe(reactor, args):
    out: dict = {"db": args.db, "tick_ms": TICK * 1000}
    db = Database(parse_target(args.db), reactor)
    screen = HeadlessScreen(size=(args.cols, args.rows))
    try:
        app = App(db, reactor, display=screen, manage_reactor=False)
    except Exception:
        db.close()
        raise

    # Time every redraw: a long one blocks the reactor as surely as a query would.
    draws: list[tuple[float, float]] = []
    real_draw = app.loop.draw_screen

    def timed_draw():
        t = time.perf_counter()
        real_draw()
        draws.append((t, time.perf_counter() - t))
    app.loop.draw_screen = timed_draw

    # Garbage-collector pauses (they run on whichever thread allocates; on the reactor thread they stall it).
    gc_pauses: list[tuple[float, float, int]] = []
    gc_started = {}

    def on_gc(phase, info):
        if phase == "start":
            gc_started["t"] = time.perf_counter()
        elif "t" in gc_started:
            t0 = gc_started.pop("t")
            gc_pauses.append((t0, time.perf_counter() - t0, info["generation"]))
    gc.callbacks.append(on_gc)

    meter = LagMeter(reactor)
    try:
        app.start()
        yield until(reactor, lambda: app.top.loaded, 30, "list of tables")
        yield until(reactor, lambda: not db.worker.running, 120, "row counts on the Tables screen")
        app.top.command_open_table("orders")
        yield until(reactor, lambda: app.top.name == "browse" and app.top.model is not None
                    and app.top.model.rows, 30, "first rows of orders")
        model = app.top.model
        yield until(reactor, lambda: not db.worker.running, 120, "row count of orders")

        meter.start()
        t_idle = time.perf_counter()
        yield sleep(reactor, 1.0)
        out["idle"] = meter.summary(t_idle, time.perf_counter())

        total_col = [c.name for c in model.table.columns].index(args.column)
        while model.col < total_col:
            screen.send(["l"])
        t_sort = time.perf_counter()
        screen.send(["s"])
        sorts = 1
        keys = 0
        key_ms: list[float] = []
        while time.perf_counter() - t_sort < args.seconds:
            if not model.loading:       # it finished: `s` again starts a new full sort (▼/▲)
                screen.send(["s"])
                sorts += 1
            key = "h" if keys % 2 == 0 else "l"
            t = time.perf_counter()
            screen.send([key])          # the key handler itself, on the reactor thread
            key_ms.append((time.perf_counter() - t) * 1000)
            keys += 1
            yield sleep(reactor, 0.05)
        t_slow_end = time.perf_counter()
        out["slow"] = meter.summary(t_sort, t_slow_end)
        out["slow"].update(seconds=t_slow_end - t_sort, keys=keys, sorts_started=sorts,
                           key_handler_max_ms=max(key_ms, default=None))
        # Which late ticks had a redraw running in the late interval? (a redraw blocks the reactor too)
        late = [(t, lag) for t, lag in meter.samples if t_sort <= t <= t_slow_end and lag > 0.020]
        during_draw = [1 for t, lag in late
                       if any(dt < t and dt + dd > t - lag - TICK for dt, dd in draws)]
        out["slow"]["late_ticks_over_20ms_with_a_redraw"] = f"{len(during_draw)}/{len(late)}"
        if not model.loading:
            screen.send(["s"])
            yield sleep(reactor, 0.2)
        if model.loading:
            order_before = model.view.order
            t_esc = time.perf_counter()
            screen.send(["esc"])
            yield until(reactor, lambda: not db.worker.running, 30, "cancel")
            t_done = time.perf_counter()
            yield sleep(reactor, 0.2)
            out["cancel"] = meter.summary(t_esc, time.perf_counter())
            out["cancel"]["esc_to_idle_ms"] = (t_done - t_esc) * 1000
            out["cancel"]["order_unchanged_by_cancel"] = model.view.order == order_before
        else:
            out["cancel"] = None
        meter.stop()
        slow_draws = [d for t, d in draws if t_sort <= t <= t_slow_end]
        out["draws"] = {"count": len(slow_draws), "max_ms": max(slow_draws, default=0) * 1000,
                        "median_ms": statistics.median(slow_draws) * 1000 if slow_draws else None}
        slow_gc = [d for t, d, _ in gc_pauses if t_sort <= t <= t_slow_end]
        out["gc"] = {"collections": len(slow_gc), "max_ms": max(slow_gc, default=0) * 1000,
                     "max_generation": max((g for t, _, g in gc_pauses if t_sort <= t <= t_slow_end), default=None)}
        out["ok"] = True
    except Exception as e:   # noqa: BLE001 - reported in the JSON
        out["ok"] = False
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        gc.callbacks.remove(on_gc)
        app.quit()
        app.loop.stop()
        db.close()
    if app.crashed is not None:
        out["ok"] = False
        out["error"] = f"app crashed: {app.crashed!r}"
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db")
    p.add_argument("--column", default="total", help="the (unindexed) column to sort by")
    p.add_argument("--seconds", type=float, default=6.0, help="how long to let the sort run before Esc")
    p.add_argument("--cols", type=int, default=120)
    p.add_argument("--rows", type=int, default=40)
    args = p.parse_args()
    code = 0
    try:
        task.react(lambda reactor: probe(reactor, args))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    # Never hang on a worker thread left behind by a failure: the JSON is out, leave now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
