"""Editing through the keyboard, on the whole app, headless: the record form (e), quick edit (E), insert (n),
delete (d, marked rows), the conflict screen; each test reads the database back to prove what was and was
not written."""

from __future__ import annotations

import sqlite3

import pytest
import pytest_twisted

from tests.conftest import make_db
from tests.test_app_browse import open_table

SCRIPT = """
CREATE TABLE items (id INTEGER PRIMARY KEY, name varchar(20) NOT NULL UNIQUE, qty integer NOT NULL DEFAULT 1,
                    price NUMERIC(8,2), made DATE, note text, data blob);
INSERT INTO items VALUES (1, 'lamp', 2, 9.5, '2024-01-02', NULL, x'00ff');
INSERT INTO items VALUES (2, 'kettle', 1, 20, NULL, 'hot', NULL);
CREATE TABLE parts (item int REFERENCES items(id), n int, what text, PRIMARY KEY (item, n));
INSERT INTO parts VALUES (2, 1, 'lid');
CREATE VIEW cheap AS SELECT * FROM items WHERE price < 10;
"""


@pytest.fixture
def shop(tmp_path):
    return make_db(tmp_path / "shop.sqlite", SCRIPT)


def rows(path, sql="SELECT id, name, qty, price, made, note, data FROM items ORDER BY id"):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


async def opened(harness, shop, table="items", **kw):
    h = harness(shop, **kw)
    await open_table(h, table)
    await h.wait_for(rf"{table} · (?:view · )?row 1 of", where="status")
    await h.idle()
    return h


async def edit(h):
    """e on the current row: the form, its status line."""
    h.press("e")
    await h.wait_for(r"^edit · items", where="status")


@pytest_twisted.ensureDeferred
async def test_edit_a_row_in_the_form_and_save(harness, shop):
    h = await opened(harness, shop)
    h.press("e")
    await h.wait_for(r"^edit · items · row 1", where="status")
    assert "name" in h.text and "lamp" in h.text
    # the focus starts on the first editable field (id is the key, shown only), the cursor at its end
    h.type(" shade")                       # letters are text here, not commands (s would sort, q go back)
    h.press("tab")
    h.press("backspace")
    h.type("5")
    await h.wait_for(r"2 changed", where="status")
    h.press("ctrl s")
    await h.wait_for(r"^saved", where="message")
    await h.wait_for(r"^items · row 1 of", where="status")          # back in the grid, the row shows it
    assert "lamp shade" in h.text
    assert rows(shop)[0] == (1, "lamp shade", 5, 9.5, "2024-01-02", None, b"\x00\xff")
    assert rows(shop)[1] == (2, "kettle", 1, 20, None, "hot", None)


@pytest_twisted.ensureDeferred
async def test_bad_input_is_refused_at_its_field_and_nothing_is_written(harness, shop):
    h = await opened(harness, shop)
    await edit(h)
    h.press("tab")                                      # qty
    h.type("x")
    h.press("tab", "ctrl u")                            # price, cleared
    h.type("9.51")
    h.press("ctrl s")
    await h.wait_for(r"to correct \(qty: '2x' is not a whole number", where="message")
    assert "'2x' is not a whole number (e.g. 42)" in h.text           # at the field too
    assert rows(shop)[0][2] == 2
    h.press("backspace")                                # the input was kept: correct it and save
    h.press("ctrl s")
    await h.wait_for(r"^saved", where="message")
    assert rows(shop)[0][2:4] == (2, 9.51)


@pytest_twisted.ensureDeferred
async def test_esc_asks_before_discarding_changes(harness, shop):
    h = await opened(harness, shop)
    await edit(h)
    h.type("x")
    h.press("esc")
    await h.wait_for(r"Discard your changes\?")
    assert "changed: name" in h.text
    h.press("n")                                        # no: still editing, the input kept
    await h.wait_for(r"^edit · items", where="status")
    assert "lampx" in h.text and "Discard" not in h.text
    h.press("esc")
    await h.wait_for(r"Discard your changes\?")
    h.press("y")                                        # one key, as the delete confirmation
    await h.wait_for(r"^items · row 1 of", where="status")
    assert rows(shop)[0][1] == "lamp"


@pytest_twisted.ensureDeferred
async def test_a_row_changed_meanwhile_shows_both_versions(harness, shop):
    h = await opened(harness, shop)
    await edit(h)
    h.type("!")
    with sqlite3.connect(shop) as conn:
        conn.execute("UPDATE items SET qty = 7 WHERE id = 1")         # another writer, meanwhile
    h.press("ctrl s")
    await h.wait_for(r"^conflict · items", where="status")
    assert "changed by someone else" in h.text and "Nothing was written" in h.text
    assert rows(shop)[0][1:3] == ("lamp", 7)
    h.press("e")                                          # go on editing from theirs
    await h.wait_for(r"^edit · items", where="status")
    assert "lamp!" in h.text and "7" in h.text
    h.press("ctrl s")
    await h.wait_for(r"^saved", where="message")
    assert rows(shop)[0][1:3] == ("lamp!", 7)           # theirs kept, mine on top


