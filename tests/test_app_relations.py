"""Relations both ways on the whole app, headless: > (and Enter on a foreign-key cell) opens the row a key refers
to, < lists the rows that refer to a row and opens them, Backspace goes back along the trail the title shows,
each step as it was left (sort, filters, cursor). Real SQLite files; the servers in test_app_engines_relations."""

from __future__ import annotations

import pytest
import pytest_twisted

from tests.conftest import make_db
from tests.test_app_browse import open_table

# Real-world shapes: CamelCase, keys not called id, a composite key referred to by a composite foreign key,
# a reference written without its column (the parent's key), a self-reference, a dangling reference.
SCRIPT = """
CREATE TABLE Customer (CustomerId INTEGER PRIMARY KEY, Name TEXT NOT NULL, City TEXT);
CREATE TABLE Invoice (InvoiceId INTEGER PRIMARY KEY, CustomerId INTEGER REFERENCES customer(CustomerId),
                      Total NUMERIC(10,2));
CREATE TABLE Shipment (Year INTEGER, Seq INTEGER, Carrier TEXT, PRIMARY KEY (Year, Seq)) WITHOUT ROWID;
CREATE TABLE InvoiceLine (LineId INTEGER PRIMARY KEY, InvoiceId INTEGER NOT NULL REFERENCES Invoice,
                          ShipYear INTEGER, ShipSeq INTEGER, Item TEXT,
                          FOREIGN KEY (ShipYear, ShipSeq) REFERENCES Shipment(Year, Seq));
CREATE TABLE Employee (EmpCode TEXT PRIMARY KEY, Boss TEXT REFERENCES Employee(EmpCode));
INSERT INTO Customer VALUES (1, 'Ada', 'London'), (2, 'Brian', 'Paris'), (3, 'Cleo', 'Rome');
INSERT INTO Shipment VALUES (2025, 1, 'Post'), (2025, 2, 'Rail'), (2026, 1, 'Sea');
INSERT INTO Employee VALUES ('ceo', NULL), ('cto', 'ceo'), ('dev', 'cto'), ('ops', 'cto');
"""


@pytest.fixture
def shop(tmp_path):
    lines = []
    for i in range(1, 301):                                    # invoices 1..300: customer (i % 3) + 1
        lines.append(f"INSERT INTO Invoice VALUES ({i}, {i % 3 + 1}, {i}.50);")
    lines.append("INSERT INTO Invoice VALUES (301, 99, 1);")   # a dangling reference (no customer 99)
    lines.append("INSERT INTO Invoice VALUES (302, NULL, 1);")
    for i in range(1, 11):
        lines.append(f"INSERT INTO InvoiceLine VALUES ({i}, {1 + i % 2}, 2025, {1 + i % 2}, 'item {i}');")
    return make_db(tmp_path / "shop.sqlite", SCRIPT + "\n".join(lines))


async def opened(harness, path, table):
    h = harness(path, size=(110, 30))
    await open_table(h, table)
    await h.wait_for(rf"^{table} · row 1 of", where="status")
    await h.idle()
    return h


def title(h) -> str:
    return h.lines[0]


@pytest_twisted.ensureDeferred
async def test_follow_a_key_and_come_back_along_the_trail(harness, shop):
    h = await opened(harness, shop, "Invoice")
    h.press("#")
    h.type("200")
    h.press("enter")
    await h.wait_for(r"^Invoice · row 200 of 302", where="status")
    await h.idle()
    h.press("l")                                     # CustomerId: 200 % 3 + 1 = 3
    invoices = h.app.top.model
    h.press(">")
    await h.wait_for(r"^Customer · row 3 of 3", where="status")
    assert "Invoice 200 › Customer" in title(h)
    assert "Cleo" in h.text
    assert len(invoices.rows) <= 100                 # a step of the trail out of sight holds a few rows only
    h.press("backspace")
    await h.wait_for(r"^Invoice · row 200 of 302 · col 2/3", where="status")     # the cursor as it was left
    assert "›" not in title(h)
    assert "│    200│" in h.text or " 200│" in h.text
    h.press("page down", "page down", "page down", "page down")
    await h.wait_for(r"^Invoice · row 302 of 302", where="status")    # the rows come back by paging


@pytest_twisted.ensureDeferred
async def test_enter_on_a_key_cell_follows_it_elsewhere_shows_the_row(harness, shop):
    h = await opened(harness, shop, "Invoice")
    h.press("enter")                                 # InvoiceId: the whole row
    await h.wait_for(r"^record · Invoice", where="status")
    h.press("q")
    await h.wait_for(r"^Invoice · row 1 of", where="status")
    h.press("l", "enter")                            # CustomerId 2
    await h.wait_for(r"^Customer · row 2 of 3", where="status")
    h.press("v")
    await h.wait_for(r"^record · Customer", where="status")
    assert "Invoice 1 › Customer" in title(h)        # a record over a followed table keeps its trail


