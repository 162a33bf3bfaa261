"""The whole app on schemas rowdesk did not design: every table and view opens,
shows its first row, pages to its last row, and sorts, without an error."""

import re
import sqlite3

import pytest
import pytest_twisted

from tests import realworld


@pytest.fixture(scope="module", params=["chinook", "northwind", "oddities"])
def schema(request, tmp_path_factory):
    build = getattr(realworld, request.param)
    return build(tmp_path_factory.mktemp(request.param) / f"{request.param}.db")


def _names(path):
    conn = sqlite3.connect(path)
    try:
        return [(n, t) for n, t in conn.execute(
            "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' "
            "ESCAPE '\\' ORDER BY name")]
    finally:
        conn.close()


def _count(path, name):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f'SELECT count(*) FROM "{name.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
    finally:
        conn.close()


@pytest_twisted.ensureDeferred
async def test_every_table_opens_pages_and_sorts(harness, schema):
    h = harness(schema, size=(140, 30), read_only=True)
    await h.wait_for(r"tables and views", where="status")
    for name, _type in _names(schema):
        total = _count(schema, name)
        h.app.top.command_open_table(name)       # what Enter on its line does
        await h.wait_for(rf"^{re.escape(name)}\b", where="status")
        await h.idle()
        assert "failed" not in h.message, h.message
        if total == 0:
            assert "no rows" in h.status
        else:
            h.press("G")
            await h.idle()
            await h.wait_for(rf"row {total:,} of", where="status")
            h.press("l", "s")
            await h.idle()
            assert "failed" not in h.message, (name, h.message)
            h.press("g")
            await h.idle()
            assert "row 1 of" in h.status
        h.press("q")
        await h.wait_for(r"tables and views", where="status")
