"""The installed `rowdesk` command in a pseudo-terminal, read as a user sees it."""

import shutil
import sys
from pathlib import Path

import pytest

from tests.terminal import Terminal


def rowdesk_command() -> list[str]:
    exe = shutil.which("rowdesk", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("the rowdesk console script is not installed next to this Python: pip install -e .")
    return [exe]


@pytest.fixture
def term():
    made = []

    def start(*args, **kw):
        t = Terminal(rowdesk_command() + list(args), **kw)
        made.append(t)
        return t
    yield start
    for t in made:
        t.close()


def test_first_run_creates_demo_browses_and_quits_cleanly(term):
    t = term()
    t.wait_for(r"order_lines\s+│table│\s+7,500")
    import os

    assert (Path(os.environ["XDG_DATA_HOME"]) / "rowdesk" / "demo.sqlite").exists()
    t.press("j", "j", "j", "enter")          # orders
    t.wait_for(r"orders · row 1 of 3,000")
    t.press("page down")
    t.wait_for(r"orders · row \d\d of 3,000")
    t.press("G")
    t.wait_for(r"row 3,000 of 3,000")
    t.press("enter")
    t.wait_for(r"record · orders")
    t.press("q", "q", "q")
    assert t.wait_exit() == 0
    # urwid left the alternate screen: the last thing written restores the terminal
    assert b"\x1b[?1049l" in t.raw[-200:]


def test_bad_target_is_one_line_and_no_traceback(term, tmp_path):
    t = term(str(tmp_path / "missing.db"))
    assert t.wait_exit() == 1
    assert "no such file" in t.text and "Traceback" not in t.text
    assert not (tmp_path / "missing.db").exists()


def test_version_matches_the_package_metadata():
    import tomllib

    from console.version import VERSION

    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == VERSION


def test_saved_connection_by_name(term, tmp_path, demo_db):
    import os

    config = Path(os.environ["XDG_CONFIG_HOME"]) / "rowdesk" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[connections.shop]\nuri = "sqlite:///{demo_db}"\nread_only = true\n')
    t = term("@shop")
    t.wait_for(r"read-only")
    t.wait_for(r"6 tables and views")
    t.press("q")
    assert t.wait_exit() == 0
    t2 = term("@nope")
    assert t2.wait_exit() == 1
    assert "shop" in t2.text          # the message lists the names that exist
