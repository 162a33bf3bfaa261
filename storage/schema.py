"""What rowdesk knows about a table: columns, kinds, keys, row identity,
references; the catalogue's entries and row counts.

Read by each backend from its engine's own catalogue (storage.backends),
because SQLObject's `fromDatabase` misses primary-key names, foreign keys and
most types (see PITFALLS.md). Plain data, safe to hand to the reactor thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Display/validation families of column types.
NUMERIC_KINDS = frozenset({"int", "float", "decimal"})
KINDS = NUMERIC_KINDS | {"text", "bool", "date", "datetime", "time", "blob", "json", "any"}


@dataclass(frozen=True)
class Column:
    name: str
    declared: str                 # the type as declared, e.g. "VARCHAR(80)"
    kind: str                     # one of KINDS
    nullable: bool = True
    default: str | None = None
    pk_position: int = 0          # 1-based position in the primary key, 0 if not part of it
    references: tuple[str, str] | None = None   # (table, column) of a foreign key
    indexed: bool = False         # leading column of an index: sorting/filtering on it is cheap
    # Does the engine hold only values of the declared type here? Server engines do (the default); SQLite
    # does in STRICT tables only (and not for ANY): elsewhere any column holds any value.
    enforced: bool = True

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass(frozen=True)
class RowIdentity:
    """How a row is told from the others: the primary-key columns, and the engine's hidden row id where it
    has one (SQLite's rowid). Keyset paging orders by the hidden id when there is one (every index carries
    it, so "ORDER BY col, rowid" walks an index), else by the key columns; writes identify a row by the key
    columns, else by the hidden id. Neither (a view, a server table without a key): no identity."""
    columns: tuple[str, ...] = ()
    hidden: str | None = None                     # SQL of the hidden row id, fetched after the visible columns

    @property
    def page_key(self) -> tuple[str, ...]:
        """What keyset paging orders by, after the sort column: column names, or the hidden id's SQL."""
        return (self.hidden,) if self.hidden is not None else self.columns


@dataclass(frozen=True)
class Table:
    name: str
    type: str                                     # "table" or "view"
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    identity: RowIdentity = RowIdentity()
    schema: str | None = None                     # the namespace; None where the engine has one (SQLite's main)
    read_only_reason: str | None = None           # why rowdesk will not write to it
    notes: tuple[str, ...] = field(default=())

    @property
    def display(self) -> str:
        """How the operator names it: `schema.table` where there are schemas."""
        return f"{self.schema}.{self.name}" if self.schema is not None else self.name

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class TableEntry:
    """One table or view of the catalogue."""
    name: str
    type: str                        # "table" or "view"
    schema: str | None = None        # the namespace (None: the engine has one, as SQLite's main)
    estimate: int | None = None      # rows, from the engine's statistics, when the catalogue has them

    @property
    def display(self) -> str:
        """How the operator names it: `schema.table` where there are schemas."""
        return f"{self.schema}.{self.name}" if self.schema is not None else self.name


@dataclass(frozen=True)
class RowCount:
    rows: int | None
    exact: bool


_DECIMAL_ARGS = re.compile(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")


def kind_of(declared: str) -> str:
    """Map a declared SQL type to a kind, following SQLite's affinity rules
    where they apply and recognising the usual names of other databases."""
    t = declared.upper()
    if not t:
        return "any"
    if "BOOL" in t:
        return "bool"
    if "INT" in t:
        return "int"
    if "DATETIME" in t or "TIMESTAMP" in t:
        return "datetime"
    if "DATE" in t:
        return "date"
    if t.startswith("TIME"):
        return "time"
    if "JSON" in t:
        return "json"
    if any(s in t for s in ("CHAR", "CLOB", "TEXT", "UUID", "ENUM")):
        return "text"
    if "BLOB" in t or "BYTEA" in t or "BINARY" in t:
        return "blob"
    if any(s in t for s in ("REAL", "FLOA", "DOUB")):
        return "float"
    if "NUMERIC" in t or "DECIMAL" in t or "MONEY" in t:
        return "decimal"
    return "any"


def sqlite_affinity(declared: str) -> str:
    """SQLite's affinity for a declared type, by its rules (https://sqlite.org/datatype3.html section 3.1):
    "INTEGER", "TEXT", "BLOB" (no affinity: values compare as stored), "REAL" or "NUMERIC"."""
    t = declared.upper()
    if "INT" in t:
        return "INTEGER"
    if any(s in t for s in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in t or not t:
        return "BLOB"
    if any(s in t for s in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def decimal_size(declared: str) -> tuple[int, int]:
    """(precision, scale) of a DECIMAL(p, s) declaration; (18, 4) when not given."""
    m = _DECIMAL_ARGS.search(declared)
    if not m:
        return 18, 4
    return int(m.group(1)), int(m.group(2) or 0)
