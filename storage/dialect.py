"""The few ways SQL differs between the databases rowdesk reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str
    quote_char: str
    paramstyle: str              # "qmark" or "format"
    row_values_indexed: bool     # does the planner use an index for (a, b) > (x, y)?
    nulls_first_ascending: bool  # where ORDER BY col ASC puts NULLs
    # True when the case of non-ASCII letters is ignored by LIKE too (SQLite folds ASCII only).
    like_case_insensitive: bool = True
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

    def placeholders(self, sql: str) -> str:
        """Queries are written with `?`; drivers with the format paramstyle want `%s`."""
        if self.paramstyle == "qmark":
            return sql
        return sql.replace("%", "%%").replace("?", "%s")


# SQLite's LIKE folds the case of ASCII letters only ("ça" does not match "Ça").
# Unary + drops SQLite's affinity conversion of the bound value (text '12' against an INTEGER column would
# compare as 12, which ORDER BY puts before all text); BINARY: a NOCASE column would tie 'a' and 'A'.
SQLITE = Dialect("sqlite", '"', "qmark", row_values_indexed=True, nulls_first_ascending=True,
                 like_case_insensitive=False, bare_prefix="+", exact_collation=" COLLATE BINARY", dynamic_types=True)
POSTGRES = Dialect("postgres", '"', "format", row_values_indexed=True, nulls_first_ascending=False)
# MariaDB never uses an index for row-value comparisons: see PITFALLS.md.
MYSQL = Dialect("mysql", "`", "format", row_values_indexed=False, nulls_first_ascending=True, text_type="CHAR")
