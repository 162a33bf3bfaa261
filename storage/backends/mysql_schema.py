"""MySQL/MariaDB's catalogue read from information_schema: the tables and views of the URI's database
with the server's row estimates, a table's columns with their real types and a kind each, its primary key,
foreign keys, leading index columns and generated columns.

Every query names the database as DATABASE() (the connection's, i.e. the URI's) and the table as a bound
value, so that information_schema opens that one table only.
"""

from __future__ import annotations

from storage.dialect import MYSQL
from storage.schema import (
    Column,
    Reference,
    RowCount,
    RowIdentity,
    Table,
    TableEntry,
    references_by_constraint,
    write_refusal,
)
from storage.types import TEXT_TYPES, mysql_kind

# Below this many rows (by the server's estimate) an exact count is cheap enough to run at once.
CHEAP_COUNT = 200_000
# MyISAM, Aria and MEMORY keep their row count: count(*) on them is instant and exact.
COUNTED_ENGINES = frozenset({"MyISAM", "Aria", "MEMORY"})

_TABLE_TYPES = {"BASE TABLE": "table", "SYSTEM VERSIONED": "table", "VIEW": "view"}   # not SEQUENCE, SYSTEM VIEW
_IN_CATALOGUE = ", ".join(f"'{t}'" for t in _TABLE_TYPES)

def _rows(raw, sql: str, params=()) -> list[tuple]:
    cur = raw.cursor()
    try:
        cur.execute(sql, params)
        return list(cur.fetchall())
    finally:
        cur.close()


def _entry(name: str, table_type: str, rows) -> TableEntry:
    kind = _TABLE_TYPES[table_type]
    return TableEntry(name, kind, estimate=int(rows) if rows is not None and kind == "table" else None)


def catalogue(raw) -> list[TableEntry]:
    """Every table and view of the URI's database that the user has a privilege on (information_schema
    shows no other), by name, with TABLE_ROWS: exact for MyISAM/Aria, an estimate (often 40-50% off) for
    InnoDB. One query."""
    rows = _rows(raw, "SELECT TABLE_NAME, TABLE_TYPE, TABLE_ROWS FROM information_schema.TABLES "
                      f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ({_IN_CATALOGUE}) ORDER BY TABLE_NAME")
    return [_entry(*row) for row in rows]


def find(raw, name: str) -> TableEntry | None:
    rows = _rows(raw, "SELECT TABLE_NAME, TABLE_TYPE, TABLE_ROWS FROM information_schema.TABLES "
                      f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ({_IN_CATALOGUE}) AND TABLE_NAME = %s",
                 (name,))
    # TABLE_NAME compares by the server's collation of names: take the exact name only.
    return next((_entry(*row) for row in rows if row[0] == name), None)


def _json_columns(raw, name: str) -> set[str]:
    """The columns that MariaDB keeps as LONGTEXT with a json_valid() check: its JSON type."""
    clauses = _rows(raw, "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                         "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = %s", (name,))
    return {clause.strip().lower() for (clause,) in clauses}


def describe(raw, entry: TableEntry, *, mariadb: bool) -> Table:
    name = entry.name
    columns = _rows(raw, "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, "
                         "GENERATION_EXPRESSION, COLLATION_NAME FROM information_schema.COLUMNS "
                         "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION", (name,))
    indexes = _rows(raw, "SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, INDEX_TYPE, SUB_PART "
                         "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
                         "ORDER BY INDEX_NAME, SEQ_IN_INDEX", (name,)) if entry.type == "table" else []
    references, listed = {}, []
    if entry.type == "table":
        # References to another database's tables are left out: the catalogue is the URI's database.
        for constraint, col, table, target in _rows(
                raw, "SELECT CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME "
                     "FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
                     "AND REFERENCED_TABLE_NAME IS NOT NULL AND TABLE_SCHEMA = REFERENCED_TABLE_SCHEMA "
                     "ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION", (name,)):
            references.setdefault(col, (table, target))
            listed.append((constraint, col, table, target))
    checks = _json_columns(raw, name) if mariadb and entry.type == "table" and any(
        c[1].lower() == "longtext" for c in columns) else set()
    primary_key = tuple(col for index, _seq, col, *_ in indexes if index == "PRIMARY")
    # The leading column of an index serves sorting and filtering on it; a prefix of a column
    # (SUB_PART), a FULLTEXT or a SPATIAL index does not.
    indexed = {col for _index, seq, col, itype, sub_part in indexes
               if seq == 1 and sub_part is None and itype in ("BTREE", "HASH")}
    result, generated = [], []
    for cname, data_type, column_type, nullable, default, extra, expression, collation in columns:
        declared = column_type
        if data_type.lower() in TEXT_TYPES and collation:
            declared += f" COLLATE {collation}"            # what = and ORDER BY compare by (_ci: case ignored)
        json_checked = f"json_valid({MYSQL.quote(cname)})" in checks
        if json_checked:
            declared = f"json ({column_type})"
        if "GENERATED" in (extra or "").upper():
            stored = "STORED" if "STORED" in extra.upper() or "PERSISTENT" in extra.upper() else "VIRTUAL"
            declared += f" GENERATED ALWAYS AS ({expression}) {stored}"
            generated.append(cname)
        pk_position = primary_key.index(cname) + 1 if cname in primary_key else 0
        result.append(Column(
            name=cname, declared=declared, kind=mysql_kind(data_type, column_type, json_checked=json_checked),
            nullable=nullable == "YES", default=_default(default), pk_position=pk_position,
            references=references.get(cname), indexed=cname in indexed, generated=cname in generated,
            autoincrement="auto_increment" in (extra or "").lower(),
        ))
    notes = (f"generated by the server, never written: {', '.join(generated)}",) if generated else ()
    return Table(name=name, type=entry.type, columns=tuple(result), primary_key=primary_key,
                 identity=RowIdentity(primary_key),
                 read_only_reason=write_refusal(entry.type, RowIdentity(primary_key)),
                 notes=notes, foreign_keys=references_by_constraint(listed, name))


def referencing(raw, table: Table) -> list[Reference]:
    """The foreign keys of this database's tables that point at *table*."""
    by_table: dict[str, list] = {}
    for constraint, child, col, target in _rows(
            raw, "SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, REFERENCED_COLUMN_NAME "
                 "FROM information_schema.KEY_COLUMN_USAGE WHERE REFERENCED_TABLE_SCHEMA = DATABASE() "
                 "AND REFERENCED_TABLE_NAME = %s AND TABLE_SCHEMA = DATABASE() "
                 "ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION", (table.name,)):
        by_table.setdefault(child, []).append((constraint, col, table.name, target))
    return [ref for child, rows in by_table.items() for ref in references_by_constraint(rows, child)]


def _default(text: str | None) -> str | None:
    """COLUMN_DEFAULT as an SQL literal or expression (MariaDB's form: 'abc' quoted, current_timestamp()),
    None where there is none; MariaDB writes the default of a nullable column without one as NULL."""
    return None if text is None or text == "NULL" else text


def estimate(raw, table: Table) -> RowCount | None:
    """TABLE_ROWS of an InnoDB table too big to count at once, as ~N; None (count it) for the others."""
    if table.type == "view":
        return RowCount(None, exact=False)            # a view's count runs its whole query: on demand only
    rows = _rows(raw, "SELECT TABLE_ROWS, ENGINE FROM information_schema.TABLES "
                      "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", (table.name,))
    if not rows or rows[0][0] is None or rows[0][1] in COUNTED_ENGINES or rows[0][0] <= CHEAP_COUNT:
        return None
    return RowCount(int(rows[0][0]), exact=False)
