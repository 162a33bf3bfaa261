"""One data set, made the same way on SQLite, PostgreSQL and MariaDB, for the whole-app tests that run on each
engine (tests/test_app_engines.py), and the server's own view of rowdesk's sessions.

The data set is what an operator's database looks like: CamelCase names, a table keyed by two columns
("OrderLine": 3,000 rows, enough to page), NULLs in the columns one sorts by, non-ASCII text, a numeric with
more digits than a float holds, dates and timestamps (timestamptz on PostgreSQL), booleans, JSON, bytes,
a long text, a keyless table ("AuditLog"), a view ("BigOrders") and a view that takes its time
("SlowReport"). Every row comes from the functions below, so that a test computes what it expects to see.

Each engine's copy is made once per test module, in a namespace of its own (a PostgreSQL schema in
database `test`, a MariaDB database, a SQLite file), and dropped afterwards. Under CI=true a server that
does not answer fails the tests (tests.servers.require), never skips them.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import sqlite3
import time
from dataclasses import dataclass, field

from tests.servers import MY, PG, require, unique

ENGINES = ("sqlite", "postgres", "mysql")
SERVERS = ("postgres", "mysql")

ROWS = 3000
CUSTOMERS = ("Zoë Ærøskøbing", "渡辺 健", "Łukasz Żółć", "Ana Núñez", "ŁUKASZ NOWAK")
CITIES = (None, "Kraków", "Lisbon", "Zürich")
# More digits than a float holds: shown as stored on the servers (SQLite itself stores a REAL).
BIG_PRICE = decimal.Decimal("12345678901234.567891")
LONG_NOTE = "\n".join(f"line {i} of the long note" for i in range(1, 2001))
ATTACHMENT = bytes(range(256)) * 16
SLEEP = 30          # seconds the slow view's statement would take on a server
AUDIT = 40


def order_id(n: int) -> int:
    return (n + 2) // 3


def line_no(n: int) -> int:
    return (n - 1) % 3 + 1


def customer(n: int) -> str:
    return f"{CUSTOMERS[n % 5]} {n}"


def city(n: int) -> str | None:
    return CITIES[n % 4]


def quantity(n: int) -> int | None:
    return None if n % 10 == 0 else n * 7 % 50 + 1


def unit_price(n: int) -> decimal.Decimal:
    return BIG_PRICE if n == 1 else (decimal.Decimal(n) / 8).quantize(decimal.Decimal("0.000001"))


def ordered_on(n: int) -> dt.date:
    return dt.date(2020, 1, 1) + dt.timedelta(days=n % 1000)


def placed_at(n: int) -> dt.datetime:
    """A moment in UTC, to the microsecond."""
    return dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=n * 3607, microseconds=n)


def shipped(n: int) -> bool | None:
    return None if n % 11 == 0 else n % 3 == 0


def details(n: int) -> dict:
    return {"sku": f"SKU-{n:05d}", "tags": ["fragile", "express"][:n % 3], "gift": n % 2 == 0, "by": "Zoë"}


def attachment(n: int) -> bytes | None:
    return ATTACHMENT if n == 1 else None if n % 2 else bytes([n % 256, 0, 255])


def note(n: int) -> str | None:
    return LONG_NOTE if n == 2 else None if n % 6 == 0 else f"note {n}"


COLUMNS = ("OrderId", "LineNo", "Customer", "City", "Quantity", "UnitPrice", "OrderedOn", "PlacedAt", "Shipped",
           "Details", "Attachment", "Note")


def row_of(n: int) -> tuple:
    return (order_id(n), line_no(n), customer(n), city(n), quantity(n), unit_price(n), ordered_on(n), placed_at(n),
            shipped(n), details(n), attachment(n), note(n))


def audit_row(i: int) -> tuple:
    """The keyless table: every fifth row the same as the one before (a log written twice)."""
    i -= i % 5 == 0
    return (dt.datetime(2024, 3, 1, 8, 0) + dt.timedelta(minutes=i), ("ops", "Zoë", "渡辺")[i % 3], f"login {i}")


# The SQL types of each column, per engine: the names an operator's schema would use.
TYPES = {
    "sqlite": dict(int="INTEGER", name="TEXT", text="TEXT", price="NUMERIC(20,6)", date="DATE", moment="TIMESTAMP",
                   bool="BOOLEAN", json="JSON", bytes="BLOB", at="DATETIME"),
    "postgres": dict(int="integer", name="varchar(100)", text="text", price="numeric(20,6)", date="date",
                     moment="timestamptz", bool="boolean", json="jsonb", bytes="bytea", at="timestamp"),
    "mysql": dict(int="INT", name="VARCHAR(100)", text="LONGTEXT", price="DECIMAL(20,6)", date="DATE",
                  moment="DATETIME(6)", bool="BOOLEAN", json="JSON", bytes="LONGBLOB", at="DATETIME"),
}


def quote(engine: str, name: str) -> str:
    return f"`{name}`" if engine == "mysql" else f'"{name}"'


def ddl(engine: str) -> list[str]:
    t, q = TYPES[engine], functools.partial(quote, engine)
    slow = {
        # A statement that would run for SLEEP seconds on the server; SQLite counts to 300,000,000.
        "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000) "
                  "SELECT x AS n FROM c ORDER BY x DESC",
        "postgres": f"SELECT g AS n FROM generate_series(1, 3) AS g, LATERAL (SELECT pg_sleep({SLEEP})) AS s",
        "mysql": f"SELECT 1 AS n, SLEEP({SLEEP}) AS slept",
    }[engine]
    return [
        f"CREATE TABLE {q('OrderLine')} ({q('OrderId')} {t['int']} NOT NULL, {q('LineNo')} {t['int']} NOT NULL, "
        f"{q('Customer')} {t['name']} NOT NULL, {q('City')} {t['name']}, {q('Quantity')} {t['int']}, "
        f"{q('UnitPrice')} {t['price']} NOT NULL, {q('OrderedOn')} {t['date']} NOT NULL, "
        f"{q('PlacedAt')} {t['moment']} NOT NULL, {q('Shipped')} {t['bool']}, {q('Details')} {t['json']}, "
        f"{q('Attachment')} {t['bytes']}, {q('Note')} {t['text']}, PRIMARY KEY ({q('OrderId')}, {q('LineNo')}))",
        f"CREATE INDEX {q('OrderLineQuantity')} ON {q('OrderLine')} ({q('Quantity')})",
        f"CREATE TABLE {q('AuditLog')} ({q('At')} {t['at']} NOT NULL, {q('Actor')} {t['name']}, "
        f"{q('Action')} {t['name']})",
        f"CREATE VIEW {q('BigOrders')} AS SELECT {q('OrderId')}, {q('LineNo')}, {q('Customer')}, {q('Quantity')} "
        f"FROM {q('OrderLine')} WHERE {q('Quantity')} >= 45",
        f"CREATE VIEW {q('SlowReport')} AS {slow}",
    ]


def values(engine: str, row: tuple) -> tuple:
    """A row as the engine's driver binds it: SQLite keeps text for dates and times and 0/1 for booleans."""
    out = []
    for v in row:
        if isinstance(v, dict):
            v = json.dumps(v, ensure_ascii=False)
        elif engine != "postgres" and isinstance(v, dt.datetime):
            v = v.astimezone(dt.UTC).replace(tzinfo=None)    # both hold UTC without a zone
            if engine == "sqlite":
                v = v.isoformat(" ")
        elif engine == "sqlite" and isinstance(v, dt.date):
            v = v.isoformat()
        elif engine == "sqlite" and isinstance(v, decimal.Decimal):
            v = str(v)
        elif engine == "sqlite" and isinstance(v, bool):
            v = int(v)
        out.append(v)
    return tuple(out)


