"""Row edits through Database (storage.edits) on SQLite, PostgreSQL and MariaDB, checked by reading the
database from outside: an update writes only what changed and fails with Conflict when someone else changed
or deleted the row since it was read (compared exactly: case and trailing spaces on MariaDB, a real, json,
bytes); an insert reads back the key and defaults the database gave it; a delete is all or none; another
writer's lock held past the wait is a lock timeout with nothing written; a session ended mid-save leaves
the row untouched and says so."""

from __future__ import annotations

import sqlite3

import pytest
import pytest_twisted

from storage.backends import ErrorKind
from storage.database import ReadOnly
from storage.edits import Conflict, Row, Unwritable
from storage.paging import View
from tests import mysql_support
from tests.pg_support import failure_of, sleep

DDL = {
    "sqlite": """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name varchar(20) NOT NULL UNIQUE, qty int DEFAULT 1,
                            price real, doc text, data blob, twice int GENERATED ALWAYS AS (qty * 2) VIRTUAL);
        CREATE TABLE lines (item int REFERENCES items(id), n int, what text, PRIMARY KEY (item, n));
        CREATE TABLE loose (a text, b text);
        CREATE TABLE anything (id INTEGER PRIMARY KEY, v, w);""",
    "postgres": """
        CREATE TABLE items (id serial PRIMARY KEY, name varchar(20) NOT NULL UNIQUE, qty int DEFAULT 1,
                            price real, doc jsonb, data bytea, twice int GENERATED ALWAYS AS (qty * 2) STORED);
        CREATE TABLE lines (item int REFERENCES items(id), n int, what text, PRIMARY KEY (item, n));""",
    "mysql": """
        CREATE TABLE items (id int AUTO_INCREMENT PRIMARY KEY, name varchar(20) NOT NULL UNIQUE,
                            qty int DEFAULT 1, price float, doc json, data blob,
                            twice int GENERATED ALWAYS AS (qty * 2) VIRTUAL) ENGINE=InnoDB;
        CREATE TABLE `lines` (item int, n int, what text, PRIMARY KEY (item, n),
                              FOREIGN KEY (item) REFERENCES items(id)) ENGINE=InnoDB""",
}
ROWS = [(1, "lamp", 2, 0.1, '{"w": 40}', b"\x00\xff"), (2, "kettle", 1, 1.5, None, None)]


class Place:
    def __init__(self, engine, uri, admin, schema=None, conn=None, path=None):
        self.engine, self.uri, self.admin, self.schema, self.conn, self.path = engine, uri, admin, schema, conn, path

    def sql(self, statement, params=()):
        return self.admin(statement, params)

    def q(self, name):
        quote = "`" if self.engine == "mysql" else '"'
        inner = f"{quote}{name}{quote}"
        return f'"{self.schema}".{inner}' if self.schema else inner

    def items(self):
        doc = "doc::text" if self.engine == "postgres" else "doc"
        price = "CAST(price AS DOUBLE)" if self.engine == "mysql" else "price"
        return [tuple(r) for r in self.sql(f"SELECT id, name, qty, {price}, {doc}, data FROM {self.q('items')} "
                                           "ORDER BY id")]


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def place(request, tmp_path):
    engine = request.param
    p = "%s" if engine != "sqlite" else "?"
    if engine == "sqlite":
        path = tmp_path / "e.sqlite"
        with sqlite3.connect(path) as conn:
            conn.executescript(DDL["sqlite"])

        def admin(statement, params=()):
            with sqlite3.connect(path) as c:
                return c.execute(statement, params).fetchall()
        place = Place("sqlite", str(path), admin, path=path)
    elif engine == "postgres":
        uri, schema, conn = request.getfixturevalue("pg_schema")
        conn.execute(f'SET search_path = "{schema}"')
        conn.execute(DDL["postgres"])

        def admin(statement, params=()):
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []
        place = Place("postgres", uri, admin, schema, conn)
    else:
        uri, _name, conn = request.getfixturevalue("mysql_database")
        for statement in DDL["mysql"].split(";"):
            mysql_support.run(conn, statement)
        place = Place("mysql", uri, lambda s, params=(): mysql_support.run(conn, s, params), conn=conn)
    for row in ROWS:
        place.sql(f"INSERT INTO {place.q('items')} (id, name, qty, price, doc, data) VALUES ({', '.join([p] * 6)})",
                  row)
    if engine == "postgres":
        place.sql("SELECT setval('items_id_seq', 2)")
    return place


