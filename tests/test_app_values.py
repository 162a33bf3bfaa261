"""Values shown as stored, in the grid, the record view and the value screen:
never rounded, control characters visible, long values paged without laying
out the whole value."""

import json

import pytest
import pytest_twisted

from tests.conftest import make_db
from tests.test_app_browse import open_table

BIG = 1_048_576
ONE_LINE = 11 + 2 * ((BIG - 10) // 2)            # START, the hex digits, THEEND: a megabyte on one line
SCRIPT = f"""
CREATE TABLE money (id INTEGER PRIMARY KEY, amount NUMERIC(12,2), price DECIMAL(10,2));
INSERT INTO money VALUES (1, 12.345, 0.005), (2, 99999999999.999, 12), (3, '12.3x', NULL);
CREATE TABLE controls (id INTEGER PRIMARY KEY, t TEXT);
INSERT INTO controls VALUES (1, 'esc' || char(27) || '[31mRED' || char(7) || ' bell'),
                            (2, 'osc' || char(27) || ']0;title' || char(7) || 'end'),
                            (3, 'fam 👨‍👩‍👧‍👦 ily'), (4, 'line1' || char(10) || 'line2' || char(9) || 'tab');
CREATE TABLE big (id INTEGER PRIMARY KEY, one_line TEXT, lines TEXT, data BLOB, doc TEXT);
INSERT INTO big VALUES (1,
    'START' || replace(hex(zeroblob({(BIG - 10) // 2})), '00', 'ab') || 'THEEND',
    (WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 30000)
     SELECT group_concat('line ' || n || ' of the long value', char(10)) FROM s),
    NULL, '{json.dumps({"name": "Zoë", "tags": ["a", "b"], "nested": {"k": 1}}, ensure_ascii=False)}');
"""


@pytest.fixture(scope="module")
def values_db(tmp_path_factory):
    import sqlite3

    path = make_db(tmp_path_factory.mktemp("values") / "values.db", SCRIPT)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE big SET data = ?", (bytes(n % 256 for n in range(4096)),))
    conn.commit()
    conn.close()
    return path


@pytest_twisted.ensureDeferred
async def test_decimals_are_shown_as_stored_never_rounded(harness, values_db):
    h = harness(values_db)
    await open_table(h, "money")
    await h.wait_for("row 1 of 3", where="status")
    grid = h.text
    for stored in ("12.345", "0.005", "99999999999.999", "12.3x"):
        assert stored in grid, stored
    for rounded in ("12.34 ", "0.00 ", "100000000000"):
        assert rounded not in grid, rounded
    h.press("j", "enter")
    await h.wait_for("^record · money", where="status")
    assert "99999999999.999" in h.text and "100000000000" not in h.text


@pytest_twisted.ensureDeferred
async def test_control_characters_are_visible_and_the_same_in_grid_and_record(harness, values_db):
    h = harness(values_db)
    await open_table(h, "controls")
    await h.wait_for("row 1 of 4", where="status")
    grid = h.text
    assert "esc⟨ESC⟩[31mRED⟨BEL⟩ bell" in grid
    assert "osc⟨ESC⟩]0;title⟨BEL⟩end" in grid
    assert "line1⏎line2→tab" in grid
    assert "\x1b" not in grid and "\x07" not in grid
    h.press("l", "enter")
    await h.wait_for("^record · controls", where="status")
    assert "esc⟨ESC⟩[31mRED⟨BEL⟩ bell" in h.text
    h.press("n")
    await h.wait_for("row 2 of 4", where="status")
    assert "osc⟨ESC⟩]0;title⟨BEL⟩end" in h.text
    h.press("n", "n")
    await h.wait_for("row 4 of 4", where="status")
    assert "line1\n" in h.text and "line2→tab" in h.text      # the record view keeps line breaks


def test_a_zwj_sequence_is_never_cut_inside():
    from widgets.cells import fit, one_line

    family = "👨‍👩‍👧‍👦"
    for width in range(1, 12):
        shown = fit("ab" + family + "cd", width)
        assert family in shown or "\u200d" not in shown, (width, shown)
    assert one_line("x" + family * 3, 2).count("\u200d") % 3 == 0
    flags = "🇫🇷🇩🇪"
    for width in range(1, 6):
        cut = fit(flags, width).rstrip(" …")
        assert len(cut) % 2 == 0, (width, cut)


def test_wrapping_in_the_record_view_never_cuts_a_cluster():
    from widgets.cells import wrap

    family = "👨‍👩‍👧‍👦"
    for text in (family * 30, "x" + family * 30, "é" * 7 + family * 9 + " end"):
        for width in (1, 2, 3, 7, 25):
            lines = [text[a:b] for a, b in wrap(text, width)]
            assert "".join(lines).replace(" ", "") == text.replace(" ", "")
            for line in lines:
                assert not line.startswith("\u200d") and not line.endswith("\u200d"), (width, line)


@pytest_twisted.ensureDeferred
async def test_a_megabyte_value_opens_in_the_record_view_without_laying_it_out(harness, values_db, monkeypatch):
    import widgets.cells

    laid_out = []
    real_wrap = widgets.cells.wrap

    def counting_wrap(text, width):
        laid_out.append(len(text))
        return real_wrap(text, width)
    monkeypatch.setattr("widgets.documents.wrap", counting_wrap)
    escaped = []
    real_visible = widgets.cells.visible

    def counting_visible(text):
        escaped.append(len(text))
        return real_visible(text)
    for where in ("widgets.cells.visible", "widgets.documents.visible"):
        monkeypatch.setattr(where, counting_visible)
    h = harness(values_db, size=(120, 40))
    await open_table(h, "big")
    await h.wait_for("row 1 of 1", where="status")
    h.press("enter")
    await h.wait_for("^record · big", where="status")
    text = h.text
    assert f"⋯ {ONE_LINE:,} characters in all · Enter shows the whole value" in text
    assert "START" in text
    h.press("j", "j")                                                # the field of the 30,000 lines
    await h.wait_for("line 1 of the long value")
    assert "line 20 of the long value" in h.text and "line 21 of" not in h.text
    h.resize(60, 20)
    assert "⋯" in h.text
    h.resize(120, 40)
    assert "⋯" in h.text
    assert sum(laid_out) < 20 * 8192, sum(laid_out)                 # bounded pieces, not the megabyte
    assert sum(escaped) < 40 * 8192, sum(escaped)


@pytest_twisted.ensureDeferred
async def test_the_value_screen_pages_to_the_end_of_a_long_value(harness, values_db):
    h = harness(values_db, size=(100, 30))
    await open_table(h, "big")
    await h.wait_for("row 1 of 1", where="status")
    h.press("l", "enter")                          # one_line
    await h.wait_for("^record · big", where="status")
    h.press("enter")
    await h.wait_for(f"^value · big.one_line · row 1 of 1 · {ONE_LINE:,} characters", where="status")
    assert "STARTabab" in h.text
    h.press("G")
    await h.wait_for("100 %", where="status")
    assert "THEEND" in h.text.replace("\n", "")
    h.press("page up", "g")
    await h.wait_for(" 0 %", where="status")
    assert "STARTabab" in h.text
    h.press("q", "j", "enter")                     # lines: the last line of 30,000
    await h.wait_for("^value · big.lines", where="status")
    h.press("G")
    await h.wait_for("100 %", where="status")
    assert "line 30000 of the long value" in h.text
    h.press("k")
    await h.wait_for("line 29999 of the long value", where="text")


@pytest_twisted.ensureDeferred
async def test_blobs_get_a_hex_dump_of_the_whole_value(harness, values_db):
    h = harness(values_db, size=(100, 30))
    await open_table(h, "big")
    await h.wait_for("row 1 of 1", where="status")
    h.press("l", "l", "l", "enter")                # data
    await h.wait_for("^record · big", where="status")
    assert "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f" in h.text
    assert "4,096 bytes in all" in h.text
    h.press("enter")
    await h.wait_for("^value · big.data", where="status")
    h.press("G")
    await h.wait_for("100 %", where="status")
    assert "00000ff0  f0 f1 f2 f3 f4 f5 f6 f7  f8 f9 fa fb fc fd fe ff  |................|" in h.text


@pytest_twisted.ensureDeferred
async def test_json_in_a_text_column_is_pretty_printed(harness, values_db):
    h = harness(values_db, size=(100, 40))
    await open_table(h, "big")
    await h.wait_for("row 1 of 1", where="status")
    h.press("$", "enter")
    await h.wait_for("^record · big", where="status")
    text = h.text
    assert "JSON, pretty-printed" in text
    assert '"name": "Zoë",' in text and '  "tags": [' in text
    h.press("enter")
    await h.wait_for("^value · big.doc", where="status")
    assert '"nested": {' in h.text
    h.press("f")
    await h.wait_for("as stored", where="status")
    assert '{"name": "Zoë", "tags": ["a", "b"]' in h.text


@pytest_twisted.ensureDeferred
async def test_narrow_record_view_stacks_values_under_names_and_end_goes_to_the_end(harness, values_db):
    h = harness(values_db, size=(40, 16))
    await open_table(h, "controls")
    await h.wait_for("row 1 of 4", where="status")
    h.press("enter")
    await h.wait_for("^record", where="status")
    lines = h.lines
    name_line = next(i for i, line in enumerate(lines) if line.startswith("t ") or line.startswith("t TEXT"))
    assert "esc⟨ESC⟩[31mRED⟨BEL⟩ bell" in lines[name_line + 1]
    h.press("G")
    assert h.app.top.view.focus_field == 1


@pytest_twisted.ensureDeferred
async def test_rows_arriving_under_the_value_screen_leave_it_as_it_is(harness, values_db):
    h = harness(values_db, size=(100, 30))
    await open_table(h, "big")
    await h.wait_for("row 1 of 1", where="status")
    h.press("l", "enter")
    await h.wait_for("^record · big", where="status")
    h.press("enter")
    await h.wait_for("^value · big.one_line", where="status")
    browse = h.app.stack[-3]
    browse.model.refresh_count()                 # a count lands while the value screen is on top
    await h.idle()
    assert h.app.crashed is None and h.app.top.name == "value"
    h.press("q")
    await h.wait_for("^record · big", where="status")


def test_each_kind_shows_its_values_as_stored():
    import datetime as dt

    from console.formatting import formatter, full_value
    from storage.schema import Column

    time = Column("t", "time", "time")
    assert formatter(time)(dt.timedelta(hours=-35, minutes=1)) == "-34:59:00"       # MySQL TIME beyond a day
    assert formatter(time)(dt.timedelta(hours=838, minutes=59, seconds=59, microseconds=5)) == "838:59:59.000005"
    assert formatter(time)(dt.time(23, 59, 59)) == "23:59:59"
    flag = Column("f", "BOOLEAN", "bool")
    assert [formatter(flag)(v) for v in (1, 0, True, 2, "yes")] == ["true", "false", "true", "2", "yes"]
    assert full_value(0, flag) == "false" and full_value(dt.timedelta(minutes=-1), time) == "-0:01:00"
