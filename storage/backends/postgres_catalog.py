"""PostgreSQL's catalogue as rowdesk sees it: the tables and views the user may read, a table's columns, keys,
references and indexes, and row estimates, all from pg_catalog (SQLObject's fromDatabase misses most of it).

Arrays come back as the server's text on rowdesk's connections (postgres_connection.ADAPTERS), so these
queries return one row per item, never an array.
"""

from __future__ import annotations

import psycopg

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
from storage.types import POSTGRES_KINDS

# Below this many rows an exact count is cheap enough to run at once.
CHEAP_COUNT = 200_000

# relkind: ordinary, partitioned and foreign tables are tables; views and materialized views are views.
RELKINDS = {"r": "table", "p": "table", "f": "table", "v": "view", "m": "view"}

# What kind each built-in type's values have, by oid (storage.types.POSTGRES_KINDS names them).
KIND_OF_TYPE = {psycopg.postgres.types[name].oid: kind for name, kind in POSTGRES_KINDS.items()}

# The schemas of the user's own objects: not the system's, not other sessions' temporary ones (nor ours).
_READABLE = """
    c.relkind IN ('r', 'p', 'v', 'm', 'f')
    AND n.nspname <> ALL (ARRAY['pg_catalog', 'information_schema'])
    AND n.nspname NOT LIKE 'pg!_toast%%' ESCAPE '!' AND n.nspname NOT LIKE 'pg!_temp!_%%' ESCAPE '!'
    AND has_schema_privilege(n.oid, 'USAGE') AND has_any_column_privilege(c.oid, 'SELECT')"""
# The URI's schema first, then the search_path's, then the others by name.
_PRECEDENCE = """
    n.nspname IS DISTINCT FROM %(schema)s, array_position(current_schemas(false), n.nspname::text) NULLS LAST,
    lower(n.nspname), n.nspname"""
# reltuples is -1 until the table is first analyzed; a partitioned table's own is -1 unless the parent was
# analyzed by hand (autovacuum never does): sum its leaves'. The catalogue calls no function that takes a lock
# (pg_relation_size waits behind an ACCESS EXCLUSIVE lock, e.g. a VACUUM FULL): estimate() scales by size.
_ESTIMATE = """
    CASE WHEN c.relkind = 'v' THEN NULL
         WHEN c.relkind = 'p' THEN (SELECT CASE WHEN bool_and(x.reltuples >= 0) THEN sum(x.reltuples)::bigint END
                                    FROM pg_catalog.pg_partition_tree(c.oid) t
                                    JOIN pg_catalog.pg_class x ON x.oid = t.relid WHERE t.isleaf)
         WHEN c.reltuples >= 0 THEN c.reltuples::bigint END"""

_ENTRIES = f"""
SELECT n.nspname, c.relname, c.relkind, {_ESTIMATE}
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {_READABLE} AND NOT c.relispartition
ORDER BY {_PRECEDENCE}, lower(c.relname), c.relname"""

# One table by its display name (schema.table), else by its bare name in the first schema that has it;
# partitions too, which the catalogue leaves out.
_FIND = f"""
SELECT n.nspname, c.relname, c.relkind, {_ESTIMATE}
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {_READABLE} AND (n.nspname || '.' || c.relname = %(name)s OR c.relname = %(name)s)
ORDER BY n.nspname || '.' || c.relname <> %(name)s, {_PRECEDENCE}
LIMIT 1"""


def _entry(row) -> TableEntry:
    schema, name, relkind, estimate = row
    return TableEntry(name, RELKINDS[relkind], schema=schema, estimate=estimate)


def entries(raw, schema: str | None) -> list[TableEntry]:
    return [_entry(r) for r in raw.execute(_ENTRIES, {"schema": schema}).fetchall()]


def find(raw, name: str, schema: str | None) -> TableEntry | None:
    row = raw.execute(_FIND, {"name": name, "schema": schema}).fetchone()
    return _entry(row) if row else None


# -- one table -------------------------------------------------------------------------------------------------------
_RELATION = """
SELECT c.oid, c.relkind, has_table_privilege(c.oid, 'UPDATE'), current_user
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s"""

