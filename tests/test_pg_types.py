"""Every common PostgreSQL type on the real server: described (declared type, kind), fetched through
Database.fetch exactly as the driver returns it, and sorted through storage.paging as the server sorts it."""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import uuid

import pytest
import pytest_twisted

from storage.filters import FilterError, parse_filter
from storage.paging import Order, View
from tests.test_server_filters import grid_texts_find_their_rows

# column, its declaration, the declared type as described, the kind, the driver's value is the server's text
COLUMNS = [
    ("u", "uuid", "uuid", "text", False),
    ("j", "json", "json", "json", True),
    ("jb", "jsonb", "jsonb", "json", True),
    ("ia", "int[]", "integer[]", "text", True),
    ("ta", "text[]", "text[]", "text", True),
    ("ma", "mood[]", "mood[]", "text", True),
    ("ts", "timestamp", "timestamp without time zone", "datetime", False),
    ("tstz", "timestamptz", "timestamp with time zone", "datetime", False),
    ("iv", "interval", "interval", "text", True),
    ("num", "numeric(12,2)", "numeric(12,2)", "decimal", False),
    ("numfree", "numeric", "numeric", "decimal", False),
    ("bt", "bytea", "bytea", "blob", False),
    ("e", "mood", "mood", "text", False),
    ("b", "bit(4)", "bit(4)", "text", False),
    ("vb", "varbit", "bit varying", "text", False),
    ("ip", "inet", "inet", "text", False),
    ("net", "cidr", "cidr", "text", False),
    ("m", "money", "money", "text", False),
    ("t", "text", "text", "text", False),
    ("vc", "varchar(20)", "character varying(20)", "text", False),
    ("ch", "char(4)", "character(4)", "text", False),
    ("d", "date", "date", "date", False),
    ("tm", "time", "time without time zone", "time", False),
    ("ttz", "timetz", "time with time zone", "time", False),
    ("bo", "boolean", "boolean", "bool", False),
    ("si", "smallint", "smallint", "int", False),
    ("i", "integer", "integer", "int", False),
    ("bi", "bigint", "bigint", "int", False),
    ("r", "real", "real", "float", False),
    ("dp", "double precision", "double precision", "float", False),
    ("dom", "positive", "positive", "int", False),
    ("rng", "int4range", "int4range", "text", True),
]
NAMES = ["id"] + [c[0] for c in COLUMNS]
ROWS = [
    "(1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"b\": [1, 2.50], \"a\": null}', '{\"b\": [1, 2.50], \"a\": 1}',"
    " '{1,NULL,3}', '{\"a b\",c,NULL}', '{happy,sad}', '2024-02-29 13:45:01.123456', '2024-02-29 13:45:01+02',"
    " '1 year 2 mons 3 days 04:05:06.5', 12.345, 0.000000000000000000000000000001, '\\x00ff10', 'ok', B'1010',"
    " B'101', '192.168.0.1/24', '10.0.0.0/8', 1234.56, 'ça va?\n\t', 'varchar', 'ab', '2024-02-29', '23:59:59.999999',"
    " '10:00:00+05:30', true, -32768, 2147483647, 9223372036854775807, 0.1, 0.1, 7, '[1,10)')",
    "(2" + ", NULL" * len(COLUMNS) + ")",
    "(3, '00000000-0000-0000-0000-000000000000', '[]', '\"text\"', '{}', '{}', '{}', 'infinity', '-infinity',"
    " '-1 mon', 'NaN', '-0.5', '', 'sad', B'0000', B'', '::1', '::/0', -0.01, '', '', '', '0044-03-15 BC',"
    " '24:00:00', '00:00:00-12', false, 0, 0, 0, 'NaN', '-Infinity', 1, 'empty')",
    "(4, 'ffffffff-ffff-ffff-ffff-ffffffffffff', '1', '1.0', '{{1,2},{3,4}}', '{x}', '{ok}', '10000-01-01 00:00:00',"
    " '1999-12-31 23:00:00-01', '00:00:00', '99999999.99', '1e-5', '\\x', 'happy', B'1111', B'1', '10.1.2.3',"
    " '192.168.0.0/16', 0, 'Z', 'z', 'zz', '9999-12-31', '00:00:00', '23:59:59+14', true, 1, -1, -1, 'Infinity',"
    " 1e308, 2147483647, '(,)')",
]
OUT_OF_PYTHONS_RANGE = {3: {"ts", "tstz", "d", "tm"}, 4: {"ts"}}


