"""Someone else changed (or deleted) the row while the form was open: both versions side by side, field by
field, and the operator's choice. Nothing has been written when this screen opens.

  k  keep theirs: the form closes, the grid shows their row; the operator's input is dropped
  o  overwrite: save the operator's changes over their row (a new check: against their version, now)
  e  go on editing: back to the form, which now compares with their version; the input is kept
"""

from __future__ import annotations

import urwid

from console.formatting import formatter
from console.registry import screen
from console.screens.base import Screen
from storage.edits import same
from widgets.cells import NULL_TEXT, one_line
from widgets.statusbar import Part


def _shown(col, value, width: int = 60) -> str:
    return NULL_TEXT if value is None else formatter(col)(value, width)


@screen
class ConflictScreen(Screen):
    name = "conflict"
    title = "Conflict"

    def __init__(self, app, form, conflict):
        super().__init__(app)
        self.form, self.conflict = form, conflict
        table = form.table
        mine = conflict.mine.values
        theirs = conflict.theirs.values if conflict.theirs is not None else None
        yours = {f.name: f for f in form.fields}
        head = urwid.Columns([(18, urwid.Text(("header", "field"))), urwid.Text(("header", "when you opened it")),
                              urwid.Text(("header", "yours (not saved)")), urwid.Text(("header", "theirs, now"))],
                             dividechars=1)
        rows = [head]
        for i, col in enumerate(table.columns):
            was = _shown(col, mine[i])
            f = yours[col.name]
            your = (NULL_TEXT if f.state == "null" else "(default)" if f.state == "default" else one_line(f.text, 60)) \
                if f.changed or i in form._long else was
            now = "(deleted)" if theirs is None else _shown(col, theirs[i])
            differs = theirs is None or not same(theirs[i], mine[i])     # the values, not their shortened text
            style = "changed" if differs else "field"
            rows.append(urwid.Columns([
                (18, urwid.Text((style, ("≠ " if differs else "  ") + col.name), wrap="ellipsis")),
                urwid.Text(was, wrap="ellipsis"),
                urwid.Text(("changed" if f.changed else "cell", your), wrap="ellipsis"),
                urwid.Text(("error" if differs else "cell", now), wrap="ellipsis")], dividechars=1))
        what = "deleted" if theirs is None else "changed"
        intro = urwid.Text(("error", f"  {table.display}: the row was {what} by someone else while you edited it. "
                                     "Nothing was written."))
        keys = ("  " + self.hint("keep_theirs", "closes the form: the row is gone, your input is dropped")
                if theirs is None else
                f"  {self.hint('keep_theirs', 'keeps theirs (your input is dropped)')} · "
                f"{self.hint('edit_again', 'goes on editing from theirs')} · "
                f"{self.hint('overwrite', 'overwrites theirs with your changes')}")
        self.widget = urwid.Frame(urwid.ListBox(urwid.SimpleFocusListWalker(rows)),
                                  header=urwid.Pile([intro, urwid.Text(("type", keys)), urwid.Divider()]))

    def status_text(self) -> list[Part]:
        keys = self.hint("keep_theirs", "closes") if self.conflict.theirs is None else \
            f"{self.hint('keep_theirs', 'keeps theirs')} · {self.hint('overwrite', 'overwrites')} · " \
            f"{self.hint('edit_again', 'edits')}"
        return [Part("conflict", keep=5), Part(self.form.table.display, keep=4), Part(keys, keep=3)]

    def cmd_keep_theirs(self):
        form, theirs = self.form, self.conflict.theirs
        model = form.model
        if theirs is not None and 0 <= form.index < len(model.rows) and model.edit_row(form.index) == form.mine:
            model.replace_row(form.index, theirs)
        elif theirs is None and 0 <= form.index < len(model.rows) and model.edit_row(form.index) == form.mine:
            model.remove_rows([form.index])
        form._discarding = True
        self.app.pop()                  # this screen
        self.app.pop()                  # the form
        self.app.message("kept their version: nothing of yours was written")

    def _show_theirs(self) -> None:
        """The grid shows their row meanwhile (it is what the database holds)."""
        form, model, db = self.form, self.form.model, self.app.db
        if 0 <= form.index < len(model.rows):
            shown = model.edit_row(form.index)
            if db.row_key(form.table, shown) == db.row_key(form.table, self.conflict.theirs):
                model.replace_row(form.index, self.conflict.theirs)

    def cmd_overwrite(self):
        if self.conflict.theirs is None:
            self.app.message(f"the row is gone: there is nothing to overwrite · "
                             f"{self.hint('keep_theirs', 'closes the form')}", error=True)
            return
        self._show_theirs()
        self.form.rebase(self.conflict.theirs)
        self.app.pop()
        self.form.cmd_save()

    def cmd_edit_again(self):
        if self.conflict.theirs is None:
            self.app.message(f"the row is gone: {self.hint('keep_theirs', 'closes the form')}", error=True)
            return
        self._show_theirs()
        self.form.rebase(self.conflict.theirs)
        self.app.pop()
        self.app.message("editing from their version: your changes are kept; "
                         f"{self.app.keymap.hint('save', 'form', 'saves them over theirs')}")
