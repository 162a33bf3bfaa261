"""--models on the whole app: the operator's SQLObject classes (tests/models_fixture/library.py) loaded in a worker
thread and bound to the open database; their mismatches said in one line each; their ForeignKeys, MultipleJoins
and RelatedJoins navigable like the database's foreign keys; the form checks values with the model's validators
and declarations too; a module that cannot be used ends rowdesk with one line and exit status 1."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import pytest_twisted

from console import paths
from tests.conftest import make_db
from tests.terminal import Terminal
from tests.test_app_browse import open_table
from tests.test_e2e import rowdesk_command
from tests.test_user_models import LIBRARY, ddl

ROOT = Path(__file__).parent.parent


@pytest.fixture
def library(tmp_path):
    return make_db(tmp_path / "library.sqlite", ";\n".join(ddl("sqlite")))


async def with_models(harness, path):
    h = harness(path, size=(170, 30), models=LIBRARY)
    await h.wait_for(r"models tests\.models_fixture\.library: 5 classes · models: ", where="message")
    assert h.app.status.message_text.endswith("(+1 more in " + str(paths.log_file()) + ")")
    return h


@pytest_twisted.ensureDeferred
async def test_a_model_backed_table_its_joins_and_its_warnings(harness, library):
    h = await with_models(harness, library)
    await open_table(h, "book")
    await h.wait_for(r"^book · model Book · row 1 of 3", where="status")
    h.press("<")                                          # the rows that refer to book 1, and its RelatedJoin
    await h.wait_for(r"book_tag\.book_id +2 rows")
    await h.wait_for(r"library_tag through book_tag +2 rows +\(the model's Book\.tags\)")
    h.press("j", "enter")
    await h.wait_for(r"^library_tag · model Tag · filter .* · row 1 of 2", where="status")
    assert "utopia" in h.text and "sf" in h.text
    assert "book 1 › library_tag" in h.lines[0]
    h.press("backspace")
    await h.wait_for(r"^book · model Book · row 1 of 3", where="status")
    h.press("l", "l", ">")                                # writer_ref: the author
    await h.wait_for(r"^writers · model Author · row 1 of 2", where="status")
    h.press("<")
    await h.wait_for(r"book\.writer_ref +2 rows")         # the database's key, and Author.books: one line
    assert h.text.count("book.writer_ref") == 1


@pytest_twisted.ensureDeferred
async def test_the_form_checks_with_the_models_validators(harness, library):
    h = await with_models(harness, library)
    await open_table(h, "book")
    await h.wait_for(r"^book · model Book · row 1 of 3", where="status")
    h.press("e")
    await h.wait_for(r"^edit · book", where="status")
    assert "Book.title" in h.text and "model default: 'draft'" in h.text        # the model's names, defaults
    h.press(*["tab"] * 5)                                 # pages: validators.Int(min=1)
    await h.wait_for(r"field pages", where="status")
    h.press("ctrl u")
    h.type("0")
    h.press("ctrl s")
    await h.wait_for(r"1 field to correct \(pages: Book\.pages: the model refuses 0: ", where="message")
    assert sqlite3.connect(library).execute("SELECT pages FROM book WHERE id = 1").fetchone() == (387,)
    h.press("ctrl u")
    h.type("400")
    h.press("ctrl s")
    await h.wait_for(r"^saved", where="message")
    assert sqlite3.connect(library).execute("SELECT pages FROM book WHERE id = 1").fetchone() == (400,)


@pytest_twisted.ensureDeferred
async def test_a_new_row_names_the_models_columns_and_defaults(harness, library):
    h = await with_models(harness, library)
    await open_table(h, "writers")
    await h.wait_for(r"^writers · model Author · row 1 of 2", where="status")
    h.press("n")
    await h.wait_for(r"^new row · writers|^insert · writers|writers", where="status")
    assert "Author.name (alternateID)" in h.text
    h.press("tab")
    h.type("Octavia E. Butler")
    h.press("ctrl s")
    await h.wait_for(r"^(saved|inserted)", where="message")
    got = sqlite3.connect(library).execute("SELECT full_name, country FROM writers WHERE writer_id = 3").fetchone()
    assert got == ("Octavia E. Butler", "unknown")


def test_a_module_that_cannot_be_used_ends_rowdesk_with_one_line(library):
    t = Terminal(rowdesk_command() + ["--models", "tests.models_fixture.broken", str(library)], cols=120, rows=20,
                 cwd=ROOT)
    try:
        assert t.wait_exit(timeout=20) == 1
        t.wait_for(r"rowdesk: models: tests\.models_fixture\.broken: ")
        assert "Traceback" not in t.text
    finally:
        t.close()
