"""console.preferences: reading the TOML file, passwords, themes, and the one writer."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from console import paths, preferences
from console.preferences import Preferences, PreferencesError, SavedConnection


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    """The config file path under a temporary XDG_CONFIG_HOME (file not created)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    path = paths.config_file()
    assert path == tmp_path / "cfg/rowdesk/config.toml"
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


SHOWN = "~/cfg/rowdesk/config.toml"


# ------------------------------------------------------------------------- load


def test_missing_file_gives_defaults_and_no_problem(config):
    result = preferences.load()
    assert result.prefs == Preferences()
    assert result.problems == []
    assert result.path == config


def test_valid_file(config):
    write(config, """\
# operator's settings
[core]
dump = true

[ui]
theme = "light"

[connections.prod]
uri = "postgres://app@db.example/sales"
password_env = "PGPASS_PROD"
read_only = true

[connections."with space"]
uri = "sqlite:///tmp/x.sqlite"
""")
    result = preferences.load()
    assert result.problems == []
    assert result.prefs.dump_core is True
    assert result.prefs.theme == "light"
    assert result.prefs.connections == {
        "prod": SavedConnection("prod", "postgres://app@db.example/sales", "PGPASS_PROD", True),
        "with space": SavedConnection("with space", "sqlite:///tmp/x.sqlite"),
    }


def test_syntax_error_names_file_and_line_and_uses_defaults(config):
    write(config, "[core]\ndump = true\n[ui]\ntheme = \n")
    result = preferences.load()
    assert result.prefs == Preferences()
    assert len(result.problems) == 1
    assert result.problems[0].startswith(f"{SHOWN} line 4: TOML syntax error: Invalid value")
    assert result.problems[0].endswith("using all defaults")


def test_syntax_error_at_end_of_file(config):
    write(config, '[ui]\ntheme = "dark\n')
    (problem,) = preferences.load().problems
    assert problem.startswith(f"{SHOWN} line 2: TOML syntax error")


def test_partly_invalid_keeps_valid_values(config):
    write(config, "[core]\ndump = true\n\n[ui]\ntheme = 'blue'\n")
    result = preferences.load()
    assert result.prefs.dump_core is True
    assert result.prefs.theme == "dark"
    assert result.problems == [f"{SHOWN} line 5: theme 'blue' is not one of dark, light, mono; using dark"]


def test_wrong_type_for_dump(config):
    write(config, '[ui]\ntheme = "mono"\n[core]\ndump = "yes"\n')
    result = preferences.load()
    assert result.prefs.dump_core is None and result.prefs.theme == "mono"
    assert result.problems == [f"{SHOWN} line 4: core.dump must be true or false, not the string 'yes'; ignored "
                               "(core dumps stay as rowdesk was started)"]


def test_unknown_keys_are_reported_and_ignored(config):
    write(config, "[ui]\ntheme = 'light'\ncolour = 'red'\n\n[extras]\nx = 1\n")
    result = preferences.load()
    assert result.prefs.theme == "light"
    assert f"{SHOWN} line 3: unknown key 'ui.colour' ignored (known here: theme)" in result.problems
    assert any(p.startswith(f"{SHOWN} line 5: unknown key 'extras' ignored") for p in result.problems)
    assert len(result.problems) == 2


def test_dotted_keys_get_line_numbers(config):
    write(config, "ui.theme = 'pink'\ncore.dump = true\n")
    result = preferences.load()
    assert result.prefs.dump_core is True
    assert result.problems == [f"{SHOWN} line 1: theme 'pink' is not one of dark, light, mono; using dark"]


@pytest.mark.parametrize("uri", ["postgres://bob:hunter2@db/x", "postgres://bob@db/x?sslmode=require&password=hunter2"])
def test_password_in_uri_rejects_that_entry_only(config, uri):
    write(config, f"""\
[connections.good]
uri = "postgres://alice@db/y"

[connections.bad]
read_only = true
uri = "{uri}"
""")
    result = preferences.load()
    assert list(result.prefs.connections) == ["good"]
    (problem,) = result.problems
    assert problem.startswith(f"{SHOWN} line 6: connection 'bad': the uri ")
    assert "contains a password" in problem and "entry ignored" in problem and "***" in problem
    assert "hunter2" not in problem


