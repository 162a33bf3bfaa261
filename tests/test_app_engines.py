"""The whole app, headless on the real reactor and its real thread pools, on each engine: the same data set
(tests/app_engines.py) on SQLite, on the PostgreSQL server and on the MariaDB server, browsed with the same
keys. What is asserted is what the operator sees (the status line, the grid, the message line), and, where a
test is about the server, the server's own view of rowdesk's sessions (pg_stat_activity, the process list).

A defect of the app on one engine is a strict xfail on that engine, with its cause."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import time

import pytest
import pytest_twisted
from twisted.internet import reactor, task

from tests import app_engines as data
from tests.app_engines import ROWS

TABLES = [("AuditLog", "table", f"{data.AUDIT}"), ("BigOrders", "view", "not counted"),
          ("OrderLine", "table", f"{ROWS:,}"), ("SlowReport", "view", "not counted")]


@pytest.fixture(scope="module", params=data.ENGINES)
def engine(request, tmp_path_factory):
    """The data set on one engine, made once per module (this module's own: its tests may change it)."""
    yield from data.made(request.param, tmp_path_factory)


def engines(**defects: str) -> list:
    """The engines as parameters of one test, each named in *defects* a strict xfail with that reason."""
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=defects[name])) if name in defects
            else name for name in data.ENGINES]


def servers(**defects: str) -> list:
    return [p for p in engines(**defects) if getattr(p, "values", (p,))[0] in data.SERVERS]


# -- what the operator sees -------------------------------------------------------------------------------------
def drawn(h) -> list[list[tuple[set, str]]]:
    """The screen as drawn: each line's runs of (the colours' names, text)."""
    h.app.loop.draw_screen()
    return [[(set(getattr(a, "layers", (a,))), t.decode()) for a, _cs, t in row]
            for row in h.screen.canvases[-1].content()]


def focused_line(h) -> str:
    """The grid's line under the cursor: the one drawn in the focus colours."""
    for row in drawn(h)[2:]:
        if any(attrs & {"row focus", "cell focus", "null focus"} for attrs, _t in row):
            return "".join(t for _a, t in row).rstrip()
    raise AssertionError(f"no line has the cursor:\n{h.text}")


def header_focus(h) -> str:
    """The name of the column the cursor is on, as its header shows it."""
    return "".join(t for attrs, t in drawn(h)[1] if "header focus" in attrs).strip()


def named(engine, name: str) -> str:
    """The status line's start for table *name* (on PostgreSQL the schema leads: schema.table)."""
    return rf"^{re.escape(engine.table(name))} ·"


def cells(line: str) -> list[str]:
    return [c.strip() for c in re.split("[│┃]", line)]


def cell(h, line: str, column: str) -> str:
    """The text of *column* in a grid *line*, found by the header's names."""
    names = [re.sub(r"[ ▲▼›]+$", "", c) for c in cells(h.lines[1])]     # no sort arrow, no "more" mark
    return cells(line)[names.index(column)]


async def open_table(h, engine, name: str) -> None:
    """From the tables list: / and the name, Enter to keep the filter, Enter to open the best match."""
    await h.wait_for(r"tables and views|tables match", where="status")
    h.press("F", "/")                                # no name filter left from the last table opened
    h.type(name)
    h.press("enter", "enter")
    await h.wait_for(named(engine, name), where="status")


async def opened(harness, engine, name="OrderLine", *, size=(170, 30)):
    h = harness(engine.target, size=size)
    await open_table(h, engine, name)
    if name == "OrderLine":
        await h.wait_for(f"row 1 of {ROWS:,}", where="status")
        await h.idle()
    return h


def sleep(seconds: float):
    return task.deferLater(reactor, seconds, lambda: None)


# -- the expected rows ------------------------------------------------------------------------------------------
def sorted_by_quantity(engine) -> list[int]:
    """The rows (by n) in ascending Quantity order, NULLs where the engine puts them, ties in key order."""
    known = sorted((n for n in range(1, ROWS + 1) if data.quantity(n) is not None), key=lambda n: (data.quantity(n), n))
    nulls = [n for n in range(1, ROWS + 1) if data.quantity(n) is None]
    return nulls + known if engine.nulls_first else known + nulls


def shown_quantity(n: int) -> str:
    return "∅" if data.quantity(n) is None else str(data.quantity(n))


