"""BrowseModel against a storage double whose Deferreds the test fires itself,
so that the order in which results arrive is chosen, not left to threads."""

import pytest
from twisted.internet import defer

from console.browse_model import FETCH, KEEP, BrowseModel
from storage.database import RowCount
from storage.filters import Condition
from storage.paging import Page
from storage.schema import Column, RowIdentity, Table

N = 5000
TABLE = Table("t", "table", (Column("id", "INTEGER", "int", pk_position=1, nullable=False),), ("id",),
              RowIdentity(("id",)))


class FakeDB:
    """Rows 1..N in key order; each call returns a Deferred kept until the test fires it."""

    def __init__(self):
        self.calls: list[tuple[str, tuple, defer.Deferred]] = []

    def _call(self, kind, *args):
        d = defer.Deferred()
        self.calls.append((kind, args, d))
        return d

    def fetch(self, view, mark, *, forward=True, limit=FETCH, inclusive=False, from_end=False):
        return self._call("fetch", view, mark, forward, limit, inclusive, from_end)

    def fetch_at(self, view, offset, *, limit=FETCH):
        return self._call("fetch_at", view, offset, limit)

    def answer_fetch_at(self):
        _, (view, offset, limit), d = self.pending("fetch_at")[0]
        chosen = list(range(1, N + 1))[offset:offset + limit]
        d.callback(Page([(i,) for i in chosen], [(i,) for i in chosen], reached_end=len(chosen) < limit))

    def estimate_rows(self, name):
        return self._call("count", None)

    def count_rows(self, view):
        return self._call("count", view)

    def pending(self, kind):
        return [c for c in self.calls if c[0] == kind and not c[2].called]

    def answer_fetch(self, call):
        _, (view, mark, forward, limit, inclusive, from_end), d = call
        ids = list(range(1, N + 1))
        if mark is None:
            chosen = ids[:limit] if forward else ids[-limit:]
        elif forward:
            start = mark[0] - (1 if inclusive else 0)
            chosen = ids[start:start + limit]
        else:
            end = mark[0] - (0 if inclusive else 1)
            chosen = ids[max(0, end - limit):end]
        # As storage.paging does: the end is reached when fewer rows than asked for came back.
        d.callback(Page([(i,) for i in chosen], [(i,) for i in chosen], reached_end=len(chosen) < limit))

    def answer_all_fetches(self):
        while self.pending("fetch"):
            self.answer_fetch(self.pending("fetch")[0])


def _strict(fn):
    """As App.deliver does: a bug in a model callback is kept (the app crashes on it), not passed on."""
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            BUGS.append(exc)
            return None
    return call


BUGS: list[Exception] = []


@pytest.fixture(autouse=True)
def _no_bugs():
    BUGS.clear()
    yield
    assert not BUGS, f"a model callback raised: {BUGS!r}"


def make_model():
    db = FakeDB()
    model = BrowseModel(db, TABLE, on_change=lambda: None, on_error=lambda doing: lambda f: None, deliver=_strict)
    model.page_rows = 30
    model.open()
    db.answer_all_fetches()
    return db, model


def test_page_downs_typed_while_rows_are_on_their_way_add_up():
    db, model = make_model()
    model.move(len(model.rows) - 1)              # the last row of the window; a prefetch is now running
    assert db.pending("fetch")
    for _ in range(3):
        model.move(30)                            # three PgDn before the rows arrive
    db.answer_all_fetches()
    assert model.position() == len(range(FETCH)) - 1 + 90


def test_a_prefetch_whose_anchor_moved_does_not_join_the_window():
    db, model = make_model()
    model.move(len(model.rows) - 1)
    stale = db.pending("fetch")[0]
    model.load_last()                             # the window is replaced before the prefetch answers
    db.answer_fetch(db.pending("fetch")[-1])
    rows_before = list(model.rows)
    db.answer_fetch(stale)                        # cancelled already: Deferred.called, nothing joins
    assert model.rows == rows_before
    ids = [r[0] for r in model.rows]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids[-1] == N


def test_an_old_count_never_lands_on_a_new_filter():
    db, model = make_model()
    old_count = db.pending("count")[0]
    cond = Condition("id", '"id" <= ?', (1234,), "id <= 1234")
    model.set_filter(cond, "id")
    old_count[2].callback(RowCount(N, exact=True))   # arrives while the filter loads: still the rows on screen
    assert model.total == RowCount(N, exact=True)
    db.answer_all_fetches()                           # the filtered rows replace them
    assert model.total is None
    new_count = db.pending("count")[-1]
    assert new_count[1][0].filters == (cond,)
    new_count[2].callback(RowCount(1234, exact=True))
    assert model.total == RowCount(1234, exact=True)


