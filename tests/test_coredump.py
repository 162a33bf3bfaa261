"""console.coredump against the real kernel: real limits, real /proc, real prctl.

Anything that lowers a hard limit, drops privileges or makes a process
non-dumpable happens in a subprocess, never in the test process.
"""

from __future__ import annotations

import json
import os
import pwd
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from console import coredump

ROOT = Path(__file__).resolve().parents[1]
INF = resource.RLIM_INFINITY


@pytest.fixture(autouse=True)
def restore_limits():
    """Put the test process's RLIMIT_CORE back as it was, whatever a test did."""
    original = resource.getrlimit(resource.RLIMIT_CORE)
    yield original
    resource.setrlimit(resource.RLIMIT_CORE, original)


def fake_proc(tmp_path: Path, pattern: str | None, suid: int = 0, uses_pid: int = 0) -> Path:
    root = tmp_path / "proc"
    (root / "sys/kernel").mkdir(parents=True)
    (root / "sys/fs").mkdir(parents=True)
    if pattern is not None:
        (root / "sys/kernel/core_pattern").write_text(pattern + "\n")
    (root / "sys/kernel/core_uses_pid").write_text(f"{uses_pid}\n")
    (root / "sys/fs/suid_dumpable").write_text(f"{suid}\n")
    return root


def run_py(code: str, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, cwd=cwd or ROOT, timeout=30, **kwargs)


def run_json(code: str, **kwargs) -> dict:
    done = run_py(code, **kwargs)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def limits_seen_by_another_process(pid: int) -> list[int]:
    """The kernel's view of *pid*'s limits, read from a separate process."""
    return run_json(f"""
        import json
        from console.coredump import read_proc_limits
        print(json.dumps(read_proc_limits({pid})))
    """)


def requires_dumpable():
    if coredump.read_state().dumpable is not True:
        pytest.skip("the test process itself is not dumpable, so 'on' can never be ok here")


# ------------------------------------------------------------------ real changes


def test_disable_then_enable_changes_the_real_limits(tmp_path):
    requires_dumpable()
    proc = fake_proc(tmp_path, "core")
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]

    off = coredump.disable(proc)
    assert off.requested == "off" and off.ok, off.reasons
    assert (off.after.soft, off.after.hard) == (0, hard)
    assert limits_seen_by_another_process(os.getpid()) == [0, hard]

    on = coredump.enable(proc)
    assert on.requested == "on" and on.ok, on.reasons
    assert on.before.soft == 0
    assert (on.after.soft, on.after.hard) == (hard, hard)
    assert on.after.enabled
    assert limits_seen_by_another_process(os.getpid()) == [hard, hard]
    assert coredump.CREDENTIALS_NOTE in on.notes


def test_hard_limit_is_never_lowered(tmp_path):
    proc = fake_proc(tmp_path, "core")
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    for change in (coredump.enable, coredump.disable, coredump.enable, coredump.disable):
        result = change(proc)
        assert result.after.hard == hard
        assert resource.getrlimit(resource.RLIMIT_CORE)[1] == hard
    for want in (True, False):
        assert coredump.apply_at_start(want, proc).after.hard == hard
    assert coredump.apply_at_start(True, proc).requested == "on"
    assert coredump.apply_at_start(False, proc).after.soft == 0


def test_read_proc_limits_matches_a_child_started_with_known_limits():
    child = subprocess.Popen(["sleep", "5"], preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (4096, 8192)))
    try:
        assert coredump.read_proc_limits(child.pid) == (4096, 8192)
    finally:
        child.kill()
        child.wait()


def test_read_proc_limits_parses_unlimited(tmp_path):
    (tmp_path / "42").mkdir()
    (tmp_path / "42/limits").write_text(
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max file size             unlimited            unlimited            bytes     \n"
        "Max core file size        0                    unlimited            bytes     \n"
    )
    assert coredump.read_proc_limits(42, proc_root=tmp_path) == (0, INF)
    (tmp_path / "42/limits").write_text("Max cpu time unlimited unlimited seconds\n")
    with pytest.raises(ValueError):
        coredump.read_proc_limits(42, proc_root=tmp_path)


# ------------------------------------------------------- refusals in subprocesses


