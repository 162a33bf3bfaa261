"""The rows the browse screen holds: a bounded window of a table, paged with
Deferreds from storage. Memory stays the same whatever the table's size: the
window never holds more than KEEP rows; the grid draws from it.

Positions: `first_index` is the absolute index of rows[0] when known (we came
from the top), `after_last` the number of rows after rows[-1] when known (we
came from the bottom); with an exact total either gives the other.
"""

from __future__ import annotations

from console.formatting import formatter
from storage.database import RowCount
from storage.paging import Order, View
from storage.schema import Table
from widgets.cells import display_width
from widgets.grid import GridColumn

FETCH = 200          # rows per query
KEEP = 1000          # rows held at most
MAX_WIDTH = 36       # widest a column gets from its data (the record view shows everything)


class BrowseModel:
    def __init__(self, db, table: Table, on_change, on_error):
        self.db = db
        self.table = table
        self.view = View(table)
        self.on_change = on_change          # called (on the reactor thread) after any change
        self.on_error = on_error            # errback factory: on_error(doing) -> errback
        self.columns = [GridColumn(c.name, max(3, display_width(c.name)), right=c.numeric, format=formatter(c))
                        for c in table.columns]
        self.rows: list[tuple] = []
        self.marks: list[tuple] = []
        self.base = 0
        self.cursor = 0
        self.col = 0
        self.at_start = self.at_end = False
        self.first_index: int | None = None
        self.after_last: int | None = None
        self.total: RowCount | None = None
        self.loaded = False
        self.loading: str | None = None     # what the main query is doing, for the status line
        self._main = None                   # Deferred of the query the operator waits for
        self._target: View | None = None    # the view that query will show: keys typed ahead build on it
        self._index_from_start = False      # first_index was counted from the top, not derived from a count
        self._ahead = None                  # prefetch after the window
        self._behind = None                 # prefetch before the window
        self._count = None
        self._pending_move = 0
        self._widths_fitted = False
        self.page_rows = 20                 # set by the screen from the grid's height

    # -- state -------------------------------------------------------------------------------
    @property
    def empty_text(self) -> str:
        if not self.loaded or self.rows:
            return ""
        return "no rows match the filter (F removes every filter)" if self.view.filters else "this table is empty"

    @property
    def busy(self) -> bool:
        return any(d is not None for d in (self._main, self._ahead, self._behind, self._count))

    def position(self) -> int | None:
        """0-based index of the cursor row in the whole (filtered, sorted) result, when known."""
        if not self.rows:
            return None
        if self.first_index is not None:
            return self.first_index + self.cursor
        if self.after_last is not None and self.total is not None and self.total.exact:
            return self.total.rows - self.after_last - len(self.rows) + self.cursor
        return None

    def current_row(self) -> tuple | None:
        return self.rows[self.cursor] if self.rows else None

    # -- loading ---------------------------------------------------------------------------------
    def cancel(self) -> bool:
        """Cancel every running query; True when there was one."""
        found = False
        for attr in ("_main", "_ahead", "_behind", "_count"):
            d = getattr(self, attr)
            if d is not None:
                setattr(self, attr, None)
                d.cancel()
                found = True
        self.loading = None
        self._target = None
        self._pending_move = 0
        return found

    @property
    def latest_view(self) -> View:
        """The view on screen, or the one being loaded: what a new sort or filter builds on."""
        return self._target or self.view

    def _start_main(self, label: str, d, on_page, view: View | None = None) -> None:
        for attr in ("_main", "_ahead", "_behind"):
            old = getattr(self, attr)
            if old is not None:
                setattr(self, attr, None)
                old.cancel()
        self._main, self.loading, self._target = d, label, view

        def got(page):
            if self._main is not d:
                return
            self._main, self.loading, self._target = None, None, None
            on_page(page)

        def failed(failure):
            if self._main is d:
                self._main, self.loading, self._target = None, None, None
                self._set_markers(self.view)
            return failure
        d.addCallbacks(got, failed)
        d.addErrback(self.on_error(label))
        d.addBoth(self._changed)

    def _changed(self, _=None):
        self.on_change()

    def open(self) -> None:
        self.load_first()
        self.refresh_count()

    def _adopt(self, view: View) -> None:
        """The rows of *view* are the ones on screen from now on."""
        filters_changed = view.filters != self.view.filters
        self.view = view
        self._set_markers(view)
        if filters_changed:
            self._drop_count()                 # a count of other rows must not land on these
            self.refresh_count()               # started after the rows: the operator wants rows first

    def load_first(self, view: View | None = None, label: str = "reading rows") -> None:
        view = view or self.latest_view
        d = self.db.fetch(view, None, forward=True, limit=FETCH)

        def on_page(page):
            self._adopt(view)
            self._replace(page.rows, page.marks, cursor=0)
            self.at_start, self.at_end = True, page.reached_end
            self.first_index, self.after_last = 0, (0 if page.reached_end else None)
            self._index_from_start = True
            if page.reached_end:
                self.total = RowCount(len(page.rows), exact=True)
            self._fit_widths()
            self.loaded = True
        self._start_main(label, d, on_page, view)

    def load_last(self) -> None:
        view = self.latest_view
        d = self.db.fetch(view, None, forward=False, from_end=True, limit=FETCH)

        def on_page(page):
            self._adopt(view)
            self._replace(page.rows, page.marks, cursor=max(0, len(page.rows) - 1))
            self.at_end, self.at_start = True, page.reached_end
            self.after_last = 0
            self.first_index = 0 if page.reached_end else self._index_from_total()
            self._index_from_start = page.reached_end
            self._fit_widths()
            self.loaded = True
        self._start_main("reading the last rows", d, on_page, view)

    def reload(self) -> None:
        """Read the window again from its first row (the operator pressed r)."""
        if not self.rows or self._target is not None:
            self.load_first()                  # nothing to keep, or a new view still loading: start it again
            self.refresh_count()
            return
        cursor, first_index = self.cursor, self.first_index
        # As many rows as the window holds, so that the cursor stays on its row.
        d = self.db.fetch(self.view, self.marks[0], forward=True, limit=min(KEEP, max(FETCH, len(self.rows))),
                          inclusive=True)

        def on_page(page):
            self._replace(page.rows, page.marks, cursor=min(cursor, max(0, len(page.rows) - 1)))
            self.at_end = page.reached_end
            self.first_index = first_index
            self.after_last = 0 if page.reached_end else None
        self._start_main("reading rows again", d, on_page)
        self.total = None
        self.refresh_count()

    def _index_from_total(self) -> int | None:
        if self.total is not None and self.total.exact and self.after_last is not None:
            return self.total.rows - self.after_last - len(self.rows)
        return None

    def _replace(self, rows, marks, cursor: int) -> None:
        self.base += len(self.rows) + KEEP     # a new sequence range: the grid scrolls afresh
        self.rows, self.marks = list(rows), list(marks)
        self.cursor = cursor

    def _cancel_count(self) -> None:
        if self._count is not None:
            old, self._count = self._count, None
            old.cancel()

    def _drop_count(self) -> None:
        self.total = None
        self._cancel_count()

    def _take_count(self, count: RowCount) -> None:
        self.total = count
        if count.exact and not self._index_from_start:
            self.first_index = self._index_from_total()

    def refresh_count(self) -> None:
        self._cancel_count()
        if self.view.filters:
            self._follow_count(self.db.count_rows(self.view))
        else:
            self._follow_count(self.db.estimate_rows(self.table.name))

    def _follow_count(self, d) -> None:
        """Take the count *d* brings for the rows on screen; an estimate is then refined by an exact count."""
        self._count = d
        view = self.view

        def got(count):
            if self._count is not d:
                return
            self._count = None
            if view is not self.view:
                return
            self._take_count(count)
            if not count.exact:
                self._follow_count(self.db.count_rows(view))

        def failed(failure):
            if self._count is d:
                self._count = None
            return failure
        d.addCallbacks(got, failed)
        d.addErrback(self.on_error("counting rows"))
        d.addBoth(self._changed)

    # -- moving ------------------------------------------------------------------------------
    def move(self, delta: int) -> None:
        if not self.rows:
            return
        target = self.cursor + delta
        # Moves past the window wait for the rows; keys typed meanwhile add up.
        if target >= len(self.rows):
            over = target - (len(self.rows) - 1)
            self._pending_move = 0 if self.at_end else max(self._pending_move, 0) + over
            target = len(self.rows) - 1
        elif target < 0:
            self._pending_move = 0 if self.at_start else min(self._pending_move, 0) + target
            target = 0
        else:
            self._pending_move = 0
        self.cursor = target
        self._prefetch()

    def _prefetch(self) -> None:
        # Two screens ahead, but never so much that both ends are fetched and trimmed in turn.
        margin = min(max(self.page_rows * 2, 50), (KEEP - FETCH) // 4)
        if not self.at_end and self._ahead is None and self._main is None and \
                len(self.rows) - self.cursor <= margin:
            self._fetch_ahead()
        if not self.at_start and self._behind is None and self._main is None and self.cursor <= margin:
            self._fetch_behind()

    def _fetch_ahead(self) -> None:
        anchor = self.marks[-1]
        d = self.db.fetch(self.view, anchor, forward=True, limit=FETCH)
        self._ahead = d
        view = self.view

        def got(page):
            if self._ahead is not d:
                return
            self._ahead = None
            if view is not self.view:
                return
            if not self.marks or self.marks[-1] != anchor:
                self._prefetch()          # the window's end moved meanwhile: these rows do not join it
                return
            self.rows.extend(page.rows)
            self.marks.extend(page.marks)
            self.at_end = page.reached_end
            if page.reached_end:
                self.after_last = 0
                if self.first_index is not None:
                    self.total = RowCount(self.first_index + len(self.rows), exact=True)
            elif self.after_last is not None:
                self.after_last = max(0, self.after_last - len(page.rows))
            self._trim_front()
            self._apply_pending()

        def failed(failure):
            if self._ahead is d:
                self._ahead = None
                self._pending_move = 0
            return failure
        d.addCallbacks(got, failed)
        d.addErrback(self.on_error("reading rows"))
        d.addBoth(self._changed)

    def _fetch_behind(self) -> None:
        anchor = self.marks[0]
        d = self.db.fetch(self.view, anchor, forward=False, limit=FETCH)
        self._behind = d
        view = self.view

        def got(page):
            if self._behind is not d:
                return
            self._behind = None
            if view is not self.view:
                return
            if not self.marks or self.marks[0] != anchor:
                self._prefetch()
                return
            n = len(page.rows)
            self.rows[:0] = page.rows
            self.marks[:0] = page.marks
            self.base -= n
            self.cursor += n
            self.at_start = page.reached_end
            if page.reached_end:
                self.first_index = 0
                self._index_from_start = True
            elif self.first_index is not None:
                self.first_index -= n
            self._trim_back()
            self._apply_pending()

        def failed(failure):
            if self._behind is d:
                self._behind = None
                self._pending_move = 0
            return failure
        d.addCallbacks(got, failed)
        d.addErrback(self.on_error("reading rows"))
        d.addBoth(self._changed)

    def _apply_pending(self) -> None:
        if self._pending_move:
            delta, self._pending_move = self._pending_move, 0
            self.move(delta)
        else:
            self._prefetch()

    def _trim_front(self) -> None:
        extra = len(self.rows) - KEEP
        if extra > 0 and self.cursor - extra >= 0:
            del self.rows[:extra]
            del self.marks[:extra]
            self.base += extra
            self.cursor -= extra
            self.at_start = False
            if self.first_index is not None:
                self.first_index += extra

    def _trim_back(self) -> None:
        extra = len(self.rows) - KEEP
        if extra > 0 and len(self.rows) - extra > self.cursor:
            del self.rows[-extra:]
            del self.marks[-extra:]
            self.at_end = False
            if self.after_last is not None:
                self.after_last += extra

    # -- sort and filter ----------------------------------------------------------------------------
    def sort_by(self, column: str) -> None:
        base = self.latest_view
        order = base.order
        descending = order.column == column and not order.descending
        view = View(self.table, Order(column, descending), base.filters)
        self._set_markers(view)
        self.load_first(view, label=f"sorting by {column}")

    def set_filter(self, condition, column: str) -> None:
        base = self.latest_view
        filters = tuple(c for c in base.filters if c.column != column)
        if condition is not None:
            filters += (condition,)
        view = View(self.table, base.order, filters)
        # The count of the rows on screen stays until the filtered rows replace them (see _adopt),
        # so that Esc on a slow filter leaves the screen as it was.
        self.load_first(view, label="filtering")

    def clear_filters(self) -> None:
        view = View(self.table, self.latest_view.order, ())
        self.load_first(view, label="reading rows")

    def _set_markers(self, view: View) -> None:
        for gc in self.columns:
            gc.marker = ""
        if view.order.column is not None:
            i = [c.name for c in self.table.columns].index(view.order.column)
            self.columns[i].marker = " ▼" if view.order.descending else " ▲"

    def restore_markers(self) -> None:
        self._set_markers(self.view)

    def _fit_widths(self) -> None:
        """Fit column widths to the first rows seen, once: widths that jump while paging are worse."""
        if self._widths_fitted or not self.rows:
            return
        self._widths_fitted = True
        sample = self.rows[:FETCH]
        for i, gc in enumerate(self.columns):
            widest = max((display_width(gc.format(r[i]) if r[i] is not None else "∅") for r in sample), default=1)
            gc.width = max(3, display_width(gc.name) + 2, min(widest, MAX_WIDTH))
