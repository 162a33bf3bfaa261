"""The two bottom lines: a status line (what you look at, and a spinner while
work runs) and a message line that doubles as the prompt."""

from __future__ import annotations

import urwid

from widgets.cells import tail_fit

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class StatusBar(urwid.WidgetWrap):
    def __init__(self):
        self._left = urwid.Text("", wrap="ellipsis")
        self._right = urwid.Text("", align="right", wrap="clip")
        self._cols = urwid.Columns([self._left, (urwid.PACK, self._right)], dividechars=1)
        self._line = urwid.AttrMap(self._cols, "status")
        self._message = urwid.Text("", wrap="ellipsis")
        self._bottom = urwid.WidgetPlaceholder(self._message)
        self._frame = 0
        self.busy_label = ""
        super().__init__(urwid.Pile([self._line, self._bottom]))

    def set_status(self, text: str) -> None:
        self._left.set_text(text)

    def set_busy(self, label: str) -> None:
        """Show *label* with a spinner; an empty label hides it."""
        self.busy_label = label
        self._render_right()

    def tick(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self._render_right()

    def _render_right(self) -> None:
        if self.busy_label:
            self._right.set_text(("status busy", f"{SPINNER[self._frame]} {self.busy_label}  Esc cancels"))
        else:
            self._right.set_text("")

    def message(self, text: str, *, error: bool = False) -> None:
        self._message.set_text(("error" if error else "message", text))
        self._bottom.original_widget = self._message

    @property
    def message_text(self) -> str:
        return self._message.text

    def show_prompt(self, prompt: urwid.Widget) -> None:
        self._bottom.original_widget = prompt
        self._w.focus_position = 1

    def hide_prompt(self) -> None:
        self._bottom.original_widget = self._message


class TailText(urwid.Widget):
    """One line that, when too long, loses its beginning rather than its end:
    the file name at the end of a path is the part worth keeping."""

    _sizing = frozenset([urwid.Sizing.FLOW])

    def __init__(self, text: str, attr: str):
        super().__init__()
        self.text, self.attr = text, attr

    def rows(self, size, focus=False) -> int:
        return 1

    def render(self, size, focus=False):
        (maxcol,) = size
        return urwid.Text((self.attr, tail_fit(self.text, maxcol)), wrap="clip").render((maxcol,))


class Prompt(urwid.Edit):
    """One line of input; tells its owner about every change, Enter and Esc."""

    def __init__(self, caption: str, text: str = "", *, on_done, on_cancel, on_change=None):
        super().__init__(("prompt", caption), text)
        self.set_edit_pos(len(text))
        self._on_done, self._on_cancel, self._on_change = on_done, on_cancel, on_change

    def keypress(self, size, key):
        if key == "enter":
            self._on_done(self.edit_text)
            return None
        if key == "esc":
            self._on_cancel()
            return None
        before = self.edit_text
        rest = super().keypress(size, key)
        if self._on_change is not None and self.edit_text != before:
            self._on_change(self.edit_text)
        return rest
