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
