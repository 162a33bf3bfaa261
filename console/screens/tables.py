"""The home screen: every table and view with its row count."""

from __future__ import annotations

from dataclasses import dataclass

from console.registry import screen
from console.screens.base import Screen
from storage.database import RowCount
from storage.jobs import is_cancel
from storage.secrets import mask_secrets
from widgets.grid import GridColumn, GridView


@dataclass
class _Entry:
    name: str
    type: str
    count: RowCount | None = None

    def row(self) -> tuple:
        if self.count is None:
            shown = "…"
        elif self.count.rows is None:
            shown = "not counted"      # a view: counting it would run its whole query
        else:
            shown = f"{'' if self.count.exact else '~'}{self.count.rows:,}"
        return (self.name, self.type, shown)


class _TableList:
    """The grid's source: the (filtered) list of tables."""

    def __init__(self):
        self.entries: list[_Entry] = []
        self.shown: list[_Entry] = []
        self.needle = ""
        self.columns = [GridColumn("table", 30), GridColumn("type", 5), GridColumn("rows", 14, right=True)]
        self.rows: list[tuple] = []
        self.base = 0
        self.cursor = 0
        self.col = 0

    def refilter(self, *, keep_cursor: bool = True) -> None:
        current = self.shown[self.cursor].name if self.shown else None
        self.shown = ranked(self.entries, self.needle)
        self.rows = [e.row() for e in self.shown]
        names = [e.name for e in self.shown]
        # While typing, the best match is the one Enter opens; a refresh keeps the cursor's table.
        self.cursor = names.index(current) if keep_cursor and current in names else 0
        width = max([len(e.name) for e in self.entries] + [12])
        self.columns[0].width = min(width, 60)

    def update(self, entry: _Entry) -> None:
        if entry in self.shown:
            self.rows[self.shown.index(entry)] = entry.row()


def ranked(entries: list[_Entry], needle: str) -> list[_Entry]:
    """Entries whose name holds every word of *needle*: an exact name first, then names that
    start with it, then the rest, each group in list order (`/Track` puts Track before PlaylistTrack)."""
    words = needle.lower().split()
    if not words:
        return list(entries)
    whole = " ".join(words)

    def rank(e: _Entry) -> int:
        name = e.name.lower()
        return 0 if name == whole else 1 if name.startswith(words[0]) else 2
    matching = [e for e in entries if all(w in e.name.lower() for w in words)]
    return sorted(matching, key=rank)          # sorted() is stable: list order within a group


