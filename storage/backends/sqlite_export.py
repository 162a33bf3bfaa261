"""A large SQLite export to CSV written by several processes at once, each a consecutive part of the view.

Each value's text is made in Python (storage.export.Writer: a REAL as its repr, which SQLite's own text rounds to
15 digits), which holds one core. SQLite reads in the calling process and the same process writes, so threads
would wait for each other on the GIL: processes (`python -m storage.backends.sqlite_export`), one per core up to
MAX_WORKERS, each reading its own rows (the view's statement with LIMIT and OFFSET) on a read-only connection of
its own. The first one's CSV comes through a pipe as it is written; the others' wait in files beside the output
and are copied after it, in order.

The parts must come from one state of the file. Each worker opens a read transaction (a snapshot in WAL mode, a
shared lock otherwise) and says so; only when all have, PRAGMA data_version tells whether another connection
committed since the rows were counted. If one did, or a worker fails before it is ready (a lock another process
holds, say), the workers are stopped and one stream in this process writes the export: nothing has been written
yet. A worker whose parent has gone stops at its next batch and removes its file.

The worker's protocol, on its standard error: `ready`, then `rows N` now and then, then `done N`; on failure
`error MESSAGE` (one line) and exit status 1. Its job (pickled, from the parent, on its standard input) names the
file, never a password: SQLite has none.
"""

from __future__ import annotations

import logging
import os
import pickle
import selectors
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from storage.export import ExportFailed
from storage.schema import Column

log = logging.getLogger(__name__)

PARALLEL_ROWS = 500_000        # below this many rows one stream is as fast: starting processes costs ~0.2 s
MAX_WORKERS = 4
BATCH = 5000                   # rows read at a time by a worker
WORKER = __name__ if __name__ != "__main__" else "storage.backends.sqlite_export"   # the workers' module
CHUNK = 1 << 20                # bytes copied at a time from a part file or the first worker's pipe


@dataclass(frozen=True)
class Part:
    """What one worker writes: rows [offset, offset + limit) of the statement (limit -1: to the end)."""
    path: str
    immutable: bool
    identity: tuple[int, int] | None       # (st_dev, st_ino) of the file the parent opened
    sql: str
    params: list
    columns: list[Column]
    offset: int
    limit: int
    out: str | None             # the file it writes, None: its standard output


def workers_for(rows: int) -> int:
    """How many processes to write *rows* with (1: in this process, as usual). POSIX only: the parent waits on
    the workers' pipes with selectors."""
    if rows < PARALLEL_ROWS or os.name != "posix":
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:                   # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS, rows // (PARALLEL_ROWS // 2)))


class WorkerFailed(ExportFailed):
    """A worker process stopped with an error; str() is its one line."""


def csv_values_sql(columns: list[Column], quote: Callable[[str], str]) -> list[str]:
    """What to SELECT of each column so that the csv module writes the grid's text of it as it is, without a
    Python call a value (storage.export.Writer's conversions, made by SQLite): a boolean's 0 and 1 as false and
    true, a blob as hex in the kinds that show bytes so. A REAL stays a number: csv writes its repr. Named
    apart, since ORDER BY "id" must sort by the column, not by its text."""
    exprs = []
    for i, c in enumerate(columns):
        q = quote(c.name)
        hexed = f"WHEN typeof({q}) = 'blob' THEN lower(hex({q}))"
        if c.kind == "bool":
            expr = (f"CASE WHEN typeof({q}) IN ('integer', 'real') AND {q} IN (0, 1) "
                    f"THEN CASE WHEN {q} = 0 THEN 'false' ELSE 'true' END {hexed} ELSE {q} END")
        elif c.kind in ("blob", "any", "spatial", "time"):
            expr = f"CASE {hexed} ELSE {q} END"
        else:
            expr = q
        exprs.append(f"{expr} AS rowdesk_{i}")
    return exprs


def as_written(columns: list[Column]) -> list[Column]:
    """*columns* as the Writer sees them when csv_values_sql has made their text: plain text, no conversion."""
    return [Column(c.name, c.declared, "text") for c in columns]


