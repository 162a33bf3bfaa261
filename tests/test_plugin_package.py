"""The example plugin of tests/plugin_example, a distribution of its own, installed with pip as an operator
would and driven through the app: its key (P on the browse screen), its palette command and its screen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import pytest_twisted

from console import commands, registry
from tests.conftest import make_db
from tests.test_app_browse import SCRIPT, open_table

PACKAGE = Path(__file__).parent / "plugin_example"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """pip install of the example into a folder of its own (not the venv: the other tests do not see it)."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--target", str(target), str(PACKAGE)], capture_output=True, text=True, timeout=300,
                          cwd=build)
    assert done.returncode == 0, done.stderr
    assert list(target.glob("rowdesk_profile-1.0.dist-info/entry_points.txt"))
    return target


@pytest.fixture
def plugin(installed, monkeypatch):
    monkeypatch.syspath_prepend(str(installed))
    yield
    registry.SCREENS.pop("profile", None)
    commands.COMMANDS.pop("profile", None)
    sys.modules.pop("rowdesk_profile", None)


async def plugins_loaded(h) -> None:
    """The app loads plugins just after its first screen is up (their import is not on the way to it)."""
    from twisted.internet import reactor, task
    for _ in range(100):
        if h.app.keymap.command_for("browse", "P") == "profile":
            return
        await task.deferLater(reactor, 0.05, lambda: None)
    raise AssertionError("the plugin's key never arrived")


@pytest_twisted.ensureDeferred
async def test_the_installed_plugin_adds_a_screen_a_key_and_a_command(plugin, harness, tmp_path):
    db = make_db(tmp_path / "people.db", SCRIPT)
    h = harness(db, size=(110, 30))
    await open_table(h, "people")
    await h.wait_for(r"people · row 1 of 5,000", where="status")
    await h.idle()
    await plugins_loaded(h)
    h.press("P")                                             # the plugin's key, on the browse screen
    await h.wait_for(r"people: 5,000 rows")
    await h.wait_for(r"city\s+text\s+1,667 NULL \(33%\)")
    await h.wait_for(r"age\s+int\s+500 NULL \(10%\)")
    assert h.status.startswith("profile · people")
    h.press("?")
    await h.wait_for(r"count again")                          # its own keys in its help
    h.press("esc", "q")
    await h.wait_for(r"people · row 1 of 5,000", where="status")
    h.press(":")
    h.type("profile")
    await h.wait_for(r"the column profile of this table")    # its command in the palette
    h.press("enter")
    await h.wait_for(r"people: 5,000 rows")
