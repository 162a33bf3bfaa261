"""Where rowdesk keeps its files, following the XDG base directory spec.

Each function reads the environment when called (not at import), so tests can
point XDG_* at a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "rowdesk"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var, "")
    # The spec says relative paths are invalid and must be ignored.
    base = Path(value) if value and os.path.isabs(value) else Path.home() / fallback
    return base / APP


def data_dir() -> Path:
    """The demo database lives here."""
    return _xdg("XDG_DATA_HOME", ".local/share")


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config")


def state_dir() -> Path:
    """Logs and crash reports."""
    return _xdg("XDG_STATE_HOME", ".local/state")


def config_file() -> Path:
    return config_dir() / "config.toml"


def keys_file() -> Path:
    """The operator's key bindings (console.keymap.load_user_keys)."""
    return config_dir() / "keys.toml"


def log_file() -> Path:
    return state_dir() / "rowdesk.log"


def demo_database() -> Path:
    return data_dir() / "demo.sqlite"
