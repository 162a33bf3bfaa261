"""The operator's own SQLObject classes (storage.user_models), on SQLite, PostgreSQL and MariaDB: the models of
tests/models_fixture/library.py imported in a worker thread, bound to the open database and nothing else, matched
to tables made with plain SQL, their joins navigable like foreign keys, their mismatches one line each, their
validators asked without writing anything; broken modules one line each."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import re
import sys
import threading
from dataclasses import dataclass

import pytest
import pytest_twisted
import sqlobject
from sqlobject import classregistry
from sqlobject.main import SQLObject

from storage import user_models, values
from storage.jobs import Job
from storage.paging import View
from storage.schema import Reference
from storage.user_models import NO_DEFAULT, ModelsError, Through, load, load_models, through_condition, validate
from tests.conftest import make_db

ENGINES = ("sqlite", "postgres", "mysql")
LIBRARY = "tests.models_fixture.library"
TABLES = ("writers", "book", "library_tag", "book_tag", "book_series")

# The database's types, where they differ per engine: (SQLite, PostgreSQL, MariaDB).
TYPES = {"timestamp": ("TIMESTAMP", "TIMESTAMP", "DATETIME"), "blob": ("BLOB", "BYTEA", "BLOB")}


def ddl(engine: str) -> list[str]:
    """The library's tables, in plain SQL. Wider than the model where the model must refuse what the database
    takes: country VARCHAR(100) for a StringCol(length=40), price NUMERIC(8, 3) for a DecimalCol(6, 2)."""
    t = {k: v[ENGINES.index(engine)] for k, v in TYPES.items()}
    tail = " ENGINE=InnoDB" if engine == "mysql" else ""
    return [
        "CREATE TABLE writers (writer_id INTEGER PRIMARY KEY, full_name VARCHAR(60) NOT NULL UNIQUE, born DATE, "
        f"country VARCHAR(100) DEFAULT 'unknown'){tail}",
        "CREATE TABLE book (id INTEGER PRIMARY KEY, title VARCHAR(80) NOT NULL, writer_ref INTEGER, "
        f"price NUMERIC(8, 3), status VARCHAR(20) DEFAULT 'draft', published {t['timestamp']} NULL, pages INTEGER, "
        f"cover {t['blob']}, FOREIGN KEY (writer_ref) REFERENCES writers (writer_id)){tail}",
        f"CREATE TABLE library_tag (id INTEGER PRIMARY KEY, label VARCHAR(30) NOT NULL, colour VARCHAR(20)){tail}",
        "CREATE TABLE book_tag (book_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, PRIMARY KEY (book_id, tag_id), "
        "FOREIGN KEY (book_id) REFERENCES book (id), FOREIGN KEY (tag_id) REFERENCES library_tag (id))" + tail,
        f"CREATE TABLE book_series (id INTEGER PRIMARY KEY, title VARCHAR(80) NOT NULL, created {t['timestamp']} "
        f"NULL){tail}",
        "INSERT INTO writers VALUES (1, 'Ursula K. Le Guin', '1929-10-21', 'US'), (2, 'Stanisław Lem', '1921-09-12', "
        "'PL')",
        "INSERT INTO book (id, title, writer_ref, price, status, published, pages) VALUES "
        "(1, 'The Dispossessed', 1, 12.5, 'published', '1974-05-01 00:00:00', 387), "
        "(2, 'Solaris', 2, 9.99, 'published', '1961-01-01 00:00:00', 204), "
        "(3, 'The Lathe of Heaven', 1, NULL, 'draft', NULL, NULL)",
        "INSERT INTO library_tag VALUES (1, 'utopia', 'red'), (2, 'sf', NULL)",
        "INSERT INTO book_tag VALUES (1, 1), (1, 2), (2, 2), (3, 2)",
    ]


@dataclass
class Library:
    engine: str
    db: object
    prefix: str                 # "schema." on PostgreSQL, where tables are shown schema.table

    def t(self, name: str) -> str:
        return self.prefix + name


@pytest.fixture(params=ENGINES)
def library(request, tmp_path, opened):
    engine = request.param
    if engine == "sqlite":
        path = make_db(tmp_path / "library.sqlite", ";\n".join(ddl(engine)))
        yield Library(engine, opened(path, read_only=True), "")
    elif engine == "postgres":
        uri, schema, conn = request.getfixturevalue("pg_schema")
        for statement in ddl(engine):
            conn.execute(statement)
        yield Library(engine, opened(uri, read_only=True), f"{schema}.")
    else:
        uri, _name, conn = request.getfixturevalue("mysql_database")
        with conn.cursor() as cur:
            for statement in ddl(engine):
                cur.execute(statement)
        yield Library(engine, opened(uri, read_only=True), "")


@pytest.fixture
def sqlite_library(tmp_path, opened):
    path = make_db(tmp_path / "library.sqlite", ";\n".join(ddl("sqlite")))
    return Library("sqlite", opened(path, read_only=True), "")


def in_a_thread(fn):
    """fn() in a plain thread of its own (never the reactor's); its result, or its exception raised here."""
    out = {}

    def run():
        try:
            out["result"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test's thread
            out["error"] = e
    thread = threading.Thread(target=run, name="models-test")
    thread.start()
    thread.join(60)
    if "error" in out:
        raise out["error"]
    return out["result"]


def job_in_a_thread(db, fn):
    """fn(job) in a plain thread of its own, as a job of *db* (its connection given back in that thread)."""
    def run():
        job = Job("test")
        try:
            return fn(job)
        finally:
            if job.lease is not None:
                job.lease.close()
    return in_a_thread(run)


def load_in_thread(lib: Library, module: str = LIBRARY):
    """load_models as the app runs it, in a plain worker thread: the catalogue, the import, the describes."""
    db = lib.db

    def run(job):
        entries = db.tables.in_thread(db, job)
        models = load_models(module, db.connection, entries, describe=lambda n: db.describe.in_thread(db, job, n))
        hub = (sqlobject.sqlhub.__dict__.get("processConnection"),
               getattr(sqlobject.sqlhub.threadingLocal, "connection", None))
        return models, hub
    return job_in_a_thread(db, run)


class SQLSpy:
    """Every statement SQLObject sends on the connection (rowdesk's own go through raw leases, not here)."""

    def __init__(self, connection, monkeypatch):
        self.sql: list[str] = []
        original = connection._executeRetry

        def spy(conn, cursor, query):
            self.sql.append(query)
            return original(conn, cursor, query)
        monkeypatch.setattr(connection, "_executeRetry", spy, raising=False)

    def row_reads(self) -> list[str]:
        tables = "|".join(TABLES)
        return [s for s in self.sql
                if re.search(rf"^\s*SELECT\b.*\bFROM\s+[`\"]?({tables})\b", s, re.IGNORECASE | re.DOTALL)]


def no_rows_through_sqlobject(monkeypatch):
    """Loading a row through SQLObject fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a row was loaded through SQLObject")
    monkeypatch.setattr(SQLObject, "get", classmethod(refuse))
    monkeypatch.setattr(SQLObject, "select", classmethod(refuse))
    monkeypatch.setattr(SQLObject, "_init", refuse)


# -- loading ---------------------------------------------------------------------------------------------------------
def test_classes_are_found_bound_to_the_open_database_only_and_matched_to_their_tables(library, monkeypatch):
    no_rows_through_sqlobject(monkeypatch)
    spy = SQLSpy(library.db.connection, monkeypatch)
    models, hub_in_thread = load_in_thread(library)
    t = library.t

    assert [(m.class_name, m.table) for m in models.models] == [
        ("Author", t("writers")), ("Book", t("book")), ("Tag", t("library_tag")), ("BookSeries", t("book_series")),
        ("Reviewer", None)]                        # Stamped: a base class with no table, not a model
    for m in models.models:
        assert m.model.__dict__["_connection"] is library.db.connection
    assert hub_in_thread == (None, None)
    assert "processConnection" not in sqlobject.sqlhub.__dict__
    assert models.warnings == [
        f"models: Author: column bio (dbName bio) is not in table {t('writers')}",
        "models: Reviewer: table reviewers is not in the database",
    ]
    # fromDatabase queried the catalogue while the module ran; no statement read a row.
    assert spy.sql and spy.row_reads() == []
    assert sorted(models.tables) == sorted(t(n) for n in TABLES)


def test_declared_columns_names_keys_defaults_and_alternate_ids(library):
    models, _ = load_in_thread(library)
    author, book, series = (models.by_class(n) for n in ("Author", "Book", "BookSeries"))

    assert (author.declared_table, author.id_name, author.checked) == ("writers", "writer_id", True)
    assert [c[:6] for c in author.columns] == [
        ("name", "full_name", "StringCol", NO_DEFAULT, True, False),
        ("born", "born", "DateCol", None, False, False),
        ("country", "country", "StringCol", "unknown", False, False),
        ("bio", "bio", "StringCol", None, False, False),
    ]
    assert [c.column for c in author.columns] == ["full_name", "born", "country", None]
    assert author.column("full_name").attr == "name" and author.column("name").db_name == "full_name"
    assert author.column("country").length == 40

    assert [(c.attr, c.db_name, c.type_name, c.default_text) for c in book.columns] == [
        ("title", "title", "StringCol", None),
        ("authorID", "writer_ref", "ForeignKey", "NULL"),
        ("price", "price", "DecimalCol", "NULL"),
        ("status", "status", "EnumCol", "'draft'"),
        ("published", "published", "DateTimeCol", "NULL"),
        ("pages", "pages", "IntCol", "NULL"),
        ("cover", "cover", "BLOBCol", "NULL"),
    ]
    assert book.column("writer_ref").foreign_key == "Author"
    assert book.column("status").members == ("draft", "published", "out of print")
    assert book.column("title").not_none
    # CamelCase class, table by SQLObject's style; a column inherited from the base, its default a callable.
    assert (series.table, [c.attr for c in series.columns]) == (library.t("book_series"), ["created", "title"])
    created = series.column("created")
    assert created.default_text == "DateTimeCol.now() when a row is made"
    assert isinstance(created.initial, dt.datetime)


def test_from_database_classes_read_their_columns_at_import_in_a_worker_thread(library):
    models, _ = load_in_thread(library)
    tag = models.by_class("Tag")
    assert [(c.attr, c.column, c.from_database, c.not_none, c.default) for c in tag.columns] == [
        ("label", "label", True, True, NO_DEFAULT), ("colour", "colour", True, False, NO_DEFAULT)]
    assert sys.modules[LIBRARY].IMPORTED_IN == "models-test"
    if library.engine == "sqlite":
        # Why nullability comes from the table: SQLObject's SQLite fromDatabase reads PRAGMA table_info's
        # `notnull` as "null allowed", the wrong way round.
        so_columns = tag.model.sqlmeta.columns
        assert (so_columns["label"].notNone, so_columns["colour"].notNone) == (False, True)
    assert validate(tag, "colour", None) is None
    assert validate(tag, "label", None) == "Tag.label: cannot be NULL (NOT NULL in the table)"


# -- relations -------------------------------------------------------------------------------------------------------
def test_foreign_keys_and_joins_are_references(library):
    models, _ = load_in_thread(library)
    t = library.t
    author, book, tag = (models.by_class(n) for n in ("Author", "Book", "Tag"))

    assert book.references == (Reference(t("book"), ("writer_ref",), t("writers"), ("writer_id",), "Book.author"),)
    # MultipleJoin: from an author to their books, as a reference from book.
    assert author.joins == (Reference(t("book"), ("writer_ref",), t("writers"), ("writer_id",), "Author.books"),)
    # RelatedJoin: from a book to its tags through book_tag, and back.
    assert book.joins == (Through(
        "Book.tags", t("book"), t("book_tag"),
        Reference(t("book_tag"), ("book_id",), t("book"), ("id",), "Book.tags"),
        Reference(t("book_tag"), ("tag_id",), t("library_tag"), ("id",), "Book.tags"), t("library_tag")),)
    assert tag.joins == (Through(
        "Tag.books", t("library_tag"), t("book_tag"),
        Reference(t("book_tag"), ("tag_id",), t("library_tag"), ("id",), "Tag.books"),
        Reference(t("book_tag"), ("book_id",), t("book"), ("id",), "Tag.books"), t("book")),)
    # What refers to a writer: Author.books and Book.author are the same key, named once.
    assert [r.name for r in models.references_to(t("writers"))] == ["Author.books"]


@pytest_twisted.inlineCallbacks
def test_joins_are_navigable_with_the_databases_own_reads(library, monkeypatch):
    db = library.db
    models = yield load(db, LIBRARY)
    assert sys.modules[LIBRARY].IMPORTED_IN.startswith("PoolThread-rowdesk-")
    no_rows_through_sqlobject(monkeypatch)
    t = library.t
    author, book, tag = (models.by_class(n) for n in ("Author", "Book", "Tag"))
    book_table, tag_table = (yield db.describe(t("book"))), (yield db.describe(t("library_tag")))

    def column(table, name, page):
        i = table.column_names.index(name)
        return sorted(row[i] for row in page.rows)

    (books_of,) = author.joins                     # the books of Ursula K. Le Guin (writer 1)
    page = yield db.fetch(View(book_table, filters=db.equal(book_table, books_of.columns, (1,))), None)
    assert column(book_table, "title", page) == ["The Dispossessed", "The Lathe of Heaven"]

    (tags_of,) = book.joins                        # the tags of The Dispossessed (book 1)
    page = yield db.fetch(View(tag_table, filters=(through_condition(models, tags_of, (1,), db.dialect),)), None)
    assert column(tag_table, "label", page) == ["sf", "utopia"]

    (books_tagged,) = tag.joins                    # the books tagged sf (tag 2)
    page = yield db.fetch(View(book_table, filters=(through_condition(models, books_tagged, (2,), db.dialect),)),
                          None)
    assert column(book_table, "title", page) == ["Solaris", "The Dispossessed", "The Lathe of Heaven"]


# -- the form's checks -----------------------------------------------------------------------------------------------
def typed(library, table, column, text, current=None):
    """The value rowdesk's own form would write for *text* over *current* (storage.values), on this engine."""
    return values.read(table.column(column), text, library.db.backend.name, current)


@pytest_twisted.inlineCallbacks
def test_validate_asks_the_models_validators_and_declarations_without_writing(library, monkeypatch):
    db = library.db
    models = yield load(db, LIBRARY)
    spy = SQLSpy(db.connection, monkeypatch)
    no_rows_through_sqlobject(monkeypatch)
    author, book = models.by_class("Author"), models.by_class("Book")
    book_table, writers = (yield db.describe(library.t("book"))), (yield db.describe(library.t("writers")))

    def check(info, table, column, text, current=None):
        return validate(info, column, typed(library, table, column, text, current))

    assert check(book, book_table, "pages", "12") is None
    assert check(book, book_table, "pages", "0") == ("Book.pages: the model refuses 0: Please enter a number that "
                                                     "is 1 or greater")
    assert check(book, book_table, "status", "lost") == (
        "Book.status: the model refuses 'lost': expected a member of ['draft', 'published', 'out of print'] in the "
        "EnumCol 'status', got 'lost' instead")
    assert check(book, book_table, "status", "out of print") is None
    # What the database takes and the model does not: SQLObject declares these and never checks them.
    assert check(author, writers, "country", "x" * 50) == ("Author.country: 50 characters is too long: the model's "
                                                           "StringCol(length=40) holds 40")
    assert check(book, book_table, "price", "12.345") == ("Book.price: 12.345 has 3 decimal places: the model's "
                                                          "DecimalCol(size=6, precision=2) keeps 2")
    assert check(book, book_table, "price", "12345.6") == ("Book.price: 12345.6 has 5 digits before the point: the "
                                                           "model's DecimalCol(size=6, precision=2) holds 4")
    assert check(book, book_table, "price", "1234.50") is None
    assert check(book, book_table, "published", "2009-01-01 00:00:00") is None
    # Over a value written with a "T" (by another program), rowdesk writes the new one in the same form on SQLite,
    # where dates are text: SQLObject's DateTimeCol cannot read that back (its get() would fail on the row).
    iso = check(book, book_table, "published", "2009-01-01 00:00:00", current="1974-05-01T00:00:00")
    if library.engine == "sqlite":
        assert iso == ("Book.published: the model refuses '2009-01-01T00:00:00': expected a date/time string of "
                       "the '%Y-%m-%d %H:%M:%S.%f' format in the DateTimeCol 'published', got <class 'str'> "
                       "'2009-01-01T00:00:00.0' instead")
    else:
        assert iso is None                         # a server holds a timestamp, which SQLObject reads as one
    assert check(book, book_table, "writer_ref", "2") is None
    assert validate(book, "writer_ref", "abc") == (
        "Book.authorID: the model refuses 'abc': expected a <class 'int'> for the ForeignKey 'authorID', got "
        "<class 'str'> 'abc' instead")
    assert validate(book, "pages", 3.7) == "Book.pages: the model's IntCol would make 3.7 3"
    assert validate(book, "title", None) == "Book.title: cannot be NULL (notNone in the model)"
    assert validate(author, "full_name", None) == "Author.name: cannot be NULL (an alternateID column of the model)"
    assert validate(author, "born", None) is None
    assert validate(author, "no_such_column", "x") is None

    # A BLOB: SQLObject's validator turns bytes into base64 text on SQLite (and caches it); asked here, the value
    # stays the bytes the form writes, and the validator keeps nothing.
    cover = bytes(range(256))
    blob_validator = book.column("cover").validator
    assert validate(book, "cover", cover) is None
    assert getattr(blob_validator, "_cachedValue", None) is None and cover == bytes(range(256))
    assert spy.sql == []                           # nothing was sent to the database


def test_model_defaults_for_a_new_row(sqlite_library):
    models, _ = load_in_thread(sqlite_library)
    book = models.by_class("Book")
    assert {c.column: c.initial for c in book.columns if c.initial is not NO_DEFAULT} == {
        "writer_ref": None, "price": None, "status": "draft", "published": None, "pages": None, "cover": None}
    assert validate(book, "price", decimal.Decimal("1.5")) is None


# -- loading again, and modules that cannot be used ------------------------------------------------------------------
def test_loading_again_imports_the_module_afresh(sqlite_library):
    first, _ = load_in_thread(sqlite_library)
    second, _ = load_in_thread(sqlite_library)
    old, new = first.by_class("Author").model, second.by_class("Author").model
    assert old is not new
    assert classregistry.registry(None).getClass("Author") is new
    assert second.warnings == first.warnings


def test_a_module_that_sets_sqlhub_is_undone(sqlite_library):
    models, hub_in_thread = load_in_thread(sqlite_library, "tests.models_fixture.meddler")
    assert hub_in_thread == (None, None)
    assert "processConnection" not in sqlobject.sqlhub.__dict__
    assert models.warnings == [
        "models: tests.models_fixture.meddler set SQLObject's sqlhub: undone (its classes use the open database)",
        "models: Note: table note is not in the database",
    ]
    assert models.by_class("Note").model.__dict__["_connection"] is sqlite_library.db.connection


@pytest.mark.parametrize(("module", "message", "line"), [
    ("broken", "models: tests.models_fixture.broken: syntax error in tests/models_fixture/broken.py, line 14: "
               "'return' outside function", 14),
    ("plain", "models: tests.models_fixture.plain (tests/models_fixture/plain.py) defines no SQLObject classes",
     None),
    ("needs_missing", "models: tests.models_fixture.needs_missing could not be imported: No module named "
                      "'rowdesk_no_such_module' (tests/models_fixture/needs_missing.py, line 3)", 3),
    ("no_such_module", "models: no module named tests.models_fixture.no_such_module (looked in {cwd} and the "
                       "Python path)", None),
])
def test_a_module_that_cannot_be_used_is_one_line(sqlite_library, module, message, line, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with pytest.raises(ModelsError) as caught:
        load_in_thread(sqlite_library, f"tests.models_fixture.{module}")
    error = caught.value
    assert str(error) == message.format(cwd=os.getcwd())
    assert "\n" not in str(error)
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)   # no traceback
    assert (error.module, error.line) == (f"tests.models_fixture.{module}", line)
    assert "processConnection" not in sqlobject.sqlhub.__dict__


def test_a_file_name_is_not_a_module_name(sqlite_library):
    with pytest.raises(ModelsError, match=r"^models: 'models\.py' is not a module name: give one as "
                                          r"package\.module, importable from the current directory$"):
        load_models("models.py", sqlite_library.db.connection, [])


def test_the_module_is_found_in_the_current_directory(tmp_path, monkeypatch, sqlite_library):
    (tmp_path / "operator_models_here.py").write_text(
        "from sqlobject import SQLObject, StringCol\n\n\nclass Writer(SQLObject):\n"
        "    class sqlmeta:\n        table = 'writers'\n        idName = 'writer_id'\n\n"
        "    fullName = StringCol()\n")
    monkeypatch.chdir(tmp_path)
    assert str(tmp_path) not in sys.path
    db = sqlite_library.db
    entries = job_in_a_thread(db, lambda job: db.tables.in_thread(db, job))
    models = in_a_thread(lambda: load_models("operator_models_here", db.connection, entries))
    assert [(m.class_name, m.table, m.checked) for m in models.models] == [("Writer", "writers", False)]
    assert str(tmp_path) not in sys.path        # only while importing
    table = job_in_a_thread(db, lambda job: db.describe.in_thread(db, job, "writers"))
    (writer,) = models.check(table).models
    assert (writer.checked, writer.column("full_name").attr) == (True, "fullName")   # fullName: full_name by style
    assert models.warnings == []
    user_models._forget("operator_models_here")
