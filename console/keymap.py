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

# Screens that bindings may name: a binding for a screen that does not exist is a typo.
SCREEN_NAMES = ("tables", "browse", "record", "value", "settings", "form", "conflict", "journal", "references")


def bindings_for(screen: str) -> list[Binding]:
    """Bindings active on *screen*, screen-specific first."""
    own = [b for b in BINDINGS if screen in b.screens]
    return own + [b for b in BINDINGS if ANY in b.screens]


def command_for(screen: str, key: str) -> str | None:
    for b in bindings_for(screen):
        if key in b.keys:
            return b.command
    return None


def key_label(key: str) -> str:
    return {" ": "space", "page up": "PgUp", "page down": "PgDn", "esc": "Esc", "enter": "Enter",
            "home": "Home", "end": "End", "up": "↑", "down": "↓", "left": "←", "right": "→",
            "ctrl b": "^B", "ctrl f": "^F", "ctrl c": "^C", "ctrl z": "^Z", "ctrl u": "^U", "f1": "F1",
            "f2": "F2", "f4": "F4", "ctrl s": "^S", "ctrl n": "^N", "ctrl o": "^O", "ctrl e": "^E",
            "tab": "Tab", "shift tab": "S-Tab", "delete": "Del", "backspace": "Backspace"}.get(key, key)
