"""The log file: everything that must not be printed over the screen goes here,
with passwords masked (Twisted's own log and Python warnings included)."""

from __future__ import annotations

import logging
from pathlib import Path

from storage.secrets import mask_secrets


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


def setup(path: Path, *, level: int = logging.INFO) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    from twisted.logger import STDLibLogObserver, globalLogBeginner

    # Without this, Twisted would buffer its messages and could print them to the terminal.
    globalLogBeginner.beginLoggingTo([STDLibLogObserver()], redirectStandardIO=False, discardBuffer=True)
    return path


def tail(path: Path | None, lines: int = 50) -> list[str]:
    if path is None or not path.exists():
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.readlines()[-lines:]