def name_of(place, table: str) -> str:
    return f"{place.schema}.{table}" if place.schema else table


@pytest_twisted.inlineCallbacks
def shown(db, place, table="items"):
    """(the table, its rows as the grid has them: values and the hidden row id from the page's marks)."""
    t = yield db.describe(name_of(place, table))
    page = yield db.fetch(View(t), None, limit=100)
    hidden = t.identity.hidden is not None
    return t, [Row(tuple(r), m[-1] if hidden else None) for r, m in zip(page.rows, page.marks, strict=True)]


@pytest_twisted.inlineCallbacks
def test_an_update_writes_the_changes_and_reads_the_row_back(place, opened):
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place)
    after = yield db.update_row(table, rows[0], {"name": "desk lamp", "qty": 3})
    assert after.get(table, "name") == "desk lamp" and after.get(table, "qty") == 3
    assert after.get(table, "twice") == 6                       # what the database made of it, read back
    assert place.items()[0][:3] == (1, "desk lamp", 3) and place.items()[1] == ROWS[1]


@pytest_twisted.inlineCallbacks
def test_a_row_changed_by_someone_else_is_a_conflict_and_nothing_is_written(place, opened):
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place)
    place.sql(f"UPDATE {place.q('items')} SET qty = 9 WHERE id = 1")           # the other writer
    [failure] = yield failure_of(db.update_row(table, rows[0], {"name": "mine"}))
    conflict = failure.value
    assert isinstance(conflict, Conflict) and conflict.mine == rows[0]
    assert conflict.theirs.get(table, "qty") == 9 and conflict.theirs.get(table, "name") == "lamp"
    assert place.items()[0][:3] == (1, "lamp", 9)                               # theirs stands
    # overwriting is a save from their version, on purpose
    after = yield db.update_row(table, conflict.theirs, {"name": "mine"})
    assert after.get(table, "name") == "mine" and after.get(table, "qty") == 9


@pytest_twisted.inlineCallbacks
def test_a_row_deleted_meanwhile_is_a_conflict_without_theirs(place, opened):
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place)
    place.sql(f"DELETE FROM {place.q('items')} WHERE id = 2")
    [failure] = yield failure_of(db.update_row(table, rows[1], {"qty": 5}))
    assert failure.check(Conflict) and failure.value.theirs is None
    assert "was deleted" in str(failure.value)


@pytest_twisted.inlineCallbacks
def test_a_save_that_changes_nothing_is_no_conflict_and_sends_no_update(place, opened):
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place)
    place.sql(f"UPDATE {place.q('items')} SET qty = 7 WHERE id = 1")
    unchanged = {c.name: rows[0].get(table, c.name) for c in table.columns if not c.generated}
    now = yield db.update_row(table, rows[0], unchanged)       # every value as it was shown: nothing to write
    assert now.get(table, "qty") == 7 and place.items()[0][2] == 7


@pytest_twisted.inlineCallbacks
def test_values_read_back_compare_exactly_real_json_bytes(place, opened):
    """A real, json and bytes as read are the same when read again: no false conflict."""
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place)
    after = yield db.update_row(table, rows[0], {"qty": 4})
    again = yield db.update_row(table, after, {"qty": 5})
    assert again.get(table, "price") == after.get(table, "price") and again.get(table, "data") == b"\x00\xff"


@pytest_twisted.inlineCallbacks
def test_case_and_trailing_spaces_are_changes(place, opened):
    """MariaDB's collations call 'lamp', 'LAMP' and 'lamp ' equal: they are three values all the same."""
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place)
    after = yield db.update_row(table, rows[0], {"name": "LAMP"})
    assert after.get(table, "name") == "LAMP" and place.items()[0][1] == "LAMP"
    place.sql(f"UPDATE {place.q('items')} SET name = 'LAMP ' WHERE id = 1")    # only a trailing space
    [failure] = yield failure_of(db.update_row(table, after, {"qty": 8}))
    assert failure.check(Conflict) and failure.value.theirs.get(table, "name") == "LAMP "
    assert place.items()[0][2] == 2