def shows(h, n: int) -> bool:
    return data.customer(n) in cells(focused_line(h))


def stored_price(engine) -> str:
    """Row 1's UnitPrice as the engine holds it (SQLite has made a REAL of it)."""
    q = engine.q
    return str(engine.sql(f"SELECT {q('UnitPrice')} FROM {q('OrderLine')} WHERE {q('OrderId')} = 1 "
                          f"AND {q('LineNo')} = 1")[0][0])


# == the tables list =============================================================================================
@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_the_tables_list_names_every_table_and_view_with_its_rows(harness, engine):
    h = harness(engine.target, size=(100, 30))
    await h.wait_for(r"tables and views · views are counted when opened", where="status")
    await h.wait_for(rf"OrderLine\s*│table│\s*{ROWS:,}")
    await h.idle()
    listed = [tuple(cells(line)) for line in h.lines[2:2 + len(TABLES)]]
    # The database's own tables first (on PostgreSQL, the URI's schema), by name.
    assert listed == [(engine.table(name), kind, rows) for name, kind, rows in TABLES]
    if engine.name != "postgres":
        assert h.status.startswith(f"{len(TABLES)} tables and views")


# == opening, moving, paging =====================================================================================
@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_open_shows_the_header_the_rows_as_stored_and_row_n_of_m(harness, engine):
    h = await opened(harness, engine)
    assert h.status.endswith(f"row 1 of {ROWS:,} · col 1/12")
    header = h.lines[1]
    for name in data.COLUMNS[:9]:
        assert name in header, name
    first = focused_line(h)
    assert cells(first)[:4] == ["1", "1", "渡辺 健 1", "Kraków"]
    assert cell(h, first, "UnitPrice") == stored_price(engine)
    assert cell(h, first, "OrderedOn") == "2020-01-02"
    assert cell(h, first, "PlacedAt").startswith("2024-01-01 01:00:07.000001")
    assert cell(h, first, "Shipped") == "false"
    tenth = h.lines[2 + 9]
    assert cell(h, tenth, "Quantity") == "∅" and cell(h, h.lines[2 + 3], "City") == "∅"
    assert cell(h, h.lines[2 + 10], "Shipped") == "∅"
    assert re.search(r"\s8│", first)                 # numbers are right-aligned


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_page_down_up_end_home_both_ways_with_the_right_rows(harness, engine):
    h = await opened(harness, engine)
    page = h.app.top.grid.height
    h.press("j", "j")
    await h.wait_for(f"row 3 of {ROWS:,}", where="status")
    at = 3
    for _ in range(10):                              # past the first read of 200 rows
        h.press("page down")
        at += page
        await h.wait_for(f"row {at:,} of {ROWS:,}", where="status")
        assert shows(h, at)
    for _ in range(3):
        h.press("page up")
        at -= page
        await h.wait_for(f"row {at:,} of {ROWS:,}", where="status")
        assert shows(h, at)
    h.press("end")
    await h.wait_for(f"row {ROWS:,} of {ROWS:,}", where="status")
    assert shows(h, ROWS)
    at = ROWS
    for _ in range(10):                              # back from the end, past its first read
        h.press("page up")
        at -= page
        await h.wait_for(f"row {at:,} of {ROWS:,}", where="status")
        assert shows(h, at)
    h.press("page down")
    at += page
    await h.wait_for(f"row {at:,} of {ROWS:,}", where="status")
    assert shows(h, at)
    h.press("home")
    await h.wait_for(f"row 1 of {ROWS:,}", where="status")
    assert shows(h, 1)
    h.press("G")
    await h.wait_for(f"row {ROWS:,} of {ROWS:,}", where="status")
    h.press("g")
    await h.wait_for(f"row 1 of {ROWS:,}", where="status")
    assert shows(h, 1)


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_sort_three_times_on_a_column_with_nulls_and_page_across_them(harness, engine):
    h = await opened(harness, engine)
    order = sorted_by_quantity(engine)
    page = h.app.top.grid.height
    h.press("c")
    h.type("Quantity")
    h.press("enter", "s")
    await h.wait_for("sort Quantity ▲", where="status")
    await h.wait_for(f"row 1 of {ROWS:,}", where="status")
    await h.idle()
    assert "Quantity ▲" in h.lines[1]
    assert shows(h, order[0])
    assert cell(h, focused_line(h), "Quantity") == shown_quantity(order[0])
    at = 1
    for _ in range(13):                     # across the NULLs' edge (row 300 or 2,700) and a read's
        h.press("page down")
        at += page
        await h.wait_for(f"row {at:,} of {ROWS:,}", where="status")
        assert shows(h, order[at - 1]), (at, focused_line(h))
    h.press("end")
    await h.wait_for(f"row {ROWS:,} of {ROWS:,}", where="status")
    assert shows(h, order[-1])
    assert cell(h, focused_line(h), "Quantity") == shown_quantity(order[-1])
    at = ROWS
    for _ in range(13):
        h.press("page up")
        at -= page
        await h.wait_for(f"row {at:,} of {ROWS:,}", where="status")
        assert shows(h, order[at - 1]), (at, focused_line(h))

    h.press("s")
    await h.wait_for("sort Quantity ▼", where="status")
    await h.wait_for(f"row 1 of {ROWS:,}", where="status")
    await h.idle()
    assert "Quantity ▼" in h.lines[1]
    descending = order[::-1]
    assert shows(h, descending[0])
    h.press("#")
    h.type(f"{ROWS - 305}")
    h.press("enter")
    await h.wait_for(f"row {ROWS - 305:,} of {ROWS:,}", where="status")
    assert shows(h, descending[ROWS - 306])
    for step in range(1, 4):
        h.press("page down")
        await h.wait_for(f"row {ROWS - 305 + step * page:,} of {ROWS:,}", where="status")
        assert shows(h, descending[ROWS - 306 + step * page])

    h.press("s")                            # a third time: the table's order again
    await h.wait_for(named(engine, "OrderLine") + f" row 1 of {ROWS:,}", where="status")
    await h.idle()
    assert "▲" not in h.lines[1] and "▼" not in h.lines[1]
    assert shows(h, 1)


