"""Settings: core dumps exactly as the kernel sees them, the theme, and the
preferences file. Every state shown is read back from the system after a
change, never the state that was hoped for."""

from __future__ import annotations

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
        on = state.enabled and not coredump.blockers(state)
        rows: list[urwid.Widget] = [
            urwid.Text(("section", "Core dumps")),
            urwid.Columns([(15, urwid.Text(("field", "State"))),
                           urwid.Text([("ok" if on else "warn", "ON" if state.enabled else "OFF"),
                                       ("type", "   (t toggles)")])]),
            self._pair("Soft limit", coredump.human_size(state.soft)),
            self._pair("Hard limit", coredump.human_size(state.hard) + ("  (never lowered by rowdesk)")),
            self._pair("Pattern", state.core_pattern if state.core_pattern is not None else "unreadable"),
            self._pair("suid_dumpable", str(state.suid_dumpable) if state.suid_dumpable is not None else "unreadable"),
            self._pair("Dumpable", {None: "unknown", True: "yes", False: "NO"}[state.dumpable]),
            urwid.Divider(),
        ]
        rows += [urwid.Text(line) for line in state.explain()]
        for reason in coredump.blockers(state):
            rows.append(urwid.Text(("warn", "! " + reason)))
        if self.last_change is not None:
            rows += [urwid.Divider(), urwid.Text(("section", "Last change"))]
            change = self.last_change
            rows.append(urwid.Text(("ok" if change.ok else "error", change.summary())))
            # Blockers of the current state are listed above already; say only what is new.
            shown = set(coredump.blockers(state)) | set(state.explain())
            rows += [urwid.Text(("warn", "! " + r)) for r in change.reasons if r not in shown]
        rows += [urwid.Divider(), urwid.Text(("warn", coredump.CREDENTIALS_NOTE))]

        prefs = self.app.preferences
        rows += [
            urwid.Divider(), urwid.Text(("section", "Preferences")),
            self._pair("Config file", preferences.display_path(prefs.path)),
            self._pair("At start", "core dumps " + ("on" if prefs.prefs.dump_core else "off") +
                       "   (w remembers the current state in the config file)"),
            self._pair("Theme", f"{self.app.theme}   (c cycles: {', '.join(themes.THEMES)}; this session only)"),
        ]
        if self.saved_note:
            rows.append(urwid.Text(("ok", self.saved_note)))
        rows += [urwid.Text(("error", "! " + p)) for p in prefs.problems]
        focus = self.listbox.focus_position if len(self.walker) else 0
        self.walker[:] = rows
        self.listbox.set_focus(min(focus, len(rows) - 1))

    @staticmethod
    def _pair(name: str, value: str) -> urwid.Widget:
        return urwid.Columns([(15, urwid.Text(("field", name))), urwid.Text(value)])

    def status_text(self) -> str:
        state = coredump.read_state()
        return f"settings · core dumps {'on' if state.enabled else 'off'} · soft {coredump.human_size(state.soft)} " \
               f"· hard {coredump.human_size(state.hard)}"

    # -- commands ---------------------------------------------------------------------------
    def cmd_toggle_core(self):
        state = coredump.read_state()
        self.last_change = coredump.disable() if state.enabled else coredump.enable()
        self.app.message(self.last_change.summary(), error=not self.last_change.ok)
        self.render()
        self.app.update_status()

    def cmd_remember(self):
        state = coredump.read_state()
        try:
            path = preferences.save_dump_core(state.enabled, self.app.preferences.path)
        except (preferences.PreferencesError, OSError) as e:
            self.app.message(f"not saved: {e}", error=True)
            return
        self.app.preferences = preferences.load(path)
        self.saved_note = f"saved: core dumps {'on' if state.enabled else 'off'} at start, in {path}"
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

