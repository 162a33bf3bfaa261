"""A server that wants a password: asked for with a masked prompt before the interface starts (again after a
wrong one, three times at most), and never seen afterwards: not on the screen, not in /proc/PID/cmdline,
not in the log. Against the real MariaDB server, with a user made for the test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.servers import unique
from tests.terminal import Terminal
from tests.test_e2e import rowdesk_command

SECRET = "Pw-" + "9f3kq2"


@pytest.fixture
def mysql_user(mysql_database):
    uri, database, conn = mysql_database
    user = unique("rd")
    with conn.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{SECRET}'")
        cur.execute(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{SECRET}'")
        cur.execute(f"GRANT SELECT ON `{database}`.* TO '{user}'@'%'")
        cur.execute(f"GRANT SELECT ON `{database}`.* TO '{user}'@'localhost'")
        cur.execute("CREATE TABLE things (id int PRIMARY KEY, name varchar(20))")
        cur.execute("INSERT INTO things VALUES (1, 'one'), (2, 'two')")
    try:
        yield user, database
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
            cur.execute(f"DROP USER IF EXISTS '{user}'@'localhost'")


def _leaks(t: Terminal) -> list[str]:
    found = []
    if SECRET in t.text:
        found.append("screen")
    try:
        if SECRET.encode() in Path(f"/proc/{t.proc.pid}/cmdline").read_bytes():
            found.append("cmdline")
    except OSError:
        pass
    log = Path(os.environ["XDG_STATE_HOME"]) / "rowdesk" / "rowdesk.log"
    if log.exists() and SECRET in log.read_text():
        found.append("log")
    return found


def test_the_server_asks_and_a_wrong_password_is_asked_again(mysql_user):
    user, database = mysql_user
    t = Terminal(rowdesk_command() + [f"mysql://{user}@127.0.0.1/{database}"], controlling=True)
    try:
        t.wait_for(rf"password for {user}@127\.0\.0\.1:")
        t.press("wrong-one", "enter")
        t.wait_for(r"\(again\):")
        assert f"loginrefusedforuser'{user}'" in "".join(t.text.split())      # why it asks again
        assert "wrong-one" not in t.text
        t.press(SECRET, "enter")
        t.wait_for(r"things\s*│table│")
        assert _leaks(t) == []
        t.press("q")
        assert t.wait_exit() == 0
    finally:
        t.close()


def test_three_wrong_passwords_end_with_one_line(mysql_user):
    user, database = mysql_user
    t = Terminal(rowdesk_command() + [f"mysql://{user}@127.0.0.1/{database}"], controlling=True)
    try:
        for _ in range(3):
            t.wait_for(r"password for .*:$")
            t.press("nope", "enter")
            t.settle(0.3)
        assert t.wait_exit(timeout=20) == 1
        shown = t.text.replace("\n", "")
        assert "refused" in shown and "Access denied" in shown and "Traceback" not in shown
    finally:
        t.close()


def test_a_password_in_the_uri_is_taken_out_of_the_command_line(mysql_user):
    user, database = mysql_user
    t = Terminal(rowdesk_command() + [f"mysql://{user}:{SECRET}@127.0.0.1/{database}"], controlling=True)
    try:
        t.wait_for(r"things\s*│table│")
        assert _leaks(t) == [], _leaks(t)
        assert "***" in t.text or f"{user}@127.0.0.1" in t.text       # the title shows the target without it
        t.press("q")
        assert t.wait_exit() == 0
    finally:
        t.close()


# == every place a password could end up: the screen, /proc/PID/cmdline, every file rowdesk writes ===============
def _written(*folders: Path) -> dict[Path, bytes]:
    """Every file under *folders* (the XDG folders of the test, the working directory), with its bytes."""
    found = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                found[path] = path.read_bytes()
    return found


def _xdg() -> list[Path]:
    return [Path(os.environ[v]) for v in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")]


def _files_with(secret: str, *folders: Path) -> list[Path]:
    return [p for p, data in _written(*folders).items() if secret.encode() in data]


def test_the_login_of_the_option_file_is_taken_and_never_written(mysql_user, tmp_path):
    user, database = mysql_user
    home = tmp_path / "home"
    home.mkdir()
    cnf = home / ".my.cnf"
    cnf.write_text(f"# the operator's own\n[mysql]\npassword = not-this-one\n[client]\nuser = {user}\n"
                   f'password = "{SECRET}"   # quoted, a comment after it\n')
    cnf.chmod(0o600)
    t = Terminal(rowdesk_command() + [f"mysql://127.0.0.1/{database}"], controlling=True, cwd=tmp_path,
                 env={"HOME": str(home)})
    try:
        t.wait_for(r"things\s*│table│")                 # no prompt: the file's user and password were taken
        assert "password for" not in t.text
        assert _leaks(t) == []
        t.press("q")
        assert t.wait_exit() == 0
    finally:
        t.close()
    assert _files_with(SECRET, *_xdg(), tmp_path / "home", tmp_path) == [cnf]     # only where the operator put it


def test_an_option_file_others_may_write_is_not_read(mysql_user, tmp_path):
    user, database = mysql_user
    (tmp_path / ".my.cnf").write_text(f"[client]\npassword={SECRET}\n")
    (tmp_path / ".my.cnf").chmod(0o666)
    t = Terminal(rowdesk_command() + [f"mysql://{user}@127.0.0.1/{database}"], controlling=True,
                 env={"HOME": str(tmp_path)})
    try:
        t.wait_for(rf"password for {user}@127\.0\.0\.1:")        # as if there were no file
        for _ in range(3):                                          # three empty answers: refused, exit 1
            t.press("enter")
            t.settle(0.3)
        assert t.wait_exit(timeout=20) == 1
    finally:
        t.close()


@pytest.mark.parametrize("kind", ["key", "callback", "thread"])
def test_a_crash_report_never_holds_the_password(mysql_user, tmp_path, kind):
    user, database = mysql_user
    t = Terminal(rowdesk_command() + [f"mysql://{user}:{SECRET}@127.0.0.1/{database}", "--crash-test", kind],
                 controlling=True, cwd=tmp_path)
    try:
        assert t.wait_exit(timeout=20) == 70
        t.wait_for(r"crash report: ")
        assert SECRET not in t.text
    finally:
        t.close()
    state = Path(os.environ["XDG_STATE_HOME"]) / "rowdesk"
    [report] = state.glob("crash-*.txt")
    assert f"mysql://{user}:***@127.0.0.1" in report.read_text()       # the report names the target ...
    assert _files_with(SECRET, *_xdg(), tmp_path) == []                 # ... and no file holds the password


# -- PostgreSQL, on a private server that asks for a password (the shared one trusts every login) ---------------
def test_postgres_asks_for_the_password_and_no_file_or_screen_holds_it(private_server, tmp_path):
    from tests.pg_private import PASSWORD
    env = {"PGPASSWORD": "", "PGPASSFILE": os.devnull}
    t = Terminal(rowdesk_command() + [private_server.uri(), "--crash-test", "callback"], controlling=True,
                 cwd=tmp_path, env=env)
    try:
        t.wait_for(r"password for postgres@127\.0\.0\.1:")
        t.press("wrong-" + PASSWORD[:4], "enter")
        t.wait_for(r"\(again\):")
        t.press(PASSWORD, "enter")
        assert t.wait_exit(timeout=20) == 70          # it connected, then crashed on purpose
        t.wait_for(r"crash report: ")
        assert PASSWORD not in t.text
    finally:
        t.close()
    assert _files_with(PASSWORD, *_xdg(), tmp_path) == []


def test_postgres_password_in_the_uri_is_out_of_the_command_line(private_server, tmp_path):
    from tests.pg_private import PASSWORD
    t = Terminal(rowdesk_command() + [private_server.uri(PASSWORD)], controlling=True, cwd=tmp_path,
                 env={"PGPASSWORD": "", "PGPASSFILE": os.devnull})
    try:
        t.wait_for(r"this database has no tables")            # connected: the private server's is empty
        assert PASSWORD not in t.text
        assert PASSWORD.encode() not in Path(f"/proc/{t.proc.pid}/cmdline").read_bytes()
        t.press("q")
        assert t.wait_exit() == 0
    finally:
        t.close()
    assert _files_with(PASSWORD, *_xdg(), tmp_path) == []
