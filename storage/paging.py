"""Paging: windows of rows before or after a boundary row, never an OFFSET from
the first row, except where that is what the operator asked for (`fetch_at`)
or what costs least (an unsorted view read from its top, see below).

Tables are paged by keyset on (sort column, key columns). A nullable sort
column splits the order into two segments, the NULL group and the value group,
each paged on its own, because a row-value comparison with NULL is NULL
(PITFALLS.md).

Views (and tables without a key) are ordered by the sort column and then by
every column. A boundary (`RowMark`) is the whole row and its place among the
rows identical to it: those are the only rows an OFFSET skips. Any column of a
view may hold NULL, so the comparison is written out term by term, with the
NULLs where the dialect sorts them.

An unsorted view is read from its top in its own order (its first pages cost
next to nothing and a view's own ORDER BY is kept), by OFFSET; read from its
end (End), it is in the order of every column, so that End costs one scan and
no count; paging goes on from either end in the order it started in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from storage.dialect import Dialect
from storage.filters import Condition
from storage.schema import Column, Table


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


class RowMark(NamedTuple):
    """The boundary of a row of a keyless view: the row, and how many rows identical to it (equal in
    every column) come before it (`before`, known when it was read forward) or after it (`after`,
    known when it was read backward); the other count is None."""
    row: tuple
    before: int | None
    after: int | None


# -- what paging a view needs from the dialect, beyond storage.dialect -----------------------------------------------
def _bare(d: Dialect, sql: str) -> str:
    """The column's value as ORDER BY orders it, for a comparison with a bound value. On SQLite the
    column's type affinity would convert the bound value first (text '12' against a column of
    INTEGER affinity compares as 12, which ORDER BY puts before all text): see Dialect.bare_prefix."""
    return d.bare_prefix + sql


def _exact(d: Dialect, col: Column, sql: str) -> str:
    """A tie-break term on which only identical values tie: a NOCASE column ties 'a' and 'A'."""
    return d.exact_sql(col, sql)


def _mixes_numbers(d: Dialect, col: Column) -> bool:
    """Can the column hold an integer and a real that compare equal (1 and 1.0, shown differently)?
    On SQLite only a column without numeric or text affinity keeps both: any other converts one
    into the other when it is stored. (Not covered: a compound view whose column takes its declared
    type from its first SELECT and 1.0 from another, in rows identical but for that.) Telling them
    apart costs a term per column, nearly doubling the cost of every page, hence only here."""
    return d.dynamic_types and col.kind in ("any", "blob")


# typeof() of each value the sqlite3 module returns
_STORAGE_CLASS = {type(None): "null", int: "integer", float: "real", str: "text", bytes: "blob"}


class _Term(NamedTuple):
    """One term of a view's order."""
    order: str          # in ORDER BY
    compare: str        # the same value, compared with a bound parameter
    index: int          # of the column it is taken from
    typeof: bool        # the term is the column's storage class (typeof), not its value
    nullable: bool

    def value(self, row: tuple):
        v = row[self.index]
        return _STORAGE_CLASS[type(v)] if self.typeof else v


def _identical(a: tuple, b: tuple) -> bool:
    """Equal in every column, and of the same types (1 and 1.0 are not identical)."""
    return all(type(x) is type(y) and x == y for x, y in zip(a, b, strict=True))


