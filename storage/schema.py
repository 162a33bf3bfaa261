"""What rowdesk knows about a table: columns, kinds, keys, indexes, references.

Read from the database's own catalogue (SQLite `PRAGMA`s here), because
SQLObject's `fromDatabase` misses primary-key names, foreign keys and most
types (see PITFALLS.md). Plain data, safe to hand to the reactor thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

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
class Table:
    name: str
    type: str                                     # "table" or "view"
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    # Columns that order rows uniquely for keyset paging. Either real columns,
    # or a hidden rowid alias (`rowid_alias`) fetched after the visible columns.
    key: tuple[str, ...] = ()
    rowid_alias: str | None = None
    read_only_reason: str | None = None          # why rowdesk will not write to it
    rowid_sql: str | None = None                 # SQL for SQLite's rowid, when the table has one
    notes: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


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


def quote_sqlite(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_tables(raw) -> list[tuple[str, str]]:
    """(name, type) of every user table and view, in name order."""
    rows = raw.execute(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
        # "_" is a LIKE wildcard: unescaped, it would hide user tables such as "sqlite1_data".
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name COLLATE NOCASE"
    ).fetchall()
    return [(name, kind) for name, kind in rows]


def sqlite_table_type(raw, name: str) -> str | None:
    """"table" or "view" for the user table or view *name*, None when there is none."""
    row = raw.execute("SELECT type FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?",
                      (name,)).fetchone()
    return row[0] if row else None


def sqlite_is_strict(raw, name: str) -> bool:
    """Is the table *name* a STRICT table, whose declared column types SQLite enforces?"""
    import sqlite3

    if sqlite3.sqlite_version_info < (3, 37, 0):
        # STRICT tables came with 3.37 (and PRAGMA table_list with them); an older library cannot even
        # read a schema that has one, so every table it can read is an ordinary one.
        return False
    row = raw.execute("SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = ?", (name,)).fetchone()
    return bool(row and row[0])


def sqlite_table(raw, name: str, kind: str) -> Table:
    """Introspect one SQLite table or view on the raw connection *raw*."""
    q = quote_sqlite(name)
    # A view holds whatever its query computes, so its declared types are never enforced.
    strict = kind == "table" and sqlite_is_strict(raw, name)
    info = raw.execute(f"PRAGMA table_xinfo({q})").fetchall()
    # table_xinfo: cid, name, type, notnull, dflt_value, pk, hidden (hidden 1 = virtual-table hidden column)
    fks = {}
    for row in raw.execute(f"PRAGMA foreign_key_list({q})").fetchall():
        # id, seq, table, from, to, on_update, on_delete, match
        # "to" is NULL for "REFERENCES parent" without a column: the parent's primary key.
        fks[row[3]] = (row[2], row[4] if row[4] is not None else _primary_key_column(raw, row[2], row[1]))
    indexed = _leading_index_columns(raw, q)
    columns = []
    pk = []
    for _cid, cname, ctype, notnull, default, pkpos, hidden in info:
        if hidden == 1:
            continue
        if pkpos:
            pk.append((pkpos, cname))
        columns.append(Column(
            name=cname, declared=ctype or "", kind=kind_of(ctype or ""), nullable=not notnull and not pkpos,
            default=default, pk_position=pkpos, references=fks.get(cname),
            indexed=cname in indexed or pkpos == 1,
            enforced=strict and (ctype or "").upper() != "ANY",     # STRICT allows ANY: any value, as given
        ))
    primary_key = tuple(c for _, c in sorted(pk))
    rowid = _rowid_alias(raw, q, {c.name.lower() for c in columns}) if kind == "table" else None
    if rowid is not None:
        int_pk = len(primary_key) == 1 and _is_integer_pk(columns, primary_key[0])
        if not int_pk:
            # Outside WITHOUT ROWID tables and INTEGER PRIMARY KEY, SQLite lets a
            # primary-key column hold NULL unless it is declared NOT NULL (a
            # long-standing quirk): paging must treat it as nullable.
            notnull = {r[1] for r in info if r[3]}
            columns = [replace(c, nullable=c.name not in notnull) if c.pk_position else c for c in columns]
        # An INTEGER PRIMARY KEY *is* the rowid; otherwise page on the hidden rowid,
        # which every index carries, so "ORDER BY col, rowid" still walks an index.
        key, alias = (primary_key, None) if int_pk else ((rowid,), rowid)
        rowid_sql = quote_sqlite(primary_key[0]) if int_pk else rowid
    elif primary_key:
        key, alias, rowid_sql = primary_key, None, None            # WITHOUT ROWID table
    else:
        key, alias, rowid_sql = (), None, None                     # a view: no stable key
    return Table(
        name=name, type=kind, columns=tuple(columns), primary_key=primary_key, key=key, rowid_alias=alias,
        read_only_reason=_read_only_reason(kind, primary_key), rowid_sql=rowid_sql,
    )


def _is_integer_pk(columns: list[Column], name: str) -> bool:
    for c in columns:
        if c.name == name:
            return c.declared.strip().upper() == "INTEGER"
    return False


def _primary_key_column(raw, table: str, seq: int) -> str | None:
    """The *seq*-th (0-based) primary-key column of *table*, for an implicit foreign-key target."""
    pk = sorted((r[5], r[1]) for r in raw.execute(f"PRAGMA table_info({quote_sqlite(table)})").fetchall() if r[5])
    return pk[seq][1] if seq < len(pk) else None


def _rowid_alias(raw, qname: str, taken: set[str]) -> str | None:
    import sqlite3

    for alias in ("_rowid_", "rowid", "oid"):
        if alias in taken:
            continue
        try:
            raw.execute(f"SELECT {alias} FROM {qname} LIMIT 0")
        except sqlite3.OperationalError:
            return None       # WITHOUT ROWID
        return alias
    return None


def _leading_index_columns(raw, qname: str) -> set[str]:
    lead = set()
    for row in raw.execute(f"PRAGMA index_list({qname})").fetchall():
        # seq, name, unique, origin, partial
        if row[4]:
            continue      # a partial index does not serve every query
        cols = raw.execute(f"PRAGMA index_info({quote_sqlite(row[1])})").fetchall()
        if cols and cols[0][2] is not None:
            lead.add(cols[0][2])
    return lead


def _read_only_reason(kind: str, primary_key: tuple[str, ...]) -> str | None:
    if kind == "view":
        return "a view: rows have no identity to write back to"
    if not primary_key:
        return "no primary key: a row cannot be identified safely"
    if len(primary_key) > 1:
        return f"composite primary key ({', '.join(primary_key)}): SQLObject maps single-column keys only"
    return None
