"""SQLite files with "real-world" schemas that were not designed around rowdesk.

Each builder writes one database file with plain `sqlite3` (never through
rowdesk) and returns its path. Content is deterministic (seeded), so tests can
compare against plain SQL over the same file.

- `chinook`: a music store in the style of the Chinook sample: CamelCase tables
  and keys (`ArtistId`, `AlbumId`), bracket-quoted DDL, named PRIMARY KEY
  constraints, a 1,037-row `Track` table with duplicate names, a nullable
  indexed `AlbumId` and a `Composer` column that is mostly NULL, non-ASCII text.
- `northwind`: the Northwind trading company: an `"Order Details"` table with a
  space in its name and a composite key, TEXT keys, dates stored as TEXT in ISO
  and non-ISO formats, BLOB pictures, views with spaces in their names.
- `oddities`: tables that break assumptions: WITHOUT ROWID with a composite key,
  no primary key at all, a column named `rowid`, `INT PRIMARY KEY` (not a rowid
  alias), a TEXT primary key that holds NULLs (SQLite allows it), identifiers
  with double quotes and spaces inside, every rowid alias taken, a view.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path
from urllib.parse import quote

TRACKS = 1037

CHINOOK_SCHEMA = """
CREATE TABLE [Artist] (
    [ArtistId] INTEGER NOT NULL,
    [Name] NVARCHAR(120),
    CONSTRAINT [PK_Artist] PRIMARY KEY ([ArtistId])
);
CREATE TABLE [Album] (
    [AlbumId] INTEGER NOT NULL,
    [Title] NVARCHAR(160) NOT NULL,
    [ArtistId] INTEGER NOT NULL,
    CONSTRAINT [PK_Album] PRIMARY KEY ([AlbumId]),
    FOREIGN KEY ([ArtistId]) REFERENCES [Artist] ([ArtistId]) ON DELETE NO ACTION ON UPDATE NO ACTION
);
CREATE TABLE [Genre] (
    [GenreId] INTEGER NOT NULL,
    [Name] NVARCHAR(120),
    CONSTRAINT [PK_Genre] PRIMARY KEY ([GenreId])
);
CREATE TABLE [MediaType] (
    [MediaTypeId] INTEGER NOT NULL,
    [Name] NVARCHAR(120),
    CONSTRAINT [PK_MediaType] PRIMARY KEY ([MediaTypeId])
);
CREATE TABLE [Track] (
    [TrackId] INTEGER NOT NULL,
    [Name] NVARCHAR(200) NOT NULL,
    [AlbumId] INTEGER,
    [MediaTypeId] INTEGER NOT NULL,
    [GenreId] INTEGER,
    [Composer] NVARCHAR(220),
    [Milliseconds] INTEGER NOT NULL,
    [Bytes] INTEGER,
    [UnitPrice] NUMERIC(10,2) NOT NULL,
    CONSTRAINT [PK_Track] PRIMARY KEY ([TrackId]),
    FOREIGN KEY ([AlbumId]) REFERENCES [Album] ([AlbumId]) ON DELETE NO ACTION ON UPDATE NO ACTION,
    FOREIGN KEY ([GenreId]) REFERENCES [Genre] ([GenreId]) ON DELETE NO ACTION ON UPDATE NO ACTION,
    FOREIGN KEY ([MediaTypeId]) REFERENCES [MediaType] ([MediaTypeId]) ON DELETE NO ACTION ON UPDATE NO ACTION
);
CREATE TABLE [Invoice] (
    [InvoiceId] INTEGER NOT NULL,
    [CustomerId] INTEGER NOT NULL,
    [InvoiceDate] DATETIME NOT NULL,
    [BillingCountry] NVARCHAR(40),
    [Total] NUMERIC(10,2) NOT NULL,
    [Paid] BOOLEAN,
    CONSTRAINT [PK_Invoice] PRIMARY KEY ([InvoiceId])
);
CREATE TABLE [Playlist] (
    [PlaylistId] INTEGER NOT NULL,
    [Name] NVARCHAR(120),
    CONSTRAINT [PK_Playlist] PRIMARY KEY ([PlaylistId])
);
CREATE TABLE [PlaylistTrack] (
    [PlaylistId] INTEGER NOT NULL,
    [TrackId] INTEGER NOT NULL,
    CONSTRAINT [PK_PlaylistTrack] PRIMARY KEY ([PlaylistId], [TrackId]),
    FOREIGN KEY ([PlaylistId]) REFERENCES [Playlist] ([PlaylistId]),
    FOREIGN KEY ([TrackId]) REFERENCES [Track] ([TrackId])
);
CREATE INDEX [IFK_AlbumArtistId] ON [Album] ([ArtistId]);
CREATE INDEX [IFK_TrackAlbumId] ON [Track] ([AlbumId]);
CREATE INDEX [IFK_TrackGenreId] ON [Track] ([GenreId]);
CREATE INDEX [IFK_TrackMediaTypeId] ON [Track] ([MediaTypeId]);
CREATE INDEX [IX_TrackComposer] ON [Track] ([Composer]);
CREATE INDEX [IFK_PlaylistTrackTrackId] ON [PlaylistTrack] ([TrackId]);
"""

ARTISTS = ["AC/DC", "Accept", "Aerosmith", "Alanis Morissette", "Antônio Carlos Jobim", "Apocalyptica",
           "Audioslave", "Björk", "Caetano Veloso", "Chico Buarque", "Motörhead", "Mötley Crüe", "Sigur Rós",
           "坂本龍一", "Запрещённые барабанщики", "Los Hermanos", "O'Rappa", "Zeca Pagodinho"]
WORDS = ["Love", "Night", "Rock", "Blue", "Garota", "Ipanema", "Águas", "Março", "Ça", "Plane", "Jóga",
         "Heart", "Road", "東京", "Ünïcödé", "Fire", "Rain", "Dream", "Städte", "Señor"]
COMPOSERS = ["Angus Young, Malcolm Young, Brian Johnson", "Steven Tyler, Joe Perry", "Jobim/Vinícius de Moraes",
             "Chris Cornell", "Björk Guðmundsdóttir", "Lemmy Kilmister", "坂本龍一", "Buarque"]


def chinook(path: Path) -> Path:
    rnd = random.Random(1037)
    conn = sqlite3.connect(path)
    conn.executescript(CHINOOK_SCHEMA)
    conn.executemany("INSERT INTO Artist VALUES (?, ?)", [(i + 1, a) for i, a in enumerate(ARTISTS)])
    conn.executemany("INSERT INTO Genre VALUES (?, ?)", [(1, "Rock"), (2, "Jazz"), (3, "Bossa Nova"), (4, "Metal")])
    conn.executemany("INSERT INTO MediaType VALUES (?, ?)", [(1, "MPEG audio file"), (2, "AAC audio file")])
    albums = [(i, f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} {i}", rnd.randint(1, len(ARTISTS))) for i in range(1, 61)]
    conn.executemany("INSERT INTO Album VALUES (?, ?, ?)", albums)
    names = [f"{a} {b}" for a in WORDS[:12] for b in WORDS[8:18]]      # 120 names: plenty of duplicates
    tracks = []
    for tid in range(1, TRACKS + 1):
        tracks.append((
            tid, rnd.choice(names),
            None if rnd.random() < 0.06 else rnd.randint(1, 60),
            rnd.randint(1, 2),
            None if rnd.random() < 0.1 else rnd.randint(1, 4),
            None if rnd.random() < 0.45 else rnd.choice(COMPOSERS),
            rnd.randint(60_000, 600_000),
            None if rnd.random() < 0.2 else rnd.randint(1_000_000, 20_000_000),
            rnd.choice([0.99, 1.99]),
        ))
    conn.executemany("INSERT INTO Track VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", tracks)
    start = dt.datetime(2009, 1, 1)
    invoices = [(i, rnd.randint(1, 59), (start + dt.timedelta(days=i * 3, seconds=rnd.randint(0, 86399)))
                 .strftime("%Y-%m-%d %H:%M:%S"), rnd.choice(["USA", "Brazil", "Deutschland", "España", None]),
                 round(rnd.uniform(0.99, 25.86), 2), rnd.choice([0, 1, None])) for i in range(1, 413)]
    conn.executemany("INSERT INTO Invoice VALUES (?, ?, ?, ?, ?, ?)", invoices)
    conn.executemany("INSERT INTO Playlist VALUES (?, ?)", [(1, "Music"), (2, "Movies"), (3, "Grunge")])
    conn.executemany("INSERT INTO PlaylistTrack VALUES (?, ?)",
                     [(p, t) for p in (1, 2, 3) for t in range(1, TRACKS + 1) if (t * p) % 5 == 0])
    conn.commit()
    conn.close()
    return path


NORTHWIND_SCHEMA = """
CREATE TABLE "Categories" (
    "CategoryID" INTEGER PRIMARY KEY AUTOINCREMENT,
    "CategoryName" TEXT,
    "Description" TEXT,
    "Picture" BLOB
);
CREATE TABLE "Customers" (
    "CustomerID" TEXT,
    "CompanyName" TEXT,
    "ContactName" TEXT,
    "Country" TEXT,
    PRIMARY KEY ("CustomerID")
);
CREATE TABLE "Products" (
    "ProductID" INTEGER PRIMARY KEY AUTOINCREMENT,
    "ProductName" TEXT NOT NULL,
    "CategoryID" INTEGER,
    "QuantityPerUnit" TEXT,
    "UnitPrice" NUMERIC DEFAULT 0,
    "Discontinued" TEXT NOT NULL DEFAULT '0',
    FOREIGN KEY ("CategoryID") REFERENCES "Categories" ("CategoryID")
);
CREATE TABLE "Orders" (
    "OrderID" INTEGER NOT NULL,
    "CustomerID" TEXT,
    "EmployeeID" INTEGER,
    "OrderDate" DATETIME,
    "RequiredDate" DATETIME,
    "ShippedDate" DATETIME,
    "Freight" NUMERIC DEFAULT 0,
    "ShipName" TEXT,
    PRIMARY KEY ("OrderID"),
    FOREIGN KEY ("CustomerID") REFERENCES "Customers" ("CustomerID")
);
CREATE TABLE "Order Details" (
    "OrderID" INTEGER NOT NULL,
    "ProductID" INTEGER NOT NULL,
    "UnitPrice" NUMERIC NOT NULL DEFAULT 0,
    "Quantity" INTEGER NOT NULL DEFAULT 1,
    "Discount" REAL NOT NULL DEFAULT 0,
    PRIMARY KEY ("OrderID", "ProductID"),
    CHECK ("Discount" >= (0) AND "Discount" <= (1)),
    CHECK ("Quantity" > (0)),
    FOREIGN KEY ("OrderID") REFERENCES "Orders" ("OrderID") ON DELETE NO ACTION ON UPDATE NO ACTION,
    FOREIGN KEY ("ProductID") REFERENCES "Products" ("ProductID") ON DELETE NO ACTION ON UPDATE NO ACTION
);
CREATE INDEX "OrdersOrderDate" ON "Orders" ("OrderDate");
CREATE VIEW "Alphabetical list of products" AS
    SELECT "Products".*, "Categories"."CategoryName"
    FROM "Categories" INNER JOIN "Products" ON "Categories"."CategoryID" = "Products"."CategoryID"
    WHERE "Products"."Discontinued" = '0';
