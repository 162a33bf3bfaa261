"""The mouse, on the whole app headless (mouse events fed as the terminal's are): a click focuses a row and a
column, a click on a header sorts by it, the wheel scrolls, a double click opens the form; the tables list too."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet import reactor, task

from tests.conftest import make_db
from tests.test_app_browse import SCRIPT, open_table


@pytest.fixture(scope="module")
def browse_db(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("mouse") / "browse.db", SCRIPT)


def click(h, x: int, y: int, button: int = 1) -> None:
    h.screen.send([("mouse press", button, x, y), ("mouse release", 0, x, y)])


def sleep(seconds: float):
    return task.deferLater(reactor, seconds, lambda: None)


def column_x(h, name: str) -> int:
    """Where the header of column *name* is drawn."""
    return h.lines[1].index(name)


@pytest_twisted.ensureDeferred
async def test_click_a_row_a_header_the_wheel_and_a_double_click(harness, browse_db):
    h = harness(browse_db, size=(110, 30))
    await h.wait_for(r"tables and views", where="status")
    row = next(i for i, line in enumerate(h.lines) if line.startswith("people"))
    click(h, 2, row)
    await sleep(0.5)                                    # not a double click with the next one
    click(h, 2, row)
    click(h, 2, row)                                    # a double click on a table opens it
    await h.wait_for(r"^people · row 1 of 5,000", where="status")
    await h.idle()
    click(h, column_x(h, "city"), 6)                    # the 5th row, the city column
    await h.wait_for(r"people · row 5 of 5,000 · col 4/7", where="status")
    click(h, column_x(h, "age"), 1)                     # the header of age: sorted by it
    await h.wait_for(r"people · sort age ▲", where="status")
    click(h, column_x(h, "age"), 1)
    await h.wait_for(r"people · sort age ▼", where="status")
    await h.idle()
    await sleep(0.5)
    click(h, 5, 10, button=5)                           # the wheel: three rows a notch
    click(h, 5, 10, button=5)
    await h.wait_for(r"people · sort age ▼ · row 7 of 5,000", where="status")
    click(h, 5, 10, button=4)
    await h.wait_for(r"people · sort age ▼ · row 4 of 5,000", where="status")
    click(h, column_x(h, "name"), 3)
    click(h, column_x(h, "name"), 3)                    # a double click on a row: the form
    await h.wait_for(r"^edit · people · row 2\b", where="status")


@pytest_twisted.ensureDeferred
async def test_y_copies_the_cell_and_Y_the_row_through_the_terminal(harness, browse_db):
    import base64
    h = harness(browse_db, size=(110, 30))
    await open_table(h, "people")
    await h.wait_for(r"people · row 1 of 5,000", where="status")
    h.press("l", "y")
    await h.wait_for(r"copied name \(\d+ characters\) to the clipboard", where="message")
    sent = h.screen.written[-1]
    assert sent.startswith("\x1b]52;c;") and sent.endswith("\x07")
    assert base64.b64decode(sent[7:-1]).decode() == "渡辺 1"
    h.press("Y")
    await h.wait_for(r"copied the row", where="message")
    assert base64.b64decode(h.screen.written[-1][7:-1]).decode().split("\t")[:4] == ["1", "渡辺 1", "19", "Kraków"]
