"""The screen registry: the only place that knows every screen.

A screen registers itself with the `@screen` class decorator (not a
metaclass, so screens keep any metaclass they need). Third-party packages add
screens through the `rowdesk.screens` entry point group: each entry point
names a module, and importing it registers its screens.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

SCREENS: dict[str, type] = {}
ENTRY_POINT_GROUP = "rowdesk.screens"


def screen(cls: type) -> type:
    """Register a screen, and the commands it declares (`commands`: console.commands.Command entries); its own
    keys (`keys`: console.keymap.Binding entries) join each app's keymap."""
    name = cls.name
    if name in SCREENS and SCREENS[name] is not cls:
        raise ValueError(f"two screens are called {name!r}: {SCREENS[name]!r} and {cls!r}")
    from console import commands
    commands.register(getattr(cls, "commands", ()))
    SCREENS[name] = cls
    return cls


def load_builtin() -> None:
    # Importing the modules runs their decorators.
    from console.screens import (  # noqa: F401
        browse,
        conflict,
        form,
        journal,
        record,
        references,
        settings,
        tables,
        value,
    )


def load_plugins() -> list[str]:
    """Import third-party screen modules; return one problem line per plugin that failed."""
    from importlib.metadata import entry_points  # ~70 ms to import: only after the first screen is up

    problems = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as e:  # noqa: BLE001 - a broken plugin must not stop rowdesk
            log.exception("screen plugin %s failed", ep.name)
            problems.append(f"screen plugin {ep.name!r} failed to load: {e}")
    return problems


def palette_screens() -> list[type]:
    """Screens that can be opened from the command palette without arguments."""
    return [cls for cls in SCREENS.values() if getattr(cls, "palette", False)]
