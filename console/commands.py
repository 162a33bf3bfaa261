"""Every command rowdesk knows, with the arguments it takes: keys (console.keymap), the palette and its command
line (`:sort placed_at desc`) and the mouse all run commands by these names.

A command runs on the app (`App.cmd_<name>`) or on the screen on top (`Screen.cmd_<name>`), with its arguments
as the operator typed them (strings; the handler reads them in its own terms and says what is wrong). Without
arguments a command does what its key does, asking for what it needs (`/` prompts for a filter). A screen
from a plugin declares its own commands with `Command` in its `commands` attribute.

`parse` splits a command line; `complete` proposes what may come next, for the palette: command names, then
each argument's values (tables, columns, choices, files).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


class CommandError(ValueError):
    """A command line that cannot run; str() says why, for the message line."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str = "text"              # table | column | choice | screen | theme | path | number | text | rest
    choices: tuple[str, ...] = ()   # the values of a "choice"
    optional: bool = True           # every argument may be left out: the command then asks, or uses the cursor's

    @property
    def rest(self) -> bool:
        """Takes the rest of the line as typed, spaces and quotes included (a filter expression)."""
        return self.kind == "rest"


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    params: tuple[Param, ...] = ()
    app: bool = False               # run by the app (on any screen), not by the screen on top
    # A plugin's command that runs on any screen: run(app, *args) (it may open the plugin's own screen).
    run: Callable[..., None] | None = field(default=None, compare=False)

    @property
    def usage(self) -> str:
        return " ".join([self.name, *(f"[{p.name}]" if p.optional else p.name for p in self.params)])


def _c(name: str, help: str, *params: Param, app: bool = False) -> Command:
    return Command(name, help, tuple(params), app)


COLUMN = Param("column", "column")
# One line each; what a key does on a given screen is said by its binding (console.keymap).
BUILTIN: tuple[Command, ...] = (
    # the app's own, on every screen
    _c("help", "the keys of this screen", app=True),
    _c("palette", "the command palette: commands with their arguments, screens, tables", app=True),
    _c("back", "back to the previous screen; quit from the home screen", app=True),
    _c("escape", "cancel the running query, else go back", app=True),
    _c("quit", "quit rowdesk", app=True),
    _c("suspend", "suspend rowdesk (fg resumes it)", app=True),
    _c("settings", "settings: core dumps, theme, preferences", app=True),
    _c("journal", "the journal: every change made with rowdesk, and undo", app=True),
    _c("open", "open a table or view", Param("table", "table", optional=False), app=True),
    _c("screen", "go to a screen", Param("name", "screen", optional=False), app=True),
    _c("theme", "colour theme (this session)", Param("name", "theme"), app=True),
    # moving
    _c("up", "previous line"), _c("down", "next line"), _c("page_up", "one page up"),
    _c("page_down", "one page down"), _c("first", "first row"), _c("last", "last row"),
    _c("left", "previous column"), _c("right", "next column"), _c("first_column", "first column"),
    _c("last_column", "last column"),
    _c("goto", "go to row number N", Param("row", "number")),
    _c("column", "go to a column by name", COLUMN),
    _c("select", "the focused thing's own action (Enter)"),
    # browsing
    _c("sort", "sort by a column, ascending or descending", COLUMN,
       Param("direction", "choice", ("asc", "desc", "off"))),
    _c("filter", "filter a column: text, =v, !=v, <v, >v, null, !null …", COLUMN, Param("expression", "rest")),
    _c("clear_filters", "remove every filter"),
    _c("refresh", "read again"),
    _c("widen", "widen the current column"), _c("narrow", "narrow the current column"),
    _c("hide_column", "hide the current column"), _c("show_columns", "show the hidden columns again"),
    _c("show_row", "show the whole row"),
    _c("follow", "follow the foreign key of the current cell"),
    _c("referencing", "the rows that refer to this row"),
    _c("copy", "copy the current cell, or the whole row, to the clipboard (through the terminal: works over SSH)",
       Param("what", "choice", ("cell", "row"))),
    _c("copy_row", "copy the whole row, tab-separated, to the clipboard"),
    _c("export", "export the rows of this view (its sort and filters) to a file",
       Param("format", "choice", ("csv", "jsonl", "json")), Param("path", "path")),
    # record and value
    _c("next_record", "next row"), _c("previous_record", "previous row"),
    _c("toggle_format", "JSON: pretty-printed or as stored"),
    # settings
    _c("toggle_core", "turn core dumps on or off"),
    _c("remember", "remember the core-dump state for the next start"),
    _c("cycle_theme", "next colour theme"),
    # editing
    _c("edit", "edit this row in a form"), _c("quick_edit", "edit the current cell in place"),
    _c("insert", "insert a new row"), _c("delete", "delete this row or the marked rows"),
    _c("mark", "mark or unmark this row"), _c("save", "save the form"),
    _c("next_field", "next field"), _c("previous_field", "previous field"),
    _c("toggle_null", "NULL, and back to a value"), _c("pick", "pick the value from the ones the column takes"),
    _c("external_editor", "edit this field in $EDITOR"),
    _c("undo", "undo this change"),
    _c("keep_theirs", "keep their version"), _c("overwrite", "overwrite their version with yours"),
    _c("edit_again", "go on editing from their version"),
)

