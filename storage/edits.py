"""Changes to rows, each in one transaction (storage.writes), never losing what someone else wrote.

A row is identified by its key columns, or by the engine's hidden row id where the table has no usable key
(SQLite's rowid). Before an update or a delete, the row is read again under a lock (`SELECT … FOR UPDATE`;
SQLite: BEGIN IMMEDIATE has locked the database) and compared, value by value and type by type, with the
values the operator was shown: if it changed or vanished meanwhile, nothing is written and Conflict says
what it holds now. The comparison is done in Python on the values as the driver returned them, so what
the server's collation would call equal ('abc' and 'ABC ' on MariaDB), a float4, json and bytes are
compared exactly. Only the columns the operator changed are written, bound as parameters. After the
write, the row is read back in the same transaction: what the database now holds (defaults, triggers,
generated columns) is what the caller shows.

Used in a job's worker thread only (storage.database runs these in jobs).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from storage.schema import Table


@dataclass(frozen=True)
class Row:
    """One row as read: the value of every visible column, in the table's column order, and the hidden row id
    when the table has one (SQLite's rowid)."""
    values: tuple
    hidden: object = None

    def get(self, table: Table, name: str):
        return self.values[table.column_names.index(name)]


class Conflict(Exception):
    """The row is no longer what the operator was shown: *theirs* is what it holds now (None: it is gone)."""

    def __init__(self, table: Table, mine: Row, theirs: Row | None):
        what = "was deleted" if theirs is None else "was changed"
        super().__init__(f"{table.display}: the row {what} by someone else since it was read; nothing was written")
        self.table, self.mine, self.theirs = table, mine, theirs


class Unwritable(Exception):
    """A write that rowdesk refuses before sending anything (a view, no identity, a generated column, ...)."""


def same(a, b) -> bool:
    """Identical values: of the same type and the same value to the last detail, where Python's == is looser:
    1 and 1.0 and True differ; Decimal 1.1 and 1.10 (a numeric keeps its scale), 0.0 and -0.0, and one time in
    two offsets differ; NaN is the same as NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)                 # -0.0 and 0.0; nan and nan
    if isinstance(a, decimal.Decimal):
        return str(a) == str(b)                   # 1.10 and 1.1; NaN and NaN
    if isinstance(a, (dt.datetime, dt.time)):
        return a == b and a.utcoffset() == b.utcoffset()
    return a == b


def same_row(a: Row, b: Row) -> bool:
    # The hidden row id, where both know it: a row rebuilt from the journal of a keyed table has none.
    hidden = a.hidden is None or b.hidden is None or a.hidden == b.hidden
    return hidden and all(same(x, y) for x, y in zip(a.values, b.values, strict=True))


class Rows:
    """The SQL of one table's row-at-a-time reads and writes, for one backend."""

    def __init__(self, backend, table: Table):
        if table.read_only_reason is not None:
            raise Unwritable(f"{table.display} cannot be changed: {table.read_only_reason}")
        self.backend, self.table, self.d = backend, table, backend.dialect
        t = table
        self.name = self.d.table(t.schema, t.name)
        cols = [self.d.value_sql(c, self.d.quote(c.name)) for c in t.columns]
        # Identified by the hidden row id when there is no key; read with it whenever the table has one (paging
        # marks carry it: a row read here takes its place in the grid).
        self.hidden = t.identity.hidden if not t.identity.columns else None
        self.hidden_sql = t.identity.hidden
        if self.hidden_sql is not None:
            cols.append(self.hidden_sql)
        self.select = f"SELECT {', '.join(cols)} FROM {self.name}"
        self.key_columns = t.identity.columns

    # -- identity ----------------------------------------------------------------------------------------------
    def key(self, row: Row) -> tuple:
        if self.hidden is not None:
            return (row.hidden,)
        return tuple(row.get(self.table, k) for k in self.key_columns)

    def where(self, key: tuple) -> tuple[str, tuple]:
        if self.hidden is not None:
            return f"{self.hidden} = ?", key
        cols = [self.table.column(k) for k in self.key_columns]
        return (" AND ".join(f"{self.d.quote(c.name)} = ?" for c in cols),
                tuple(self.d.bind(c, v) for c, v in zip(cols, key, strict=True)))

    def row_of(self, values: Sequence) -> Row:
        """A row as its SELECT (`self.select`) returned it."""
        return self._row(values)

    def _row(self, values: Sequence) -> Row:
        n = len(self.table.columns)
        return Row(tuple(values[:n]), values[n] if self.hidden_sql is not None else None)

    # -- statements --------------------------------------------------------------------------------------------
    def read(self, run: Callable, key: tuple, *, lock: bool) -> Row | None:
        where, params = self.where(key)
        found = run(f"{self.select} WHERE {where}{self.backend.lock_clause if lock else ''}", params).rows
        return self._row(found[0]) if found else None

    def _writable(self, names) -> None:
        for name in names:
            col = self.table.column(name)
            if col.generated:
                raise Unwritable(f"{name} is computed by the database: it cannot be given a value")

    def update(self, run: Callable, mine: Row, changes: Mapping[str, object]) -> Row:
        """Write *changes* (column -> new value) to the row the operator was shown as *mine*; the row after."""
        self._writable(changes)
        key = self.key(mine)
        changed = {n: v for n, v in changes.items() if not same(v, mine.get(self.table, n))}
        if not changed:                          # nothing to write: not a conflict; the row as it is now
            now = self.read(run, key, lock=False)
            if now is None:
                raise Conflict(self.table, mine, None)
            return now
        theirs = self.read(run, key, lock=True)
        if theirs is None or not same_row(theirs, mine):
            raise Conflict(self.table, mine, theirs)
        sets = ", ".join(f"{self.d.quote(n)} = ?" for n in changed)
        where, params = self.where(key)
        count = run(f"UPDATE {self.name} SET {sets} WHERE {where}", (*changed.values(), *params)).rowcount
        if count != 1:                           # the row is locked: only a key that matches two rows can do this
            raise Unwritable(f"{self.table.display}: the update matched {count} rows, not one; rolled back")
        if self.hidden is None:
            key = tuple(changed.get(k, v) for k, v in zip(self.key_columns, key, strict=True))
        after = self.read(run, key, lock=False)
        if after is None:                        # a trigger moved it away: say so rather than guess
            raise Unwritable(f"{self.table.display}: the row cannot be found by its key after the update; "
                             "rolled back")
        return after

    def insert(self, run: Callable, values: Mapping[str, object]) -> Row:
        """Insert a row of *values* (columns left out get the database's default); the row as it now is."""
        self._writable(values)
        names = list(values)
        cols = ", ".join(self.d.quote(n) for n in names)
        marks = ", ".join("?" for _ in names)
        # A key PostgreSQL numbers itself (an identity column) given a value on purpose: an undone delete
        # puts the row back with the key it had, which rows elsewhere may refer to.
        overriding = " OVERRIDING SYSTEM VALUE" if self.d.name == "postgres" and any(
            self.table.column(n).autoincrement for n in names) else ""
        sql = (f"INSERT INTO {self.name} ({cols}){overriding} VALUES ({marks})" if names
               else f"INSERT INTO {self.name} DEFAULT VALUES" if self.d.name != "mysql"
               else f"INSERT INTO {self.name} () VALUES ()")
        key = self._key_of_new(run, sql, tuple(values.values()), values)
        after = self.read(run, key, lock=False)
        if after is None:
            raise Unwritable(f"{self.table.display}: the new row cannot be found by its key; rolled back")
        return after

    def _key_of_new(self, run, sql: str, params: tuple, values: Mapping[str, object]) -> tuple:
        """The new row's key: as the database has it (RETURNING), its rowid, or as given (MySQL has no
        RETURNING: the AUTO_INCREMENT value it reports)."""
        # A key given as NULL is numbered by the database, as one not given at all.
        missing = [k for k in self.key_columns if values.get(k) is None]
        if self.hidden is None and self.d.name != "mysql":
            returning = ", ".join(self.d.quote(k) for k in self.key_columns)
            return tuple(run(f"{sql} RETURNING {returning}", params).rows[0])
        result = run(sql, params)
        if self.hidden is not None:
            return (result.lastrowid,)
        if not missing:
            return tuple(values[k] for k in self.key_columns)
        # AUTO_INCREMENT's value is the new row's key only where the one missing key column is that column.
        numbered = len(missing) == 1 and self.table.column(missing[0]).autoincrement
        generated = result.lastrowid if numbered else None
        if not generated:
            raise Unwritable(f"{self.table.display}: the database gave the new row no key that can be read back: "
                             f"give {', '.join(missing)} a value; nothing was written")
        return tuple(generated if k in missing else values[k] for k in self.key_columns)

    def delete(self, run: Callable, mine: Row) -> None:
        """Delete the row the operator was shown as *mine*, if it still holds exactly that."""
        key = self.key(mine)
        theirs = self.read(run, key, lock=True)
        if theirs is None or not same_row(theirs, mine):
            raise Conflict(self.table, mine, theirs)
        where, params = self.where(key)
        run(f"DELETE FROM {self.name} WHERE {where}", params)
