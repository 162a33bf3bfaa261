"""A read-only record: every field with its name, type and value.

Each value shows its first lines only (at most PREVIEW_LINES, laid out from a
bounded piece of the value), so that opening, scrolling and resizing cost the
same for a 1 MB value as for a short one; the value screen pages through the
whole of a longer value. Narrow screens stack each value under its name.
"""

from __future__ import annotations

from dataclasses import dataclass

import urwid

from widgets.canvas import Line, canvas
from widgets.cells import NULL_TEXT, display_width, fit
from widgets.documents import HexDocument, TextDocument, lines_from

PREVIEW_LINES = 20
MIN_VALUE_WIDTH = 24       # narrower than this, values go under their names


@dataclass(frozen=True)
class RecordField:
    name: str
    type_label: str
    value: str | bytes | None          # text (newlines kept) or bytes (hex dump); None is NULL
    note: str = ""                     # how the value is shown, e.g. "JSON, pretty-printed"
    total: str = ""                    # the stored value's size ("1,048,576 characters"), when shown otherwise


def document(value: str | bytes, width: int):
    return HexDocument(value, width) if isinstance(value, bytes) else TextDocument(value, width)


def size_text(value: str | bytes) -> str:
    if isinstance(value, bytes):
        return f"{len(value):,} bytes"
    return f"{len(value):,} characters"


