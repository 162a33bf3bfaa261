"""Keyset paging: windows of rows before or after a boundary row, never OFFSET
over a table (views, which have no key, are the one exception).

Rows are ordered by (sort column, key columns). A nullable sort column splits
the order into two segments, the NULL group and the value group, each paged
on its own, because a row-value comparison with NULL is NULL (PITFALLS.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.dialect import Dialect
from storage.filters import Condition
from storage.schema import Table


@dataclass(frozen=True)
class Order:
    column: str | None = None     # None: key order
    descending: bool = False


@dataclass(frozen=True)
class View:
    """What the operator looks at: a table, an order, filters."""
    table: Table
    order: Order = Order()
    filters: tuple[Condition, ...] = ()


@dataclass
class Page:
    rows: list[tuple]                 # visible column values, in table column order
    marks: list[tuple]                # per row, the opaque boundary to page from
    reached_end: bool                 # no more rows in the direction fetched
    sql: list[str] = field(default_factory=list)    # what ran, for the log


class Plan:
    """The SQL of one View in one dialect."""

    def __init__(self, view: View, dialect: Dialect):
        self.view = view
        self.d = dialect
        t = view.table
        self.keyed = bool(t.key)
        sort = view.order.column
        if sort is not None and sort in t.key and len(t.key) == 1:
            sort = None                           # sorting by the key is key order
        self.sort = sort
        self.desc = view.order.descending
        self.sort_nullable = sort is not None and t.column(sort).nullable
        cols = [dialect.quote(c.name) for c in t.columns]
        if t.rowid_alias:
            cols.append(t.rowid_alias)
        self.select = f"SELECT {', '.join(cols)} FROM {dialect.quote(t.name)}"
        self.nvisible = len(t.columns)
        names = t.column_names
        key_index = [len(names) if k == t.rowid_alias else names.index(k) for k in t.key]
        self.mark_index = ([names.index(sort)] if sort is not None else []) + key_index
        self.key_sql = [k if k == t.rowid_alias else dialect.quote(k) for k in t.key]
        self.sort_sql = dialect.quote(sort) if sort is not None else None

    # -- segments -------------------------------------------------------------
    def segments(self) -> list[str]:
        """Segment names in display order."""
        if not self.sort_nullable:
            return ["all"]
        nulls_first = self.d.nulls_first_ascending != self.desc
        return ["null", "value"] if nulls_first else ["value", "null"]

    def segment_of(self, mark: tuple) -> str:
        if not self.sort_nullable:
            return "all"
        return "null" if mark[0] is None else "value"

    def _order_cols(self, segment: str) -> list[str]:
        if segment == "null" or self.sort_sql is None:
            return list(self.key_sql)
        return [self.sort_sql, *self.key_sql]

    def _mark_values(self, segment: str, mark: tuple) -> tuple:
        return mark[1:] if segment == "null" and self.sort is not None else mark

    # -- SQL --------------------------------------------------------------------
    def _where(self, segment: str, mark: tuple | None, forward: bool, inclusive: bool) -> tuple[list[str], list]:
        where = [c.sql for c in self.view.filters]
        params: list = [p for c in self.view.filters for p in c.params]
        if segment == "null":
            where.append(f"{self.sort_sql} IS NULL")
        elif segment == "value" and self.sort_sql is not None and self.sort_nullable:
            where.append(f"{self.sort_sql} IS NOT NULL")
        if mark is not None:
            ascending = forward != self.desc
            op = (">" if ascending else "<") + ("=" if inclusive else "")
            cols = self._order_cols(segment)
            sql, p = self._compare(cols, list(self._mark_values(segment, mark)), op)
            where.append(sql)
            params.extend(p)
        return where, params

    def _compare(self, cols: list[str], vals: list, op: str) -> tuple[str, list]:
        if len(cols) == 1:
            return f"{cols[0]} {op} ?", vals
        if self.d.row_values_indexed:
            marks = ", ".join("?" * len(vals))
            return f"({', '.join(cols)}) {op} ({marks})", vals
        # Expanded lexicographic comparison, led by a plain range on the first
        # column so that MariaDB/MySQL can use an index on it.
        strict = op[0]
        sql, params = self._expand(cols, vals, strict, inclusive=len(op) == 2)
        return f"({cols[0]} {strict}= ? AND {sql})", [vals[0], *params]

    def _expand(self, cols, vals, strict, inclusive) -> tuple[str, list]:
        if len(cols) == 1:
            return f"{cols[0]} {strict}{'=' if inclusive else ''} ?", [vals[0]]
        rest, rest_params = self._expand(cols[1:], vals[1:], strict, inclusive)
        return f"({cols[0]} {strict} ? OR ({cols[0]} = ? AND {rest}))", [vals[0], vals[0], *rest_params]

    def segment_sql(self, segment: str, mark: tuple | None, forward: bool, inclusive: bool, limit: int):
        where, params = self._where(segment, mark, forward, inclusive)
        ascending = forward != self.desc
        direction = "" if ascending else " DESC"
        order = ", ".join(c + direction for c in self._order_cols(segment))
        sql = self.select
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {order} LIMIT {int(limit)}"
        return self.d.placeholders(sql), params

    def offset_sql(self, offset: int, limit: int):
        """Views only: no key to page on."""
        where = [c.sql for c in self.view.filters]
        params = [p for c in self.view.filters for p in c.params]
        sql = self.select + (" WHERE " + " AND ".join(where) if where else "")
        if self.sort_sql is not None:
            # The operator's sort, then every column: with ties left to the
            # planner, LIMIT/OFFSET pages could repeat or skip rows.
            direction = " DESC" if self.desc else ""
            tie_break = [self.d.quote(c.name) for c in self.view.table.columns]
            sql += " ORDER BY " + ", ".join([self.sort_sql + direction, *tie_break])
        return self.d.placeholders(sql + f" LIMIT {int(limit)} OFFSET {int(offset)}"), params

    def count_sql(self):
        where = [c.sql for c in self.view.filters]
        params = [p for c in self.view.filters for p in c.params]
        sql = f"SELECT count(*) FROM {self.d.quote(self.view.table.name)}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self.d.placeholders(sql), params

    def mark(self, row: tuple) -> tuple:
        return tuple(row[i] for i in self.mark_index)


def fetch(cursor_factory, plan: Plan, mark: tuple | None, *, forward: bool, limit: int,
          inclusive: bool = False, from_end: bool = False) -> Page:
    """Fetch up to *limit* rows after (forward) or before *mark*, in display order.

    `mark=None` starts at the first row (forward) or, with `from_end`, the
    last row (backward). `cursor_factory(sql, params)` runs one statement and
    returns its rows; it is where cancellation hooks in.
    """
    if not plan.keyed:
        return _fetch_offset(cursor_factory, plan, mark, forward=forward, limit=limit, inclusive=inclusive,
                             from_end=from_end)
    segments = plan.segments()
    if not forward:
        segments = segments[::-1]
    if mark is not None:
        segments = segments[segments.index(plan.segment_of(mark)):]
    rows: list[tuple] = []
    sql_log = []
    for i, seg in enumerate(segments):
        seg_mark = mark if i == 0 else None
        sql, params = plan.segment_sql(seg, seg_mark, forward, inclusive and i == 0, limit - len(rows))
        sql_log.append(sql)
        rows.extend(cursor_factory(sql, params))
        if len(rows) >= limit:
            break
    marks = [plan.mark(r) for r in rows]
    visible = [r[:plan.nvisible] for r in rows]
    if not forward:
        visible.reverse()
        marks.reverse()
    return Page(visible, marks, reached_end=len(rows) < limit, sql=sql_log)


def _fetch_offset(cursor_factory, plan: Plan, mark, *, forward, limit, inclusive, from_end) -> Page:
    # Marks are row offsets here.
    if mark is None:
        if from_end:
            sql, params = plan.count_sql()
            total = cursor_factory(sql, params)[0][0]
            start = max(0, total - limit)
            n = total - start
        else:
            start, n = 0, limit
    elif forward:
        start, n = mark[0] + (0 if inclusive else 1), limit
    else:
        end = mark[0] + (1 if inclusive else 0)
        start = max(0, end - limit)
        n = end - start
    sql, params = plan.offset_sql(start, n)
    rows = cursor_factory(sql, params) if n > 0 else []
    visible = [r[:plan.nvisible] for r in rows]
    marks = [(start + i,) for i in range(len(rows))]
    reached = len(rows) < n if forward else start == 0
    return Page(visible, marks, reached_end=reached, sql=[sql])
