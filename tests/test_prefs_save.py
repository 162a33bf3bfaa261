"""Saving preferences as a normal user: a failure is said in plain words, naming the folder or file at fault.

Root writes anywhere, so each case runs in a child that drops to an unprivileged user first.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.test_coredump_user import ROOT, USER, become_code, child_env, owned_by, shared_directory, unprivileged_user


@pytest.fixture
def shared_tmp():
    with shared_directory() as path:
        yield path

SAVE = """
import json
from pathlib import Path
from console import preferences
"""
SAVE_AND_TELL = """
try:
    preferences.save_dump_core(True, Path({path!r}))
    print(json.dumps(dict(saved=True)))
except preferences.PreferencesError as error:
    print(json.dumps(dict(saved=False, message=str(error))))
"""


def save_as_user(user, cwd, path) -> dict:
    code = SAVE + become_code(user, cwd) + textwrap.dedent(SAVE_AND_TELL).format(path=str(path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), cwd=ROOT,
                          timeout=30)
    assert done.returncode == 0, done.stderr      # an OSError escaping would be a traceback here
    return json.loads(done.stdout)


def test_unwritable_config_folder_is_named_in_plain_words(shared_tmp):
    user = unprivileged_user()
    home = owned_by(user, shared_tmp / "home")
    folder = shared_tmp / "etc-rowdesk"
    folder.mkdir(mode=0o755)                  # root's folder: the user may read it, not create files in it
    said = save_as_user(user, home, folder / "config.toml")
    assert said == {"saved": False, "message": f"the folder {folder} is not writable by you ({USER})"}
    assert list(folder.iterdir()) == []       # and no temporary file left behind


def test_existing_file_in_unwritable_folder_is_left_alone(shared_tmp):
    user = unprivileged_user()
    home = owned_by(user, shared_tmp / "home")
    folder = shared_tmp / "etc-rowdesk"
    folder.mkdir(mode=0o755)
    config = folder / "config.toml"
    config.write_text("[ui]\ntheme = 'light'\n")
    config.chmod(0o644)
    said = save_as_user(user, home, config)
    assert said["message"] == f"the folder {folder} is not writable by you ({USER})"
    assert config.read_text() == "[ui]\ntheme = 'light'\n"


def test_folder_that_cannot_be_created(shared_tmp):
    user = unprivileged_user()
    home = owned_by(user, shared_tmp / "home")
    parent = shared_tmp / "config"
    parent.mkdir(mode=0o755)
    said = save_as_user(user, home, parent / "rowdesk" / "config.toml")
    assert said["message"] == (f"the folder {parent / 'rowdesk'} does not exist and cannot be created: "
                               f"{parent} is not writable by you ({USER})")


def test_unreadable_config_file(shared_tmp):
    user = unprivileged_user()
    folder = owned_by(user, shared_tmp / "home" / "config")
    config = folder / "config.toml"
    config.write_text("[core]\ndump = false\n")
    config.chmod(0o600)                       # root's file in the user's folder
    said = save_as_user(user, folder, config)
    assert said["message"] == f"{config} is not readable by you ({USER}), so it cannot be edited"
    assert config.read_text() == "[core]\ndump = false\n"


def test_saving_in_a_writable_folder_still_works(shared_tmp):
    user = unprivileged_user()
    folder = owned_by(user, shared_tmp / "home" / "config")
    assert save_as_user(user, folder, folder / "config.toml") == {"saved": True}
    assert (folder / "config.toml").read_text() == "[core]\ndump = true\n"
