"""The journal of committed changes (storage.journal): its typed codec, lossless for every value a driver
returns (also through each real driver: read, recorded, decoded, written back, read again: the same row), and
its pending-then-committed protocol: begin, commit / discard / unknown, what a crashed process left, resolving
it from the row as it now is, newest-first pages, undo marks, the file's permissions, threads."""

from __future__ import annotations

import datetime as dt
import decimal
import getpass
import ipaddress
import json
import logging
import math
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_twisted

from storage.journal import (
    Entry,
    Journal,
    JournalError,
    State,
    comparable,
    decode,
    encode,
    is_float4,
)
from storage.paging import View
from tests import mysql_support

ROOT = Path(__file__).resolve().parent.parent


def same(a, b) -> bool:
    """Identical: the same type and value (NaN is NaN, -0.0 is not 0.0, an aware value keeps its offset)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, decimal.Decimal):
        return str(a) == str(b)
    if isinstance(a, (dt.datetime, dt.time)):
        return (a == b and a.utcoffset() == b.utcoffset() and a.fold == b.fold
                and (a.tzinfo is None) == (b.tzinfo is None))
    return a == b


def through_json(value):
    """decode(encode(value)) by way of the JSON text the journal stores."""
    return decode(json.loads(json.dumps(encode(value), allow_nan=False)))


# ================================================================================================================
# The codec
# ================================================================================================================
CONTROL = "".join(chr(c) for c in range(32)) + "\x7f\u0085\u2028\u202e\ufeff"
VALUES = {
    "zero": 0, "minus one": -1, "2**64-1": 2**64 - 1, "-2**63": -2**63, "10**40": 10**40,
    "True": True, "False": False, "None": None, "empty text": "",
    "text": "ça va? 漢字 🙂\n\t\x00\x1b[31m" + CONTROL, "lone surrogate": "a\ud800b",
    "1 MB text": (CONTROL + "x" * 990 + "é") * 1000,
    "empty bytes": b"", "every byte": bytes(range(256)) * 4,
    "0.1": 0.1, "-0.0": -0.0, "0.0": 0.0, "inf": math.inf, "-inf": -math.inf, "nan": math.nan,
    "smallest": 5e-324, "largest": 1.7976931348623157e308, "1/3": 1 / 3,
    "decimal": decimal.Decimal("12.345"), "decimal NaN": decimal.Decimal("NaN"),
    "decimal sNaN": decimal.Decimal("sNaN"), "decimal -NaN payload": decimal.Decimal("-NaN123"),
    "decimal -0": decimal.Decimal("-0"), "decimal -0.00": decimal.Decimal("-0.00"),
    "decimal 1E+3": decimal.Decimal("1E+3"), "decimal inf": decimal.Decimal("Infinity"),
    "decimal -inf": decimal.Decimal("-Infinity"), "decimal 1e-30": decimal.Decimal("1E-30"),
    "decimal 40 digits": decimal.Decimal("1234567890123456789012345678901234567890.0000000001"),
    "naive datetime": dt.datetime(2024, 2, 29, 13, 45, 1, 123456), "datetime min": dt.datetime.min,
    "datetime max": dt.datetime.max, "naive fold": dt.datetime(2024, 10, 27, 2, 30, fold=1),
    "utc": dt.datetime(2024, 2, 29, 11, 45, 1, tzinfo=dt.UTC),
    "+05:30": dt.datetime(2024, 2, 29, 11, 45, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
    "-00:00:30 offset": dt.datetime(1900, 1, 1, tzinfo=dt.timezone(-dt.timedelta(seconds=30))),
    "named fixed zone": dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5), "EST")),
    "zoneinfo": dt.datetime(2024, 7, 1, 12, tzinfo=ZoneInfo("Europe/Paris")),
    "zoneinfo fold 0": dt.datetime(2024, 10, 27, 2, 30, tzinfo=ZoneInfo("Europe/Paris")),
    "zoneinfo fold 1": dt.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Paris")),
    "psycopg's Etc/UTC": dt.datetime(2024, 1, 1, 8, tzinfo=ZoneInfo("Etc/UTC")),
    "date": dt.date(2024, 2, 29), "date min": dt.date.min, "date max": dt.date.max,
    "year 44": dt.date(44, 3, 15),
    "midnight": dt.time(0), "last microsecond": dt.time(23, 59, 59, 999999),
    "time +05:30": dt.time(10, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
    "time -12:00": dt.time(0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-12))),
    "time utc": dt.time(23, 59, 59, 1, tzinfo=dt.UTC),
    "timedelta 0": dt.timedelta(0), "timedelta -838h": dt.timedelta(hours=-838, minutes=-59, seconds=-59),
    "timedelta 838h": dt.timedelta(hours=838, minutes=59, seconds=59, microseconds=999999),
    "timedelta -1us": dt.timedelta(microseconds=-1), "timedelta max": dt.timedelta.max,
    "timedelta min": dt.timedelta.min,
    "uuid": uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "uuid zero": uuid.UUID(int=0),
    "uuid max": uuid.UUID(int=2**128 - 1),
    "ipv4": ipaddress.IPv4Address("192.168.0.1"), "ipv6": ipaddress.IPv6Address("::1"),
    "ipv6 scoped": ipaddress.IPv6Address("fe80::1%eth0"),
    "ipv4 mapped": ipaddress.IPv6Address("::ffff:1.2.3.4"),
    "ipv4 interface": ipaddress.IPv4Interface("192.168.0.1/24"),
    "ipv6 interface": ipaddress.IPv6Interface("2001:db8::1/64"),
    "ipv4 network": ipaddress.IPv4Network("10.0.0.0/8"), "ipv6 network": ipaddress.IPv6Network("::/0"),
    "ipv4 /32": ipaddress.IPv4Interface("10.1.2.3/32"),
    "server text (infinity)": "infinity", "server text (BC)": "0044-03-15 BC",
    "json text": '{"b": [1, 2.50], "a": null}', "array text": '{"a b",c,NULL}', "interval text": "1 mon",
}


@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
def test_every_value_type_round_trips_exactly(value):
    back = through_json(value)
    assert same(back, value)
    assert encode(back) == encode(value)           # and again: the encoding is stable


def test_bool_int_none_and_empty_are_told_apart():
    assert [type(through_json(v)) for v in (True, 1, 0, False, None, "")] == [bool, int, int, bool, type(None), str]
    pairs = [(True, 1), (False, 0), (0.0, 0), ("", None), (b"", ""), (decimal.Decimal(1), 1), (1.0, True),
             (dt.datetime(2024, 1, 1), dt.date(2024, 1, 1)),
             (ipaddress.ip_interface("10.0.0.0/8"), ipaddress.ip_network("10.0.0.0/8"))]
    for a, b in pairs:
        assert json.dumps(encode(a)) != json.dumps(encode(b)), (a, b)
        assert comparable(encode(a)) != comparable(encode(b)), (a, b)


def test_zero_signs_and_nans_are_kept():
    assert math.copysign(1, through_json(-0.0)) == -1 and math.copysign(1, through_json(0.0)) == 1
    assert math.isnan(through_json(math.nan))
    assert through_json(decimal.Decimal("sNaN")).is_snan()
    assert through_json(decimal.Decimal("-0")).is_signed()


def test_aware_values_keep_their_offset_and_zone():
    paris = through_json(VALUES["zoneinfo fold 1"])
    assert paris.tzinfo == ZoneInfo("Europe/Paris") and paris.fold == 1
    assert paris.utcoffset() == dt.timedelta(hours=1)
    assert through_json(VALUES["zoneinfo fold 0"]).utcoffset() == dt.timedelta(hours=2)
    assert through_json(VALUES["named fixed zone"]).tzname() == "EST"
    assert through_json(VALUES["time +05:30"]).utcoffset() == dt.timedelta(hours=5, minutes=30)
    assert through_json(VALUES["naive datetime"]).tzinfo is None


def test_bytearray_and_memoryview_come_back_as_bytes():
    assert through_json(bytearray(b"\x00\xff")) == b"\x00\xff"
    assert type(through_json(memoryview(b"ab"))) is bytes


def test_the_encoding_is_json_without_nan_literals():
    text = json.dumps([encode(v) for v in VALUES.values()], allow_nan=False)
    assert "NaN" not in text.replace('"NaN', "").replace("sNaN", "").replace("-NaN", "")


class MyInt(int):
    pass


class MyFloat(float):
    pass


class MyText(str):
    pass


@pytest.mark.parametrize("value", [object(), [1], (1,), {"a": 1}, {1}, 1j, MyInt(1), MyFloat(1.0), MyText("x"),
                                   Path("/x"), dt.UTC], ids=repr)
def test_unknown_types_are_refused_not_stringified(value):
    with pytest.raises(TypeError, match="cannot record a value of type"):
        encode(value)


def test_an_unknown_tag_is_an_error():
    with pytest.raises(ValueError, match="unknown journal value type"):
        decode({"t": "geometry", "v": "POINT(1 2)"})
    with pytest.raises(ValueError):
        decode([1, 2])


def test_psycopg_float4_is_remembered_and_compares_as_a_float():
    pytest.importorskip("psycopg")
    from storage.backends.postgres_connection import Real

    real = Real(0.1)
    assert is_float4(real) and not is_float4(0.1) and not is_float4(MyFloat(0.1))
    assert encode(real) == {"t": "float4", "v": "0.1"}
    back = through_json(real)
    assert back == 0.1 and type(back) is Real             # psycopg binds it as a real again
    assert comparable(encode(real)) == comparable(encode(0.1))
    assert same(through_json(Real(math.nan)), Real(math.nan))


def test_float4_is_recognised_by_name_without_psycopg():
    Float4 = type("Float4", (float,), {"__module__": "psycopg.types.numeric"})
    Real = type("Real", (Float4,), {"__module__": "storage.backends.postgres_connection"})
    assert encode(Real(1.5)) == {"t": "float4", "v": "1.5"}


def test_importing_the_journal_imports_no_driver():
    code = textwrap.dedent("""
        import sys, datetime, decimal
        import storage.journal as j
        j.decode(j.encode(decimal.Decimal('1.5'))); j.decode(j.encode(datetime.datetime.now(datetime.UTC)))
        bad = sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'pymysql', 'sqlobject', 'urwid',
                                                                    'twisted'))
        print(bad)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ================================================================================================================
