"""One value of one row, all of it, paged: text, a hex dump of bytes, or JSON
pretty-printed (f shows it as stored)."""

from __future__ import annotations

from twisted.internet import threads

from console.formatting import PRETTY_INLINE, PRETTY_MAX, full_value, looks_like_json, pretty_json
from console.registry import screen
from console.screens.base import Screen
from widgets.record import size_text
from widgets.statusbar import Part
from widgets.valueview import ValueView


@screen
class ValueScreen(Screen):
    name = "value"
    title = "Value"

    def __init__(self, app, browse, column, value):
        super().__init__(app)
        self.browse = browse
        self.column = column
        self.raw = full_value(value, column)
        self.is_json = looks_like_json(value, column)
        self._source = value
        self.pretty: str | None = None
        self.formatted = False
        self._formatting = None
        self.view = ValueView(self.raw)
        self.widget = self.view
        if self.is_json:
            self.cmd_toggle_format()

    def status_text(self) -> list[Part]:
        how = "hex" if isinstance(self.raw, bytes) else ("JSON, pretty-printed" if self.formatted else "as stored")
        row = next((p for p in self.browse.status_text() if p.text.startswith("row ")), None)
        return [Part("value", keep=4), Part(f"{self.browse.model.table.display}.{self.column.name}", keep=8),
                *([row] if row else []), Part(size_text(self.raw), keep=2), Part(how, keep=1),
                Part(f"{self.view.percent} %", keep=9)]

    def busy_label(self) -> str:
        return "formatting JSON" if self._formatting is not None else self.browse.busy_label()

    # -- commands ---------------------------------------------------------------------------------
    def _moved(self) -> None:
        self.app.update_status()

    def cmd_up(self):
        self.view.up()
        self._moved()

    def cmd_down(self):
        self.view.down()
        self._moved()

    def cmd_page_up(self):
        self.view.page_up()
        self._moved()

    def cmd_page_down(self):
        self.view.page_down()
        self._moved()

    def cmd_first(self):
        self.view.home()
        self._moved()

    def cmd_last(self):
        self.view.end()
        self._moved()

    def cmd_toggle_format(self):
        if not self.is_json:
            self.app.message("f: only JSON values have another form")
            return
        if self.formatted:
            self.formatted = False
            self.view.set_value(self.raw)
        elif self.pretty is not None:
            self.formatted = True
            self.view.set_value(self.pretty)
        elif len(self._source) <= PRETTY_INLINE:
            self._got_pretty(pretty_json(self._source))
        elif len(self._source) > PRETTY_MAX:
            self.app.message(f"{self.column.name}: JSON of {size_text(self.raw)}, too long to pretty-print "
                             f"(parsing it would stall the interface); shown as stored")
        elif self._formatting is None:
            # Parsing a long JSON value costs what its size costs: off the reactor thread.
            self.app.message("formatting JSON…")
            self._formatting = d = threads.deferToThreadPool(self.app.reactor, self.app.reactor.getThreadPool(),
                                                            pretty_json, self._source)
            d.addCallback(self.app.deliver(self._got_pretty))
            d.addErrback(self.app.failed("formatting JSON"))
        self.app.update_status()

    def _got_pretty(self, pretty: str | None) -> None:
        self._formatting = None
        if pretty is None:
            self.is_json = False
            self.app.message(f"{self.column.name}: not valid JSON, shown as stored")
            return
        self.pretty, self.formatted = pretty, True
        self.view.set_value(pretty)
        self.app.message("")
        self.app.update_status()

    def on_close(self) -> None:
        if self._formatting is not None:
            d, self._formatting = self._formatting, None
            d.cancel()