@pytest_twisted.ensureDeferred
async def test_quick_edit_of_a_cell(harness, shop):
    h = await opened(harness, shop)
    h.press("l")                                        # name
    h.press("E")
    await h.wait_for(r"name = .*lamp")
    h.press("ctrl u")
    h.type("desk lamp")
    h.press("enter")
    await h.wait_for(r"saved name", where="message")
    assert rows(shop)[0][1] == "desk lamp"
    h.press("l", "E", "ctrl u")
    h.type("many")
    h.press("enter")
    await h.wait_for(r"'many' is not a whole number .*nothing was saved")
    assert h.app.prompt is not None and h.app.prompt.edit_text == "many"     # asked again, the text as typed
    h.press("ctrl u")
    h.type("3")
    h.press("enter")
    await h.wait_for(r"saved qty", where="message")
    assert rows(shop)[0][2] == 3


@pytest_twisted.ensureDeferred
async def test_insert_a_row_with_the_defaults(harness, shop):
    h = await opened(harness, shop)
    h.press("n")
    await h.wait_for(r"^new row · items", where="status")
    assert "(default: 1)" in h.text
    h.press("tab")                                      # id is the rowid: (default) is fine; name next
    h.type("mug")
    h.press("ctrl s")
    await h.wait_for(r"^inserted", where="message")
    await h.wait_for(r"mug")
    assert rows(shop)[2] == (3, "mug", 1, None, None, None, None)


@pytest_twisted.ensureDeferred
async def test_delete_asks_and_a_referenced_row_is_refused(harness, shop):
    h = await opened(harness, shop)
    h.press("j", "d")                                   # kettle: a part refers to it
    await h.wait_for(r"Delete 1 row of items\?")
    h.press("n")
    await h.wait_for(r"nothing was deleted", where="message")
    h.press("d")
    await h.wait_for(r"Delete 1 row of items\?")
    h.press("y")
    await h.wait_for(r"not deleted: a foreign key refused it \(other rows refer to this one", where="message")
    assert len(rows(shop)) == 2
    h.press("k", "d", "y")
    await h.wait_for(r"deleted 1 row", where="message")
    assert [r[0] for r in rows(shop)] == [2]


@pytest_twisted.ensureDeferred
async def test_read_only_refuses_every_write_with_a_reason(harness, shop):
    h = await opened(harness, shop, read_only=True)
    for key in ("e", "E", "n", "d", "m"):
        h.press(key)
        await h.wait_for(r"read-only \(.*nothing can be changed", where="message")
    assert not h.app.top.model.marked                        # m marks rows for d: not where d cannot delete
    h.press("q")
    await open_table(h, "cheap")
    await h.wait_for(r"cheap · view", where="status")
    h.press("e")
    await h.wait_for(r"read-only", where="message")


@pytest_twisted.ensureDeferred
async def test_a_view_refuses_writes_with_its_reason(harness, shop):
    h = await opened(harness, shop, "cheap")
    for key in ("e", "n", "d"):
        h.press(key)
        await h.wait_for(r"cheap cannot be changed: a view: rows have no identity", where="message")
    with sqlite3.connect(shop) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (2,)


async def journal_of_one_change(harness, shop):
    """The name of item 1 changed (lamp → desk lamp) by a quick edit, then the journal (J)."""
    h = await opened(harness, shop)
    h.press("l", "E", "ctrl u")
    h.type("desk lamp")
    h.press("enter")
    await h.wait_for(r"saved name", where="message")
    h.press("J")
    await h.wait_for(r"^journal · 1 change", where="status")
    return h


@pytest_twisted.ensureDeferred
async def test_the_journal_lists_a_change_and_undoes_it(harness, shop):
    h = await journal_of_one_change(harness, shop)
    assert "update items [1]" in h.text and "name: lamp → desk lamp" in h.text
    with sqlite3.connect(shop) as conn:
        conn.execute("UPDATE items SET name = 'other' WHERE id = 1")      # changed again since
    h.press("u")
    await h.wait_for(r"Undo #1\?")
    h.press("y")
    await h.wait_for(r"not undone: the row was changed again since", where="message")
    assert "name: desk lamp  →  now other" in h.text                   # what the change left, what is there
    assert rows(shop)[0][1] == "other"
    h.press("esc")
    with sqlite3.connect(shop) as conn:
        conn.execute("UPDATE items SET name = 'desk lamp' WHERE id = 1")
    h.press("u", "y")
    await h.wait_for(r"undid #1", where="message")
    await h.wait_for(r"^journal · 2 changes", where="status")
    assert "undone by #2" in h.text and "undoes #1" in h.text
    assert rows(shop)[0][1] == "lamp"
    h.press("j", "u")                                        # #1, undone already: said at once, nothing asked
    await h.wait_for(r"change 1 was undone already \(by change 2\)", where="message")
    assert h.app.overlay is None
    h.press("q")
    await h.wait_for(r"^items · row 1 of", where="status")
    await h.wait_for(r"│lamp")                             # the grid read its rows again


