"""What a form accepts for a column, and the message when it does not: the bad input of the editing issue,
each refused before anything is sent, with the field, what is wrong and what the column takes."""

import datetime as dt
import decimal

import pytest

from storage.schema import Column
from storage.values import InvalidValue, int_range, read


def col(kind, declared, nullable=True):
    return Column("f", declared, kind, nullable=nullable)


@pytest.mark.parametrize("kind, declared, engine, text, message", [
    ("int", "integer", "postgres", "12a", "'12a' is not a whole number (e.g. 42)"),
    ("int", "integer", "postgres", "2147483648", "2147483648 is out of range for integer: -2147483648 to 2147483647"),
    ("int", "smallint", "postgres", "-32769", "out of range for smallint"),
    ("int", "tinyint(3) unsigned", "mysql", "-1", "out of range for tinyint(3) unsigned: 0 to 255"),
    ("int", "INTEGER", "sqlite", "9223372036854775808", "out of range"),
    ("int", "year(4)", "mysql", "1900", "out of range for year(4): 1901 to 2155"),
    ("decimal", "numeric(12,2)", "postgres", "12.345", "12.345 has 3 decimal places; numeric(12,2) keeps 2"),
    ("decimal", "decimal(5,2)", "mysql", "1234.5", "too large for decimal(5,2): at most 3 digits before the point"),
    ("decimal", "NUMERIC(12,2)", "sqlite", "twelve", "'twelve' is not a number (e.g. 12.50)"),
    ("float", "real", "postgres", "1,5", "'1,5' is not a number"),
    ("date", "date", "postgres", "2026-02-30", "2026-02-30 is not a date of the calendar"),
    ("date", "date", "mysql", "30/03/2026", "'30/03/2026' is not a date as YYYY-MM-DD"),
    ("datetime", "timestamp", "postgres", "2026-03-31T25:00", "not a date and time of the calendar"),
    ("datetime", "datetime", "mysql", "31.3.2026 14:00", "is not a date and time as YYYY-MM-DD HH:MM"),
    ("time", "time", "mysql", "839:00:00", "out of range for TIME: -838:59:59 to 838:59:59"),
    ("time", "time", "postgres", "1pm", "'1pm' is not a time as HH:MM"),
    ("json", "jsonb", "postgres", '{"a": }', "not valid JSON"),
    ("blob", "bytea", "postgres", "abc", "hex needs two digits a byte: 3 digits given"),
    ("blob", "blob", "mysql", "zz", "not hex"),
    ("blob", "varbinary(2)", "mysql", "000102", "3 bytes is more than varbinary(2) holds"),
    ("text", "character varying(5)", "postgres", "abcdef", "6 characters is more than character varying(5) holds (5)"),
    ("text", "varchar(5) COLLATE utf8mb4_general_ci", "mysql", "Łódźźź", "6 characters is more than"),
    ("text", "tinytext", "mysql", "é" * 200, "400 bytes is more than TINYTEXT holds (255)"),
    ("text", "enum('S','M','L')", "mysql", "XL", "'XL' is not one of S, M, L"),
    ("text", "set('red','blue')", "mysql", "red,green", "green: not among red, blue"),
    ("bool", "boolean", "postgres", "maybe", "'maybe' is not true or false"),
])
def test_bad_input_is_refused_with_a_message(kind, declared, engine, text, message):
    with pytest.raises(InvalidValue) as caught:
        read(col(kind, declared), text, engine)
    assert message in str(caught.value) and str(caught.value).startswith("f: ")


def test_null_only_where_the_column_takes_it():
    assert read(col("text", "text"), None, "postgres") is None
    with pytest.raises(InvalidValue, match="cannot be NULL"):
        read(col("text", "text", nullable=False), None, "postgres")
    assert read(col("text", "text", nullable=False), "", "postgres") == ""      # the empty string is no NULL


def test_a_postgres_enum_takes_its_labels_only_and_the_form_offers_them():
    from console.screens.form import field_for
    mood = Column("mood", "mood", "text", members=("sad", "ok", "happy"))
    assert read(mood, "ok", "postgres") == "ok"
    with pytest.raises(InvalidValue, match="'meh' is not one of sad, ok, happy"):
        read(mood, "meh", "postgres")
    f = field_for(mood, "ok", inserting=False, engine="postgres")
    assert f.choices == ["sad", "ok", "happy"] and "one of sad, ok, happy · ^O picks" in f.hint


def test_a_key_column_takes_a_value_even_where_sqlite_would_hold_null():
    key = Column("code", "TEXT", "text", nullable=True, pk_position=1)      # a rowid table's TEXT key
    with pytest.raises(InvalidValue, match="part of the key: it needs a value"):
        read(key, None, "sqlite")
    from console.screens.form import field_for
    f = field_for(key, None, inserting=True, engine="sqlite")
    assert f.state == "value" and "^N" not in f.hint


