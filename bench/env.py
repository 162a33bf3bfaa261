"""What the bench scripts run with, found or installed on first use, so that a fresh clone runs as it is.

- tuibench, the shared instrument (called, not copied): $TUIBENCH_DIR, else `<repo>/../shared/tools/tuibench`,
  else the same folder beside the checkout this clone came from (its origin remote, when that is a local path).
- tuibench's Python (pyte, psutil, Pillow): $TUIBENCH_PYTHON, else the venv bench/.venv-tuibench, created on
  first use. The bench script re-runs itself with it.
- the app: `<repo>/.venv/bin/rowdesk`; when it is missing, `<repo>/.venv` is created and the checkout installed
  into it (`pip install -e`), so that what is measured is this checkout's code, not a `rowdesk` on PATH.

Only the standard library here: this runs before the instrument's packages can be imported.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
APP_VENV = REPO / ".venv"
INSTRUMENT_VENV = HERE / ".venv-tuibench"
INSTRUMENT_PACKAGES = ("pyte", "psutil", "Pillow")
INSTALLED = INSTRUMENT_VENV / "installed"      # written last: the venv is complete when it lists the packages
SETUP_LOCK = HERE / ".setup.lock"               # two first runs at once install once
TUIBENCH_IN_PARENT = Path("shared") / "tools" / "tuibench"
REEXEC = "ROWDESK_BENCH_REEXEC"


def prepare() -> Path:
    """Find tuibench, install what is missing, run this script under tuibench's Python; tuibench's folder.

    Called by bench/browse.py at import, before it imports pyte, psutil and tuibench."""
    tuibench = tuibench_dir()
    with _setup_lock():
        _ensure_app()
        python = os.environ.get("TUIBENCH_PYTHON") or str(_ensure_instrument_venv())
    if os.environ.get(REEXEC) != "1":
        os.environ[REEXEC] = "1"
        # The script that was run (views.py and record.py import browse.py, which calls this), not this file.
        os.execv(python, [python, str(Path(sys.argv[0]).resolve()), *sys.argv[1:]])
    try:
        import psutil  # noqa: F401
        import pyte  # noqa: F401
    except ImportError as e:
        sys.exit(f"bench: {sys.executable} has no {e.name}: set TUIBENCH_PYTHON to a Python with "
                 f"{', '.join(INSTRUMENT_PACKAGES)}, or unset it to use {INSTRUMENT_VENV} (made on first use)")
    return tuibench


def rowdesk_exe() -> str:
    return str(APP_VENV / "bin" / "rowdesk")


def project_python() -> str:
    """The app's interpreter (the in-process probe and the view scan run in it)."""
    return str(APP_VENV / "bin" / "python")


# ----------------------------------------------------------------------------------------------
# tuibench
# ----------------------------------------------------------------------------------------------

def tuibench_dir() -> Path:
    """The folder holding tuibench.py, or exit with one line saying where it was looked for."""
    given = os.environ.get("TUIBENCH_DIR")
    if given:
        if (Path(given) / "tuibench.py").is_file():
            return Path(given)
        sys.exit(f"bench: TUIBENCH_DIR={given} has no tuibench.py: set TUIBENCH_DIR to the folder that holds it")
    looked = [REPO.parent / TUIBENCH_IN_PARENT]
    origin = _origin_checkout()
    if origin is not None:
        looked.append(origin.parent / TUIBENCH_IN_PARENT)
    for folder in looked:
        if (folder / "tuibench.py").is_file():
            return folder
    sys.exit(f"bench: tuibench not found in {' nor '.join(map(str, looked))}: "
             "set TUIBENCH_DIR to the folder that holds tuibench.py")


def _origin_checkout() -> Path | None:
    """The checkout (or bare repository) this clone was made from, when its origin is a path on this machine."""
    try:
        url = subprocess.run(["git", "-C", str(REPO), "config", "--get", "remote.origin.url"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:                             # no git
        return None
    if url.startswith("file://"):
        url = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    elif not url or "://" in url or ":" in url.split("/")[0]:
        return None                             # none, or another machine (ssh://, https://, host:path)
    path = (REPO / url).resolve()               # git stores absolute paths; a relative one is from the clone
    return path.parent if path.name == ".git" else path


# ----------------------------------------------------------------------------------------------
# Installing
# ----------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _setup_lock():
    with open(SETUP_LOCK, "a") as f:            # closing it releases the lock
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _ensure_app() -> None:
    if Path(rowdesk_exe()).exists():
        return
    print(f"bench: {rowdesk_exe()} is missing: creating {APP_VENV} and installing this checkout into it "
          "(pip install -e, about 30 s)…", file=sys.stderr, flush=True)
    _run([sys.executable, "-m", "venv", str(APP_VENV)], f"python3 -m venv {APP_VENV}")
    _run([project_python(), "-m", "pip", "install", "-qq", "-e", str(REPO)], f"pip install -e {REPO}")


def _ensure_instrument_venv() -> Path:
    python = INSTRUMENT_VENV / "bin" / "python"
    wanted = " ".join(INSTRUMENT_PACKAGES)
    if INSTALLED.exists() and INSTALLED.read_text().strip() == wanted and python.exists():
        return python
    print(f"bench: creating {INSTRUMENT_VENV} for tuibench ({wanted}), once…", file=sys.stderr, flush=True)
    _run([sys.executable, "-m", "venv", str(INSTRUMENT_VENV)], f"python3 -m venv {INSTRUMENT_VENV}")
    _run([str(python), "-m", "pip", "install", "-qq", *INSTRUMENT_PACKAGES], f"pip install {wanted}")
    INSTALLED.write_text(wanted + "\n")
    return python


def _run(cmd: list[str], what: str) -> None:
    if subprocess.run(cmd).returncode != 0:
        sys.exit(f"bench: {what} failed (its output is above)")