def test_connection_without_uri_is_ignored(config):
    write(config, "[connections.x]\nread_only = 1\n")
    result = preferences.load()
    assert result.prefs.connections == {}
    assert any("line 1: connection 'x' needs uri" in p for p in result.problems)


def test_unreadable_file(config):
    config.mkdir(parents=True)  # a directory where the file should be
    result = preferences.load()
    assert result.prefs == Preferences()
    assert result.problems[0].startswith(f"{SHOWN}: cannot read")


# -------------------------------------------------------------------- passwords


def pgpass(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "pgpass"
    path.write_text(text)
    path.chmod(mode)
    return path


PGPASS = r"""# host:port:database:user:password
otherhost:5432:*:bob:wrong
db:5432:x:bob:se\:cret\\one
db:6543:*:bob:other-port
*:*:*:alice:alice-pw
"""


def test_password_env_wins(tmp_path):
    conn = SavedConnection("prod", "postgres://bob@db/x", password_env="PGPASS_PROD")
    path = pgpass(tmp_path, PGPASS)
    assert preferences.resolve_password(conn, {"PGPASS_PROD": "from-env"}, path) == "from-env"


def test_unset_password_env_falls_back_to_pgpass_and_says_so(tmp_path):
    conn = SavedConnection("prod", "postgres://bob@db/x", password_env="PGPASS_PROD")
    problems: list[str] = []
    assert preferences.resolve_password(conn, {}, pgpass(tmp_path, PGPASS), problems) == "se:cret\\one"
    assert problems == ["connection 'prod': environment variable PGPASS_PROD (password_env) is not set"]


@pytest.mark.parametrize(("uri", "expected"), [
    ("postgres://bob@db/x", "se:cret\\one"),          # escapes, default port 5432
    ("postgres://bob@db:6543/anything", "other-port"),
    ("postgresql://alice@anywhere:1/whatever", "alice-pw"),  # wildcards
    ("postgres://carol@db/x", None),
])
def test_pgpass_matching(tmp_path, uri, expected):
    path = pgpass(tmp_path, PGPASS)
    assert preferences.resolve_password(SavedConnection("c", uri), {}, path) == expected


def test_pgpassfile_environment_variable(tmp_path):
    path = pgpass(tmp_path, PGPASS)
    conn = SavedConnection("c", "postgres://alice@h/d")
    assert preferences.resolve_password(conn, {"PGPASSFILE": str(path)}) == "alice-pw"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o610])
def test_pgpass_with_group_or_world_access_is_ignored(tmp_path, mode):
    path = pgpass(tmp_path, PGPASS, mode)
    problems: list[str] = []
    assert preferences.resolve_password(SavedConnection("c", "postgres://alice@h/d"), {}, path, problems) is None
    assert len(problems) == 1
    assert "group or world access" in problems[0] and "0600" in problems[0]


def test_connection_uri_fills_and_masks_password(tmp_path):
    prefs = Preferences(connections={"prod": SavedConnection("prod", "postgres://bob@db:5432/x?sslmode=require",
                                                             password_env="P")})
    uri, shown = preferences.connection_uri("prod", prefs, {"P": "p@ss:w/rd"}, tmp_path / "none")
    assert uri == "postgres://bob:p%40ss%3Aw%2Frd@db:5432/x?sslmode=require"
    assert shown == "postgres://bob:***@db:5432/x?sslmode=require"


def test_connection_uri_without_password_is_unchanged(tmp_path):
    prefs = Preferences(connections={"dev": SavedConnection("dev", "postgres://bob@db/x")})
    assert preferences.connection_uri("dev", prefs, {}, tmp_path / "none") == ("postgres://bob@db/x",) * 2


def test_connection_uri_unknown_name_lists_known_ones():
    prefs = Preferences(connections={"b": SavedConnection("b", "sqlite:///b"), "a": SavedConnection("a", "sqlite:///a")})
    with pytest.raises(PreferencesError, match=r"no saved connection named 'c' \(known: a, b\)"):
        preferences.connection_uri("c", prefs, {})
    with pytest.raises(PreferencesError, match="none are saved"):
        preferences.connection_uri("c", Preferences(), {})


# ------------------------------------------------------------------------ theme


