"""What an operator expects of a grid used all day: widths that follow the data,
frozen keys, hidden columns, jumps, a status line that keeps what matters,
prompts that behave, and Esc that never quits."""

import re

import pytest
import pytest_twisted

from tests.conftest import make_db
from tests.test_app_browse import open_table

SCRIPT = """
CREATE TABLE crs (code TEXT PRIMARY KEY, srid INTEGER, name TEXT, c04 TEXT, c05 TEXT, c06 TEXT, c07 TEXT,
                  c08 TEXT, c09 TEXT, c10 TEXT, c11 TEXT, c12 TEXT);
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 1000)
INSERT INTO crs SELECT printf('K%04d', n), CASE WHEN n > 600 THEN 1990000 + n ELSE n END,
    CASE WHEN n > 600 THEN 'WGS84 / UTM zone ' || n || 'N' ELSE 'L' || n END,
    'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve' FROM s;
CREATE TABLE Track (TrackId INTEGER PRIMARY KEY, Name TEXT);
CREATE TABLE PlaylistTrack (PlaylistId INTEGER, TrackId INTEGER, PRIMARY KEY (PlaylistId, TrackId));
CREATE TABLE TrackHistory (id INTEGER PRIMARY KEY);
INSERT INTO Track VALUES (1, 'One');
"""


@pytest.fixture(scope="module")
def comfort_db(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("comfort") / "comfort.db", SCRIPT)


def header_cells(h):
    return [c.strip() for c in re.split("[│┃]", h.lines[1])]


@pytest_twisted.ensureDeferred
async def test_widths_follow_the_values_on_screen(harness, comfort_db):
    h = harness(comfort_db, size=(150, 30))
    await open_table(h, "crs")
    await h.wait_for("row 1 of 1,000", where="status")
    assert "L1 " in h.text
    h.press("G")
    await h.wait_for("row 1,000 of 1,000", where="status")
    assert "1991000" in h.text and "WGS84 / UTM zone 1000N" in h.text      # not "199…", "WGS84…"


@pytest_twisted.ensureDeferred
async def test_widen_narrow_hide_show_and_go_to_a_column(harness, comfort_db):
    h = harness(comfort_db, size=(100, 20))
    await open_table(h, "crs")
    await h.wait_for("row 1 of 1,000", where="status")
    grid = h.app.top.grid
    col = h.app.top.model.columns[2]
    h.press("l", "l")
    before = col.width
    h.press("]")
    assert col.width == before + 4 and "name: " in h.message
    h.press("[", "[")
    assert col.width == before - 4
    h.press("-")
    assert not any(c.startswith("n") for c in header_cells(h)) and "name hidden" in h.message
    assert h.app.top.model.col == 3                     # the cursor went to the next shown column
    h.press("h", "h")
    assert h.app.top.model.col == 0                     # the hidden column is skipped
    h.press("+")
    assert header_cells(h)[2].startswith("n")
    assert "hidden" not in h.status
    h.press("c")
    h.type("c1")
    await h.wait_for("column → c10: c1", where="message")          # a prefix match, in table order
    h.press("backspace")
    h.type("11")
    h.press("enter")
    assert h.app.top.model.columns[h.app.top.model.col].name == "c11"
    assert grid.left > 0


@pytest_twisted.ensureDeferred
async def test_key_columns_stay_on_screen_when_scrolling_right(harness, comfort_db):
    h = harness(comfort_db, size=(60, 20))
    await open_table(h, "crs")
    await h.wait_for("row 1 of 1,000", where="status")
    h.press("$")
    cells = header_cells(h)
    assert cells[0] == "code" and "c12" in cells[-1]
    assert "┃" in h.lines[1] and "K0001" in h.lines[2]


@pytest_twisted.ensureDeferred
async def test_go_to_row_n(harness, comfort_db):
    h = harness(comfort_db, size=(100, 20))
    await open_table(h, "crs")
    await h.wait_for("row 1 of 1,000", where="status")
    h.press("#")
    h.type("777")
    h.press("enter")
    await h.wait_for("row 777 of 1,000", where="status")
    assert h.app.top.model.current_row()[0] == "K0777"
    h.press("j", "k", "k")
    await h.wait_for("row 776 of 1,000", where="status")
    assert h.app.top.model.current_row()[0] == "K0776"
    h.press("#")
    h.type("5")
    h.press("enter")
    await h.wait_for("row 5 of 1,000", where="status")
    h.press("#")
    h.type("99999")
    h.press("enter")
    await h.wait_for("row 1,000 of 1,000", where="status")
    h.press("#")
    h.type("x1")
    h.press("enter")
    assert "not a number" in h.message


@pytest_twisted.ensureDeferred
async def test_at_80_columns_the_status_line_keeps_the_row_number(harness, comfort_db):
    h = harness(comfort_db, size=(80, 24))
    await open_table(h, "crs")
    await h.wait_for("row 1 of 1,000", where="status")
    for col, text in ((2, "=WGS84 / UTM zone 700N"), (4, "!five-and-something-long")):
        h.press("0", *["l"] * col, "/")
        h.type(text)
        h.press("enter")
        await h.idle()
    h.press("0", "l", "s")
    await h.idle()
    status = h.status
    assert re.search(r"(row 1 of 1|1/1)\b", status), status
    assert len(status) <= 80