@pytest_twisted.inlineCallbacks
def test_an_insert_gets_the_key_and_defaults_the_database_gave_it(place, opened):
    db = opened(place.uri, read_only=False)
    table, _rows = yield shown(db, place)
    new = yield db.insert_row(table, {"name": "mug"})
    assert new.get(table, "id") == 3 and new.get(table, "qty") == 1 and new.get(table, "twice") == 2
    assert place.items()[2][:3] == (3, "mug", 1)
    lines, _ = yield shown(db, place, "lines")
    line = yield db.insert_row(lines, {"item": 3, "n": 1, "what": "handle"})     # a composite key, given
    assert line.values == (3, 1, "handle")


@pytest_twisted.inlineCallbacks
def test_database_errors_leave_nothing_written(place, opened):
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place)
    [failure] = yield failure_of(db.update_row(table, rows[1], {"name": "lamp"}))      # UNIQUE
    assert db.backend.classify(failure.value) is ErrorKind.CONSTRAINT
    [failure] = yield failure_of(db.update_row(table, rows[1], {"name": None}))        # NOT NULL
    assert db.backend.classify(failure.value) is ErrorKind.CONSTRAINT
    lines, _ = yield shown(db, place, "lines")
    [failure] = yield failure_of(db.insert_row(lines, {"item": 99, "n": 1}))       # no item 99
    assert db.backend.classify(failure.value) is ErrorKind.CONSTRAINT
    assert [r[:3] for r in place.items()] == [r[:3] for r in ROWS]
    assert place.sql(f"SELECT count(*) FROM {place.q('lines')}") == [(0,)]


@pytest_twisted.inlineCallbacks
def test_a_delete_is_all_or_none(place, opened):
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place)
    lines, _ = yield shown(db, place, "lines")
    yield db.insert_row(lines, {"item": 2, "n": 1, "what": "lid"})
    [failure] = yield failure_of(db.delete_rows(table, rows))      # row 2 is referenced: neither goes
    assert db.backend.classify(failure.value) is ErrorKind.CONSTRAINT
    assert [r[0] for r in place.items()] == [1, 2]
    place.sql(f"UPDATE {place.q('items')} SET qty = 4 WHERE id = 1")
    [failure] = yield failure_of(db.delete_rows(table, rows[:1]))   # changed since shown: not deleted
    assert failure.check(Conflict)
    _, rows = yield shown(db, place)
    assert (yield db.delete_rows(table, rows[:1])) == 1
    assert [r[0] for r in place.items()] == [2]


@pytest_twisted.inlineCallbacks
def test_refused_before_anything_is_sent(place, opened):
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place)
    [failure] = yield failure_of(db.update_row(table, rows[0], {"twice": 1}))
    assert failure.check(Unwritable) and "computed by the database" in str(failure.value)
    ro = opened(place.uri, read_only=True)
    table, rows = yield shown(ro, place)
    for d in (ro.update_row(table, rows[0], {"qty": 1}), ro.insert_row(table, {"name": "x"}),
              ro.delete_rows(table, rows)):
        [failure] = yield failure_of(d)
        assert failure.check(ReadOnly)
    assert [r[:3] for r in place.items()] == [r[:3] for r in ROWS]


@pytest.mark.parametrize("place", ["sqlite"], indirect=True)
@pytest_twisted.inlineCallbacks
def test_a_keyless_sqlite_table_is_written_by_its_rowid(place, opened):
    place.sql("INSERT INTO loose VALUES ('x', 'same'), ('x', 'same')")           # two identical rows
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place, "loose")
    assert rows[0].values == rows[1].values and rows[0].hidden != rows[1].hidden
    after = yield db.update_row(table, rows[1], {"b": "other"})
    assert after.hidden == rows[1].hidden
    assert place.sql("SELECT rowid, a, b FROM loose ORDER BY rowid") == [(1, "x", "same"), (2, "x", "other")]
    new = yield db.insert_row(table, {"a": "y"})
    assert new.hidden == 3 and new.values == ("y", None)


@pytest.mark.parametrize("place", ["sqlite"], indirect=True)
@pytest_twisted.inlineCallbacks
def test_a_value_of_another_type_is_a_change(place, opened):
    """SQLite keeps 1 and 1.0 apart in a column without a type (they are shown apart too)."""
    place.sql("INSERT INTO anything VALUES (1, 1, 'x')")
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place, "anything")
    place.sql("UPDATE anything SET v = 1.0 WHERE id = 1")
    [failure] = yield failure_of(db.update_row(table, rows[0], {"w": "y"}))
    assert failure.check(Conflict) and failure.value.theirs.values == (1, 1.0, "x")