# Values as each real driver returns them: read, recorded, decoded, written back, read again
# ================================================================================================================
@pytest_twisted.inlineCallbacks
def rows_of(db, name):
    table = yield db.describe(name)
    page = yield db.fetch(View(table), None, limit=10)
    return table, page.rows


def assert_same_rows(first, second):
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(first, second, strict=True)) if not same(a, b)]
    assert not bad, bad


@pytest_twisted.inlineCallbacks
def test_sqlite_values_round_trip_through_the_driver(tmp_path, opened):
    path = tmp_path / "op.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a, b, c, d real, e text, f blob, g numeric, h int)")
        conn.execute("INSERT INTO t VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (1, 1.0, "1", 0.1, "é\x00\x1b" + CONTROL, bytes(range(256)), 2**63 - 1, -2**63))
    db = opened(path, read_only=False)
    table, [first] = yield rows_of(db, "t")
    assert [type(v) for v in first[1:4]] == [int, float, str]
    back = [through_json(v) for v in first]
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO t VALUES (2, ?, ?, ?, ?, ?, ?, ?, ?)", back[1:])
    values = dict(zip(table.column_names, back, strict=True)) | {"id": 3}
    third = yield db.insert_row(table, values)              # rowdesk's own write, as an undo makes it
    _, rows = yield rows_of(db, "t")
    assert_same_rows(rows[1][1:], first[1:])
    assert_same_rows(rows[2][1:], first[1:])
    assert_same_rows(third.values[1:], first[1:])


PG_COLUMNS = [
    ("u", "uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"),
    ("jb", "jsonb", """'{"b": [1, 2.50], "a": null}'"""),
    ("j", "json", """'{"b": [1, 2.50],  "a": null}'"""),
    ("ia", "int[]", "'{1,NULL,3}'"),
    ("tstz", "timestamptz", "'2024-02-29 13:45:01.123456+02'"),
    ("ts", "timestamp", "'infinity'"),
    ("iv", "interval", "'1 year 2 mons 3 days 04:05:06.5'"),
    ("num", "numeric(12,2)", "12.345"),
    ("numnan", "numeric", "'NaN'"),
    ("numtiny", "numeric", "0.000000000000000000000000000001"),
    ("bt", "bytea", "'\\x00ff10'::bytea || decode(repeat('00', 1), 'hex')"),
    ("ip", "inet", "'192.168.0.1/24'"),
    ("ip6", "inet", "'2001:db8::1'"),
    ("net", "cidr", "'10.0.0.0/8'"),
    ("r", "real", "0.1"),
    ("rnan", "real", "'NaN'"),
    ("dp", "double precision", "'-0'"),
    ("ttz", "time with time zone", "'10:00:00+05:30'"),
    ("tm", "time", "'23:59:59.999999'"),
    ("d", "date", "'0044-03-15 BC'"),
    ("bo", "boolean", "true"),
    ("bi", "bigint", "9223372036854775807"),
    ("t", "text", "E'ça va?\\n\\t\\x01'"),
    ("rng", "int4range", "'[1,10)'"),
]


@pytest_twisted.inlineCallbacks
def test_postgres_values_round_trip_through_rowdesks_loaders(pg_schema, opened):
    """Read through rowdesk's own connection (its loaders: Real, json/arrays/intervals/ranges as text, dates
    out of Python's range as text), written back with psycopg and with Database.insert_row."""
    uri, schema, conn = pg_schema
    conn.execute("CREATE TABLE every (id int PRIMARY KEY, "
                 + ", ".join(f"{n} {decl}" for n, decl, _ in PG_COLUMNS) + ")")
    conn.execute("INSERT INTO every VALUES (1, " + ", ".join(v for *_, v in PG_COLUMNS) + ")")
    db = opened(uri, read_only=False)
    table, [first] = yield rows_of(db, f"{schema}.every")
    values = dict(zip(table.column_names, first, strict=True))
    assert type(values["r"]).__name__ == "Real" and isinstance(values["ip"], ipaddress.IPv4Interface)
    assert isinstance(values["tstz"].tzinfo, ZoneInfo) and values["d"] == "0044-03-15 BC"
    back = [through_json(v) for v in first]
    conn.execute(f"INSERT INTO every VALUES (2, {', '.join(['%s'] * len(PG_COLUMNS))})", back[1:])
    third = yield db.insert_row(table, dict(zip(table.column_names, back, strict=True)) | {"id": 3})
    _, rows = yield rows_of(db, f"{schema}.every")
    assert_same_rows(rows[1][1:], first[1:])
    assert_same_rows(rows[2][1:], first[1:])
    assert_same_rows(third.values[1:], first[1:])
    # what the server holds: compared by the server itself, as text (a real is a real, not 0.100000001)
    texts = conn.execute("SELECT " + ", ".join(f"{n}::text" for n, *_ in PG_COLUMNS) + " FROM every ORDER BY id")
    texts = texts.fetchall()
    assert texts[1] == texts[0] and texts[2] == texts[0]


MY_COLUMNS = [
    ("ubig", "bigint unsigned", 2**64 - 1),
    ("big", "bigint", -2**63),
    ("dec", "decimal(30,10)", decimal.Decimal("-12345678901234567890.0123456789")),
    ("tm", "time", dt.timedelta(hours=-838, minutes=-59, seconds=-59)),
    ("tm6", "time(6)", dt.timedelta(hours=-1, minutes=-30, microseconds=-1)),
    ("bl", "blob", bytes(range(256))),
    ("js", "json", '{"b": [1, 2.50], "a": null}'),
    ("dt6", "datetime(6)", dt.datetime(2024, 2, 29, 13, 45, 1, 123456)),
    ("ts", "timestamp(6) NULL", dt.datetime(2038, 1, 19, 3, 14, 7, 999999)),
    ("d", "date", dt.date(1000, 1, 1)),
    ("f", "float", 0.1),
    ("db", "double", -0.0),
    ("vc", "varchar(20)", "abc  "),
    ("tx", "text", "é\x00\x1b" + CONTROL),
    ("yr", "year", 2155),
    ("bo", "boolean", True),
]


@pytest_twisted.inlineCallbacks
def test_mariadb_values_round_trip_through_the_driver(mysql_database, opened):
    uri, _name, conn = mysql_database
    mysql_support.run(conn, "CREATE TABLE every (id int PRIMARY KEY, "
                      + ", ".join(f"`{n}` {decl}" for n, decl, _ in MY_COLUMNS) + ") ENGINE=InnoDB")
    mysql_support.run(conn, f"INSERT INTO every VALUES (1, {', '.join(['%s'] * len(MY_COLUMNS))})",
                      tuple(v for *_, v in MY_COLUMNS))
    db = opened(uri, read_only=False)
    table, [first] = yield rows_of(db, "every")
    values = dict(zip(table.column_names, first, strict=True))
    assert values["ubig"] == 2**64 - 1 and values["tm"] == dt.timedelta(hours=-838, minutes=-59, seconds=-59)
    assert values["bl"] == bytes(range(256)) and type(values["f"]) is float
    back = [through_json(v) for v in first]
    mysql_support.run(conn, f"INSERT INTO every VALUES (2, {', '.join(['%s'] * len(MY_COLUMNS))})",
                      tuple(back[1:]))
    third = yield db.insert_row(table, dict(zip(table.column_names, back, strict=True)) | {"id": 3})
    _, rows = yield rows_of(db, "every")
    assert_same_rows(rows[1][1:], first[1:])
    assert_same_rows(rows[2][1:], first[1:])
    assert_same_rows(third.values[1:], first[1:])
    # the server's own comparison, byte for byte (a FLOAT compared as stored, case and trailing spaces)
    cols = ", ".join(f"HEX(CAST(`{n}` AS BINARY))" if n != "f" else "HEX(CAST(`f` AS DOUBLE))"
                     for n, *_ in MY_COLUMNS)
    texts = mysql_support.run(conn, f"SELECT {cols} FROM every ORDER BY id")
    assert texts[1] == texts[0] and texts[2] == texts[0]


# ================================================================================================================
# The protocol
# ================================================================================================================
DB = "postgres://ann@db.example:5432/shop"


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "data" / "rowdesk" / "journal.sqlite")
    yield j
    j.close()


