"""The application: a window stack of screens on one urwid MainLoop that runs
on a Twisted reactor. Takes its database (with its thread pools), reactor and
display as arguments, so tests run it on a fresh reactor with a headless
screen.

Every callback that updates widgets from a Deferred goes through
`App.deliver`, which turns unexpected exceptions into a crash (terminal
restored, report written) and asks for a redraw: the reactor does not redraw
after a thread's Deferred on its own.
"""

from __future__ import annotations

import logging
import os
import signal
import sys

import urwid

from console import commands, keymap, paths, preferences, registry, themes
from console.screens.base import Screen
from storage.jobs import is_cancel
from storage.secrets import mask_secrets
from widgets.overlays import CommandLine, HelpView, centered
from widgets.statusbar import Prompt, StatusBar, TailText

log = logging.getLogger(__name__)
# Commands the palette does not list: they move within the screen, or are the palette itself.
UNLISTED = frozenset({"up", "down", "page_up", "page_down", "left", "right", "next_field", "previous_field",
                      "escape", "palette", "select"})
SPIN_INTERVAL = 0.12
OSC52_LIMIT = 100_000        # base64 characters: xterm's default (and what most terminals take at most)
DOUBLE_CLICK = 0.4            # seconds between the two clicks of a double click
# What a key inside a bracketed paste stands for: the terminal sends text, urwid reads keys.
PASTED = {"enter": "\n", "tab": "\t", "esc": "\x1b", "backspace": "\x7f",
          **{f"ctrl {c}": chr(ord(c) - 96) for c in "abcdefghijklmnopqrstuvwxyz"}}


class _Root(urwid.WidgetWrap):
    def __init__(self, app: App, frame: urwid.Frame):
        self.app = app
        super().__init__(frame)

    def keypress(self, size, key):
        return self.app.keypress(size, key)

    def mouse_event(self, size, event, button, col, row, focus):
        return self.app.mouse_event(size, event, button, col, row)


