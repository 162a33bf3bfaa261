"""Settings: core dumps exactly as the kernel sees them, the theme, and the
preferences file. Every state shown is read back from the system after a
change, never the state that was hoped for."""

from __future__ import annotations

import os

import urwid

from console import coredump, preferences, themes
from console.registry import screen
from console.screens.base import ScrollingScreen


@screen
class SettingsScreen(ScrollingScreen):
    name = "settings"
    title = "Settings"
    palette = True

    def __init__(self, app):
        super().__init__(app)
        self.walker = urwid.SimpleFocusListWalker([])
        self.listbox = urwid.ListBox(self.walker)
        self.widget = urwid.Padding(self.listbox, left=1, right=1)
        self.last_change: coredump.ChangeResult | None = None
        self.saved_note = ""
        self.render()

    # -- drawing --------------------------------------------------------------------------
    def render(self) -> None:
        state = coredump.read_state()
        found = coredump.verdict(state)
        if not coredump.toggle_raises(state):
            hint = "t turns them off"
        else:
            hint = "t turns them on" if state.soft == 0 else "t raises the soft limit to the hard limit"
        rows: list[urwid.Widget] = [
            urwid.Text(("section", "Core dumps")),
            urwid.Columns([(15, urwid.Text(("field", "State"))),
                           urwid.Text([("ok" if found.written else "warn", found.word), ("type", f"   ({hint})")])]),
            self._pair("Soft limit", coredump.human_size(state.soft)),
            self._pair("Hard limit", coredump.human_size(state.hard) + ("  (never lowered by rowdesk)")),
            self._pair("Pattern", state.core_pattern if state.core_pattern is not None else "unreadable"),
            self._pair("suid_dumpable", str(state.suid_dumpable) if state.suid_dumpable is not None else "unreadable"),
            self._pair("Dumpable", {None: "unknown", True: "yes", False: "NO"}[state.dumpable]),
            urwid.Divider(),
        ]
        rows += [urwid.Text(line) for line in state.explain()]
        # Why the State is not ON, each with what to do: the same reasons that chose the word.
        rows += [urwid.Text(("warn", "! " + reason)) for reason in found.reasons]
        if self.last_change is not None:
            rows += [urwid.Divider(), urwid.Text(("section", "Last change"))]
            change = self.last_change
            rows.append(urwid.Text(("ok" if change.ok else "error", change.summary())))
            # The current state's reasons are listed above already; say only what is new.
            shown = set(found.reasons) | set(state.explain())
            rows += [urwid.Text(("warn", "! " + r)) for r in change.reasons if r not in shown]
        rows += [urwid.Divider(), urwid.Text(("warn", coredump.CREDENTIALS_NOTE))]

        prefs = self.app.preferences
        rows += [
            urwid.Divider(), urwid.Text(("section", "Preferences")),
            self._pair("Config file", preferences.display_path(prefs.path)),
            self._pair("At start", _at_start(prefs.prefs.dump_core) +
                       f"   ({self.hint('remember', 'remembers the current state in the config file')})"),
            self._pair("Theme", f"{self.app.theme}   ({self.hint('cycle_theme', 'cycles')}: "
                                f"{', '.join(themes.THEMES)}; this session only)"),
        ]
        if self.saved_note:
            rows.append(urwid.Text(("ok", self.saved_note)))
        if prefs.problems:
            rows += [urwid.Divider(), urwid.Text(("section", "Problems found at start"))]
            rows += [urwid.Text(("error", "! " + p)) for p in prefs.problems]
        focus = self.listbox.focus_position if len(self.walker) else 0
        self.walker[:] = rows
        self.listbox.set_focus(min(focus, len(rows) - 1))

    @staticmethod
    def _pair(name: str, value: str) -> urwid.Widget:
        return urwid.Columns([(15, urwid.Text(("field", name))), urwid.Text(value)])

    def status_text(self) -> str:
        state = coredump.read_state()
        word = coredump.verdict(state).word.lower()
        if word == "piped":
            word = f"piped to {os.path.basename(state.pipe_program or '')}"
        return f"settings · core dumps {word} · soft {coredump.human_size(state.soft)} " \
               f"· hard {coredump.human_size(state.hard)}"

    # -- commands ---------------------------------------------------------------------------
    def cmd_toggle_core(self):
        self.last_change = coredump.toggle()
        self.app.message(self.last_change.summary(), error=not self.last_change.ok)
        self.render()
        self.app.update_status()

    def cmd_remember(self):
        on = coredump.read_state().enabled
        try:
            path = preferences.save_dump_core(on, self.app.preferences.path)
        except preferences.PreferencesError as e:
            self.app.message(f"not saved: {e}", error=True)
            return
        self.app.preferences = preferences.reload(self.app.preferences)
        self.saved_note = (f"saved: core dumps {'on' if on else 'off'} at start, in "
                           f"{preferences.display_path(path)}")
        self.render()

    def cmd_cycle_theme(self):
        names = list(themes.THEMES)
        self.app.set_theme(names[(names.index(self.app.theme) + 1) % len(names)])
        self.render()

    def cmd_refresh(self):
        self.render()
        self.app.update_status()

    def scroll_target(self):
        return self.listbox


def _at_start(dump_core: bool | None) -> str:
    """What the config file's ``[core] dump`` does when rowdesk starts."""
    if dump_core is None:
        return "[core] dump not set: core dumps stay as rowdesk was started (ulimit -c)"
    return f"[core] dump = {str(dump_core).lower()}: core dumps turned {'on' if dump_core else 'off'} at start"