def test_a_sqlite_moment_keeps_the_form_of_the_value_it_replaces():
    assert read(col("datetime", "DATETIME"), "2026-03-31 14:05", "sqlite", "2020-01-01T00:00:00") == \
        "2026-03-31T14:05:00"
    assert read(col("datetime", "DATETIME"), "2026-03-31", "sqlite", "2020-01-01") == "2026-03-31"


@pytest.mark.parametrize("kind, declared, engine, text, value", [
    ("int", "bigint(20) unsigned", "mysql", "18446744073709551615", 2 ** 64 - 1),
    ("int", "integer", "postgres", " 1_000 ", 1000),
    ("decimal", "numeric(12,2)", "postgres", "12.50", decimal.Decimal("12.50")),
    ("decimal", "numeric", "postgres", "0.000000000000000000001", decimal.Decimal("1E-21")),
    ("float", "real", "postgres", "-inf", float("-inf")),
    ("bool", "tinyint(1)", "mysql", "yes", True),
    ("date", "date", "postgres", "2024-02-29", dt.date(2024, 2, 29)),
    ("date", "DATE", "sqlite", "2024-02-29", "2024-02-29"),
    ("decimal", "NUMERIC(8,2)", "sqlite", "9.51", "9.51"),
    ("datetime", "timestamp with time zone", "postgres", "2026-03-31 14:05+02:00",
     dt.datetime(2026, 3, 31, 14, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
    # SQLite keeps moments as text, compared as text: written in one form whatever was typed
    ("datetime", "DATETIME", "sqlite", "2026-03-31T14:05:00", "2026-03-31 14:05:00"),
    ("datetime", "DATETIME", "sqlite", "2026-03-31 14:05", "2026-03-31 14:05:00"),
    ("datetime", "DATETIME", "sqlite", "2026-03-31 14:05:09.25+02:00", "2026-03-31 14:05:09.25+02:00"),
    ("time", "TIME", "sqlite", "14:05", "14:05:00"),
    ("time", "time(2)", "mysql", "-838:59:59", -dt.timedelta(hours=838, minutes=59, seconds=59)),
    ("time", "time with time zone", "postgres", "10:00+05:30",
     dt.time(10, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))),
    ("json", "json", "mysql", '{"a": [1, 2]}', '{"a": [1, 2]}'),
    ("blob", "bytea", "postgres", "\\x00 ff 10", b"\x00\xff\x10"),
    ("text", "text[]", "postgres", "{1,2}", "{1,2}"),              # the server reads what has no parser here
    ("text", "text", "postgres", "\x1b[31m\x00 ok", "\x1b[31m\x00 ok"),
])
def test_good_input_is_read_as_the_column_takes_it(kind, declared, engine, text, value):
    got = read(col(kind, declared), text, engine)
    assert got == value and type(got) is type(value)


def test_integer_ranges():
    assert int_range(col("int", "int(11)"), "mysql") == (-2 ** 31, 2 ** 31 - 1)
    assert int_range(col("int", "mediumint(8) unsigned"), "mysql") == (0, 2 ** 24 - 1)
    assert int_range(col("int", "INT"), "sqlite") == (-2 ** 63, 2 ** 63 - 1)


def test_a_column_of_no_type_keeps_the_type_of_the_value_it_replaces():
    c = col("any", "")
    assert read(c, "6", "sqlite", current=5) == 6 and type(read(c, "6", "sqlite", current=5)) is int
    assert read(c, "0.5", "sqlite", current=1.5) == 0.5
    assert read(c, "00 ff", "sqlite", current=b"\x01") == b"\x00\xff"
    assert read(c, "6", "sqlite", current="five") == "6"
    with pytest.raises(InvalidValue, match="not a number, as the value it replaces is"):
        read(c, "six", "sqlite", current=5)


def test_json_constants_python_takes_are_refused():
    with pytest.raises(InvalidValue, match="NaN is not JSON"):
        read(col("json", "json"), '{"a": NaN}', "sqlite")


def test_mysql_timestamps_with_an_offset_are_converted_and_datetimes_refuse_one():
    ts = read(col("datetime", "timestamp"), "2026-03-31 14:05:00+05:00", "mysql")
    assert ts == dt.datetime(2026, 3, 31, 9, 5) and ts.tzinfo is None
    with pytest.raises(InvalidValue, match="holds no time zone"):
        read(col("datetime", "datetime(6)"), "2026-03-31 14:05:00+05:00", "mysql")
    assert read(col("datetime", "datetime"), "2026-03-31 14:05", "mysql") == dt.datetime(2026, 3, 31, 14, 5)