def hold_lock(place):
    """Another writer holding the row (SQLite: the database) locked; release() lets go."""
    if place.engine == "sqlite":
        conn = sqlite3.connect(place.path, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE items SET qty = qty WHERE id = 1")
        return lambda: (conn.execute("ROLLBACK"), conn.close())
    if place.engine == "postgres":
        import psycopg
        conn = psycopg.connect(place.uri.split("?")[0])
        conn.execute(f'SELECT 1 FROM "{place.schema}".items WHERE id = 1 FOR UPDATE')
        return lambda: (conn.rollback(), conn.close())
    import pymysql

    from tests.servers import MY
    conn = pymysql.connect(host=MY["host"], port=MY["port"], user=MY["user"], password="",
                           database=place.uri.rsplit("/", 1)[1])
    conn.begin()
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM items WHERE id = 1 FOR UPDATE")
    return lambda: (conn.rollback(), conn.close())


@pytest_twisted.inlineCallbacks
def test_a_lock_held_past_the_wait_is_a_lock_timeout_and_a_retry_then_succeeds(place, opened):
    db = opened(place.uri, read_only=False)
    db.backend.lock_wait = 1.0
    table, rows = yield shown(db, place)
    release = hold_lock(place)
    try:
        [failure] = yield failure_of(db.update_row(table, rows[0], {"qty": 6}))
        assert db.backend.classify(failure.value) is ErrorKind.LOCK_TIMEOUT, failure.value
    finally:
        release()
    assert place.items()[0][2] == 2
    after = yield db.update_row(table, rows[0], {"qty": 6})          # the form's retry
    assert after.get(table, "qty") == 6


@pytest.mark.parametrize("place", ["postgres", "mysql"], indirect=True)
@pytest_twisted.inlineCallbacks
def test_a_session_ended_mid_save_leaves_the_row_untouched_and_says_so(place, opened):
    db = opened(place.uri, read_only=False)
    table, rows = yield shown(db, place)
    release = hold_lock(place)                    # the save waits on the lock, inside its transaction...
    try:
        d = db.update_row(table, rows[0], {"qty": 6})
        yield sleep(0.3)
        if place.engine == "postgres":            # ...and its session is ended by the server meanwhile
            place.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%%FOR UPDATE%%' "
                      "AND state = 'active' AND pid <> pg_backend_pid()")
        else:
            for tid, _statement in mysql_support.statements(place.conn, "FOR UPDATE"):   # rowdesk's, waiting
                mysql_support.kill(place.conn, tid)
        [failure] = yield failure_of(d)
    finally:
        release()
    assert db.backend.classify(failure.value) is ErrorKind.CONNECTION_LOST       # known: nothing committed
    assert place.items()[0][2] == 2
    row = yield db.read_row(table, (1,))                                        # and what it holds now
    assert row.get(table, "qty") == 2


# == the journal: every committed change, undo with the same check, what a crash left ===========================
@pytest.fixture
def journaled(place, tmp_path, opened):
    from twisted.internet import reactor

    from storage.database import Database
    from storage.journal import Journal
    from storage.targets import parse_target
    journal = Journal(tmp_path / "journal.sqlite")
    db = Database(parse_target(place.uri, read_only=False), reactor, journal=journal)
    yield db, journal
    db.close()


@pytest_twisted.inlineCallbacks
def test_every_committed_change_is_journaled_and_undone(place, journaled):
    db, journal = journaled
    table, rows = yield shown(db, place)
    yield db.update_row(table, rows[0], {"qty": 5})
    new = yield db.insert_row(table, {"name": "mug"})
    _, rows = yield shown(db, place)
    yield db.delete_rows(table, [rows[1]])
    [deleted, inserted, updated] = journal.entries(database=db.display)
    assert [e.action for e in (deleted, inserted, updated)] == ["delete", "insert", "update"]
    assert all(e.state == "committed" and e.table == table.display for e in (deleted, inserted, updated))
    assert updated.before["qty"] == 2 and updated.after["qty"] == 5 and updated.after["twice"] == 10
    assert inserted.after["name"] == "mug" and tuple(inserted.key) == (new.get(table, "id"),)
    assert deleted.before["name"] == "kettle" and deleted.after is None
    # undone, newest first: each with the same check, each journaled as the undo of its change
    for entry in (deleted, inserted, updated):
        yield db.undo(entry)
    assert [r[:3] for r in place.items()] == [r[:3] for r in ROWS]
    newest = journal.entries(database=db.display, limit=3)
    assert [e.undoes for e in newest] == [updated.id, inserted.id, deleted.id]
    assert journal.get(updated.id).undone_by == newest[0].id
    [failure] = yield failure_of(db.undo(journal.get(updated.id)))
    assert failure.check(Unwritable) and "undone already" in str(failure.value)


