"""The data of the server screenshots, made on the servers of this machine (DEVELOPERS.md), and the steps
of those shots. Only the database `rowdesk_shots` is created and dropped on each server (and, on MariaDB,
the user `rowdesk_shot`, for the password prompt): nothing else is touched.

PostgreSQL: two schemas (`shop`, the URI's, and `audit`), a table with uuid, jsonb, an array, timestamptz,
interval, numeric, inet and an enum. MariaDB: tinyint(1) booleans, unsigned integers, ENUM, SET, YEAR, JSON,
a BLOB and a POINT.
"""

from __future__ import annotations

import datetime as dt

DATABASE = "rowdesk_shots"
PG_ADMIN = dict(host="127.0.0.1", port=5432, user="postgres", dbname="test")
MYSQL_ADMIN = dict(host="127.0.0.1", port=3306, user="root", password="")
SHOT_USER = "rowdesk_shot"
SHOT_PASSWORD = "shot-" + "a1b2c3"          # typed at the prompt: the shot shows it masked, never the text
PG_URI = f"postgres://postgres@127.0.0.1:5432/{DATABASE}?schema=shop"
MYSQL_URI = f"mysql://root@127.0.0.1:3306/{DATABASE}"
PROMPT_URI = f"mysql://{SHOT_USER}@127.0.0.1:3306/{DATABASE}"

PG_SCRIPT = """
CREATE SCHEMA shop;
CREATE SCHEMA audit;
CREATE TYPE shop.order_state AS ENUM ('new', 'paid', 'shipped', 'returned');
CREATE TABLE shop.orders (
    order_id   uuid PRIMARY KEY,
    state      shop.order_state NOT NULL,
    placed_at  timestamptz NOT NULL,
    tags       text[],
    lines      jsonb,
    total      numeric(14,4),
    paid_after interval,
    client_ip  inet
);
CREATE TABLE shop.customers (customer_id bigint PRIMARY KEY, name text NOT NULL, city text);
CREATE VIEW shop.open_orders AS SELECT order_id, state, placed_at FROM shop.orders WHERE state <> 'returned';
CREATE TABLE audit.events (event_id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), what text);
"""

STATES = ("new", "paid", "shipped", "returned")
TAGS = (["gift"], ["express", "fragile"], None, ["b2b"], [])
CITIES = ("Kraków", "Zürich", "São Paulo", "Oslo", None)


def _pg_rows(n: int = 60):
    import json
    import uuid
    base = dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC)
    for i in range(1, n + 1):
        lines = [{"sku": f"LMP-{i:03}", "qty": 1 + i % 3, "price": f"{9.5 + i:.2f}"}]
        if i % 4 == 0:
            lines.append({"sku": "KTL-117", "qty": 1, "note": "gift wrap — “für Oma”"})
        yield (uuid.UUID(int=(i * 0x9E3779B97F4A7C15) % (1 << 128)), STATES[i % 4],
               base + dt.timedelta(hours=7 * i, minutes=13 * i), TAGS[i % 5], json.dumps(lines),
               f"{19.5 * i + 0.0125:.4f}", dt.timedelta(days=i % 3, hours=i % 24, minutes=5) if i % 3 else None,
               f"10.{i % 4}.{i}.{(i * 7) % 255}")