def test_enable_raises_only_up_to_a_low_hard_limit(tmp_path):
    proc = fake_proc(tmp_path, "core")
    result = run_json(f"""
        import dataclasses, json, os, resource
        from console import coredump
        resource.setrlimit(resource.RLIMIT_CORE, (0, 8192))
        result = coredump.enable({str(proc)!r})
        out = dataclasses.asdict(result)
        out["kernel"] = coredump.read_proc_limits(os.getpid())
        print(json.dumps(out))
    """)
    assert result["after"]["soft"] == 8192 and result["after"]["hard"] == 8192
    assert result["kernel"] == [8192, 8192]
    assert any("8 KiB" in note and "cut short" in note for note in result["notes"])
    # The limit was reached, but this Python process is far larger than 8 KiB: a dump would be cut short.
    assert not result["ok"]
    cut = next(reason for reason in result["reasons"] if "cut short at 8 KiB" in reason)
    assert "hard limit (8 KiB) is too small as well" in cut and "ulimit -Hc" in cut


def test_enable_with_hard_limit_zero_says_why(tmp_path):
    proc = fake_proc(tmp_path, "core")
    result = run_json(f"""
        import dataclasses, json, resource
        from console import coredump
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        print(json.dumps(dataclasses.asdict(coredump.enable({str(proc)!r}))))
    """)
    assert not result["ok"]
    assert result["after"]["soft"] == 0 and result["after"]["hard"] == 0
    assert any("hard limits are 0" in reason and "CAP_SYS_RESOURCE" in reason for reason in result["reasons"])


def test_unprivileged_process_cannot_raise_above_its_hard_limit(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to the 'nobody' user in a subprocess")
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user on this system")
    proc = fake_proc(tmp_path, "core")
    # Everything is imported before dropping privileges: nobody may not read the interpreter's files.
    result = run_json(f"""
        import dataclasses, json, os, resource
        from console import coredump
        resource.setrlimit(resource.RLIMIT_CORE, (0, 4096))
        os.setgroups([])
        os.setgid({nobody.pw_gid})
        os.setuid({nobody.pw_uid})
        result = coredump.set_soft_limit(resource.RLIM_INFINITY, {str(proc)!r})
        print(json.dumps(dataclasses.asdict(result)))
    """)
    assert result["requested"] == "on" and not result["ok"]
    assert result["after"]["soft"] == 0 and result["after"]["hard"] == 4096
    refusal = [reason for reason in result["reasons"] if "refused" in reason]
    assert refusal and "Not permitted" in refusal[0] and "4 KiB" in refusal[0]
    # Changing user ID makes the process non-dumpable (fs.suid_dumpable 0 here): reported too.
    if result["after"]["dumpable"] is False:
        assert any("not dumpable" in reason for reason in result["reasons"])


def test_non_dumpable_process_is_reported(tmp_path):
    proc = fake_proc(tmp_path, "core")
    result = run_json(f"""
        import ctypes, dataclasses, json
        from console import coredump
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.prctl(coredump.PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
        result = dataclasses.asdict(coredump.enable({str(proc)!r}))
        result["summary"] = coredump.enable({str(proc)!r}).summary()
        result["verdict"] = dataclasses.asdict(coredump.verdict(coredump.read_state({str(proc)!r})))
        print(json.dumps(result))
    """)
    assert result["after"]["dumpable"] is False and result["after"]["dump_mode"] == 0
    assert not result["ok"]
    # The limit did change; the reason is that the kernel will still write nothing.
    assert result["after"]["soft"] == result["after"]["hard"]
    assert any("not dumpable" in reason for reason in result["reasons"])
    assert result["verdict"]["word"] == "NOT WRITTEN"
    assert any("not dumpable" in line for line in result["verdict"]["reasons"])
    assert result["summary"].endswith("but a crash would write no core file.")


def test_core_file_is_really_written_only_when_enabled(tmp_path):
    state = coredump.read_state()
    pattern = state.core_pattern
    if not pattern or "/" in pattern or "%" in pattern or state.pipe_program is not None or state.hard == 0:
        pytest.skip(f"needs a plain relative core pattern and a non-zero hard limit, not {pattern!r}")
    if state.dumpable is not True:
        pytest.skip("the test process is not dumpable")
    script = """
        import os, sys
        from console import coredump
        result = coredump.enable() if sys.argv[1] == "on" else coredump.disable()
        os.abort()
    """
    for want, expect_core in (("off", False), ("on", True)):
        where = tmp_path / want
        where.mkdir()
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(script), want], cwd=where, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == -6
        cores = [p.name for p in where.iterdir() if p.name.startswith(pattern)]
        assert bool(cores) == expect_core, (want, cores)