class Plan:
    """The SQL of one View in one dialect."""

    def __init__(self, view: View, dialect: Dialect):
        self.view = view
        self.d = dialect
        t = view.table
        key = t.identity.page_key
        hidden = t.identity.hidden
        self.keyed = bool(key)
        sort = view.order.column
        if sort is not None and sort in key and len(key) == 1 and hidden is None:
            sort = None                           # sorting by the key is key order
        self.sort = sort
        self.desc = view.order.descending
        self.sort_nullable = sort is not None and t.column(sort).nullable
        quoted = [dialect.quote(c.name) for c in t.columns]
        cols = [dialect.value_sql(c, q) for c, q in zip(t.columns, quoted)]
        if hidden is not None:
            cols.append(hidden)                   # the hidden row id, after the visible columns
        self.table_sql = dialect.table(t.schema, t.name)
        self.select = f"SELECT {', '.join(cols)} FROM {self.table_sql}"
        self.nvisible = len(t.columns)
        names = t.column_names
        self.sort_index = names.index(sort) if sort is not None else None
        key_index = [len(names)] if hidden is not None else [names.index(k) for k in key]
        self.mark_index = ([self.sort_index] if sort is not None else []) + key_index
        self.key_sql = ([hidden] if hidden is not None
                        else [dialect.quote(k) for k in key])
        self.sort_sql = dialect.order_sql(t.column(sort), dialect.quote(sort)) if sort is not None else None
        key_cols = [None] if hidden is not None else [t.column(k) for k in key]
        self.mark_cols = ([t.column(sort)] if sort is not None else []) + key_cols
        self.ties: list[_Term] = []
        self.sort_term: _Term | None = None
        if not self.keyed:
            # A keyless view: the sort column, then every column, then the storage classes where
            # equal values of two types would tie.
            for i, c in enumerate(t.columns):
                self.ties.append(_Term(_exact(dialect, c, quoted[i]), _exact(dialect, c, _bare(dialect, quoted[i])), i,
                                       False, c.nullable))
            self.ties += [_Term(f"typeof({quoted[i]})", f"typeof({quoted[i]})", i, True, False)
                          for i, c in enumerate(t.columns) if _mixes_numbers(dialect, c)]
            if sort is not None:
                self.sort_term = _Term(self.sort_sql, _bare(dialect, self.sort_sql), self.sort_index, False, False)

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
        value = mark.row[self.sort_index] if isinstance(mark, RowMark) else mark[0]
        return "null" if value is None else "value"

    def _order_cols(self, segment: str) -> list[str]:
        if segment == "null" or self.sort_sql is None:
            return list(self.key_sql)
        return [self.sort_sql, *self.key_sql]

    def _mark_values(self, segment: str, mark: tuple) -> tuple:
        values = [self.d.bind(c, v) if c is not None else v for c, v in zip(self.mark_cols, mark)]
        return tuple(values[1:] if segment == "null" and self.sort is not None else values)

    # -- SQL --------------------------------------------------------------------
    def _segment_cond(self, segment: str) -> str | None:
        if segment == "null":
            return f"{self.sort_sql} IS NULL"
        if segment == "value" and self.sort_sql is not None and self.sort_nullable:
            return f"{self.sort_sql} IS NOT NULL"
        return None

    def _segment_where(self, segment: str) -> tuple[list[str], list]:
        where = [c.sql for c in self.view.filters]
        params: list = [p for c in self.view.filters for p in c.params]
        cond = self._segment_cond(segment)
        if cond is not None:
            where.append(cond)
        return where, params

    def _where(self, segment: str, mark: tuple | None, forward: bool, inclusive: bool) -> tuple[list[str], list]:
        where, params = self._segment_where(segment)
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
        return self._statement(where, params, order, limit)

    def _statement(self, where: list[str], params: list, order: str | None, limit: int, offset: int = 0):
        sql = self.select
        if where:
            sql += " WHERE " + " AND ".join(where)
        if order:
            sql += " ORDER BY " + order
        sql += f" LIMIT {int(limit)}" + (f" OFFSET {int(offset)}" if offset else "")
        return self.d.placeholders(sql), params

    # -- SQL of a keyless view ----------------------------------------------------------
    def view_terms(self, segment: str) -> list[_Term]:
        if segment == "null" or self.sort_term is None:
            return self.ties
        return [self.sort_term, *self.ties]

    def view_sql(self, segment: str, row: tuple | None, *, ascending: bool, or_equal: bool, limit: int,
                 offset: int = 0):
        """Up to *limit* rows of *segment* after *row* (or from it, *or_equal*) in the view's order read
        ascending or descending, the first *offset* of them skipped."""
        where, params = self._segment_where(segment)
        terms = self.view_terms(segment)
        if row is not None:
            sql, p = self._beyond(terms, row, ascending, or_equal)
            where.append(sql)
            params += p
        direction = "" if ascending else " DESC"
        return self._statement(where, params, ", ".join(t.order + direction for t in terms), limit, offset)

    def _beyond(self, terms: list[_Term], row: tuple, ascending: bool, or_equal: bool) -> tuple[str, list]:
        """SQL that holds for the rows after *row* (or equal to it too, *or_equal*) in the order of *terms*
        read ascending or descending: the first term on which a row differs from *row* decides, compared
        as ORDER BY orders it, with NULLs where the dialect sorts them. NULL is only ever tested with
        IS NULL (a comparison with NULL is NULL). One flat CASE whatever the number of terms: nested
        ORs overflow SQLite's parser stack at about 20 terms."""
        nulls_first = self.d.nulls_first_ascending == ascending
        value_after_null = "TRUE" if nulls_first else "FALSE"      # a value, where *row* has NULL
        null_after_value = "FALSE" if nulls_first else "TRUE"      # NULL, where *row* has a value
        op = ">" if ascending else "<"
        cases, params = [], []
        for t in terms:
            v = t.value(row)
            if not t.typeof:
                v = self.d.bind(self.view.table.columns[t.index], v)
            if v is None:
                cases.append(f"WHEN {t.compare} IS NOT NULL THEN {value_after_null}")
                continue
            if t.nullable:
                cases.append(f"WHEN {t.compare} IS NULL THEN {null_after_value}")
            cases.append(f"WHEN {t.compare} <> ? THEN {t.compare} {op} ?")
            params += [v, v]
        return f"CASE {' '.join(cases)} ELSE {'TRUE' if or_equal else 'FALSE'} END", params

    def offset_sql(self, offset: int, limit: int):
        """From row *offset* in display order: in its own order for an unsorted view, else in one
        statement over every segment (ORDER BY puts NULLs where the segments are)."""
        if self.natural:
            order = None
        elif self.keyed:
            order = ", ".join(c + (" DESC" if self.desc else "") for c in self._order_cols("all"))
        else:
            order = ", ".join(t.order + (" DESC" if self.desc else "") for t in self.view_terms("all"))
        return self._statement(*self._segment_where("all"), order, limit, offset)

    def count_before_sql(self, row: tuple):
        """The number of rows before *row* of a keyless view, in display order."""
        seg = self.segment_of(RowMark(row, 0, None))
        segments = self.segments()
        beyond, params = self._beyond(self.view_terms(seg), row, ascending=self.desc, or_equal=False)
        this = " AND ".join(c for c in (self._segment_cond(seg), beyond) if c)
        earlier = [self._segment_cond(s) for s in segments[:segments.index(seg)]]     # whole segments
        where = [c.sql for c in self.view.filters] + ["(" + " OR ".join([*earlier, f"({this})"]) + ")"]
        params = [p for c in self.view.filters for p in c.params] + params
        sql = f"SELECT count(*) FROM {self.table_sql} WHERE " + " AND ".join(where)
        return self.d.placeholders(sql), params

    def stream_sql(self, columns_sql: list[str] | None = None) -> list[tuple[str, list]]:
        """The whole view in its order, without LIMIT, one statement per segment (the NULLs of the sort column
        where the view puts them): read through once, on one connection (an export). The visible columns only,
        or *columns_sql* (an expression per column) instead."""
        direction = " DESC" if self.desc else ""
        if columns_sql is not None:
            select = "SELECT " + ", ".join(columns_sql)
        else:
            select = self.select.rsplit(" FROM ", 1)[0]
            if self.view.table.identity.hidden is not None:
                select = select[:select.rindex(", ")]            # without the hidden row id
        statements = []
        for seg in self.segments():
            where, params = self._segment_where(seg)
            if self.keyed:
                order = ", ".join(c + direction for c in self._order_cols(seg))
            else:
                order = self.sort_sql + direction if self.sort_sql is not None and seg != "null" else ""
            sql = f"{select} FROM {self.table_sql}"
            if where:
                sql += " WHERE " + " AND ".join(where)
            if order:
                sql += " ORDER BY " + order
            statements.append((self.d.placeholders(sql), params))
        return statements

    def count_sql(self):
        where = [c.sql for c in self.view.filters]
        params = [p for c in self.view.filters for p in c.params]
        sql = f"SELECT count(*) FROM {self.table_sql}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self.d.placeholders(sql), params

    def mark(self, row: tuple) -> tuple:
        return tuple(row[i] for i in self.mark_index)

    @property
    def natural(self) -> bool:
        """An unsorted keyless view: read from its top in its own order."""
        return not self.keyed and self.sort is None