@pytest_twisted.ensureDeferred
async def test_shrinking_and_growing_the_window_leaves_no_blank_space(harness, comfort_db):
    h = harness(comfort_db, size=(150, 20))
    await open_table(h, "crs")
    await h.wait_for("row 1 of 1,000", where="status")
    h.resize(40, 20)
    h.press("$")
    assert "c12" in h.lines[1]
    h.resize(150, 20)
    assert header_cells(h)[:2] == ["code", "srid"]        # every column fits again: all shown from the first
    assert h.lines[2].rstrip().endswith("twelve")


@pytest_twisted.ensureDeferred
async def test_a_third_s_returns_to_the_table_order(harness, comfort_db):
    h = harness(comfort_db)
    await open_table(h, "crs")
    await h.wait_for("row 1 of 1,000", where="status")
    h.press("l", "l", "s")
    await h.wait_for("sort name ▲", where="status")
    h.press("s")
    await h.wait_for("sort name ▼", where="status")
    h.press("s")
    await h.idle()
    assert "sort" not in h.status and h.app.top.model.current_row()[0] == "K0001"
    assert "▲" not in h.lines[1] and "▼" not in h.lines[1]


@pytest_twisted.ensureDeferred
async def test_prompts_select_their_text_and_ctrl_u_clears(harness, comfort_db):
    h = harness(comfort_db)
    await open_table(h, "crs")
    await h.wait_for("row 1 of 1,000", where="status")
    h.press("/")
    h.type("K00")
    h.press("enter")
    await h.wait_for("filter code ~ K00", where="status")
    h.press("/")
    assert "K00" in h.message and "typing replaces" in h.message
    h.type("K01")                                    # replaces the pre-filled text, not "K00K01"
    h.press("enter")
    await h.wait_for("filter code ~ K01", where="status")
    h.press("/", "end")
    h.type("0")                                      # a cursor key first: editing keeps the text
    h.press("enter")
    await h.wait_for("filter code ~ K010", where="status")
    h.press("/", "ctrl u")
    h.type("K02")
    h.press("enter")
    await h.wait_for("filter code ~ K02", where="status")


@pytest_twisted.ensureDeferred
async def test_esc_on_the_home_screen_does_not_quit(harness, comfort_db):
    h = harness(comfort_db)
    await h.wait_for(r"tables and views", where="status")
    await h.idle()                                   # the counts are done: nothing to cancel
    h.press("esc")
    assert not h.app.finished and "q quits" in h.message
    h.press("esc", "esc")
    assert not h.app.finished
    h.press("q")
    assert h.app.finished


@pytest_twisted.ensureDeferred
async def test_the_tables_filter_ranks_exact_then_prefix_and_F_clears_it(harness, comfort_db):
    h = harness(comfort_db)
    await h.wait_for(r"tables and views", where="status")
    h.press("/")
    h.type("Track")
    assert [r[0] for r in h.app.top.list.rows] == ["Track", "TrackHistory", "PlaylistTrack"]
    h.press("enter", "enter")
    await h.wait_for("^Track · row 1 of 1", where="status")
    h.press("q")
    await h.wait_for("match", where="status")
    h.press("F")
    await h.wait_for("4 tables and views", where="status")


@pytest_twisted.ensureDeferred
async def test_every_binding_names_a_command_of_its_screens(harness, comfort_db):
    from console import app as app_module
    from console import commands, keymap, registry

    registry.load_builtin()
    keys = keymap.Keymap(keymap.BINDINGS)
    assert keys.check(registry.SCREENS) == []                         # every screen bindings name exists
    names = list(registry.SCREENS)
    assert {n for b in keys.bindings for n in b.screens if n != keymap.ANY} == set(names)   # and each has keys
    for b in keys.bindings:
        spec = commands.COMMANDS[b.command]                             # every bound command is a known command
        screens = names if keymap.ANY in b.screens else b.screens
        for name in screens:
            cls = registry.SCREENS[name]
            owner = app_module.App if spec.app else cls
            assert callable(getattr(owner, "cmd_" + b.command, None)), (b.command, name)
    for spec in commands.COMMANDS.values():                             # and every command runs somewhere
        assert callable(getattr(app_module.App, "cmd_" + spec.name, None)) if spec.app else \
            any(callable(getattr(cls, "cmd_" + spec.name, None)) for cls in registry.SCREENS.values()), spec.name
    for name in names:
        own = [k for b in keys.bindings_for(name) if name in b.screens for k in b.keys]
        assert len(own) == len(set(own)), (name, sorted(k for k in own if own.count(k) > 1))


@pytest_twisted.ensureDeferred
async def test_go_to_row_n_in_a_sorted_filtered_view_then_page_on(harness, comfort_db):
    h = harness(comfort_db, size=(100, 20))
    await open_table(h, "crs")
    await h.wait_for("row 1 of 1,000", where="status")
    h.press("l", "s", "s")                        # srid, descending
    await h.wait_for("sort srid ▼", where="status")
    h.press("l", "/")
    h.type("WGS84")
    h.press("enter")
    await h.wait_for("row 1 of 400", where="status")
    h.press("#")
    h.type("250")
    h.press("enter")
    await h.wait_for("row 250 of 400", where="status")
    assert h.app.top.model.current_row()[1] == 1991000 - 249
    h.press("page down", "page down", "page down")
    await h.wait_for(f"row {250 + 3 * h.app.top.grid.height} of 400", where="status")
    h.press("G", "#")
    h.type("1")
    h.press("enter")
    await h.wait_for("row 1 of 400", where="status")
    assert h.app.top.model.current_row()[1] == 1991000