# == filters =====================================================================================================
async def go_to_column(h, name: str) -> None:
    h.press("c")
    h.type(name)
    h.press("enter")
    assert header_focus(h).startswith(name), header_focus(h)


async def filter_on(h, column: str, text: str) -> None:
    """c to the column, / and the filter (replacing what the prompt holds), Enter."""
    await go_to_column(h, column)
    h.press("/", "ctrl u")
    h.type(text)
    h.press("enter")


async def expect_rows(h, label: str, count: int) -> None:
    """The status line names the filter and, once every query is done, the rows that match."""
    await h.wait_for(f"filter {re.escape(label)} · ", where="status")
    await h.idle()                                   # the rows and their count are in: the status is final
    shown = f"filter {label} · " + (f"row 1 of {count:,} ·" if count else "no rows match")
    assert shown in h.status, h.text


def matching(test) -> int:
    return sum(1 for n in range(1, ROWS + 1) if test(n))


def shown_bool(value) -> str | None:
    return None if value is None else "true" if value else "false"


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_every_filter_form_of_the_readme(harness, engine):
    h = await opened(harness, engine)
    await filter_on(h, "City", "KRAK")                  # contains, ignoring (ASCII) case
    await expect_rows(h, "City ~ KRAK", matching(lambda n: data.city(n) == "Kraków"))
    await h.idle()
    assert {cell(h, line, "City") for line in h.lines[2:-2] if line} == {"Kraków"}
    await filter_on(h, "Quantity", ">=45")              # filters on two columns combine
    await h.wait_for(r"filter City ~ KRAK · filter Quantity >= 45 · row 1 of "
                     f"{matching(lambda n: data.city(n) == 'Kraków' and (data.quantity(n) or 0) >= 45):,} ·",
                     where="status")
    h.press("F")
    await h.wait_for(named(engine, "OrderLine") + f" row 1 of {ROWS:,}", where="status")

    city_cases = [("!Lisbon", "City !~ Lisbon", lambda n: data.city(n) != "Lisbon"),
                  ("null", "City is null", lambda n: data.city(n) is None),
                  ("!null", "City is not null", lambda n: data.city(n) is not None),
                  ("=Zürich", "City = Zürich", lambda n: data.city(n) == "Zürich")]
    customer_cases = [("渡辺", "Customer ~ 渡辺", lambda n: "渡辺" in data.customer(n)),
                      ('"null"', "Customer ~ null", lambda n: False),          # quoted: the text, not IS NULL
                      ('"渡辺 健 1"', "Customer ~ 渡辺 健 1", lambda n: "渡辺 健 1" in data.customer(n)),
                      ('"=Ana"', "Customer ~ =Ana", lambda n: False),
                      ("!ana", "Customer !~ ana", lambda n: "ana" not in data.customer(n).lower())]
    typed_cases = [
        ("Quantity", "=8", "Quantity = 8", lambda n: data.quantity(n) == 8),
        ("Quantity", "<3", "Quantity < 3", lambda n: data.quantity(n) is not None and data.quantity(n) < 3),
        ("UnitPrice", ">370", "UnitPrice > 370", lambda n: data.unit_price(n) > 370),
        ("UnitPrice", "=0.125", "UnitPrice = 0.125", lambda n: data.unit_price(n) == decimal.Decimal("0.125")),
        ("OrderedOn", "=2020-01-02", "OrderedOn = 2020-01-02", lambda n: str(data.ordered_on(n)) == "2020-01-02"),
        ("OrderedOn", ">=2022-09-01", "OrderedOn >= 2022-09-01", lambda n: str(data.ordered_on(n)) >= "2022-09-01"),
        ("PlacedAt", "<2024-01-02", "PlacedAt < 2024-01-02", lambda n: data.placed_at(n).date() < dt.date(2024, 1, 2)),
        ("PlacedAt", ">=2024-01-02 00:02:48.000024", "PlacedAt >= 2024-01-02 00:02:48.000024", lambda n: n >= 24),
        ("Shipped", "true", "Shipped ~ true", lambda n: data.shipped(n) is True),       # as the grid shows it
        ("Shipped", "=false", "Shipped = false", lambda n: data.shipped(n) is False),
        ("Shipped", "null", "Shipped is null", lambda n: data.shipped(n) is None),
    ]
    for column, cases in (("City", city_cases), ("Customer", customer_cases)):
        for text, label, test in cases:
            await filter_on(h, column, text)
            await expect_rows(h, label, matching(test))
            h.press("/")
            assert text in h.message                     # the prompt holds what was typed, to edit it
            h.press("esc", "F")
            await h.wait_for(named(engine, "OrderLine") + f" row 1 of {ROWS:,}", where="status")
    for column, text, label, test in typed_cases:
        await filter_on(h, column, text)
        await expect_rows(h, label, matching(test))
        h.press("F")
        await h.wait_for(named(engine, "OrderLine") + f" row 1 of {ROWS:,}", where="status")


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_a_typo_in_a_comparison_is_refused_where_the_engine_enforces_the_type(harness, engine):
    h = await opened(harness, engine)
    for column, text, kind in (("Quantity", ">4O", "int"), ("OrderedOn", "=2020-13-45", "date"),
                               ("UnitPrice", "<1,5", "decimal")):
        await filter_on(h, column, text)
        operand = text.lstrip("<>=")
        if engine.name == "sqlite":
            # SQLite keeps any value in any column: compared as SQLite compares it, and said so.
            await h.wait_for(f"filter {column} {text[:-len(operand)]} {re.escape(operand)}: '{re.escape(operand)}' "
                             f"is not an? {kind}: compared as", where="message")
            await h.wait_for(r"no rows match|row 1 of", where="status")
        else:
            await h.wait_for(f"filter not applied: '{re.escape(operand)}' is not a valid {kind} for column {column}",
                             where="message")
            assert "filter" not in h.status and f"row 1 of {ROWS:,}" in h.status
            h.press("/")
            assert text in h.message                  # back to be corrected
            h.press("esc")
        h.press("F")
        await h.wait_for(named(engine, "OrderLine") + f" row 1 of {ROWS:,}", where="status")


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_contains_ignores_case_in_every_alphabet(harness, engine):
    h = await opened(harness, engine)
    for column, text, test in (
            ("Customer", "łukasz", lambda n: n % 5 in (2, 4)),           # Łukasz Żółć, ŁUKASZ NOWAK
            ("Customer", "ŻÓŁĆ", lambda n: n % 5 == 2),
            ("City", "zürich", lambda n: data.city(n) == "Zürich"),
            ("City", "KRAKÓW", lambda n: data.city(n) == "Kraków")):
        await filter_on(h, column, text)
        await expect_rows(h, f"{column} ~ {text}", matching(test))
        h.press("F")


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_contains_matches_the_text_as_the_grid_shows_it_accents_included(harness, engine):
    h = await opened(harness, engine)
    for column, text in (("City", "krakow"), ("Customer", "nunez"), ("City", "zurich")):
        await filter_on(h, column, text)
        await expect_rows(h, f"{column} ~ {text}", 0)
        h.press("F")


