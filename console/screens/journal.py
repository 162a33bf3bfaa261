"""The journal: every change made to this database with rowdesk, newest first, and undo.

Each line is one committed (or unresolved) change: when, who, what, which row, which columns went from what
to what. `u` undoes the focused change with the same check as any edit: refused, with both versions shown
in the message, when the row no longer holds what the change left. `/` narrows to one table.
"""

from __future__ import annotations

import urwid

from console.registry import screen
from console.screens.base import ScrollingScreen
from storage.edits import Conflict, Unwritable
from storage.jobs import is_cancel
from storage.writes import OutcomeUnknown
from widgets.cells import NULL_TEXT, fit, one_line
from widgets.overlays import ListLine
from widgets.statusbar import Part

PAGE = 200
FOCUSED = {None: "row focus", "type": "row focus", "field": "row focus", "warn": "row focus"}
STATES = {"committed": "", "unknown": "outcome unknown", "pending": "pending", "not_applied": "not applied",
          "unknown_changed": "changed since"}


def _value(v) -> str:
    """A value as the journal lists it: bytes in hex, as the grid and the form show them."""
    if v is None:
        return NULL_TEXT
    return one_line(v if isinstance(v, str) else v.hex(" ") if isinstance(v, bytes) else str(v), 24)


def summary(entry) -> str:
    """What the change did, in one line: the columns that changed, from what to what."""
    if entry.action == "insert":
        return "new row: " + ", ".join(f"{k}={_value(v)}" for k, v in (entry.after or {}).items())
    if entry.action == "delete":
        return "deleted: " + ", ".join(f"{k}={_value(v)}" for k, v in (entry.before or {}).items())
    before, after = entry.before or {}, entry.after or {}
    changed = [k for k in after if k in before and repr(before[k]) != repr(after[k])]
    return ", ".join(f"{k}: {_value(before[k])} → {_value(after[k])}" for k in changed) or "(no column changed)"


class _Line(ListLine):
    def __init__(self, entry):
        self.entry = entry
        state = STATES.get(str(entry.state), str(entry.state))
        undone = f"undone by #{entry.undone_by} · " if entry.undone_by else ""
        undo = f"undoes #{entry.undoes} · " if getattr(entry, "undoes", None) else ""
        key = ", ".join(_value(k) for k in entry.key) if entry.key else "?"
        when = entry.at.strftime("%Y-%m-%d %H:%M:%S")
        super().__init__([("type", f"#{entry.id:<5} {when} {fit(entry.user, 8)} "),
                          ("field", f"{entry.action:<6} "), f"{entry.table} [{key}] ",
                          ("warn", f"{state} · " if state else ""), ("type", undone + undo), summary(entry)],
                         wrap="ellipsis")