# Columns, with the base type of a domain (a domain's values come back as its base type's), followed
# through domains over domains.
_COLUMNS = """
WITH RECURSIVE cols AS (
    SELECT a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.attgenerated, a.attidentity,
           has_column_privilege(a.attrelid, a.attnum, 'SELECT') AS readable,
           pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS dflt
    FROM pg_catalog.pg_attribute a
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = %(oid)s AND a.attnum > 0 AND NOT a.attisdropped),
base(start, oid) AS (
    SELECT DISTINCT atttypid, atttypid FROM cols
    UNION
    SELECT b.start, t.typbasetype FROM base b JOIN pg_catalog.pg_type t ON t.oid = b.oid WHERE t.typtype = 'd')
SELECT c.attname, pg_catalog.format_type(c.atttypid, c.atttypmod), c.attnotnull, c.dflt, c.attgenerated,
       c.attidentity, c.readable, bt.oid
FROM cols c
JOIN base b ON b.start = c.atttypid
JOIN pg_catalog.pg_type bt ON bt.oid = b.oid AND bt.typtype <> 'd'
ORDER BY c.attnum"""

# Every key column of every index: the primary key's, and the leading column of each index that serves any
# query (valid, not partial; an expression has no column).
_INDEX_COLUMNS = """
SELECT i.indisprimary, i.indisvalid AND i.indpred IS NULL, k.pos, a.attname
FROM pg_catalog.pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, pos)
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %s AND k.pos <= i.indnkeyatts
ORDER BY i.indisprimary DESC, k.pos"""

# Each column of each foreign key with the column it references, in the constraint's order. A partition's copy of
# its parent's constraint (conparentid set) is left out: the parent's is the one that counts.
_KEY_PAIRS = """
FROM pg_catalog.pg_constraint con
CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(col, fcol, pos)
JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.col
JOIN pg_catalog.pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = k.fcol"""
_REFERENCES = """
SELECT con.conname, a.attname, fn.nspname, fc.relname, fa.attname""" + _KEY_PAIRS + """
JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.conrelid = %s AND con.contype = 'f' AND con.conparentid = 0
ORDER BY con.conname, k.pos"""
# The foreign keys of other tables (that the user may read) pointing at one table.
_REFERENCING = """
SELECT con.conname, cn.nspname, c.relname, a.attname, fa.attname""" + _KEY_PAIRS + """
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace cn ON cn.oid = c.relnamespace
WHERE con.confrelid = %s AND con.contype = 'f' AND con.conparentid = 0
  AND has_schema_privilege(cn.oid, 'USAGE') AND has_any_column_privilege(c.oid, 'SELECT')
ORDER BY cn.nspname, c.relname, con.conname, k.pos"""


# The labels of enum types, in their order.
_ENUM_LABELS = """
SELECT enumtypid, enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = ANY(%s) ORDER BY enumtypid, enumsortorder"""


class TableGone(LookupError):
    """The table was dropped (or renamed) since the catalogue was read."""


