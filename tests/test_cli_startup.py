"""What rowdesk finds at start (config problems, core dumps that fall short) is shown inside the interface, in
the message line and on the Settings screen, not printed behind it on stderr; stderr gets it only when the
interface never starts."""

from __future__ import annotations

import os
import resource
import subprocess

import pytest

from tests.terminal import Terminal
from tests.test_e2e import rowdesk_command

INF = resource.RLIM_INFINITY


@pytest.fixture
def config(tmp_path):
    """Writes the config file of a private home and gives the environment that uses it."""
    home = tmp_path / "home"
    (home / ".config/rowdesk").mkdir(parents=True)

    def write(text: str) -> dict[str, str]:
        (home / ".config/rowdesk/config.toml").write_text(text)
        return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    return write


def start(db, env, *args, limits=None) -> Terminal:
    preexec = (lambda: resource.setrlimit(resource.RLIMIT_CORE, limits)) if limits else None
    t = Terminal(rowdesk_command() + [str(db), "--read-only", *args], cols=160, rows=45, env=env,
                 preexec_fn=preexec)
    t.wait_for(r"tables and views")
    return t


def flat(t: Terminal) -> str:
    """The screen as one line of words, once the program has finished drawing it."""
    t.settle()
    return " ".join(t.text.split())


def test_config_problems_are_shown_in_the_interface(demo_db, config):
    env = config('[ui]\ntheme = "blue"\ncolour = 1\n\n[connections.prod]\nuri = "postgres://app:hunter2@db/x"\n')
    t = start(demo_db, env)
    try:
        t.wait_for(r"config: \S+config\.toml line 2: theme 'blue' is not one of dark, light, mono; using dark "
                   r"\(\+2 more in Settings\)")
        assert b"rowdesk: config" not in t.raw          # nothing was printed behind the interface
        t.press("S")
        t.wait_for(r"Problems found at start")
        text = flat(t)
        assert "line 3: unknown key 'ui.colour' ignored" in text
        assert "line 6: connection 'prod': the uri postgres://app:***@db/x contains a password" in text
        assert "hunter2" not in t.raw.decode(errors="replace")
        t.press("q", "q")
        assert t.wait_exit() == 0
    finally:
        t.close()


def test_broken_toml_is_shown_in_the_interface(demo_db, config):
    t = start(demo_db, config("[core]\ndump = \n"))
    try:
        t.wait_for(r"config: \S+config\.toml line 2: TOML syntax error: Invalid value; using all defaults")
        assert b"rowdesk: config" not in t.raw
    finally:
        t.close()


def test_dump_false_in_the_config_turns_inherited_dumps_off(demo_db, config):
    t = start(demo_db, config("[core]\ndump = false\n"), limits=(INF, INF))
    try:
        t.press("S")
        t.wait_for(r"settings · core dumps off · soft 0 bytes · hard unlimited")
        text = flat(t)
        assert "State OFF" in text and "At start [core] dump = false: core dumps turned off at start" in text
    finally:
        t.close()


def test_dump_core_that_falls_short_is_said_in_the_interface(demo_db, config):
    """A hard limit of 4 KiB (as a shell's `ulimit -Hc 4`): --dump-core reaches it, but the dump would be cut."""
    t = start(demo_db, config(""), "--dump-core", limits=(0, 4096))
    try:
        t.wait_for(r"core dumps at start \(--dump-core\): The soft limit is now 4 KiB, but a core dump would be "
                   r"cut short")
        assert b"rowdesk: --dump-core" not in t.raw
        t.press("S")
        t.wait_for(r"settings · core dumps cut short · soft 4 KiB · hard 4 KiB")
        text = flat(t)
        assert "State CUT SHORT" in text and "The hard limit (4 KiB) is too small as well" in text
    finally:
        t.close()


def test_without_an_interface_the_problems_go_to_stderr(config):
    env = config('[ui]\ntheme = "blue"\n')
    done = subprocess.run([*rowdesk_command(), "@nothing"], capture_output=True, text=True, timeout=30,
                          env={**os.environ, **env}, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0].startswith("rowdesk: config: ") and "theme 'blue'" in lines[0]
    assert lines[1] == "rowdesk: no saved connection named 'nothing' (known: none are saved)"


def test_without_a_terminal_rowdesk_says_so_in_one_line(demo_db, tmp_path):
    import subprocess

    from tests.test_e2e import rowdesk_command

    done = subprocess.run(rowdesk_command() + [str(demo_db), "--read-only"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "rowdesk: needs a terminal: its standard input and output must be a terminal (run it in a terminal or "
        "over ssh -t)"]
    assert "crash" not in done.stderr


def test_demo_refuses_a_folder_that_does_not_exist(tmp_path):
    from console.cli import main

    assert main(["demo", str(tmp_path / "missing" / "x.sqlite")]) == 1
    assert not (tmp_path / "missing").exists()
