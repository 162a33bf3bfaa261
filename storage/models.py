"""SQLObject classes built from rowdesk's own reading of the schema.

One class registry per open database (class names must be unique per
registry). Tables that SQLObject cannot map (views, composite or missing
primary keys) get no class; they are still browsed, read-only.
"""

from __future__ import annotations

import itertools
import re

import sqlobject as so
from sqlobject import classregistry

from storage.dialect import Dialect
from storage.schema import Table
from storage.types import sqlobject_column

_registry_ids = itertools.count(1)


def new_registry_name() -> str:
    return f"rowdesk-db-{next(_registry_ids)}"


def _attr_name(name: str, used: set[str]) -> str:
    base = re.sub(r"\W", "_", name)
    if not base or base[0].isdigit() or base.startswith("_"):
        base = "c_" + base.lstrip("_")
    # Leave SQLObject's own attribute names alone.
    if base in {"id", "sqlmeta", "set", "get", "select", "delete", "destroySelf", "sync", "expire"}:
        base = "c_" + base
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    used.add(candidate)
    return candidate


def build_model(table: Table, connection, registry: str, dialect: Dialect):
    """Return an SQLObject class for *table*, or None when it cannot be mapped (SQLObject maps tables
    with a single-column key only; rowdesk's own writes do not go through these classes)."""
    if table.read_only_reason is not None or len(table.primary_key) != 1:
        return None
    pk_name = table.primary_key[0]
    pk_col = table.column(pk_name)
    meta = type("sqlmeta", (), {
        # SQLObject puts names into SQL as given: quoted, a space, a quote, a
        # keyword ("order") or a capital letter cannot break its statements.
        "table": dialect.table(table.schema, table.name),
        "idName": dialect.quote(pk_name),
        "idType": int if pk_col.kind == "int" else str,
        "registry": registry,
        "fromDatabase": False,
        "lazyUpdate": False,
        "cacheValues": False,
    })
    attrs: dict = {"sqlmeta": meta, "_connection": connection}
    used: set[str] = set()
    for col in table.columns:
        if col.name == pk_name:
            continue
        attrs[_attr_name(col.name, used)] = sqlobject_column(col, dialect)
    # "order-items" and "order_items" give the same class name, and the registry
    # refuses a second class of one name: number the later ones.
    base = class_name = "T_" + re.sub(r"\W", "_", table.name)
    taken = classregistry.registry(registry).classes
    n = 2
    while class_name in taken:
        class_name, n = f"{base}_{n}", n + 1
    return type(class_name, (so.SQLObject,), attrs)