def begin_update(j, *, table="items", database=DB, key=(1,), **kw):
    return j.begin(database=database, table=table, action="update", key=key,
                   before={"id": 1, "qty": 2, "price": 0.5}, after={"id": 1, "qty": 3, "price": 0.5}, **kw)


def test_begin_then_commit_records_who_when_and_the_row_read_back(journal):
    start = dt.datetime.now(dt.UTC)
    entry_id = journal.begin(database=DB, table="items", action="insert", key=(), before=None,
                             after={"name": "mug", "data": b"\x00\xff"})
    pending = journal.get(entry_id)
    assert pending.state is State.PENDING and pending.before is None and pending.key == ()
    journal.commit(entry_id, key=(7,), after={"id": 7, "name": "mug", "qty": 1, "data": b"\x00\xff"})
    entry = journal.get(entry_id)
    assert isinstance(entry, Entry) and entry.state is State.COMMITTED
    assert entry.key == (7,) and entry.after == {"id": 7, "name": "mug", "qty": 1, "data": b"\x00\xff"}
    assert (entry.user, entry.database, entry.table, entry.action) == (getpass.getuser(), DB, "items", "insert")
    assert entry.at.tzinfo is not None and start <= entry.at <= dt.datetime.now(dt.UTC)
    assert entry.batch == entry_id and entry.undone_by is None
    with pytest.raises(JournalError, match="is committed"):
        journal.commit(entry_id)
    with pytest.raises(JournalError):
        journal.discard(entry_id)
    with pytest.raises(dataclasses_frozen()):
        entry.state = State.PENDING