def describe(raw, entry: TableEntry) -> Table:
    rel = raw.execute(_RELATION, (entry.schema, entry.name)).fetchone()
    if rel is None:
        raise TableGone(entry.display)
    oid, relkind, may_update, user = rel
    primary, indexed = [], set()
    for is_primary, usable, pos, name in raw.execute(_INDEX_COLUMNS, (oid,)).fetchall():
        if is_primary:
            primary.append(name)
        if usable and pos == 1:
            indexed.add(name)
    references: dict[str, tuple[str, str]] = {}
    listed = []
    for constraint, name, schema, table, column in raw.execute(_REFERENCES, (oid,)).fetchall():
        references.setdefault(name, (f"{schema}.{table}", column))
        listed.append((constraint, name, f"{schema}.{table}", column))
    columns, notes, hidden = [], [], []
    described = raw.execute(_COLUMNS, {"oid": oid}).fetchall()
    labels: dict[int, list[str]] = {}
    for type_oid, label in raw.execute(_ENUM_LABELS, ([row[-1] for row in described],)).fetchall():
        labels.setdefault(type_oid, []).append(label)
    for name, declared, notnull, default, generated, identity, readable, base in described:
        if not readable:
            hidden.append(name)           # column privileges: selecting it would fail the whole statement
            continue
        if generated:
            notes.append(f"{name}: generated always as {default}, stored")
            default = None                # the expression is no default: nothing can be written to it
        elif identity:
            notes.append(f"{name}: an identity column, generated {'always' if identity == 'a' else 'by default'}")
        pk_position = primary.index(name) + 1 if name in primary else 0
        columns.append(Column(
            name=name, declared=declared, kind=KIND_OF_TYPE.get(base, "text"), nullable=not notnull,
            default=default, pk_position=pk_position, references=references.get(name),
            indexed=name in indexed, generated=bool(generated),
            autoincrement=bool(identity) or (default or "").startswith("nextval("),
            members=tuple(labels[base]) if base in labels else None,
        ))
    if hidden:
        notes.append(f"not shown, for want of the SELECT privilege on them: {', '.join(hidden)}")
    if relkind == "m":
        notes.append("a materialized view: its rows as of its last REFRESH")
    elif relkind == "f":
        notes.append("a foreign table: its rows are read from another server")
    key = tuple(primary) if not hidden or not set(primary) & set(hidden) else ()
    return Table(
        name=entry.name, type=RELKINDS[relkind], columns=tuple(columns), primary_key=key,
        identity=RowIdentity(key), schema=entry.schema,
        read_only_reason=_read_only_reason(relkind, key, may_update, user), notes=tuple(notes),
        foreign_keys=references_by_constraint(listed, entry.display),
    )


def referencing(raw, table: Table) -> list[Reference]:
    rel = raw.execute(_RELATION, (table.schema, table.name)).fetchone()
    if rel is None:
        raise TableGone(table.display)
    by_table: dict[str, list] = {}
    for constraint, schema, child, column, target in raw.execute(_REFERENCING, (rel[0],)).fetchall():
        by_table.setdefault(f"{schema}.{child}", []).append((constraint, column, table.display, target))
    return [ref for child, rows in by_table.items() for ref in references_by_constraint(rows, child)]


def _read_only_reason(relkind: str, key: tuple[str, ...], may_update: bool, user: str) -> str | None:
    if relkind == "m":
        return "a materialized view: PostgreSQL changes its rows only by REFRESH"
    refusal = write_refusal(RELKINDS[relkind], RowIdentity(key))
    if refusal is None and not may_update:
        return f"user {user} may not change it (no UPDATE privilege)"
    return refusal


# -- row estimates ---------------------------------------------------------------------------------------------------
# The relation, or a partitioned table's leaves: reltuples per page of the last ANALYZE times the pages the
# relation has now (what the planner does), so that rows added since then count.
_SIZES = """
SELECT x.relkind, x.reltuples, x.relpages, pg_catalog.pg_relation_size(x.oid),
       current_setting('block_size')::int
FROM pg_catalog.pg_class x
WHERE x.oid = %(oid)s AND x.relkind <> 'p'
   OR x.oid IN (SELECT relid FROM pg_catalog.pg_partition_tree(%(oid)s) WHERE isleaf AND relid <> %(oid)s)"""


def _scaled(relkind: str, reltuples: float, relpages: int, size: int, block: int) -> int | None:
    if reltuples < 0:
        return None                       # never analyzed
    if relkind == "f":
        return round(reltuples)           # no pages here: what ANALYZE found on the other server
    pages = size // block
    if relpages > 0:
        return round(reltuples / relpages * pages)
    return 0 if pages == 0 else None


def estimate(raw, table: Table) -> RowCount | None:
    """From the statistics when there are many rows; None (count them) when few or when never analyzed."""
    rel = raw.execute(_RELATION, (table.schema, table.name)).fetchone()
    if rel is None:
        raise TableGone(table.display)
    oid, relkind = rel[0], rel[1]
    if relkind == "v":
        return RowCount(None, exact=False)        # a view is counted on demand only: its query can take any time
    total = 0
    for row in raw.execute(_SIZES, {"oid": oid}).fetchall():
        n = _scaled(*row)
        if n is None:
            return None
        total += n
    return RowCount(total, exact=False) if total >= CHEAP_COUNT else None