def fetch(cursor_factory, plan: Plan, mark: tuple | None, *, forward: bool, limit: int,
          inclusive: bool = False, from_end: bool = False) -> Page:
    """Fetch up to *limit* rows after (forward) or before *mark*, in display order.

    `mark=None` starts at the first row (forward) or, with `from_end`, the
    last row (backward: with no mark, that is where it starts anyway).
    `cursor_factory(sql, params)` runs one statement and returns its rows; it
    is where cancellation hooks in.
    """
    if plan.natural and not isinstance(mark, RowMark):
        return _fetch_offset(cursor_factory, plan, mark, forward=forward, limit=limit, inclusive=inclusive)
    segments = plan.segments()
    if not forward:
        segments = segments[::-1]
    if mark is not None:
        segments = segments[segments.index(plan.segment_of(mark)):]
    read = _read_keyed if plan.keyed else _read_view
    rows: list[tuple] = []
    marks: list[tuple] = []
    sql_log: list[str] = []
    for i, seg in enumerate(segments):
        got, got_marks = read(cursor_factory, plan, seg, mark if i == 0 else None, forward, inclusive and i == 0,
                              limit - len(rows), sql_log)
        rows += got
        marks += got_marks
        if len(rows) >= limit:
            break
    visible = [r[:plan.nvisible] for r in rows]
    if not forward:
        visible.reverse()
        marks.reverse()
    return Page(visible, marks, reached_end=len(rows) < limit, sql=sql_log)