def test_effective_theme():
    light = Preferences(theme="light")
    assert preferences.effective_theme(light, None, {}) == "light"
    assert preferences.effective_theme(light, None, {"NO_COLOR": "1"}) == "mono"
    assert preferences.effective_theme(light, None, {"NO_COLOR": ""}) == "light"
    assert preferences.effective_theme(light, "dark", {"NO_COLOR": "1"}) == "dark"
    with pytest.raises(PreferencesError):
        preferences.effective_theme(light, "blue", {})


# ------------------------------------------------------------------------ write

OPERATOR_FILE = """\
# rowdesk settings, hand written \x20\x20
[ui]
theme = "light"   # easier on the projector
dump = 1 # not [core]: must stay

[core]
# remember to turn this off after debugging
dump = false  # set by me
\t
[connections.prod]
uri = "postgres://app@db/sales"
"""


def test_save_changes_only_the_dump_value(config):
    write(config, OPERATOR_FILE)
    config.chmod(0o640)
    preferences.save_dump_core(True)
    expected = OPERATOR_FILE.replace("dump = false  # set by me", "dump = true  # set by me")
    assert expected != OPERATOR_FILE
    assert config.read_bytes() == expected.encode()
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    assert [p.name for p in config.parent.iterdir()] == ["config.toml"]  # no temporary file left
    preferences.save_dump_core(False)
    assert config.read_bytes() == OPERATOR_FILE.encode()


def test_save_keeps_crlf_lines(config):
    original = b"# note\r\n[core]\r\ndump = true\r\n[ui]\r\ntheme = 'mono'\r\n"
    config.parent.mkdir(parents=True)
    config.write_bytes(original)
    preferences.save_dump_core(False)
    assert config.read_bytes() == original.replace(b"dump = true", b"dump = false")


def test_save_creates_missing_file_and_directories(config):
    assert not config.parent.exists()
    assert preferences.save_dump_core(True) == config
    assert config.read_text() == "[core]\ndump = true\n"
    assert preferences.load().prefs.dump_core is True


def test_save_appends_core_table_when_absent(config):
    original = "[ui]\ntheme = 'mono'  # no newline at end"
    write(config, original)
    preferences.save_dump_core(True)
    text = config.read_text()
    assert text == original + "\n\n[core]\ndump = true\n"
    assert preferences.load().prefs == Preferences(dump_core=True, theme="mono")


def test_save_adds_key_to_existing_core_table(config):
    write(config, "[core]  # core settings\n\n[ui]\ntheme = 'light'\n")
    preferences.save_dump_core(True)
    assert config.read_text() == "[core]  # core settings\ndump = true\n\n[ui]\ntheme = 'light'\n"


def test_save_repairs_a_wrong_value(config):
    write(config, '[core]\ndump = "yes"  # oops\n')
    preferences.save_dump_core(False)
    assert config.read_text() == "[core]\ndump = false  # oops\n"


def test_save_refuses_a_broken_file_and_leaves_it_alone(config):
    write(config, "[core]\ndump = \n# precious\n")
    with pytest.raises(PreferencesError, match="line 2.*fix it before saving"):
        preferences.save_dump_core(True)
    assert config.read_text() == "[core]\ndump = \n# precious\n"


def test_save_follows_a_symlinked_config(config, tmp_path):
    target = write(tmp_path / "dotfiles/rowdesk.toml", "[core]\ndump = false\n")
    config.parent.mkdir(parents=True)
    config.symlink_to(target)
    preferences.save_dump_core(True)
    assert config.is_symlink()
    assert target.read_text() == "[core]\ndump = true\n"


def test_save_to_explicit_path(tmp_path):
    path = tmp_path / "other.toml"
    preferences.save_dump_core(True, path)
    assert preferences.load(path).prefs.dump_core is True
    assert os.listdir(tmp_path) == ["other.toml"]


def test_dump_is_three_way(config):
    """Absent: rowdesk leaves the limit it was started with; true/false: turned on/off at start."""
    assert preferences.load().prefs.dump_core is None
    for text, expected in (("[core]\n", None), ("[core]\ndump = false\n", False), ("[core]\ndump = true\n", True)):
        write(config, text)
        assert preferences.load().prefs.dump_core is expected


def test_problems_come_in_the_order_of_the_file(config):
    write(config, "[ui]\ntheme = 'blue'\ncolour = 1\n[core]\ndump = 2\nx = 1\n")
    lines = [int(p.split(" line ")[1].split(":")[0]) for p in preferences.load().problems]
    assert lines == [2, 3, 5, 6]
