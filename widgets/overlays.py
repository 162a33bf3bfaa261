"""Boxes drawn over the current screen: the key help and the command palette."""

from __future__ import annotations

import urwid

from widgets.cells import display_width


def _box(body: urwid.Widget, title: str) -> urwid.Widget:
    return urwid.AttrMap(urwid.LineBox(body, title=title, title_attr="dialog title"), "dialog")


class HelpView(urwid.WidgetWrap):
    """Sections of (keys, what they do); scrolls with the usual keys."""

    CLOSE_KEYS = ("esc", "?", "q", "f1")

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]], footer: str = "", on_close=None):
        self._on_close = on_close
        width = max((display_width(k) for _, rows in sections for k, _ in rows), default=4) + 2
        items: list[urwid.Widget] = []
        for n, (title, rows) in enumerate(sections):
            if items:
                items.append(urwid.Divider())
            items.append(urwid.Text(("dialog title", title)))
            for keys, text in rows:
                items.append(urwid.Columns([(width, urwid.Text(("key", keys))), urwid.Text(text)]))
            if n == 0 and footer:          # what belongs to this screen comes before what is everywhere
                items += [urwid.Divider(), urwid.Text(footer)]
        self.listbox = urwid.ListBox(urwid.SimpleFocusListWalker(items))
        super().__init__(_box(self.listbox, "Keys · j/k scroll · Esc or ? closes"))

    def keypress(self, size, key):
        if key in self.CLOSE_KEYS and self._on_close is not None:
            self._on_close()
            return None
        key = {"j": "down", "k": "up", " ": "page down", "g": "home", "G": "end"}.get(key, key)
        return super().keypress(size, key)


class ListLine(urwid.Text):
    """A line of a list screen: the list's focus can rest on it; its keys are the screen's (the keymap's)."""

    def selectable(self) -> bool:
        return True

    def keypress(self, size, key):
        return key


class _Choice(urwid.Columns):
    """A line of the picker: selectable, so that the list's focus can move onto it."""

    def selectable(self) -> bool:
        return True

    def keypress(self, size, key):
        return key


class Picker(urwid.WidgetWrap):
    """A list narrowed as you type; Enter picks the focused entry.

    items: (label, hint, value); on_pick(value) is called on Enter.
    """

    def __init__(self, title: str, items: list[tuple[str, str, object]], on_pick, on_cancel):
        self._items = items
        self._on_pick, self._on_cancel = on_pick, on_cancel
        self.edit = urwid.Edit(("key", "> "))
        self.walker = urwid.SimpleFocusListWalker([])
        self._fill("")
        body = urwid.Frame(urwid.ListBox(self.walker), header=urwid.Pile([self.edit, urwid.Divider("─")]))
        super().__init__(_box(body, title))

    def _fill(self, needle: str) -> None:
        words = needle.lower().split()
        whole = " ".join(words)
        rows = []

        def rank(item) -> int:
            label = item[0].lower()
            return 0 if label == whole else 1 if label.startswith(whole) else 2
        # An exact label first, then labels that start with the text, each in list order.
        for label, hint, value in sorted(self._items, key=rank):
            hay = f"{label} {hint}".lower()
            if all(w in hay for w in words):
                # Weights, not a width from the longest label: a help text of 80 columns in a 64-column
                # box left no room at all, and urwid then drew no row.
                row = _Choice([("weight", 4, urwid.Text(label, wrap="ellipsis")),
                               ("weight", 1, urwid.Text(("dialog hint", hint), align="right", wrap="ellipsis"))],
                              dividechars=1)
                row.value = value
                rows.append(urwid.AttrMap(row, None, {None: "dialog focus", "dialog hint": "dialog focus"}))
        if not rows:
            rows.append(urwid.Text(("dialog hint", "  nothing matches")))
        self.walker[:] = rows
        self.walker.set_focus(0)          # the best match is the first one

    @property
    def matches(self) -> list[object]:
        return [w.original_widget.value for w in self.walker if isinstance(w, urwid.AttrMap)]

    def keypress(self, size, key):
        if key == "esc":
            self._on_cancel()
            return None
        if key == "enter":
            focus = self.walker.get_focus()[0]
            if isinstance(focus, urwid.AttrMap):
                self._on_pick(focus.original_widget.value)
            return None
        if key in ("up", "down", "page up", "page down"):
            return super().keypress(size, key)
        before = self.edit.edit_text
        self.edit.keypress((size[0],), key)
        if self.edit.edit_text != before:
            self._fill(self.edit.edit_text)
        return None


