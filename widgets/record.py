"""A read-only record: one line per field, long values wrapped in full."""

from __future__ import annotations

import urwid

from widgets.cells import NULL_TEXT, display_width


class RecordView(urwid.WidgetWrap):
    def __init__(self):
        self.walker = urwid.SimpleFocusListWalker([])
        self.listbox = urwid.ListBox(self.walker)
        super().__init__(self.listbox)

    def show(self, fields: list[tuple[str, str, str | None]], current: int | None = None) -> None:
        """fields: (name, type label, value text or None for NULL); *current* is highlighted and scrolled to."""
        width = min(32, max((display_width(n) for n, _, _ in fields), default=4) + 1)
        type_width = min(30, max((display_width(t) for _, t, _ in fields), default=4) + 1)
        rows = []
        for name, type_label, value in fields:
            shown = ("null", NULL_TEXT + " NULL") if value is None else value
            line = urwid.Columns([
                (width, urwid.Text(("field", name), wrap="ellipsis")),
                (type_width, urwid.Text(("type", type_label), wrap="ellipsis")),
                urwid.Text(shown),
            ], dividechars=1)
            focus_map = {None: "row focus", "field": "row focus", "type": "row focus"}
            rows.append(urwid.AttrMap(line, None, focus_map) if len(rows) == current else line)
        focus = self.listbox.focus_position if len(self.walker) else 0
        self.walker[:] = rows or [urwid.Text(("type", "no row"))]
        if rows:
            self.listbox.set_focus(min(current if current is not None else focus, len(rows) - 1))

    def keypress(self, size, key):
        return key        # keys go through the app's keymap