@pytest_twisted.inlineCallbacks
def test_an_undo_of_a_row_changed_since_is_refused(place, journaled):
    db, journal = journaled
    table, rows = yield shown(db, place)
    yield db.update_row(table, rows[0], {"qty": 5})
    place.sql(f"UPDATE {place.q('items')} SET qty = 6 WHERE id = 1")          # someone changed it again
    [entry] = journal.entries(database=db.display)
    [failure] = yield failure_of(db.undo(entry))
    assert failure.check(Conflict) and failure.value.theirs.get(table, "qty") == 6
    assert place.items()[0][2] == 6 and journal.get(entry.id).undone_by is None
    assert len(journal.entries(database=db.display)) == 1                  # the refused undo left nothing


@pytest_twisted.inlineCallbacks
def test_a_refused_change_leaves_no_entry(place, journaled):
    db, journal = journaled
    table, rows = yield shown(db, place)
    yield failure_of(db.update_row(table, rows[1], {"name": "lamp"}))       # UNIQUE
    place.sql(f"UPDATE {place.q('items')} SET qty = 9 WHERE id = 1")
    yield failure_of(db.update_row(table, rows[0], {"name": "x"}))          # a conflict
    yield db.update_row(table, rows[1], {"name": "kettle"})                 # nothing changed
    assert journal.entries(database=db.display) == []


@pytest_twisted.inlineCallbacks
def test_what_a_crash_left_pending_is_resolved_from_the_rows(place, journaled):
    db, journal = journaled
    table, rows = yield shown(db, place)
    named = dict(zip(table.column_names, rows[0].values, strict=True))
    applied = journal.begin(database=db.display, table=table.display, action="update", key=(1,),
                            before=named, after={**named, "qty": 3, "twice": 6})
    lost = journal.begin(database=db.display, table=table.display, action="update", key=(1,),
                         before=named, after={**named, "qty": 4, "twice": 8})
    place.sql(f"UPDATE {place.q('items')} SET qty = 3 WHERE id = 1")        # the first reached the database
    decided = yield db.resolve_journal(include_live=True)     # as if this process had died
    states = {e.id: s for e, s in decided}
    assert states == {applied: "committed", lost: "unknown_changed"}
    assert journal.get(applied).state == "committed"


@pytest_twisted.inlineCallbacks
def test_a_save_that_changes_nothing_journals_nothing_even_when_someone_changed_the_row(place, journaled):
    db, journal = journaled
    table, rows = yield shown(db, place)
    place.sql(f"UPDATE {place.q('items')} SET qty = 7 WHERE id = 1")          # theirs
    now = yield db.update_row(table, rows[0], {"name": "lamp"})               # as shown: nothing to write
    assert now.get(table, "qty") == 7
    assert journal.entries(database=db.display) == []                         # their change is not ours


@pytest_twisted.inlineCallbacks
def test_a_change_is_undone_once_even_from_a_stale_entry(place, journaled):
    db, journal = journaled
    table, rows = yield shown(db, place)
    yield db.update_row(table, rows[0], {"qty": 5})
    [entry] = journal.entries(database=db.display)
    first, second = db.undo(entry), db.undo(entry)                            # the same entry, twice at once
    results = yield defer_list([first, second])
    assert sorted(ok for ok, _ in results) == [False, True]
    refused = next(r for ok, r in results if not ok)
    assert refused.check(Unwritable) and "undone already" in str(refused.value)
    assert place.items()[0][2] == 2 and len(journal.entries(database=db.display)) == 2


def defer_list(ds):
    from twisted.internet import defer
    return defer.DeferredList(ds, consumeErrors=True)


@pytest.mark.parametrize("place", ["postgres"], indirect=True)
@pytest_twisted.inlineCallbacks
def test_an_undone_delete_puts_an_identity_key_back_as_it_was(place, journaled):
    db, journal = journaled
    place.sql(f'CREATE TABLE "{place.schema}".acct (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, who text)')
    place.sql(f'INSERT INTO "{place.schema}".acct (who) VALUES (%s), (%s)', ("ann", "bob"))
    table, rows = yield shown(db, place, "acct")
    yield db.delete_rows(table, rows[:1])
    [entry] = journal.entries(database=db.display)
    yield db.undo(entry)
    assert place.sql(f'SELECT id, who FROM "{place.schema}".acct ORDER BY id') == [(1, "ann"), (2, "bob")]