def make_postgres() -> None:
    import psycopg
    with psycopg.connect(**PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    with psycopg.connect(**{**PG_ADMIN, "dbname": DATABASE}, autocommit=True) as conn:
        conn.execute(PG_SCRIPT)
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO shop.orders VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", list(_pg_rows()))
            cur.executemany("INSERT INTO shop.customers VALUES (%s, %s, %s)",
                            [(i, f"Customer {i}", CITIES[i % 5]) for i in range(1, 41)])
            cur.executemany("INSERT INTO audit.events (at, what) VALUES (%s, %s)",
                            [(dt.datetime(2026, 4, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i),
                              f"login {i}") for i in range(1, 26)])
        conn.execute("ANALYZE")


MYSQL_SCRIPT = """
CREATE TABLE products (
    product_id  INT UNSIGNED PRIMARY KEY,
    name        VARCHAR(60) NOT NULL,
    in_stock    TINYINT(1) NOT NULL,
    stock       BIGINT UNSIGNED,
    size        ENUM('S', 'M', 'L', 'XL'),
    colours     SET('red', 'green', 'blue'),
    since       YEAR,
    attributes  JSON,
    photo       BLOB,
    warehouse   POINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE suppliers (supplier_id INT PRIMARY KEY, name VARCHAR(60)) ENGINE=InnoDB;
"""


def make_mysql() -> None:
    import pymysql
    conn = pymysql.connect(**MYSQL_ADMIN, autocommit=True, charset="utf8mb4")
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            cur.execute(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4")
            cur.execute(f"USE {DATABASE}")
            for statement in filter(str.strip, MYSQL_SCRIPT.split(";")):
                cur.execute(statement)
            names = ("Desk lamp", "Kettle", "Łódź mug", "Standing desk", "Cable tidy", "Zürich map")
            for i in range(1, 41):
                cur.execute("INSERT INTO products VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, "
                            "ST_GeomFromText(%s))",
                            (i, f"{names[i % 6]} {i}", i % 3 != 0, (2**64 - 1) if i == 7 else i * 37 % 500,
                             ("S", "M", "L", "XL", None)[i % 5], ("red,blue", "green", "", "red,green,blue")[i % 4],
                             2001 + i % 25, f'{{"watts": {i * 5}, "eco": {"true" if i % 2 else "false"}}}',
                             bytes(range(i, i + 48)) if i % 4 else None, f"POINT({19.9 + i / 100} {50.06})"))
            cur.executemany("INSERT INTO suppliers VALUES (%s, %s)", [(i, f"Supplier {i}") for i in range(1, 9)])
            cur.execute("ANALYZE TABLE products, suppliers")
            for host in ("%", "localhost"):
                cur.execute(f"DROP USER IF EXISTS '{SHOT_USER}'@'{host}'")
                cur.execute(f"CREATE USER '{SHOT_USER}'@'{host.replace('%', '%%')}' IDENTIFIED BY %s",
                            (SHOT_PASSWORD,))
                cur.execute(f"GRANT SELECT ON {DATABASE}.* TO '{SHOT_USER}'@'{host}'")
    finally:
        conn.close()


def drop_all() -> None:
    try:
        import psycopg
        with psycopg.connect(**PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    except Exception:
        pass
    try:
        import pymysql
        conn = pymysql.connect(**MYSQL_ADMIN, autocommit=True)
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            for host in ("%", "localhost"):
                cur.execute(f"DROP USER IF EXISTS '{SHOT_USER}'@'{host}'")
        conn.close()
    except Exception:
        pass


def kill_sessions_of_database() -> int:
    """End every MariaDB session on the shots' database, as an operator's KILL or a restart would."""
    import pymysql
    conn = pymysql.connect(**MYSQL_ADMIN, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> CONNECTION_ID()",
                        (DATABASE,))
            ids = [row[0] for row in cur.fetchall()]
            for i in ids:
                cur.execute(f"KILL {int(i)}")
        return len(ids)
    finally:
        conn.close()


# -- the steps ---------------------------------------------------------------------------------------------------
def pg_tables(t, ctx) -> None:
    t.wait_for(r"audit\.events\s*│table│\s*25", timeout=ctx.get("first_timeout", 20))


def pg_orders(t, ctx) -> None:
    pg_tables(t, ctx)
    t.press("j", "j", "enter")                   # customers, open_orders, orders
    t.wait_for(r"shop\.orders · row 1 of 60")


def pg_orders_sorted(t, ctx) -> None:
    pg_orders(t, ctx)
    t.press("l", "l")
    t.wait_for(r"col 3/8")
    t.press("s")
    t.wait_for(r"sort placed_at ▲")


def pg_record(t, ctx) -> None:
    pg_orders(t, ctx)
    t.press("j", "j", "j", "enter")
    t.wait_for(r"record · shop\.orders")


def mysql_products(t, ctx) -> None:
    t.wait_for(r"products\s*│table│\s*~?40", timeout=ctx.get("first_timeout", 20))
    t.press("enter")
    t.wait_for(r"products · row 1 of 40")


def mysql_record(t, ctx) -> None:
    mysql_products(t, ctx)
    t.press("j", "j", "j", "j", "j", "j", "enter")
    t.wait_for(r"record · products · row 7")


def password_prompt(t, ctx) -> None:
    t.wait_for(rf"password for {SHOT_USER}@127\.0\.0\.1:$")
    t.press("wrong", "enter")
    t.wait_for(r"\(again\):$")
    t.press(*SHOT_PASSWORD[:4])                 # half typed: nothing of it is echoed


def reconnected(t, ctx) -> None:
    mysql_products(t, ctx)
    t.press("page down")
    t.wait_for(r"products · row \d+ of 40")
    t.settle(0.5)
    if not kill_sessions_of_database():
        raise RuntimeError("no session of rowdesk to end on the server")
    t.press("l", "s")                            # a sort: a read, which finds its connection gone
    t.wait_for(r"connected again")