@pytest_twisted.ensureDeferred
async def test_enter_on_a_journal_entry_shows_every_column_before_and_after(harness, shop):
    h = await journal_of_one_change(harness, shop)
    h.press("enter")
    await h.wait_for(r"#1 update in items")
    assert "≠ name: lamp  →  desk lamp" in h.text
    assert "  qty: 2" in h.text and "≠ qty" not in h.text            # unchanged columns shown, not marked
    assert "row [1]" in h.text
    h.press("x")
    await h.wait_for(r"^journal · 1 change", where="status")
    assert "#1 update in items" not in h.text


@pytest_twisted.ensureDeferred
async def test_a_megabyte_paste_fills_the_field_says_so_and_writes_nothing(harness, shop):
    import time
    h = await opened(harness, shop)
    await edit(h)
    h.press(*["tab"] * 4)                               # note (NULL): typing starts a value
    started = time.monotonic()
    h.press(*("x" * 20_000))                            # a paste far longer than a field takes
    took = time.monotonic() - started
    await h.wait_for(r"note: full: a field takes 8,192 characters", where="message")
    assert took < 10, f"{took:.1f} s for the paste"
    assert rows(shop)[0][5] is None                     # nothing written until ^S
    form = h.app.top
    assert len(form.fields[5].text) == 8192


@pytest_twisted.ensureDeferred
async def test_a_bracketed_paste_is_text_and_a_too_long_one_is_refused_whole(harness, shop):
    h = await opened(harness, shop)
    await edit(h)
    h.press(*["tab"] * 4)                               # note (NULL)
    h.press("begin paste", *("y" * 100_000), "end paste")
    await h.wait_for(r"note: the paste \(100,000 characters\) would make the field longer", where="message")
    form = h.app.top
    assert form.fields[5].text == "" and not form.dirty              # nothing of it was taken
    h.press("begin paste", "a", "tab", "b", "enter", "c", "end paste")
    await h.wait_for(r"note: the paste has line breaks and this field is one line", where="message")
    h.press("begin paste", "a", "tab", "b", "ctrl s", "end paste")
    await h.wait_for(r"note: the paste holds control characters", where="message")
    h.press("begin paste", "q", "tab", "s", "end paste")           # letters and a tab: text, not commands
    await h.wait_for(r"^edit · items · row 1 · 1 changed", where="status")
    assert form.fields[5].text == "q\ts"
    assert rows(shop)[0][5] is None                                 # nothing written until ^S
    h.press("ctrl s")
    await h.wait_for(r"^saved", where="message")
    assert rows(shop)[0][5] == "q\ts"


@pytest_twisted.ensureDeferred
async def test_a_foreign_key_is_picked_from_the_rows_it_refers_to(harness, shop):
    h = await opened(harness, shop, "parts")
    h.press("e")
    await h.wait_for(r"^edit · parts", where="status")
    assert "a key of items · ^O picks" not in h.text          # item is part of the key: shown, not edited
    h.press("esc")
    await h.wait_for(r"^parts · row 1", where="status")
    h.press("n")
    await h.wait_for(r"^new row · parts", where="status")
    assert "a key of items · ^O picks" in h.text
    h.press("ctrl o")
    await h.wait_for(r"items\.id · type to narrow")
    assert "lamp" in h.text and "kettle" in h.text             # a readable label beside each key
    h.type("kett")
    h.press("enter")
    await h.wait_for(r"^new row · parts · 1 changed", where="status")
    h.press("tab", "2", "ctrl s")
    await h.wait_for(r"^inserted", where="message")
    assert rows(shop, "SELECT item, n, what FROM parts ORDER BY item, n") == [(2, 1, "lid"), (2, 2, None)]


