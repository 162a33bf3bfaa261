"""What rowdesk knows about a table: columns, kinds, keys, row identity,
references; the catalogue's entries and row counts.

Read by each backend from its engine's own catalogue (storage.backends),
because SQLObject's `fromDatabase` misses primary-key names, foreign keys and
most types (see PITFALLS.md). Plain data, safe to hand to the reactor thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    declared: str                 # the type as declared, e.g. "VARCHAR(80)"
    kind: str                     # one of storage.types.KINDS
    nullable: bool = True
    default: str | None = None
    pk_position: int = 0          # 1-based position in the primary key, 0 if not part of it
    references: tuple[str, str] | None = None   # (table, column) of a foreign key
    indexed: bool = False         # leading column of an index: sorting/filtering on it is cheap
    # Does the engine hold only values of the declared type here? Server engines do (the default); SQLite
    # does in STRICT tables only (and not for ANY): elsewhere any column holds any value.
    enforced: bool = True
    generated: bool = False       # computed by the engine (generated/computed columns): shown, never written
    autoincrement: bool = False   # the engine numbers new rows here when no value is given (a serial key)
    members: tuple[str, ...] | None = None    # the labels of an enum type (PostgreSQL), in their order

    @property
    def numeric(self) -> bool:
        from storage.types import kind

        return kind(self.kind).numeric


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
class Reference:
    """A foreign key: the values of *columns* in a row of *table* are the *target_columns* of one row of *target*.
    Tables are named as the operator names them (`schema.table` where there are schemas); a composite key has
    several columns, in the constraint's order."""
    table: str
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    name: str = ""                                # the constraint's name, where the engine has one

    @property
    def label(self) -> str:
        """How the list of references names it: `Invoice.customer_id`, `(a, b)` for a composite one."""
        cols = self.columns[0] if len(self.columns) == 1 else f"({', '.join(self.columns)})"
        return f"{self.table}.{cols}"


@dataclass(frozen=True)
class Through:
    """A RelatedJoin: the rows of *target* that the *intermediate* table pairs with a row of *table*. From a row of
    *table* whose key is k: the rows of target whose `other.target_columns` are the `other.columns` of the
    intermediate rows whose `join.columns` hold k."""
    name: str                     # the model's name for it: `Book.tags`
    table: str
    intermediate: str
    join: Reference               # intermediate -> table
    other: Reference              # intermediate -> target
    target: str

    @property
    def label(self) -> str:
        return f"{self.target} through {self.intermediate}"


def references_by_constraint(rows, table: str, target_of=lambda t: t) -> tuple[Reference, ...]:
    """References from rows of (constraint, column, target table, target column) in the constraint's column
    order, as every engine's catalogue lists them; *target_of* names the target as the operator does."""
    grouped: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for name, column, target, target_column in rows:
        cols, targets = grouped.setdefault((str(name), target), ([], []))
        cols.append(column)
        targets.append(target_column)
    return tuple(Reference(table, tuple(cols), target_of(target), tuple(targets), name)
                 for (name, target), (cols, targets) in grouped.items())


def write_refusal(kind: str, identity: RowIdentity) -> str | None:
    """Why rowdesk will not write to a relation of this kind and identity; None when it may (the engines add
    their own reasons: privileges, materialized views)."""
    if kind == "view":
        return "a view: rows have no identity to write back to"
    if not identity.columns and identity.hidden is None:
        return "no primary key: a row cannot be identified safely"
    return None


@dataclass(frozen=True)
class Table:
    name: str
    type: str                                     # "table" or "view"
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    identity: RowIdentity = RowIdentity()
    schema: str | None = None                     # the namespace; None where the engine has one (SQLite's main)
    read_only_reason: str | None = None           # why rowdesk will not write to it
    foreign_keys: tuple[Reference, ...] = ()      # this table's references to other tables' rows
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

    def references_from(self, column: str) -> list[Reference]:
        """The foreign keys that *column* is part of (usually one)."""
        return [r for r in self.foreign_keys if column in r.columns]


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
