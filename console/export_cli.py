"""`rowdesk export TARGET TABLE [--where 'COLUMN FILTER']... [--sort COLUMN [--desc]] [--format F] OUT`: the rows
of a table or view to a file, for scripts: streamed (memory does not grow with the table), a progress line on
stderr, ^C stops it and removes the partial file. The filters are the browse screen's (`/`), one column each."""

from __future__ import annotations

import argparse
import sys
import time

EXPORT_USAGE = ("rowdesk export TARGET TABLE [--where 'COLUMN FILTER']... [--sort COLUMN [--desc]] "
                "[--format csv|jsonl|json] [--force] OUT")


def parser() -> argparse.ArgumentParser:
    from storage.export import FORMATS

    p = argparse.ArgumentParser(prog="rowdesk export", usage=EXPORT_USAGE, description=(
        "Write the rows of a table or view to OUT (- for standard output), read through once. Values as rowdesk "
        "shows them in full: numbers with every digit, bytes in hex; in CSV a NULL is an empty field."))
    p.add_argument("target", metavar="TARGET", help="a SQLite file, a server URI or @NAME, as for rowdesk")
    p.add_argument("table", metavar="TABLE", help="the table or view (schema.table on PostgreSQL)")
    p.add_argument("out", metavar="OUT", help="the file to write (its extension gives the format), - for stdout")
    p.add_argument("--where", action="append", default=[], metavar="'COLUMN FILTER'",
                   help="keep the rows whose COLUMN matches FILTER, in the filter language of the browse screen "
                        "(e.g. --where 'status =shipped' --where 'total >100'); several are all required")
    p.add_argument("--sort", metavar="COLUMN", help="in the order of COLUMN (default: the table's key order)")
    p.add_argument("--desc", action="store_true", help="with --sort: descending")
    p.add_argument("--format", choices=FORMATS, help="csv, jsonl or json (default: from OUT's extension)")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists (never replaced otherwise)")
    p.add_argument("--read-only", action="store_true", help=argparse.SUPPRESS)
    return p


def run_export(argv: list[str]) -> int:
    from console.cli import EXIT_INTERRUPTED, EXIT_TARGET, EXIT_USAGE
    from storage.export import format_of

    args = parser().parse_args(argv)
    if args.desc and not args.sort:
        print("rowdesk export: --desc goes with --sort COLUMN", file=sys.stderr)
        return EXIT_USAGE
    import os
    if args.out != "-" and os.path.isdir(args.out):
        print(f"rowdesk export: {args.out} is a folder: name a file in it", file=sys.stderr)
        return EXIT_USAGE
    fmt = args.format or (format_of(args.out) if args.out != "-" else "csv")
    if fmt is None:
        print(f"rowdesk export: {args.out}: give --format csv, jsonl or json (the extension does not say)",
              file=sys.stderr)
        return EXIT_USAGE
    from console.preferences import PreferencesError
    from storage.targets import TargetError
    try:
        target = _target(args.target)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (TargetError, PreferencesError, OSError, ValueError) as e:
        print(f"rowdesk export: {e}", file=sys.stderr)
        return EXIT_TARGET
    from twisted.internet import reactor

    from storage.database import Database

    db = Database(target, reactor)
    outcome: dict = {}
    started = time.monotonic()

    def progress(rows: int) -> None:
        outcome["progressed"] = True
        took = max(time.monotonic() - started, 1e-6)
        total = outcome.get("total")
        left = f" · {max(0.0, (total - rows) / (rows / took)):.0f} s left" if total and rows else ""
        of = f" of ~{total:,}" if total else ""
        print(f"\rrowdesk export: {rows:,}{of} rows · {rows / took:,.0f} rows/s{left}   ", end="", file=sys.stderr,
              flush=True)

    def go():
        from twisted.internet import defer
        return defer.ensureDeferred(_export(db, args, fmt, progress, outcome))

    def done(result):
        outcome["rows"] = result
        reactor.stop()

    def failed(failure):
        outcome["error"] = failure
        reactor.stop()

    def interrupted(*_):
        outcome["interrupted"] = True
        d = outcome.get("running")
        if d is not None:
            d.cancel()

    import signal
    signal.signal(signal.SIGINT, lambda *_: reactor.callFromThread(interrupted))

    def start():
        d = outcome["running"] = go()
        d.addCallbacks(done, failed)
    reactor.callWhenRunning(start)
    reactor.run(installSignalHandlers=False)
    db.close()
    took = time.monotonic() - started
    if "rows" in outcome:
        rows = outcome["rows"]
        where = "standard output" if args.out == "-" else args.out
        print(f"\rrowdesk export: {rows:,} row{'s' if rows != 1 else ''} to {where} in {took:.1f} s "
              f"({rows / max(took, 1e-6):,.0f} rows/s)"
              + " " * 20, file=sys.stderr)
        return 0
    if outcome.get("progressed"):
        print(file=sys.stderr)                        # after the progress line
    if outcome.get("interrupted"):
        print("rowdesk export: interrupted: nothing written (the partial file was removed)", file=sys.stderr)
        return EXIT_INTERRUPTED
    failure = outcome["error"]
    error = failure.value
    if isinstance(error, KeyError):
        text = error.args[0] if error.args else str(error)          # str() of a KeyError quotes its message
    elif isinstance(error, (FileExistsError, LookupError, ValueError)):
        text = str(error)
    elif isinstance(error, OSError):
        text = f"{args.out}: {error.strerror or error}"              # the name typed, not the .part beside it
    else:
        text = db.describe_error(error)
    if isinstance(error, FileExistsError):
        text += " (--force replaces it)"
    print(f"rowdesk export: {text}", file=sys.stderr)
    return EXIT_TARGET


def _target(text: str):
    from console import preferences
    from console.cli import saved_connection
    from storage.targets import parse_target

    read_only = True                  # an export only reads: the engine refuses writes too
    if text.startswith("@"):
        loaded = preferences.load()
        text, _ = saved_connection(text[1:], loaded.prefs, read_only, [])
    target = parse_target(text, read_only=read_only)
    if target.is_server:
        from console.connect import reach
        target = reach(target)
    return target


async def _export(db, args, fmt: str, progress, outcome: dict) -> int:
    from storage import filters
    from storage.paging import Order, View

    await db.tables()
    table = await db.describe(args.table)
    conditions = []
    for text in args.where:
        name, _, expression = text.strip().partition(" ")
        if name not in table.column_names:
            raise ValueError(f"--where {text!r}: {table.display} has no column {name!r} "
                             f"(columns: {', '.join(table.column_names)})")
        if not expression.strip():
            raise ValueError(f"--where {text!r}: give a filter after the column, e.g. --where '{name} =value'")
        try:
            conditions.append(filters.parse_filter(expression, table.column(name), db.dialect))
        except filters.FilterError as e:
            raise ValueError(f"--where {text!r}: {e}") from None
    if args.sort is not None and args.sort not in table.column_names:
        raise ValueError(f"--sort: {table.display} has no column {args.sort!r}")
    view = View(table, Order(args.sort, descending=args.desc) if args.sort else Order(), tuple(conditions))
    if not conditions:
        count = await db.estimate_rows(table.display)
        outcome["total"] = count.rows
    d = db.export(view, fmt, args.out, overwrite=args.force, progress=progress)
    outcome["running"] = d
    return await d