# == the record view, the value screen, going to a row or a column ===============================================
def as_stored(engine, column: str, n: int = 1) -> str:
    """A value of row *n* as the engine's own client gives its text (PostgreSQL: the server's text of jsonb)."""
    q = engine.q
    shown = f"{q(column)}::text" if engine.name == "postgres" else q(column)
    return engine.sql(f"SELECT {shown} FROM {q('OrderLine')} WHERE {q('OrderId')} = {data.order_id(n)} "
                      f"AND {q('LineNo')} = {data.line_no(n)}")[0][0]


def value_screen(engine, column: str) -> str:
    return rf"^value · {re.escape(engine.table('OrderLine'))}\.{column} · "


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_the_record_view_shows_every_field_as_stored(harness, engine):
    h = await opened(harness, engine, size=(120, 50))
    await go_to_column(h, "UnitPrice")
    h.press("enter")
    await h.wait_for(r"^record · (\S+\.)?OrderLine · row 1 of 3,000 · field 6/12 UnitPrice", where="status")
    text = h.text
    declared = {"sqlite": "NUMERIC(20,6)", "postgres": "numeric(20,6)", "mysql": "decimal(20,6)"}[engine.name]
    assert re.search(rf"^UnitPrice +{re.escape(declared)} +{re.escape(stored_price(engine))}$", text, re.M)
    assert re.search(r"^OrderId +\S+ key +1$", text, re.M) and re.search(r"^LineNo +\S+ key +1$", text, re.M)
    assert re.search(r"^Customer .* 渡辺 健 1$", text, re.M) and re.search(r"^Shipped .* false$", text, re.M)
    assert re.search(r"^PlacedAt .* 2024-01-01 01:00:07\.000001", text, re.M)
    for item in ('"sku": "SKU-00001"', '"gift": false', '"by": "Zoë"', '"fragile"'):
        assert item in text, item                                       # JSON, pretty-printed
    assert "JSON, pretty-printed" in text
    assert "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |" in text        # bytes: a hex dump
    assert f"{len(data.ATTACHMENT):,} bytes in all" in text
    h.press("n", "G")                                                   # the next row, its last field
    await h.wait_for("row 2 of 3,000 · field 12/12 Note", where="status")
    await h.wait_for("line 1 of the long note")
    assert "line 20 of the long note" in h.text and "line 21 of the long note" not in h.text
    assert "Łukasz Żółć 2" in h.text
    h.press("p")
    await h.wait_for("row 1 of 3,000", where="status")
    assert "渡辺 健 1" in h.text


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_the_value_screen_of_a_long_text_of_json_and_of_bytes(harness, engine):
    h = await opened(harness, engine, size=(120, 30))
    h.press("j")
    await go_to_column(h, "Note")
    h.press("enter")
    await h.wait_for("^record · ", where="status")
    h.press("enter")
    await h.wait_for(value_screen(engine, "Note") + f"row 2 of 3,000 · {len(data.LONG_NOTE):,} characters",
                     where="status")
    assert "line 1 of the long note" in h.text
    h.press("G")
    await h.wait_for("100 %", where="status")
    assert "line 2000 of the long note" in h.text
    h.press("g")
    await h.wait_for("^line 1 of the long note$")
    h.press("q", "q", "k")
    await h.wait_for(named(engine, "OrderLine") + " row 1 of", where="status")

    await go_to_column(h, "Details")
    h.press("enter")
    await h.wait_for("^record · ", where="status")
    h.press("enter")
    await h.wait_for(value_screen(engine, "Details"), where="status")
    assert '  "sku": "SKU-00001"' in h.text and '  "tags": [' in h.text
    h.press("f")
    await h.wait_for("as stored", where="status")
    assert as_stored(engine, "Details") in h.text
    h.press("q", "q")
    await h.wait_for(named(engine, "OrderLine") + " row 1 of", where="status")

    await go_to_column(h, "Attachment")
    h.press("enter")
    await h.wait_for("^record · ", where="status")
    assert f"{len(data.ATTACHMENT):,} bytes in all" in h.text
    h.press("enter")
    await h.wait_for(value_screen(engine, "Attachment"), where="status")
    assert "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|" in h.text
    h.press("G")
    await h.wait_for("100 %", where="status")
    assert "00000ff0  f0 f1 f2 f3 f4 f5 f6 f7  f8 f9 fa fb fc fd fe ff  |................|" in h.text


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_go_to_row_n_in_a_table_a_sorted_table_and_a_view(harness, engine):
    h = await opened(harness, engine)
    h.press("#")
    h.type("1500")
    h.press("enter")
    await h.wait_for(f"row 1,500 of {ROWS:,}", where="status")
    assert shows(h, 1500)
    h.press("j")
    await h.wait_for(f"row 1,501 of {ROWS:,}", where="status")
    assert shows(h, 1501)
    h.press("#")
    h.type("99999")
    h.press("enter")
    await h.wait_for(f"row {ROWS:,} of {ROWS:,}", where="status")
    assert shows(h, ROWS)
    h.press("#")
    h.type("x1")
    h.press("enter")
    await h.wait_for("not a number", where="message")
    await go_to_column(h, "Quantity")
    h.press("s", "s")
    await h.wait_for("sort Quantity ▼", where="status")
    h.press("#")
    h.type("2750")                          # among the NULLs on MariaDB and SQLite (last when descending)
    h.press("enter")
    await h.wait_for(f"row 2,750 of {ROWS:,}", where="status")
    assert shows(h, sorted_by_quantity(engine)[::-1][2749])

    h.press("q")
    await open_table(h, engine, "BigOrders")
    big = [n for n in range(1, ROWS + 1) if (data.quantity(n) or 0) >= 45]
    await h.wait_for(f"row 1 of {len(big):,}", where="status")       # a view: counted once opened
    # Unsorted, a view keeps the server's own order: what the operator's own client shows.
    q = engine.q
    own = engine.sql(f"SELECT {q('OrderId')}, {q('LineNo')} FROM {q('BigOrders')}")
    h.press("#")
    h.type("300")                           # past the rows read first
    h.press("enter")
    await h.wait_for(f"row 300 of {len(big):,}", where="status")
    assert cells(focused_line(h))[:2] == [str(v) for v in own[299]]
    h.press("end")
    await h.wait_for(f"row {len(big):,} of {len(big):,}", where="status")
    assert cells(focused_line(h))[:2] == [str(v) for v in own[-1]]
    await go_to_column(h, "Quantity")
    h.press("s")                            # sorted: ties in the order of every column
    await h.wait_for("sort Quantity ▲", where="status")
    h.press("#")
    h.type("300")
    h.press("enter")
    await h.wait_for(f"row 300 of {len(big):,}", where="status")
    assert shows(h, sorted(big, key=lambda n: (data.quantity(n), n))[299])


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_go_to_a_row_already_read_shows_it(harness, engine):
    h = await opened(harness, engine)
    h.press("#")
    h.type("150")                           # among the 200 rows read when the table opened
    h.press("enter")
    await h.wait_for(f"row 150 of {ROWS:,}", where="status")
    assert shows(h, 150), focused_line(h)
    h.press("q")
    await open_table(h, engine, "AuditLog")               # a keyless table, with rows written twice
    await h.wait_for(f"row 1 of {data.AUDIT}", where="status")
    h.press("#")
    h.type("5")
    h.press("enter")
    await h.wait_for(f"row 5 of {data.AUDIT}", where="status")
    assert "login 4" in focused_line(h)


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_a_keyless_table_shows_its_rows_written_twice(harness, engine):
    h = await opened(harness, engine, "AuditLog")
    await h.wait_for(f"row 1 of {data.AUDIT} · col 1/3", where="status")
    h.press("j", "j", "j", "j")
    await h.wait_for(f"row 5 of {data.AUDIT}", where="status")
    fifth = focused_line(h)
    h.press("k")
    await h.wait_for(f"row 4 of {data.AUDIT}", where="status")
    assert focused_line(h) == fifth and "login 4" in fifth
    h.press("G")
    await h.wait_for(f"row {data.AUDIT} of {data.AUDIT}", where="status")
    assert "login 39" in focused_line(h)
    h.press("k")
    await h.wait_for(f"row {data.AUDIT - 1} of {data.AUDIT}", where="status")
    assert "login 39" in focused_line(h)
    await go_to_column(h, "Actor")
    h.press("s")
    await h.wait_for("sort Actor ▲", where="status")
    await h.idle()
    q = engine.q
    first = engine.sql(f"SELECT {q('Actor')} FROM {q('AuditLog')} ORDER BY {q('Actor')} LIMIT 1")[0][0]
    assert cell(h, focused_line(h), "Actor") == first        # in the engine's collation


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_go_to_a_column_by_name(harness, engine):
    h = await opened(harness, engine, size=(80, 24))
    h.press("c")
    h.type("unit")
    await h.wait_for("→ UnitPrice", where="message")
    h.press("enter")
    await h.wait_for("col 6/12", where="status")
    assert header_focus(h) == "UnitPrice"
    h.press("c")
    h.type("PLACED")
    h.press("enter")
    await h.wait_for("col 8/12", where="status")
    assert header_focus(h) == "PlacedAt"
    assert cell(h, focused_line(h), "PlacedAt").startswith("2024-01-01 01:00:07")
    h.press("c")
    h.type("zzz")
    h.press("enter")
    await h.wait_for("no column matches 'zzz'", where="message")
    assert "col 8/12" in h.status