def dataclasses_frozen():
    import dataclasses
    return dataclasses.FrozenInstanceError


def test_a_rolled_back_change_is_discarded(journal):
    entry_id = begin_update(journal)
    journal.discard(entry_id)
    assert journal.get(entry_id) is None and journal.entries() == []
    with pytest.raises(JournalError, match="does not exist"):
        journal.commit(entry_id)
    assert begin_update(journal) > entry_id               # ids are never reused


def test_a_commit_cut_short_is_unknown_until_resolved(journal):
    entry_id = begin_update(journal)
    journal.unknown(entry_id)
    assert journal.get(entry_id).state is State.UNKNOWN
    assert journal.pending(DB) == []                      # this process is alive: its own is left to it
    [entry] = journal.pending(DB, include_live=True)
    assert entry.id == entry_id
    with pytest.raises(JournalError):
        journal.discard(entry_id)
    assert journal.resolve(entry, {"id": 1, "qty": 3, "price": 0.5}) is State.COMMITTED
    assert journal.pending(DB, include_live=True) == []


def test_the_database_is_recorded_with_its_password_masked(journal, tmp_path):
    entry_id = begin_update(journal, database="postgres://ann:s3cret-pw@db.example/shop?password=other")
    entry = journal.get(entry_id)
    assert "s3cret" not in entry.database and "other" not in entry.database and "ann:***@" in entry.database
    journal.close()
    for f in journal.path.parent.iterdir():
        assert b"s3cret" not in f.read_bytes()


