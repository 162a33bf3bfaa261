"""Starting and ending a session: logging, the reactor, the app, and what is
left behind when something goes wrong."""

from __future__ import annotations

import logging

from console import logs, paths
from console.app import App, print_error
from storage.database import Database
from storage.targets import Target

log = logging.getLogger(__name__)


def run_app(target: Target, *, theme: str, dump_core: bool = False) -> int:
    log_path = logs.setup(paths.log_file())
    log.info("opening %s (read-only: %s)", target.display, target.read_only)
    from twisted.internet import reactor

    db = Database(target, reactor)
    app = App(db, reactor, theme=theme)
    try:
        app.run()
    except Exception as exc:   # noqa: BLE001 - the terminal is restored by now; leave evidence
        log.exception("crash")
        print_error(f"crashed: {exc.__class__.__name__}: {exc} (details in {log_path})")
        return 70
    finally:
        db.close()
    return 0


