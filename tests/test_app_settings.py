"""The Settings screen, headless: changes are checked from outside the process (/proc/PID/limits)."""

import os
import resource
import subprocess

import pytest
import pytest_twisted


@pytest.fixture(autouse=True)
def keep_core_limits():
    before = resource.getrlimit(resource.RLIMIT_CORE)
    yield
    resource.setrlimit(resource.RLIMIT_CORE, before)   # as root, a lowered hard limit can be raised back


def limits_seen_from_outside() -> str:
    """The 'Max core file size' line of this process, read by another process."""
    out = subprocess.run(["cat", f"/proc/{os.getpid()}/limits"], capture_output=True, text=True, check=True).stdout
    return next(line for line in out.splitlines() if line.startswith("Max core file size"))


async def open_settings(h):
    await h.wait_for(r"tables and views", where="status")
    h.press("S")
    await h.wait_for(r"^settings · core dumps", where="status")


@pytest_twisted.ensureDeferred
async def test_toggle_is_real_and_read_back(harness, demo_db):
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    h = harness(demo_db, size=(110, 40))
    await open_settings(h)
    assert "OFF" in h.text and "settings · core dumps off" in h.status
    assert "database passwords" in " ".join(h.text.split())
    h.press("t")
    await h.wait_for("core dumps on", where="status")
    assert "Core dumps are on" in h.message
    expected = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
    assert limits_seen_from_outside().split()[4] == expected
    h.press("t")
    await h.wait_for("core dumps off", where="status")
    assert limits_seen_from_outside().split()[4] == "0"
    assert resource.getrlimit(resource.RLIMIT_CORE)[1] == hard       # the hard limit is never lowered


def test_refused_change_says_why_and_shows_what_was_reached(demo_db):
    """In a real terminal, in a process whose hard limit is 0 (which cannot be undone without
    privileges, so never in the test process itself)."""
    from tests.terminal import Terminal
    from tests.test_e2e import rowdesk_command

    def no_core():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    t = Terminal(rowdesk_command() + [str(demo_db), "--read-only"], cols=120, rows=40, preexec_fn=no_core)
    try:
        t.wait_for(r"tables and views")
        t.press("S")
        t.wait_for(r"settings · core dumps off")
        t.press("t")
        t.wait_for(r"could not be turned on")
        text = " ".join(t.text.split())
        assert "hard limit is 0" in text.lower() or "hard limit 0" in text.lower(), text
        assert "settings · core dumps off" in text                       # the state reached, not the one hoped for
        limits = open(f"/proc/{t.proc.pid}/limits").read()
        line = next(x for x in limits.splitlines() if x.startswith("Max core file size"))
        assert line.split()[4:6] == ["0", "0"]
        t.press("q", "q")
        assert t.wait_exit() == 0
    finally:
        t.close()


@pytest_twisted.ensureDeferred
async def test_remember_writes_only_the_dump_key(harness, demo_db, tmp_path):
    from console import paths

    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    original = '# my settings\n[ui]\ntheme = "light"   # easier on the eyes\n'
    config.write_text(original)
    h = harness(demo_db, size=(110, 40))
    await open_settings(h)
    h.press("t", "w")
    await h.wait_for("saved: core dumps")
    written = config.read_text()
    assert written.startswith(original)
    assert "dump = " in written


@pytest_twisted.ensureDeferred
async def test_broken_config_is_reported_and_defaults_used(harness, demo_db):
    from console import paths

    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[ui]\ntheme = "blue"\n[core]\ndump = maybe\n')
    before = config.read_text()
    h = harness(demo_db, size=(140, 40))
    await h.wait_for(r"config: .*config\.toml line \d+")
    await open_settings(h)
    assert "line" in h.text
    assert config.read_text() == before                                # never rewritten unasked


@pytest_twisted.ensureDeferred
async def test_settings_from_the_palette_and_theme_cycle(harness, demo_db):
    h = harness(demo_db, size=(110, 40))
    await h.wait_for(r"tables and views", where="status")
    h.press(":")
    h.type("go to settings")
    h.press("enter")
    await h.wait_for(r"^settings · core dumps", where="status")
    h.press("c")
    await h.wait_for(r"Theme\s+light")
    assert h.app.theme == "light"


# ------------------------------------------------------------- as a normal user, in a real terminal