class RecordView(urwid.Widget):
    _sizing = frozenset([urwid.Sizing.BOX])
    _selectable = True

    def __init__(self):
        super().__init__()
        self.fields: list[RecordField] = []
        self.focus_field = 0                       # the field the keys act on
        self.top = 0                         # first line on screen
        self.height = 20
        self._lines: list[tuple[int, Line]] = []     # (field index, runs) for the width laid out
        self._starts: list[int] = []                 # first line of each field
        self._width: int | None = None
        self._reveal_pending = False

    def show(self, fields: list[RecordField], current: int | None = None) -> None:
        """New fields (another row); the field *current* (the grid's column) gets the focus, and is
        scrolled into view, when the field list changes."""
        names_changed = [f.name for f in fields] != [f.name for f in self.fields]
        self.fields = fields
        if names_changed:
            self.focus_field = current if current is not None and current < len(fields) else 0
            self.top = 0
            self._reveal_pending = True         # once laid out: the current column's field in view
        self.focus_field = min(self.focus_field, max(0, len(fields) - 1))
        self._width = None
        self._invalidate()

    def keypress(self, size, key):
        return key        # keys go through the app's keymap

    # -- layout ---------------------------------------------------------------------------------
    def _layout(self, maxcol: int) -> None:
        if self._width == maxcol:
            return
        self._width = maxcol
        fields = self.fields
        name_w = min(32, max((display_width(f.name) for f in fields), default=4) + 1)
        type_w = min(30, max((display_width(f.type_label) for f in fields), default=4) + 1)
        value_w = maxcol - name_w - type_w - 2
        stacked = value_w < MIN_VALUE_WIDTH
        lines: list[tuple[int, Line]] = []
        starts = []
        for i, f in enumerate(fields):
            starts.append(len(lines))
            label = f.type_label
            if stacked:
                width = max(1, maxcol - 2)
                body = self._body(f, width)
                head = [("field", f.name), ("type", " " + label)]
                lines.append((i, _fill(head, maxcol)))
                lines += [(i, [("row", "  ")] + _fill(run, width)) for run in body]
            else:
                body = self._body(f, value_w)
                gutter = [("field", fit(f.name, name_w)), ("row", " "), ("type", fit(label, type_w)), ("row", " ")]
                blank = [("row", " " * (name_w + type_w + 2))]
                for n, run in enumerate(body):
                    lines.append((i, (gutter if n == 0 else blank) + _fill(run, value_w)))
        self._lines, self._starts = lines, starts
        self.top = min(self.top, self._max_top())

    @staticmethod
    def _body(f: RecordField, width: int) -> list[Line]:
        if f.value is None:
            return [[("null", NULL_TEXT + " NULL")]]
        doc = document(f.value, width)
        shown = lines_from(doc, doc.first(), PREVIEW_LINES + 1)
        body = [[("cell", doc.line(p))] for p in shown[:PREVIEW_LINES]]
        if len(shown) > PREVIEW_LINES:
            body.append([("type", f"⋯ {f.total or size_text(f.value)} in all · Enter shows the whole value")])
        if f.note:
            body.append([("type", f"({f.note})")])
        return body

    def _field_end(self, i: int) -> int:
        """One past the last line of field *i*."""
        return self._starts[i + 1] if i + 1 < len(self._starts) else len(self._lines)

    def _max_top(self) -> int:
        return max(0, len(self._lines) - self.height)

    # -- moving ---------------------------------------------------------------------------------
    def _reveal(self, i: int, *, bottom: bool = False) -> None:
        start, end = self._starts[i], self._field_end(i)
        if start < self.top or end - start > self.height:
            self.top = max(start, end - self.height) if bottom else start
        elif end > self.top + self.height:
            self.top = end - self.height
        self.top = max(0, min(self.top, self._max_top()))

    def _field_at(self, line: int) -> int:
        return self._lines[line][0] if self._lines else 0

    def _ready(self) -> bool:
        self._layout(self._width or 80)
        return bool(self.fields)

    def down(self) -> None:
        if not self._ready():
            return
        if self._field_end(self.focus_field) > self.top + self.height:
            self.top = min(self.top + 1, self._max_top())        # inside a tall field: scroll through it
        elif self.focus_field + 1 < len(self.fields):
            self.focus_field += 1
            self._reveal(self.focus_field)
        self._invalidate()

    def up(self) -> None:
        if not self._ready():
            return
        if self._starts[self.focus_field] < self.top:
            self.top -= 1
        elif self.focus_field > 0:
            self.focus_field -= 1
            self._reveal(self.focus_field, bottom=True)
        self._invalidate()

    def page_down(self) -> None:
        if self._ready():
            self.top = min(self.top + self.height, self._max_top())
            at_bottom = self.top == self._max_top() and self.top
            self.focus_field = len(self.fields) - 1 if at_bottom else self._field_at(self.top)
            self._invalidate()

    def page_up(self) -> None:
        if self._ready():
            self.top = max(0, self.top - self.height)
            self.focus_field = self._field_at(self.top)
            self._invalidate()

    def home(self) -> None:
        if self._ready():
            self.top, self.focus_field = 0, 0
            self._invalidate()

    def end(self) -> None:
        """The end of the record: its last line at the bottom of the screen."""
        if self._ready():
            self.top, self.focus_field = self._max_top(), len(self.fields) - 1
            self._invalidate()

    # -- drawing --------------------------------------------------------------------------------
    def render(self, size, focus=False):
        maxcol, maxrow = size
        if maxrow != self.height:
            self.height = maxrow
            self._width = None
        self._layout(maxcol)
        if self._reveal_pending and self.fields:
            self._reveal_pending = False
            self._reveal(self.focus_field)
        if not self.fields:
            return canvas([[("type", fit("no row", maxcol))]] + [[("row", " " * maxcol)]] * (maxrow - 1), maxcol)
        out = []
        for n in range(maxrow):
            i = self.top + n
            if i < len(self._lines):
                index, runs = self._lines[i]
                if index == self.focus_field:
                    runs = _focused(runs, first=i == self._starts[index])
                out.append(runs)
            else:
                out.append([("row", " " * maxcol)])
        return canvas(out, maxcol)


def _fill(runs: Line, width: int) -> Line:
    """Runs padded (or cut) to exactly *width* columns."""
    out: Line = []
    used = 0
    for attr, text in runs:
        room = width - used
        if room <= 0:
            break
        w = display_width(text)
        if w > room:
            text, w = fit(text, room), room
        out.append((attr, text))
        used += w
    if used < width:
        out.append(("row", " " * (width - used)))
    return out


def _focused(runs: Line, *, first: bool) -> Line:
    """The focused field: its first line highlighted (a block over a long value would hide it)."""
    if first:
        return [("row focus", text) if attr != "null" else ("null focus", text) for attr, text in runs]
    return runs
