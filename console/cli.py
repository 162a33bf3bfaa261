"""The command line: `rowdesk [TARGET] [options]`, `rowdesk demo [--rows N] PATH` and `rowdesk export …`.

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
EXIT_INTERRUPTED = 130
CRASH_KINDS = ("key", "callback", "thread", "segfault")


USAGE = """\
rowdesk [TARGET | @NAME] [--read-only] [--dump-core] [--theme dark|light|mono]
       rowdesk demo [--rows N] PATH
       rowdesk export TARGET TABLE [--where 'COLUMN FILTER']... [--sort COLUMN [--desc]] [--format F] OUT
       rowdesk --version | --help"""
DEMO_USAGE = "rowdesk demo [--rows N] PATH"


def main_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rowdesk",
        usage=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"""\
Browse the tables of a database, of any size, from a terminal.

  TARGET  a SQLite file, or a URI: sqlite:///abs/path.db, sqlite:relative/path.db
          (?mode=ro, ?immutable=1). Without TARGET, rowdesk opens its demo database
          (created on first run).
  @NAME   a connection saved in the config file, [connections.NAME] in
          {preferences_path()} (its read_only = true is honoured).
  demo    {DEMO_USAGE} creates a demo database of any size
          (1M rows: ~10 s); see rowdesk demo --help.
  export  writes a table's rows to CSV, JSON Lines or JSON, for scripts;
          see rowdesk export --help.""",
    )
    p.add_argument("target", nargs="?", metavar="TARGET", help=argparse.SUPPRESS)   # described above
    p.add_argument("--read-only", action="store_true", help="open the database read-only (SQLite: mode=ro)")
    p.add_argument("--dump-core", action="store_true", help="turn core dumps on at start; the Settings screen "
                   "(S) says whether a crash would really write one")
    p.add_argument("--theme", choices=sorted(themes.THEMES), metavar="dark|light|mono",
                   help="colour theme (default: dark; NO_COLOR: mono)")
    p.add_argument("--models", metavar="MODULE", help="the application's own SQLObject classes (a module, e.g. "
                   "shop.models, importable from the current folder): their columns, validators and joins")
    p.add_argument("--no-mouse", action="store_true", help="leave the mouse to the terminal (its own text "
                   "selection); by default a click focuses a row, sorts by a header, the wheel scrolls")
    p.add_argument("--version", action="version", version=f"rowdesk {VERSION}")
    # Checks that a crash leaves evidence on this machine (terminal restored, report, faulthandler, core).
    p.add_argument("--crash-test", choices=CRASH_KINDS, help="crash on purpose after start, to check what a "
                   "crash leaves behind: key handler, reactor callback, worker thread, or a segfault")
    return p


def preferences_path() -> str:
    from console import preferences

    return preferences.display_path(paths.config_file())


def demo_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rowdesk demo", usage=DEMO_USAGE,
                                description="Create a demo database (a small shop).")
    p.add_argument("path", metavar="PATH", help="the SQLite file to create (must not exist)")
    p.add_argument("--rows", type=int, default=3000, metavar="N",
                   help="rows in the largest table, orders (default 3000)")
    return p


def run_demo(argv: list[str]) -> int:
    args = demo_parser().parse_args(argv)
    from storage.demo import create_demo

    if args.rows < 1:
        print("rowdesk demo: --rows must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    folder = Path(args.path).expanduser().absolute().parent
    if not folder.is_dir():
        print(f"rowdesk demo: {folder}: no such folder (rowdesk creates the file, not its folder)", file=sys.stderr)
        return EXIT_TARGET
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
    if argv[:1] == ["export"]:
        from console.export_cli import run_export
        return run_export(argv[1:])
    args = main_parser().parse_args(argv)
    from console import preferences
    from storage.targets import TargetError, parse_target

    loaded = preferences.load()
    notes: list[str] = []
    try:
        theme = preferences.effective_theme(loaded.prefs, args.theme)
        read_only = args.read_only
        text = args.target
        models = args.models
        if text and text.startswith("@"):
            text, read_only = saved_connection(text[1:], loaded.prefs, read_only, notes)
            models = models or loaded.prefs.connections[args.target[1:]].models
        # Another process's lock on the file: said at once, waited for (bounded), then one line.
        target = parse_target(text if text else default_target(), read_only=read_only,
                              on_wait=lambda message: print(f"rowdesk: {message}", file=sys.stderr, flush=True))
        if target.is_server:
            from console.connect import reach

            target = reach(target)         # reached now, its password asked for if the server wants one
    except KeyboardInterrupt:
        print("rowdesk: interrupted", file=sys.stderr)    # ^C during that wait: no traceback
        return EXIT_INTERRUPTED
    except (TargetError, preferences.PreferencesError, OSError, ValueError) as e:
        # No interface will show them: this is the operator's only chance to read them.
        for problem in [*loaded.problems, *notes]:
            print(f"rowdesk: config: {problem}", file=sys.stderr)
        print(f"rowdesk: {e}", file=sys.stderr)
        return EXIT_TARGET
    if not (_is_terminal(0) and _is_terminal(1)):
        # The interface needs a terminal on both ends: without one it could only fail, and report a crash.
        print("rowdesk: needs a terminal: its standard input and output must be a terminal "
              "(run it in a terminal or over ssh -t)", file=sys.stderr)
        return EXIT_USAGE
    want_dumps = True if args.dump_core else loaded.prefs.dump_core
    if want_dumps is not None:
        notes += core_dumps_at_start(want_dumps, args.dump_core)
    from console.main import run_app

    # Problems go to the interface (message line, Settings), not to stderr behind it.
    return run_app(target, theme=theme, prefs=preferences.with_notes(loaded, notes), crash_test=args.crash_test,
                   mouse=not args.no_mouse, models=models)


def _is_terminal(fd: int) -> bool:
    """Whether *fd* is a terminal, even one that has just hung up (that is a hang-up, handled as a quit)."""
    import errno
    import termios

    try:
        termios.tcgetattr(fd)
    except termios.error as e:
        return e.args[0] != errno.ENOTTY      # EIO: a terminal whose other side has gone
    except OSError:
        return False
    return True


def saved_connection(name: str, prefs, read_only: bool, notes: list[str]) -> tuple[str, bool]:
    """`rowdesk @name`: the URI of a saved connection, its password from the environment or a pgpass file.

    What the operator should know (an unset password_env, an unsafe pgpass) is appended to *notes*.
    """
    from console import preferences

    uri, _masked = preferences.connection_uri(name, prefs, problems=notes)
    return uri, read_only or prefs.connections[name].read_only


def core_dumps_at_start(want_on: bool, asked_on_command_line: bool) -> list[str]:
    """Apply ``--dump-core`` or ``[core] dump`` before the interface starts; the note to show when a crash would
    not then write a whole core file (the same verdict as the Settings screen's)."""
    from console import coredump

    result = coredump.apply_at_start(want_on)
    if result.ok:
        return []
    source = "--dump-core" if asked_on_command_line else f"[core] dump = {str(want_on).lower()}"
    return [" ".join([f"core dumps at start ({source}): {result.summary()}", *result.reasons])]


if __name__ == "__main__":
    sys.exit(main())
