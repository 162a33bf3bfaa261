"""The demo database: a small shop, created by rowdesk on first run, and at any
size for benchmarks (`rowdesk demo --rows 10000000 PATH`).

Rows are generated inside SQLite by recursive CTEs from a deterministic hash
of the row number, so a million rows take seconds and every run produces the
same data (tests rely on it).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

FIRST = ["Lara", "Noah", "Zoë", "José", "Amélie", "Łukasz", "Mia", "Omar", "Ingrid", "Kenji", "Aisha", "Björn",
         "Chloé", "Dmitri", "Eva", "Farah", "Giulia", "Hamid", "Inès", "Jonas", "Keiko", "Liam", "Maëlle", "Nikos",
         "Olga", "Pablo", "Quinn", "Rosa", "Søren", "Tariq", "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zara",
         "渡辺", "Ana", "Ben", "Cem"]
LAST = ["Kim", "Müller", "García", "Nowak", "Dubois", "Rossi", "Jensen", "Novák", "Silva", "Yılmaz", "Okafor",
        "Smith", "Tanaka", "Ivanova", "O'Brien", "Van Dijk", "Ødegaard", "Popescu", "Haddad", "Chen", "Kowalski",
        "Schmidt", "Moreau", "Costa", "Berg", "Lindqvist", "Andersen", "Papadopoulos", "Nagy", "Fischer"]
CITIES = [("Lisbon", "PT"), ("Kraków", "PL"), ("Zürich", "CH"), ("Malmö", "SE"), ("São Paulo", "BR"),
          ("Reykjavík", "IS"), ("Osaka", "JP"), ("Lyon", "FR"), ("Toronto", "CA"), ("Århus", "DK"),
          ("Austin", "US"), ("Nairobi", "KE"), ("Málaga", "ES"), ("Düsseldorf", "DE"), ("Tallinn", "EE")]
CATEGORIES = ["Tools", "Garden", "Kitchen", "Lighting", "Office", "Outdoor", "Storage", "Textiles", "Toys",
              "Électronique", "Bath", "Paint"]
ADJ = ["Compact", "Heavy-duty", "Foldable", "Cordless", "Ergonomic", "Vintage", "Smart", "Eco", "Deluxe", "Mini"]
NOUN = ["drill", "lamp", "kettle", "chair", "shelf", "rake", "blanket", "router", "bucket", "stool", "clock", "mug"]
STATUSES = ["new", "paid", "shipped", "delivered", "cancelled", "returned"]
LOREM = ("Customer asked for delivery after 6pm; ring twice. The parcel was left with a neighbour last time, "
         "which caused a complaint — please call ahead. Invoice must show the VAT number. ")

SCHEMA = """
CREATE TABLE categories (
    category_id INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES categories(category_id)
);
CREATE TABLE customers (
    id           INTEGER PRIMARY KEY,
    first_name   VARCHAR(40) NOT NULL,
    last_name    VARCHAR(60) NOT NULL,
    email        VARCHAR(120) NOT NULL UNIQUE,
    city         TEXT,
    country      CHAR(2) NOT NULL,
    signup_date  DATE NOT NULL,
    vip          BOOLEAN NOT NULL DEFAULT 0,
    credit_limit NUMERIC(10, 2),
    last_login   DATETIME,
    notes        TEXT
);
CREATE TABLE products (
    product_id   INTEGER PRIMARY KEY,
    sku          VARCHAR(16) NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    category_id  INTEGER NOT NULL REFERENCES categories(category_id),
    price        DECIMAL(10, 2) NOT NULL,
    weight_kg    REAL,
    discontinued BOOLEAN NOT NULL DEFAULT 0,
    description  TEXT
);
CREATE TABLE orders (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    status       TEXT NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'delivered', 'cancelled', 'returned')),
    placed_at    TIMESTAMP NOT NULL,
    shipped_on   DATE,
    total        NUMERIC(12, 2) NOT NULL,
    paid         BOOLEAN NOT NULL,
    note         TEXT
);
CREATE TABLE order_lines (
    order_id     INTEGER NOT NULL REFERENCES orders(id),
    line_no      INTEGER NOT NULL,
    product_id   INTEGER NOT NULL REFERENCES products(product_id),
    quantity     INTEGER NOT NULL,
    unit_price   DECIMAL(10, 2) NOT NULL,
    discount     REAL,
    PRIMARY KEY (order_id, line_no)
);
CREATE VIEW vip_customers AS
    SELECT id, first_name, last_name, email, country, credit_limit FROM customers WHERE vip;
