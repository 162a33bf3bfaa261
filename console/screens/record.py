"""One row, every field in full, read-only."""

from __future__ import annotations

from console.registry import screen
from console.screens.base import ScrollingScreen
from widgets.record import RecordView


@screen
class RecordScreen(ScrollingScreen):
    name = "record"
    title = "Record"

    def __init__(self, app, browse):
        super().__init__(app)
        self.browse = browse
        self.view = RecordView()
        self.widget = self.view
        self.show()

    def show(self) -> None:
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
            fields.append((col.name, label, None if value is None else _full_text(value, model.columns[i].format)))
        self.view.show(fields, current=model.col)

    def status_text(self) -> str:
        return f"record · {self.browse.status_text()}"

    def on_show(self) -> None:
        self.show()

    def scroll_target(self):
        return self.view.listbox

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


def _full_text(value, fmt) -> str:
    if isinstance(value, str):
        return value          # newlines kept: the record view wraps the whole value
    return fmt(value)
