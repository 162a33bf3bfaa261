"""Commands with arguments, run from the palette's command line (`:sort age desc`), with completion of command
names, tables, columns and argument values as you type; the same commands as the keys."""

from __future__ import annotations

import os

import pytest
import pytest_twisted

from console import commands
from tests.conftest import make_db
from tests.test_app_browse import SCRIPT, open_table


@pytest.fixture(scope="module")
def browse_db(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("commands") / "browse.db", SCRIPT)


async def people(harness, browse_db):
    h = harness(browse_db, size=(110, 30))
    await open_table(h, "people")
    await h.wait_for(r"people · row 1 of 5,000", where="status")
    await h.idle()
    return h


def line(h) -> str:
    return h.app.overlay.text


@pytest_twisted.ensureDeferred
async def test_sort_filter_and_goto_with_arguments(harness, browse_db):
    h = await people(harness, browse_db)
    h.press(":")
    h.type("sort age desc")
    h.press("enter")
    await h.wait_for(r"people · sort age ▼ · row 1 of 5,000", where="status")
    h.press(":")
    h.type("filter city =Lisbon")
    h.press("enter")
    await h.wait_for(r"people · sort age ▼ · filter city = Lisbon · row 1 of [\d,]+", where="status")
    h.press(":")
    h.type("sort age off")
    h.press("enter")
    await h.wait_for(r"^people · filter city = Lisbon · row 1 of", where="status")
    h.press("F", ":")
    h.type("goto 4321")
    h.press("enter")
    await h.wait_for(r"people · row 4,321 of 5,000", where="status")
    h.press(":")
    h.type("column bal")
    h.press("enter")
    await h.wait_for(r"col 6/7", where="status")


@pytest_twisted.ensureDeferred
async def test_the_palette_completes_names_columns_and_values(harness, browse_db):
    h = await people(harness, browse_db)
    h.press(":")
    h.type("so")
    h.press("tab")
    assert line(h) == "sort "                               # the command's name, ready for its arguments
    h.type("ci")
    await h.wait_for(r"sort city")
    h.press("tab")
    assert line(h) == "sort city "
    h.type("d")
    h.press("tab")
    assert line(h) == "sort city desc"
    h.press("enter")
    await h.wait_for(r"people · sort city ▼", where="status")
    h.press(":")
    h.type("open peo")                                     # a table name completed, then opened
    await h.wait_for(r"open people")
    h.press("esc")
    h.press(":")
    h.type("theme ")
    await h.wait_for(r"theme light")
    h.type("li")
    h.press("enter")
    await h.wait_for(r"theme light \(this session", where="message")
    assert h.app.theme == "light"


@pytest_twisted.ensureDeferred
async def test_a_wrong_command_line_says_why_and_runs_nothing(harness, browse_db):
    h = await people(harness, browse_db)
    h.press(":")
    h.type("sort nosuch")
    h.press("enter")
    await h.wait_for(r"no column matches 'nosuch'", where="message")
    assert "sort" not in h.status
    h.press(":")
    h.type("frobnicate now")
    await h.wait_for(r"nothing matches")
    h.press("enter")
    await h.wait_for(r"no command 'frobnicate'")              # in the palette: it stays open to correct
    assert h.app.overlay is not None
    h.press("esc")
    h.press(":")
    h.type("sort age sideways")
    h.press("enter")
    await h.wait_for(r"sort age: 'sideways' is not asc, desc or off", where="message")


def test_parse_splits_like_a_shell_and_keeps_a_filter_as_typed():
    assert commands.parse("sort placed_at desc")[1] == ["placed_at", "desc"]
    assert commands.parse('filter "Unit Price" >= 10  and more')[1] == ["Unit Price", ">= 10  and more"]
    assert commands.parse("open 'My Table'")[1] == ["My Table"]
    for bad, why in (("quit now", "takes no arguments"), ("open", "needs table"), ("nope", "no command"),
                     ("goto 1 2", "takes 1 argument")):
        with pytest.raises(commands.CommandError, match=why):
            commands.parse(bad)


