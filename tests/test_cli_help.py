"""`rowdesk --help`: every way to start rowdesk is in its usage lines and said the same way as in the README."""

from __future__ import annotations

import subprocess

from console import paths, preferences
from tests.test_e2e import rowdesk_command

USAGE = """\
usage: rowdesk [TARGET | @NAME] [--read-only] [--dump-core] [--theme dark|light|mono]
       rowdesk demo [--rows N] PATH
       rowdesk export TARGET TABLE [--where 'COLUMN FILTER']... [--sort COLUMN [--desc]] [--format F] OUT
       rowdesk --version | --help
"""


def help_text(*args: str) -> str:
    done = subprocess.run([*rowdesk_command(), *args], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_usage_lines_name_every_form():
    text = help_text("--help")
    assert text.startswith(USAGE)


def test_help_explains_target_at_name_and_demo():
    text = " ".join(help_text("--help").split())
    assert "TARGET a SQLite file, or a URI: sqlite:///abs/path.db, sqlite:relative/path.db" in text
    assert "Without TARGET, rowdesk opens its demo database (created on first run)" in text
    config = preferences.display_path(paths.config_file())     # the child has the same environment
    assert f"@NAME a connection saved in the config file, [connections.NAME] in {config}" in text
    assert "demo rowdesk demo [--rows N] PATH creates a demo database of any size" in text
    for option in ("--read-only", "--dump-core", "--theme dark|light|mono", "--crash-test", "--version"):
        assert option in text


def test_extra_arguments_are_still_refused():
    done = subprocess.run([*rowdesk_command(), "a.db", "b.db"], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and "unrecognized arguments: b.db" in done.stderr


def test_demo_help_has_the_same_usage_line():
    assert help_text("demo", "--help").startswith("usage: rowdesk demo [--rows N] PATH\n")