COMMANDS: dict[str, Command] = {c.name: c for c in BUILTIN}


def register(commands: Sequence[Command]) -> None:
    """Add a plugin screen's commands; a name already taken must mean the same arguments."""
    for c in commands:
        known = COMMANDS.get(c.name)
        if known is not None and known.params != c.params:
            raise ValueError(f"command {c.name!r} is already defined with other arguments: {known.usage}")
        COMMANDS.setdefault(c.name, c)


# -- the command line --------------------------------------------------------------------------------------------
def tokens(text: str) -> list[tuple[str, int]]:
    """The words of *text* as a shell splits them ("a b" and 'a b' are one word; an open quote runs to the end,
    as while typing), each with where it starts in *text*."""
    found: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start, word = i, []
        while i < n and not text[i].isspace():
            if text[i] in "\"'":
                quote = text[i]
                i += 1
                while i < n and text[i] != quote:
                    word.append(text[i])
                    i += 1
                i += 1                              # the closing quote
            else:
                word.append(text[i])
                i += 1
        found.append(("".join(word), start))
    return found


def parse(line: str) -> tuple[Command, list[str]]:
    """(command, arguments) of a command line; CommandError when the name is unknown, an argument that is needed
    is missing or there are too many."""
    words = tokens(line)
    if not words:
        raise CommandError("no command typed")
    command = COMMANDS.get(words[0][0])
    if command is None:
        raise CommandError(f"no command {words[0][0]!r} (: lists them)")
    args: list[str] = []
    rest = words[1:]
    for p in command.params:
        if not rest:
            break
        if p.rest:
            args.append(line[rest[0][1]:].strip())
            rest = []
            break
        args.append(rest.pop(0)[0])
    if rest:
        n = len(command.params)
        raise CommandError(f"{command.name} takes no arguments" if not n else
                           f"{command.name} takes {n} argument{'s' if n != 1 else ''}: {command.usage}")
    missing = [p.name for p in command.params[len(args):] if not p.optional]
    if missing:
        raise CommandError(f"{command.name} needs {', '.join(missing)}: {command.usage}")
    return command, args


def quoted(value: str) -> str:
    return shlex.quote(value) if value == "" or any(ch.isspace() or ch in "'\"\\" for ch in value) else value


@dataclass(frozen=True)
class Candidate:
    label: str                  # what the list shows
    hint: str                   # beside it: keys, kind
    line: str                   # the command line it stands for
    complete: bool              # runnable as it is (else: Enter puts it in the line to go on typing)


@dataclass
class Context:
    """What completion may propose, for the screen on top."""
    commands: Sequence[Command]                 # the commands that apply on this screen
    describe: Callable[[Command], tuple[str, str]] = lambda c: (c.help, "")     # (label, hint) of a command
    values: Mapping[str, Callable[[], Sequence[str]]] = field(default_factory=dict)   # kind -> values
    first: Sequence[Candidate] = ()             # shown before the commands when none is named yet (screens)
    extra: Sequence[Candidate] = ()             # and after them (tables)


