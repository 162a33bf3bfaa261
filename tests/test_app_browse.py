"""The Browse and Record screens, driven headless on a real reactor and real threads."""

import re

import pytest
import pytest_twisted

from tests.conftest import make_db

WIDE_COLS = 60
SCRIPT = f"""
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, city TEXT, joined DATE,
                     balance NUMERIC(10,2), active BOOLEAN);
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 5000)
INSERT INTO people SELECT n,
    CASE n % 4 WHEN 0 THEN 'Zoë ' || n WHEN 1 THEN '渡辺 ' || n WHEN 2 THEN 'Ana ' || n ELSE 'Łukasz ' || n END,
    CASE WHEN n % 10 = 0 THEN NULL ELSE 18 + n % 60 END,
    CASE n % 3 WHEN 0 THEN 'Lisbon' WHEN 1 THEN 'Kraków' ELSE NULL END,
    date('2020-01-01', '+' || (n % 1000) || ' days'), (n * 7 % 10000) / 4.0, n % 2
FROM s;
CREATE INDEX people_age ON people(age);
CREATE TABLE empty_table (id INTEGER PRIMARY KEY, label TEXT);
CREATE TABLE strict_counts (id INTEGER PRIMARY KEY, n INTEGER) STRICT;
INSERT INTO strict_counts VALUES (1, 10), (2, 20);
CREATE TABLE one_row (code TEXT PRIMARY KEY, note TEXT);
INSERT INTO one_row VALUES ('ONLY', 'a single row with a rather long note that will not fit in a narrow column '
                            || 'so the grid truncates it with an ellipsis but the record view shows all of it');
CREATE TABLE wide ({", ".join(f"c{i:02d} INTEGER" for i in range(WIDE_COLS))});
INSERT INTO wide VALUES ({", ".join(str(i * 11) for i in range(WIDE_COLS))});
CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000)
    SELECT x FROM c ORDER BY x DESC;
"""


@pytest.fixture(scope="module")
def browse_db(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("browse") / "browse.db", SCRIPT)


async def open_table(h, name):
    await h.wait_for(r"\d+ tables and views", where="status")
    h.press(":")
    h.type(f"open {name}")
    await h.wait_for(f"open {name}")
    h.press("enter")
    await h.wait_for(rf"^{re.escape(name)}\b", where="status")


@pytest_twisted.ensureDeferred
async def test_open_shows_rows_header_nulls_and_position(harness, browse_db):
    h = harness(browse_db)
    await open_table(h, "people")
    await h.wait_for(r"people · row 1 of 5,000 · col 1/7", where="status")
    header = h.lines[1]
    for col in ("id", "name", "age", "city", "joined", "balance", "active"):
        assert col in header
    first = h.lines[2]
    assert "渡辺 1" in first and "Kraków" in first and "true" in first
    assert "∅" in h.lines[11]           # row 10: age and city are NULL
    assert re.search(r"\s1│", first)     # numbers are right-aligned in their column


@pytest_twisted.ensureDeferred
async def test_moving_paging_and_jumping(harness, browse_db):
    h = harness(browse_db, size=(100, 30))
    await open_table(h, "people")
    await h.wait_for("row 1 of 5,000", where="status")
    h.press("j", "down", "j")
    await h.wait_for("row 4 of", where="status")
    h.press("k")
    await h.wait_for("row 3 of", where="status")
    page = h.app.top.grid.height
    h.press("page down")
    await h.wait_for(f"row {3 + page} of", where="status")
    h.press("page up", "page up")
    await h.wait_for("row 1 of", where="status")
    h.press("G")
    await h.wait_for("row 5,000 of 5,000", where="status")
    assert "5000" in h.text and "Zoë 5000" in h.text
    h.press("k", "page up")
    await h.wait_for(f"row {4999 - page:,} of", where="status")
    h.press("g")
    await h.wait_for("row 1 of 5,000", where="status")
    h.press("end")
    await h.wait_for("row 5,000 of", where="status")
    h.press("home")
    await h.wait_for("row 1 of", where="status")


