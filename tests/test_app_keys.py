"""One keymap: the operator's keys.toml rebinds keys (with a plain line for what cannot apply), and the key hints
written in the interface follow it: they come from the keymap, never from literals."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest_twisted

from console import keymap, registry
from tests.conftest import make_db
from tests.test_app_form import SCRIPT, opened

KEYS = """
[form]
"^W" = "save"            # ^W saves, and ^S no longer does
"ctrl s" = ""

[browse]
"K" = "nosuch"
"e" = "edit"

[global]
"s" = "settings"         # browse's own s (sort) wins there

[nowhere]
"x" = "quit"
"""


def write_keys(text: str) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "rowdesk" / "keys.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_every_problem_of_a_keys_file_is_one_line_and_the_rest_applies(tmp_path):
    registry.load_builtin()
    keys = keymap.Keymap(keymap.BINDINGS)
    path = tmp_path / "keys.toml"
    path.write_text(KEYS)
    problems = keymap.load_user_keys(keys, path, registry.SCREENS)
    assert problems == [
        "keys.toml: [browse] 'K' = 'nosuch': no such command",
        "keys.toml: [global] 's' = 'settings': on browse the screen's own binding of 's' wins (bind it in "
        "[browse] too)",
        "keys.toml: [nowhere]: no such screen (screens: global, browse, conflict, form, journal, record, "
        "references, settings, tables, value)",
    ]
    assert keys.command_for("form", "ctrl w") == "save" and keys.command_for("form", "ctrl s") is None
    assert keys.key("save", "form") == "^W" and keys.hint("save", "form", "saves") == "^W saves"
    assert keys.command_for("tables", "s") == "settings" and keys.command_for("browse", "s") == "sort"
    path.write_text("[form\n")
    assert keymap.load_user_keys(keymap.Keymap(keymap.BINDINGS), path, registry.SCREENS)[0].endswith(
        ": the default keys apply")


@pytest_twisted.ensureDeferred
async def test_rebound_keys_work_and_the_hints_say_them(harness, tmp_path):
    write_keys(KEYS)
    shop = make_db(tmp_path / "shop.sqlite", SCRIPT)
    h = await opened(harness, shop)
    await h.wait_for(r"keys\.toml: \[browse\] 'K' = 'nosuch': no such command", where="message")
    assert h.app.status.message_text.endswith("rowdesk.log)") and "(+2 more in " in h.app.status.message_text
    h.press("e")
    await h.wait_for(r"^edit · items · row 1 .*\^W saves · Esc cancels", where="status")
    h.type("!")
    h.press("ctrl s")                                     # unbound: nothing saved
    assert sqlite3.connect(shop).execute("SELECT name FROM items WHERE id = 1").fetchone() == ("lamp",)
    h.press("ctrl w")
    await h.wait_for(r"^saved", where="message")
    assert sqlite3.connect(shop).execute("SELECT name FROM items WHERE id = 1").fetchone() == ("lamp!",)
