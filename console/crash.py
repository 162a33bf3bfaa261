"""Crash evidence: fatal-error tracebacks, crash reports, and getting the terminal back.

Everything written here passes through ``storage.secrets.mask_secrets`` first,
because reports are meant to be attached to bug reports and a traceback easily
carries a connection URI with its password.

Nothing in this module raises: it runs while the program is already failing,
and a second exception would hide the first.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import platform
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, TypeAlias

from console import paths
from storage.secrets import mask_secrets

LOG_TAIL_LINES = 50
# Enough for 50 long log lines without reading a huge log file whole.
_LOG_TAIL_BYTES = 256 * 1024

# Leave the alternate screen, show the cursor, reset colours, stop every mouse
# tracking mode urwid may have turned on, stop the focus reports and bracketed
# paste it turns on where the terminal has them (the shell would read them as
# typed text), and put the keypad back in normal mode.
RESET_SEQUENCE = (
    "\x1b[?1049l"
    "\x1b[?25h"
    "\x1b[0m"
    "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l"
    "\x1b[?1004l\x1b[?2004l"
    "\x1b[?1l\x1b>"
).encode("ascii")

ExcInfo: TypeAlias = tuple[type[BaseException] | None, BaseException | None, TracebackType | None]

# faulthandler writes to the file descriptor at crash time, so the file object
# must outlive this call.
_fault_file: IO[str] | None = None
_saved_terminal: tuple[int, list] | None = None


# ------------------------------------------------------------------ faulthandler


def enable_faulthandler(path: Path | None = None) -> Path:
    """Send tracebacks of fatal errors (segfaults, aborts) to ``state_dir()/faulthandler.log``.

    The file is appended to, with one header line per run, so earlier crashes stay.
    Raises OSError if the file cannot be opened (faulthandler is then left as it was).
    """
    global _fault_file
    path = Path(path) if path is not None else paths.state_dir() / "faulthandler.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    new = open(path, "a", encoding="utf-8")  # stays open for the life of the process
    new.write(f"--- rowdesk pid {os.getpid()} started {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n")
    new.flush()
    faulthandler.enable(new, all_threads=True)
    previous, _fault_file = _fault_file, new
    if previous is not None:
        previous.close()
    return path


# ----------------------------------------------------------------- crash report


def _exception(exc: BaseException | ExcInfo) -> BaseException | None:
    return exc[1] if isinstance(exc, tuple) else exc


def _traceback_text(exc: BaseException | ExcInfo) -> str:
    value = _exception(exc)
    if value is None:
        return "(no exception)\n"
    return "".join(traceback.format_exception(type(value), value, value.__traceback__))


def _log_tail(log_path: Path | None, count: int = LOG_TAIL_LINES) -> str:
    if log_path is None:
        return "(no log file)\n"
    try:
        with open(log_path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - _LOG_TAIL_BYTES))
            data = log.read()
    except OSError as error:
        return f"(log file {log_path} unreadable: {error})\n"
    lines = data.decode("utf-8", errors="replace").splitlines()
    return "".join(line + "\n" for line in lines[-count:]) or "(log file is empty)\n"


def _section(title: str, body: str) -> str:
    return f"\n== {title} ==\n{body if body.endswith(chr(10)) else body + chr(10)}"


def _guard(build: Callable[[], str]) -> str:
    try:
        return build()
    except Exception as error:  # a broken section must not cost the rest of the report
        return f"(could not be produced: {error!r})\n"


def build_report(exc: BaseException | ExcInfo, *, screen_stack: list[str], log_path: Path | None, version: str,
                 extra: Mapping[str, object] | None = None, argv: list[str] | None = None) -> str:
    """The text of a crash report, secrets already masked.

    *screen_stack* lists the open screens' titles in the order the caller keeps them.
    """
    argv = sys.argv if argv is None else argv
    head = _guard(lambda: (
        f"rowdesk {version}\n"
        f"Python {sys.version.split()[0]} ({platform.python_implementation()})\n"
        f"Platform {platform.platform()}\n"
        f"Time {time.strftime('%Y-%m-%d %H:%M:%S %z')}\n"
        f"PID {os.getpid()}\n"
        f"argv {' '.join(map(str, argv))}\n"
    ))
    text = "rowdesk crash report\n" + head
    text += _section("Screen stack", _guard(lambda: "".join(f"{s}\n" for s in screen_stack) or "-"))
    if extra:
        text += _section("Extra", _guard(lambda: "".join(f"{k}: {v}\n" for k, v in extra.items())))
    text += _section("Traceback", _guard(lambda: _traceback_text(exc)))
    log_title = f"Last {LOG_TAIL_LINES} lines of {log_path}" if log_path is not None else "Log"
    text += _section(log_title, _guard(lambda: _log_tail(log_path)))
    return mask_secrets(text)


def _report_name() -> str:
    return f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"


def _write_new(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 100):
        path = directory / (f"{name}.txt" if attempt == 1 else f"{name}-{attempt}.txt")
        try:
            # O_EXCL: never overwrite an earlier report; 0600: it may hold data rows.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as out:
            out.write(text)
        return path
    raise FileExistsError(f"too many crash reports named {name} in {directory}")


def _state_dir() -> Path:
    return paths.state_dir()


def write_report(exc_info_or_exception: BaseException | ExcInfo, *, screen_stack: list[str],
                 log_path: Path | None, version: str, extra: Mapping[str, object] | None = None) -> Path:
    """Write ``state_dir()/crash-YYYYmmdd-HHMMSS-<pid>.txt`` and return its path.

    Never raises: if the state directory is unusable the report goes to the
    temporary directory; if that fails too it is printed on stderr and the
    returned path is ``Path("<stderr>")``.
    """
    try:
        text = build_report(exc_info_or_exception, screen_stack=screen_stack, log_path=log_path,
                            version=version, extra=extra)
    except Exception as error:  # build_report guards each part; this is the last line of defence
        text = mask_secrets(f"rowdesk crash report (incomplete: {error!r})\n")
    name = _report_name()
    for directory in (_state_dir, lambda: Path(tempfile.gettempdir())):
        try:
            return _write_new(directory(), name, text)
        except Exception:  # try the next place
            continue
    with contextlib.suppress(Exception):
        sys.stderr.write(text)
    return Path("<stderr>")


# ----------------------------------------------------------------------- terminal


def save_terminal_state(fd: int | None = None) -> bool:
    """Remember the terminal modes of *fd* (stdin by default) for :func:`restore_terminal`.

    Returns False when *fd* is not a terminal (nothing to restore then).
    """
    global _saved_terminal
    try:
        import termios

        fd = sys.stdin.fileno() if fd is None else fd
        if not os.isatty(fd):
            return False
        _saved_terminal = (fd, termios.tcgetattr(fd))
        return True
    except Exception:
        return False


def _open_output() -> tuple[int, bool] | None:
    """(fd, whether we opened it) for the controlling terminal, else stdout if it is a tty."""
    try:
        return os.open("/dev/tty", os.O_WRONLY | os.O_NOCTTY), True
    except OSError:
        pass
    try:
        fd = sys.stdout.fileno()
        return (fd, False) if os.isatty(fd) else None
    except (AttributeError, OSError, ValueError):
        return None


def restore_terminal(out_fd: int | None = None) -> None:
    """Best effort to hand a usable terminal back after a crash urwid did not clean up.

    Writes the reset sequences to *out_fd* (default: /dev/tty, else stdout if it is
    a tty) and restores the modes saved by :func:`save_terminal_state`. Never raises.
    """
    target = (out_fd, False) if out_fd is not None else _open_output()
    if target is not None:
        fd, opened = target
        try:
            os.write(fd, RESET_SEQUENCE)
        except OSError:
            pass
        finally:
            if opened:
                with contextlib.suppress(OSError):
                    os.close(fd)
    if _saved_terminal is not None:
        with contextlib.suppress(Exception):
            import termios

            saved_fd, attrs = _saved_terminal
            # TCSAFLUSH drops keystrokes typed into the dead UI so they do not reach the shell.
            termios.tcsetattr(saved_fd, termios.TCSAFLUSH, attrs)


# ------------------------------------------------------------------------ threads


def install_thread_excepthook(callback: Callable[[BaseException], object]) -> Callable:
    """Report exceptions escaping any thread through *callback*; returns the previous hook.

    SystemExit in a thread is ignored, as Python does by default. If *callback*
    itself fails, the previous hook reports the original exception.
    """
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        try:
            callback(args.exc_value)
        except Exception:
            previous(args)

    threading.excepthook = hook
    return previous