@pytest_twisted.ensureDeferred
async def test_a_dangling_or_null_reference_says_so(harness, shop):
    h = await opened(harness, shop, "Invoice")
    h.press("G")
    await h.wait_for(r"^Invoice · row 302 of 302", where="status")
    h.press("l", ">")
    await h.wait_for(r"CustomerId is NULL: it refers to no row", where="message")
    h.press("up")
    h.press(">")
    await h.wait_for(r"no row of Customer has CustomerId = 99: the reference is dangling", where="message")
    assert h.status.startswith("Invoice · row 301 of 302")        # the cursor stays on the row it came from
    assert "›" not in title(h)
    h.press("h", ">")
    await h.wait_for(r"InvoiceId refers to no other table", where="message")


@pytest_twisted.ensureDeferred
async def test_a_composite_reference_opens_the_row_of_both_columns(harness, shop):
    h = await opened(harness, shop, "InvoiceLine")
    h.press("down")                                  # line 2: shipment (2025, 1)
    h.press("l", "l", "l", ">")
    await h.wait_for(r"^Shipment · row 1 of 3", where="status")
    assert "InvoiceLine 2 › Shipment" in title(h)
    h.press("backspace")
    await h.wait_for(r"^InvoiceLine · row 2 of 10 · col 4/5", where="status")
    h.press("up", ">")                               # line 1: (2025, 2)
    await h.wait_for(r"^Shipment · row 2 of 3", where="status")
    assert "Rail" in h.text
    h.press("<")                                     # what refers to shipment (2025, 2): the odd lines
    await h.wait_for(r"InvoiceLine\.\(ShipYear, ShipSeq\) +5 rows")
    h.press("enter")
    await h.wait_for(r"^InvoiceLine · filter ShipYear = 2025 · filter ShipSeq = 2 · row 1 of 5", where="status")
    assert "Shipment 2025,2 › InvoiceLine" in title(h)


@pytest_twisted.ensureDeferred
async def test_the_rows_that_refer_to_a_row_are_listed_counted_and_opened(harness, shop):
    h = await opened(harness, shop, "Customer")
    h.press("down")                                  # Brian, customer 2: invoices 1, 4, 7, ... (100 of them)
    h.press("<")
    await h.wait_for(r"Invoice\.CustomerId +100 rows")
    assert "rows that refer to Customer 2" in h.text
    h.press("enter")
    await h.wait_for(r"^Invoice · filter CustomerId = 2 · row 1 of 100", where="status")
    assert "Customer 2 › Invoice" in title(h)
    h.press("s")                                     # sorted by InvoiceId, descending next
    h.press("s")
    await h.wait_for(r"sort InvoiceId ▼", where="status")
    h.press("down", "down")
    h.press("l", ">")                                # back to the customer through another key
    await h.wait_for(r"^Customer · row 2 of 3", where="status")
    assert "Customer 2 › Invoice 292 › Customer" in title(h)
    h.press("backspace")
    await h.wait_for(r"^Invoice · sort InvoiceId ▼ · filter CustomerId = 2 · row 3 of 100", where="status")
    h.press("backspace")                             # past the list: straight to the row it came from
    await h.wait_for(r"^Customer · row 2 of 3", where="status")
    assert "›" not in title(h)


@pytest_twisted.ensureDeferred
async def test_a_self_reference_and_a_row_nothing_refers_to(harness, shop):
    h = await opened(harness, shop, "Employee")
    h.press("<")                                     # ceo: cto reports to it
    await h.wait_for(r"Employee\.Boss +1 row\b")
    h.press("enter")
    await h.wait_for(r"^Employee · filter Boss = ceo · row 1 of 1", where="status")
    h.press("<")                                     # cto: dev and ops
    await h.wait_for(r"Employee\.Boss +2 rows")
    h.press("backspace")
    h.press("backspace")
    await h.wait_for(r"^Employee · row 1 of 4", where="status")
    await open_table_from_palette(h, "Shipment")
    h.press("G")
    await h.wait_for(r"^Shipment · row 3 of 3", where="status")
    h.press("<")
    await h.wait_for(r"InvoiceLine\.\(ShipYear, ShipSeq\) +0 rows")


async def open_table_from_palette(h, name):
    h.press(":")
    h.type(f"open {name}")
    await h.wait_for(f"open {name}")
    h.press("enter")
    await h.wait_for(rf"^{name} · row 1 of", where="status")
