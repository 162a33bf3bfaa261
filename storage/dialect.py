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
    # True when the case of non-ASCII letters is ignored by LIKE too: said in help text.
    like_case_insensitive: bool = True

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def placeholders(self, sql: str) -> str:
        """Queries are written with `?`; drivers with the format paramstyle want `%s`."""
        if self.paramstyle == "qmark":
            return sql
        return sql.replace("%", "%%").replace("?", "%s")


# SQLite's LIKE folds the case of ASCII letters only ("ça" does not match "Ça").
SQLITE = Dialect("sqlite", '"', "qmark", row_values_indexed=True, nulls_first_ascending=True,
                 like_case_insensitive=False)
POSTGRES = Dialect("postgres", '"', "format", row_values_indexed=True, nulls_first_ascending=False)
# MariaDB never uses an index for row-value comparisons: see PITFALLS.md.
MYSQL = Dialect("mysql", "`", "format", row_values_indexed=False, nulls_first_ascending=True)
