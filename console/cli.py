"""The command line: `rowdesk [TARGET] [options]` and `rowdesk demo [--rows N] PATH`.

Everything that can fail before the interface starts fails here, with one
line on stderr and a non-zero exit: never a traceback, never a garbled
terminal.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from console import paths, themes
from console.version import VERSION

EXIT_USAGE = 2
EXIT_TARGET = 1
CRASH_KINDS = ("key", "callback", "thread", "segfault")


def main_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rowdesk",
        description="Browse the tables of a database, of any size, from a terminal.",
        epilog="Without TARGET, rowdesk opens its demo database (created on first run). "
               "`rowdesk demo --rows N PATH` creates a demo database of any size.",
    )
    p.add_argument("target", nargs="?", metavar="TARGET",
                   help="a SQLite file, or a connection URI such as sqlite:///abs/path.db")
    p.add_argument("--read-only", action="store_true", help="open the database read-only (SQLite: mode=ro)")
    p.add_argument("--dump-core", action="store_true", help="turn core dumps on at start")
    p.add_argument("--theme", choices=sorted(themes.THEMES), help="colour theme (default: dark; NO_COLOR: mono)")
    p.add_argument("--version", action="version", version=f"rowdesk {VERSION}")
    # Checks that a crash leaves evidence on this machine (terminal restored, report, faulthandler, core).
    p.add_argument("--crash-test", choices=CRASH_KINDS, help="crash on purpose after start, to check what a "
                   "crash leaves behind: key handler, reactor callback, worker thread, or a segfault")
    return p


def demo_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rowdesk demo", description="Create a demo database (a small shop).")
    p.add_argument("path", metavar="PATH", help="the SQLite file to create (must not exist)")
    p.add_argument("--rows", type=int, default=3000, help="rows in the largest table, orders (default 3000)")
    return p


def run_demo(argv: list[str]) -> int:
    args = demo_parser().parse_args(argv)
    from storage.demo import create_demo

    if args.rows < 1:
        print("rowdesk demo: --rows must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    started = time.perf_counter()
    try:
        sizes = create_demo(Path(args.path), args.rows,
                            progress=lambda step: print(f"  {step}…", file=sys.stderr, flush=True))
    except (FileExistsError, OSError) as e:
        print(f"rowdesk demo: {e}", file=sys.stderr)
        return EXIT_TARGET
    took = time.perf_counter() - started
    print(f"created {args.path} in {took:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    return 0


def default_target() -> str:
    """The demo database, created on first run."""
    path = paths.demo_database()
    if not path.exists():
        from storage.demo import create_demo

        print(f"rowdesk: creating the demo database at {path}", file=sys.stderr)
        create_demo(path)
    return str(path)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["demo"]:
        return run_demo(argv[1:])
    args = main_parser().parse_args(argv)
    from console import preferences
    from storage.targets import TargetError, parse_target

    loaded = preferences.load()
    for problem in loaded.problems:
        print(f"rowdesk: config: {problem}", file=sys.stderr)
    try:
        theme = preferences.effective_theme(loaded.prefs, args.theme)
        read_only = args.read_only
        text = args.target
        if text and text.startswith("@"):
            text, read_only = saved_connection(text[1:], loaded.prefs, read_only)
        target = parse_target(text if text else default_target(), read_only=read_only)
    except (TargetError, preferences.PreferencesError, OSError, ValueError) as e:
        print(f"rowdesk: {e}", file=sys.stderr)
        return EXIT_TARGET
    if args.dump_core or loaded.prefs.dump_core:
        report_core_dumps(args.dump_core)
    from console.main import run_app

    return run_app(target, theme=theme, prefs=loaded, crash_test=args.crash_test)


def saved_connection(name: str, prefs, read_only: bool) -> tuple[str, bool]:
    """`rowdesk @name`: the URI of a saved connection, its password from the environment or a pgpass file."""
    from console import preferences

    problems: list[str] = []
    uri, _masked = preferences.connection_uri(name, prefs, problems=problems)
    for problem in problems:
        print(f"rowdesk: {problem}", file=sys.stderr)
    return uri, read_only or prefs.connections[name].read_only


def report_core_dumps(asked_on_command_line: bool) -> None:
    """Turn core dumps on before the interface starts; say on stderr when that fell short."""
    from console import coredump

    result = coredump.apply_at_start(True)
    if not result.ok:
        source = "--dump-core" if asked_on_command_line else "the config file's [core] dump = true"
        print(f"rowdesk: {source}: {result.summary()}", file=sys.stderr)
        for reason in result.reasons:
            print(f"rowdesk:   {reason}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