def fill(engine: str, execute, executemany) -> None:
    for statement in ddl(engine):
        execute(statement)
    q = functools.partial(quote, engine)
    mark = "?" if engine == "sqlite" else "%s"
    executemany(f"INSERT INTO {q('OrderLine')} VALUES ({', '.join([mark] * len(COLUMNS))})",
                [values(engine, row_of(n)) for n in range(1, ROWS + 1)])
    executemany(f"INSERT INTO {q('AuditLog')} VALUES ({mark}, {mark}, {mark})",
                [values(engine, audit_row(i)) for i in range(1, AUDIT + 1)])


# -- each engine's copy, and the server's view of it ------------------------------------------------------------
@dataclass
class Engine:
    """One engine's copy of the data set: what the app opens (`target`), and the server seen by its operator."""
    name: str
    target: str
    namespace: str | None = None        # the PostgreSQL schema or MariaDB database (None: SQLite)
    admin: object = field(default=None, repr=False)     # an autocommit set-up connection to the server

    @property
    def nulls_first(self) -> bool:
        """Where the engine sorts NULLs in an ascending order (and rowdesk shows them)."""
        return self.name != "postgres"

    def table(self, name: str) -> str:
        """How the tables list and the status line name a table."""
        return f"{self.namespace}.{name}" if self.name == "postgres" else name

    def q(self, name: str) -> str:
        return quote(self.name, name)

    def sql(self, statement: str, params=()) -> list[tuple]:
        """Rows of a statement run by the operator's own client (SQLite: on the file)."""
        if self.name == "sqlite":
            conn = sqlite3.connect(self.target)
            try:
                return conn.execute(statement, params).fetchall()
            finally:
                conn.close()
        if self.name == "postgres":
            return self.admin.execute(statement, params or None).fetchall()
        with self.admin.cursor() as cur:
            cur.execute(statement, params or None)
            return list(cur.fetchall())

    # The server's view: rowdesk's sessions, what they run, ending them.
    def sessions(self, db) -> list[int]:
        """The server's ids of the connections in a Database's pool (pids, MariaDB thread ids)."""
        pool = list(db.backend.connection._pool)
        if self.name == "postgres":
            return [raw.info.backend_pid for raw in pool]
        return [raw.thread_id() for raw in pool]

    def running(self, needle: str) -> list[tuple]:
        """(session, statement) of each statement running on the server whose text contains *needle*."""
        if self.name == "postgres":
            return self.sql("SELECT pid, query FROM pg_stat_activity WHERE state = 'active' "
                            "AND pid <> pg_backend_pid() AND query LIKE %s", (f"%{needle}%",))
        return self.sql("SELECT ID, INFO FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
                        "AND COMMAND = 'Query' AND INFO LIKE %s", (f"%{needle}%",))

    def alive(self, ids: list[int]) -> list[int]:
        if not ids:
            return []
        if self.name == "postgres":
            rows = self.sql("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", (ids,))
        else:
            rows = self.sql("SELECT ID FROM information_schema.PROCESSLIST WHERE ID IN "
                            f"({', '.join(str(int(i)) for i in ids)})")
        return [r[0] for r in rows]

    def kill(self, ids: list[int]) -> None:
        """End these sessions from the server side, as an operator's kill or a server restart would; return
        once the server no longer lists them."""
        for i in ids:
            if self.name == "postgres":
                self.sql("SELECT pg_terminate_backend(%s)", (i,))
            else:
                self.sql(f"KILL CONNECTION {int(i)}")
        deadline = time.monotonic() + 5
        while self.alive(ids):
            assert time.monotonic() < deadline, f"sessions {self.alive(ids)} still there 5 s after the kill"
            time.sleep(0.01)