def test_invalid_changes_are_refused(journal):
    with pytest.raises(ValueError):
        journal.begin(database=DB, table="t", action="upsert", key=(1,), before=None, after={"a": 1})
    with pytest.raises(ValueError):
        journal.begin(database=DB, table="t", action="insert", key=(1,), before={"a": 1}, after={"a": 1})
    with pytest.raises(ValueError):
        journal.begin(database=DB, table="t", action="delete", key=(1,), before={"a": 1}, after={"a": 1})
    with pytest.raises(TypeError):
        journal.begin(database=DB, table="t", action="insert", key=(1,), before=None, after={"a": object()})
    assert journal.entries() == []


CRASH = textwrap.dedent("""
    import os, sys
    from storage.journal import Journal
    j = Journal(sys.argv[1])
    ids = [j.begin(database=sys.argv[2], table="items", action="update", key=(1,),
                   before={"id": 1, "qty": 2}, after={"id": 1, "qty": 3})]
    j.unknown(j.begin(database=sys.argv[2], table="items", action="delete", key=(2,), before={"id": 2, "qty": 1},
                      after=None))
    done = j.begin(database=sys.argv[2], table="items", action="delete", key=(3,), before={"id": 3}, after=None)
    j.commit(done)
    print(" ".join(map(str, ids)), flush=True)
    os.kill(os.getpid(), 9)           # no commit, no close: a crash
""")


