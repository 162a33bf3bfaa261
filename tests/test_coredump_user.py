"""Core dumps as a normal user, proved against the kernel.

Root bypasses the permission checks that decide whether a core file can be
created, so each case runs in a child that drops to an unprivileged user, reads
the state the way the settings screen does, prints the verdict, then crashes
(SIGABRT). A core file must appear exactly when the verdict was ON, and be cut
short exactly when it said CUT SHORT.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import coredump

ROOT = Path(__file__).resolve().parents[1]
INF = resource.RLIM_INFINITY
USER = "nobody"


# ------------------------------------------------------------------ shared helpers


def unprivileged_user() -> pwd.struct_passwd:
    """The user the tests drop to; skips (with the reason) where that cannot be done."""
    if os.geteuid() != 0:
        pytest.skip("needs root to start a child as an unprivileged user (root itself bypasses the checks)")
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        pytest.skip(f"no {USER!r} user on this system")


@contextlib.contextmanager
def shared_directory() -> Iterator[Path]:
    """A temporary directory the unprivileged user can reach (pytest's own tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="rowdesk-user-", dir="/tmp"))
    try:
        path.chmod(0o755)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def shared_tmp():
    with shared_directory() as path:
        yield path


def owned_by(user: pwd.struct_passwd, path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, user.pw_uid, user.pw_gid)
    return path


def become_code(user: pwd.struct_passwd, cwd: Path) -> str:
    """Python source that makes the running process *user*, working in *cwd*, as if the user had started it.

    Everything must be imported before: the interpreter's own files are not readable by that user here.
    Changing user ID makes a process non-dumpable (fs.suid_dumpable 0); a program the user starts
    himself is dumpable, so it is set back as exec would have done.
    """
    return textwrap.dedent(f"""
        import ctypes as _ctypes, os as _os
        _os.chdir({str(cwd)!r})
        _os.setgroups([])
        _os.setgid({user.pw_gid})
        _os.setuid({user.pw_uid})
        _ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)   # PR_SET_DUMPABLE 1
    """)


def child_env(home: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if home is not None:
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
                   XDG_STATE_HOME=str(home / "state"), XDG_CACHE_HOME=str(home / "cache"))
    return env


def kernel_writes_files_in_cwd() -> str:
    """The core pattern, if the kernel itself writes core files in the crashing process's directory."""
    state = coredump.read_state()
    pattern = state.core_pattern
    if pattern is None:
        pytest.skip("/proc/sys/kernel/core_pattern is unreadable: what the kernel does with a crash is unknown")
    if state.pipe_program is not None:
        pytest.skip(f"kernel.core_pattern pipes crashes to {state.pipe_program}: the kernel writes no core file "
                    "itself, so there is no directory whose permissions could be tested")
    if pattern.startswith("/"):
        pytest.skip(f"kernel.core_pattern is absolute ({pattern!r}): the current directory plays no part")
    if state.hard == 0:
        pytest.skip("the hard RLIMIT_CORE of the test process is 0: no child can write a core file")
    return pattern


# ------------------------------------------------------------------ the experiment

BEFORE_CRASH = """
import json, resource
from console import coredump
resource.setrlimit(resource.RLIMIT_CORE, ({soft}, resource.RLIM_INFINITY))
"""
CRASH = """
state = coredump.read_state()
found = coredump.verdict(state)
print(json.dumps(dict(word=found.word, written=found.written, reasons=found.reasons,
                      explain=state.explain(), floor=state.memory_floor, user=state.user)), flush=True)
_os.abort()
"""


def crash_as(user: pwd.struct_passwd, cwd: Path, soft: int) -> tuple[dict, list[os.stat_result]]:
    """What rowdesk said in *cwd* as *user* with that soft limit, and the core files the crash left there."""
    before = set(os.listdir(cwd))
    code = BEFORE_CRASH.format(soft=soft) + become_code(user, cwd) + CRASH
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=child_env(), cwd=ROOT, timeout=60)
    assert done.returncode == -6, done.stderr
    said = json.loads(done.stdout.strip().splitlines()[-1])
    cores = [os.stat(cwd / name) for name in set(os.listdir(cwd)) - before]
    return said, cores


def test_unwritable_directory_is_not_on_and_the_kernel_agrees(shared_tmp):
    kernel_writes_files_in_cwd()
    user = unprivileged_user()
    locked = shared_tmp / "locked"
    locked.mkdir(mode=0o755)                       # root's: the user may enter but not create files
    said, cores = crash_as(user, locked, INF)
    assert cores == []                              # the kernel wrote nothing ...
    assert said["word"] == "NOT WRITTEN" and not said["written"]   # ... and rowdesk said so
    reason = " ".join(said["reasons"])
    assert str(locked) in reason and f"not writable by you ({USER})" in reason
    assert "Start rowdesk from a directory you can write to" in reason
    # The description never claims the dumps are written there.
    assert not any("Dumps are written" in line for line in said["explain"])


def test_writable_directory_is_on_and_the_kernel_writes_a_whole_core(shared_tmp):
    kernel_writes_files_in_cwd()
    user = unprivileged_user()
    mine = owned_by(user, shared_tmp / "mine")
    said, cores = crash_as(user, mine, INF)
    assert said["word"] == "ON" and said["written"] and said["reasons"] == [], said
    assert len(cores) == 1
    core = cores[0]
    assert core.st_uid == user.pw_uid
    # rowdesk's floor is a true lower bound of the real dump.
    assert said["floor"] and core.st_blocks * 512 >= said["floor"] * 0.9
    assert core.st_size >= said["floor"]