def copy_csv(raw, file: tuple[str, bool, tuple[int, int] | None], plan, write: Callable[[bytes], object],
             progress: Callable[[int], None], *, beside: str | None) -> int:
    """The rows of *plan*'s view as CSV (no header), read from *file* (path, immutable, identity): write(bytes) in
    order, progress(rows so far) now and then (it may raise: any workers are stopped and their files removed);
    the number of rows. Several processes write a large keyed view read in one statement; one stream in this
    process writes a small one, a keyless one, one read in two segments (the NULLs of the sort column apart), or
    one whose file changed while the processes started. The workers' files go in *beside*'s folder (the
    output's), else the temporary folder."""
    columns = plan.view.table.columns
    statements = plan.stream_sql(csv_values_sql(columns, plan.d.quote))
    # Parts by OFFSET need one order that every worker's statement reads alike: a keyed view's ORDER BY ends with
    # its key. A keyless one (a view, a table without a key) may order equal rows differently with a LIMIT (SQLite
    # then keeps the first rows only, and ties fall otherwise), so a row could be written twice and another
    # never.
    if plan.keyed and len(statements) == 1 and workers_for(PARALLEL_ROWS) > 1:
        done = _in_parallel(raw, file, statements[0], plan.count_sql(), as_written(columns), write, progress,
                            beside=beside)
        if done is not None:
            return done
    return _in_process(raw, statements, as_written(columns), write, progress)


class _Encoding:
    """A text file's write() over write(bytes): the Writer writes one text a batch."""

    def __init__(self, write: Callable[[bytes], object]):
        self._write = write

    def write(self, text: str) -> None:
        self._write(text.encode("utf-8"))


def _in_process(raw, statements, columns: list[Column], write, progress) -> int:
    from storage.export import Writer

    writer = Writer("csv", _Encoding(write), columns)
    for sql, params in statements:
        cur = raw.execute(sql, params)
        while batch := cur.fetchmany(BATCH):
            writer.rows(batch)
            progress(writer.rows_written)
    return writer.rows_written


def _in_parallel(raw, file, statement: tuple[str, list], count: tuple[str, list], columns: list[Column], write,
                 progress, *, beside: str | None) -> int | None:
    """copy_csv by several processes; None when the rows are too few to be worth it, the file changed while the
    workers started, or one failed before it read (nothing written yet)."""
    sql, params = statement
    before = raw.execute("PRAGMA data_version").fetchone()[0]
    rows = raw.execute(*count).fetchone()[0]
    n = workers_for(rows)
    if n < 2:
        return None
    folder = os.path.dirname(os.path.abspath(beside)) if beside else tempfile.gettempdir()
    share = rows // n
    path, immutable, identity = file
    crew = _Crew([])
    try:
        for _ in range(1, n):
            crew.scratch.append(_scratch(folder))
        outs = [None, *crew.scratch]
        crew.parts = [Part(path, immutable, identity, sql, list(params), columns, i * share,
                           share if i < n - 1 else -1, outs[i]) for i in range(n)]
        crew.start()
        try:
            crew.wait_ready(progress)
        except WorkerFailed as e:
            if crew.failed_reading:
                raise
            log.info("an export worker failed before it started reading (%s): written in one stream", e)
            return None
        if raw.execute("PRAGMA data_version").fetchone()[0] != before:
            log.info("the file changed while the export's workers started: written in one stream")
            return None
        total = crew.run(write, progress)
        if total != rows:
            raise WorkerFailed(f"{total:,} rows written where {rows:,} were counted: the file changed")
        return total
    finally:
        crew.stop()


def _scratch(folder: str) -> str:
    """A new file of this user's only (mkstemp: O_EXCL, mode 0600) for a worker's part."""
    fd, name = tempfile.mkstemp(prefix=".rowdesk-export-", suffix=".part", dir=folder)
    os.close(fd)
    return name


def _worker_env() -> dict:
    """The environment of a worker: the folder holding the storage package put on its path, unless it is one of
    the interpreter's site-packages (ahead of the standard library, another package there could stand in for a
    module of it): a checkout, an editable install."""
    import site

    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    if root not in (*site.getsitepackages(), site.getusersitepackages()):
        env["PYTHONPATH"] = root + os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else root
    return env


