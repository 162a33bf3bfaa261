"""Browsing one table: a virtual grid over keyset-paged rows."""

from __future__ import annotations

from urwid import Filler, Text

from console.browse_model import BrowseModel
from console.registry import screen
from console.screens.base import Screen
from storage import filters
from storage.export import ExportFailed
from storage.jobs import is_cancel
from storage.paging import Order, View
from storage.secrets import mask_secrets
from widgets.grid import GridView
from widgets.statusbar import Part


@screen
class BrowseScreen(Screen):
    name = "browse"
    title = "Browse"
    help_footer = ("Filter syntax (on the current column):\n  " + filters.HELP +
                   "\n  text matches anywhere in the value as the grid shows it (true/false, numbers as shown);"
                   "\n  comparisons are in the column's type; a value SQLite holds of another type is compared"
                   "\n  as SQLite compares it, and the status line says so. Several columns can be filtered at once.")

    def __init__(self, app, table_name: str, *, at=None, where=None, conditions=(), crumb: str | None = None):
        """*at*: the row (storage.edits.Row) to put the cursor on (a followed foreign key); *where*: (columns,
        values) the rows shown must hold (the rows that refer to another one); *crumb*: where the operator came
        from, in the title's trail (`Customer 17`)."""
        super().__init__(app)
        self.table_name = table_name
        self.at, self.where, self.crumb = at, where, crumb
        self.conditions = tuple(conditions)              # filters.Condition: rows a model's RelatedJoin pairs
        self.model: BrowseModel | None = None
        self.grid: GridView | None = None
        self.error: str | None = None
        self.widget = Filler(Text(("type", f"  opening {table_name}…")), valign="top")
        self.closed = False
        self._refused: tuple[str, str] | None = None     # (column, text) of the filter last refused
        self._finding = None                             # the seek to a followed reference's row
        self._writing: str | None = None                 # what a quick edit or a delete is doing, for the spinner
        self._exporting = None                           # the export running (Esc cancels it)
        self._describing = d = app.db.describe(table_name)
        d.addCallback(app.deliver(self._described))
        d.addErrback(app.deliver(self._describe_failed))

    def _describe_failed(self, failure):
        self._describing = None
        if self.closed:
            return None
        if is_cancel(failure):
            self.error = "cancelled"
            self.widget = Filler(Text(("type", f"  opening {self.table_name} was cancelled; "
                                               f"{self.hint('refresh', 'tries again')}")))
            self._install()
            return None
        self.error = mask_secrets(failure.getErrorMessage())
        self.widget = Filler(Text(("error", f"  cannot open {self.table_name}: {self.error}")), valign="top")
        self._install()
        return self.app.failed(f"opening {self.table_name}")(failure)

    def _described(self, table) -> None:
        self._describing = None
        if self.closed:
            return
        keep = (self.app.db.equal(table, *self.where) if self.where else ()) + self.conditions
        view = View(table, Order(), keep) if keep else None
        self.model = BrowseModel(self.app.db, table, self._model_changed, self.app.failed, self.app.deliver, view)
        self.model.clear_hint = self.hint("clear_filters", "removes every filter")
        self.grid = GridView(self.model)
        self.widget = self.grid
        self._install()
        if self.at is None:
            self.model.open()
        else:
            self.model.show_row(self.at)          # found before this screen opened: a seek on its key

    def _install(self) -> None:
        if self.app.stack and self.app.top is self:
            self.app.show_widget(self.widget)
        self.app.update_status()

    def _model_changed(self, _=None) -> None:
        self.grid.changed()
        for above in self.app.stack:
            if above is not self and getattr(above, "browse", None) is self:
                above.rows_changed()      # a record view on top follows the rows as they arrive
        self.app.update_status()
        self.app.request_redraw()

    # -- status ---------------------------------------------------------------------------------
    def status_text(self) -> list[Part]:
        m = self.model
        if m is None:
            return [Part(self.table_name, keep=5), Part("error" if self.error else "opening…", keep=9)]
        parts = [Part(m.table.display, short=_short_name(m.table.name), keep=5)]
        info = self.model_info()
        if info is not None:
            parts.append(Part(f"model {info.class_name}", keep=1))
        if m.table.type == "view":
            parts.append(Part("view", keep=0))
        order = m.view.order
        if order.column is not None:
            arrow = "▼" if order.descending else "▲"
            parts.append(Part(f"sort {order.column} {arrow}", short=f"{arrow}{_short_name(order.column)}", keep=2))
        for cond in m.view.filters:
            parts.append(Part(f"filter {cond.label}", short=f"filter {_short_name(cond.column)}", keep=1))
            if cond.note:
                parts.append(Part(cond.note, keep=0))     # how the value was compared: first to go
        hidden = sum(1 for c in m.columns if c.hidden)
        if m.loaded and not m.rows:
            parts.append(Part("no rows" + (" match" if m.view.filters else ""), keep=9))
        elif m.rows:
            pos = m.position()
            total = m.total
            where = f"{pos + 1:,}" if pos is not None else "?"
            if total is None or total.rows is None:
                of = "…"
            else:
                of = f"{'' if total.exact else '~'}{total.rows:,}"
            parts.append(Part(f"row {where} of {of}", short=f"{where}/{of}", keep=10))
            parts.append(Part(f"col {m.col + 1}/{len(m.columns)}" + (f" ({hidden} hidden)" if hidden else ""),
                              short=f"c{m.col + 1}/{len(m.columns)}", keep=3))
        return parts

    def busy_label(self) -> str:
        if self._writing is not None:
            return self._writing
        if self._exporting is not None:
            return "exporting"
        m = self.model
        if m is not None and m.loading:
            return m.loading
        return "counting" if m is not None and m._count is not None else "reading"

    # -- commands ---------------------------------------------------------------------------------
    def _ready(self) -> bool:
        return self.model is not None

    def _move(self, delta: int) -> None:
        if self._ready():
            self.model.page_rows = self.grid.height
            self.model.move(delta)
            self.grid.changed()
            self.app.update_status()

    def cmd_up(self):
        self._move(-1)

    def cmd_down(self):
        self._move(1)

    def cmd_page_up(self):
        self._move(-self.grid.height if self.grid else -20)

    def cmd_page_down(self):
        self._move(self.grid.height if self.grid else 20)

    def cmd_first(self):
        if self._ready():
            if self.model.at_start:
                self._move(-self.model.cursor)
            else:
                self.model.load_first()
                self.app.update_status()

    def cmd_last(self):
        if self._ready():
            if self.model.at_end:
                self._move(len(self.model.rows))
            else:
                self.model.load_last()
                self.app.update_status()

    def _shown_columns(self) -> list[int]:
        return [i for i, c in enumerate(self.model.columns) if not c.hidden]

    def _set_col(self, col: int) -> None:
        if self._ready() and self.model.columns:
            self.model.col = max(0, min(len(self.model.columns) - 1, col))
            self.grid.reveal_column()
            self.app.update_status()

    def _step_col(self, delta: int) -> None:
        """To the next shown column in the direction of *delta* (hidden ones are skipped)."""
        if not self._ready():
            return
        shown = self._shown_columns()
        if not shown:
            return
        if delta > 0:
            target = next((i for i in shown if i > self.model.col), shown[-1])
        else:
            target = next((i for i in reversed(shown) if i < self.model.col), shown[0])
        self._set_col(target)

    def cmd_left(self):
        self._step_col(-1)

    def cmd_right(self):
        self._step_col(1)

    def cmd_first_column(self):
        if self._ready() and self._shown_columns():
            self._set_col(self._shown_columns()[0])

    def cmd_last_column(self):
        if self._ready() and self._shown_columns():
            self._set_col(self._shown_columns()[-1])

    def _resize_column(self, delta: int) -> None:
        if not self._ready() or not self.model.columns:
            return
        gc = self.model.columns[self.model.col]
        gc.auto = False                   # the operator's width stays, whatever the data on screen
        gc.width = max(1, min(max(self.grid.width, gc.min_width), gc.width + delta))
        self.grid.reveal_column()
        self.app.message(f"{gc.name}: {gc.width} column{'s' if gc.width != 1 else ''} wide")

    def cmd_widen(self):
        self._resize_column(+4)

    def cmd_narrow(self):
        self._resize_column(-4)

    def cmd_hide_column(self):
        if not self._ready():
            return
        shown = self._shown_columns()
        if len(shown) <= 1:
            self.app.message("the last shown column cannot be hidden", error=True)
            return
        gc = self.model.columns[self.model.col]
        gc.hidden = True
        later = [i for i in shown if i > self.model.col]
        self._set_col(later[0] if later else [i for i in shown if i < self.model.col][-1])
        hidden = len(self.model.columns) - len(self._shown_columns())
        self.app.message(f"{gc.name} hidden ({hidden} hidden · + shows them again)")

    def cmd_show_columns(self):
        if not self._ready():
            return
        hidden = [c for c in self.model.columns if c.hidden]
        for c in hidden:
            c.hidden = False
        self.grid.reveal_column()
        self.app.update_status()
        self.app.message(f"{len(hidden)} hidden columns shown again" if hidden else "no column is hidden")

    def cmd_column(self, name: str | None = None):
        if not self._ready() or not self.model.columns:
            return
        names = [c.name for c in self.model.table.columns]

        def done(text):
            i = best_match(text, names)
            if i is None:
                self.app.message(f"no column matches {text!r}", error=True)
                return
            if self.model.columns[i].hidden:
                self.model.columns[i].hidden = False
            self._set_col(i)

        if name is not None:
            done(name)
            return

        def change(text):
            i = best_match(text, names)
            prompt.set_hint(f"→ {names[i]}" if i is not None else "(no match)" if text.strip() else "")
        prompt = self.app.ask("column: ", "", on_done=done, on_change=change)

    def cmd_goto(self, row: str | None = None):
        if not self._ready():
            return

        def done(text):
            text = text.strip().replace(",", "").replace("_", "")
            if not (text.isascii() and text.isdecimal()) or int(text) < 1:
                self.app.message(f"row number: {text!r} is not a number from 1", error=True)
                return
            total = self.model.total
            if total is not None and total.exact and int(text) > total.rows:
                self.app.message(f"there are {total.rows:,} rows: going to the last one")
            self.model.go_to(int(text) - 1)
            self.grid.changed()          # a row already read is a move: nothing else redraws the grid
            self.app.update_status()
        if row is not None:
            done(row)
            return
        self.app.ask("go to row: ", "", on_done=done)

    def _named_column(self, name: str):
        """The column the operator names (exact, then prefix, then anywhere, ignoring case); else say so."""
        names = self.model.table.column_names
        i = best_match(name, names)
        if i is None:
            self.app.message(f"no column matches {name!r} (columns: {', '.join(names[:8])}"
                             f"{', …' if len(names) > 8 else ''})", error=True)
            return None
        return self.model.table.columns[i]

    def cmd_sort(self, column: str | None = None, direction: str | None = None):
        """s: the current column, ascending, then descending, then unsorted; `:sort col [asc|desc|off]`."""
        if not (self._ready() and self.model.columns):
            return
        if column is None:
            self.model.sort_by(self.model.table.columns[self.model.col].name)
        else:
            col = self._named_column(column)
            if col is None:
                return
            if direction not in (None, "asc", "desc", "off"):
                self.app.message(f"sort {col.name}: {direction!r} is not asc, desc or off", error=True)
                return
            self.model.sort(None if direction == "off" else col.name, descending=direction == "desc")
        self.grid.changed()
        self.app.update_status()

    def cmd_refresh(self):
        if self.model is None and self._describing is None:
            self.app.pop()
            self.app.top.command_open_table(self.table_name)
            return
        if self._ready():
            self.app.check_file(then=self._reload)

    def _reload(self) -> None:
        if not self.closed:
            self.model.reload()
            self.app.update_status()

    def cmd_clear_filters(self):
        if self._ready() and self.model.latest_view.filters:
            self.model.clear_filters()
            self.app.update_status()

    def cmd_filter(self, column_name: str | None = None, expression: str | None = None):
        """/: a filter on the current column, asked for; `:filter col expression` applies it at once."""
        if not self._ready() or not self.model.columns:
            return
        column = self.model.table.columns[self.model.col]
        if column_name is not None:
            column = self._named_column(column_name)
            if column is None:
                return
        current = next((c for c in self.model.latest_view.filters if c.column == column.name), None)
        initial = _filter_text(current)
        if self._refused is not None and self._refused[0] == column.name:
            initial = self._refused[1]           # a refused filter comes back to be corrected
        self._refused = None

        def done(text):
            if text.strip() == "?":
                self.app.cmd_help()
                return
            try:
                condition = filters.parse_filter(text, column, self.app.db.dialect)
            except filters.FilterError as e:
                self._refused = (column.name, text)
                self.app.message(f"filter not applied: {e}", error=True)
                return
            if condition is None and current is None:
                return
            self.model.set_filter(condition, column.name)
            if condition is not None and condition.note:
                self.app.message(f"filter {condition.label}: {condition.note}")
            self.app.update_status()
        if expression is not None:
            done(expression)
            return
        self.app.ask(f"filter {column.name} ({column.kind}): ", initial, on_done=done)

    def cmd_select(self):
        """Enter: on a foreign-key cell, the row it refers to; elsewhere the whole row."""
        if self._ready() and self.model.rows and self.references_from(self._column().name):
            self.cmd_follow()
        else:
            self.cmd_show_row()

    def cmd_show_row(self):
        if self._ready() and self.model.rows:
            from console.screens.record import RecordScreen

            self.app.push(RecordScreen(self.app, self))

    # -- the clipboard ------------------------------------------------------------------------------------------
    def cmd_copy(self, what: str | None = None):
        """y: the current cell's whole value (bytes in hex); `:copy row`: the row."""
        if what == "row":
            self.cmd_copy_row()
            return
        if what not in (None, "cell"):
            self.app.message(f"copy: {what!r} is not cell or row", error=True)
            return
        if not (self._ready() and self.model.rows):
            return
        col = self._column()
        self.app.copy_to_clipboard(_copied(self.model.current_row()[self.model.col], col), col.name)

    def cmd_copy_row(self):
        if not (self._ready() and self.model.rows):
            return
        row = self.model.current_row()
        # Tab-separated, one line: a value holding a tab or a line break is quoted as CSV quotes it.
        text = "\t".join(_tsv(_copied(v, c)) for v, c in zip(row, self.model.table.columns, strict=True))
        self.app.copy_to_clipboard(text, "the row")

    # -- the mouse --------------------------------------------------------------------------------------------
    def click(self, x: int, y: int, *, double: bool) -> bool:
        """A header sorts by its column (again: descending, then unsorted, as s); a row takes the cursor, and a
        double click opens it in the form."""
        if not self._ready():
            return True
        hit = self.grid.hit(x, y)
        if hit is None:
            return True
        what, index, column = hit
        if what == "header":
            self._set_col(index)
            self.cmd_sort()
            return True
        if column is not None:
            self._set_col(column)
        self._move(index - self.model.cursor)
        if double:
            self.cmd_edit()
        return True

    # -- relations (storage.schema.Reference): both ways, with a trail back -----------------------------------------
    def _column(self):
        return self.model.table.columns[self.model.col]

    def model_info(self):
        """The operator's model of this table (--models), or None."""
        models = self.app.models
        return models.for_table(self.model.table.display) if models is not None and self.model else None

    def references_from(self, column: str):
        """The foreign keys *column* is part of: the database's, then the model's ForeignKey columns it lacks."""
        refs = list(self.model.table.references_from(column))
        info = self.model_info()
        if info is not None:
            refs += [r for r in info.references if column in r.columns and not any(
                (r.columns, r.target, r.target_columns) == (d.columns, d.target, d.target_columns) for d in refs)]
        return refs

    def row_label(self, index: int | None = None) -> str:
        """The row under the cursor as the trail names it: `Customer 17`, `OrderLine 98,2`, `notes rowid 5`."""
        m = self.model
        row = m.edit_row(index)
        table = m.table
        if table.primary_key:
            key = ",".join(_key_text(row.get(table, k)) for k in table.primary_key)
        elif row is not None and row.hidden is not None:
            key = f"rowid {row.hidden}"
        else:
            key = f"row {m.position() + 1:,}" if m.position() is not None else "?"
        return f"{table.display} {key}"

    def cmd_follow(self):
        """>: open the table the current cell's foreign key refers to, on the row it refers to."""
        if not (self._ready() and self.model.rows):
            return
        col = self._column()
        refs = self.references_from(col.name)
        if not refs:
            self.app.message(f"{col.name} refers to no other table ({self.hint('follow', 'follows a foreign key')}; "
                             f"{self.hint('referencing', 'lists the rows that refer to this one')})", error=True)
            return
        if not self._settled():
            return
        ref = refs[0]
        values = [self.model.edit_row().get(self.model.table, c) for c in ref.columns]
        if any(v is None for v in values):
            self.app.message(f"{col.name} is NULL: it refers to no row", error=True)
            return
        # The row is found first (one seek on the key it refers to): a dangling reference leaves the cursor
        # where it is, with the reason, instead of opening the other table on some other row.
        db, crumb = self.app.db, self.row_label()
        d = self._finding = db.describe(ref.target)
        d.addCallback(lambda target: db.find_row(target, ref.target_columns, values))

        def found(row):
            self._finding = None
            if self.closed or self.app.top is not self:
                return
            if row is None:
                shown = ", ".join(f"{c} = {v!r}" for c, v in zip(ref.target_columns, values, strict=True))
                self.app.message(f"no row of {ref.target} has {shown}: the reference is dangling", error=True)
                return
            self.app.push(BrowseScreen(self.app, ref.target, at=row, crumb=crumb))

        def failed(failure):
            self._finding = None
            if is_cancel(failure):
                return None
            return self.app.failed(f"following {col.name} to {ref.target}")(failure)
        d.addCallbacks(self.app.deliver(found), self.app.deliver(failed))

    def cmd_referencing(self):
        """<: the tables and columns that refer to this row, with how many rows each."""
        if not (self._ready() and self.model.rows and self._settled()):
            return
        from console.screens.references import ReferencesScreen
        self.app.push(ReferencesScreen(self.app, self.model.table, self.model.edit_row(), self.row_label()))

    # -- editing (console.screens.form, storage.edits) ------------------------------------------------
    def _writable(self) -> bool:
        """May rows of this table be changed? Else say why, and no."""
        if not self._ready():
            return False
        if self.app.db.read_only:
            self.app.message("read-only (--read-only, or read_only = true): nothing can be changed", error=True)
            return False
        reason = self.model.table.read_only_reason
        if reason is not None:
            self.app.message(f"{self.model.table.display} cannot be changed: {reason}", error=True)
            return False
        return self._settled()

    def _settled(self) -> bool:
        """Is the row under the cursor the one the operator asked for? Not while keys typed ahead (G, then e)
        wait for their rows: then say so, and no."""
        m = self.model
        if m.loading is not None or m._target is not None or m._pending_move:
            self.app.message("the rows are still being read: press it again once they are shown", error=True)
            return False
        return True

    def cmd_edit(self):
        if self._writable() and self.model.rows:
            from console.screens.form import FormScreen
            self.app.push(FormScreen(self.app, self))

    def cmd_insert(self):
        if self._writable():
            from console.screens.form import FormScreen
            self.app.push(FormScreen(self.app, self, inserting=True))

    def cmd_quick_edit(self):
        """E: the current cell, edited in the message line; saved as the form saves (checked, conflicts)."""
        if not (self._writable() and self.model.rows):
            return
        from console.screens.form import field_for
        from storage import values
        model, i = self.model, self.model.col
        col = model.table.columns[i]
        mine, index = model.edit_row(), model.cursor
        f = field_for(col, mine.values[i], inserting=False, engine=self.app.db.dialect.name, keys=self.app.keymap)
        if col.pk_position:
            self.app.message(f"{col.name} is part of the key: rowdesk does not change keys (other rows may refer "
                             f"to it; a new key is a new row: {self.hint('insert', 'inserts one')})", error=True)
            return
        if not f.editable or f.mode == "fixed" or f.mode == "lines":
            self.app.message(f"{col.name}: {self.hint('edit', 'edits it in the form')} "
                             f"({f.text or 'not editable here'})", error=True)
            return

        def done(text):
            if text == ("" if f.state == "null" else f.text):
                self.app.message(f"{col.name}: nothing changed, nothing was written")
                return
            try:
                value = values.read(col, text, self.app.db.dialect.name, mine.values[i])
            except values.InvalidValue as e:
                # Asked again with the text as typed, to correct: nothing typed is thrown away.
                self.app.ask(caption, text, on_done=done).set_hint(f"{e.problem}; nothing was saved")
                return
            d = self.app.db.update_row(model.table, mine, {col.name: value})
            self._writing = f"saving {col.name}"
            d.addBoth(self._written)

            def saved(row):
                if 0 <= index < len(model.rows) and model.edit_row(index) == mine:
                    model.replace_row(index, row)
                self.app.message(f"saved {col.name}")

            def failed(failure):
                from storage.edits import Conflict
                if isinstance(failure.value, Conflict):
                    self.app.message(f"{failure.value} · {self.hint('refresh', 'reads it again')}; "
                                     f"{self.hint('edit', 'shows both versions in the form')}",
                                     error=True)
                    return None
                return self.app.failed(f"saving {col.name}")(failure)
            d.addCallbacks(self.app.deliver(saved), self.app.deliver(failed))
        from console.screens.form import HINTS
        expects = HINTS.get(col.kind, "")               # the form's keys (^N, ^O) are the form's: not named here
        caption = f"{col.name} ({expects}) = " if expects else f"{col.name} = "
        self.app.ask(caption, "" if f.state == "null" else f.text, on_done=done)

    # -- export (storage.export) ------------------------------------------------------------------------------
    def cmd_export(self, fmt: str | None = None, path: str | None = None):
        """x: the rows of this view to a file, asked for; `:export csv out.csv` at once."""
        if not self._ready():
            return
        if self._exporting is not None:
            self.app.message(f"an export is running: {self.hint('escape', 'cancels it')}", error=True)
            return
        from storage.export import FORMATS, format_of
        if fmt is not None and fmt not in FORMATS and path is None and format_of(fmt):
            fmt, path = None, fmt                            # `:export out.jsonl`: the format from the name
        if fmt is not None and fmt not in FORMATS:
            self.app.message(f"export: {fmt!r} is not csv, jsonl or json", error=True)
            return

        def chosen(text: str) -> None:
            import os
            text = os.path.expanduser(text.strip())
            if not text:
                return
            kind = fmt or format_of(text)
            if kind is None:
                self.app.message(f"export: {text}: name a .csv, .jsonl or .json file (or :export csv {text})",
                                 error=True)
                return
            if os.path.isdir(text):
                self.app.message(f"export: {text} is a folder: name a file in it", error=True)
                return
            if os.path.exists(text):
                from widgets.overlays import Confirm

                def yes():
                    self.app.close_overlay()
                    self._export(kind, text, overwrite=True)

                def no():
                    self.app.close_overlay()
                    self.app.message(f"nothing exported: {text} is kept")
                self.app.open_overlay(Confirm(f"Replace {text}?", [f"{text} exists ({os.path.getsize(text):,} bytes)"],
                                              "y replaces it · any other key keeps it", yes, no))
                return
            self._export(kind, text, overwrite=False)
        if path is not None:
            chosen(path)
            return
        default = f"{self.model.table.name}.{fmt or 'csv'}"
        self.app.ask("export to (.csv, .jsonl or .json): ", default, on_done=chosen)

    def _export(self, fmt: str, path: str, *, overwrite: bool) -> None:
        import time
        m = self.model
        total = m.total.rows if m.total is not None and m.total.rows is not None else None
        started = time.monotonic()
        self._export_note = f"exporting to {path}"
        cancels = self.hint("escape", "cancels")

        def progress(rows: int) -> None:
            if self._exporting is None:
                return
            took = max(time.monotonic() - started, 1e-6)
            rate = rows / took
            if total:
                share = min(1.0, rows / total)
                bar = "█" * round(share * 12) + "░" * (12 - round(share * 12))
                left = f" · {max(0.0, (total - rows) / rate):.0f} s left" if rows else ""
                self._export_note = (f"exporting {bar} {share:.0%} · {rows:,} of {'' if m.total.exact else '~'}"
                                     f"{total:,} rows · {rate:,.0f} rows/s{left} · {cancels}")
            else:
                self._export_note = f"exporting · {rows:,} rows · {rate:,.0f} rows/s · {cancels}"
            self.app.message(self._export_note)

        d = self._exporting = self.app.db.export(m.view, fmt, path, overwrite=overwrite,
                                                 progress=self.app.deliver(progress))
        self.app.message(f"exporting to {path} · {cancels}")

        def done(rows):
            self._exporting = None
            took = time.monotonic() - started
            self.app.message(f"exported {rows:,} rows to {path} in {took:.1f} s")

        def failed(failure):
            self._exporting = None
            if is_cancel(failure):
                # After the app's own "cancelled": this one says what became of the file.
                self.app.reactor.callLater(0, self.app.deliver(self.app.message),
                                           f"export cancelled: {path} was not written (the partial file is "
                                           "removed)")
                return None
            # the file (a folder that is gone, a full disk), or what the engine could not make
            if isinstance(failure.value, (OSError, ExportFailed)):
                self.app.message(f"export failed: {failure.value}; nothing was written", error=True)
                return None
            return self.app.failed("exporting")(failure)
        d.addCallbacks(self.app.deliver(done), self.app.deliver(failed))

    def _written(self, result):
        self._writing = None
        return result

    def cmd_mark(self):
        if self._writable() and self.model.rows:           # marks are for d: not where nothing can be deleted
            self.model.toggle_mark()
            self.model.move(1)
            self.grid.changed()
            n = len(self.model.marked)
            self.app.message(f"{n} row{'s' if n != 1 else ''} marked · {self.hint('delete', 'deletes them')} · "
                             f"{self.hint('mark', 'unmarks')}" if n else
                             "no rows marked")
            self.app.update_status()

    def cmd_delete(self):
        if not (self._writable() and self.model.rows):
            return
        model = self.model
        rows = sorted(model.marked, key=repr) if model.marked else [model.edit_row()]
        from widgets.overlays import Confirm
        table = model.table
        shown = [", ".join(f"{c.name}={v!r}" for c, v in zip(table.columns, r.values, strict=True)
                           if c.pk_position or not table.primary_key) for r in rows[:8]]
        more = [f"… and {len(rows) - 8} more"] if len(rows) > 8 else []
        title = f"Delete {len(rows)} row{'s' if len(rows) > 1 else ''} of {table.display}?"

        def yes():
            self.app.close_overlay()
            d = self.app.db.delete_rows(table, rows)
            self._writing = "deleting"
            d.addBoth(self._written)

            def deleted(count):
                model.marked.clear()
                gone = [i for i in range(len(model.rows)) if model.edit_row(i) in set(rows)]
                model.remove_rows(gone)
                self.app.message(f"deleted {count} row{'s' if count != 1 else ''}")

            def failed(failure):
                from storage.edits import Conflict
                if isinstance(failure.value, Conflict):
                    self.app.message(f"{failure.value} · {self.hint('refresh', 'reads the rows again')}", error=True)
                    return None
                if self.app.db.classify(failure.value).name == "CONSTRAINT":
                    self.app.message(f"not deleted: {self.app.db.describe_error(failure.value)} · "
                                     f"{self.hint('referencing', 'lists the rows that refer to it')}", error=True)
                    return None
                return self.app.failed("deleting")(failure)
            d.addCallbacks(self.app.deliver(deleted), self.app.deliver(failed))

        def no():
            self.app.close_overlay()
            self.app.message("nothing was deleted")
        self.app.open_overlay(Confirm(title, [*shown, *more], "y deletes · any other key keeps them", yes, no))

    def on_cover(self, above) -> None:
        # A step along a trail of relations keeps a few rows around its cursor, not a whole window; a record
        # or a form over it works on its rows, which stay.
        if above.name in ("browse", "references") and self.model is not None:
            self.model.shrink()

    def on_show(self) -> None:
        if self.model is not None:
            self.model.page_rows = self.grid.height          # the grid is made with the model
            self.model.resume()

    def on_close(self) -> None:
        self.closed = True
        self.cancel_work()

    def cancel_work(self) -> bool:
        if self._exporting is not None:
            d, self._exporting = self._exporting, None
            d.cancel()                            # its errback says what became of the file
            return True
        for attr in ("_describing", "_finding"):
            d = getattr(self, attr)
            if d is not None:
                setattr(self, attr, None)
                d.cancel()
                return True
        if self.model is None:
            return False
        cancelled = self.model.cancel()
        if cancelled:
            self.model.restore_markers()
            if self.grid is not None:
                self.grid.changed()
            self.app.update_status()
        return cancelled


def _copied(value, col) -> str:
    """A value as the clipboard takes it: its whole text (NULL as the empty text, bytes in hex)."""
    from console.formatting import full_value
    if value is None:
        return ""
    shown = full_value(value, col)
    return shown.hex() if isinstance(shown, bytes) else shown


def _tsv(text: str) -> str:
    if any(ch in text for ch in '\t\n\r"'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _key_text(value) -> str:
    return value.hex() if isinstance(value, bytes) else str(value)


def _short_name(name: str, width: int = 16) -> str:
    return name if len(name) <= width else name[:width - 1] + "…"


def best_match(text: str, names: list[str]) -> int | None:
    """The name the operator means: an exact name first (ignoring case), then a name that
    starts with the text, then one that contains it; each group in the given order."""
    needle = text.strip().lower()
    if not needle:
        return None
    lowered = [n.lower() for n in names]
    for test in (lambda n: n == needle, lambda n: n.startswith(needle), lambda n: needle in n):
        for i, n in enumerate(lowered):
            if test(n):
                return i
    return None


def _filter_text(condition) -> str:
    """What the operator typed for *condition*, to edit it again (never a text rebuilt from its label)."""
    return condition.text if condition is not None else ""
