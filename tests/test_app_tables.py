"""The Tables screen, driven headless: keys in, screen text out."""

import pytest_twisted

from tests.conftest import make_db


@pytest_twisted.ensureDeferred
async def test_lists_tables_with_counts(harness, demo_db):
    h = harness(demo_db)
    await h.wait_for(r"products\s+│table│\s+120")
    text = h.text
    for name, rows in [("categories", "12"), ("customers", "500"), ("orders", "3,000"), ("products", "120")]:
        assert f"{name}" in text and rows in text
    assert "vip_customers" in text and "view" in text
    assert "6 tables and views" in h.status
    assert "rowdesk" in h.lines[0] and "demo.sqlite" in h.lines[0]


@pytest_twisted.ensureDeferred
async def test_filter_tables_as_you_type(harness, demo_db):
    h = harness(demo_db)
    await h.wait_for("vip_customers")
    h.press("/")
    h.type("ord")
    await h.wait_for("2 of 6 tables match", where="status")
    assert "customers" not in h.text.split("\n", 2)[2]
    h.press("backspace", "backspace", "backspace")
    h.type("xyz")
    await h.wait_for("0 of 6 tables match", where="status")
    h.press("esc")          # cancel restores the full list
    await h.wait_for("6 tables and views", where="status")


@pytest_twisted.ensureDeferred
async def test_enter_opens_selected_table_and_q_goes_back(harness, demo_db):
    h = harness(demo_db)
    await h.wait_for("vip_customers")
    h.press("j", "j", "enter")     # categories, customers, order_lines
    await h.wait_for(r"order_lines · row 1 of 7,500", where="status")
    assert "line_no" in h.text
    h.press("q")
    await h.wait_for("6 tables and views", where="status")
    h.press("q")
    assert h.app.finished


@pytest_twisted.ensureDeferred
async def test_empty_database(harness, tmp_path):
    h = harness(make_db(tmp_path / "empty.db", ""))
    await h.wait_for("this database has no tables", where="status")
    h.press("enter", "j", "G")      # nothing to open, nothing breaks
    assert "no tables" in h.status


@pytest_twisted.ensureDeferred
async def test_help_and_palette_are_built_from_the_keymap(harness, demo_db):
    from console import keymap

    h = harness(demo_db)
    await h.wait_for("vip_customers")
    h.press("?")
    await h.wait_for(r"Keys · j/k scroll · Esc or \? closes")
    for b in keymap.Keymap(keymap.BINDINGS).bindings_for("tables"):
        assert b.help in h.text, b.help
    h.press("esc")
    await h.wait_for("vip_customers")
    h.press(":")
    await h.wait_for("Commands")
    h.type("open ord")
    await h.wait_for("open orders")
    h.press("down", "enter")       # second match: open orders
    await h.wait_for(r"orders · row 1 of 3,000", where="status")


@pytest_twisted.ensureDeferred
async def test_the_palette_lists_its_entries_at_80x24(harness, demo_db):
    h = harness(demo_db, size=(80, 24))
    await h.wait_for("vip_customers")
    h.press(":")
    await h.wait_for("Commands")
    await h.wait_for("go to Settings")
    h.type("sett")
    await h.wait_for("settings: core dumps")