@pytest.mark.parametrize("place", ["mysql"], indirect=True)
@pytest_twisted.inlineCallbacks
def test_a_mysql_insert_never_takes_another_columns_auto_increment_for_its_key(place, opened):
    mysql_support.run(place.conn, "CREATE TABLE t (k int NOT NULL DEFAULT 0 PRIMARY KEY, "
                                  "seq int AUTO_INCREMENT UNIQUE, v text)")
    mysql_support.run(place.conn, "INSERT INTO t (k, v) VALUES (2, 'precious')")
    db = opened(place.uri, read_only=False)
    table, _ = yield shown(db, place, "t")
    [failure] = yield failure_of(db.insert_row(table, {"v": "new"}))
    assert failure.check(Unwritable) and "give k a value" in str(failure.value)
    assert mysql_support.run(place.conn, "SELECT k, v FROM t") == [(2, "precious")]       # rolled back


def test_same_tells_apart_what_python_calls_equal():
    import datetime as dt
    import decimal

    from storage.edits import same
    assert not same(decimal.Decimal("1.1"), decimal.Decimal("1.10")) and same(decimal.Decimal("NaN"),
                                                                             decimal.Decimal("NaN"))
    assert not same(0.0, -0.0) and same(float("nan"), float("nan")) and not same(1, 1.0) and not same(1, True)
    utc, plus2 = dt.UTC, dt.timezone(dt.timedelta(hours=2))
    assert not same(dt.datetime(2026, 1, 1, 12, tzinfo=utc), dt.datetime(2026, 1, 1, 14, tzinfo=plus2))
    zero = dt.timezone(dt.timedelta(0))
    assert same(dt.datetime(2026, 1, 1, 12, tzinfo=utc), dt.datetime(2026, 1, 1, 12, tzinfo=zero))
    assert not same(dt.time(12, tzinfo=utc), dt.time(14, tzinfo=plus2))


@pytest.mark.parametrize("place", ["sqlite", "postgres"], indirect=True)
@pytest_twisted.inlineCallbacks
def test_a_change_the_journal_cannot_record_is_rolled_back(place, journaled):
    import sqlite3 as sqlite
    db, journal = journaled
    table, rows = yield shown(db, place)
    journal._conn.execute("PRAGMA busy_timeout = 100")            # not 10 s of waiting in a test
    holder = sqlite.connect(journal.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")                               # another rowdesk holds the journal
    try:
        [failure] = yield failure_of(db.update_row(table, rows[0], {"qty": 9}))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert failure.check(Unwritable) and "could not be written" in str(failure.value)
    assert place.items()[0][2] == 2                                  # rolled back with it


@pytest.mark.parametrize("place", ["postgres"], indirect=True)
@pytest_twisted.inlineCallbacks
def test_a_save_whose_commit_was_cut_short_is_decided_at_once_from_the_row(place, journaled):
    """A deferred trigger sleeps inside COMMIT and the session is ended meanwhile: the outcome is unknown to
    the save, and the journal decides it from the row read again on a fresh connection (here: not applied)."""
    from storage.writes import OutcomeUnknown
    from tests import pg_support
    db, journal = journaled
    s = place.schema
    place.sql(f'CREATE FUNCTION "{s}".slow() RETURNS trigger LANGUAGE plpgsql AS '
              "$$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$")
    place.sql(f'CREATE CONSTRAINT TRIGGER slow AFTER UPDATE ON "{s}".items DEFERRABLE INITIALLY DEFERRED '
              f'FOR EACH ROW EXECUTE FUNCTION "{s}".slow()')
    table, rows = yield shown(db, place)
    d = db.update_row(table, rows[0], {"qty": 8})
    import time
    deadline = time.monotonic() + 10
    while not pg_support.statements(place.conn, "COMMIT"):
        assert time.monotonic() < deadline, "COMMIT never ran"
        yield sleep(0.01)
    [(pid, _state)] = pg_support.statements(place.conn, "COMMIT")
    place.sql("SELECT pg_terminate_backend(%s)", (pid,))
    [failure] = yield failure_of(d)
    assert failure.check(OutcomeUnknown)
    [entry] = journal.entries(database=db.display)
    assert entry.state == "not_applied" and place.items()[0][2] == 2