@screen
class JournalScreen(ScrollingScreen):
    name = "journal"
    title = "Journal"
    palette = True
    help_footer = ("Every change made with rowdesk to this database, kept in $XDG_DATA_HOME/rowdesk/journal.sqlite\n"
                   "(never in the database itself). A change can be undone while the row still holds what it left.")

    def __init__(self, app):
        super().__init__(app)
        self.table: str | None = None
        self.entries = []
        self.walker = urwid.SimpleFocusListWalker([])
        self.listbox = urwid.ListBox(self.walker)
        self.widget = self.listbox
        self._reading = None
        self.error = ""
        self.read()

    def scroll_target(self) -> urwid.ListBox:
        return self.listbox

    def read(self) -> None:
        if self.app.db.journal is None:
            self.error = self.app.db.journal_problem or "no journal"
            self.app.update_status()
            return
        d = self._reading = self.app.db.journal_entries(table=self.table, limit=PAGE)

        def got(entries):
            self._reading = None
            self.entries = entries
            self.walker[:] = [urwid.AttrMap(_Line(e), "row", FOCUSED) for e in entries]
            if entries:
                self.walker.set_focus(0)
            self.app.update_status()

        def failed(failure):
            self._reading = None
            if not is_cancel(failure):
                self.error = failure.getErrorMessage()
                self.app.update_status()
        d.addCallbacks(self.app.deliver(got), self.app.deliver(failed))

    def status_text(self) -> list[Part]:
        parts = [Part("journal", keep=5)]
        if self.table:
            parts.append(Part(f"table {self.table}", keep=3))
        if self.error:
            parts.append(Part(self.error, keep=4))
        elif self._reading is None:
            n = len(self.entries)
            parts.append(Part("no changes yet" if not n else f"{n:,} change{'s' if n != 1 else ''}"
                              + (" (the newest)" if n >= PAGE else ""), keep=4))
        parts.append(Part(f"{self.hint('undo', 'undoes')} · {self.hint('filter', 'one table')} · "
                          f"{self.hint('select', 'the whole change')}", keep=0))
        return parts

    def cancel_work(self) -> bool:
        if self._reading is not None:
            d, self._reading = self._reading, None
            d.cancel()
            return True
        return False

    def _focused(self):
        if not self.entries:
            return None
        return self.entries[self.walker.focus]

    def cmd_refresh(self):
        self.read()

    def cmd_select(self):
        """The whole change: every column, before and after, the changed ones marked."""
        entry = self._focused()
        if entry is None:
            return
        from storage.edits import same
        from widgets.overlays import Confirm
        before, after = entry.before or {}, entry.after or {}
        names = list(dict.fromkeys([*before, *after]))        # an insert has no before, a delete no after
        lines = []
        for name in names:
            if entry.action == "insert":
                lines.append(f"  {name}: {_value(after.get(name))}")
            elif entry.action == "delete":
                lines.append(f"  {name}: {_value(before.get(name))}")
            else:
                changed = not same(before.get(name), after.get(name))
                was, now = _value(before.get(name)), _value(after.get(name))
                lines.append(f"≠ {name}: {was}  →  {now}" if changed else f"  {name}: {now}")
        state = STATES.get(str(entry.state), str(entry.state)) or "committed"
        key = ", ".join(_value(k) for k in entry.key) if entry.key else "?"
        head = [f"{entry.at:%Y-%m-%d %H:%M:%S} by {entry.user} · {state}", f"row [{key}]"]
        if entry.undone_by:
            head.append(f"undone by #{entry.undone_by}")
        if getattr(entry, "undoes", None):
            head.append(f"undoes #{entry.undoes}")
        self.app.open_overlay(Confirm(f"#{entry.id} {entry.action} in {entry.table}", [*head, "", *lines],
                                      "any key closes", self.app.close_overlay, self.app.close_overlay))

    def cmd_filter(self):
        def done(text):
            self.table = text.strip() or None
            self.read()
        self.app.ask("table (empty: every table): ", self.table or "", on_done=done)

    def cmd_clear_filters(self):
        self.table = None
        self.read()

    def cmd_undo(self):
        entry = self._focused()
        if entry is None:
            return
        if self.app.db.read_only:
            self.app.message("read-only (--read-only, or read_only = true): nothing can be changed", error=True)
            return
        if entry.undone_by:
            self.app.message(f"change {entry.id} was undone already (by change {entry.undone_by})", error=True)
            return
        from widgets.overlays import Confirm

        def yes():
            self.app.close_overlay()
            self._undo(entry)

        def no():
            self.app.close_overlay()
            self.app.message("nothing was undone")
        self.app.open_overlay(Confirm(f"Undo #{entry.id}?", [f"{entry.action} in {entry.table}: {summary(entry)}"],
                                      "y undoes it (if the row still holds what it left) · any other key keeps it",
                                      yes, no))

    def _undo(self, entry) -> None:
        d = self.app.db.undo(entry)

        def done(_):
            self.app.message(f"undid #{entry.id} ({entry.action} in {entry.table})")
            self.read()
            self._tell_browse(entry.table)

        def failed(failure):
            error = failure.value
            if isinstance(error, Conflict):
                self.app.message("not undone: the row was changed again since; nothing was written", error=True)
                self._show_conflict(entry, error)
            elif isinstance(error, Unwritable):
                self.app.message(f"not undone: {error}", error=True)
            elif isinstance(error, OutcomeUnknown):
                self.app.message(f"undo of #{entry.id}: {error}", error=True)
                self.read()
            elif not is_cancel(failure):
                self.app.message(f"not undone: {self.app.db.describe_error(error)}; nothing was written",
                                 error=True)
        d.addCallbacks(self.app.deliver(done), self.app.deliver(failed))

    def _show_conflict(self, entry, conflict) -> None:
        """What the change left beside what the row holds now, field by field (the differences marked)."""
        from storage.edits import same
        left = entry.after or entry.before or {}
        names = conflict.table.column_names
        now = dict(zip(names, conflict.theirs.values, strict=True)) if conflict.theirs is not None else None
        lines = []
        for name in names:
            was = _value(left.get(name))
            if now is None:
                lines.append((name, f"{was}  →  (the row is gone)"))
            else:
                mark = "≠ " if not same(left.get(name), now[name]) else "  "
                lines.append((mark + name, f"{was}  →  now {_value(now[name])}"))
        from widgets.overlays import Confirm
        shown = [f"{name}: {text}" for name, text in lines]
        self.app.open_overlay(Confirm(f"#{entry.id} not undone: the row changed since", shown,
                                      "what the change left → what the row holds now · nothing was written · "
                                      "any key closes", self.app.close_overlay, self.app.close_overlay))

    def _tell_browse(self, table: str) -> None:
        """A browse screen of that table under this one reads its rows again (they changed)."""
        for s in self.app.stack:
            model = getattr(s, "model", None)
            if s.name == "browse" and model is not None and model.table.display == table:
                model.reload()
