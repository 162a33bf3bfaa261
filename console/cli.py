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
    from storage.targets import TargetError, parse_target

    try:
        theme = themes.choose(args.theme)
        target = parse_target(args.target if args.target else default_target(), read_only=args.read_only)
    except TargetError as e:
        print(f"rowdesk: {e}", file=sys.stderr)
        return EXIT_TARGET
    except (OSError, ValueError) as e:
        print(f"rowdesk: {e}", file=sys.stderr)
        return EXIT_TARGET
    from console.main import run_app

    return run_app(target, theme=theme, dump_core=args.dump_core)


if __name__ == "__main__":
    sys.exit(main())
