"""Where the kernel would write this process's core file, what would stop it there, and how large a dump of
this process is at least.

The kernel creates a core file with the crashing process's own credentials, after
removing any file of that name, so it writes nothing when the directory is
missing or not writable by that user, or when the old file cannot be removed (a
directory, or another user's file in a sticky directory). Root bypasses these
checks: only a normal user meets them. Checked on Linux 6.18 by crashing children
as ``nobody`` (tests/test_coredump_user.py).
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


# Specifiers whose value is already known before the crash (core(5)); others (%t, %s, ...) are not.
def _known_specifiers() -> dict[str, str]:
    pid = str(os.getpid())
    comm = read_text(Path("/proc/self/comm")) or ""
    return {"%": "%", "p": pid, "P": pid, "u": str(os.geteuid()), "g": str(os.getegid()),
            "h": socket.gethostname(), "e": comm.strip()}


def _expand(text: str) -> str | None:
    """*text* with its %-specifiers filled in, or None if one of them is known only at the crash."""
    known, out, chars = _known_specifiers(), [], iter(text)
    for char in chars:
        if char != "%":
            out.append(char)
            continue
        value = known.get(next(chars, ""))
        if value is None:
            return None
        out.append(value)
    return "".join(out)


def destination(pattern: str | None, cwd: str | None, uses_pid: int | None,
                 user: str) -> tuple[str | None, str | None]:
    """(directory a core file goes to, why the kernel cannot create it there) for a file pattern.

    (None, None) for a pipe, for no pattern, and when the directory depends on the crash itself.
    """
    if pattern is None or pattern.startswith("|") or (pattern == "" and not uses_pid):
        return None, None
    head, name = os.path.split(pattern)
    directory = _expand(head)
    if directory is None:
        return None, None
    relative = not pattern.startswith("/")
    if relative:
        if cwd is None:
            return None, ("The current directory no longer exists (it was removed after rowdesk started), so the "
                          f"kernel writes no core file (the core pattern {pattern!r} is relative). "
                          + _ADVICE_RELATIVE)
        directory = os.path.join(cwd, directory) if directory else cwd
    problem = _directory_problem(directory, user)
    if problem is not None:
        where = f" (the core pattern {pattern!r} is relative: dumps go to the current directory)" if relative else ""
        return directory, f"{problem}, so the kernel writes no core file there{where}. " + (
            _ADVICE_RELATIVE if relative else _ADVICE_ABSOLUTE)
    if name and "%" not in name and not uses_pid:
        return directory, _name_problem(directory, name)
    return directory, None


_ADVICE_RELATIVE = ("Start rowdesk from a directory you can write to (for example `cd ~` first), or ask the "
                    "administrator for an absolute core pattern (kernel.core_pattern=/var/tmp/core.%e.%p) or "
                    "systemd-coredump.")
_ADVICE_ABSOLUTE = ("Ask the administrator to make that directory writable by the users who run rowdesk (sticky, "
                    "like /tmp), or to change kernel.core_pattern.")


def _directory_problem(directory: str, user: str) -> str | None:
    if not os.path.isdir(directory):
        what = "is not a directory" if os.path.lexists(directory) else "does not exist"
        return f"{directory} {what}"
    # The kernel creates the file with the process's own credentials: ask with the effective IDs.
    if os.access(directory, os.W_OK | os.X_OK, effective_ids=True):
        return None
    try:
        read_only = bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return f"{directory} is on a read-only file system" if read_only else f"{directory} is not writable by you ({user})"


def _name_problem(directory: str, name: str) -> str | None:
    """Why an existing file of that name stops the kernel, which removes it first and then creates a new one."""
    path = os.path.join(directory, name)
    try:
        info, parent = os.lstat(path), os.stat(directory)
    except OSError:
        return None
    if os.path.isdir(path) and not os.path.islink(path):
        return (f"{path} is a directory, which the kernel cannot replace by a core file: no core file is written. "
                "Remove or rename it, or start rowdesk from another directory.")
    euid = os.geteuid()
    if parent.st_mode & stat.S_ISVTX and euid not in (0, info.st_uid, parent.st_uid):
        return (f"{path} already exists, belongs to another user, and {directory} is sticky (like /tmp): the "
                "kernel can neither remove it nor create a new core file. Ask its owner to remove it, or start "
                "rowdesk from another directory.")
    return None


def memory_floor() -> int | None:
    """Private anonymous memory, resident and swapped out: every core dump holds at least that."""
    try:
        dumped = int(read_text(Path("/proc/self/coredump_filter")) or "0", 16)
    except ValueError:
        return None
    if not dumped & 1:      # bit 0: anonymous private mappings are dumped
        return None
    fields = {}
    for line in (read_text(Path("/proc/self/status")) or "").splitlines():
        name, _, value = line.partition(":")
        if name in ("RssAnon", "VmSwap") and value.strip().endswith("kB"):
            fields[name] = int(value.split()[0]) * 1024
    return sum(fields.values()) if "RssAnon" in fields else None
