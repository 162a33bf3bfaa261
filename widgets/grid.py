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

from collections.abc import Callable
from dataclasses import dataclass

import urwid

from widgets.cells import NULL_TEXT, fit, one_line

SEP = "│"
MORE = "›"            # in the header's last column: more columns to the right
MIN_PARTIAL = 6       # narrowest slice of a column worth showing at the right edge


@dataclass
class GridColumn:
    name: str
    width: int
    right: bool = False          # numbers are right-aligned
    marker: str = ""             # shown after the name: sort arrow
    format: Callable[[object], str] = one_line     # value (never None) -> one line of text


class GridView(urwid.Widget):
    _sizing = frozenset([urwid.Sizing.BOX])
    _selectable = True

    def __init__(self, source):
        super().__init__()
        self.source = source
        self.top_seq = 0          # sequence number of the first row on screen
        self.left = 0             # first column on screen
        self.height = 20          # rows of data last rendered; the console pages by it
        self.width = 80

    def selectable(self) -> bool:
        return True

    def keypress(self, size, key):
        return key                # all keys go through the app's keymap

    def changed(self) -> None:
        self._invalidate()

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

    def _visible_columns(self, maxcol: int) -> list[tuple[int, int]]:
        """(column index, width on screen) of the columns that fit, keeping the cursor column in view."""
        cols = self.source.columns
        if not cols:
            return []
        cur = min(self.source.col, len(cols) - 1)
        self.left = min(self.left, cur)
        # Scroll right until the whole cursor column fits (a column wider than the screen sits leftmost).
        while self.left < cur and sum(c.width + 1 for c in cols[self.left:cur + 1]) - 1 > maxcol:
            self.left += 1
        shown, used = [], 0
        for i in range(self.left, len(cols)):
            room = maxcol - used
            if room <= 0:
                break
            if room < min(cols[i].width, MIN_PARTIAL) and shown:
                break                 # a sliver of a column says nothing: the › marker says there is more
            shown.append((i, min(cols[i].width, room)))
            used += cols[i].width + 1
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
        shown = self._visible_columns(maxcol)
        lines = [self._header(shown, maxcol)]
        self._scroll(self.height)
        start = self.top_seq - src.base
        blank = [("row", " " * maxcol)]
        empty = getattr(src, "empty_text", "")
        if empty and not src.rows:
            lines.append([("null", fit("  " + empty, maxcol))])
        for r in range(self.height):
            i = start + r
            if 0 <= i < len(src.rows):
                lines.append(self._row(src.rows[i], shown, maxcol, i == src.cursor))
            else:
                lines.append(blank)
        return _canvas(lines[:maxrow], maxcol)

    def _header(self, shown, maxcol) -> list:
        parts: list = []
        for n, (i, w) in enumerate(shown):
            col = self.source.columns[i]
            label = col.name + col.marker
            attr = "header focus" if i == self.source.col else "header"
            parts.append((attr, fit(label, w, right=col.right)))
            if n < len(shown) - 1:
                parts.append(("header sep", SEP))
        parts = _pad(parts, _used(shown), maxcol, "header")
        if shown and shown[-1][0] < len(self.source.columns) - 1:
            attr, text = parts[-1]
            parts[-1] = (attr, text[:-1] + MORE) if text.isascii() or text.endswith(" ") else (attr, text)
        return parts

    def _row(self, row, shown, maxcol, current) -> list:
        parts: list = []
        for n, (i, w) in enumerate(shown):
            value = row[i] if i < len(row) else None
            col = self.source.columns[i]
            if value is None:
                text, attr = fit(NULL_TEXT, w, right=col.right), "null"
            else:
                text, attr = fit(col.format(value), w, right=col.right), "cell"
            if current:
                attr = "cell focus" if i == self.source.col else ("null focus" if value is None else "row focus")
            parts.append((attr, text))
            if n < len(shown) - 1:
                parts.append(("sep focus" if current else "sep", SEP))
        return _pad(parts, _used(shown), maxcol, "row focus" if current else "row")


def _used(shown: list[tuple[int, int]]) -> int:
    """Columns taken by the cells (each exactly its width, by `fit`) and the separators between them."""
    return sum(w for _, w in shown) + max(0, len(shown) - 1)


def _pad(parts, used: int, maxcol: int, attr):
    if used < maxcol:
        parts.append((attr, " " * (maxcol - used)))
    return parts or [(attr, " " * maxcol)]


def _canvas(lines: list[list[tuple[str, str]]], maxcol: int) -> urwid.Canvas:
    """One canvas from lines of (attribute, text) runs, each exactly *maxcol* columns wide."""
    if urwid.util.get_encoding() not in ("utf-8", "utf8"):
        texts = [urwid.Text(line, wrap="clip").render((maxcol,)) for line in lines]
        return urwid.CanvasCombine([(c, None, False) for c in texts])
    text, attr, cs = [], [], []
    for line in lines:
        encoded = [(a, t.encode("utf-8")) for a, t in line]
        text.append(b"".join(b for _, b in encoded))
        attr.append([(a, len(b)) for a, b in encoded if b])
        cs.append([(None, len(text[-1]))])
    return urwid.TextCanvas(text=text, attr=attr, cs=cs, maxcol=maxcol, check_width=False)
