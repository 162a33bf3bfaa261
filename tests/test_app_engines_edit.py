"""Editing through the keyboard on each engine (tests/app_engines.py's data set on SQLite, the PostgreSQL
server and the MariaDB server), the database read back with its own client: a form save, a case-only and a
trailing-space change (which MariaDB's collations call equal), and a row changed by another session while the
form was open. Each test edits rows of its own: the data set is made once for the module."""

from __future__ import annotations

import sqlite3

import pytest
import pytest_twisted

from tests import app_engines as data
from tests.test_app_engines import opened


@pytest.fixture(scope="module", params=data.ENGINES)
def engine(request, tmp_path_factory):
    """The data set on one engine, made once per module (this module's own: its tests may change it)."""
    yield from data.made(request.param, tmp_path_factory)


def write(engine, statement: str, params=()) -> None:
    """A change by another session, committed."""
    if engine.name == "sqlite":
        with sqlite3.connect(engine.target) as conn:
            conn.execute(statement, params)
        return
    statement = statement.replace("?", "%s")
    if engine.name == "postgres":
        engine.admin.execute(statement, params)
        return
    with engine.admin.cursor() as cur:
        cur.execute(statement, params)
    engine.admin.commit()


def stored(engine, column: str, n: int):
    q = engine.q
    p = "?" if engine.name == "sqlite" else "%s"
    return engine.sql(f"SELECT {q(column)} FROM {q('OrderLine')} WHERE {q('OrderId')} = {p} AND {q('LineNo')} = {p}",
                      (data.order_id(n), data.line_no(n)))[0][0]


async def form_on_row(harness, engine, n: int):
    h = await opened(harness, engine)
    h.press("#")
    h.type(str(n))
    h.press("enter")
    await h.wait_for(f"row {n} of", where="status")
    h.press("e")
    await h.wait_for(rf"^edit · .*OrderLine · row {n}\b", where="status")
    return h


@pytest_twisted.ensureDeferred
async def test_a_form_save_is_written_on_each_engine(harness, engine):
    h = await form_on_row(harness, engine, 3)
    assert h.app.top.view.focused.name == "Customer"           # the key columns are shown, not edited
    h.press("ctrl u")
    h.type("Zoë Ünicode-Ä 3")
    h.press("tab", "ctrl u")
    h.type("Q")                                                  # City: letters are text, not commands
    h.press("ctrl s")
    await h.wait_for(r"^saved", where="message")
    assert stored(engine, "Customer", 3) == "Zoë Ünicode-Ä 3" and stored(engine, "City", 3) == "Q"
    assert stored(engine, "Customer", 4) == data.customer(4)     # the next row untouched


@pytest_twisted.ensureDeferred
async def test_a_case_only_and_a_trailing_space_change_are_saved(harness, engine):
    n = 7
    h = await form_on_row(harness, engine, n)
    h.press("ctrl u")
    h.type(data.customer(n).upper())
    h.press("ctrl s")
    await h.wait_for(r"^saved", where="message")
    assert stored(engine, "Customer", n) == data.customer(n).upper()
    h.press("e")
    await h.wait_for(r"^edit · ", where="status")
    h.type(" ")
    h.press("ctrl s")
    await h.wait_for(r"^saved", where="message")
    assert stored(engine, "Customer", n) == data.customer(n).upper() + " "


@pytest_twisted.ensureDeferred
async def test_another_sessions_change_meanwhile_is_a_conflict_and_theirs_is_kept(harness, engine):
    n = 11
    h = await form_on_row(harness, engine, n)
    h.type(" (mine)")
    q = engine.q
    write(engine, f"UPDATE {q('OrderLine')} SET {q('Customer')} = ? WHERE {q('OrderId')} = ? AND {q('LineNo')} = ?",
          (data.customer(n) + " ", data.order_id(n), data.line_no(n)))       # only a trailing space
    h.press("ctrl s")
    await h.wait_for(r"^conflict · ", where="status")
    assert "changed by someone else" in h.text
    h.press("k")
    await h.wait_for(r"kept their version", where="message")
    assert stored(engine, "Customer", n) == data.customer(n) + " "