class _Crew:
    """The worker processes of one export, and their files."""

    def __init__(self, parts: list[Part]):
        self.parts = parts
        self.procs: list[subprocess.Popen] = []
        self.scratch: list[str] = []        # the files the workers after the first write, removed at stop()
        self.errors: list[str] = []
        self.failed_reading = False         # a worker failed after it had started reading
        self.sel = selectors.DefaultSelector()

    def start(self) -> None:
        """Start the workers, each given its part: `python -P` (3.11), so that a storage.py in the current
        folder cannot stand in for the package; in a session of their own, so that ^C in a shell reaches rowdesk
        (which stops them) and not them."""
        n = len(self.parts)
        self.rows, self.done, self.ready, self._pending = [0] * n, [False] * n, [False] * n, [b""] * n
        env = _worker_env()
        for i, part in enumerate(self.parts):
            p = subprocess.Popen([sys.executable, "-P", "-m", WORKER],
                                 stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE if part.out is None else subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, env=env, close_fds=True, start_new_session=True)
            self.procs.append(p)
            p.stdin.write(pickle.dumps(part))
            p.stdin.close()
            os.set_blocking(p.stderr.fileno(), False)
            self.sel.register(p.stderr, selectors.EVENT_READ, ("status", i))

    def _status(self, i: int) -> None:
        data = os.read(self.procs[i].stderr.fileno(), 65536)
        if not data:
            self.sel.unregister(self.procs[i].stderr)
            if not self.done[i]:
                self.procs[i].wait()
                self.errors.append(f"the export's worker stopped (exit status {self.procs[i].returncode})")
                self.failed_reading |= self.ready[i]
            return
        lines = (self._pending[i] + data).split(b"\n")
        self._pending[i] = lines.pop()
        for line in lines:
            word, _, rest = line.decode("utf-8", "replace").partition(" ")
            if word == "ready":
                self.ready[i] = True
            elif word in ("rows", "done"):
                self.rows[i] = int(rest)
                self.done[i] = self.done[i] or word == "done"
            elif word == "error":
                self.errors.append(rest)
                self.failed_reading |= self.ready[i]
            else:
                log.warning("export worker %d: %s", i, line.decode("utf-8", "replace"))

    def _check(self) -> None:
        if self.errors:
            raise WorkerFailed(self.errors[0])

    def _poll(self, progress, timeout: float = 0.1) -> list:
        events = self.sel.select(timeout)
        data = []
        for key, _ in events:
            what, i = key.data
            if what == "status":
                self._status(i)
            else:
                data.append(key)
        self._check()
        progress(sum(self.rows))
        return data

    def wait_ready(self, progress) -> None:
        while not all(self.ready):
            self._poll(progress)

    def run(self, write, progress) -> int:
        first = self.procs[0].stdout
        self.sel.register(first, selectors.EVENT_READ, ("data", 0))
        open_pipe = True
        while open_pipe or not all(self.done):
            for _key in self._poll(progress):
                chunk = os.read(first.fileno(), CHUNK)
                if chunk:
                    write(chunk)
                else:
                    self.sel.unregister(first)
                    open_pipe = False
        for p in self.procs:
            if p.wait() != 0:
                raise WorkerFailed(f"the export's worker stopped (exit status {p.returncode})")
        for part in self.parts[1:]:
            with open(part.out, "rb") as f:
                while chunk := f.read(CHUNK):
                    write(chunk)
                    progress(sum(self.rows))
            os.unlink(part.out)                     # its room back at once: the output holds it now
        return sum(self.rows)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            for stream in (p.stdout, p.stderr):
                if stream is not None:
                    stream.close()
        self.sel.close()
        for name in self.scratch:
            try:
                os.unlink(name)
            except FileNotFoundError:
                pass


# -- the worker process ---------------------------------------------------------------------------------------------
def _work(part: Part, status) -> int:
    import io

    from storage.backends.sqlite_files import BUSY_TIMEOUT_MS, connect_uri, file_change
    from storage.export import Writer
    from storage.filters import add_sqlite_functions

    path = Path(part.path)
    conn = sqlite3.connect(connect_uri(path, read_only=True, immutable=part.immutable), uri=True,
                           isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.text_factory = str
    add_sqlite_functions(conn)
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()        # the read transaction starts here
    if part.identity is not None and (change := file_change(path, part.identity)) is not None:
        raise OSError(change)                       # the file the parent opened is not this one any more
    status("ready")
    parent = os.getppid()
    sink = open(part.out, "wb") if part.out is not None else sys.stdout.buffer  # noqa: SIM115
    out = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=False)
    writer = Writer("csv", out, part.columns)
    cur = conn.execute(f"{part.sql} LIMIT ? OFFSET ?", [*part.params, part.limit, part.offset])
    while batch := cur.fetchmany(BATCH):
        if os.getppid() != parent:                  # rowdesk was killed: nobody will copy or remove the file
            if part.out is not None:
                os.unlink(part.out)
            raise SystemExit(1)
        writer.rows(batch)
        status(f"rows {writer.rows_written}")
    out.flush()
    if part.out is not None:
        out.close()
    conn.close()
    return writer.rows_written


def main() -> int:
    def status(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    try:
        part = pickle.load(sys.stdin.buffer)
        rows = _work(part, status)
    except BaseException as e:            # noqa: BLE001 - every failure is one line for the parent
        status(f"error {' '.join(str(e).split()) or type(e).__name__}")
        return 1
    status(f"done {rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