CREATE VIEW [Order Subtotals] AS
    SELECT "OrderID", Sum(("UnitPrice" * "Quantity" * (1 - "Discount"))) AS "Subtotal"
    FROM "Order Details" GROUP BY "OrderID";
"""

COMPANIES = ["Alfreds Futterkiste", "Ana Trujillo Emparedados y helados", "Berglunds snabbköp",
             "Blondesddsl père et fils", "Bólido Comidas preparadas", "Königlich Essen", "Frankenversand",
             "Galería del gastrónomo", "Wartian Herkku", "Wolski  Zajazd", "Ernst Handel", "Richter Supermarkt"]
COUNTRIES = ["Germany", "Mexico", "Sweden", "France", "Spain", "Finland", "Poland", "Austria", "Switzerland"]
PRODUCTS = ["Chai", "Chang", "Aniseed Syrup", "Chef Anton's Cajun Seasoning", "Grandma's Boysenberry Spread",
            "Uncle Bob's Organic Dried Pears", "Northwoods Cranberry Sauce", "Mishi Kobe Niku", "Ikura",
            "Queso Cabrales", "Konbu", "Tofu", "Genen Shouyu", "Pavlova", "Alice Mutton", "Carnarvon Tigers",
            "Teatime Chocolate Biscuits", "Sir Rodney's Marmalade", "Gustaf's Knäckebröd", "Tunnbröd",
            "Guaraná Fantástica", "NuNuCa Nuß-Nougat-Creme", "Gumbär Gummibärchen", "Schoggi Schokolade",
            "Rössle Sauerkraut", "Thüringer Rostbratwurst", "Côte de Blaye", "Pâté chinois"]


def northwind(path: Path) -> Path:
    rnd = random.Random(10248)
    conn = sqlite3.connect(path)
    conn.executescript(NORTHWIND_SCHEMA)
    cats = ["Beverages", "Condiments", "Confections", "Dairy Products", "Grains/Cereals", "Meat/Poultry"]
    conn.executemany('INSERT INTO "Categories" VALUES (NULL, ?, ?, ?)',
                     [(c, f"{c}: soft drinks, coffees, teas…", bytes([0xFF, 0xD8, 0xFF, 0xE0, i, 0, 0x80]) * 5)
                      for i, c in enumerate(cats)])
    customers = [(("".join(w[0] for w in c.split()) + c[:5]).upper()[:5], c, f"Contact {i}", COUNTRIES[i % 9])
                 for i, c in enumerate(COMPANIES)]
    conn.executemany('INSERT INTO "Customers" VALUES (?, ?, ?, ?)', customers)
    conn.executemany('INSERT INTO "Products" VALUES (NULL, ?, ?, ?, ?, ?)',
                     [(p, 1 + i % len(cats), f"{10 + i} boxes x 20 bags", round(4.5 + i * 1.75, 2),
                       "1" if i % 7 == 0 else "0") for i, p in enumerate(PRODUCTS)])
    orders, details = [], []
    start = dt.date(1996, 7, 4)
    for n in range(250):
        oid = 10248 + n
        day = start + dt.timedelta(days=n * 2 + rnd.randint(0, 1))
        shipped = day + dt.timedelta(days=rnd.randint(1, 30))
        # Half ISO like Northwind's own export, half the US format some exports use, some never shipped.
        shipped_text = (None if n % 9 == 0 else
                        shipped.isoformat() if n % 2 else f"{shipped.month}/{shipped.day}/{shipped.year}")
        orders.append((oid, customers[rnd.randrange(len(customers))][0], rnd.randint(1, 9),
                       f"{day.isoformat()} 00:00:00", (day + dt.timedelta(days=28)).isoformat(), shipped_text,
                       round(rnd.uniform(0.12, 1007.64), 2), f"Ship {n}"))
        for pid in rnd.sample(range(1, len(PRODUCTS) + 1), rnd.randint(1, 4)):
            details.append((oid, pid, round(rnd.uniform(2.5, 263.5), 2), rnd.randint(1, 120),
                            rnd.choice([0, 0, 0.05, 0.1, 0.25])))
    conn.executemany('INSERT INTO "Orders" VALUES (?, ?, ?, ?, ?, ?, ?, ?)', orders)
    conn.executemany('INSERT INTO "Order Details" VALUES (?, ?, ?, ?, ?)', details)
    conn.commit()
    conn.close()
    return path


ODDITIES_SCHEMA = '''
CREATE TABLE inventory (
    warehouse TEXT NOT NULL,
    sku       TEXT NOT NULL,
    qty       INTEGER NOT NULL,
    PRIMARY KEY (warehouse, sku)
) WITHOUT ROWID;
CREATE TABLE event_log (at TEXT, level TEXT, message TEXT);
CREATE TABLE legacy (rowid INTEGER, name TEXT, note TEXT);
CREATE TABLE "we""ird tab" ("id" INTEGER PRIMARY KEY, "col ""x""" TEXT, "sp ace" INTEGER);
CREATE TABLE files (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    data     BLOB,
    created  TIMESTAMP,
    size_kb  DECIMAL(8,1),
    archived BOOLEAN,
    start_at TIME,
    meta     JSON,
    score    REAL,
    born     DATE,
    anything
);
CREATE TABLE codes (id INT PRIMARY KEY, label TEXT);
CREATE TABLE tags (code TEXT PRIMARY KEY, label TEXT);
CREATE TABLE all_aliases (_rowid_ INTEGER, rowid INTEGER, oid INTEGER, v TEXT);
CREATE TABLE ref_implicit (id INTEGER PRIMARY KEY, code_id INT REFERENCES codes);
CREATE INDEX event_log_level ON event_log(level);
CREATE INDEX files_partial ON files(score) WHERE score IS NOT NULL;
CREATE INDEX files_expr ON files(lower(name));
CREATE VIEW recent_events AS SELECT at, level, message FROM event_log WHERE level IS NOT NULL;
'''

LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]


def oddities(path: Path) -> Path:
    rnd = random.Random(7)
    conn = sqlite3.connect(path)
    conn.executescript(ODDITIES_SCHEMA)
    conn.executemany("INSERT INTO inventory VALUES (?, ?, ?)",
                     [(w, f"SKU-{s:04d}", rnd.randint(0, 500)) for w in ("Århus", "Berlin", "Coimbra", "dublin")
                      for s in range(0, 300, 3)])
    base = dt.datetime(2023, 3, 1, 8, 0, 0)
    events = []
    for i in range(600):
        when = base + dt.timedelta(minutes=7 * i)
        # Many NULL levels; timestamps in ISO, ISO with T, and a non-ISO format.
        at = (when.isoformat(sep=" ") if i % 3 == 0 else when.isoformat() if i % 3 == 1
              else when.strftime("%d.%m.%Y %H:%M"))
        events.append((at, None if i % 4 else rnd.choice(LEVELS), f"event {i} – ✓ naïve café"))
    conn.executemany("INSERT INTO event_log VALUES (?, ?, ?)", events)
    # The user's own "rowid" column: duplicated, NULL in places, unrelated to SQLite's rowid.
    conn.executemany("INSERT INTO legacy VALUES (?, ?, ?)",
                     [(None if i % 10 == 0 else 1000 - (i % 50), f"name {i % 17}", None if i % 2 else f"n{i}")
                      for i in range(230)])
    conn.executemany('INSERT INTO "we""ird tab" VALUES (?, ?, ?)',
                     [(i, f'val "{i}"', i * 3 % 7) for i in range(1, 41)])
    files = []
    for i in range(1, 121):
        created = (None if i % 5 == 0 else
                   f"2024-01-{1 + i % 28:02d} 12:{i % 60:02d}:00" if i % 2 else f"{1 + i % 28}/01/2024")
        files.append((i, f"file_{i:03d}.bin" if i % 4 else f"Änderung {i}%.txt",
                      bytes(range(i % 7, i % 7 + 16)) if i % 3 else None,
                      created, round(i * 1.5, 1), i % 2, f"{i % 24:02d}:30:00",
                      f'{{"n": {i}}}', None if i % 6 == 0 else i / 8, f"2000-02-{1 + i % 28:02d}",
                      [i, str(i), i + 0.5, None, b"\x00\x01"][i % 5]))
    conn.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", files)
    conn.executemany("INSERT INTO codes VALUES (?, ?)", [(i * 10, f"code {i}") for i in range(1, 31)])
    # A TEXT primary key in a rowid table accepts NULL (a long-standing SQLite quirk).
    conn.executemany("INSERT INTO tags VALUES (?, ?)",
                     [(None if i % 4 == 0 else f"t{i:02d}", f"label {i}") for i in range(40)])
    conn.executemany("INSERT INTO all_aliases VALUES (?, ?, ?, ?)", [(i, -i, i * 2, f"v{i}") for i in range(25)])
    conn.executemany("INSERT INTO ref_implicit VALUES (?, ?)", [(i, i * 10) for i in range(1, 11)])
    conn.commit()
    conn.close()
    return path


def build(path: Path, script: str) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.commit()
    conn.close()
    return path


def rows(path: Path, sql: str, params=()) -> list[tuple]:
    """Run plain SQL with sqlite3 (no rowdesk) and return all rows."""
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