# Starts rowdesk as an unprivileged user: imports first (that user cannot read the interpreter's files
# here), then the soft limit a shell's `ulimit -c` would have given, then the user.
LAUNCH_AS_USER = """
import resource, sys
import console.cli, console.main, console.registry, storage.database, storage.targets
console.registry.load_builtin()
soft = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_CORE, (soft, resource.RLIM_INFINITY))
exec(sys.argv[2])
sys.exit(console.cli.main(sys.argv[3:]))
"""


def start_as_user(user, cwd, home, db, *args, soft=resource.RLIM_INFINITY, env=None):
    import sys

    from tests.terminal import Terminal
    from tests.test_coredump_user import become_code, child_env

    env = {**child_env(home), **(env or {})}
    return Terminal([sys.executable, "-c", LAUNCH_AS_USER, str(soft), become_code(user, cwd), str(db), *args],
                    cols=150, rows=45, env=env)


def core_files(directory) -> list[str]:
    return [name for name in os.listdir(directory) if name.startswith("core")]


@pytest.fixture
def user_files(demo_db):
    """(the unprivileged user, a directory it can reach, its home with a copy of the demo database in it)."""
    import shutil

    from tests.test_coredump_user import owned_by, shared_directory, unprivileged_user

    user = unprivileged_user()
    with shared_directory() as base:
        home = owned_by(user, base / "home")
        db = home / "demo.sqlite"
        shutil.copyfile(demo_db, db)
        os.chown(db, user.pw_uid, user.pw_gid)
        yield user, base, home, db


def test_a_failed_save_is_said_in_plain_words(user_files):
    """`w` with a config folder the user cannot write: the folder is named, no errno, no temporary file name."""
    user, base, home, db = user_files
    folder = base / "etc" / "rowdesk"
    folder.mkdir(parents=True)
    (base / "etc").chmod(0o755)
    folder.chmod(0o755)
    t = start_as_user(user, home, home, db, "--read-only", env={"XDG_CONFIG_HOME": str(base / "etc")})
    try:
        t.wait_for(r"tables and views")
        t.press("S")
        t.wait_for(r"^settings · core dumps")
        t.press("w")
        t.wait_for(rf"not saved: the folder {folder} is not writable by you \(nobody\)")
        assert "Errno" not in t.text and ".tmp" not in t.text
        assert list(folder.iterdir()) == []
        t.press("q", "q")
        assert t.wait_exit() == 0
    finally:
        t.close()


def test_as_a_normal_user_the_screen_says_on_exactly_when_the_kernel_writes_a_core(user_files):
    """Unwritable current directory: NOT WRITTEN with the reason, and a crash leaves no core. A 1 MiB soft limit:
    CUT SHORT with the process's size; t raises it, ON, and a crash leaves a whole core file."""
    import signal

    from tests.test_coredump_user import kernel_writes_files_in_cwd, owned_by

    kernel_writes_files_in_cwd()
    user, base, home, db = user_files
    locked = base / "locked"
    locked.mkdir(mode=0o755)

    t = start_as_user(user, locked, home, db, "--read-only", "--dump-core")
    try:
        t.wait_for(r"tables and views")
        # The start-up report tells the same truth, in the interface.
        t.wait_for(r"core dumps at start \(--dump-core\): The soft limit is now unlimited, but a crash would "
                   r"write no core file")
        t.press("S")
        t.wait_for(r"settings · core dumps not written")
        t.settle()
        text = " ".join(t.text.split())
        assert "State NOT WRITTEN" in text, text
        assert f"{locked} is not writable by you (nobody)" in text, text
        assert "Start rowdesk from a directory you can write to" in text
        assert "State ON" not in text
        os.kill(t.proc.pid, signal.SIGABRT)
        t.wait_exit()
    finally:
        t.close()
    assert core_files(locked) == []

    mine = owned_by(user, base / "mine")
    t = start_as_user(user, mine, home, db, "--read-only", soft=1024 * 1024)
    try:
        t.wait_for(r"tables and views")
        t.press("S")
        t.wait_for(r"settings · core dumps cut short")
        t.settle()
        text = " ".join(t.text.split())
        assert "State CUT SHORT" in text and "The soft limit 1 MiB is smaller than this process" in text, text
        t.press("t")
        t.wait_for(r"settings · core dumps on")
        t.settle()
        text = " ".join(t.text.split())
        assert "State ON" in text and "Core dumps are on (soft limit unlimited)" in text, text
        os.kill(t.proc.pid, signal.SIGABRT)
        t.wait_exit()
    finally:
        t.close()
    (core,) = core_files(mine)
    assert os.stat(mine / core).st_size > 1024 * 1024
