"""The rows that refer to one row (`<` on a row of the browse screen): every table and column whose foreign key
points at it, with how many of its rows do, counted in the background (Esc stops the counting). Enter opens that
table filtered to those rows; the trail in the title leads back (Backspace)."""

from __future__ import annotations

import urwid

from console.registry import screen
from console.screens.base import ScrollingScreen
from storage.jobs import is_cancel
from storage.schema import Through
from storage.secrets import mask_secrets
from widgets.overlays import ListLine
from widgets.statusbar import Part

FOCUSED = {None: "row focus", "type": "row focus", "warn": "row focus", "error": "row focus"}


class _Line(ListLine):
    """One reference: where it is, how many rows hold this row's key."""

    def __init__(self, reference, width: int):
        self.reference = reference
        self.count: str | None = None          # None: still counting
        self.problem: str | None = None
        self.width = width
        super().__init__("", wrap="ellipsis")
        self.show()

    def show(self) -> None:
        if self.problem is not None:
            count = ("error", f"{'not counted':>14}")
        elif self.count is None:
            count = ("type", f"{'counting…':>14}")
        else:
            count = ("warn" if self.count.startswith("0 ") else None, f"{self.count:>14}")
        ref = self.reference
        if isinstance(ref, Through):
            to = f"  (the model's {ref.name})"
        else:
            to = f"  → {', '.join(ref.target_columns)}" if len(ref.target_columns) > 1 else ""
        self.set_text([f"  {ref.label:<{self.width}} ", count, ("type", f"{to}  {self.problem or ''}")])



@screen
class ReferencesScreen(ScrollingScreen):
    name = "references"
    title = "Referred to by"
    help_footer = ("Every foreign key of another table (or of this one) that points at the row, with how many rows\n"
                   "hold its key. Enter opens that table showing only those rows; Backspace comes back.")

    def __init__(self, app, table, row, crumb: str):
        super().__init__(app)
        self.table, self.row, self.crumb = table, row, crumb
        self.lines: list[_Line] = []
        self.walker = urwid.SimpleFocusListWalker([])
        self.listbox = urwid.ListBox(self.walker)
        self.widget = urwid.Frame(self.listbox, header=urwid.Text(("type", f"  rows that refer to {crumb}:")))
        self.error: str | None = None
        self._counts: dict[int, object] = {}         # line index -> the Deferred of its count
        self._listing = d = app.db.referencing(table)
        d.addCallbacks(app.deliver(self._listed), app.deliver(self._list_failed))

    def scroll_target(self) -> urwid.ListBox:
        return self.listbox

    def values_for(self, reference) -> list:
        """The values this row holds in the columns that *reference* points at (a RelatedJoin: its key)."""
        if isinstance(reference, Through):
            return [self.row.get(self.table, c) for c in reference.join.target_columns]
        return [self.row.get(self.table, c) for c in reference.target_columns]

    def _with_models(self, references) -> list:
        """The database's references, then what the operator's models add: other models' ForeignKey columns and
        MultipleJoins the database does not declare, this model's RelatedJoins (through their table)."""
        models = self.app.models
        if models is None:
            return list(references)
        known = {(r.table, r.columns, r.target_columns) for r in references}
        extra = [r for r in models.references_to(self.table.display)
                 if (r.table, r.columns, r.target_columns) not in known]
        info = models.for_table(self.table.display)
        through = [j for j in info.joins if isinstance(j, Through)] if info is not None else []
        return [*references, *extra, *through]

    def _listed(self, references) -> None:
        self._listing = None
        references = self._with_models(references)
        width = max([len(r.label) for r in references] + [10])
        self.lines = [_Line(r, min(width, 60)) for r in references]
        self.walker[:] = [urwid.AttrMap(line, "row", FOCUSED) for line in self.lines]
        if self.lines:
            self.walker.set_focus(0)
        for i, line in enumerate(self.lines):
            self._count(i, line)
        self.app.update_status()

    def _count(self, i: int, line: _Line) -> None:
        values = self.values_for(line.reference)
        if any(v is None for v in values):
            line.count = "0 rows"                   # a NULL key is referred to by no row
            line.show()
            return
        if isinstance(line.reference, Through):
            d = self._counts[i] = self._count_through(line.reference, values)
        else:
            d = self._counts[i] = self.app.db.count_referencing(line.reference, values)

        def counted(count):
            self._counts.pop(i, None)
            line.count = f"{count.rows:,} row{'s' if count.rows != 1 else ''}"
            line.show()
            self.app.update_status()

        def failed(failure):
            self._counts.pop(i, None)
            line.problem = "cancelled" if is_cancel(failure) else mask_secrets(failure.getErrorMessage())
            line.show()
            self.app.update_status()
        d.addCallbacks(self.app.deliver(counted), self.app.deliver(failed))

    def _count_through(self, through, values):
        """The rows of the target that the intermediate table pairs with this row."""
        from storage.paging import Order, View
        from storage.user_models import through_condition
        d = self.app.db.describe(through.target)
        cond = through_condition(self.app.models, through, values, self.app.db.dialect)
        d.addCallback(lambda target: self.app.db.count_rows(View(target, Order(), (cond,))))
        return d

    def _list_failed(self, failure):
        self._listing = None
        if is_cancel(failure):
            self.error = "cancelled"
        else:
            self.error = mask_secrets(failure.getErrorMessage())
            self.app.failed("finding the tables that refer to it")(failure)
        self.app.update_status()

    def status_text(self) -> list[Part]:
        parts = [Part(f"referred to by · {self.crumb}", keep=5)]
        if self.error:
            parts.append(Part(self.error, keep=4))
        elif self._listing is not None:
            parts.append(Part("finding the tables…", keep=4))
        elif not self.lines:
            parts.append(Part(f"nothing refers to {self.table.display}", keep=4))
        else:
            n = len(self.lines)
            counting = f" · counting {len(self._counts)}" if self._counts else ""
            parts.append(Part(f"{n} reference{'s' if n != 1 else ''}{counting}", keep=4))
        return parts

    def busy_label(self) -> str:
        return "counting the rows that refer to it"

    def cancel_work(self) -> bool:
        found = False
        if self._listing is not None:
            d, self._listing = self._listing, None
            d.cancel()
            found = True
        for d in list(self._counts.values()):
            d.cancel()
            found = True
        return found

    def cmd_select(self):
        """Enter: the referring table, showing only the rows that refer to this one."""
        if not self.lines:
            return
        line = self.lines[self.walker.focus]
        ref = line.reference
        from console.screens.browse import BrowseScreen
        crumb = self.crumb
        app = self.app
        app.pop()                               # the trail leads back to the row, not to this list
        if isinstance(ref, Through):
            from storage.user_models import through_condition
            cond = through_condition(app.models, ref, self.values_for(ref), app.db.dialect)
            app.push(BrowseScreen(app, ref.target, conditions=(cond,), crumb=crumb))
            return
        app.push(BrowseScreen(app, ref.table, where=(ref.columns, self.values_for(ref)), crumb=crumb))

    def cmd_refresh(self):
        self.cancel_work()
        self._counts.clear()
        self.lines = []
        self.walker[:] = []
        self.error = None
        self._listing = d = self.app.db.referencing(self.table)
        d.addCallbacks(self.app.deliver(self._listed), self.app.deliver(self._list_failed))
        self.app.update_status()
