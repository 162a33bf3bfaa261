"""The SQLite backend: SQLObject's SQLite connection opened the way an admin tool must open someone else's
file, SQLite's catalogue and PRAGMAs, its interrupt, its locks.

- one connection per thread (SQLObject's own scheme), never a shared `:memory:`;
- `--read-only` uses `mode=ro`, so even a bug cannot write; `immutable=1` where
  the file cannot change (asked for, or a WAL database in a directory that
  cannot hold its -wal/-shm files): no locks, nothing created beside the file;
- foreign keys on and a short busy timeout in every new connection: a file
  locked by another process is waited for by `retry_while_locked`, which a
  cancel can stop at once (SQLite's own busy handler cannot be interrupted);
- WAL only where the file already uses it (WAL is persistent and breaks on
  network file systems); the demo database that rowdesk creates is WAL;
- every new connection checks that the path still names the file that was
  checked at open: a thread never reads a file that replaced it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from sqlobject.sqlite.sqliteconnection import SQLiteConnection

from storage.backends.base import Backend, ErrorKind
from storage.backends.sqlite_files import (
    BUSY_TIMEOUT_MS,
    FileLocked,
    FileReplaced,
    connect_uri,
    file_change,
    is_locked,
    retry_while_locked,
)
from storage.dialect import SQLITE
from storage.filters import add_sqlite_functions
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
from storage.types import sqlite_kind

# Below this many rows an exact count is cheap enough to run at once.
CHEAP_COUNT = 200_000


class RowdeskSQLiteConnection(SQLiteConnection):
    def __init__(self, path: Path, *, read_only: bool = False, immutable: bool = False,
                 identity: tuple[int, int] | None = None):
        self.read_only = read_only or immutable
        self.immutable = immutable
        self.path = Path(path)
        self.identity = identity          # (st_dev, st_ino) of the file checked at open, if known
        super().__init__(str(self.path), autoCommit=1)

    def makeConnection(self):
        conn = sqlite3.connect(
            connect_uri(self.path, read_only=self.read_only, immutable=self.immutable),
            uri=True,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
            # SQLObject hands each thread its own connection; a connection may
            # still be closed from another thread at shutdown.
            check_same_thread=False,
        )
        try:
            change = file_change(self.path, self.identity) if self.identity is not None else None
            if change is not None:
                raise FileReplaced(change)
            conn.text_factory = str
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            add_sqlite_functions(conn)           # the filters' SQL functions (contains as the grid shows it)
        except BaseException:
            conn.close()
            raise
        return conn


def journal_mode(path: Path) -> str:
    conn = sqlite3.connect(connect_uri(path, read_only=True), uri=True)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


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
    names = _table_names(raw)
    listed = []
    for row in raw.execute(f"PRAGMA foreign_key_list({q})").fetchall():
        # id, seq, table, from, to, on_update, on_delete, match
        # "to" is NULL for "REFERENCES parent" without a column: the parent's primary key.
        target = names.get(row[2].lower(), row[2])       # as written in the DDL: the table's own spelling
        to = row[4] if row[4] is not None else _primary_key_column(raw, target, row[1])
        fks[row[3]] = (target, to)
        listed.append((row[0], row[3], target, to))
    indexed = _leading_index_columns(raw, q)
    columns = []
    pk = []
    for _cid, cname, ctype, notnull, default, pkpos, hidden in info:
        if hidden == 1:
            continue
        if pkpos:
            pk.append((pkpos, cname))
        columns.append(Column(
            name=cname, declared=ctype or "", kind=sqlite_kind(ctype or ""), nullable=not notnull and not pkpos,
            default=default, pk_position=pkpos, references=fks.get(cname),
            indexed=cname in indexed or pkpos == 1,
            enforced=strict and (ctype or "").upper() != "ANY",     # STRICT allows ANY: any value, as given
            generated=hidden in (2, 3),                              # GENERATED ALWAYS AS, virtual or stored
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
        identity = RowIdentity(primary_key) if int_pk else RowIdentity(primary_key, rowid)
        if int_pk:                                   # an alias of the rowid: numbered by SQLite on insert
            columns = [replace(c, autoincrement=True) if c.name == primary_key[0] else c for c in columns]
    else:
        identity = RowIdentity(primary_key)       # WITHOUT ROWID: its key; a view: none
    return Table(
        name=name, type=kind, columns=tuple(columns), primary_key=primary_key, identity=identity,
        read_only_reason=write_refusal(kind, identity),
        foreign_keys=references_by_constraint(listed, name),
    )


def _table_names(raw) -> dict[str, str]:
    """Every table's name by its lowered spelling: SQLite matches a foreign key's table ignoring case."""
    return {n.lower(): n for (n,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def sqlite_referencing(raw, table: Table) -> list[Reference]:
    """The foreign keys of every table that point at *table* (one query over every table's foreign keys)."""
    found = raw.execute(
        'SELECT m.name, f.id, f."from", f."to", f.seq FROM sqlite_master m, pragma_foreign_key_list(m.name) f '
        "WHERE m.type = 'table' AND lower(f.\"table\") = lower(?) ORDER BY m.name, f.id, f.seq",
        (table.name,)).fetchall()
    by_table: dict[str, list] = {}
    for child, fk_id, column, to, seq in found:
        target = to if to is not None else (table.primary_key[seq] if seq < len(table.primary_key) else None)
        by_table.setdefault(child, []).append((fk_id, column, table.name, target))
    return [ref for child, rows in by_table.items() for ref in references_by_constraint(rows, child)]


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


# SQLite's constraint messages, as the operator is told them ({named}: what SQLite names after the colon).
_PLAIN = {
    "UNIQUE constraint failed:": "{named} must be unique: another row already holds this value",
    "NOT NULL constraint failed:": "{named} cannot be empty (NULL): it needs a value",
    "CHECK constraint failed:": "the table's check refused the value ({named})",
    "FOREIGN KEY constraint failed": "a foreign key refused it (other rows refer to this one, or a key refers to a "
                                     "missing row)",
    "PRIMARY KEY must be unique": "the key must be unique: another row already has it",
}


class SQLiteBackend(Backend):
    name = "sqlite"
    dialect = SQLITE
    lock_clause = ""                      # BEGIN IMMEDIATE has taken the database's write lock already

    def begin_write_sql(self) -> list[str]:
        # Reads wait for another process's lock visibly, in short steps (sqlite_files), up to lock_wait; a write
        # waits in SQLite itself (which nothing can interrupt), as on the servers up to Backend.lock_wait, then
        # fails with "database is locked" (LOCK_TIMEOUT): the form stays, and ^S tries again.
        wait = min(self.lock_wait, Backend.lock_wait)
        return [f"PRAGMA busy_timeout = {int(wait * 1000)}", "BEGIN IMMEDIATE"]

    def end_write_sql(self) -> list[str]:
        return [f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"]

    def __init__(self, target, *, lock_wait: float | None = None):
        from storage.targets import LOCK_WAIT

        super().__init__(target)
        self._connection = RowdeskSQLiteConnection(target.path, read_only=target.read_only,
                                                   immutable=target.immutable, identity=target.identity)
        self.lock_wait = LOCK_WAIT if lock_wait is None else lock_wait   # seconds a job waits for a lock

    @property
    def connection(self):
        return self._connection

    # -- connections: SQLObject's, one per thread ------------------------------------------------------------
    def checkout(self):
        return self._connection.getConnection()

    def release(self, raw, *, broken: bool) -> None:
        self._connection.releaseConnection(raw)      # per thread: a broken SQLite connection is a broken file

    def prepare(self, raw, job) -> None:
        # SQLite drops an interrupt() that arrives before a statement starts (nothing runs yet): the
        # progress handler stops a cancelled job anyway.
        raw.set_progress_handler(lambda: job.cancelled, 10_000)

    def unprepare(self, raw) -> None:
        raw.set_progress_handler(None, 0)

    def interrupt(self, raw) -> None:
        raw.interrupt()

    writes_csv = True

    def copy_csv(self, raw, plan, write, progress, *, beside=None) -> int:
        """A view's CSV with the values' text made by SQLite, a large one by several processes at once, one per
        core (storage.backends.sqlite_export)."""
        from storage.backends import sqlite_export

        c = self._connection
        return sqlite_export.copy_csv(raw, (str(c.path), c.immutable, c.identity), plan, write, progress,
                                      beside=beside)

    def classify(self, error: BaseException) -> ErrorKind:
        if isinstance(error, sqlite3.OperationalError) and "interrupt" in str(error):
            return ErrorKind.CANCELLED
        if isinstance(error, FileLocked) or is_locked(error):
            return ErrorKind.LOCK_TIMEOUT
        if isinstance(error, sqlite3.IntegrityError):
            return ErrorKind.CONSTRAINT
        if isinstance(error, sqlite3.OperationalError) and "readonly" in str(error):
            return ErrorKind.READ_ONLY
        return ErrorKind.OTHER

    def describe_error(self, error: BaseException) -> str:
        """SQLite's words for a refusal, made plain; the column it names kept (the form puts it at that field)."""
        text = str(error).strip()
        if is_locked(error):
            return "another process has the file locked"
        for start, words in _PLAIN.items():
            if text.startswith(start):
                named = text[len(start):].strip()
                return words.format(named=named)
        return super().describe_error(error)

    def run(self, job, fn):
        """fn() again while another process holds a lock on the file; the job says it waits, and a cancel
        ends the wait at once (SQLite's own busy wait is kept short, since nothing can interrupt it)."""
        return retry_while_locked(fn, limit=self.lock_wait, on_wait=job.set_waiting, pause=job.sleep)

    def close(self) -> None:
        self._connection.close()

    # -- schema ------------------------------------------------------------------------------------------------
    def catalogue(self, raw) -> list[TableEntry]:
        return [TableEntry(name, kind) for name, kind in sqlite_tables(raw)]

    def describe(self, raw, entry: TableEntry) -> Table:
        return sqlite_table(raw, entry.name, entry.type)

    def referencing(self, raw, table: Table) -> list[Reference]:
        return sqlite_referencing(raw, table)

    def find(self, raw, name: str) -> TableEntry | None:
        """The entry of the table or view *name* (one row, not the whole catalogue)."""
        kind = sqlite_table_type(raw, name)
        return TableEntry(name, kind) if kind is not None else None

    def estimate(self, raw, table: Table) -> RowCount | None:
        """Exact when cheap, else an upper bound from the rowid (instant); None: count it (a view, no rowid)."""
        if table.type == "view":
            return RowCount(None, exact=False)
        rowid = table.identity.hidden or _rowid_primary_key(raw, table)
        if rowid is None:
            return None                  # WITHOUT ROWID: no rowid to bound the count by
        high = raw.execute(f"SELECT max({rowid}) FROM {quote_sqlite(table.name)}").fetchone()[0]
        if high is None:
            return RowCount(0, exact=True)
        return RowCount(high, exact=False) if high > CHEAP_COUNT else None

    # -- the file ------------------------------------------------------------------------------------------------
    def check_file(self) -> str | None:
        return file_change(self.target.path, self.target.identity)

    @property
    def notes(self) -> tuple[str, ...]:
        return self.target.notes


def _rowid_primary_key(raw, table: Table) -> str | None:
    """The INTEGER PRIMARY KEY of a rowid table (which is its rowid), quoted; else None."""
    ident = table.identity
    if ident.hidden is not None or len(ident.columns) != 1 or not _is_integer_pk(list(table.columns), ident.columns[0]):
        return None
    q = quote_sqlite(table.name)
    has_rowid = _rowid_alias(raw, q, set()) is not None
    return quote_sqlite(ident.columns[0]) if has_rowid else None
