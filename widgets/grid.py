"""A virtual grid: draws only the rows on screen from whatever window of rows
its source holds, so its cost does not depend on the size of the table.

The source is any object with:
    columns  list of GridColumn
    rows     list of row tuples (the cached window)
    base     sequence number of rows[0]; it grows when rows are dropped from
             the front and shrinks when rows are prepended, so that the grid's
             scroll position survives changes of the window
    cursor   index into rows of the current row (or 0 when empty)
    col      index of the current column
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import urwid

from widgets.canvas import canvas
from widgets.cells import NULL_TEXT, display_width, fit, one_line

SEP = "│"
FROZEN_SEP = "┃"     # after the frozen (key) columns when columns are scrolled out of view behind it
MORE = "›"            # in the header's last column: more columns to the right
MIN_PARTIAL = 6       # narrowest slice of a column worth showing at the right edge
AUTO_MAX = 36         # widest a column gets from its data (the record view shows everything)


@dataclass
class GridColumn:
    name: str
    width: int
    right: bool = False          # numbers are right-aligned
    marker: str = ""             # shown after the name: sort arrow
    format: Callable[..., str] = one_line     # (value never None, limit) -> one line of text
    auto: bool = False           # the width grows to fit the values on screen (up to AUTO_MAX)
    frozen: bool = False         # stays on screen when scrolling right (key columns)
    hidden: bool = False
    decimals: int = 0            # digits after the point of the numbers seen: points line up, nothing is rounded

    @property
    def min_width(self) -> int:
        return max(3, display_width(self.name) + 2)          # room for the sort marker


class GridView(urwid.Widget):
    _sizing = frozenset([urwid.Sizing.BOX])
    _selectable = True

    def __init__(self, source):
        super().__init__()
        self.source = source
        self.top_seq = 0          # sequence number of the first row on screen
        self.left = 0             # first scrolled (not frozen) column on screen
        self.height = 20          # rows of data last rendered; the console pages by it
        self.width = 80
        self._fitted = None       # what the automatic widths were last fitted to
        self._boundary: int | None = None    # frozen columns shown, when columns are scrolled behind them

    def selectable(self) -> bool:
        return True

    def keypress(self, size, key):
        return key                # all keys go through the app's keymap

    def changed(self) -> None:
        self._invalidate()

    def hit(self, x: int, y: int) -> tuple[str, int, int | None] | None:
        """What is drawn at (x, y) of the last render: ("header", column, None) or ("row", row index in the
        source's window, column); None for blank space. Columns are the source's indexes."""
        column = None
        left = 0
        for i, width in self._visible_columns(self.width):
            if left <= x < left + width + 1:              # a column and the separator after it
                column = i
                break
            left += self.source.columns[i].width + 1
        if y == 0:
            return ("header", column, None) if column is not None else None
        src = self.source
        index = self.top_seq - src.base + y - 1
        if 0 <= index < len(src.rows) and y - 1 < self.height:
            return ("row", index, column)
        return None

    def reveal_column(self) -> None:
        """Scroll sideways now (not at the next draw) so that keys typed ahead see the same view."""
        self._visible_columns(self.width)
        self._invalidate()

    # -- layout -------------------------------------------------------------
    def _scroll(self, rows: int) -> None:
        src = self.source
        cur_seq = src.base + src.cursor
        if cur_seq < self.top_seq:
            self.top_seq = cur_seq
        elif cur_seq >= self.top_seq + rows:
            self.top_seq = cur_seq - rows + 1
        # Never scroll below the data we have when it would leave empty rows.
        last_top = src.base + max(0, len(src.rows) - rows)
        if self.top_seq > last_top and src.base <= last_top:
            self.top_seq = max(src.base, min(self.top_seq, last_top, cur_seq))
        self.top_seq = max(self.top_seq, src.base)

    def _fit_widths(self) -> None:
        """Widen automatic columns to the widest value on screen (never narrower: columns that
        jump while paging are worse); costs what the rows on screen cost, whatever the table."""
        src = self.source
        start = self.top_seq - src.base
        key = (self.top_seq, src.base, len(src.rows), self.height, id(src.rows))
        if key == self._fitted:
            return
        self._fitted = key
        on_screen = src.rows[max(0, start):max(0, start + self.height)]
        for i, col in enumerate(src.columns):
            if not col.auto or col.hidden:
                continue
            texts = [col.format(row[i], AUTO_MAX + 1) for row in on_screen if i < len(row) and row[i] is not None]
            if col.right:
                col.decimals = max([col.decimals] + [len(m[1] or "") for t in texts if (m := _NUMBER.fullmatch(t))])
            widest = max([col.width] + [display_width(_aligned(t, col.decimals)) for t in texts])
            col.width = max(col.min_width, min(widest, AUTO_MAX))

    def _visible_columns(self, maxcol: int) -> list[tuple[int, int]]:
        """(column index, width on screen) of the columns that fit: the frozen ones, then the
        scrolled ones from `left`, keeping the cursor column in view and no blank space on the
        right while columns are scrolled out on the left."""
        cols = self.source.columns
        shown_cols = [i for i, c in enumerate(cols) if not c.hidden]
        if not shown_cols:
            return []
        frozen = [i for i in shown_cols if cols[i].frozen]
        if sum(cols[i].width + 1 for i in frozen) > maxcol // 2:
            frozen = []                    # a frozen part wider than half the screen leaves no room to scroll
        scrolled = [i for i in shown_cols if i not in frozen]
        room = maxcol - sum(cols[i].width + 1 for i in frozen)
        cur = min(self.source.col, len(cols) - 1)

        def span(a: int, b: int) -> int:
            return sum(cols[i].width + 1 for i in scrolled[a:b + 1]) - 1

        lp = next((n for n, i in enumerate(scrolled) if i >= self.left), 0)
        if cur in scrolled:
            p = scrolled.index(cur)
            lp = min(lp, p)
            while lp < p and span(lp, p) > room:      # a column wider than the screen sits leftmost
                lp += 1
        # After the screen grew (or a column narrowed): bring back columns from the left.
        while lp > 0 and span(lp - 1, len(scrolled) - 1) <= room:
            lp -= 1
        self.left = scrolled[lp] if scrolled else 0
        shown, used = [], 0
        for i in frozen + scrolled[lp:]:
            avail = maxcol - used
            if avail <= 0:
                break
            if avail < min(cols[i].width, MIN_PARTIAL) and shown:
                break                 # a sliver of a column says nothing: the › marker says there is more
            shown.append((i, min(cols[i].width, avail)))
            used += cols[i].width + 1
        self._boundary = len(frozen) if frozen and lp > 0 else None
        return shown

    # -- drawing ------------------------------------------------------------
    # Rows are laid out here, already fitted to their widths, and put straight
    # into one TextCanvas: going through a Text widget per row costs several
    # times more, and the grid redraws on every key.
    def render(self, size, focus=False):
        maxcol, maxrow = size
        self.width = maxcol
        self.height = max(1, maxrow - 1)
        src = self.source
        self._scroll(self.height)
        self._fit_widths()
        shown = self._visible_columns(maxcol)
        lines = [self._header(shown, maxcol)]
        start = self.top_seq - src.base
        blank = [("row", " " * maxcol)]
        empty = getattr(src, "empty_text", "")
        if empty and not src.rows:
            lines.append([("null", fit("  " + empty, maxcol))])
        marked = getattr(src, "is_marked", None)       # rows picked for a command (d deletes them)
        for r in range(self.height):
            i = start + r
            if 0 <= i < len(src.rows):
                lines.append(self._row(src.rows[i], shown, maxcol, i == src.cursor,
                                       marked is not None and marked(i)))
            else:
                lines.append(blank)
        return canvas(lines[:maxrow], maxcol)

    def _sep(self, n: int) -> str:
        return FROZEN_SEP if self._boundary is not None and n == self._boundary - 1 else SEP

    def _header(self, shown, maxcol) -> list:
        parts: list = []
        for n, (i, w) in enumerate(shown):
            col = self.source.columns[i]
            label = col.name + col.marker
            attr = "header focus" if i == self.source.col else "header"
            parts.append((attr, fit(label, w, right=col.right)))
            if n < len(shown) - 1:
                parts.append(("header sep", self._sep(n)))
        parts = _pad(parts, _used(shown), maxcol, "header")
        if shown and shown[-1][0] < max(i for i, c in enumerate(self.source.columns) if not c.hidden):
            attr, text = parts[-1]
            parts[-1] = (attr, text[:-1] + MORE) if text.isascii() or text.endswith(" ") else (attr, text)
        return parts

    def _row(self, row, shown, maxcol, current, marked=False) -> list:
        parts: list = []
        for n, (i, w) in enumerate(shown):
            value = row[i] if i < len(row) else None
            col = self.source.columns[i]
            if value is None:
                text, attr = fit(NULL_TEXT, w, right=col.right), "null"
            else:
                text, attr = fit(_aligned(col.format(value, w + 1), col.decimals), w, right=col.right), "cell"
            if current:
                attr = "cell focus" if i == self.source.col else ("null focus" if value is None else "row focus")
            elif marked:
                attr = "marked"
            parts.append((attr, text))
            if n < len(shown) - 1:
                parts.append(("sep focus" if current else "sep", self._sep(n)))
        return _pad(parts, _used(shown), maxcol, "row focus" if current else "marked" if marked else "row")


_NUMBER = re.compile(r"[-+]?\d+(?:\.(\d+))?")


def _aligned(text: str, decimals: int) -> str:
    """A number padded on the right so that its point lines up with the others' (never rounded)."""
    if not decimals:
        return text
    m = _NUMBER.fullmatch(text)
    if m is None:
        return text
    have = len(m[1]) + 1 if m[1] is not None else 0
    return text + " " * (decimals + 1 - have)


def _used(shown: list[tuple[int, int]]) -> int:
    """Columns taken by the cells (each exactly its width, by `fit`) and the separators between them."""
    return sum(w for _, w in shown) + max(0, len(shown) - 1)


def _pad(parts, used: int, maxcol: int, attr):
    if used < maxcol:
        parts.append((attr, " " * (maxcol - used)))
    return parts or [(attr, " " * maxcol)]