def test_what_a_crashed_process_left_is_pending_at_the_next_start(tmp_path):
    path = tmp_path / "journal.sqlite"
    child = subprocess.run([sys.executable, "-c", CRASH, str(path), DB], cwd=ROOT, capture_output=True, text=True)
    assert child.returncode == -signal.SIGKILL, child.stderr
    j = Journal(path)
    try:
        entries = j.pending(DB)
        assert [(e.action, e.state, e.key) for e in entries] == [("update", State.PENDING, (1,)),
                                                                 ("delete", State.UNKNOWN, (2,))]
        assert j.pending("mysql://root@elsewhere/db") == []
        assert j.resolve(entries[0], {"id": 1, "qty": 2}) is State.NOT_APPLIED
        assert j.resolve(entries[1], None) is State.COMMITTED
        assert j.pending(DB) == []
        assert [e.state for e in j.entries()] == [State.COMMITTED, State.COMMITTED, State.NOT_APPLIED]
    finally:
        j.close()


BEFORE = {"id": 1, "name": "lamp", "qty": 2}
AFTER = {"id": 1, "name": "lamp", "qty": 3}
OTHER = {"id": 1, "name": "lamp", "qty": 9}
RESOLVE_CASES = [
    # action, before, after, the row now, the decision
    ("insert", None, AFTER, AFTER, State.COMMITTED),
    ("insert", None, AFTER, None, State.NOT_APPLIED),
    ("insert", None, AFTER, OTHER, State.UNKNOWN_CHANGED),
    ("update", BEFORE, AFTER, AFTER, State.COMMITTED),
    ("update", BEFORE, AFTER, BEFORE, State.NOT_APPLIED),
    ("update", BEFORE, AFTER, OTHER, State.UNKNOWN_CHANGED),
    ("update", BEFORE, AFTER, None, State.UNKNOWN_CHANGED),
    ("delete", BEFORE, None, None, State.COMMITTED),
    ("delete", BEFORE, None, BEFORE, State.NOT_APPLIED),
    ("delete", BEFORE, None, OTHER, State.UNKNOWN_CHANGED),
]


def _now_name(row) -> str:
    return {id(None): "none", id(OTHER): "other", id(BEFORE): "before", id(AFTER): "after"}[id(row)]


@pytest.mark.parametrize(("action", "before", "after", "now", "state"), RESOLVE_CASES,
                         ids=[f"{a}-{_now_name(n)}" for a, _, _, n, _ in RESOLVE_CASES])
