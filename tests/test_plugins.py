"""Third-party screens arrive through the `rowdesk.screens` entry point group and
take part in the palette like built-in ones."""

import sys

import pytest
import pytest_twisted

from console import registry

PLUGIN = '''
import urwid
from console.registry import screen
from console.screens.base import Screen


@screen
class HelloScreen(Screen):
    name = "hello"
    title = "Hello plugin"
    palette = True

    def __init__(self, app):
        super().__init__(app)
        self.widget = urwid.Filler(urwid.Text("hello from a plugin"))
'''


@pytest.fixture
def plugin_on_path(tmp_path, monkeypatch):
    (tmp_path / "rowdesk_hello.py").write_text(PLUGIN)
    dist = tmp_path / "rowdesk_hello-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: rowdesk-hello\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[rowdesk.screens]\nhello = rowdesk_hello\n")
    broken = tmp_path / "rowdesk_broken-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: rowdesk-broken\nVersion: 1.0\n")
    (broken / "entry_points.txt").write_text("[rowdesk.screens]\nbroken = rowdesk_no_such_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    registry.SCREENS.pop("hello", None)
    sys.modules.pop("rowdesk_hello", None)


def test_load_plugins_registers_screens_and_reports_broken_ones(plugin_on_path):
    problems = registry.load_plugins()
    assert "hello" in registry.SCREENS
    assert any("broken" in p for p in problems)


@pytest_twisted.ensureDeferred
async def test_plugin_screen_opens_from_the_palette(plugin_on_path, harness, demo_db):
    h = harness(demo_db, size=(120, 30))
    await h.wait_for("screen plugin 'broken' failed to load", where="message")
    h.press(":")
    h.type("hello")
    await h.wait_for("go to Hello plugin")
    h.press("enter")
    await h.wait_for("hello from a plugin")
