"""The two bottom lines: a status line (what you look at, and a spinner while
work runs) and a message line that doubles as the prompt."""

from __future__ import annotations

from dataclasses import dataclass

import urwid

from widgets.cells import display_width, fit, tail_fit

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
JOIN = " · "


@dataclass(frozen=True)
class Part:
    """A piece of the status line. When the line is too narrow, the pieces that
    matter least (low `keep`) are shortened first, then dropped."""
    text: str
    short: str | None = None
    keep: int = 1


def parts_of(status) -> list[Part]:
    return [Part(status, keep=0)] if isinstance(status, str) else list(status)


def fit_parts(parts: list[Part], width: int) -> str:
    """The status text within *width* columns: shorten, then drop, the least important parts."""
    texts = [p.text for p in parts]

    def length() -> int:
        return display_width(JOIN.join(t for t in texts if t))
    order = sorted(range(len(parts)), key=lambda i: parts[i].keep)
    for i in order:
        if length() <= width:
            break
        if parts[i].short is not None:
            texts[i] = parts[i].short
    for i in order[:-1]:                      # the most important part is never dropped, at worst cut
        if length() <= width:
            break
        texts[i] = ""
    return JOIN.join(t for t in texts if t)


class _StatusLine(urwid.Widget):
    """The status text on the left, the spinner on the right; both fitted to the width."""
    _sizing = frozenset([urwid.Sizing.FLOW])

    def __init__(self):
        super().__init__()
        self.parts: list[Part] = []
        self.busy = ""                        # "⠋ reading rows", empty when idle
        self.cancel_hint = "Esc cancels"      # beside it: the owner says which key cancels

    def rows(self, size, focus=False) -> int:
        return 1

    def render(self, size, focus=False):
        (maxcol,) = size
        right = ""
        if self.busy:
            right = f"{self.busy}  {self.cancel_hint}"
            if maxcol < 100:
                right = self.busy
        room = maxcol - (display_width(right) + 1 if right else 0)
        left = fit(fit_parts(self.parts, room), max(0, room))
        markup = [("status", left)]
        if right:
            markup += [("status", " "), ("status busy", right)]
        return urwid.Text(markup, wrap="clip").render((maxcol,))


class StatusBar(urwid.WidgetWrap):
    def __init__(self):
        self._line = _StatusLine()
        self._message = urwid.Text("", wrap="ellipsis")
        self._bottom = urwid.WidgetPlaceholder(self._message)
        self._frame = 0
        self.busy_label = ""
        super().__init__(urwid.Pile([urwid.AttrMap(self._line, "status"), self._bottom]))

    @property
    def cancel_hint(self) -> str:
        """Beside the spinner: which key cancels (the owner's keymap says)."""
        return self._line.cancel_hint

    @cancel_hint.setter
    def cancel_hint(self, text: str) -> None:
        self._line.cancel_hint = text
        self._line._invalidate()

    def set_status(self, status) -> None:
        """*status*: a text, or a list of `Part`s that shorten in order on a narrow screen."""
        self._line.parts = parts_of(status)
        self._line._invalidate()

    def set_busy(self, label: str) -> None:
        """Show *label* with a spinner; an empty label hides it."""
        self.busy_label = label
        self._render_right()

    def tick(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self._render_right()

    def _render_right(self) -> None:
        self._line.busy = f"{SPINNER[self._frame]} {self.busy_label}" if self.busy_label else ""
        self._line._invalidate()

    def message(self, text: str, *, error: bool = False) -> None:
        self._message.set_text(("error" if error else "message", text))
        if not isinstance(self._bottom.original_widget, Prompt):
            self._bottom.original_widget = self._message     # an open prompt keeps the line: it has the keys

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

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self._invalidate()

    def rows(self, size, focus=False) -> int:
        return 1

    def render(self, size, focus=False):
        (maxcol,) = size
        return urwid.Text((self.attr, tail_fit(self.text, maxcol)), wrap="clip").render((maxcol,))


class Prompt(urwid.Edit):
    """One line of input; tells its owner about every change, Enter and Esc.

    A pre-filled text is selected, as in a form: the first character typed
    replaces it, while a cursor key or Backspace starts editing it. ^U clears."""

    SELECTED_HINT = "(typing replaces) "

    def __init__(self, caption: str, text: str = "", *, on_done, on_cancel, on_change=None):
        self._label = caption
        self.selected = bool(text)
        super().__init__(self._caption_markup(), text)
        self.set_edit_pos(len(text))
        self._on_done, self._on_cancel, self._on_change = on_done, on_cancel, on_change

        self.hint = ""

    def _caption_markup(self):
        markup = [("prompt", self._label)]
        if getattr(self, "hint", ""):
            markup.insert(0, ("prompt", self._label.rstrip(": ")))
            markup[1] = ("type", f" {self.hint}: ")
        if self.selected:
            markup.append(("type", self.SELECTED_HINT))
        return markup

    def set_hint(self, hint: str) -> None:
        """A word after the caption, e.g. what the text typed so far matches."""
        self.hint = hint
        self.set_caption(self._caption_markup())

    def _deselect(self) -> None:
        if self.selected:
            self.selected = False
            self.set_caption(self._caption_markup())

    def keypress(self, size, key):
        if key == "enter":
            self._on_done(self.edit_text)
            return None
        if key == "esc":
            self._on_cancel()
            return None
        before = self.edit_text
        if key == "ctrl u":
            self.set_edit_text("")
            rest = None
        else:
            if self.selected and isinstance(key, str) and len(key) == 1 and key.isprintable():
                self.set_edit_text("")              # typing replaces the selected text
            self._deselect()
            rest = super().keypress(size, key)
        self._deselect()
        if self._on_change is not None and self.edit_text != before:
            self._on_change(self.edit_text)
        return rest