def make_sqlite(directory) -> Engine:
    path = directory / "orders.db"
    conn = sqlite3.connect(path)
    fill("sqlite", conn.execute, conn.executemany)
    conn.commit()
    conn.close()
    return Engine("sqlite", str(path))


def make_postgres():
    """A generator: yields the Engine, drops its schema when resumed."""
    require("PostgreSQL", PG["port"], "psycopg")
    import psycopg

    schema = unique("rowdesk_App")             # CamelCase: quoted everywhere, or it is not found
    conn = psycopg.connect(**PG, autocommit=True)
    try:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
        with conn.transaction(), conn.cursor() as cur:
            fill("postgres", cur.execute, cur.executemany)
        yield Engine("postgres", f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{PG['dbname']}?schema={schema}",
                     schema, conn)
    finally:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()


def make_mysql():
    """A generator: yields the Engine, drops its database when resumed."""
    require("MariaDB", MY["port"], "pymysql")
    import pymysql

    name = unique("rowdesk_App")
    conn = pymysql.connect(**MY, autocommit=True, charset="utf8mb4")
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            cur.execute(f"USE `{name}`")
            fill("mysql", cur.execute, cur.executemany)
        yield Engine("mysql", f"mysql://{MY['user']}@{MY['host']}:{MY['port']}/{name}", name, conn)
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def made(name: str, tmp_path_factory):
    """The data set on engine *name*, for a module-scoped fixture: yields it, drops it afterwards."""
    if name == "sqlite":
        yield make_sqlite(tmp_path_factory.mktemp("engines"))
        return
    server = make_postgres() if name == "postgres" else make_mysql()
    yield next(server)
    server.close()