"""

INDEXES = """
CREATE INDEX customers_last_name ON customers(last_name);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_placed_at ON orders(placed_at);
CREATE INDEX orders_status ON orders(status);
CREATE INDEX order_lines_product ON order_lines(product_id);
"""

# h(n, salt): a cheap deterministic scramble of the row number, 0 <= h < 2**31
# (a multiplicative hash, squared once so that neighbouring rows differ).
H = "(((({n}) * 2654435761 + {salt} * 40503) % 2147483647) * ((({n}) * 40503 + {salt}) % 2147483647) % 2147483629)"


def _h(n: str, salt: int) -> str:
    return H.format(n=n, salt=salt)


def _words(conn, name: str, words: list[str]) -> None:
    conn.execute(f"CREATE TEMP TABLE {name} (i INTEGER PRIMARY KEY, w TEXT)")
    conn.executemany(f"INSERT INTO {name} VALUES (?, ?)", list(enumerate(words)))


def _pick(table: str, size: int, n: str, salt: int) -> str:
    return f"(SELECT w FROM {table} WHERE i = {_h(n, salt)} % {size})"


def sizes(rows: int) -> dict[str, int]:
    """Table sizes for a demo whose largest table (orders) has *rows* rows."""
    return {
        "categories": len(CATEGORIES),
        "customers": max(50, min(rows // 6, 200_000)),
        "products": max(20, min(rows // 25, 5_000)),
        "orders": rows,
        "order_lines": rows if rows > 100_000 else rows * 5 // 2,
    }


def create_demo(path: Path, rows: int = 3000, *, progress=None) -> dict[str, int]:
    """Create the demo database at *path* (which must not exist); return the table sizes."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists; rowdesk will not overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    n = sizes(rows)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        # Nothing to protect while the file is being built: go fast, then switch to WAL.
        conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536;")
        conn.executescript(SCHEMA)
        for name, words in (("w_first", FIRST), ("w_last", LAST), ("w_adj", ADJ), ("w_noun", NOUN),
                            ("w_status", STATUSES), ("w_cat", CATEGORIES)):
            _words(conn, name, words)
        conn.execute("CREATE TEMP TABLE w_city (i INTEGER PRIMARY KEY, w TEXT, c TEXT)")
        conn.executemany("INSERT INTO w_city VALUES (?, ?, ?)", [(i, a, b) for i, (a, b) in enumerate(CITIES)])
        conn.execute("BEGIN")
        _fill(conn, n, progress)
        conn.execute("COMMIT")
        if progress:
            progress("indexes")
        conn.executescript(INDEXES)
        # Full statistics: sampled ones (analysis_limit) told the planner each status matched 1,001 rows
        # instead of 1.7M, and it chose a filesort over the placed_at index (1 s instead of 10 ms).
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    os.replace(tmp, path)
    return n


def _seq(count: int) -> str:
    return f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {int(count)}) "


