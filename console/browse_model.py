"""The rows the browse screen holds: a bounded window of a table, paged with
Deferreds from storage. Memory stays the same whatever the table's size: the
window holds about KEEP rows (KEEP + FETCH at most, while a page joins it and
the far end is trimmed); the grid draws from it.

Positions: `first_index` is the absolute index of rows[0] when known (we came
from the top), `after_last` the number of rows after rows[-1] when known (we
came from the bottom); with an exact total either gives the other.
"""

from __future__ import annotations

from console.formatting import formatter
from storage import paging
from storage.database import RowCount
from storage.edits import Row
from storage.paging import Order, View
from storage.schema import Table
from widgets.grid import GridColumn

FETCH = 200          # rows per query
KEEP = 1000          # rows held at most


class BrowseModel:
    def __init__(self, db, table: Table, on_change, on_error, deliver, view: View | None = None):
        self.db = db
        self.table = table
        self.view = view or View(table)
        self.on_change = on_change          # called (on the reactor thread) after any change
        self.on_error = on_error            # errback factory: on_error(doing) -> errback
        # Wraps every callback of a query (App.deliver): a bug in one is a crash, not a failed query.
        self.deliver = deliver
        self.columns = []
        # The key columns that lead the table stay on screen when scrolling right (a key further right
        # is not moved: the grid keeps the table's order, which the column keys and col N/M follow).
        leading = True
        for c in table.columns:
            leading = leading and c.pk_position > 0
            gc = GridColumn(c.name, 0, right=c.numeric, format=formatter(c), auto=True, frozen=leading)
            gc.width = gc.min_width
            self.columns.append(gc)
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
        self.page_rows = 20                 # set by the screen from the grid's height
        self.marked: set[Row] = set()       # rows marked for a command (d deletes them), as storage knows them

    # -- state -------------------------------------------------------------------------------
    clear_hint = "F removes every filter"     # set by the screen, from the keymap

    @property
    def empty_text(self) -> str:
        if not self.loaded or self.rows:
            return ""
        return f"no rows match the filter ({self.clear_hint})" if self.view.filters else "this table is empty"

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

    # -- rows as storage writes them (storage.edits.Row: the values and the hidden row id) ---------------
    def _hidden_of(self, mark: tuple):
        return mark[-1] if self.table.identity.hidden is not None else None

    def is_marked(self, index: int) -> bool:
        return bool(self.marked) and self.edit_row(index) in self.marked

    def toggle_mark(self) -> None:
        row = self.edit_row()
        if row is not None:
            self.marked.symmetric_difference_update({row})

    def marked_indexes(self) -> list[int]:
        return [i for i in range(len(self.rows)) if self.is_marked(i)]

    def edit_row(self, index: int | None = None) -> Row | None:
        """Row *index* of the window (default: the cursor's) as storage writes it."""
        i = self.cursor if index is None else index
        if not 0 <= i < len(self.rows):
            return None
        return Row(tuple(self.rows[i]), self._hidden_of(self.marks[i]))

    def replace_row(self, index: int, row: Row) -> None:
        """Row *index* is now *row* (saved, or read again): shown in place, with its new boundary."""
        full = row.values + ((row.hidden,) if row.hidden is not None else ())
        old = self.edit_row(index)
        if old in self.marked:                     # a marked row stays marked as it now is
            self.marked.discard(old)
            self.marked.add(row)
        self.rows[index] = row.values
        self.marks[index] = paging.Plan(self.view, self.db.dialect).mark(full)
        self.base += len(self.rows) + KEEP          # the grid lays the window out afresh
        self._changed()

    def remove_rows(self, indexes) -> None:
        """Rows deleted: gone from the window (the count follows)."""
        gone = set(indexes)
        keep = [i for i in range(len(self.rows)) if i not in gone]
        cursor = min(self.cursor - sum(1 for i in gone if i < self.cursor), max(0, len(keep) - 1))
        self._replace([self.rows[i] for i in keep], [self.marks[i] for i in keep], cursor=max(0, cursor))
        if self.total is not None and self.total.rows is not None:
            self.total = RowCount(max(0, self.total.rows - len(gone)), exact=self.total.exact)
        if not self.rows:
            self.load_first()
        self._changed()

    def show_new_row(self, row: Row) -> None:
        """An inserted row: the window read again from it, the cursor on it (where the view puts it)."""
        self.show_row(row, "reading the new row")

    def show_row(self, row: Row, label: str = "reading rows around the row") -> None:
        """The window read from *row* on, the cursor on it (where the view puts it): a keyset seek, whatever the
        table's size; the rows before it come as the cursor nears them."""
        full = row.values + ((row.hidden,) if row.hidden is not None else ())
        mark = paging.Plan(self.view, self.db.dialect).mark(full)
        d = self.db.fetch(self.view, mark, forward=True, limit=FETCH, inclusive=True)

        def on_page(page):
            self._replace(page.rows, page.marks, cursor=0)
            self.first_index, self._index_from_start = None, False
            self.at_start, self.at_end = False, page.reached_end
            self.after_last = 0 if page.reached_end else None
            self.loaded = True
        self._start_main(label, d, on_page)
        self.refresh_count()

    def shrink(self, keep: int = 100) -> None:
        """Hold only about *keep* rows around the cursor (a screen along a trail of relations, out of sight: a
        long trail must not hold a whole window per step). The rows come back by paging, as the cursor nears
        the ends, when the screen is shown again."""
        if self._main is not None or self._target is not None or len(self.rows) <= keep:
            return
        for attr in ("_ahead", "_behind"):
            d = getattr(self, attr)
            if d is not None:
                setattr(self, attr, None)
                d.cancel()
        start = max(0, min(self.cursor - keep // 2, len(self.rows) - keep))
        end = start + keep
        front, back = start, len(self.rows) - end
        del self.rows[end:], self.marks[end:]
        del self.rows[:start], self.marks[:start]
        self.base += front
        self.cursor -= front
        if front:
            self.at_start = False
            if self.first_index is not None:
                self.first_index += front
        if back:
            self.at_end = False
            if self.after_last is not None:
                self.after_last += back

    def resume(self) -> None:
        """Shown again: the rows near the cursor are read if the window lacks them."""
        self._prefetch()

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
        self._pending_move = 0                 # moves typed for the old window do not apply to the new one

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
        self._follow(d, got, failed, label)

    def _follow(self, d, got, failed, doing: str) -> None:
        """The one way a query's result reaches the model: its callbacks run through `deliver`
        (a bug crashes the app), a failure is reported as *doing* failed, and the screen follows."""
        d.addCallbacks(self.deliver(got), self.deliver(failed))
        d.addErrback(self.on_error(doing))
        d.addBoth(self.deliver(self._changed))

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
            self.loaded = True
        self._start_main(label, d, on_page, view)

    def load_last(self, view: View | None = None) -> None:
        view = view or self.latest_view
        d = self.db.fetch(view, None, forward=False, from_end=True, limit=FETCH)

        def on_page(page):
            self._adopt(view)
            self._replace(page.rows, page.marks, cursor=max(0, len(page.rows) - 1))
            self.at_end, self.at_start = True, page.reached_end
            self.after_last = 0
            self.first_index = 0 if page.reached_end else self._index_from_total()
            self._index_from_start = page.reached_end
            self.loaded = True
        self._start_main("reading the last rows", d, on_page, view)

    def reload(self) -> None:
        """Read the window again from its first row (the operator pressed r)."""
        if not self.rows or self._target is not None:
            self.load_first()                  # nothing to keep, or a new view still loading: start it again
            self.refresh_count()
            return
        cursor, first_index = self.cursor, self.first_index
        # As many rows as the window holds, so that the cursor stays on its row, and one more:
        # without it, a window that ends at the last row could not tell that it does.
        want = min(KEEP, max(FETCH, len(self.rows)))
        d = self.db.fetch(self.view, self.marks[0], forward=True, limit=want + 1, inclusive=True)

        def on_page(page):
            at_end = len(page.rows) <= want
            rows, marks = page.rows[:want], page.marks[:want]
            self._replace(rows, marks, cursor=min(cursor, max(0, len(rows) - 1)))
            self.at_end = at_end
            self.after_last = 0 if at_end else None
            self.first_index = first_index if first_index is not None else self._index_from_total()
            if at_end and self.first_index is not None:
                self.total = RowCount(self.first_index + len(self.rows), exact=True)
        self._start_main("reading rows again", d, on_page)
        # The count on screen stays until the new one lands: Esc (or a lock) must not leave "of …".
        self.refresh_count()

    def go_to(self, index: int) -> None:
        """Put the cursor on row *index* (0-based) of the view: a move when the row is in the
        window, else a read at that offset (a cost that grows with *index*: a scan of the rows
        before it, in the database, cancellable with Esc). Paging on from there is by keyset for
        tables and sorted views; an unsorted view keeps its own order, by offset."""
        on_screen = self._target is None          # else the window and its count are of another view
        if on_screen and self.total is not None and self.total.exact and self.total.rows:
            index = min(index, self.total.rows - 1)
        if on_screen and self.first_index is not None and self.first_index <= index < self.first_index + len(self.rows):
            self.move(index - self.first_index - self.cursor)
            return
        view = self.latest_view
        start = max(0, index - self.page_rows // 2)          # a few rows above it stay in sight
        if on_screen and self.total is not None and self.total.exact:
            start = max(0, min(start, self.total.rows - self.page_rows))    # near the end: a full screen
        d = self.db.fetch_at(view, start, limit=FETCH)

        def on_page(page):
            if not page.rows:
                self.load_last(view)              # past the end: the last row is the nearest
                return
            self._adopt(view)
            self._replace(page.rows, page.marks, cursor=min(index - start, len(page.rows) - 1))
            self.first_index, self._index_from_start = start, True
            self.at_start, self.at_end = start == 0, page.reached_end
            self.after_last = 0 if page.reached_end else None
            if page.reached_end:
                self.total = RowCount(start + len(page.rows), exact=True)
            self.loaded = True
        self._start_main(f"going to row {index + 1:,}", d, on_page, view)

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
        if not count.exact:
            return
        if not self._index_from_start:
            derived = self._index_from_total()
            if derived is not None:
                self.first_index = derived          # counted from the end: the count places the window
        if self.after_last is None and self.first_index is not None:
            self.after_last = max(0, count.rows - self.first_index - len(self.rows))

    def refresh_count(self) -> None:
        self._cancel_count()
        if self.view.filters:
            self._follow_count(self.db.count_rows(self.view))
        else:
            self._follow_count(self.db.estimate_rows(self.table.display))

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
        self._follow(d, got, failed, "counting rows")

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
        self._follow(d, got, failed, "reading rows")

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
        self._follow(d, got, failed, "reading rows")

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
        """s on *column*: ascending, then descending, then the table's own order."""
        order = self.latest_view.order
        if order.column == column and order.descending:
            self.sort(None)                      # a third s: back to the table's own order
        else:
            self.sort(column, descending=order.column == column)

    def sort(self, column: str | None, *, descending: bool = False) -> None:
        """Sorted by *column* (None: the table's own order)."""
        base = self.latest_view
        new = Order(column, descending=descending) if column is not None else Order()
        view = View(self.table, new, base.filters)
        self._set_markers(view)
        self.load_first(view, label=f"sorting by {column}" if new.column else "reading rows in key order")

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
