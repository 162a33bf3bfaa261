"""Passwords of saved connections: a passwords file applies to its own servers only, matched as their client
library matches it, and a password never reaches the screen."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

import pytest

from console import preferences
from console.preferences import Preferences, SavedConnection
from tests.terminal import Terminal
from tests.test_e2e import rowdesk_command

CATCH_ALL = "*:*:*:*:catch-all-pw\n"


def pgpass(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pgpass"
    path.write_text(text)
    path.chmod(0o600)
    return path


def uri_for(uri: str, tmp_path: Path, text: str = CATCH_ALL, environ: dict | None = None) -> str:
    prefs = Preferences(connections={"c": SavedConnection("c", uri)})
    return preferences.connection_uri("c", prefs, environ or {}, pgpass(tmp_path, text))[0]


@pytest.mark.parametrize("uri", ["sqlite:///srv/shop.db", "sqlite:shop.db", "mysql://app@db/shop",
                                 "mariadb://app@db/shop"])
def test_pgpass_is_not_applied_to_other_engines(tmp_path, uri):
    assert uri_for(uri, tmp_path) == uri


@pytest.mark.parametrize("uri", ["postgres://app@db/shop", "postgresql://app@db:5433/shop"])
def test_pgpass_applies_to_postgres(tmp_path, uri):
    assert uri_for(uri, tmp_path) == uri.replace("app@", "app:catch-all-pw@")


def test_password_ends_at_the_first_unescaped_colon_as_in_libpq(tmp_path):
    assert uri_for("postgres://app@db/shop", tmp_path, r"db:5432:shop:app:pa\:ss:trailing" "\n") == \
        "postgres://app:pa%3Ass@db/shop"


def test_an_escaped_star_is_a_literal_star(tmp_path):
    assert uri_for("postgres://app@db/shop", tmp_path, r"\*:5432:shop:app:wrong" "\n") == "postgres://app@db/shop"
    assert uri_for("postgres://app@*/shop", tmp_path, r"\*:5432:shop:app:star" "\n") == "postgres://app:star@*/shop"


def test_defaults_are_libpqs(tmp_path):
    """No user: PGUSER, else the login name; no database: PGDATABASE, else the user; no host: PGHOST, else
    localhost (also for the default socket directory); no port: PGPORT, else 5432."""
    login = pwd.getpwuid(os.geteuid()).pw_name
    lines = (f"localhost:5432:{login}:{login}:login-pw\n"
             "dbhost:6000:sales:carol:env-pw\n"
             "localhost:5432:carol:carol:carol-pw\n")
    assert uri_for("postgres:///", tmp_path, lines) == "postgres://:login-pw@/"
    env = {"PGUSER": "carol", "PGHOST": "dbhost", "PGPORT": "6000", "PGDATABASE": "sales"}
    assert uri_for("postgres:///", tmp_path, lines, env) == "postgres://:env-pw@/"
    assert uri_for("postgres://carol@%2Fvar%2Frun%2Fpostgresql/", tmp_path, lines) == \
        "postgres://carol:carol-pw@%2Fvar%2Frun%2Fpostgresql/"


def test_host_is_matched_as_written(tmp_path):
    # libpq compares the host text exactly; a URI parser would lower-case it.
    assert uri_for("postgres://app@DB.example/shop", tmp_path, "db.example:*:*:*:lower\n") == \
        "postgres://app@DB.example/shop"


def test_password_env_on_a_sqlite_connection_is_reported_and_ignored(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[connections.shop]\nuri = "sqlite:///srv/shop.db"\npassword_env = "SHOP_PW"\n')
    loaded = preferences.load(config)
    assert loaded.prefs.connections["shop"].password_env is None
    assert loaded.problems == [f"{config} line 3: connection 'shop': password_env ignored: "
                               "a SQLite file takes no password"]
    uri, _ = preferences.connection_uri("shop", loaded.prefs, {"SHOP_PW": "secret"}, tmp_path / "none")
    assert uri == "sqlite:///srv/shop.db"


def test_saved_sqlite_connection_opens_with_a_catch_all_pgpass(tmp_path, demo_db):
    """The whole program, as the operator meets it: ~/.pgpass must not break `rowdesk @shop`."""
    home = tmp_path / "home"
    (home / ".config/rowdesk").mkdir(parents=True)
    pgpass_file = home / ".pgpass"
    pgpass_file.write_text(CATCH_ALL)
    pgpass_file.chmod(0o600)
    (home / ".config/rowdesk/config.toml").write_text(f'[connections.shop]\nuri = "sqlite://{demo_db}"\n'
                                                       "read_only = true\n")
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    env.pop("PGPASSFILE", None)
    t = Terminal(rowdesk_command() + ["@shop"], cols=120, rows=30, env=env)
    try:
        t.wait_for(r"tables and views")
        assert "catch-all-pw" not in t.text and "read-only" in t.text
        t.press("q")
        assert t.wait_exit() == 0
    finally:
        t.close()


def test_a_password_from_pgpass_never_reaches_the_terminal(tmp_path):
    home = tmp_path / "home"
    (home / ".config/rowdesk").mkdir(parents=True)
    (home / ".config/rowdesk/config.toml").write_text('[connections.prod]\nuri = "postgres://app@db/shop"\n')
    pgpass_file = home / ".pgpass"
    pgpass_file.write_text("db:5432:shop:app:Sup3r-secret\n")
    pgpass_file.chmod(0o600)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    env.pop("PGPASSFILE", None)
    done = subprocess.run([*rowdesk_command(), "@prod"], capture_output=True, text=True, env=env, timeout=30,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert "postgres://app:***@db/shop" in done.stderr        # the password was found, and masked
    assert "Sup3r-secret" not in done.stdout + done.stderr
