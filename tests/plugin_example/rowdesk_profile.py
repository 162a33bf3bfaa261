"""A rowdesk screen plugin: the column profile of the table on screen (rows, and the NULLs of each column),
counted in rowdesk's worker threads as every query is (never on the reactor thread), cancellable with Esc.

What a plugin uses: `@screen` registers the screen (the `rowdesk.screens` entry point imports this module);
`commands` declares its commands (here `profile`, run from any screen: the key P on the browse screen, and the
palette's `:profile`); `keys` binds its keys, on its own screen or on the screens a binding names.
"""

from __future__ import annotations

import urwid

from console.commands import Command
from console.keymap import Binding
from console.registry import screen
from console.screens.base import ScrollingScreen
from storage import filters
from storage.jobs import is_cancel
from storage.paging import Order, View


def open_profile(app) -> None:
    """`profile`: the profile of the table of the browse screen on top."""
    model = getattr(app.top, "model", None)
    if app.top.name != "browse" or model is None:
        app.message("profile: open a table first (its columns are profiled)", error=True)
        return
    app.push(ProfileScreen(app, model.table))


@screen
class ProfileScreen(ScrollingScreen):
    name = "profile"
    title = "Column profile"
    commands = (Command("profile", "the column profile of this table: rows, and the NULLs of each column",
                        run=open_profile),)
    keys = (Binding(("P",), "profile", "the column profile of this table (a plugin)", ("browse",)),
            Binding(("r",), "refresh", "count again"))

    def __init__(self, app, table):
        super().__init__(app)
        self.table = table
        self.walker = urwid.SimpleFocusListWalker([])
        self.listbox = urwid.ListBox(self.walker)
        self.widget = self.listbox
        self.counts: dict[str, int | None] = {}
        self._running: list = []
        self.cmd_refresh()

    def scroll_target(self):
        return self.listbox

    def cmd_refresh(self):
        self.cancel_work()
        db = self.app.db
        self.counts = {"(rows)": None, **{c.name: None for c in self.table.columns}}
        self._count("(rows)", View(self.table))
        for col in self.table.columns:
            nulls = filters.parse_filter("null", col, db.dialect)
            self._count(col.name, View(self.table, Order(), (nulls,)))
        self._show()

    def _count(self, name: str, view: View) -> None:
        d = self.app.db.count_rows(view)
        self._running.append(d)

        def counted(count):
            if d in self._running:
                self._running.remove(d)
            self.counts[name] = count.rows
            self._show()

        def failed(failure):
            if d in self._running:
                self._running.remove(d)
            if not is_cancel(failure):
                self.app.failed(f"counting {name}")(failure)
        d.addCallbacks(self.app.deliver(counted), self.app.deliver(failed))

    def _show(self) -> None:
        rows = self.counts.get("(rows)")
        lines = [urwid.Text(("section", f"  {self.table.display}: "
                                        f"{'counting…' if rows is None else f'{rows:,} rows'}")), urwid.Divider()]
        for col in self.table.columns:
            n = self.counts.get(col.name)
            share = f" ({n / rows:.0%})" if n is not None and rows else ""
            lines.append(urwid.Text(f"  {col.name:<24} {col.kind:<9} "
                                    f"{'counting…' if n is None else f'{n:,} NULL{share}'}"))
        self.walker[:] = lines
        self.app.update_status()

    def status_text(self) -> str:
        left = len(self._running)
        return f"profile · {self.table.display}" + (f" · counting {left}" if left else "")

    def cancel_work(self) -> bool:
        running, self._running = self._running, []
        for d in running:
            d.cancel()
        return bool(running)