def test_completion_proposes_what_comes_next():
    ctx = commands.Context(list(commands.COMMANDS.values()),
                           values={"column": lambda: ["placed_at", "status"], "table": lambda: ["Track", "Album"]})
    lines = lambda text: [c.line for c in commands.complete(text, ctx)]     # noqa: E731
    assert lines("sort pl") == ["sort placed_at "]
    assert lines("sort placed_at d") == ["sort placed_at desc"]
    assert lines("open tr") == ["open Track"]
    assert lines("goto 12") == ["goto 12"]                   # a number: as typed
    assert lines("filter status =a b") == ["filter status =a b"]
    assert "sort " in lines("sor")


@pytest_twisted.ensureDeferred
async def test_an_export_by_several_processes_from_the_app_and_one_that_fails(harness, browse_db, tmp_path,
                                                                             monkeypatch):
    """From the running app, a SQLite export written by worker processes (forced here: the table is small) is
    the one stream's file; a worker that fails says why in one line and leaves no file."""
    import csv

    from storage.backends import sqlite_export
    monkeypatch.setattr(sqlite_export, "workers_for", lambda rows: 2)
    h = await people(harness, browse_db)
    out = tmp_path / "people.csv"
    h.press(":")
    h.type(f"export csv {out}")
    h.press("enter")
    await h.wait_for(r"exported 5,000 rows to .*people\.csv", where="message")
    rows = list(csv.reader(out.open(newline="")))
    assert len(rows) == 5001 and [int(r[0]) for r in rows[1:]] == sorted(int(r[0]) for r in rows[1:])
    monkeypatch.setattr(sqlite_export, "csv_values_sql",
                        lambda columns, quote: [f"rowdesk_no_such_function({quote(c.name)})" for c in columns])
    h.press(":")
    h.type(f"export csv {tmp_path / 'broken.csv'}")
    h.press("enter")
    await h.wait_for(r"export failed: no such function: rowdesk_no_such_function; nothing was written",
                     where="message")
    assert not (tmp_path / "broken.csv").exists() and not (tmp_path / "broken.csv.part").exists()
    assert [n for n in os.listdir(tmp_path) if n.startswith(".rowdesk-export-")] == []


@pytest_twisted.ensureDeferred
async def test_export_the_view_from_the_palette_and_with_x(harness, browse_db, tmp_path):
    import csv
    h = await people(harness, browse_db)
    out = tmp_path / "lisbon.csv"
    h.press(":")
    h.type("filter city =Lisbon")
    h.press("enter")
    await h.wait_for(r"filter city = Lisbon · row 1 of 1,666", where="status")
    h.press(":")
    h.type(f"export csv {out}")
    h.press("enter")
    await h.wait_for(r"exported 1,666 rows to .*lisbon\.csv", where="message")
    rows = list(csv.reader(out.open(newline="")))
    assert rows[0][:4] == ["id", "name", "age", "city"] and len(rows) == 1667
    assert {r[3] for r in rows[1:]} == {"Lisbon"}
    h.press("x")                                          # the same file again: asked before it is replaced
    await h.wait_for(r"export to \(.csv, .jsonl or .json\): ", where="message")
    h.press("ctrl u")
    h.type(str(out))
    h.press("enter")
    await h.wait_for(r"Replace .*lisbon\.csv\?")
    h.press("n")
    await h.wait_for(r"nothing exported: .* is kept", where="message")
    h.press(":")
    h.type(f"export {tmp_path / 'lisbon.jsonl'}")        # the format from the name
    h.press("enter")
    await h.wait_for(r"exported 1,666 rows to .*lisbon\.jsonl", where="message")
    assert len((tmp_path / "lisbon.jsonl").read_text().splitlines()) == 1666


@pytest_twisted.ensureDeferred
async def test_too_many_arguments_are_said_where_the_eye_is(harness, browse_db):
    h = await people(harness, browse_db)
    h.press(":")
    h.type("goto 5 6")
    await h.wait_for(r"nothing matches")
    h.press("enter")
    await h.wait_for(r"goto takes 1 argument: goto \[row\]")
    assert "people · row 1 of" in h.status