def _fill(conn, n: dict[str, int], progress) -> None:
    step = progress or (lambda _name: None)
    step("categories")
    conn.execute(
        "INSERT INTO categories (category_id, name, parent_id) "
        "SELECT i + 1, w, CASE WHEN i >= 8 THEN 1 + i % 4 END FROM w_cat"
    )
    step("customers")
    city = f"(SELECT w FROM w_city WHERE i = {_h('n', 5)} % {len(CITIES)})"
    country = f"(SELECT c FROM w_city WHERE i = {_h('n', 5)} % {len(CITIES)})"
    conn.execute(
        _seq(n["customers"]) +
        "INSERT INTO customers SELECT n, "
        f"{_pick('w_first', len(FIRST), 'n', 1)}, {_pick('w_last', len(LAST), 'n', 2)}, "
        f"lower(replace({_pick('w_first', len(FIRST), 'n', 1)}, ' ', '')) || '.' || "
        f"lower(replace(replace({_pick('w_last', len(LAST), 'n', 2)}, ' ', ''), '''', '')) || n || '@example.com', "
        f"CASE WHEN {_h('n', 6)} % 20 = 0 THEN NULL ELSE {city} END, {country}, "
        f"date('2015-01-01', '+' || ({_h('n', 7)} % 3650) || ' days'), "
        f"{_h('n', 8)} % 9 = 0, "
        f"CASE WHEN {_h('n', 9)} % 4 = 0 THEN NULL ELSE ({_h('n', 10)} % 5000000) / 100.0 END, "
        f"CASE WHEN {_h('n', 11)} % 3 = 0 THEN NULL ELSE "
        f"  datetime('2024-01-01', '+' || ({_h('n', 12)} % 31536000) || ' seconds') END, "
        f"CASE WHEN {_h('n', 13)} % 7 = 0 THEN '{LOREM}' || '{LOREM}' ELSE NULL END "
        "FROM seq"
    )
    step("products")
    conn.execute(
        _seq(n["products"]) +
        "INSERT INTO products SELECT n, printf('SKU-%06d', n), "
        f"{_pick('w_adj', len(ADJ), 'n', 21)} || ' ' || {_pick('w_noun', len(NOUN), 'n', 22)} || ' ' || n, "
        f"1 + {_h('n', 23)} % {len(CATEGORIES)}, "
        f"(99 + {_h('n', 24)} % 49900) / 100.0, "
        f"CASE WHEN {_h('n', 25)} % 10 = 0 THEN NULL ELSE ({_h('n', 26)} % 25000) / 1000.0 END, "
        f"{_h('n', 27)} % 12 = 0, "
        f"CASE WHEN {_h('n', 28)} % 2 = 0 THEN 'Made of recycled steel. ' || '{LOREM}' ELSE NULL END "
        "FROM seq"
    )
    step("orders")
    conn.execute(
        _seq(n["orders"]) +
        "INSERT INTO orders SELECT n, "
        f"1 + {_h('n', 31)} % {n['customers']}, "
        "CASE " + _h('n', 32) + " % 6 " + " ".join(f"WHEN {i} THEN '{w}'" for i, w in enumerate(STATUSES)) + " END, "
        f"datetime('2019-01-01', '+' || ({_h('n', 33)} % 220000000) || ' seconds'), "
        # Shipped (or delivered, returned) orders ship 1-20 days after they were placed; others have no date.
        f"CASE WHEN {_h('n', 32)} % 6 IN (2, 3, 5) THEN date('2019-01-01', "
        f"'+' || ({_h('n', 33)} % 220000000) || ' seconds', '+' || (1 + {_h('n', 35)} % 20) || ' days') END, "
        f"({_h('n', 36)} % 10000000) / 100.0, "
        f"{_h('n', 37)} % 5 <> 0, "
        f"CASE WHEN {_h('n', 38)} % 11 = 0 THEN 'Gift wrap, please — “Für Oma” ✓' ELSE NULL END "
        "FROM seq"
    )
    step("order_lines")
    lines, orders = n["order_lines"], n["orders"]
    # Line k belongs to order 1 + (k-1) * orders / lines, numbered within its order.
    conn.execute(
        _seq(lines) +
        ", placed(n, o) AS (SELECT n, 1 + ((n - 1) * " + str(orders) + ") / " + str(lines) + " FROM seq) "
        "INSERT INTO order_lines SELECT o, "
        f"n - ((o - 1) * {lines} + {orders} - 1) / {orders}, "
        f"1 + {_h('n', 41)} % {n['products']}, 1 + {_h('n', 42)} % 9, "
        f"(99 + {_h('n', 43)} % 49900) / 100.0, "
        f"CASE WHEN {_h('n', 44)} % 4 = 0 THEN ({_h('n', 45)} % 30) / 100.0 END "
        "FROM placed"
    )