def create(conn):
    conn.execute("""
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
    """)
    conn.execute("CREATE TABLE every_type (id int PRIMARY KEY, "
                 + ", ".join(f"{name} {decl}" for name, decl, *_ in COLUMNS) + ")")
    conn.execute("INSERT INTO every_type VALUES " + ", ".join(ROWS))


def comparable(value):
    """NaN is not equal to itself."""
    return "NaN" if isinstance(value, (float, decimal.Decimal)) and value != value else value


def expected_rows(conn) -> list[tuple]:
    """What the driver returns: psycopg's own values; the server's text where rowdesk's connections load it
    as text (json and jsonb, arrays, intervals, ranges; dates and times out of Python's range)."""
    rows = []
    for (row_id,) in conn.execute("SELECT id FROM every_type ORDER BY id").fetchall():
        texts = {c[0] for c in COLUMNS if c[4]} | OUT_OF_PYTHONS_RANGE.get(row_id, set())
        exprs = ["id"] + [f"{name}::text" if name in texts else name for name in NAMES[1:]]
        rows.append(conn.execute(f"SELECT {', '.join(exprs)} FROM every_type WHERE id = %s", (row_id,)).fetchone())
    return rows


@pytest_twisted.inlineCallbacks
def test_every_type_is_described_and_fetched_as_the_driver_returns_it(pg_schema, opened):
    uri, schema, conn = pg_schema
    create(conn)
    db = opened(uri)
    table = yield db.describe(f"{schema}.every_type")
    assert [(c.name, c.declared, c.kind) for c in table.columns[1:]] == [(n, d, k) for n, _, d, k, _ in COLUMNS]
    assert table.column("e").members == ("sad", "ok", "happy")          # an enum's labels, in their order
    assert table.column("ma").members is None                            # an array of them is not one
    page = yield db.fetch(View(table), None, limit=10)
    want = [tuple(map(comparable, row)) for row in expected_rows(conn)]
    assert [tuple(map(comparable, row)) for row in page.rows] == want
    first = dict(zip(NAMES, page.rows[0], strict=True))
    assert first["u"] == uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    # JSON as the server's text: bound back as itself (paging by jsonb), and a JSON null is not SQL's NULL.
    assert first["j"] == '{"b": [1, 2.50], "a": null}' and first["jb"] == '{"a": 1, "b": [1, 2.50]}'
    assert first["ia"] == "{1,NULL,3}" and first["ta"] == '{"a b",c,NULL}' and first["ma"] == "{happy,sad}"
    assert first["iv"] == "1 year 2 mons 3 days 04:05:06.5"      # not psycopg's 428 days: a month is no 30 days
    assert first["tstz"] == dt.datetime(2024, 2, 29, 11, 45, 1, tzinfo=dt.UTC)
    assert first["num"] == decimal.Decimal("12.35") and first["bt"] == b"\x00\xff\x10"
    assert first["ip"] == ipaddress.ip_interface("192.168.0.1/24") and first["m"] == "$1,234.56"
    assert first["ch"] == "ab  " and first["ttz"].utcoffset() == dt.timedelta(hours=5, minutes=30)
    assert (first["b"], first["vb"], first["rng"]) == ("1010", "101", "[1,10)")
    assert repr(first["r"]) == "0.1" and first["r"] == 0.1        # a real: bound back as a real (see paging)
    edge = dict(zip(NAMES, page.rows[2], strict=True))
    assert (edge["ts"], edge["tstz"], edge["d"], edge["tm"]) == ("infinity", "-infinity", "0044-03-15 BC", "24:00:00")
    assert page.rows[3][NAMES.index("ts")] == "10000-01-01 00:00:00"


