"""A form of fields, one per column: a name, a type label, a value being edited, and a line for the field's
expected format or its problem. No database knowledge: the screen (console.screens.form) says what each field
is and reads the texts back.

A field's value is text, or NULL, or (inserting) the database's default: three states, so that NULL is never
confused with the empty string, nor a default with NULL. Text fields take the keys while they have the focus
(the screen offers them each key before the keymap: see FormView.edit_key).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import urwid

from widgets.cells import NULL_TEXT, fit

NAME_WIDTH = 18
LABEL_WIDTH = 26
NARROW = 72                # narrower than this, each value goes under its name (as the record view does)
TEXT, LINES, TOGGLE, FIXED = "text", "lines", "toggle", "fixed"     # how a field is edited
VALUE, NULL, DEFAULT = "value", "null", "default"                    # what a field holds
EDIT_KEYS = frozenset({"backspace", "delete", "left", "right", "home", "end"})
# A field holds this much typed text at most: every key costs a copy of the text (urwid's Edit), so a
# pasted megabyte would freeze the interface; a longer value goes through $EDITOR (the screen's ^E).
MAX_TYPED = 8 * 1024
LINE_KEYS = frozenset({"enter", "up", "down"})                       # a multi-line field's own, inside it


@dataclass
class Field:
    name: str
    label: str                        # the declared type, "key", "→ table"
    mode: str = TEXT                  # TEXT, LINES, TOGGLE (true/false) or FIXED (shown, not editable)
    text: str = ""
    state: str = VALUE                # VALUE, NULL or DEFAULT
    hint: str = ""                    # the expected format, shown under the value
    default_text: str = ""            # the database's default, shown while the state is DEFAULT
    choices: list[str] | None = None  # the values the column takes (an ENUM), for the picker
    error: str = ""
    original: tuple = field(default=(), repr=False)

    def __post_init__(self):
        self.original = (self.text, self.state)

    @property
    def changed(self) -> bool:
        return (self.text, self.state) != self.original if self.state == VALUE else self.state != self.original[1]

    @property
    def editable(self) -> bool:
        return self.mode != FIXED


class _Row(urwid.WidgetWrap):
    """One field laid out: name and type on the left, the value, then its hint or problem."""

    def __init__(self, f: Field, on_edit, *, stacked: bool = False):
        self.field = f
        self.stacked = stacked
        self.edit = urwid.Edit("", f.text, multiline=f.mode == LINES, edit_pos=len(f.text))
        urwid.connect_signal(self.edit, "postchange", lambda *_: on_edit(self))
        self._value = urwid.AttrMap(self.edit, "edit", "edit focus")
        self._shown = urwid.Text("")
        self._note = urwid.Text("")
        self._name = urwid.Text("")
        self._body = urwid.WidgetPlaceholder(self._value)
        if stacked:                      # a narrow screen: the value under its name and type, all its width
            label = urwid.Text(("type", f.label), wrap="ellipsis")
            layout = urwid.Pile([urwid.Columns([("pack", self._name), label], dividechars=1),
                                 urwid.Padding(urwid.Pile([self._body, self._note]), left=2)])
        else:
            label = urwid.Text(("type", fit(f.label, LABEL_WIDTH - 1)))
            layout = urwid.Columns([(NAME_WIDTH, self._name), (LABEL_WIDTH, label),
                                    urwid.Pile([self._body, self._note])], dividechars=1)
        super().__init__(layout)
        self.refresh()

    def selectable(self) -> bool:
        return True

    def refresh(self) -> None:
        f = self.field
        mark = "*" if f.changed else " "
        self._name.set_text([("changed", mark), ("field", f.name if self.stacked else fit(f.name, NAME_WIDTH - 1))])
        self.edit.set_edit_pos(min(self.edit.edit_pos, len(self.edit.edit_text)))
        if f.state == NULL:
            self._shown.set_text(("null", f"{NULL_TEXT} NULL"))
            self._body.original_widget = urwid.AttrMap(self._shown, "edit", "edit focus")
        elif f.state == DEFAULT:
            self._shown.set_text(("null", f"(default{': ' + f.default_text if f.default_text else ''})"))
            self._body.original_widget = urwid.AttrMap(self._shown, "edit", "edit focus")
        elif f.mode == TOGGLE:
            self._shown.set_text(f"[{f.text}]")
            self._body.original_widget = urwid.AttrMap(self._shown, "edit", "edit focus")
        elif f.mode == FIXED:
            self._shown.set_text(f.text)
            self._body.original_widget = urwid.AttrMap(self._shown, "type")
        else:
            if self.edit.edit_text != f.text:
                self.edit.set_edit_text(f.text)
            self._body.original_widget = self._value
        if f.error:
            self._note.set_text(("error", f.error))
        else:
            self._note.set_text(("type", f.hint) if f.hint else "")

    def keypress(self, size, key):
        return key                       # the form decides (FormView.edit_key); nothing here by default


class FormView(urwid.WidgetWrap):
    editor_hint = "^E edits"            # the key of the owner's $EDITOR command, as its hints say it

    def __init__(self, fields: list[Field]):
        self.fields = fields
        self.field_rows = [_Row(f, self._edited) for f in fields]
        self.walker = urwid.SimpleFocusListWalker(self.field_rows)
        self.listbox = urwid.ListBox(self.walker)
        self.value_width = 40
        self.stacked = False
        super().__init__(self.listbox)
        first = next((i for i, f in enumerate(fields) if f.editable), 0)
        if fields:
            self.walker.set_focus(first)

    def render(self, size, focus=False):
        stacked = size[0] < NARROW
        if stacked != self.stacked:
            self._lay_out(stacked)
        self.value_width = max(1, size[0] - 2 if stacked else size[0] - NAME_WIDTH - LABEL_WIDTH - 2)
        return super().render(size, focus)

    def _lay_out(self, stacked: bool) -> None:
        """The rows again, side by side or stacked; the fields (their text, state, errors) and the focus kept."""
        focus = self.focus_index
        positions = [row.edit.edit_pos for row in self.field_rows]
        self.stacked = stacked
        self.field_rows = [_Row(f, self._edited, stacked=stacked) for f in self.fields]
        for row, pos in zip(self.field_rows, positions, strict=True):
            row.edit.set_edit_pos(min(pos, len(row.edit.edit_text)))
        self.walker[:] = self.field_rows
        self.focus_on(focus)

    # -- focus ------------------------------------------------------------------------------------------
    @property
    def focus_index(self) -> int:
        return self.walker.focus if self.fields else 0

    @property
    def focused(self) -> Field | None:
        return self.fields[self.focus_index] if self.fields else None

    def focus_on(self, index: int) -> None:
        if self.fields:
            self.walker.set_focus(max(0, min(index, len(self.fields) - 1)))

    def step(self, delta: int, *, editable_only: bool = True) -> None:
        """To the next (previous) field, skipping those that cannot be edited; wraps around."""
        n = len(self.fields)
        i = self.focus_index
        for _ in range(n):
            i = (i + delta) % n
            if self.fields[i].editable or not editable_only:
                self.focus_on(i)
                return

    # -- editing ----------------------------------------------------------------------------------------
    def edit_key(self, key: str) -> bool:
        """Offer *key* to the focused field; True when it took it (text typed, the cursor moved in it)."""
        f = self.focused
        if f is None or not f.editable:
            return False
        row = self.field_rows[self.focus_index]
        if f.mode == TOGGLE:
            if key in (" ", "enter"):
                self.set_text(self.focus_index, "false" if f.text == "true" or f.state != VALUE else "true")
                return True
            return False
        printable = len(key) == 1 and key.isprintable()
        if key == "ctrl u":                    # as in the prompt: clear the field, to type it afresh
            self.set_text(self.focus_index, "")
            return True
        if f.mode == LINES and key in LINE_KEYS:
            if f.state != VALUE:
                return False
            return row.edit.keypress((self.value_width,), key) is None
        if not printable and key not in EDIT_KEYS:
            return False
        if f.state != VALUE:
            if not printable:
                return False
            f.state, f.text = VALUE, ""        # typing into NULL or (default) starts a value
            row.edit.set_edit_text("")
        if printable and len(row.edit.edit_text) >= MAX_TYPED:
            if not f.error:
                self.set_error(self.focus_index, f"full: a field takes {MAX_TYPED:,} characters typed or pasted; "
                                                 f"the rest was not taken ({self.editor_hint} a longer value in "
                                                 "$EDITOR)")
            return True
        return row.edit.keypress((self.value_width,), key) is None

    def paste(self, text: str) -> str | None:
        """Put *text* at the cursor of the focused field, as it is: a paste is text, never keys (its tabs and
        line breaks do not move, its ^S does not save). None when taken; else why not, and nothing was put."""
        f = self.focused
        if f is None or not f.editable or f.mode == TOGGLE:
            return "this field is not typed into: nothing was pasted"
        if any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in text):
            return (f"the paste holds control characters: nothing was pasted ({self.editor_hint} such a value in "
                    "$EDITOR)")
        if "\n" in text and f.mode != LINES:
            return (f"the paste has line breaks and this field is one line: nothing was pasted ({self.editor_hint} it "
                    "in $EDITOR)")
        row = self.field_rows[self.focus_index]
        current = row.edit.edit_text if f.state == VALUE else ""
        if len(current) + len(text) > MAX_TYPED:
            return (f"the paste ({len(text):,} characters) would make the field longer than the {MAX_TYPED:,} "
                    f"characters a field takes: nothing was pasted ({self.editor_hint} a longer value in $EDITOR)")
        if f.state != VALUE:
            f.state, f.text = VALUE, ""
            row.edit.set_edit_text("")
        row.edit.insert_text(text)
        return None

    def _edited(self, row: _Row) -> None:
        f = row.field
        if f.state == VALUE and f.mode in (TEXT, LINES) and f.text != row.edit.edit_text:
            f.text = row.edit.edit_text
            f.error = ""
        row.refresh()

    def set_text(self, index: int, text: str) -> None:
        f = self.fields[index]
        f.state, f.text, f.error = VALUE, text, ""
        row = self.field_rows[index]
        row.edit.set_edit_text(text)
        row.edit.set_edit_pos(len(text))
        row.refresh()

    def set_state(self, index: int, state: str) -> None:
        f = self.fields[index]
        f.state, f.error = state, ""
        if state == VALUE:
            self.field_rows[index].edit.set_edit_text(f.text)
        self.field_rows[index].refresh()

    def set_error(self, index: int, text: str) -> None:
        self.fields[index].error = text
        self.field_rows[index].refresh()

    def refresh(self) -> None:
        for row in self.field_rows:
            row.refresh()
