"""Reaching a database server before the interface starts: one line on stderr for what cannot work
(no driver, nothing listening, a wrong database), and a masked prompt when the server asks for a password
that was not given (again after a wrong one, three times at most).

Runs in the main thread before the reactor: nothing else is running that it could block.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import sys

from console.hide_argv import hide
from storage.backends import MissingDriver, check_driver, open_backend
from storage.targets import Target, TargetError

PROMPTS = 3


def reach(target: Target, *, ask=getpass.getpass) -> Target:
    """*target* with the password that the server took; TargetError with one line when it cannot be reached."""
    if not target.is_server:
        return target
    try:
        check_driver(target.scheme)
    except MissingDriver as e:
        raise TargetError(str(e)) from None
    if target.password:
        hide(target.password)            # typed in the URI: out of `ps` and /proc/PID/cmdline
    asked = 0
    while True:
        problem, wants_password = _try(target)
        if problem is None:
            return target
        if wants_password and asked < PROMPTS and _can_ask():
            refused = asked > 0 or bool(target.password)
            if refused:                  # a password was given and refused: say so before asking again
                print(f"rowdesk: {problem}", file=sys.stderr, flush=True)
            asked += 1
            again = " (again)" if refused else ""
            who = f"{target.user or os.environ.get('USER', '')}@{target.host}"
            try:
                password = ask(f"rowdesk: password for {who}{again}: ")
            except (EOFError, KeyboardInterrupt):
                raise TargetError(problem) from None
            target = dataclasses.replace(target, password=password)
            continue
        raise TargetError(problem)


def _try(target: Target) -> tuple[str | None, bool]:
    """Connect once: (None, False), or (the one line, whether another password could help)."""
    backend = open_backend(target)
    try:
        raw = backend.checkout()
        backend.release(raw, broken=False)
        return None, False
    except Exception as e:  # noqa: BLE001 - any failure to connect is said in one line
        return f"{target.display}: {backend.describe_error(e)}", backend.wants_password(e)
    finally:
        backend.close()


def _can_ask() -> bool:
    return sys.stdin.isatty()
