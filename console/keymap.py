"""The one key table: key dispatch, the help overlay and the command palette
are all built from it (and the tests read it too).

A binding applies on the screens it names, or everywhere with "*". A screen's
own binding wins over a global one for the same key.
"""

from __future__ import annotations

from dataclasses import dataclass

ANY = "*"


@dataclass(frozen=True)
class Binding:
    keys: tuple[str, ...]
    command: str
    help: str
    screens: tuple[str, ...] = (ANY,)

    @property
    def label(self) -> str:
        """Its keys as the help and the palette write them: "? F1"."""
        return " ".join(key_label(k) for k in self.keys)


NAV = ("tables", "browse")
LISTS = (*NAV, "settings", "journal", "references")        # screens whose up/down move a cursor line by line

BINDINGS: tuple[Binding, ...] = (
    Binding(("?", "f1"), "help", "show the keys of this screen"),
    Binding((":",), "palette", "command palette: screens and commands"),
    Binding(("q",), "back", "back to the previous screen; quit from the home screen"),
    Binding(("esc",), "escape", "cancel the running query, else go back (never quits: q does)"),
    Binding(("ctrl c",), "quit", "quit rowdesk"),
    Binding(("ctrl z",), "suspend", "suspend rowdesk (fg resumes it)"),
    Binding(("S", "f2"), "settings", "settings: core dumps, theme, preferences"),
    Binding(("t",), "toggle_core", "turn core dumps on (soft limit raised to the hard limit, also when it is too "
            "small) or off", ("settings",)),
    Binding(("w",), "remember", "remember the core-dump state for the next start (writes the config file)",
            ("settings",)),
    Binding(("c",), "cycle_theme", "next colour theme", ("settings",)),
    Binding(("up", "k"), "up", "previous row", NAV),
    Binding(("down", "j"), "down", "next row", NAV),
    Binding(("up", "k"), "up", "previous line", ("settings", "value", "journal", "references")),
    Binding(("down", "j"), "down", "next line", ("settings", "value", "journal", "references")),
    Binding(("up", "k"), "up", "previous field", ("record",)),
    Binding(("down", "j"), "down", "next field (a long value scrolls first)", ("record",)),
    Binding(("page up", "ctrl b"), "page_up", "one page up", (*LISTS, "record", "value")),
    Binding(("page down", "ctrl f", " "), "page_down", "one page down", (*LISTS, "record", "value")),
    Binding(("home", "g"), "first", "first row", NAV),
    Binding(("end", "G"), "last", "last row", NAV),
    Binding(("home", "g"), "first", "start", ("settings", "record", "value", "journal", "references")),
    Binding(("end", "G"), "last", "end", ("settings", "record", "value", "journal", "references")),
    Binding(("#",), "goto", "go to row number N", ("browse",)),
    Binding(("left", "h"), "left", "previous column", ("browse",)),
    Binding(("right", "l"), "right", "next column", ("browse",)),
    Binding(("0",), "first_column", "first column", ("browse",)),
    Binding(("$",), "last_column", "last column", ("browse",)),
    Binding(("c",), "column", "go to a column by name", ("browse",)),
    Binding(("]",), "widen", "widen the current column", ("browse",)),
    Binding(("[",), "narrow", "narrow the current column", ("browse",)),
    Binding(("-",), "hide_column", "hide the current column", ("browse",)),
    Binding(("+",), "show_columns", "show the hidden columns again", ("browse",)),
    Binding(("enter",), "select", "open the selected table", ("tables",)),
    Binding(("enter",), "select", "on a foreign key: the row it refers to (as >); elsewhere the whole row",
            ("browse",)),
    Binding(("v",), "show_row", "show the whole row, one field a line", ("browse",)),
    Binding((">",), "follow", "follow the foreign key of this cell: its table, on the row it refers to", ("browse",)),
    Binding(("<",), "referencing", "the rows of other tables that refer to this row, counted; Enter opens them",
            ("browse",)),
    Binding(("backspace",), "back", "back along the trail (the title shows it), the rows as you left them",
            ("browse", "references", "record")),
    Binding(("enter",), "select", "open this table, showing only the rows that refer to the row", ("references",)),
    Binding(("r",), "refresh", "list and count them again", ("references",)),
    Binding(("enter",), "select", "show the whole value of this field, paged", ("record",)),
    Binding(("/",), "filter", "filter tables by name as you type", ("tables",)),
    Binding(("/",), "filter", "filter on the current column (? then Enter in the prompt: the syntax)", ("browse",)),
    Binding(("F",), "clear_filters", "remove the filter", ("tables",)),
    Binding(("F",), "clear_filters", "remove every filter", ("browse",)),
    Binding(("s",), "sort", "sort by the current column; again: descending; a third time: unsorted", ("browse",)),
    Binding(("r",), "refresh", "read the rows again", (*NAV, "record")),
    Binding(("r",), "refresh", "read the state again", ("settings",)),
    Binding(("n", "right", "l"), "next_record", "next row", ("record",)),
    Binding(("p", "left", "h"), "previous_record", "previous row", ("record",)),
    Binding(("f",), "toggle_format", "JSON: pretty-printed or as stored", ("value",)),
    # -- editing --------------------------------------------------------------------------------------
    Binding(("e",), "edit", "edit this row in a form", ("browse", "record")),
    Binding(("E", "f4"), "quick_edit", "edit the current cell in place", ("browse",)),
    Binding(("n",), "insert", "insert a new row (a form with the columns' defaults)", ("browse",)),
    Binding(("d", "delete"), "delete", "delete this row, or the marked rows (asks first)", ("browse",)),
    Binding(("m",), "mark", "mark or unmark this row (d deletes the marked rows)", ("browse",)),
    Binding(("ctrl s",), "save", "save: the changed fields, if the row still holds what you opened", ("form",)),
    Binding(("tab", "down"), "next_field", "next field", ("form",)),
    Binding(("shift tab", "up"), "previous_field", "previous field", ("form",)),
    Binding(("ctrl n",), "toggle_null", "NULL, and back to a value (a new row: then the default)", ("form",)),
    Binding(("ctrl o",), "pick", "pick the value from the ones the column takes", ("form",)),
    Binding(("ctrl e",), "external_editor", "edit this field in $EDITOR (long values, control characters)",
            ("form",)),
    Binding(("y",), "copy", "copy the current cell to the clipboard (through the terminal, OSC 52: over SSH too)",
            ("browse",)),
    Binding(("Y",), "copy_row", "copy the whole row (tab-separated) to the clipboard", ("browse",)),
    Binding(("x",), "export", "export the rows of this view (its sort and filters) to CSV, JSON Lines or JSON",
            ("browse",)),
    Binding(("J",), "journal", "the journal: every change made with rowdesk, and undo", NAV),
    Binding(("enter",), "select", "the whole change: every column, before and after", ("journal",)),
    Binding(("u",), "undo", "undo this change (if the row still holds what it left)", ("journal",)),
    Binding(("/",), "filter", "only the changes of one table", ("journal",)),
    Binding(("F",), "clear_filters", "the changes of every table", ("journal",)),
    Binding(("r",), "refresh", "read the journal again", ("journal",)),
    Binding(("k",), "keep_theirs", "keep their version: drop your input", ("conflict",)),
    Binding(("o",), "overwrite", "overwrite their version with your changes", ("conflict",)),
    Binding(("e",), "edit_again", "go on editing from their version (your input kept)", ("conflict",)),
)