def fetch_at(cursor_factory, plan: Plan, offset: int, *, limit: int) -> Page:
    """Up to *limit* rows from row *offset* (0-based) in display order, with the marks `fetch` gives,
    so that paging goes on from them as from any page. It reads the rows before *offset* (an OFFSET
    from the first row: the cost of going to a row by its number)."""
    if plan.natural:
        return _fetch_offset(cursor_factory, plan, (offset,), forward=True, limit=limit, inclusive=True)
    if plan.keyed:
        sql, params = plan.offset_sql(offset, limit)
        rows = cursor_factory(sql, params)
        return Page([r[:plan.nvisible] for r in rows], [plan.mark(r) for r in rows], reached_end=len(rows) < limit,
                    sql=[sql])
    # Keyless: with the row before it, to tell whether the first row is in a group that starts earlier.
    start = max(0, offset - 1)
    sql, params = plan.offset_sql(start, limit + offset - start)
    sql_log = [sql]
    rows = cursor_factory(sql, params)
    prev, behind = None, -1
    if start < offset and rows:
        prev, rows = rows[0], rows[1:]
        if rows and _identical(rows[0], prev):
            sql, params = plan.count_before_sql(rows[0])
            sql_log.append(sql)
            behind = offset - cursor_factory(sql, params)[0][0] - 1     # rows of its group before prev's
    marks = []
    for r in rows:
        behind = behind + 1 if prev is not None and _identical(r, prev) else 0
        marks.append(RowMark(r, behind, None))
        prev = r
    return Page(rows, marks, reached_end=len(rows) < limit, sql=sql_log)


def _read_keyed(cursor_factory, plan: Plan, seg, mark, forward, inclusive, limit, sql_log):
    sql, params = plan.segment_sql(seg, mark, forward, inclusive, limit)
    sql_log.append(sql)
    rows = cursor_factory(sql, params)
    return rows, [plan.mark(r) for r in rows]


def _read_view(cursor_factory, plan: Plan, seg, mark: RowMark | None, forward, inclusive, limit, sql_log):
    """Rows of one segment of a keyless view, in the order read, with their marks.

    Rows identical to the mark's row are its group. When the mark knows how many of the group lie
    behind it (the side being read from), the query starts at the group and skips those; when it
    knows how many lie ahead, those rows are the mark's row again (identical, so nothing is read for
    them) and the query starts after the group. Marks count identical rows on the side read from.
    """
    rows: list[tuple] = []
    counts: list[tuple[int | None, int | None]] = []        # (behind, ahead) per row, as read
    skip, start_at_group = 0, False
    if mark is not None:
        behind, ahead = (mark.before, mark.after) if forward else (mark.after, mark.before)
        if behind is not None:
            skip, start_at_group = behind + (0 if inclusive else 1), True
        else:
            first = ahead if inclusive else ahead - 1
            for k in range(min(limit, first + 1)):
                rows.append(mark.row)
                counts.append((None, first - k))
    left = limit - len(rows)
    if left > 0:
        ascending = forward != plan.desc
        sql, params = plan.view_sql(seg, mark.row if mark is not None else None, ascending=ascending,
                                    or_equal=start_at_group, limit=left, offset=skip)
        sql_log.append(sql)
        prev, behind = (mark.row, skip - 1) if start_at_group else (None, -1)
        for r in cursor_factory(sql, params):
            behind = behind + 1 if prev is not None and _identical(r, prev) else 0
            rows.append(r)
            counts.append((behind, None))
            prev = r
    marks = [RowMark(r, b, a) if forward else RowMark(r, a, b) for r, (b, a) in zip(rows, counts)]
    return rows, marks


def _fetch_offset(cursor_factory, plan: Plan, mark, *, forward, limit, inclusive) -> Page:
    # An unsorted view in its own order: marks are row offsets. Its last rows are found by counting it:
    # read in another order (by every column), they would show the same row as row 1 and as the last row.
    if mark is None and not forward:
        sql, params = plan.count_sql()
        total = cursor_factory(sql, params)[0][0]
        start = max(0, total - limit)
        sql, params = plan.offset_sql(start, total - start)
        rows = cursor_factory(sql, params) if total > start else []
        return Page([r[:plan.nvisible] for r in rows], [(start + i,) for i in range(len(rows))],
                    reached_end=start == 0, sql=[sql])
    if mark is None:
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