def test_resolve_decides_from_the_row_as_it_is_now(journal, action, before, after, now, state):
    entry_id = journal.begin(database=DB, table="items", action=action, key=(1,), before=before, after=after)
    [entry] = journal.pending(DB, include_live=True)
    assert journal.resolve(entry, now) is state
    assert journal.get(entry_id).state is state
    with pytest.raises(JournalError, match="cannot be resolved"):
        journal.resolve(entry, now)


def test_resolve_compares_on_the_journals_columns_and_records_the_row_read_back(journal):
    # an insert recorded with the values given: the defaults the database added, and its key
    entry_id = journal.begin(database=DB, table="items", action="insert", key=(), before=None,
                             after={"name": "mug"})
    entry = journal.get(entry_id)
    assert journal.resolve(entry, {"id": 7, "name": "mug", "qty": 1}, key=(7,)) is State.COMMITTED
    done = journal.get(entry_id)
    assert done.key == (7,) and done.after == {"id": 7, "name": "mug", "qty": 1}
    # a column missing from the row now is not "the same"
    entry = journal.get(begin_update(journal))
    assert journal.resolve(entry, {"id": 1, "qty": 3}) is State.UNKNOWN_CHANGED


def test_resolve_compares_through_the_codec(journal):
    """A float4 read back, a timestamptz read in another time zone, 1 vs 1.0 vs True, bytes."""
    pytest.importorskip("psycopg")
    from storage.backends.postgres_connection import Real

    instant = dt.datetime(2024, 2, 29, 11, 45, tzinfo=ZoneInfo("Etc/UTC"))
    after = {"r": Real(0.1), "at": instant, "n": 1, "data": b"\x00"}
    entry = journal.get(journal.begin(database=DB, table="t", action="insert", key=(1,), before=None, after=after))
    in_paris = instant.astimezone(ZoneInfo("Europe/Paris"))
    assert journal.resolve(entry, {"r": 0.1, "at": in_paris, "n": 1, "data": b"\x00"}) is State.COMMITTED
    for changed in ({"n": 1.0}, {"n": True}, {"data": b"\x01"}, {"r": Real(0.2)}, {"at": in_paris.replace(hour=1)}):
        entry = journal.get(journal.begin(database=DB, table="t", action="insert", key=(1,), before=None,
                                          after=after))
        assert journal.resolve(entry, after | changed) is State.UNKNOWN_CHANGED, changed


def test_entries_newest_first_filtered_and_paged(journal):
    ids = {}
    for i in range(25):
        table = ("items", "lines")[i % 2]
        database = DB if i < 20 else "sqlite:///other.sqlite"
        ids[i] = begin_update(journal, table=table, database=database, key=(i,))
        if i % 5 != 4:
            journal.commit(ids[i])
    assert [e.id for e in journal.entries()] == sorted(ids.values(), reverse=True)
    assert [e.key for e in journal.entries(table="lines", database=DB)] == [(i,) for i in (19, 17, 15, 13, 11, 9,
                                                                                          7, 5, 3, 1)]
    assert {e.database for e in journal.entries(database="sqlite:///other.sqlite")} == {"sqlite:///other.sqlite"}
    assert [e.key for e in journal.entries(states=[State.PENDING])] == [(24,), (19,), (14,), (9,), (4,)]
    pages, before_id = [], None
    while page := journal.entries(limit=10, before_id=before_id):
        pages.append([e.id for e in page])
        before_id = page[-1].id
    assert [len(p) for p in pages] == [10, 10, 5]
    assert sum(pages, []) == sorted(ids.values(), reverse=True)


def test_an_undo_marks_the_change_it_undid(journal):
    original = begin_update(journal)
    journal.commit(original, after=AFTER)
    undo = journal.begin(database=DB, table="items", action="update", key=(1,), before=AFTER, after=BEFORE,
                         undoes=original)
    assert journal.get(original).undone_by is None           # not before the undo is committed
    journal.commit(undo, after=BEFORE)
    assert journal.get(original).undone_by == undo and journal.get(undo).undoes == original
    # marked explicitly, for a caller that did not say so
    other = begin_update(journal)
    journal.commit(other)
    later = begin_update(journal)
    journal.commit(later)
    journal.mark_undone(other, later)
    assert journal.get(other).undone_by == later and journal.get(later).undoes == other
    with pytest.raises(JournalError, match="already undone"):
        journal.mark_undone(other, undo)
    pending = begin_update(journal)
    with pytest.raises(JournalError):
        journal.mark_undone(pending, later)                    # only a committed change is undone