@pytest_twisted.ensureDeferred
async def test_a_lock_held_by_another_writer_keeps_the_form_and_a_retry_saves(harness, shop):
    h = await opened(harness, shop)
    h.db.backend.lock_wait = 0.5
    await edit(h)
    h.type("!")
    other = sqlite3.connect(shop, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")                   # another writer holds the database
    try:
        h.press("ctrl s")
        await h.wait_for(r"not saved, locked: another process has the file locked · nothing was written · "
                         r"\^S tries again", where="message")
        assert h.app.top.name == "form" and "lamp!" in h.text         # the form stays, with the input
    finally:
        other.execute("ROLLBACK")
        other.close()
    h.press("ctrl s")
    await h.wait_for(r"^saved", where="message")
    assert rows(shop)[0][1] == "lamp!"


@pytest_twisted.ensureDeferred
async def test_quick_edit_of_a_null_cell_left_as_it_is_writes_nothing(harness, shop):
    h = await opened(harness, shop)
    h.press("$", "h")                                   # note: NULL on row 1
    h.press("E", "enter")
    await h.wait_for(r"note: nothing changed, nothing was written", where="message")
    assert rows(shop)[0][5] is None


@pytest_twisted.ensureDeferred
async def test_a_message_while_a_prompt_is_open_leaves_the_prompt_its_keys(harness, shop):
    h = await opened(harness, shop)
    h.press("l", "E")
    await h.wait_for(r"name = ")
    h.app.message("saved name")                         # as an earlier save's result arriving now
    assert h.app.prompt is not None and "name = " in h.message
    h.press("esc")
    await h.wait_for(r"^items · row 1", where="status")
    h.press("j")                                        # the keys are the grid's again
    await h.wait_for(r"^items · row 2", where="status")


@pytest_twisted.ensureDeferred
async def test_the_palette_does_not_leave_a_form_with_changes_without_asking(harness, shop):
    h = await opened(harness, shop)
    await edit(h)
    h.type("X")
    h.press("page up")                                  # the focus on the key: letters are commands again
    h.press(":")
    h.type("open parts")
    await h.wait_for(r"open parts")
    h.press("enter")
    await h.wait_for(r"Discard your changes\?")
    h.press("n")
    await h.wait_for(r"^edit · items", where="status")
    assert "lampX" in h.text and rows(shop)[0][1] == "lamp"


@pytest_twisted.ensureDeferred
async def test_esc_while_saving_does_not_pretend_to_cancel(harness, shop):
    h = await opened(harness, shop)
    await edit(h)
    h.type("!")
    h.press("ctrl s", "esc")
    await h.wait_for(r"^saved|never cancelled halfway", where="message")
    await h.wait_for(r"^saved", where="message")
    assert rows(shop)[0][1] == "lamp!"


@pytest_twisted.ensureDeferred
async def test_ctrl_c_asks_before_losing_a_forms_changes(harness, shop):
    h = await opened(harness, shop)
    await edit(h)
    h.type("X")
    h.press("ctrl c")
    await h.wait_for(r"unsaved changes: quit and lose them\?")
    h.press("n", "enter")
    await h.wait_for(r"^edit · items", where="status")
    assert not h.app.finished and "lampX" in h.text
    h.press("ctrl c", "ctrl c")                                       # asked, then quit
    assert h.app.finished


@pytest_twisted.ensureDeferred
async def test_without_a_journal_changes_are_refused_with_the_reason(harness, shop):
    import os
    from pathlib import Path
    journal = Path(os.environ["XDG_DATA_HOME"]) / "rowdesk" / "journal.sqlite"
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text("not a journal")                           # e.g. a file someone put there
    h = await opened(harness, shop)
    h.press("l", "E", "ctrl u")
    h.type("desk lamp")
    h.press("enter")
    await h.wait_for(r"saving name failed: the journal ", where="message")
    assert rows(shop)[0][1] == "lamp" and journal.read_text() == "not a journal"


@pytest_twisted.ensureDeferred
async def test_on_a_narrow_screen_values_go_under_their_names_and_editing_goes_on(harness, shop):
    h = await opened(harness, shop, size=(44, 20))
    await edit(h)
    h.type(" shade")
    text = h.text
    assert "*name varchar(20)" in text and "\n  lamp shade" in text         # stacked: the value under its name
    h.resize(120, 30)                                                     # wide again: the input is kept
    await h.wait_for(r"name\s+varchar\(20\)\s+lamp shade")
    h.type("s")
    h.press("ctrl s")
    await h.wait_for(r"^saved", where="message")
    assert rows(shop)[0][1] == "lamp shades"


@pytest_twisted.ensureDeferred
async def test_keys_typed_ahead_never_edit_the_row_the_cursor_is_leaving(harness, tmp_path):
    from storage.demo import create_demo
    path = tmp_path / "big.sqlite"
    create_demo(path)
    h = harness(path)
    await open_table(h, "orders")
    await h.wait_for(r"orders · row 1 of", where="status")
    await h.idle()
    h.press("G", "e")                                   # e before the last rows are shown
    await h.wait_for(r"still being read: press it again", where="message")
    await h.wait_for(r"orders · row 3,000 of 3,000", where="status")
    await h.idle()
    h.press("e")
    await h.wait_for(r"^edit · orders · row 3,000", where="status")
    assert h.app.top.mine.values[0] == 3000