@pytest_twisted.ensureDeferred
async def test_page_down_through_the_whole_table_keeps_memory_bounded(harness, browse_db):
    from console.browse_model import KEEP

    h = harness(browse_db)
    await open_table(h, "people")
    await h.wait_for("row 1 of 5,000", where="status")
    model = h.app.top.model
    seen_ids = set()
    for _ in range(400):
        h.press("page down")
        await h.idle()
        seen_ids.update(r[0] for r in model.rows)
        assert len(model.rows) <= KEEP + 200
        if "row 5,000 of" in h.status:
            break
    assert "row 5,000 of 5,000" in h.status
    assert seen_ids == set(range(1, 5001))


@pytest_twisted.ensureDeferred
async def test_columns_move_and_scroll_in_a_wide_table(harness, browse_db):
    h = harness(browse_db, size=(80, 24))
    await open_table(h, "wide")
    await h.wait_for("row 1 of 1 · col 1/60", where="status")
    assert "c00" in h.lines[1] and "c59" not in h.lines[1]
    h.press("$")
    await h.wait_for("col 60/60", where="status")
    assert "c59" in h.lines[1] and "c00" not in h.lines[1] and "649" in h.lines[2]
    h.press("h", "h")
    await h.wait_for("col 58/60", where="status")
    h.press("0", "l")
    await h.wait_for("col 2/60", where="status")
    assert "c00" in h.lines[1]


@pytest_twisted.ensureDeferred
async def test_sort_ascending_then_descending_with_nulls(harness, browse_db):
    h = harness(browse_db)
    await open_table(h, "people")
    await h.wait_for("row 1 of 5,000", where="status")
    h.press("l", "l", "s")          # age
    await h.wait_for("sort age ▲", where="status")
    await h.idle()
    assert "age ▲" in h.lines[1]
    assert "∅" in h.lines[2]        # SQLite sorts NULLs first
    h.press("G")
    await h.wait_for("row 5,000 of 5,000", where="status")
    assert re.search(r"│\s*77│", h.lines[-3])
    h.press("s")
    await h.wait_for("sort age ▼", where="status")
    await h.idle()
    assert re.search(r"│\s*77│", h.lines[2])
    # paging through a sort that spans the NULL group and the values shows every row once
    model = h.app.top.model
    ids = [r[0] for r in model.rows]
    for _ in range(100):
        if model.at_end:
            break
        h.press("G")
        await h.idle()
    assert len(set(ids)) == len(ids)


@pytest_twisted.ensureDeferred
async def test_filters_comparisons_errors_and_clearing(harness, browse_db):
    h = harness(browse_db)
    await open_table(h, "people")
    await h.wait_for("row 1 of 5,000", where="status")
    h.press("l", "l", "/")          # age
    await h.wait_for("filter age", where="message")
    h.type(">=70")
    h.press("enter")
    await h.wait_for(r"filter age >= 70 · row 1 of [\d,]+", where="status")
    await h.idle()
    count = h.app.top.model.total.rows
    assert count == sum(1 for n in range(1, 5001) if n % 10 and 18 + n % 60 >= 70)
    h.press("/")
    h.press(*["backspace"] * 10)
    h.type(">abc")
    h.press("enter")                # SQLite keeps text in an INTEGER column too: compared as text, and said so
    await h.wait_for("filter age > abc: 'abc' is not an int: compared as text", where="message")
    await h.wait_for("no rows match", where="status")
    h.press("/", "ctrl u")
    h.type(">=70")
    h.press("enter")
    await h.wait_for(r"filter age >= 70 · row 1 of [\d,]+", where="status")
    h.press("l", "/")              # city: text contains, case-insensitive
    h.type("KRAK")
    h.press("enter")
    await h.wait_for("filter city ~ KRAK", where="status")
    await h.idle()
    assert "Lisbon" not in h.text and "Kraków" in h.text
    h.press("F")
    await h.wait_for(r"people · row 1 of 5,000", where="status")
    h.press("/")
    h.type("null")
    h.press("enter")
    await h.wait_for("filter city is null", where="status")
    await h.idle()
    assert h.app.top.model.total.rows == sum(1 for n in range(1, 5001) if n % 3 == 2)
    h.press("/", "x")
    h.press(*["backspace"] * 10)
    h.type("=Nowhere")
    h.press("enter")
    await h.wait_for("no rows match", where="status")