def test_escape_on_a_slow_filter_leaves_the_screen_as_it_was():
    db, model = make_model()
    db.pending("count")[0][2].callback(RowCount(N, exact=True))
    rows = list(model.rows)
    model.set_filter(Condition("id", '"id" <= ?', (1234,), "id <= 1234"), "id")
    assert model.cancel()
    assert model.rows == rows and model.view.filters == () and model.total == RowCount(N, exact=True)


def test_window_never_holds_more_than_keep_rows():
    db, model = make_model()
    for _ in range(200):
        model.move(30)
        db.answer_all_fetches()
        assert len(model.rows) <= KEEP + FETCH
    assert model.position() == N - 1


def test_reload_of_a_window_that_ends_at_the_last_row_keeps_the_position():
    db, model = make_model()
    model.load_last()                              # End: the position comes from the count
    db.answer_all_fetches()
    db.pending("count")[-1][2].callback(RowCount(N, exact=True))
    model.move(-5)
    assert model.position() == N - 6
    model.reload()                                 # r: the count is asked again, the window read again
    count = db.pending("count")[-1]
    count[2].callback(RowCount(N, exact=True))     # the count arrives first ...
    db.answer_all_fetches()                        # ... then the rows: the position is still known
    assert model.position() == N - 6
    assert model.at_end
    model.reload()
    db.answer_all_fetches()                        # the rows first ...
    db.pending("count")[-1][2].callback(RowCount(N, exact=True))    # ... then the count
    assert model.position() == N - 6


def test_reload_of_a_window_that_does_not_reach_the_end_keeps_its_position():
    db, model = make_model()
    model.move(FETCH - 1)
    db.answer_all_fetches()                        # a prefetch: 400 rows, not at the end
    model.reload()
    db.answer_all_fetches()
    assert model.position() == FETCH - 1 and not model.at_end


def test_a_third_sort_on_one_column_returns_to_key_order():
    db, model = make_model()
    for expected in (("id", False), ("id", True), (None, False)):
        model.sort_by("id")
        db.answer_all_fetches()
        assert (model.view.order.column, model.view.order.descending) == expected


def test_a_bug_in_a_result_callback_reaches_deliver_not_the_error_message(monkeypatch):
    errors = []
    db = FakeDB()
    model = BrowseModel(db, TABLE, on_change=lambda: None, on_error=lambda doing: errors.append, deliver=_strict)
    monkeypatch.setattr(model, "_replace", lambda *a, **k: 1 / 0)
    model.open()
    db.answer_fetch(db.pending("fetch")[0])
    bugs, BUGS[:] = list(BUGS), []
    assert [type(b) for b in bugs] == [ZeroDivisionError]
    assert errors == []                          # not reported as "reading rows failed"


def test_r_after_end_and_paging_up_past_the_window_keeps_the_row_number():
    db, model = make_model()
    model.load_last()
    db.answer_all_fetches()
    db.pending("count")[-1][2].callback(RowCount(N, exact=True))
    for _ in range(45):                            # PgUp past KEEP rows: the window's far end is trimmed
        model.move(-30)
        db.answer_all_fetches()
    where = model.position()
    assert where == N - 1 - 45 * 30 and model.after_last
    model.reload()
    db.answer_all_fetches()
    db.pending("count")[-1][2].callback(RowCount(N, exact=True))
    assert model.position() == where


def test_going_past_the_end_of_a_view_being_loaded_lands_on_its_last_row():
    db, model = make_model()
    cond = Condition("id", '"id" <= ?', (1234,), "id <= 1234")
    model.set_filter(cond, "id")                   # still loading when # is pressed
    model.go_to(10 * N)
    db.answer_fetch_at()                           # nothing there ...
    last = db.pending("fetch")[-1]
    assert last[1][0].filters == (cond,)           # ... so the last rows of that view, not of the old one
    assert last[1][5]                              # from_end


def test_moves_typed_for_a_window_do_not_apply_to_the_next_view():
    db, model = make_model()
    model.move(len(model.rows) - 1)
    model.move(30)                                 # waits for the prefetch
    assert model._pending_move == 30
    model.sort_by("id")                            # a new view replaces the window meanwhile
    assert model._pending_move == 0
    db.answer_all_fetches()
    assert model.position() == 0