@screen
class TablesScreen(Screen):
    name = "tables"
    title = "Tables"
    palette = True

    def __init__(self, app):
        super().__init__(app)
        self.list = _TableList()
        self.grid = GridView(self.list)
        self.widget = self.grid
        self.loaded = False
        self.error: str | None = None       # the list could not be read: said in the status line
        self._listing = None                # the Deferred of the list of tables, while it is read
        self._counting = None
        self._pending_open: str | None = None
        self.load()

    # -- loading --------------------------------------------------------------------
    def load(self) -> None:
        self.error = None
        self._listing = d = self.app.db.tables()
        d.addCallbacks(self.app.deliver(self._got_tables), self.app.deliver(self._tables_failed))
        d.addErrback(self.app.failed("reading the list of tables"))

    def _tables_failed(self, failure):
        self._listing = None
        self.error = "cancelled" if is_cancel(failure) else mask_secrets(failure.getErrorMessage())
        self.app.update_status()
        return failure

    def _got_tables(self, tables) -> None:
        self._listing = None
        self.loaded = True
        old = {e.name: e for e in self.list.entries}
        # Named as the operator names them: schema.table where the engine has schemas.
        self.list.entries = [old.get(t.display) or _Entry(t.display, t.type) for t in tables]
        self.app.table_names = [t.display for t in tables]
        self.list.refilter()
        self.grid.changed()
        self.app.update_status()
        if self._pending_open:
            name, self._pending_open = self._pending_open, None
            self.command_open_table(name)
        self._count_next()

    def _count_next(self) -> None:
        """Counts run one at a time: estimates first, then exact counts in the background."""
        if self._counting is not None:
            return
        entry = next((e for e in self.list.entries if e.count is None), None)
        if entry is not None:
            d = self.app.db.estimate_rows(entry.name)
        else:
            entry = next((e for e in self.list.entries
                          if e.count is not None and not e.count.exact and e.count.rows is not None), None)
            if entry is None:
                return
            d = self.app.db.count_rows_of(entry.name)
        self._counting = d

        def got(count):
            self._counting = None
            entry.count = count
            self.list.update(entry)
            self.grid.changed()
            self._count_next()

        def failed(failure):
            if is_cancel(failure):
                return None                              # cancelled: counted again on the next refresh
            self._counting = None
            entry.count = RowCount(None, exact=True)    # do not retry forever
            self.list.update(entry)
            self._count_next()                           # one table that cannot be counted stops nothing
            return failure
        d.addCallbacks(self.app.deliver(got), self.app.deliver(failed))
        d.addErrback(self.app.failed(f"counting the rows of {entry.name}"))

    def cancel_work(self) -> bool:
        if self._listing is not None:
            d, self._listing = self._listing, None
            d.cancel()                       # e.g. a wait for another process's lock at start
            return True
        if self._counting is not None:
            d, self._counting = self._counting, None
            d.cancel()
            return True
        return False

    def busy_label(self) -> str:
        return "counting rows" if self._counting is not None else "reading"

    def status_text(self) -> str:
        n, shown = len(self.list.entries), len(self.list.shown)
        if self.error is not None and not self.loaded:
            return f"the list of tables could not be read ({self.error}) · {self.hint('refresh', 'tries again')}"
        if not self.loaded:
            return "reading the schema…"
        text = f"{n} tables and views" if shown == n else f"{shown} of {n} tables match “{self.list.needle}”"
        if n == 0:
            text = "this database has no tables"
        elif any(e.type == "view" for e in self.list.shown):
            text += " · views are counted when opened"
        return text

    # -- commands -------------------------------------------------------------------------
    def _move(self, delta: int) -> None:
        if self.list.rows:
            self.list.cursor = max(0, min(len(self.list.rows) - 1, self.list.cursor + delta))
            self.grid.changed()

    def cmd_up(self):
        self._move(-1)

    def cmd_down(self):
        self._move(1)

    def cmd_page_up(self):
        self._move(-self.grid.height)

    def cmd_page_down(self):
        self._move(self.grid.height)

    def cmd_first(self):
        self._move(-len(self.list.rows))

    def cmd_last(self):
        self._move(len(self.list.rows))

    def cmd_refresh(self):
        self.cancel_work()
        self.app.check_file(then=self._reload)

    def _reload(self) -> None:
        for e in self.list.entries:
            e.count = None
        self.load()

    def click(self, x: int, y: int, *, double: bool) -> bool:
        """A click takes the cursor to a table; a double click opens it."""
        hit = self.grid.hit(x, y)
        if hit is not None and hit[0] == "row":
            self.list.cursor = hit[1]
            self.grid.changed()
            self.app.update_status()
            if double:
                self.cmd_select()
        return True

    def cmd_select(self):
        if self.list.shown:
            self.command_open_table(self.list.shown[self.list.cursor].name)

    def command_open_table(self, name: str) -> None:
        if not self.loaded:
            self._pending_open = name
            return
        from console.screens.browse import BrowseScreen

        self.app.push(BrowseScreen(self.app, name))

    def cmd_filter(self, *words: str):
        """/: the names narrowed as you type; `:filter text` narrows them at once."""
        before = self.list.needle

        def change(text):
            self.list.needle = text
            self.list.refilter(keep_cursor=False)
            self.grid.changed()
            self.app.update_status()

        def cancel():
            change(before)
        if words:
            change(" ".join(words))
            return
        self.app.ask("table name: ", before, on_done=change, on_change=change, on_cancel=cancel)

    def cmd_clear_filters(self):
        if self.list.needle:
            self.list.needle = ""
            self.list.refilter()
            self.grid.changed()
            self.app.update_status()