# ----------------------------------------------------------- patterns (fake /proc)


def test_piped_pattern_names_the_program(tmp_path):
    proc = fake_proc(tmp_path, "|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h")
    state = coredump.read_state(proc)
    assert state.pipe_program == "/usr/lib/systemd/systemd-coredump"
    text = "\n".join(state.explain())
    assert "pipes dumps to /usr/lib/systemd/systemd-coredump" in text and "coredumpctl list" in text
    assert "does not enforce the soft limit" in text and "(%c)" in text
    off = coredump.disable(proc)
    assert off.ok
    assert any("still handed to /usr/lib/systemd/systemd-coredump" in note for note in off.notes)


def test_piped_pattern_without_soft_limit_argument(tmp_path):
    state = coredump.read_state(fake_proc(tmp_path, "|/usr/share/apport/apport %p %s"))
    assert state.pipe_program == "/usr/share/apport/apport"
    assert any("does not pass it the soft limit" in line for line in state.explain())


def test_relative_pattern_means_working_directory(tmp_path):
    requires_dumpable()
    proc = fake_proc(tmp_path, "core", uses_pid=1)
    state = coredump.read_state(proc)
    assert state.pipe_program is None and state.core_uses_pid == 1
    line = next(line for line in state.explain() if "current directory" in line)
    assert os.getcwd() in line and ".<pid> appended" in line
    assert coredump.enable(proc).ok


def test_absolute_pattern(tmp_path):
    state = coredump.read_state(fake_proc(tmp_path, "/var/crash/core.%e.%p"))
    assert any("'/var/crash/core.%e.%p'" in line and "must exist" in line for line in state.explain())
    assert state.destination == "/var/crash"


def test_empty_pattern_blocks_dumps(tmp_path):
    proc = fake_proc(tmp_path, "")
    result = coredump.enable(proc)
    assert result.before.core_pattern == ""
    assert not result.ok
    assert any("core pattern is empty" in reason for reason in result.reasons)
    assert result.after.soft == resource.getrlimit(resource.RLIMIT_CORE)[0]


def test_empty_pattern_with_core_uses_pid_gives_hidden_files(tmp_path):
    requires_dumpable()
    proc = fake_proc(tmp_path, "", uses_pid=1)
    assert any("hidden file named .<pid>" in line for line in coredump.read_state(proc).explain())
    assert coredump.enable(proc).ok


def test_unreadable_pattern_is_a_reason(tmp_path):
    proc = fake_proc(tmp_path, None)
    result = coredump.enable(proc)
    assert result.after.core_pattern is None
    assert not result.ok
    assert any("could not be read" in reason for reason in result.reasons)


def test_suid_dumpable_meaning(tmp_path):
    lines = coredump.read_state(fake_proc(tmp_path, "core", suid=2)).explain()
    assert any(line.startswith("fs.suid_dumpable is 2") and "root only" in line for line in lines)


# --------------------------------------------------------------------- wording


def test_limits_are_shown_in_human_units():
    assert coredump.human_size(INF) == "unlimited"
    assert coredump.human_size(0) == "0 bytes"
    assert coredump.human_size(4096) == "4 KiB"
    assert coredump.human_size(1536) == "1.5 KiB"
    assert coredump.human_size(5 * 1024**3) == "5 GiB"


def test_state_text_for_on_and_off():
    base = dict(core_pattern="core", pipe_program=None, suid_dumpable=0, dumpable=True, dump_mode=1,
                core_uses_pid=0, cwd="/srv", destination="/srv")
    on = coredump.CoreDumpState(soft=INF, hard=INF, **base)
    assert on.enabled and coredump.verdict(on).word == "ON"
    assert "soft limit unlimited, hard limit unlimited" in on.explain()[0]
    off = coredump.CoreDumpState(soft=0, hard=INF, **base)
    assert not off.enabled
    assert off.explain()[0] == "Core dumps are off: soft limit 0 (hard limit unlimited, so they can be turned on)."
    stuck = coredump.CoreDumpState(soft=0, hard=0, **base)
    assert "CAP_SYS_RESOURCE" in stuck.explain()[0]
