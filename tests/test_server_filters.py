"""The filter language on the real servers: contains is case-insensitive (non-ASCII letters too), a literal
% or _ or ! is itself, booleans match what the grid shows, comparisons are typed, and a typo is refused
(servers enforce the column's type). The SQL is run as paging runs it: the dialect's placeholders."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from twisted.internet import defer

from console.formatting import formatter
from storage.dialect import MYSQL, POSTGRES
from storage.filters import FilterError, parse_filter
from storage.paging import View
from storage.schema import Column

ROWS = [
    (1, "Kraków", True, decimal.Decimal("12.345"), dt.date(2024, 5, 1), "50% off"),
    (2, "KRAKÓW center", False, decimal.Decimal("0.005"), dt.date(2024, 5, 2), "a_b!c"),
    (3, "Lisbon", None, None, None, None),
]


def columns(dialect):
    return {
        "name": Column("name", "text", "text"),
        "flag": Column("flag", "boolean" if dialect is POSTGRES else "tinyint(1)", "bool"),
        "amount": Column("amount", "numeric(12,3)", "decimal"),
        "day": Column("day", "date", "date"),
        "note": Column("note", "text", "text"),
    }


@pytest.fixture(params=["postgres", "mysql"])
def server(request):
    if request.param == "postgres":
        _uri, schema, conn = request.getfixturevalue("pg_schema")
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text, flag boolean, amount numeric(12,3), day date, "
                     "note text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s)", ROWS)

        def run(sql, params):
            return [r[0] for r in conn.execute(sql, params).fetchall()]
        return POSTGRES, run
    _uri, name, conn = request.getfixturevalue("mysql_database")
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id int PRIMARY KEY, name text, flag tinyint(1), amount decimal(12,3), day date, "
                    "note text)")
        cur.executemany("INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s)", ROWS)

    def run(sql, params):
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return [r[0] for r in cur.fetchall()]
    return MYSQL, run


def ids(server, column, text):
    dialect, run = server
    cond = parse_filter(text, columns(dialect)[column], dialect)
    sql = dialect.placeholders(f"SELECT id FROM t WHERE {cond.sql} ORDER BY id")
    return run(sql, cond.params)


def test_contains_ignores_case_non_ascii_letters_too(server):
    assert ids(server, "name", "kraków") == [1, 2]
    assert ids(server, "name", "KRAKÓW") == [1, 2]
    assert ids(server, "name", "!kraków") == [3]


def test_like_characters_are_literals(server):
    assert ids(server, "note", "50%") == [1]
    assert ids(server, "note", "a_b") == [2]
    assert ids(server, "note", "_") == [2]
    assert ids(server, "note", "b!c") == [2]
    assert ids(server, "note", "%") == [1]


def test_booleans_match_what_the_grid_shows(server):
    assert ids(server, "flag", "true") == [1]
    assert ids(server, "flag", "fals") == [2]
    assert ids(server, "flag", "=true") == [1]


def test_comparisons_are_typed_and_typos_refused(server):
    assert ids(server, "amount", ">=12.345") == [1]
    assert ids(server, "amount", "<12.345") == [2]
    assert ids(server, "day", ">2024-05-01") == [2]
    assert ids(server, "amount", "null") == [3]
    dialect, _run = server
    with pytest.raises(FilterError, match="is not a valid decimal"):
        parse_filter(">12,3", columns(dialect)["amount"], dialect)


# -- what the grid shows, typed back: shared by the every-type tests of each server ---------------------------------
def test_the_pictures_are_the_grids():
    """The filters' copy of the grid's pictures of control characters (storage does not import widgets)."""
    from storage.filters import PICTURES
    from widgets.cells import visible

    pictured = {chr(i): visible(chr(i)) for i in range(0x110000)
                if not 0xD800 <= i < 0xE000 and visible(chr(i)) != chr(i)}
    assert pictured == PICTURES
    assert visible("a\r\nb") == "a⏎b"


def typed(text: str) -> str:
    """*text* as the operator types it back: in quotes where it would read as syntax or lose its spaces."""
    plain = (text and text == text.strip() and not text.startswith(('"', "!", "=", "<", ">"))
             and text.lower() not in ("null", "!null"))
    return text if plain else f'"{text}"'


@defer.inlineCallbacks
def found(db, table, column: str, text: str):
    view = View(table, filters=(parse_filter(text, table.column(column), db.dialect),))
    page = yield db.fetch(view, None, limit=1000)
    assert page.reached_end
    return sorted(r[0] for r in page.rows)


@defer.inlineCallbacks
def grid_texts_find_their_rows(db, table, column: str, ranks: dict | None, *, equality: bool = True):
    """Every value of *column* as the grid shows it (console.formatting), typed back: `text` finds exactly the
    rows whose grid text contains it (ignoring case), `!text` the others; `=text` finds its row (where *equality*);
    and `<` `<=` `>` `>=` with a few of them take the rows before or after it in *ranks* (id: the column's dense
    rank in the server's ORDER BY, NULLs left out)."""
    col = table.column(column)
    i = table.column_names.index(column)
    page = yield db.fetch(View(table), None, limit=1000)
    show = formatter(col)
    shown = {r[0]: show(r[i]) for r in page.rows if r[i] is not None}
    everyone = sorted(r[0] for r in page.rows)
    assert shown, f"{column} has values"
    for row_id, text in shown.items():
        want = sorted(k for k, t in shown.items() if text.lower() in t.lower())
        assert (yield found(db, table, column, typed(text))) == want, (column, text)
        assert (yield found(db, table, column, "!" + typed(text))) == [k for k in everyone if k not in want], text
        if equality:
            assert row_id in (yield found(db, table, column, "=" + typed(text))), (column, "=" + text)
    if ranks is None:
        return
    # a few values, by rank: the least, a middle one, the greatest (a control character's picture is not the
    # character: such text is typed back for text and = only)
    pivots = sorted((rank, k) for k, rank in ranks.items() if not any(m in shown[k] for m in "⏎→⟨"))
    assert pivots, column
    for rank, pivot in {pivots[0], pivots[len(pivots) // 2], pivots[-1]}:
        for op, holds in (("<", rank.__gt__), ("<=", rank.__ge__), (">", rank.__lt__), (">=", rank.__le__)):
            want = sorted(k for k, r in ranks.items() if holds(r))
            assert (yield found(db, table, column, op + typed(shown[pivot]))) == want, (column, op + shown[pivot])


KINDS_DECLARED = {
    "postgres": [("int", "integer"), ("float", "real"), ("float", "double precision"), ("decimal", "numeric"),
                 ("bool", "boolean"), ("date", "date"), ("datetime", "timestamp with time zone"),
                 ("time", "time with time zone"), ("time", "time without time zone"), ("text", "inet"),
                 ("text", "character(4)"), ("json", "json"), ("blob", "bytea"), ("any", "point")],
    "mysql": [("int", "bigint(20) unsigned"), ("int", "year(4)"), ("float", "float"), ("float", "double"),
              ("decimal", "decimal(20,10)"), ("bool", "tinyint(1)"), ("date", "date"), ("datetime", "datetime(6)"),
              ("time", "time(2)"), ("text", "enum('a','b')"), ("text", "text"), ("json", "json (longtext)"),
              ("blob", "blob"), ("blob", "bit(10)"), ("spatial", "point")],
}


@pytest.mark.parametrize("dialect", [POSTGRES, MYSQL], ids=["postgres", "mysql"])
def test_the_sql_of_the_grids_text_holds_no_placeholder_and_no_backslash(dialect):
    """A `?` in a literal would be taken for a parameter (Dialect.placeholders); a backslash means another thing
    under MySQL's NO_BACKSLASH_ESCAPES."""
    for kind, declared in KINDS_DECLARED[dialect.name]:
        col = Column("c", declared, kind)
        for text in ("x", "a⏎b", "!a⏎b") + (("=a⏎b",) if kind in ("text", "json", "any") else ()):
            sql = parse_filter(text, col, dialect).sql
            assert "?" in sql and "\\" not in sql.replace("?", ""), (kind, declared, text)
            assert sql.count("?") == 1


@pytest.mark.parametrize(("dialect", "declared", "kind", "text", "message"), [
    (POSTGRES, "json", "json", "<1", "json values have no order: c takes =, != and text filters"),
    (POSTGRES, "xml", "text", ">=<a/>", "xml values have no order"),
    (POSTGRES, "timestamp without time zone", "datetime", "=2024-02-29 11:45:01+00:00", "is not a valid datetime"),
    (POSTGRES, "time without time zone", "time", "=10:00:00+05:30", "is not a valid time"),
    (POSTGRES, "date", "date", "=0000-01-01 BC", "is not a valid date"),      # there is no year 0 BC
    (POSTGRES, "date", "date", "=0044-02-29 BC", "is not a valid date"),      # 44 BC was no leap year
    (POSTGRES, "date", "date", "=0044-03-15 10:00 BC", "is not a valid date"),
    (POSTGRES, "bytea", "blob", "=<3 bytes> 00 ff", "is not a valid blob"),    # the count is not theirs
    (POSTGRES, "bytea", "blob", "=0 0ff", "is not a valid blob"),
    (MYSQL, "bigint(20) unsigned", "int", "=18446744073709551616", "is not a valid int"),
    (MYSQL, "time(2)", "time", "=839:00:00", "is not a valid time"),          # the server would clip it
    (MYSQL, "time(2)", "time", "=5:60:00", "is not a valid time"),
    (MYSQL, "enum('zeta','alpha')", "text", "<beta", "is not a valid text"),
    (MYSQL, "set('x','y')", "text", "=x,w", "is not a valid text"),
    (MYSQL, "date", "date", "=2024-00-32", "is not a valid date"),
    (MYSQL, "tinyint(1)", "bool", "=maybe", "is not a valid bool"),
])
def test_server_typos_are_refused(dialect, declared, kind, text, message):
    with pytest.raises(FilterError, match=message):
        parse_filter(text, Column("c", declared, kind), dialect)


def test_mysql_grid_text_without_backslash_escapes(mysql_database):
    """Under NO_BACKSLASH_ESCAPES the SQL of bytes, control characters and dates means what it means elsewhere."""
    _uri, _name, conn = mysql_database
    with conn.cursor() as cur:
        cur.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')")
        cur.execute("CREATE TABLE b (id int PRIMARY KEY, bl blob, tx text, at datetime(6))")
        cur.executemany("INSERT INTO b VALUES (%s, %s, %s, %s)", [
            (1, b"\x00\xff\x10", "a\\b\nc", dt.datetime(2024, 5, 1, 8, 0, 0, 500000)),
            (2, b"\\", "x", dt.datetime(2024, 5, 1))])

    def ids(column, kind, text):
        cond = parse_filter(text, Column(column, "blob" if kind == "blob" else "text", kind), MYSQL)
        with conn.cursor() as cur:
            cur.execute(MYSQL.placeholders(f"SELECT id FROM b WHERE {cond.sql} ORDER BY id"), cond.params)
            return [r[0] for r in cur.fetchall()]
    assert ids("bl", "blob", "ff 10") == [1] and ids("bl", "blob", '"<1 bytes> 5c"') == [2]
    assert ids("bl", "blob", "=00ff10") == [1]
    assert ids("tx", "text", "a\\b⏎c") == [1] and ids("tx", "text", "=a\\b⏎c") == [1]
    assert ids("at", "datetime", "08:00:00.500000") == [1] and ids("at", "datetime", "01 00:00:00") == [2]