def complete(text: str, context: Context) -> list[Candidate]:
    """What may come next after *text*: commands (matched on name, help and keys) until a known name and a space
    are typed, then the values of the argument being typed."""
    name, space, rest = text.lstrip().partition(" ")
    command = next((c for c in context.commands if c.name == name), None)
    if command is None or not space:
        return _commands(text, context)
    typed = [w for w, _ in tokens(rest)]
    typing = "" if not rest or rest[-1].isspace() else (typed.pop() if typed else "")
    i = len(typed)
    rest = next((n for n, p in enumerate(command.params) if p.rest), None)
    if rest is not None and i > rest:
        i = rest                                # the rest of the line is one argument, spaces and all
    if i >= len(command.params):
        return []                               # too many: Enter says so (commands.parse)
    param = command.params[i]
    head = " ".join([command.name, *(quoted(t) for t in typed)])
    if param.rest:
        return [Candidate(text.strip() or command.usage, f"{param.name}: as typed · Enter runs it", text.strip(), True)]
    more = i + 1 < len(command.params)
    needed = any(not p.optional for p in command.params[i + 1:])
    values = _values(param, typing, context)
    found = [Candidate(" ".join([command.name, *typed, v]), param.name,
                       f"{head} {quoted(v)}" + (" " if more else ""), not needed) for v in values]
    if not typing and param.optional:
        found.insert(0, Candidate(" ".join([command.name, *typed]), f"without {param.name} · Enter runs it",
                                  head, not any(not p.optional for p in command.params[i:])))
    if typing and not found and param.kind in ("text", "number", "path"):
        found = [Candidate(" ".join([command.name, *typed, typing]), param.name, f"{head} {quoted(typing)}",
                           not needed)]
    return found


def _commands(text: str, context: Context) -> list[Candidate]:
    words = text.lower().split()
    whole = " ".join(words)
    found = list(context.first)
    for c in context.commands:
        label, hint = context.describe(c)
        found.append(Candidate(label, hint, c.name + (" " if c.params else ""),
                               not any(not p.optional for p in c.params)))
    found += list(context.extra)

    def rank(cand: Candidate) -> int:
        name = cand.line.strip().lower()
        label = cand.label.lower()
        return 0 if whole in (name, label) else 1 if name.startswith(whole) or label.startswith(whole) else 2
    matching = [cand for cand in found
                if all(w in f"{cand.label} {cand.hint} {cand.line}".lower() for w in words)]
    return sorted(matching, key=rank)


def _values(param: Param, typing: str, context: Context) -> list[str]:
    if param.kind == "choice":
        pool = list(param.choices)
    elif param.kind == "path":
        found = _paths(typing)
        return ([typing] if typing and typing not in found else []) + found     # what is typed is a new file
    else:
        source = context.values.get(param.kind)
        pool = list(source()) if source is not None else []
    needle = typing.lower()
    exact = [v for v in pool if v.lower() == needle]
    starts = [v for v in pool if v.lower().startswith(needle) and v not in exact]
    inside = [v for v in pool if needle in v.lower() and v not in exact and v not in starts]
    return exact + starts + inside


def _paths(typing: str, limit: int = 50) -> list[str]:
    """Files and folders whose path starts with *typing* (a folder ends with /)."""
    folder, _, start = typing.rpartition("/")
    where = "/" if typing.startswith("/") and not folder else os.path.expanduser(folder or ".")
    try:
        names = sorted(os.listdir(where))
    except OSError:
        return []
    prefix = typing[:len(typing) - len(start)]
    found = []
    for n in names:
        if n.startswith(start) and (start.startswith(".") or not n.startswith(".")):
            full = os.path.join(where, n)
            found.append(prefix + n + ("/" if os.path.isdir(full) else ""))
        if len(found) >= limit:
            break
    return found