class Keymap:
    """Every key binding: the built-in ones, a plugin screen's own, the operator's keys.toml. What a key does on a
    screen, the help overlay, the palette's keys and every key hint written in the interface come from here.

    A screen's own binding for a key wins over a global one. The screens bindings name are checked against the
    screen registry (`check`), the commands against console.commands."""

    def __init__(self, bindings=()):
        self.bindings: list[Binding] = []
        for b in bindings:
            self.add(b.keys, b.command, b.help, b.screens)

    def add(self, keys, command: str, help: str, screens=(ANY,)) -> None:
        from console import commands
        if command not in commands.COMMANDS:
            raise ValueError(f"a binding of {', '.join(keys)} names no command: {command!r}")
        self.bindings.append(Binding(tuple(keys), command, help, tuple(screens)))

    def add_screen(self, cls) -> None:
        """A screen's own keys (a plugin's: its class's `keys`): Bindings for that screen, or for the screens they
        name (a key on the browse screen that opens the plugin's screen)."""
        for b in getattr(cls, "keys", ()):
            self.add(b.keys, b.command, b.help, (cls.name,) if b.screens == (ANY,) else b.screens)

    def check(self, screen_names) -> list[str]:
        """One line per binding that names a screen the registry does not know (a typo, a plugin gone)."""
        known = set(screen_names)
        return [f"keys {', '.join(b.keys)}: no screen {name!r}" for b in self.bindings for name in b.screens
                if name != ANY and name not in known]

    def bindings_for(self, screen: str) -> list[Binding]:
        """Bindings active on *screen*, screen-specific first."""
        own = [b for b in self.bindings if screen in b.screens]
        return own + [b for b in self.bindings if ANY in b.screens]

    def command_for(self, screen: str, key: str) -> str | None:
        for b in self.bindings_for(screen):
            if key in b.keys:
                return b.command
        return None

    def key(self, command: str, screen: str = ANY) -> str:
        """The key that runs *command* on *screen*, as hints write it ("u", "^S", "Esc"): the first one bound
        (a key the screen's own bindings take for something else does not count); "" when none is (then a
        hint can name the command: `:command`)."""
        taken: set[str] = set()
        for b in self.bindings_for(screen):
            for k in b.keys:
                if b.command == command and k not in taken:
                    return key_label(k)
                taken.add(k)
        return ""

    def hint(self, command: str, screen: str, words: str) -> str:
        """"u undoes": the command's key and what it does; `:undo undoes` when no key runs it."""
        k = self.key(command, screen)
        return f"{k or ':' + command} {words}"

    def rebind(self, table: dict, screen_names) -> list[str]:
        """The operator's keys.toml: `[browse]` (or `[global]`) tables of `"key" = "command"`; "" unbinds. A key
        bound there replaces what it did on those screens. One problem line per entry that cannot apply (an
        unknown screen or command, a command the screen does not have, a global key a screen's own binding
        hides); the rest applies."""
        from console import commands
        problems = []
        known = set(screen_names)
        for section, entries in table.items():
            screen = ANY if section == "global" else section
            if screen != ANY and screen not in known:
                problems.append(f"[{section}]: no such screen (screens: global, {', '.join(sorted(known))})")
                continue
            if not isinstance(entries, dict):
                problems.append(f"{section} = …: write a table [{section}] of \"key\" = \"command\"")
                continue
            for key, command in entries.items():
                key = _key_name(key)
                if not isinstance(command, str):
                    problems.append(f"[{section}] {key!r}: the command is a name in quotes")
                    continue
                if command and command not in commands.COMMANDS:
                    near = [c for c in commands.COMMANDS if command.lower() in c]
                    problems.append(f"[{section}] {key!r} = {command!r}: no such command"
                                    + (f" (did you mean {', '.join(near[:3])}?)" if near else ""))
                    continue
                if screen == ANY:
                    hidden = sorted({name for b in self.bindings if key in b.keys for name in b.screens
                                     if name != ANY and b.command != command})
                    if hidden and command:
                        problems.append(f"[global] {key!r} = {command!r}: on {', '.join(hidden)} the screen's own "
                                        f"binding of {key!r} wins (bind it in [{hidden[0]}] too)")
                self._unbind(key, screen)
                if command:
                    self.bindings.insert(0, Binding((key,), command, f"{commands.COMMANDS[command].help} (keys.toml)",
                                                    (screen,)))
        return problems

    def _unbind(self, key: str, screen: str) -> None:
        """*key* does nothing on *screen* (every screen: ANY) until bound again."""
        out = []
        for b in self.bindings:
            if key in b.keys and (screen in b.screens or screen == ANY and ANY in b.screens):
                rest = tuple(k for k in b.keys if k != key)
                if rest:
                    out.append(Binding(rest, b.command, b.help, b.screens))
                continue
            out.append(b)
        self.bindings = out


