"""Starting and ending a session: logging, crash evidence, the reactor and the
app, and what is left behind when something goes wrong: the terminal restored
first, then a crash report (passwords masked) whose path is printed. A terminal
that hangs up ends the session as a quit does: it is no crash."""

from __future__ import annotations

import errno
import logging
import os
import signal
import threading
from collections.abc import Callable

import urwid

from console import crash, guardian, logs, paths
from console.app import App, print_error
from console.version import VERSION
from storage.database import Database
from storage.journal import JournalError
from storage.journal import open_journal as open_journal_file
from storage.targets import Target

log = logging.getLogger(__name__)
EXIT_CRASH = 70


BRACKETED_PASTE_ON, BRACKETED_PASTE_OFF = "\x1b[?2004h", "\x1b[?2004l"


class TerminalScreen(urwid.display.raw.Screen):
    """The terminal, where a hang-up ends the session instead of raising: the end of input, or EIO on
    reading or writing (a terminal whose other side has closed; a draw may notice it first)."""

    def __init__(self, on_hang_up: Callable[[], None]):
        super().__init__()
        self._on_hang_up = on_hang_up

    def _start(self, *args, **kwargs):
        super()._start(*args, **kwargs)
        if os.isatty(self._input_fileno() or 0):
            # ^S and ^Q are the form's keys (^S saves), not XON/XOFF flow control, which would freeze the
            # output until ^Q. The terminal's own settings come back at stop (urwid saved them at start).
            # ^C and ^Z are keys too: ^C asks before a form's changes are lost (a SIGINT would end rowdesk at once),
            # ^Z suspends through the keymap. And a paste is marked as one (bracketed paste), so that its text is
            # text: a tab or a ^S in it must not move or save.
            self.tty_signal_keys(intr="undefined", start="undefined", stop="undefined", susp="undefined")
            self.write(BRACKETED_PASTE_ON)

    def _stop(self):
        self.write(BRACKETED_PASTE_OFF)
        super()._stop()

    def get_available_raw_input(self) -> list[int]:
        try:
            return super().get_available_raw_input()
        except urwid.InputClosedError:
            pass
        except OSError as error:
            self._hung_up_or_raise(error)
        self._on_hang_up()
        return []

    def write(self, data: str) -> None:
        try:
            super().write(data)
        except OSError as error:
            self._hung_up_or_raise(error)
            self._on_hang_up()

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as error:
            self._hung_up_or_raise(error)
            self._on_hang_up()

    @staticmethod
    def _hung_up_or_raise(error: OSError) -> None:
        if error.errno != errno.EIO:
            raise error


def run_app(target: Target, *, theme: str, prefs=None, crash_test: str | None = None, mouse: bool = True,
            models: str | None = None) -> int:
    log_path = logs.setup(paths.log_file())
    log.info("rowdesk %s opening %s (read-only: %s)", VERSION, target.display, target.read_only)
    crash.save_terminal_state()
    fault_log = "the faulthandler log"
    try:
        fault_log = str(crash.enable_faulthandler())
    except OSError as e:
        log.warning("no faulthandler file: %s", e)
    watcher = guardian.start(f"\r\nrowdesk: died of a fatal error; the terminal was restored. "
                             f"Traceback in {fault_log}; a core file, if core dumps are on (see Settings).\n")
    from twisted.internet import reactor

    db = app = None

    def hung_up() -> None:          # in the reactor: the app exists, and quitting it stops the reactor
        if not app.finished:
            log.info("the terminal hung up: ending the session")
            app.quit()

    def hang_up(*_) -> None:
        """From the screen, maybe before the reactor runs, or from a signal handler, which may only
        hand work to the reactor."""
        reactor.callFromThread(hung_up)

    # SIGHUP would kill the process before it could close anything: it ends the session as a quit does.
    signal.signal(signal.SIGHUP, hang_up)
    try:
        try:
            db = Database(target, reactor, **open_journal())
            app = App(db, reactor, display=TerminalScreen(hang_up), theme=theme, prefs=prefs, mouse=mouse,
                      models=models)
            crash.install_thread_excepthook(lambda exc: reactor.callFromThread(app.crash, exc))
            if crash_test:
                reactor.callLater(0.3, _crash_test, app, crash_test)
            app.run()
            if app.exit_problem is not None:        # e.g. a models module that cannot be used: one line
                print_error(app.exit_problem)
                return 1
        except BaseException as exc:   # noqa: BLE001 - whatever it was: the terminal back, and a report
            crash.restore_terminal()
            log.error("crash", exc_info=exc)
            stack = [s.name for s in app.stack] if app is not None else []
            report = crash.write_report(exc, screen_stack=stack, log_path=log_path, version=VERSION)
            print_error(f"crashed: {type(exc).__name__}: {exc}")
            print_error(f"crash report: {report}")
            return EXIT_CRASH
        finally:
            if db is not None:
                db.close()          # its pool threads would keep the process alive
    finally:
        if watcher is not None:
            watcher.dismiss()
    return 0


def open_journal() -> dict:
    """The local journal of changes, or why there is none (then nothing can be changed: every change must be
    journaled, for undo and for what a crash leaves)."""
    path = paths.data_dir() / "journal.sqlite"
    try:
        return {"journal": open_journal_file(path)}
    except (JournalError, OSError) as e:
        log.warning("no journal at %s: %s", path, e)
        return {"journal_problem": f"the journal {path} cannot be opened ({e}): changes are refused"}


def _crash_test(app: App, kind: str) -> None:
    """Fail on purpose the way real bugs fail, to check the evidence they leave."""
    def fail(*_):
        raise RuntimeError(f"crash test ({kind}) while connected to {app.db.display}")

    log.warning("crash test: %s", kind)
    if kind == "key":
        app.top.typed = fail                     # the next key that no binding claims
        app.loop.process_input(["%"])
    elif kind == "callback":
        app.db.tables().addCallback(app.deliver(fail))
    elif kind == "thread":
        threading.Thread(target=fail, name="crash-test").start()
    elif kind == "segfault":
        import ctypes

        # A real invalid read: faulthandler._sigsegv() would set RLIMIT_CORE to 0 first, so no core.
        ctypes.string_at(0)
