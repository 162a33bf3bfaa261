"""The status line's `row N of M` stays known through r (read again), filters and End."""

import pytest
import pytest_twisted

from tests.conftest import make_db
from tests.test_app_browse import open_table

SCRIPT = """
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 3000)
INSERT INTO people SELECT n, 'p' || n, CASE WHEN n % 6 = 0 THEN 'Lisbon' ELSE 'Kraków' END FROM s;
CREATE TABLE pairs (a TEXT NOT NULL, b TEXT NOT NULL, v INTEGER, PRIMARY KEY (a, b));
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 2500)
INSERT INTO pairs SELECT 'k' || (n % 50), 'x' || n, n FROM s;
"""


@pytest.fixture(scope="module")
def pos_db(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("pos") / "pos.db", SCRIPT)


@pytest_twisted.ensureDeferred
async def test_r_in_a_filtered_table_keeps_the_row_number(harness, pos_db):
    h = harness(pos_db)
    await open_table(h, "people")
    await h.wait_for("row 1 of 3,000", where="status")
    h.press("l", "l", "/")
    h.type("=Lisbon")
    h.press("enter")
    await h.wait_for("row 1 of 500", where="status")
    h.press("j", "j")
    await h.wait_for("row 3 of 500", where="status")
    h.press("r")
    await h.idle()
    await h.wait_for("row 3 of 500", where="status")
    h.press("G")
    await h.wait_for("row 500 of 500", where="status")
    h.press("r")
    await h.idle()
    assert "row 500 of 500" in h.status


@pytest_twisted.ensureDeferred
async def test_end_then_r_on_a_composite_text_key(harness, pos_db):
    h = harness(pos_db)
    await open_table(h, "pairs")
    await h.wait_for("row 1 of 2,500", where="status")
    h.press("G")
    await h.wait_for("row 2,500 of 2,500", where="status")
    h.press("k", "k")
    await h.wait_for("row 2,498 of 2,500", where="status")
    h.press("r")
    await h.idle()
    assert "row 2,498 of 2,500" in h.status