def test_a_multi_row_delete_is_one_batch(journal):
    ids = journal.begin_many(database=DB, table="items", changes=[
        ("delete", (i,), {"id": i}, None) for i in range(3)])
    assert len(ids) == 3 and {journal.get(i).batch for i in ids} == {ids[0]}
    journal.commit(ids)
    assert {journal.get(i).state for i in ids} == {State.COMMITTED}
    more = journal.begin_many(database=DB, table="items", changes=[("delete", (9,), {"id": 9}, None)] * 2)
    journal.discard(more)
    assert all(journal.get(i) is None for i in more)
    with pytest.raises(ValueError):
        journal.commit(ids, after={"id": 1})


def test_the_file_and_its_directory_are_private(tmp_path):
    path = tmp_path / "a" / "b" / "journal.sqlite"
    old = os.umask(0o022)
    try:
        j = Journal(path)
        begin_update(j)
    finally:
        os.umask(old)
    try:
        for d in (tmp_path / "a", tmp_path / "a" / "b"):
            assert stat.S_IMODE(d.stat().st_mode) == 0o700
        for f in path.parent.iterdir():                   # the file, its -wal and -shm
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        with sqlite3.connect(path) as c:
            assert c.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert c.execute("PRAGMA user_version").fetchone() == (1,)
        assert j._conn.execute("PRAGMA synchronous").fetchone() == (2,)      # FULL
    finally:
        j.close()


def test_an_existing_journal_others_could_read_is_made_private(tmp_path):
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    os.chmod(path, 0o644)
    Journal(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_file_that_is_not_a_journal_is_never_written(tmp_path):
    path = tmp_path / "shop.sqlite"                       # the operator's database, by a mistake
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE items (id INTEGER PRIMARY KEY)")
    before = path.read_bytes()
    with pytest.raises(JournalError, match="not a rowdesk journal"):
        Journal(path)
    assert path.read_bytes() == before and not Path(f"{path}-wal").exists()


def test_a_journal_of_a_newer_rowdesk_is_refused(tmp_path):
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA user_version = 99")
    with pytest.raises(JournalError, match="newer rowdesk"):
        Journal(path)


def test_entries_survive_reopening(tmp_path):
    path = tmp_path / "journal.sqlite"
    with Journal(path) as j:
        entry_id = j.begin(database=DB, table="t", action="insert", key=(1,), before=None,
                           after={k: v for k, v in VALUES.items() if k != "1 MB text"})
        j.commit(entry_id)
    with Journal(path) as j:
        after = j.get(entry_id).after
        assert after.keys() == VALUES.keys() - {"1 MB text"}
        assert all(same(after[k], VALUES[k]) for k in after)


def test_threads_and_two_journals_on_one_file_write_at_once(tmp_path):
    path = tmp_path / "journal.sqlite"
    first, second = Journal(path), Journal(path)
    errors, made = [], []
    lock = threading.Lock()

    def work(j, n):
        try:
            for i in range(60):
                entry_id = begin_update(j, table=f"t{n}", key=(n, i))
                j.commit(entry_id, after={"id": i, "n": n})
                with lock:
                    made.append(entry_id)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)
    threads = [threading.Thread(target=work, args=((first, second)[n % 2], n)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert len(made) == len(set(made)) == 360
        entries = first.entries(limit=1000)
        assert len(entries) == 360 and {e.state for e in entries} == {State.COMMITTED}
        for n in range(6):
            assert sorted(e.key for e in second.entries(table=f"t{n}", limit=100)) == [(n, i) for i in range(60)]
    finally:
        first.close()
        second.close()


def test_no_value_is_ever_logged(journal, caplog):
    secret = "hunter2-secret-value"
    caplog.set_level(logging.DEBUG)
    entry_id = journal.begin(database=DB, table="users", action="update", key=(secret,),
                             before={"password": secret}, after={"password": secret + "!"})
    journal.unknown(entry_id)
    [entry] = journal.pending(DB, include_live=True)
    journal.resolve(entry, {"password": "x"})
    assert secret not in caplog.text
