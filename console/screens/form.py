"""The record form: one row's fields, edited and saved (e), or a new row (n).

Each field is typed from its column (storage.values reads the text back as the column's value, with a
message naming the field when it cannot). Nothing is sent until every changed field reads; then only the
changed columns are written, in one transaction that first checks the row still holds what the form was
opened with (storage.edits): if someone changed it meanwhile, the conflict screen shows both versions. The
form keeps the operator's input through every refusal and error, and asks before Esc throws it away.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile

from console.formatting import full_value
from console.registry import screen
from console.screens.base import Screen
from storage import values
from storage.backends import ErrorKind
from storage.edits import Conflict, Row, Unwritable
from storage.jobs import is_cancel
from storage.secrets import mask_secrets
from storage.writes import OutcomeUnknown
from widgets.form import DEFAULT, FIXED, LINES, NULL, TEXT, TOGGLE, VALUE, Field, FormView
from widgets.statusbar import Part

PICK_ROWS = 500         # rows of a referenced table offered by ^O (the key of any other can be typed)
LONG = 8 * 1024          # longer values are edited in $EDITOR only (a terminal field is no place for them)
HINTS = {"int": "a whole number", "float": "a number", "decimal": "a number", "date": "YYYY-MM-DD",
         "datetime": "YYYY-MM-DD HH:MM[:SS][±HH:MM]", "time": "HH:MM[:SS]", "json": "JSON",
         "blob": "bytes as hex digits, e.g. 00 ff 1a"}


def _has_controls(text: str) -> bool:
    return any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in text)


def _default_keys():
    from console import keymap
    return keymap.Keymap(keymap.BINDINGS)


def field_for(col, value, *, inserting: bool, engine: str, keys=None) -> Field:
    """The form field of column *col* holding *value* (inserting: the database's default, where it has one).
    *keys*: the session's keymap, for the field's hints (^O picks, ^N: NULL)."""
    keys = keys or _default_keys()
    label = col.declared or col.kind
    if col.pk_position:
        label += " key"
    if col.references:
        label += f" → {col.references[0]}"
    hint = HINTS.get(col.kind, "")
    if col.kind == "time" and engine == "mysql":
        hint = "[-]H:MM:SS"
    choices = values.members(col)
    if choices is not None:
        hint = "one of " + ", ".join(choices[:8]) + ("…" if len(choices) > 8 else "") + \
            f" · {keys.hint('pick', 'form', 'picks')}"
    elif col.references:
        hint = (hint + " · " if hint else "") + f"a key of {col.references[0]} · {keys.hint('pick', 'form', 'picks')}"
    # A key column takes a value, even where SQLite would let it hold NULL (a rowid table's non-integer key):
    # a row keyed by NULL cannot be found again.
    nullable = col.nullable and not col.pk_position
    if nullable:
        hint = (hint + " · " if hint else "") + f"{keys.key('toggle_null', 'form') or ':toggle_null'}: NULL"
    if col.generated:
        return Field(col.name, label + " generated", FIXED, "(computed by the database)")
    if col.pk_position and not inserting:
        return Field(col.name, label, FIXED, _text(col, value))
    if inserting:
        mode = TOGGLE if col.kind == "bool" else LINES if col.kind == "json" else TEXT
        numbered = col.autoincrement and col.default is None
        state = DEFAULT if col.default is not None or numbered else NULL if nullable else VALUE
        text = "false" if mode == TOGGLE and state == VALUE else ""
        return Field(col.name, label, mode, text, state, hint, default_text="numbered by the database" if numbered
                     else col.default or "", choices=choices)
    if value is None:
        mode = TOGGLE if col.kind == "bool" else LINES if col.kind == "json" else TEXT
        return Field(col.name, label, mode, "false" if mode == TOGGLE else "", NULL, hint, choices=choices)
    text = _text(col, value)
    if len(text) > LONG or _has_controls(text):
        why = "long" if len(text) > LONG else "holds control characters"
        return Field(col.name, label, FIXED, f"({len(text):,} characters; {why}: "
                                             f"{keys.hint('external_editor', 'form', 'edits it')} in $EDITOR)",
                     hint=hint, choices=choices)
    mode = TOGGLE if col.kind == "bool" and text in ("true", "false") else \
        LINES if col.kind == "json" or "\n" in text else TEXT
    return Field(col.name, label, mode, text, VALUE, hint, choices=choices)


def _state_word(state: str) -> str:
    return {NULL: "NULL", DEFAULT: "the default", VALUE: "a value"}[state]


def _text(col, value) -> str:
    if value is None:
        return ""
    shown = full_value(value, col)
    return shown.hex(" ") if isinstance(shown, bytes) else shown


@screen
class FormScreen(Screen):
    name = "form"
    title = "Record form"

    def __init__(self, app, browse, *, inserting: bool = False):
        super().__init__(app)
        self.browse = browse
        self.model = browse.model
        self.table = self.model.table
        self.inserting = inserting
        self.index = self.model.cursor
        self.mine: Row | None = None if inserting else self.model.edit_row()
        self._opened = self.mine                  # the row as the grid had it (a rebase changes self.mine)
        self.engine = app.db.dialect.name
        row = self.mine.values if self.mine is not None else (None,) * len(self.table.columns)
        self.fields = [field_for(c, v, inserting=inserting, engine=self.engine, keys=app.keymap)
                       for c, v in zip(self.table.columns, row, strict=True)]
        self._long: dict[int, str] = {}           # field index -> text edited in $EDITOR (too long for a field)
        self._with_model()
        self.view = FormView(self.fields)
        self.view.editor_hint = self.hint("external_editor", "edits")
        self.widget = self.view
        self._saving = None
        self._discarding = False

    # -- status and keys ---------------------------------------------------------------------------
    def status_text(self) -> list[Part]:
        what = "new row" if self.inserting else "edit"
        f = self.view.focused
        changed = sum(1 for i, x in enumerate(self.fields) if x.changed or i in self._long)
        parts = [Part(what, keep=5), Part(self.table.display, keep=4)]
        if not self.inserting and self.model.position() is not None:
            parts.append(Part(f"row {self.model.position() + 1:,}", keep=2))
        if changed:
            parts.append(Part(f"{changed} changed", keep=3))
        if f is not None:
            parts.append(Part(f"field {f.name}", keep=1))
        parts.append(Part(f"{self.hint('save', 'saves')} · {self.hint('escape', 'cancels')}", keep=0))
        return parts

    def busy_label(self) -> str:
        return "saving"

    def _with_model(self) -> None:
        """The operator's model of the table (--models): each field names its attribute (and alternateID); a new
        row takes the model's default where the database has none, as the application would give it."""
        models = self.app.models
        info = models.for_table(self.table.display) if models is not None else None
        if info is None:
            return
        import decimal

        from storage.user_models import NO_DEFAULT
        for f, col in zip(self.fields, self.table.columns, strict=True):
            mc = info.column(col.name)
            if mc is None:
                continue
            said = [f"{info.class_name}.{mc.attr}" + (" (alternateID)" if mc.alternate_id else "")]
            if mc.default is not NO_DEFAULT:
                said.append(f"model default: {mc.default_text}")
            f.hint = " · ".join([*said, *([f.hint] if f.hint else [])])
            if mc.default is NO_DEFAULT or not f.editable:
                continue
            if self.inserting and col.default is None and f.state != DEFAULT and \
                    isinstance(mc.default, (str, int, float, decimal.Decimal)) and not isinstance(mc.default, bool):
                f.state, f.text = VALUE, str(mc.default)

    def edit_key(self, key: str) -> bool:
        f = self.view.focused
        had = f.error if f is not None else ""
        taken = self.view.edit_key(key)
        if taken:
            if f is not None and f.error and (f.error != had or f.error.startswith("full:")):
                self.app.message(f"{f.name}: {f.error}", error=True)     # a long field's note may be off screen
            self.app.update_status()
        return taken

    def paste(self, text: str) -> bool:
        problem = self.view.paste(text)
        f = self.view.focused
        if problem is not None:
            self.app.message(f"{f.name if f is not None else 'paste'}: {problem}", error=True)
        else:
            self.app.update_status()
        return True

    @property
    def dirty(self) -> bool:
        return any(f.changed for f in self.fields) or bool(self._long)

    def close_requested(self, close) -> bool:
        if self._discarding or not self.dirty:
            return False

        from widgets.overlays import Confirm

        def discard():
            self.app.close_overlay()
            self._discarding = True
            close()
        changed = [f.name for i, f in enumerate(self.fields) if f.changed or i in self._long]
        self.app.open_overlay(Confirm("Discard your changes?", [f"changed: {', '.join(changed)}"],
                                      "y discards them · any other key goes on editing", discard,
                                      self.app.close_overlay))
        return True

    def escape(self) -> bool:
        if self._saving is not None:
            # A save is not cancelled halfway: its transaction commits or not, and the form says which.
            self.app.message("saving: a save is never cancelled halfway; its outcome follows")
            return True
        return False

    def has_unsaved(self) -> bool:
        return self.dirty and not self._discarding

    # -- commands ------------------------------------------------------------------------------------
    def cmd_next_field(self):
        self.view.step(1)
        self.app.update_status()

    def cmd_previous_field(self):
        self.view.step(-1)
        self.app.update_status()

    def cmd_toggle_null(self):
        """^N: NULL, and back to a value; inserting, then the database's default."""
        i = self.view.focus_index
        f, col = self.fields[i], self.table.columns[i]
        if not f.editable:
            self.app.message(f"{f.name} cannot be changed here", error=True)
            return
        has_default = col.default is not None or col.autoincrement
        cycle = [VALUE] + ([NULL] if col.nullable and not col.pk_position else []) + \
            ([DEFAULT] if self.inserting and has_default else [])
        if len(cycle) == 1:
            self.app.message(f"{f.name} is {'part of the key' if col.pk_position else 'NOT NULL'}: it takes a value",
                             error=True)
            return
        state = cycle[(cycle.index(f.state) + 1) % len(cycle)] if f.state in cycle else VALUE
        self.view.set_state(i, state)
        said = {NULL: "NULL", DEFAULT: "the database's default",
                VALUE: f"a value: {f.text!r}" if f.text else "a value: the empty text (not NULL)"}[state]
        self.app.message(f"{f.name}: {said} · ^N again: {_state_word(cycle[(cycle.index(state) + 1) % len(cycle)])}")
        self.app.update_status()

    def cmd_pick(self):
        """^O: pick the field's value from the values its column takes, or from the rows its foreign key
        refers to (each with a readable label)."""
        i = self.view.focus_index
        f, col = self.fields[i], self.table.columns[i]
        if not f.editable:
            self.app.message(f"{f.name} cannot be changed here", error=True)
            return
        if f.choices:
            self._picker(i, f"{f.name}", [(c, "", c) for c in f.choices])
        elif col.references:
            self._pick_referenced(i, *col.references)
        else:
            self.app.message(f"{f.name}: nothing to pick from (type the value)", error=True)

    def _picker(self, i: int, title: str, items) -> None:
        from widgets.overlays import Picker

        def picked(value):
            self.app.close_overlay()
            self.view.set_text(i, value)
            self.app.update_status()
        self.app.open_overlay(Picker(f"{title} · type to narrow · Enter picks · Esc closes", items, picked,
                                     self.app.close_overlay))

    def _pick_referenced(self, i: int, table_name: str, column: str) -> None:
        from storage.paging import View
        db = self.app.db
        d = db.describe(table_name)

        def described(ref):
            rows = db.fetch(View(ref), None, limit=PICK_ROWS)
            rows.addCallbacks(self.app.deliver(lambda page: self._offer(i, ref, column, page)),
                              self.app.failed(f"reading {table_name}"))
        d.addCallbacks(self.app.deliver(described), self.app.failed(f"reading {table_name}"))
        self.app.message(f"reading {table_name}…")

    def _offer(self, i: int, ref, column: str, page) -> None:
        if self.app.top is not self:
            return
        at = ref.column_names.index(column)
        labels = [n for n, c in enumerate(ref.columns) if c.kind == "text" and n != at][:2]
        items = []
        for row in page.rows:
            key = _text(ref.columns[at], row[at])
            label = " · ".join(_text(ref.columns[n], row[n]) for n in labels if row[n] is not None)
            items.append((key, label[:60], key))
        more = "" if page.reached_end else f" (its first {len(items):,} rows; type a key for the others)"
        self.app.message("")
        self._picker(i, f"{ref.display}.{column}{more}", items)

    def cmd_external_editor(self):
        """^E: the focused field's value in $EDITOR (VISUAL, EDITOR, else vi); saved back when the editor ends."""
        i = self.view.focus_index
        f, col = self.fields[i], self.table.columns[i]
        if col.generated or (col.pk_position and not self.inserting):
            self.app.message(f"{f.name} cannot be changed here", error=True)
            return
        if i in self._long:
            current = self._long[i]
        elif f.mode == FIXED and self.mine is not None:
            current = _text(col, self.mine.values[i])
        else:
            current = "" if f.state != VALUE else f.text
        edited = self._run_editor(current)
        if edited is None or edited == current:
            return
        if len(edited) > LONG or _has_controls(edited) or f.mode == FIXED:
            self._long[i] = edited
            f.text, f.state = f"({len(edited):,} characters, edited in $EDITOR: ^S saves them)", VALUE
            f.mode = FIXED
            self.view.field_rows[i].refresh()
        else:
            if "\n" in edited and f.mode == TEXT:
                f.mode = LINES
            self.view.set_text(i, edited)
        self.app.update_status()

    def _run_editor(self, text: str) -> str | None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        screen = self.app.loop.screen
        folder = tempfile.mkdtemp(prefix="rowdesk-edit-")        # 0700: the value is the operator's data
        path = os.path.join(folder, f"{self.table.name}.txt")
        try:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            if hasattr(screen, "stop"):
                screen.stop()
            try:
                result = subprocess.run([*shlex.split(editor), path], check=False)
            finally:
                if hasattr(screen, "start"):
                    screen.start()
                    screen.clear()
                self.app.request_redraw()
            if result.returncode != 0:
                self.app.message(f"{editor} ended with status {result.returncode}: the field is unchanged", error=True)
                return None
            with open(path, encoding="utf-8", newline="") as f:
                return f.read()
        except (OSError, UnicodeDecodeError) as e:
            self.app.message(f"editing in {editor} failed: {e}", error=True)
            return None
        finally:
            shutil.rmtree(folder, ignore_errors=True)     # with what the editor left there (backups, swap files)

    # -- saving ----------------------------------------------------------------------------------------
    def _values(self) -> dict | None:
        """The changed fields as column values, or None (each problem shown at its field). The column types
        read them; the operator's model (--models), where there is one, checks them too (nothing it returns is
        written: the value stays the one typed)."""
        out, problems = {}, []
        model = self.app.models.for_table(self.table.display) if self.app.models is not None else None
        for i, (f, col) in enumerate(zip(self.fields, self.table.columns, strict=True)):
            if i in self._long:
                text = self._long[i]
            elif not f.editable or not (f.changed or (self.inserting and f.state != DEFAULT)):
                continue
            elif f.state == DEFAULT:
                continue
            else:
                text = None if f.state == NULL else f.text
            try:
                current = self.mine.values[i] if self.mine is not None else None
                out[col.name] = values.read(col, text, self.engine, current)
            except values.InvalidValue as e:
                self.view.set_error(i, e.problem)
                problems.append(i)
                continue
            if model is not None:
                from storage.user_models import validate
                problem = validate(model, col.name, out[col.name])
                if problem is not None:
                    self.view.set_error(i, problem)
                    problems.append(i)
        if problems:
            self.view.focus_on(problems[0])
            self.app.update_status()
            n = len(problems)
            self.app.message(f"{n} field{'s' if n > 1 else ''} to correct ({self.fields[problems[0]].name}: "
                             f"{self.fields[problems[0]].error}); nothing was saved", error=True)
            return None
        return out

    def cmd_save(self):
        if self._saving is not None:
            self.app.message("saving already…")
            return
        for i, f in enumerate(self.fields):          # the last save's problems: each is found again, or is gone
            if f.error:
                self.view.set_error(i, "")
        changes = self._values()
        if changes is None:
            return
        db = self.app.db
        if self.inserting:
            d = db.insert_row(self.table, changes)
        else:
            if not changes:
                self._discarding = True
                self.app.message("nothing changed: nothing was written")
                self.app.pop()
                return
            d = db.update_row(self.table, self.mine, changes)
        self._saving = d
        self.app.update_status()
        d.addCallbacks(self.app.deliver(self._saved), self.app.deliver(self._failed))

    def _saved(self, row: Row) -> None:
        self._saving = None
        self._discarding = True
        if self.inserting:
            self.model.show_new_row(row)
            self.app.message("inserted")
        else:
            shown = self.model.edit_row(self.index) if 0 <= self.index < len(self.model.rows) else None
            db = self.app.db
            if shown is not None and db.row_key(self.table, shown) == db.row_key(self.table, self._opened):
                self.model.replace_row(self.index, row)
            self.app.message("saved")
        if self.app.top is self:
            self.app.pop()

    def _failed(self, failure) -> None:
        self._saving = None
        if is_cancel(failure):
            self.app.message("save cancelled: nothing was written")
            return
        error = failure.value
        if isinstance(error, Conflict):
            from console.screens.conflict import ConflictScreen
            self.app.push(ConflictScreen(self.app, self, error))
            return
        if isinstance(error, OutcomeUnknown):
            if self.inserting:
                self.app.message(f"{error} · r in the grid shows whether the row is there: check before saving "
                                 "again", error=True)
                return
            self.app.message(f"{error} · reading the row again…", error=True)
            self._read_back()
            return
        if isinstance(error, Unwritable):
            self.app.message(str(error), error=True)
            return
        db = self.app.db
        kind = db.classify(error)
        words = mask_secrets(db.describe_error(error))
        if kind is ErrorKind.LOCK_TIMEOUT:
            self.app.message(f"not saved, locked: {words} · nothing was written · {self.hint('save', 'tries again')}",
                             error=True)
        elif kind is ErrorKind.UNREACHABLE:
            self.app.message(f"the server cannot be reached ({words}): nothing was written · "
                             f"{self.hint('save', 'tries again')}",
                             error=True)
        elif kind is ErrorKind.CONNECTION_LOST:
            self.app.message(f"the connection was lost before the change was committed: nothing was written "
                             f"({words}) · {self.hint('save', 'tries again')}", error=True)
        else:
            self._blame(words)
            self.app.message(f"the database refused the change: {words}; nothing was written", error=True)

    def _blame(self, words: str) -> None:
        """Put the database's refusal at the field it names, where one does."""
        import re
        low = words.lower()
        for i, col in sorted(enumerate(self.table.columns), key=lambda c: -len(c[1].name)):
            if self.fields[i].editable and re.search(rf"(?<![\w]){re.escape(col.name.lower())}(?![\w])", low):
                self.view.set_error(i, words)
                self.view.focus_on(i)
                return

    def _read_back(self) -> None:
        key = self._key()
        if key is None:
            return
        d = self.app.db.read_row(self.table, key)

        def got(row):
            if row is None:
                self.app.message("outcome unknown: the row is not there now (deleted, or never inserted)",
                                 error=True)
                return
            self.rebase(row)
            self.app.message("outcome unknown: the form now compares with what the database holds; your input is "
                             f"kept · {self.hint('save', 'saves it again if it is still needed')}", error=True)
        d.addCallbacks(self.app.deliver(got), self.app.failed("reading the row again"))

    def _key(self) -> tuple | None:
        if self.mine is None:
            return None
        return self.app.db.row_key(self.table, self.mine)

    def rebase(self, row: Row) -> None:
        """Go on editing from *row* (what the database holds now): the operator's changes stay; a later save
        checks against *row*."""
        self.mine = row
        for i, (f, col) in enumerate(zip(self.fields, self.table.columns, strict=True)):
            fresh = field_for(col, row.values[i], inserting=False, engine=self.engine, keys=self.app.keymap)
            if not f.changed and i not in self._long:
                self.fields[i].text, self.fields[i].state, self.fields[i].mode = fresh.text, fresh.state, fresh.mode
            self.fields[i].original = fresh.original
        self.view.refresh()
        self.app.update_status()