# == Esc on a slow statement, a connection killed by the server ==================================================
async def until(predicate, what: str, timeout: float = 10.0) -> float:
    """Seconds until predicate() holds, the reactor running meanwhile."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, f"{what}: not after {timeout} s"
        await sleep(0.005)
    return time.monotonic() - started


@pytest.mark.parametrize("engine", engines(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_esc_cancels_a_slow_statement_on_the_server(harness, engine):
    h = harness(engine.target)
    await open_table(h, engine, "SlowReport")
    await h.wait_for("reading rows  Esc cancels", where="status")
    if engine.name != "sqlite":
        await until(lambda: engine.running("SlowReport"), "the statement started on the server")
        sessions = [s for s, _statement in engine.running("SlowReport")]
    pressed = time.monotonic()
    h.press("esc")
    await h.wait_for("cancelled", where="message")
    if engine.name != "sqlite":
        await until(lambda: not engine.running("SlowReport"), "the statement gone from the server")
        gone = time.monotonic() - pressed
        assert gone < 1.0, f"the statement still ran {gone:.2f} s after Esc"
        assert engine.alive(sessions) == sessions                # the statement stopped, never the session
    await h.idle()                                              # no worker is still waiting on it
    assert "Esc cancels" not in h.status and "error" not in h.message
    h.press("q")
    await open_table(h, engine, "OrderLine")
    await h.wait_for(f"row 1 of {ROWS:,}", where="status")      # the pool still serves
    assert shows(h, 1)


RECONNECTED = "the server had closed the connection (a restart, or the session was ended): connected again"


@pytest.mark.parametrize("engine", servers(), indirect=True)
@pytest_twisted.ensureDeferred
async def test_a_connection_killed_by_the_server_between_two_keys(harness, engine):
    h = await opened(harness, engine)
    page = h.app.top.grid.height
    h.press("page down")
    await h.wait_for(f"row {1 + page} of {ROWS:,}", where="status")
    await h.idle()
    sessions = engine.sessions(h.db)
    assert sessions                                             # the app's idle connections, in its pool
    engine.kill(sessions)                                       # as an operator's kill, or a restart would
    h.press("end")                                              # a read: on a fresh connection
    await h.wait_for(f"row {ROWS:,} of {ROWS:,}", where="status")
    await h.idle()
    assert shows(h, ROWS)
    assert h.message.strip() in ("", RECONNECTED), h.message    # nothing shown as an error
    engine.kill(engine.sessions(h.db))
    await go_to_column(h, "Quantity")
    h.press("s")                                                # a sort after the next kill: the same
    await h.wait_for(f"sort Quantity ▲ · row 1 of {ROWS:,}", where="status")
    await h.idle()
    assert shows(h, sorted_by_quantity(engine)[0])
    assert h.message.strip() in ("", RECONNECTED), h.message
    assert not set(engine.sessions(h.db)) & set(sessions)       # the dead ones were never handed out again