@pytest_twisted.ensureDeferred
async def test_a_typo_is_refused_where_sqlite_enforces_the_type(harness, browse_db):
    h = harness(browse_db)
    await open_table(h, "strict_counts")
    await h.wait_for("row 1 of 2", where="status")
    h.press("l", "/")
    h.type(">1O")
    h.press("enter")
    await h.wait_for("filter not applied: '1O' is not a valid int for column n", where="message")
    assert "filter" not in h.status
    h.press("/")
    assert "1O" in h.message                     # the prompt starts from what was typed
    h.press("ctrl u")
    h.type(">15")
    h.press("enter")
    await h.wait_for("filter n > 15 · row 1 of 1", where="status")
    h.press("/")
    assert ">15" in h.message


@pytest_twisted.ensureDeferred
async def test_enter_shows_whole_record_and_steps_rows(harness, browse_db):
    h = harness(browse_db, size=(90, 24))
    await open_table(h, "one_row")
    await h.wait_for("row 1 of 1", where="status")
    assert "…" in h.text                 # the long note is cut in the grid
    h.press("enter")
    await h.wait_for("^record · one_row", where="status")
    text = h.text
    assert "code" in text and "ONLY" in text and "TEXT key" in text
    assert "the record view shows all of it" in " ".join(text.split())
    h.press("esc")
    await h.wait_for("^one_row", where="status")
    h.press("q")
    await open_table(h, "people")
    await h.wait_for("row 1 of 5,000", where="status")
    h.press("enter")
    await h.wait_for("^record · people", where="status")
    h.press("n", "n")
    await h.wait_for("row 3 of", where="status")
    assert "Łukasz 3" in h.text
    h.press("p")
    await h.wait_for("row 2 of", where="status")
    assert "Ana 2" in h.text


@pytest_twisted.ensureDeferred
async def test_empty_table_and_refresh(harness, browse_db):
    h = harness(browse_db)
    await open_table(h, "empty_table")
    await h.wait_for("empty_table · no rows", where="status")
    h.press("j", "G", "enter", "s", "r")
    await h.wait_for("empty_table · no rows", where="status")
    assert "id" in h.lines[1] and "label" in h.lines[1]


@pytest_twisted.ensureDeferred
async def test_escape_really_cancels_a_slow_query(harness, browse_db):
    h = harness(browse_db)
    await open_table(h, "slow")
    await h.wait_for("reading rows  Esc cancels", where="status")
    job = next(j for j in h.db.worker.running.values() if j.label == "read rows")
    h.press("esc")
    await h.wait_for("cancelled", where="message")
    assert job.cancelled
    await h.idle()                 # the worker thread is free again: the statement was interrupted
    assert "Esc cancels" not in h.status
    h.press("q")
    await h.wait_for(r"tables and views", where="status")
    h.press(":")
    h.type("open people")
    h.press("enter")
    await h.wait_for("row 1 of 5,000", where="status")   # the pool still serves queries


@pytest_twisted.ensureDeferred
async def test_small_terminal_and_resize(harness, browse_db):
    h = harness(browse_db, size=(100, 30))
    await open_table(h, "people")
    await h.wait_for("row 1 of 5,000", where="status")
    h.resize(40, 10)
    await h.wait_for("people · row 1", where="status")
    assert all(len(line) <= 40 for line in h.lines)
    assert h.app.top.grid.height == 6                   # 10 lines less title, header, status, message
    h.press("page down")
    await h.wait_for("row 7 of", where="status")       # a page is what fits on screen
    h.resize(20, 6)
    h.press("j")
    await h.wait_for("people", where="status")
    h.resize(120, 40)
    await h.wait_for("row 8 of 5,000", where="status")


@pytest_twisted.ensureDeferred
async def test_read_only_view_says_why(harness, browse_db):
    h = harness(browse_db, read_only=True)
    await h.wait_for("read-only")
    await open_table(h, "one_row")
    await h.wait_for("row 1 of 1", where="status")
    h.press("q")
    await h.wait_for(r"tables and views", where="status")
    h.press("q")
    assert h.app.finished


@pytest_twisted.ensureDeferred
async def test_help_opened_while_a_table_opens_stays_usable(harness, browse_db):
    h = harness(browse_db)
    await h.wait_for(r"tables and views", where="status")
    h.press("j")                                   # one_row
    h.screen.send(["enter", "?"])                  # help opens before the table has been read
    await h.wait_for(r"row 1 of 1", where="status")
    await h.wait_for(r"Keys · j/k scroll")
    h.press("esc")
    await h.wait_for(r"ONLY")
    assert "Keys ·" not in h.text
    h.press("q")
    await h.wait_for(r"tables and views", where="status")