def _key_name(text: str) -> str:
    """A key as keys.toml may write it: "ctrl s", "^S" and "C-s" are urwid's "ctrl s"; "Esc" is "esc"."""
    t = text.strip()
    if len(t) == 2 and t[0] == "^":
        return f"ctrl {t[1].lower()}"
    if t[:2].lower() == "c-" and len(t) == 3:
        return f"ctrl {t[2].lower()}"
    low = t.lower()
    if len(t) > 1 and low in {"esc", "enter", "tab", "backspace", "delete", "home", "end", "up", "down", "left",
                              "right", "page up", "page down", "pgup", "pgdn", "space", "shift tab", "insert"} | \
            {f"f{i}" for i in range(1, 13)}:
        return {"pgup": "page up", "pgdn": "page down", "space": " "}.get(low, low)
    return t if len(t) == 1 else low


def load_user_keys(keymap: Keymap, path, screen_names) -> list[str]:
    """Apply the operator's keys.toml at *path* (none: nothing to do); its problems, one line each."""
    import tomllib
    from pathlib import Path
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as e:
        return [f"{p}: cannot read ({e.strerror or e}): the default keys apply"]
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return [f"{p}: {e}: the default keys apply"]
    return [f"{p.name}: {problem}" for problem in keymap.rebind(table, screen_names)]


def key_label(key: str) -> str:
    """A key as hints and help write it: ^S, M-x, PgDn, Esc."""
    named = {" ": "space", "page up": "PgUp", "page down": "PgDn", "esc": "Esc", "enter": "Enter", "home": "Home",
             "end": "End", "up": "↑", "down": "↓", "left": "←", "right": "→", "tab": "Tab", "shift tab": "S-Tab",
             "delete": "Del", "backspace": "Backspace", "insert": "Ins"}
    if key in named:
        return named[key]
    if key.startswith("ctrl ") and len(key) == 6:
        return "^" + key[5:].upper()
    if key.startswith("meta ") and len(key) == 6:
        return "M-" + key[5:]
    if len(key) in (2, 3) and key[0] == "f" and key[1:].isdigit():
        return key.upper()
    return key