class CommandLine(urwid.WidgetWrap):
    """The palette: a command line with what may come next listed under it, narrowed as you type.

    *complete(text)* gives the candidates (objects with label, hint, line, complete); Enter takes the focused
    one (the first, unless the arrows moved): run with *on_run(line)* when it is complete, else put in the line
    to go on typing; Tab puts it in the line; Esc calls *on_cancel*."""

    def __init__(self, title: str, complete, on_run, on_cancel, text: str = ""):
        self._complete, self._on_run, self._on_cancel = complete, on_run, on_cancel
        self.edit = urwid.Edit(("key", ": "), text)
        self.edit.set_edit_pos(len(text))
        self.hint = urwid.Text(("dialog hint", ""))
        self.walker = urwid.SimpleFocusListWalker([])
        self.candidates: list = []
        self.moved = False
        self._fill()
        body = urwid.Frame(urwid.ListBox(self.walker), header=urwid.Pile([self.edit, urwid.Divider("─")]),
                           footer=self.hint)
        super().__init__(_box(body, title))

    @property
    def text(self) -> str:
        return self.edit.edit_text

    def set_text(self, text: str) -> None:
        self.edit.set_edit_text(text)
        self.edit.set_edit_pos(len(text))
        self._fill()

    def set_hint(self, text: str) -> None:
        self.hint.set_text(("dialog hint", text))
        if text and not self.candidates:            # where the eye is: in place of "nothing matches"
            self.walker[:] = [urwid.Text(("error", f"  {text}"))]

    def _fill(self) -> None:
        self.candidates = list(self._complete(self.text))
        self.moved = False
        rows = []
        for cand in self.candidates:
            row = _Choice([("weight", 4, urwid.Text(cand.label, wrap="ellipsis")),
                           ("weight", 1, urwid.Text(("dialog hint", cand.hint), align="right", wrap="ellipsis"))],
                          dividechars=1)
            row.value = cand
            rows.append(urwid.AttrMap(row, None, {None: "dialog focus", "dialog hint": "dialog focus"}))
        if not rows:
            rows.append(urwid.Text(("dialog hint", "  nothing matches")))
        self.walker[:] = rows
        self.walker.set_focus(0)
        self.set_hint("")

    @property
    def focused(self):
        if not self.candidates:
            return None
        return self.candidates[min(self.walker.focus or 0, len(self.candidates) - 1)]

    def keypress(self, size, key):
        if key == "esc":
            self._on_cancel()
            return None
        if key in ("up", "down", "page up", "page down"):
            self.moved = True
            return super().keypress(size, key)
        if key == "tab":
            if self.focused is not None:
                self.set_text(self.focused.line)
            return None
        if key == "enter":
            cand = self.focused
            if cand is None:
                self._on_run(self.text)            # nothing proposed: the command line says what is wrong
            elif cand.complete:
                self._on_run(cand.line)
            else:
                self.set_text(cand.line)
            return None
        before = self.edit.edit_text
        self.edit.keypress((size[0],), key)
        if self.edit.edit_text != before:
            self._fill()
        return None


def centered(top: urwid.Widget, bottom: urwid.Widget, width: int = 80, height: int = 92) -> urwid.Overlay:
    return urwid.Overlay(top, bottom, align="center", width=(urwid.RELATIVE, width) if width <= 100 else width,
                         valign="middle", height=(urwid.RELATIVE, height), min_width=30, min_height=6)


class Confirm(urwid.WidgetWrap):
    """A question about something shown in the box: y answers yes; any other key, no."""

    def __init__(self, title: str, lines: list[str], hint: str, on_yes, on_no):
        self._on_yes, self._on_no = on_yes, on_no
        body = [urwid.Text(line, wrap="ellipsis") for line in lines]
        body += [urwid.Divider(), urwid.Text(("dialog hint", hint))]
        super().__init__(_box(urwid.ListBox(urwid.SimpleFocusListWalker(body)), title))

    def selectable(self) -> bool:
        return True

    def keypress(self, size, key):
        (self._on_yes if key in ("y", "Y") else self._on_no)()
        return None