@pytest_twisted.ensureDeferred
async def test_keys_typed_ahead_build_on_the_view_being_loaded(harness, browse_db):
    h = harness(browse_db)
    await open_table(h, "people")
    await h.wait_for("row 1 of 5,000", where="status")
    h.screen.send(["l", "l", "s", "s"])            # twice, before the first sort arrives: descending
    await h.wait_for("sort age ▼", where="status")
    await h.idle()
    assert "age ▼" in h.lines[1]
    h.screen.send(["/"] + list(">=70") + ["enter", "l", "/"] + list("Kraków") + ["enter"])
    await h.wait_for(r"filter age >= 70 · filter city ~ Kraków", where="status")
    await h.idle()
    expected = sum(1 for n in range(1, 5001) if n % 10 and 18 + n % 60 >= 70 and n % 3 == 1)
    assert h.app.top.model.total.rows == expected
    assert f"of {expected:,}" in h.status


@pytest_twisted.ensureDeferred
async def test_refresh_keeps_the_cursor_on_its_row(harness, browse_db):
    h = harness(browse_db, size=(100, 30))
    await open_table(h, "people")
    await h.wait_for("row 1 of 5,000", where="status")
    for _ in range(30):
        h.press("page down")
        await h.idle()
    before = h.status
    row_id = h.app.top.model.current_row()[0]
    assert len(h.app.top.model.rows) > 200
    h.press("r")
    await h.idle()
    assert h.app.top.model.current_row()[0] == row_id
    assert h.status.split(" · ")[1] == before.split(" · ")[1]


@pytest_twisted.ensureDeferred
async def test_record_view_highlights_the_current_column(harness, browse_db):
    from urwid.testing import render_runs

    h = harness(browse_db, size=(100, 24))
    await open_table(h, "people")
    await h.wait_for("row 1 of 5,000", where="status")
    h.press("l", "l", "l", "enter")                 # city
    await h.wait_for("^record · people", where="status")
    runs = render_runs(h.app.top.view, (100, 20), focus=True)
    highlighted = ["".join(t for _, t in row) for row in runs if any(a == "row focus" for a, _ in row)]
    assert len(highlighted) == 1 and highlighted[0].startswith("city")


@pytest_twisted.ensureDeferred
async def test_filters_match_what_the_grid_shows_and_keep_what_was_typed(harness, browse_db):
    h = harness(browse_db)
    await open_table(h, "people")
    await h.wait_for("row 1 of 5,000", where="status")
    h.press("$", "/")                     # active: shown true/false, stored 1/0
    h.type("true")
    h.press("enter")
    await h.wait_for("filter active ~ true · row 1 of 2,500", where="status")
    h.press("F", "0", "l", "/")           # name
    h.type('"null"')
    h.press("enter")
    await h.wait_for("no rows match", where="status")
    h.press("/")
    assert '"null"' in h.message          # not null, which would mean IS NULL
    h.press("esc", "/", "ctrl u")
    h.type('"  padded"')
    h.press("enter")
    await h.wait_for("no rows match", where="status")
    h.press("/")
    assert '"  padded"' in h.message      # the spaces inside the quotes are kept


@pytest_twisted.ensureDeferred
async def test_a_bug_in_a_browse_model_callback_crashes_the_app(harness, browse_db, monkeypatch):
    from console.browse_model import BrowseModel

    def broken(self, view):
        raise ZeroDivisionError("a bug in a result callback")
    monkeypatch.setattr(BrowseModel, "_adopt", broken)
    h = harness(browse_db)
    await h.wait_for(r"tables and views", where="status")
    h.press(":")
    h.type("open people")
    await h.wait_for("open people")
    h.press("enter")
    deadline = 100
    while h.app.crashed is None and deadline:
        await h.idle()
        deadline -= 1
    assert isinstance(h.app.crashed, ZeroDivisionError)    # a crash (terminal restored, report), not a message
    assert h.app.finished
    assert "reading rows failed" not in h.message
    h.app.crashed = None                                    # the harness checks that nothing else crashed
