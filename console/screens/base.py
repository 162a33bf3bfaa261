"""What every screen has: a widget, a status line, commands named after the keymap."""

from __future__ import annotations

import urwid


class Screen:
    name = ""             # registry key; also the keymap's screen name
    title = ""
    palette = False       # listed in the command palette (opens without arguments)
    help_footer = ""      # extra text at the end of the help overlay

    def __init__(self, app):
        self.app = app
        self.widget: urwid.Widget = urwid.SolidFill(" ")

    def status_text(self) -> str:
        return self.title

    def hint(self, command: str, words: str) -> str:
        """A key hint for this screen, from the keymap: hint("undo", "undoes") is "u undoes" (or what the
        operator bound to undo in keys.toml)."""
        return self.app.keymap.hint(command, self.name, words)

    def busy_label(self) -> str:
        return "working"

    commands: tuple = ()  # a plugin screen's own console.commands.Command entries (built-in ones are there)
    keys: tuple = ()      # a plugin screen's own console.keymap.Binding entries (built-in ones are in BINDINGS)

    def has_command(self, name: str) -> bool:
        return callable(getattr(self, "cmd_" + name, None))

    def command(self, name: str, args=()) -> bool:
        """Run the command *name* with *args* (strings, as typed); False when this screen has none by that name."""
        method = getattr(self, "cmd_" + name, None)
        if method is None:
            return False
        method(*args)
        return True

    def cancel_work(self) -> bool:
        """Cancel this screen's running queries; True when something was cancelled."""
        return False

    def on_show(self) -> None:
        """The screen became the top of the stack (first time or again)."""

    def models_loaded(self) -> None:
        """The operator's models (app.models) have arrived."""

    def on_cover(self, above) -> None:
        """The screen *above* is pushed over this one."""

    def on_close(self) -> None:
        """The screen leaves the stack for good: stop its work."""
        self.cancel_work()

    def rows_changed(self) -> None:
        """The rows of the browse screen under this one changed (a screen on top of a browse screen)."""

    def typed(self, key: str) -> bool:
        """A key no binding claimed; True when the screen used it."""
        return False

    def edit_key(self, key: str) -> bool:
        """A key offered to the text field being edited before the keymap sees it; True when it took it."""
        return False

    def click(self, x: int, y: int, *, double: bool) -> bool:
        """A left click at (x, y) of the screen's widget (double: the second of two quick ones); False when the
        screen leaves it to its widget."""
        return False

    def paste(self, text: str) -> bool:
        """Pasted *text* (a bracketed paste), for the field being edited; False when the screen takes none."""
        return False

    def escape(self) -> bool:
        """Esc, before the app's own handling (cancel, else back); True when the screen has dealt with it."""
        return False

    def has_unsaved(self) -> bool:
        """Does leaving this screen lose the operator's input?"""
        return False

    def close_requested(self, close) -> bool:
        """The operator asked to leave this screen (q, Esc). False: it may close now. True: it will see to it
        (e.g. asks before discarding unsaved changes, then calls close() or not)."""
        return False


class ScrollingScreen(Screen):
    """A screen that is one scrolling list: the movement commands scroll it."""

    def scroll_target(self) -> urwid.ListBox:
        raise NotImplementedError

    def _scroll(self, key: str) -> None:
        cols, rows = self.app.loop.screen.get_cols_rows()
        self.scroll_target().keypress((cols, max(1, rows - 3)), key)

    def cmd_up(self):
        self._scroll("up")

    def cmd_down(self):
        self._scroll("down")

    def cmd_page_up(self):
        self._scroll("page up")

    def cmd_page_down(self):
        self._scroll("page down")

    def cmd_first(self):
        self._scroll("home")

    def cmd_last(self):
        self._scroll("end")