class App:
    def __init__(self, db, reactor, *, display=None, theme: str = themes.DEFAULT, manage_reactor: bool = True,
                 prefs: preferences.LoadResult | None = None, mouse: bool = True, models: str | None = None):
        self.db = db
        self.preferences = prefs if prefs is not None else preferences.load()
        self.reactor = reactor
        self.manage_reactor = manage_reactor
        self.stack: list[Screen] = []
        self.models_module = models           # the operator's SQLObject classes (--models), loaded at start
        self.models = None                    # their storage.user_models.ModelSet, once loaded
        self.exit_problem: str | None = None  # said on stderr after the terminal is back (rowdesk exits 1)
        self.keymap = keymap.Keymap(keymap.BINDINGS)    # this session's: the screens' own keys, keys.toml join it
        self._keyed_screens: set[str] = set()
        self.table_names: list[str] = []
        self.overlay: urwid.Widget | None = None
        self.prompt: Prompt | None = None
        self.crashed: BaseException | None = None
        self.finished = False
        self._spin_handle = None
        self._redraw_pending = False
        self._pasted: list[str] | None = None      # the text of a bracketed paste, while it arrives
        self._problems: list[str] = []             # found at start: told once each (tell_problems)
        self._last_click: tuple[float, int, int] | None = None     # when and where, for a double click
        self.theme = theme

        self.status = StatusBar()
        self.status.cancel_hint = self.keymap.hint("escape", "browse", "cancels")
        ro = "  read-only" if db.read_only else ""
        self._where = TailText(f"{db.display}{ro}", "title")
        self._keys_hint = urwid.Text(("title dim", ""))
        self._show_keys_hint()
        self._title = urwid.Columns([
            (urwid.PACK, urwid.Text(("title", " rowdesk  "))),
            self._where,
            (urwid.PACK, self._keys_hint),
        ])
        self.body = urwid.WidgetPlaceholder(urwid.SolidFill(" "))
        self.frame = urwid.Frame(self.body, header=urwid.AttrMap(self._title, "title"), footer=self.status)
        event_loop = urwid.TwistedEventLoop(reactor=reactor, manage_reactor=manage_reactor)
        self.loop = urwid.MainLoop(urwid.AttrMap(_Root(self, self.frame), "body"), themes.palette(theme),
                                   screen=display,
                                   event_loop=event_loop, handle_mouse=mouse)
        if theme != "mono" and _terminal_has_256_colours() and hasattr(self.loop.screen, "set_terminal_properties"):
            self.loop.screen.set_terminal_properties(colors=256)
        db.worker.listeners.append(self._busy_changed)
        db.worker.waiting_listeners.append(self._waiting_changed)
        db.notice_listeners.append(self.deliver(self.message))

    # -- running ----------------------------------------------------------------
    def open_home(self) -> None:
        registry.load_builtin()
        self._add_screen_keys()
        self.push(registry.SCREENS["tables"](self))
        self.loop.event_loop.alarm(0.2, self._load_plugins)
        problems = self.preferences.problems
        # How the file was opened, when it is not the obvious way (immutable: others' changes unseen), first:
        # it is about the data on screen. The config's problems follow (all of them are in Settings).
        said = list(self.db.notes)
        if problems:
            more = f" (+{len(problems) - 1} more in Settings)" if len(problems) > 1 else ""
            said.append(f"config: {problems[0]}{more}")
        if said:
            self.message(" · ".join(said), error=bool(problems))
        self._resolve_journal()
        if self.models_module:
            self._load_models()

    def _load_models(self) -> None:
        """The operator's SQLObject classes, imported in a worker thread (a fromDatabase class reads the database
        as it is defined) and bound to this database only; a module that cannot be used ends rowdesk with its one
        line, a model that does not match its table is one warning line each (the table browses as it is)."""
        from storage import user_models

        def loaded(models):
            self.models = models
            n = len(models.models)
            warnings = models.warnings
            said = f"models {self.models_module}: {n} class{'es' if n != 1 else ''}"
            if warnings:
                self.tell_problems([f"{said} · {warnings[0]}", *warnings[1:]])
            else:
                self.message(said)
            for s in self.stack:
                s.models_loaded()

        def failed(failure):
            if isinstance(failure.value, user_models.ModelsError):
                self.exit_problem = str(failure.value)          # it names the module, the file and the line
                self.quit()
                return None
            return self.failed(f"loading the models of {self.models_module}")(failure)
        d = user_models.load(self.db, self.models_module)
        d.addCallbacks(self.deliver(loaded), self.deliver(failed))

    def _resolve_journal(self) -> None:
        """Changes an earlier session left unresolved (a crash, a connection lost during COMMIT): decided from
        the rows as they are now, and said once."""
        if self.db.journal_problem is not None:
            self.message(self.db.journal_problem, error=True)
            return

        def decided(found):
            if not found:
                return
            counts: dict[str, int] = {}
            for _entry, state in found:
                counts[str(state)] = counts.get(str(state), 0) + 1
            words = {"committed": "applied", "not_applied": "not applied", "unknown_changed": "changed since"}
            told = ", ".join(f"{n} {words.get(s, s)}" for s, n in counts.items())
            self.message(f"journal: {len(found)} change(s) of an earlier session checked against the rows: {told}"
                         f" · {self.keymap.hint('journal', self.top.name, 'shows them')}",
                         error="unknown_changed" in counts)
        d = self.db.resolve_journal()
        d.addCallbacks(self.deliver(decided), self.failed("checking the journal"))

    def check_file(self, then) -> None:
        """r: read again with *then()*, unless the open file was deleted or replaced at its path
        (a stat, in the worker); then say so instead: reading would fail on every query."""
        def checked(problem):
            if problem:
                self.message(problem, error=True)
            else:
                then()
        d = self.db.check_file()
        d.addCallback(self.deliver(checked))
        d.addErrback(self.failed("checking the file"))

    def _show_keys_hint(self) -> None:
        """The title's hint: the keys of the help and of the palette (keys.toml may have moved them)."""
        self._keys_hint.set_text(("title dim", f"  {self.keymap.hint('help', 'tables', 'help')}  "
                                               f"{self.keymap.hint('palette', 'tables', 'commands')} "))

    def _add_screen_keys(self) -> None:
        for name, cls in registry.SCREENS.items():
            if name not in self._keyed_screens:
                self._keyed_screens.add(name)
                self.keymap.add_screen(cls)

    def _load_plugins(self) -> None:
        problems = registry.load_plugins()
        self._add_screen_keys()
        # The operator's keys apply once every screen is known (a plugin's screen may be named in keys.toml).
        problems += self.keymap.check(registry.SCREENS)
        problems += keymap.load_user_keys(self.keymap, paths.keys_file(), registry.SCREENS)
        self.status.cancel_hint = self.keymap.hint("escape", "browse", "cancels")
        self._show_keys_hint()
        self.tell_problems(problems)
        self.update_status()

    def tell_problems(self, problems: list[str]) -> None:
        """Problems found at start (keys.toml, the models, plugins): each in the log; the first of these in the
        message line, with how many there are in all so far and where the log is."""
        if not problems:
            return
        for problem in problems:
            log.warning("%s", problem)
        self._problems += problems
        more = len(self._problems) - 1
        where = f" (+{more} more in {preferences.display_path(paths.log_file())})" if more else ""
        self.message(problems[0] + where, error=True)

    def run(self) -> None:
        """Run until quit (managed reactor); re-raises a crash after the terminal is restored."""
        self.open_home()
        self.loop.run()
        if self.crashed is not None:
            raise self.crashed

    def start(self) -> None:
        """Start without running the reactor (tests: the reactor is already running)."""
        self.open_home()
        self.loop.start()

    def quit(self) -> None:
        if self.finished:
            return                 # two q in one read of the terminal: the reactor is already stopping
        for s in reversed(self.stack):
            s.on_close()
        self.finished = True
        if self.manage_reactor and self.reactor.running:
            self.reactor.stop()

    def crash(self, exc: BaseException) -> None:
        log.error("unexpected error", exc_info=exc)
        if self.crashed is None:
            self.crashed = exc
        self.quit()

    # -- callbacks from Deferreds -------------------------------------------------
    def deliver(self, fn):
        """Wrap a UI-updating Deferred callback: redraw after it, crash on a bug."""
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:   # noqa: BLE001 - any bug here is a crash, reported as one
                self.crash(exc)
                return None
            finally:
                self.request_redraw()
        return call

    def failed(self, doing: str):
        """An errback: a failed query is reported in the status line and the log, never raised."""
        def report(failure):
            if is_cancel(failure):
                return None
            message = mask_secrets(f"{doing} failed: {failure.getErrorMessage()}")
            log.warning("%s", message, exc_info=(failure.type, failure.value, failure.getTracebackObject()))
            self.message(message, error=True)
            return None
        return self.deliver(report)

    def request_redraw(self) -> None:
        if self._redraw_pending:
            return
        self._redraw_pending = True

        def draw():
            self._redraw_pending = False
        # An alarm goes through urwid's loop, which redraws when it goes idle.
        self.loop.event_loop.alarm(0, draw)

    def _busy_changed(self, running: int) -> None:
        if running and self._spin_handle is None:
            self.status.set_busy(self._busy_label())
            self._spin_handle = self.loop.event_loop.alarm(SPIN_INTERVAL, self._spin)
        elif not running and self._spin_handle is not None:
            self.loop.event_loop.remove_alarm(self._spin_handle)
            self._spin_handle = None
            self.status.set_busy("")
            self.request_redraw()

    def _busy_label(self) -> str:
        """What the spinner says: a wait for another process's lock first (the operator may
        want to know why nothing comes), else what the screen is doing."""
        return self.db.worker.waiting or (self.top.busy_label() if self.stack else "working")

    def _waiting_changed(self, _note) -> None:
        if self._spin_handle is not None:
            self.status.set_busy(self._busy_label())
            self.request_redraw()

    def _spin(self) -> None:
        if self.stack:
            self.status.busy_label = self._busy_label()
        self.status.tick()
        self._spin_handle = self.loop.event_loop.alarm(SPIN_INTERVAL, self._spin)

    # -- window stack -------------------------------------------------------------
    @property
    def top(self) -> Screen:
        return self.stack[-1]

    def push(self, screen: Screen) -> None:
        if self.stack:
            self.top.on_cover(screen)
        self.stack.append(screen)
        self._show_top()

    def pop(self) -> None:
        self.stack.pop().on_close()
        self._show_top()

    def _show_top(self) -> None:
        self.close_overlay()
        self.top.on_show()
        self.update_status()
        trail = self.trail()
        ro = "  read-only" if self.db.read_only else ""
        self._where.set_text(f"{self.db.display}{ro}" + (f"  {trail}" if trail else ""))

    def trail(self) -> str:
        """Where the operator came from along relations, as the title shows it: `Customer 17 › Invoice 98 ›
        InvoiceLine`; empty when the screen was not reached by following one."""
        i = len(self.stack) - 1
        while i > 0 and getattr(self.stack[i], "crumb", None) is None and \
                getattr(self.stack[i], "browse", None) is not None:
            i -= 1                               # a record or form over a browse screen: that screen's trail
        here = self.stack[i]
        if getattr(here, "crumb", None) is None:
            return ""
        steps = [getattr(here, "table_name", None) or here.title]
        while i >= 0 and getattr(self.stack[i], "crumb", None) is not None:
            steps.insert(0, self.stack[i].crumb)
            i -= 1
        return " › ".join(steps)

    def update_status(self) -> None:
        if self.stack:
            self.status.set_status(self.top.status_text())
            if self.status.busy_label:
                self.status.set_busy(self._busy_label())

    def message(self, text: str, *, error: bool = False) -> None:
        """Say *text* in the message line; while a prompt is open (it has the keys), in its hint instead."""
        if self.prompt is not None:
            self.prompt.set_hint(mask_secrets(text))
            return
        self.status.message(mask_secrets(text), error=error)

    # -- keys ----------------------------------------------------------------------
    def keypress(self, size, key):
        try:
            return self._keypress(size, key)
        except Exception as exc:   # noqa: BLE001 - a bug in a key handler is a crash
            self.crash(exc)
            return None

    def _keypress(self, size, key):
        # A bracketed paste (the terminal marks it): its keys are text for the field being edited, never
        # commands. Without the marks (a terminal without the mode) they are keys, as typed.
        if key == "begin paste":
            self._pasted = []
            return None
        if self._pasted is not None:
            if key == "end paste":
                text, self._pasted = "".join(self._pasted), None
                self._paste(size, text)
            elif isinstance(key, str):
                self._pasted.append(PASTED.get(key, key if len(key) == 1 else ""))
            return None
        if key == "ctrl c":
            # Whatever has the keys, ^C is a way out; with unsaved input, after one question (^C again quits).
            if self.prompt is None and any(s.has_unsaved() for s in self.stack):
                self.ask("unsaved changes: quit and lose them? y quits (^C too), anything else stays: ", "",
                         on_done=lambda text: self.quit() if text.strip().lower() in ("y", "yes") else None)
                return None
            self.quit()
            return None
        if self.prompt is not None or self.overlay is not None:
            return self.frame.keypress(size, key)
        if not isinstance(key, str):
            return key
        if self.status.message_text:
            self.status.message("")
        # A text field being edited gets the key first: letters are text, not commands (q, j, s ...). What
        # it does not take (Tab, ^S, Esc, arrows past its ends) goes on to the keymap.
        if self.top.edit_key(key):
            return None
        command = self.keymap.command_for(self.top.name, key)
        if command is not None:
            self.run_command(command)
            return None
        if self.top.typed(key):
            return None
        return self.frame.keypress(size, key)

    def _paste(self, size, text: str) -> None:
        if self.prompt is not None or self.overlay is not None:
            # One line of text: the printable characters, as if typed (a line break would be Enter).
            for ch in text:
                if ch.isprintable():
                    self.frame.keypress(size, ch)
            return
        if not self.top.paste(text):
            self.message(f"a paste goes into a field being edited ({self.keymap.hint('edit', 'browse', 'edits')} "
                         "the row in a form): nothing was pasted",
                         error=True)

    def mouse_event(self, size, event: str, button: int, x: int, y: int) -> bool:
        """The wheel scrolls (the movement commands, three lines a notch), a left click goes to the screen (a
        row, a header), the second of two quick clicks on one place is a double click. With a prompt or an
        overlay open, their widgets have the mouse."""
        try:
            if self.prompt is not None or self.overlay is not None or not self.stack:
                return self.frame.mouse_event(size, event, button, x, y, True)
            if event != "mouse press":
                return True
            if button in (4, 5):
                for _ in range(3):
                    self.run_command("up" if button == 4 else "down")
                return True
            top_rows = 1                                          # the title line
            body_rows = size[1] - top_rows - 2                    # the status and message lines
            if button != 1 or not 0 <= y - top_rows < body_rows:
                return True
            now = self.reactor.seconds()
            last = self._last_click
            double = last is not None and now - last[0] < DOUBLE_CLICK and last[1:] == (x, y)
            self._last_click = None if double else (now, x, y)
            if not self.top.click(x, y - top_rows, double=double):
                self.frame.mouse_event(size, event, button, x, y, True)
            return True
        except Exception as exc:   # noqa: BLE001 - a bug in a click handler is a crash, as one in a key handler
            self.crash(exc)
            return True

    def run_command(self, command: str, args=()) -> None:
        """Run *command* with *args* (strings as typed): the app's own, else the top screen's."""
        spec = commands.COMMANDS.get(command)
        if spec is not None and spec.run is not None:
            spec.run(self, *args)
        elif spec is not None and spec.app:
            getattr(self, "cmd_" + command)(*args)
        elif not self.top.command(command, args):
            self.message(f"{command}: not available on this screen", error=True)

    def run_line(self, line: str) -> bool:
        """Run a command line (`sort placed_at desc`); False, with the reason said, when it cannot run."""
        try:
            command, args = commands.parse(line)
        except commands.CommandError as e:
            self.message(str(e), error=True)
            return False
        if not command.app and command.run is None and not self.top.has_command(command.name):
            self.message(f"{command.name}: not available on this screen", error=True)
            return False
        self.run_command(command.name, args)
        return True

    def cmd_help(self) -> None:
        top = self.top
        own = [b for b in self.keymap.bindings_for(top.name) if keymap.ANY not in b.screens]
        common = [b for b in self.keymap.bindings_for(top.name) if keymap.ANY in b.screens]

        def rows(bindings):
            return [(b.label, b.help) for b in bindings]
        sections = [(top.title, rows(own)), ("Everywhere", rows(common))]
        self.open_overlay(HelpView(sections, top.help_footer, on_close=self.close_overlay))

    def palette_context(self) -> commands.Context:
        """What the palette proposes on the screen on top: its commands and the app's, screens and tables."""
        top = self.top
        bound = {}
        for b in self.keymap.bindings_for(top.name):
            bound.setdefault(b.command, b)
        listed = [c for c in commands.COMMANDS.values()
                  if c.name not in UNLISTED and (c.app or c.run is not None or top.has_command(c.name))]

        def describe(c: commands.Command) -> tuple[str, str]:
            b = bound.get(c.name)
            keys = b.label if b is not None else ""
            usage = f":{c.usage}" if c.params else ""
            return (b.help if b is not None else c.help), "  ".join(x for x in (keys, usage) if x)
        first = [commands.Candidate(f"go to {cls.title}", "screen", f"screen {cls.name}", True)
                 for cls in registry.palette_screens()]
        extra = [commands.Candidate(f"open {name}", "table", f"open {commands.quoted(name)}", True)
                  for name in self.table_names]
        model = getattr(top, "model", None)
        table = getattr(model, "table", None)
        values = {"table": lambda: self.table_names,
                  "column": lambda: table.column_names if table is not None else [],
                  "screen": lambda: [cls.name for cls in registry.palette_screens()],
                  "theme": lambda: list(themes.THEMES)}
        return commands.Context(listed, describe, values, first, extra)

    def cmd_palette(self, text: str = "") -> None:
        context = self.palette_context()

        def run(line: str) -> None:
            try:
                commands.parse(line)
            except commands.CommandError as e:
                palette.set_hint(str(e))
                return
            self.close_overlay()
            self.run_line(line)
        palette = CommandLine("Commands · type to narrow · Tab completes · Enter runs · Esc closes",
                              lambda t: commands.complete(t, context), run, self.close_overlay, text)
        self.open_overlay(palette)

    def cmd_open(self, table: str | None = None) -> None:
        """`:open NAME`: the table or view NAME (exactly, else the one it best matches), from the tables list."""
        if table is None:
            self.cmd_palette("open ")
            return
        names = self.table_names
        if table not in names:
            from console.screens.browse import best_match
            i = best_match(table, names)
            if i is None:
                self.message(f"no table or view is called {table!r}", error=True)
                return
            table = names[i]
        self.go_to("tables")
        if self.top.name == "tables":        # else a screen on the way asked first, or refused
            self.top.command_open_table(table)

    def cmd_screen(self, name: str) -> None:
        if name not in registry.SCREENS or not getattr(registry.SCREENS[name], "palette", False):
            known = ", ".join(cls.name for cls in registry.palette_screens())
            self.message(f"no screen {name!r} (screens: {known})", error=True)
            return
        self.go_to(name)

    def cmd_theme(self, name: str | None = None) -> None:
        names = list(themes.THEMES)
        if name is None:
            name = names[(names.index(self.theme) + 1) % len(names)]
        if name not in themes.THEMES:
            self.message(f"no theme {name!r} (themes: {', '.join(names)})", error=True)
            return
        self.set_theme(name)
        self.top.on_show()
        self.message(f"theme {name} (this session; --theme or the config file's theme for every start)")

    def go_to(self, name: str) -> None:
        """Bring the screen *name* to the top: back to it if open, else open it."""
        for i, s in enumerate(self.stack):
            if s.name == name:
                if len(self.stack) > i + 1 and self.top.close_requested(lambda: self.go_to(name)):
                    return                      # the top screen asks first (unsaved changes)
                unsaved = [x for x in self.stack[i + 1:-1] if x.has_unsaved()]
                if unsaved:                     # under the top one: it cannot ask from there
                    self.message(f"{unsaved[-1].title} has unsaved changes: go back to it (q) to save or discard "
                                 "them first", error=True)
                    return
                while len(self.stack) > i + 1:
                    self.stack.pop().on_close()
                self._show_top()
                return
        self.push(registry.SCREENS[name](self))

    def leave(self) -> None:
        """Close the top screen, unless it asks first (a form with unsaved changes): then it closes itself."""
        if not self.top.close_requested(self.pop):
            self.pop()

    def cmd_back(self) -> None:
        if len(self.stack) > 1:
            self.leave()
        else:
            self.quit()

    def cmd_escape(self) -> None:
        if self.top.escape():
            return
        if self.top.cancel_work():
            self.message("cancelled")
        elif len(self.stack) > 1:
            self.leave()
        else:
            # Esc is pressed to get out of things; on the home screen it must not end the session.
            self.message(f"nothing to cancel · {self.keymap.hint('back', self.top.name, 'quits rowdesk')}")

    def cmd_suspend(self) -> None:
        """^Z: give the terminal back to the shell until `fg`."""
        screen = self.loop.screen
        if not hasattr(screen, "stop") or not os.isatty(0):
            self.message("^Z: not in a terminal")
            return
        screen.stop()
        try:
            os.kill(os.getpid(), signal.SIGTSTP)     # stops here; returns when the shell resumes us
        finally:
            screen.start()
            screen.clear()
            self.request_redraw()

    def cmd_quit(self) -> None:
        self.quit()

    def cmd_settings(self) -> None:
        self.go_to("settings")

    def cmd_journal(self) -> None:
        self.go_to("journal")

    def copy_to_clipboard(self, text: str, what: str) -> None:
        """Put *text* on the clipboard through the terminal (OSC 52): it works over SSH and in tmux (with
        set-clipboard on), where the terminal allows it."""
        import base64
        data = base64.b64encode(text.encode("utf-8")).decode("ascii")
        if len(data) > OSC52_LIMIT:
            self.message(f"{what}: {len(text):,} characters is more than terminals take through OSC 52 "
                         f"({OSC52_LIMIT * 3 // 4:,}): nothing was copied (x exports it)", error=True)
            return
        screen = self.loop.screen
        if not hasattr(screen, "write"):
            self.message("no terminal to copy through", error=True)
            return
        screen.write(f"\x1b]52;c;{data}\x07")
        screen.flush()
        n = len(text)
        self.message(f"copied {what} ({n:,} character{'s' if n != 1 else ''}) to the clipboard, through the "
                     "terminal")

    def set_theme(self, name: str) -> None:
        self.theme = name
        self.loop.screen.register_palette(themes.palette(name))
        self.loop.screen.clear()

    # -- overlays and the prompt ------------------------------------------------------
    def show_widget(self, widget: urwid.Widget) -> None:
        """Show the top screen's (new) widget, under the open overlay if there is one."""
        self.body.original_widget = centered(self.overlay, widget) if self.overlay is not None else widget

    def open_overlay(self, widget: urwid.Widget) -> None:
        self.overlay = widget
        self.show_widget(self.top.widget)

    def close_overlay(self) -> None:
        self.overlay = None
        if self.stack:
            self.show_widget(self.top.widget)

    def ask(self, caption: str, text: str = "", *, on_done, on_change=None, on_cancel=None) -> Prompt:
        """Read one line in the message line; Esc calls on_cancel, Enter on_done(text).

        While it is open, say things in its hint (`Prompt.set_hint`), not with `message`,
        which takes the message line back."""
        def done(value):
            self._close_prompt()
            on_done(value)

        def cancel():
            self._close_prompt()
            if on_cancel is not None:
                on_cancel()
        self.prompt = Prompt(caption, text, on_done=done, on_cancel=cancel, on_change=on_change)
        self.status.show_prompt(self.prompt)
        self.frame.focus_position = "footer"
        return self.prompt

    def _close_prompt(self) -> None:
        self.prompt = None
        self.status.hide_prompt()
        self.frame.focus_position = "body"


def _terminal_has_256_colours() -> bool:
    return "256" in os.environ.get("TERM", "") or os.environ.get("COLORTERM", "") in ("truecolor", "24bit")


def print_error(text: str) -> None:
    print(f"rowdesk: {mask_secrets(text)}", file=sys.stderr)
