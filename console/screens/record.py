"""One row, every field, read-only; Enter on a field shows all of its value."""

from __future__ import annotations

from console.formatting import full_value, json_preview
from console.registry import screen
from console.screens.base import Screen
from widgets.record import RecordField, RecordView, size_text
from widgets.statusbar import Part


@screen
class RecordScreen(Screen):
    name = "record"
    title = "Record"

    def __init__(self, app, browse):
        super().__init__(app)
        self.browse = browse
        self.view = RecordView()
        self.widget = self.view
        self._shown_row = None               # the row on screen: shown again only when it changes

    def fields(self) -> list[RecordField]:
        model = self.browse.model
        row = model.current_row()
        fields = []
        for i, col in enumerate(model.table.columns):
            value = row[i] if row is not None else None
            label = col.declared or col.kind
            if col.pk_position:
                label += " key"
            if col.references:
                label += f" → {col.references[0]}"
            fields.append(_field(col, label, value))
        return fields

    def show(self) -> None:
        self._shown_row = self.browse.model.current_row()
        self.view.show(self.fields(), current=self.browse.model.col)

    def rows_changed(self) -> None:
        if self.browse.model.current_row() is not self._shown_row:
            self.show()

    def status_text(self) -> list[Part]:
        parts = [p for p in self.browse.status_text() if not p.text.startswith("col ")]
        fields = self.view.fields
        if fields:
            i = self.view.focus_field
            parts.append(Part(f"field {i + 1}/{len(fields)} {fields[i].name}", short=f"f{i + 1}/{len(fields)}",
                              keep=3))
        return [Part("record", keep=4), *parts]

    def on_show(self) -> None:
        self.show()

    # -- commands ---------------------------------------------------------------------------------
    def cmd_up(self):
        self.view.up()
        self.app.update_status()

    def cmd_down(self):
        self.view.down()
        self.app.update_status()

    def cmd_page_up(self):
        self.view.page_up()
        self.app.update_status()

    def cmd_page_down(self):
        self.view.page_down()
        self.app.update_status()

    def cmd_first(self):
        self.view.home()
        self.app.update_status()

    def cmd_last(self):
        self.view.end()
        self.app.update_status()

    def _step(self, delta: int) -> None:
        self.browse.cmd_down() if delta > 0 else self.browse.cmd_up()
        self.show()
        self.app.update_status()

    def cmd_next_record(self):
        self._step(1)

    def cmd_previous_record(self):
        self._step(-1)

    def cmd_refresh(self):
        self.browse.cmd_refresh()

    def cmd_edit(self):
        """e: this row in the form (which closes back to this view)."""
        self.browse.cmd_edit()

    def cmd_select(self):
        """The whole value of the focused field, paged."""
        model = self.browse.model
        row = model.current_row()
        if row is None or not self.view.fields:
            return
        i = self.view.focus_field
        if row[i] is None:
            self.app.message(f"{model.table.columns[i].name} is NULL")
            return
        from console.screens.value import ValueScreen

        self.app.push(ValueScreen(self.app, self.browse, model.table.columns[i], row[i]))


def _field(col, label: str, value) -> RecordField:
    if value is None:
        return RecordField(col.name, label, None)
    stored = full_value(value, col)
    pretty, note = json_preview(value, col)
    return RecordField(col.name, label, pretty if pretty is not None else stored, note, total=size_text(stored))
