"""The few ways SQL differs between the databases rowdesk reads."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str
    quote_char: str
    paramstyle: str              # "qmark" or "format"
    row_values_indexed: bool     # does the planner use an index for (a, b) > (x, y)?
    nulls_first_ascending: bool  # where ORDER BY col ASC puts NULLs
    # Paging views (storage.paging), where every column is the tie-break:
    bare_prefix: str = ""          # makes a column's value compare as ORDER BY orders it (no type affinity)
    exact_collation: str = ""      # a collation under which only identical values tie
    dynamic_types: bool = False    # a column may hold values of several types (1 and 1.0 side by side)
    text_type: str = "TEXT"        # what CAST(x AS …) turns any value into text with

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def table(self, schema: str | None, name: str) -> str:
        """A table's name in SQL: schema-qualified where the table has a schema."""
        return self.quote(name) if schema is None else f"{self.quote(schema)}.{self.quote(name)}"

    # -- how paging selects, orders, ties and binds one column (storage.paging) ------------------------------------
    def value_sql(self, col, q: str) -> str:
        """What to SELECT for column *col* (quoted *q*): its stored value, exactly."""
        if self.name == "mysql" and col.declared.lower().startswith("float"):
            return f"CAST({q} AS DOUBLE)"      # MySQL's text of a FLOAT has 6 digits: 123456792 is sent as 1.23457e8
        return self.order_sql(col, q)

    def order_sql(self, col, q: str) -> str:
        """Column *col* (quoted *q*) as it is sorted and compared with a value read by value_sql."""
        if self.name == "mysql" and col.kind == "spatial":
            return f"ST_AsText({q})"           # the bytes a driver gets are MySQL's internal format, not WKB
        return q

    def exact_sql(self, col, sql: str) -> str:
        """*sql* (the column's value) as a tie-break on which only identical values tie."""
        if self.name == "mysql" and col.kind in ("text", "json") and not mysql_members(col.declared):
            return f"CAST(CONVERT({sql} USING utf8mb4) AS BINARY)"     # _ci, PAD SPACE, any character set
        if self.name == "mysql" and col.kind == "spatial":
            return f"CAST({self.order_sql(col, sql)} AS BINARY)"
        if self.name == "postgres" and _pg_collatable(col.declared):
            return f'{sql} COLLATE "C"'        # a nondeterministic (ICU) collation ties 'a' and 'A'
        return sql + self.exact_collation

    def bind(self, col, value):
        """A fetched value of *col*, as a parameter compared with order_sql / exact_sql of it."""
        if self.name != "mysql" or value is None:
            return value
        if isinstance(value, bytes) and col.declared.lower().startswith("bit"):
            return int.from_bytes(value, "big")   # BIT compares with a number, not with bytes
        members = mysql_members(col.declared)
        if members is not None and isinstance(value, str):
            # ORDER BY sorts ENUM and SET by their number; compared with text they compare as text: bind
            # the number (an ENUM's position in its list, a SET's bits; '' is 0).
            if col.declared.lower().startswith("enum("):
                return members.index(value) + 1 if value in members else 0
            return sum(1 << members.index(m) for m in value.split(",") if m in members)
        return value

    def operand_sql(self, col) -> str:
        """The placeholder for an operator's value (storage.filters) compared with column *col*: cast where the
        driver binds the Python value as another type than the column's."""
        if self.name == "postgres" and col.kind == "float" and col.declared.strip().lower() == "real":
            return "CAST(? AS real)"      # bound as a double, 0.1 would not equal the real 0.1 the grid shows
        if self.name == "mysql" and col.kind == "time":
            # bound as show_duration's text: PyMySQL writes a negative timedelta wrong (-838:59:59 as -839:00:01)
            return "CAST(? AS TIME(6))"
        return "?"

    def placeholders(self, sql: str) -> str:
        """Queries are written with `?`; drivers with the format paramstyle want `%s`."""
        if self.paramstyle == "qmark":
            return sql
        return sql.replace("%", "%%").replace("?", "%s")


_PG_TEXT = re.compile(r"(text|character varying|varchar|character|char|bpchar|name|citext)\b", re.IGNORECASE)


def _pg_collatable(declared: str) -> bool:
    """A PostgreSQL text type, which takes a COLLATE (enums, uuids and the like refuse one)."""
    return _PG_TEXT.match(declared.strip()) is not None and not declared.strip().endswith("[]")


_MEMBER = re.compile(r"'((?:[^']|'')*)'")


def mysql_members(declared: str) -> list[str] | None:
    """The members of an ENUM(...) or SET(...) type as declared, else None."""
    if not declared.lower().startswith(("enum(", "set(")):
        return None
    return [m.replace("''", "'") for m in _MEMBER.findall(declared)]


# Unary + drops SQLite's affinity conversion of the bound value (text '12' against an INTEGER column would
# compare as 12, which ORDER BY puts before all text); BINARY: a NOCASE column would tie 'a' and 'A'.
SQLITE = Dialect("sqlite", '"', "qmark", row_values_indexed=True, nulls_first_ascending=True,
                 bare_prefix="+", exact_collation=" COLLATE BINARY", dynamic_types=True)
POSTGRES = Dialect("postgres", '"', "format", row_values_indexed=True, nulls_first_ascending=False)
# MariaDB never uses an index for row-value comparisons: see PITFALLS.md.
MYSQL = Dialect("mysql", "`", "format", row_values_indexed=False, nulls_first_ascending=True, text_type="CHAR")