# json has no ordering at all (not sortable); jsonb has one, and its values come back as text, which binds back.
SORTED = [name for name in NAMES[1:] if name != "j"]


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("name", SORTED)
def test_paging_by_each_type_walks_the_rows_in_the_servers_order(pg_schema, opened, name):
    uri, schema, conn = pg_schema
    create(conn)
    db = opened(uri)
    table = yield db.describe(f"{schema}.every_type")
    for descending in (False, True):
        order = "DESC" if descending else "ASC"
        want = [r[0] for r in conn.execute(f"SELECT id FROM every_type ORDER BY {name} {order}, id {order}")]
        view = View(table, Order(name, descending=descending))
        got, mark = [], None
        while len(got) <= len(want):          # (a boundary bound back wrong reads the same row again forever)
            page = yield db.fetch(view, mark, limit=1)
            got += [r[0] for r in page.rows]
            if page.reached_end or not page.marks:
                break
            mark = page.marks[-1]
        assert got == want, f"ORDER BY {name} {order}"


# -- the filter language on every type, as the grid shows each value ----------------------------------------------
# More values, where Python's text of the driver's value is not the server's text of it: fractions of a second
# (.5 is .500000), UTC offsets (+02 is +02:00), Decimals below 1e-6 (1E-7, 0E-7), floats (1e+15 is
# 1000000000000000.0, a real's 1e+07 is 10000000.0, 100 is 100.0, Infinity is inf; some doubles past 1e16 have more
# digits in the server's text), byte counts past 999 (<1,000 bytes>), IPv4 addresses inside IPv6 ones (Python writes
# ::ffff:1.2.3.4 as ::ffff:102:304), control characters (shown by their pictures), a char(n)'s padding.
MORE = {
    5: {"j": "'{\"k\":\n \"v\"}'", "ta": "'{\"a\nb\",c}'", "ts": "'2024-02-29 13:45:01.5'",
        "tstz": "'2024-02-29 13:45:01.25+02'", "iv": "'3 days'", "num": "0", "numfree": "'0.0000000'",
        "bt": "decode(repeat('ab', 1000), 'hex')", "ip": "'::ffff:1.2.3.4'", "net": "'::ffff:1.2.3.0/120'",
        "t": "E'a\\r\\nb\\u001b[0m \\u200b literal → and ⏎'", "vc": "E'tab\\there'", "ch": "'a'",
        "d": "'10000-01-01'", "tm": "'12:00:00.5'", "ttz": "'10:00:00.25+05:30'", "r": "1e7", "dp": "1e15",
        "m": "-0.01", "bo": "false", "dom": "5"},
    6: {"ts": "'0044-03-15 10:00:00 BC'", "tstz": "'infinity'", "numfree": "-0.00000012", "ip": "'::1.2.3.4'",
        "d": "'infinity'", "ttz": "'24:00:00+05'", "r": "123456", "dp": "100", "bt": "'\\x41'", "t": "'ÇA VA'"},
    7: {"tstz": "'0044-03-15 10:00:00+00 BC'", "numfree": "1e20", "r": "3.4028235e38", "dp": "-0",
        "ip": "'2001:db8::1'"},
    8: {"r": "1e-45", "dp": "5.2990648348713776e16"},
    9: {"dp": "1e-5", "tstz": "'1900-01-01 00:00:00+00'"},
}


def create_with_more(conn):
    create(conn)
    for row_id, values in MORE.items():
        names, literals = ", ".join(values), ", ".join(values.values())
        conn.execute(f"INSERT INTO every_type (id, {names}) VALUES ({row_id}, {literals})")


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("name", NAMES[1:])
def test_every_value_is_found_by_the_text_the_grid_shows(pg_schema, opened, name):
    """`text`, `!text` and `=text` with the grid's text of every value of every type, and comparisons in the
    server's order. No kind is left out of `=`: json, which has no =, compares its text; a NaN equals NaN on the
    server. Only json refuses `<` and `>` (it has no order): a clear message instead."""
    uri, schema, conn = pg_schema
    create_with_more(conn)
    db = opened(uri)
    table = yield db.describe(f"{schema}.every_type")
    if name == "j":
        ranks = None
        with pytest.raises(FilterError, match=r"json values have no order: j takes =, != and text filters"):
            parse_filter("<1", table.column("j"), db.dialect)
    else:
        ranks = dict(conn.execute(f"SELECT id, dense_rank() OVER (ORDER BY {name}) FROM every_type "
                                  f"WHERE {name} IS NOT NULL").fetchall())
    yield grid_texts_find_their_rows(db, table, name, ranks)