def test_small_soft_limit_is_cut_short_and_the_kernel_cuts_it(shared_tmp):
    kernel_writes_files_in_cwd()
    user = unprivileged_user()
    mine = owned_by(user, shared_tmp / "mine")
    soft = 1024 * 1024
    said, cores = crash_as(user, mine, soft)
    assert said["word"] == "CUT SHORT" and not said["written"]
    assert said["floor"] > soft
    reason = " ".join(said["reasons"])
    assert "1 MiB" in reason and coredump.human_size(said["floor"]) in reason and "cut short" in reason
    assert "Press t to raise the soft limit to the hard limit (unlimited)" in reason
    (core,) = cores
    assert core.st_size <= soft < said["floor"]     # the kernel stopped at the limit


def test_soft_limit_below_one_page_writes_nothing(shared_tmp):
    kernel_writes_files_in_cwd()
    user = unprivileged_user()
    mine = owned_by(user, shared_tmp / "mine")
    said, cores = crash_as(user, mine, 1000)
    assert cores == []
    assert said["word"] == "NOT WRITTEN"
    assert any("smaller than one page" in reason for reason in said["reasons"])


def test_another_users_core_in_a_sticky_directory_blocks_the_dump(shared_tmp):
    pattern = kernel_writes_files_in_cwd()
    if "%" in pattern or coredump.read_state().core_uses_pid:
        pytest.skip(f"kernel.core_pattern {pattern!r} gives each crash its own file name: nothing to collide with")
    user = unprivileged_user()
    sticky = shared_tmp / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)                            # like /tmp: everyone may create, only owners delete
    (sticky / pattern).write_bytes(b"")             # root's old core file
    said, cores = crash_as(user, sticky, INF)
    assert os.stat(sticky / pattern).st_size == 0 and cores == []
    assert said["word"] == "NOT WRITTEN"
    assert any("belongs to another user" in reason and "sticky" in reason for reason in said["reasons"])


# ------------------------------------------------------- patterns the machine lacks (fake /proc)


def fake_proc(tmp: Path, pattern: str) -> Path:
    root = tmp / "proc"
    (root / "sys/kernel").mkdir(parents=True)
    (root / "sys/fs").mkdir(parents=True)
    (root / "sys/kernel/core_pattern").write_text(pattern + "\n")
    (root / "sys/kernel/core_uses_pid").write_text("0\n")
    (root / "sys/fs/suid_dumpable").write_text("0\n")
    return root


def verdict_as(user: pwd.struct_passwd, cwd: Path, proc: Path) -> dict:
    code = textwrap.dedent("""
        import json, resource
        from console import coredump
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    """) + become_code(user, cwd) + textwrap.dedent(f"""
        found = coredump.verdict(coredump.read_state({str(proc)!r}))
        print(json.dumps(dict(word=found.word, reasons=found.reasons)))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), cwd=ROOT,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_absolute_pattern_checks_its_own_directory(shared_tmp):
    user = unprivileged_user()
    crashes = shared_tmp / "crashes"
    crashes.mkdir(mode=0o755)
    mine = owned_by(user, shared_tmp / "mine")
    proc = fake_proc(shared_tmp, f"{crashes}/core.%e.%p")
    said = verdict_as(user, mine, proc)        # the current directory is writable, and plays no part
    assert said["word"] == "NOT WRITTEN"
    assert any(str(crashes) in r and f"not writable by you ({USER})" in r for r in said["reasons"])
    crashes.chmod(0o1777)
    assert verdict_as(user, mine, proc)["word"] == "ON"
    missing = fake_proc(shared_tmp / "other", f"{shared_tmp}/nowhere/core")
    said = verdict_as(user, mine, missing)
    assert said["word"] == "NOT WRITTEN" and any("does not exist" in r for r in said["reasons"])


@pytest.fixture
def soft_at_hard():
    """This process's soft limit raised to its hard limit for the test, then put back."""
    original = resource.getrlimit(resource.RLIMIT_CORE)
    if original[1] == 0:
        pytest.skip("the hard RLIMIT_CORE of the test process is 0")
    resource.setrlimit(resource.RLIMIT_CORE, (original[1], original[1]))
    yield
    resource.setrlimit(resource.RLIMIT_CORE, original)


def test_piped_pattern_says_where_dumps_go(tmp_path, soft_at_hard):
    state = coredump.read_state(fake_proc(tmp_path, "|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h"))
    found = coredump.verdict(state)
    assert found.word == "PIPED" and not found.written
    text = " ".join(state.explain())
    assert "systemd-coredump" in text and "coredumpctl" in text
    apport = coredump.read_state(fake_proc(tmp_path / "a", "|/usr/share/apport/apport -p%p -s%s -c%c"))
    assert "/var/crash" in " ".join(apport.explain())


def test_not_dumpable_is_not_on(tmp_path, soft_at_hard):
    proc = fake_proc(tmp_path, "core")
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import ctypes, json, resource
        from console import coredump
        ctypes.CDLL(None).prctl(coredump.PR_SET_DUMPABLE, 0, 0, 0, 0)
        found = coredump.verdict(coredump.read_state({str(proc)!r}))
        print(json.dumps(dict(word=found.word, reasons=found.reasons)))
    """)], capture_output=True, text=True, env=child_env(), cwd=ROOT, timeout=30)
    said = json.loads(done.stdout)
    assert said["word"] == "NOT WRITTEN"
    assert any("not dumpable" in reason for reason in said["reasons"])

