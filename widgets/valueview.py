"""One value, all of it, a screen at a time: text with its line breaks, or a
hex dump of bytes. Paging costs the same anywhere in a value of any size (see
`widgets.documents`)."""

from __future__ import annotations

import urwid

from widgets.canvas import canvas
from widgets.cells import fit
from widgets.documents import back, lines_from
from widgets.record import document


class ValueView(urwid.Widget):
    _sizing = frozenset([urwid.Sizing.BOX])
    _selectable = True

    def __init__(self, value: str | bytes):
        super().__init__()
        self.value = value
        self.height = 20
        self._width = 80
        self.doc = document(value, self._width)
        self.top = self.doc.first()

    def set_value(self, value: str | bytes) -> None:
        """Show another form of the value (raw or formatted) from its start."""
        self.value = value
        self.doc = document(value, self._width)
        self.top = self.doc.first()
        self._invalidate()

    def keypress(self, size, key):
        return key        # keys go through the app's keymap

    def _relayout(self, maxcol: int) -> None:
        if maxcol == self._width:
            return
        # Keep the place: the new layout starts at the line holding the old top's offset.
        offset = self.doc.offset(self.top)
        self._width = maxcol
        self.doc = document(self.value, maxcol)
        self.top = self.doc.position_of(offset)

    # -- moving ---------------------------------------------------------------------------------
    def _last_top(self):
        return back(self.doc, self.doc.last(), self.height - 1)

    def down(self, lines: int = 1) -> None:
        last_top = self._last_top()
        for _ in range(lines):
            if self.top == last_top:
                break
            nxt = self.doc.after(self.top)
            if nxt is None:
                break
            self.top = nxt
        self._invalidate()

    def up(self, lines: int = 1) -> None:
        self.top = back(self.doc, self.top, lines)
        self._invalidate()

    def page_down(self) -> None:
        self.down(self.height)

    def page_up(self) -> None:
        self.up(self.height)

    def home(self) -> None:
        self.top = self.doc.first()
        self._invalidate()

    def end(self) -> None:
        self.top = self._last_top()
        self._invalidate()

    @property
    def percent(self) -> int:
        size = self.doc.size
        if not size:
            return 100
        bottom = lines_from(self.doc, self.top, self.height)[-1]
        if bottom == self.doc.last():
            return 100
        return min(99, self.doc.offset(bottom) * 100 // size)

    # -- drawing --------------------------------------------------------------------------------
    def render(self, size, focus=False):
        maxcol, maxrow = size
        self.height = maxrow
        self._relayout(maxcol)
        shown = lines_from(self.doc, self.top, maxrow)
        out = [[("cell", fit(self.doc.line(p), maxcol))] for p in shown]
        out += [[("row", " " * maxcol)]] * (maxrow - len(out))
        return canvas(out, maxcol)
