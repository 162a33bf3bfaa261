"""Core-dump state of this process, and switching dumps on and off.

Everything here is read from the live system (``resource``, ``/proc`` and
``prctl``) and every change is read back afterwards, so the settings screen never
reports a state the process did not reach (see DESIGN.md, "Core dumps").

Facts this module relies on (core(5), prctl(2), proc(5)):

* RLIMIT_CORE's soft limit caps the size of a core file; 0 means none is written.
  An unprivileged process may move its soft limit anywhere up to the hard limit
  and may lower the hard limit, but raising the hard limit needs CAP_SYS_RESOURCE.
  We never lower the hard limit: that could not be undone without privileges.
* ``/proc/sys/kernel/core_pattern`` names the core file. A relative pattern is
  resolved against the crashing process's working directory; a pattern starting
  with ``|`` pipes the dump to a program, and the kernel then does not enforce
  RLIMIT_CORE (except that a soft limit of exactly 1 aborts a piped dump).
* A process that is not "dumpable" (``prctl(PR_GET_DUMPABLE)`` is 0) writes no
  dump at all, whatever its limits.
* A core file is created with the crashing process's own credentials: no file at
  all when its directory is missing or not writable by that user, or when a file
  of that name cannot be replaced (a directory, or another user's file in a sticky
  directory). Root bypasses these checks, so only a normal user meets them.
* A soft limit below one page writes no file; any other limit cuts the file short
  at the limit. Every dump holds at least the process's private anonymous memory
  (resident and swapped out), so a limit below that is a dump cut short.

Checked on Linux 6.18 by crashing children as ``nobody`` (tests/test_coredump_user.py).
"""

from __future__ import annotations

import ctypes
import errno
import math
import os
import pwd
import resource
from dataclasses import dataclass, field
from pathlib import Path

from console import coredump_destination
from console.coredump_destination import read_text

PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4

CREDENTIALS_NOTE = (
    "A core dump is a copy of the process's memory: it can contain database passwords, "
    "connection URIs and rows of data. Keep dump files as private as the databases themselves."
)

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


# --------------------------------------------------------------------------- state


@dataclass(frozen=True)
class CoreDumpState:
    """One reading of everything that decides whether and where a core dump is written."""

    soft: int
    hard: int
    core_pattern: str | None
    pipe_program: str | None
    suid_dumpable: int | None
    dumpable: bool | None
    # Raw PR_GET_DUMPABLE value: 0 not dumpable, 1 dumpable, 2 dumpable readable by root only.
    dump_mode: int | None = None
    core_uses_pid: int | None = None
    cwd: str | None = None
    # The effective user, by name, as messages address the operator.
    user: str | None = None
    # Where a core file would be created, and why it cannot be (None: nothing found against it).
    destination: str | None = None
    destination_problem: str | None = None
    # Bytes every dump of this process holds at least (its private anonymous memory); None when unknown.
    memory_floor: int | None = None
    page_size: int = 4096

    @property
    def enabled(self) -> bool:
        """True when the soft limit is not 0 (a dump may still not be written, see :func:`verdict`)."""
        return self.soft != 0

    def explain(self) -> list[str]:
        """Human sentences describing this state, for the settings screen."""
        return describe(self)


def human_size(value: int) -> str:
    """A limit as text: ``unlimited``, ``0 bytes``, ``4 KiB``, ``1.5 MiB``."""
    if value == resource.RLIM_INFINITY:
        return "unlimited"
    if value < 1024:
        return f"{value} byte" if value == 1 else f"{value} bytes"
    size, index = value / 1024, 0
    while size >= 1024 and index < len(_UNITS) - 1:
        size, index = size / 1024, index + 1
    text = f"{size:.1f}".removesuffix(".0")
    return f"{text} {_UNITS[index]}"


def _read_int(path: Path) -> int | None:
    text = read_text(path)
    try:
        return int(text.strip()) if text is not None else None
    except ValueError:
        return None


def _pipe_program(pattern: str | None) -> str | None:
    if pattern is None or not pattern.startswith("|"):
        return None
    words = pattern[1:].split()
    return words[0] if words else ""


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def get_dump_mode() -> int | None:
    """``prctl(PR_GET_DUMPABLE)`` for this process, or None when it cannot be asked."""
    libc = _libc()
    prctl = getattr(libc, "prctl", None)
    if prctl is None:
        return None
    zero = ctypes.c_ulong(0)
    mode = prctl(ctypes.c_int(PR_GET_DUMPABLE), zero, zero, zero, zero)
    return None if mode < 0 else int(mode)


def read_state(proc_root: str | os.PathLike[str] = "/proc") -> CoreDumpState:
    """Read limits, the kernel's core pattern and dumpability right now.

    *proc_root* only redirects the ``/proc/sys`` files (tests use a fake tree);
    limits and dumpability always come from this process.
    """
    root = Path(proc_root)
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    text = read_text(root / "sys/kernel/core_pattern")
    # The kernel ends the file with one newline; spaces may be part of the pattern.
    pattern = text.removesuffix("\n") if text is not None else None
    mode = get_dump_mode()
    try:
        cwd: str | None = os.getcwd()
    except OSError:
        cwd = None
    uses_pid = _read_int(root / "sys/kernel/core_uses_pid")
    user = _user_name()
    destination, problem = coredump_destination.destination(pattern, cwd, uses_pid, user)
    return CoreDumpState(
        soft=soft,
        hard=hard,
        core_pattern=pattern,
        pipe_program=_pipe_program(pattern),
        suid_dumpable=_read_int(root / "sys/fs/suid_dumpable"),
        dumpable=None if mode is None else mode != 0,
        dump_mode=mode,
        core_uses_pid=uses_pid,
        cwd=cwd,
        user=user,
        destination=destination,
        destination_problem=problem,
        memory_floor=coredump_destination.memory_floor(),
        page_size=resource.getpagesize(),
    )


def _user_name() -> str:
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def read_proc_limits(pid: int, proc_root: str | os.PathLike[str] = "/proc") -> tuple[int, int]:
    """(soft, hard) RLIMIT_CORE of *pid* as the kernel reports it in ``/proc/<pid>/limits``.

    ``unlimited`` becomes ``resource.RLIM_INFINITY``. Raises OSError if the file is
    unreadable and ValueError if it has no "Max core file size" line.
    """
    text = (Path(proc_root) / str(pid) / "limits").read_text(encoding="ascii")
    for line in text.splitlines():
        if line.startswith("Max core file size"):
            words = line[len("Max core file size") :].split()
            return _parse_limit(words[0]), _parse_limit(words[1])
    raise ValueError(f"no 'Max core file size' line in /proc/{pid}/limits")


def _parse_limit(word: str) -> int:
    return resource.RLIM_INFINITY if word == "unlimited" else int(word)


# ------------------------------------------------------------------- explanations


def _is_pipe(state: CoreDumpState) -> bool:
    return state.pipe_program is not None


def _suid_dumpable_text(value: int | None) -> str | None:
    meanings = {
        0: "processes that changed user or group ID, or run set-user-ID programs, write no dump",
        1: "every process may write a dump (debug mode)",
        2: (
            "processes that changed user or group ID dump readable by root only, and only with an "
            "absolute or piped core pattern"
        ),
    }
    if value is None:
        return None
    return f"fs.suid_dumpable is {value}: " + meanings.get(value, "an unknown setting")


NO_FILE, CUT, UNKNOWN = "no file", "cut short", "unknown"


def _file_pattern(state: CoreDumpState) -> bool:
    """True when the kernel itself writes a core file (not a pipe, not an empty pattern)."""
    pattern = state.core_pattern
    return pattern is not None and not _is_pipe(state) and (pattern != "" or bool(state.core_uses_pid))


def _problems(state: CoreDumpState) -> list[tuple[str, str]]:
    """(kind, sentence) for everything that stops a crash from writing a whole dump. A soft limit of 0 is not
    among them (that is "off"); everything else is, each with what to do."""
    found: list[tuple[str, str]] = []
    if state.dumpable is False:
        found.append((NO_FILE, (
            "This process is not dumpable (prctl PR_GET_DUMPABLE returns 0), so the kernel writes no core dump "
            "whatever the limit. This follows a change of user or group ID (with fs.suid_dumpable 0) or an "
            "explicit prctl(PR_SET_DUMPABLE, 0).")))
    pattern = state.core_pattern
    if pattern is None:
        found.append((UNKNOWN, (
            "The kernel's core pattern (/proc/sys/kernel/core_pattern) could not be read, so whether and where "
            "a dump would be written is unknown.")))
    elif pattern == "" and not state.core_uses_pid:
        found.append((NO_FILE, "The kernel's core pattern is empty (and core_uses_pid is 0): no core file is written."))
    elif state.pipe_program == "":
        found.append((NO_FILE, "The kernel's core pattern is a pipe with no program after '|': no dump can be "
                               "delivered."))
    elif _is_pipe(state) and state.soft == 1:
        found.append((NO_FILE, "A soft limit of exactly 1 byte makes the kernel abort dumps piped to a program."))
    elif state.dump_mode == 2 and not _is_pipe(state) and not pattern.startswith("/"):
        found.append((NO_FILE, (
            f"This process dumps in 'suidsafe' mode (PR_GET_DUMPABLE 2), which needs an absolute or piped core "
            f"pattern; with the relative pattern {pattern!r} the kernel writes no dump.")))
    if not _file_pattern(state):
        return found
    if state.destination_problem is not None:
        found.append((NO_FILE, state.destination_problem))
    elif state.destination is None:
        found.append((UNKNOWN, (
            f"The directory of the core pattern {pattern!r} depends on the crash itself (a %-specifier known only "
            "then), so rowdesk cannot check that it exists and is writable by you.")))
    found += _size_problems(state)
    return found


def _size_problems(state: CoreDumpState) -> list[tuple[str, str]]:
    soft, floor = state.soft, state.memory_floor
    if soft in (0, resource.RLIM_INFINITY):
        return []
    if soft < state.page_size:
        return [(NO_FILE, (f"The soft limit {human_size(soft)} is smaller than one page "
                           f"({human_size(state.page_size)}): the kernel writes no core file at all. "
                           + _raise_hint(state)))]
    if floor is not None and soft < floor:
        return [(CUT, (f"The soft limit {human_size(soft)} is smaller than this process: it holds at least "
                       f"{human_size(floor)} of private memory (resident and swapped out), which a core dump must "
                       f"contain, so a dump would be cut short at {human_size(soft)}, of little use to a debugger. "
                       + _raise_hint(state)))]
    return []


def _raise_hint(state: CoreDumpState) -> str:
    hard, floor = state.hard, state.memory_floor or state.page_size
    if hard == resource.RLIM_INFINITY or hard >= max(floor, state.page_size):
        return f"Press t to raise the soft limit to the hard limit ({human_size(hard)})."
    return (f"The hard limit ({human_size(hard)}) is too small as well, and only a privileged process "
            "(CAP_SYS_RESOURCE) can raise it: start rowdesk from a shell whose `ulimit -Hc` is larger (unlimited).")


@dataclass(frozen=True)
class Verdict:
    """What a crash right now would leave, in one word for the State row, and every reason it is not ON."""

    word: str        # ON, OFF, NOT WRITTEN, CUT SHORT, PIPED (to a program), UNKNOWN
    written: bool    # True only when the kernel would write a whole core file
    reasons: list[str]


def verdict(state: CoreDumpState) -> Verdict:
    """ON only when a crash now would really write a whole core file; otherwise the word and the reasons."""
    problems = _problems(state)
    reasons = [text for _, text in problems]
    kinds = {kind for kind, _ in problems}
    told_limit = _is_pipe(state) and "%c" in (state.core_pattern or "")
    if state.soft == 0 and (not _is_pipe(state) or told_limit):
        return Verdict("OFF", False, reasons)
    for kind, word in ((NO_FILE, "NOT WRITTEN"), (CUT, "CUT SHORT"), (UNKNOWN, "UNKNOWN")):
        if kind in kinds:
            return Verdict(word, False, reasons)
    if _is_pipe(state):
        return Verdict("PIPED", False, reasons)
    return Verdict("ON", True, reasons)


def _limit_lines(state: CoreDumpState) -> list[str]:
    soft, hard = human_size(state.soft), human_size(state.hard)
    if state.enabled:
        head = f"The limits allow core dumps: soft limit {soft}, hard limit {hard}."
        if _file_pattern(state) and state.soft != resource.RLIM_INFINITY:
            head += f" A core file is cut short at {soft}."
        if _file_pattern(state) and state.memory_floor is not None:
            head += f" A dump of this process now holds at least {human_size(state.memory_floor)}."
        return [head]
    if state.hard == 0:
        return [(
            "Core dumps are off: soft and hard limits are 0. Turning them on needs a hard limit above 0, which "
            "only a privileged process (CAP_SYS_RESOURCE) can raise; start rowdesk from a shell whose "
            "`ulimit -Hc` is not 0."
        )]
    return [f"Core dumps are off: soft limit 0 (hard limit {hard}, so they can be turned on)."]


def _pipe_keeper(program: str) -> str:
    """Where the usual crash handlers keep what they are handed."""
    name = os.path.basename(program)
    if "systemd-coredump" in name:
        return ("systemd-coredump stores dumps as its /etc/systemd/coredump.conf says: list them with "
                "`coredumpctl list`, open one with `coredumpctl debug`")
    if "apport" in name:
        return "apport keeps crash reports in /var/crash, by default only for programs from distribution packages"
    if "abrt" in name:
        return "ABRT keeps them in /var/spool/abrt (`abrt-cli list`)"
    return "that program decides whether and where a dump is stored"


def _pattern_lines(state: CoreDumpState) -> list[str]:
    pattern = state.core_pattern
    if pattern is None or (pattern == "" and not state.core_uses_pid) or state.pipe_program == "":
        return []  # said by verdict()
    if pattern == "":
        return [("The core pattern is empty with core_uses_pid 1: a core file is a hidden file named .<pid> in the "
                 f"crashing process's current directory ({state.cwd}).")]
    if state.pipe_program is not None:
        limit = (
            "the pattern passes the soft limit to it (%c), so it can honour a limit of 0"
            if "%c" in pattern
            else "the pattern does not pass it the soft limit (%c)"
        )
        return [
            (f"The core pattern pipes dumps to {state.pipe_program}: the kernel writes no core file itself but "
             f"hands the dump to that program; {_pipe_keeper(state.pipe_program)}."),
            f"The kernel does not enforce the soft limit for piped dumps; {limit}.",
        ]
    suffix = ""
    if state.core_uses_pid and "%p" not in pattern:
        suffix = " with .<pid> appended"
    if pattern.startswith("/"):
        return [f"The core pattern {pattern!r}{suffix} names the core file; its directory must exist and be "
                "writable by you."]
    where = f" ({state.cwd})" if state.cwd else ""
    return [f"The core pattern {pattern!r}{suffix} is relative: the core file goes to the crashing process's "
            f"current directory{where}, which must be writable by you."]


def describe(state: CoreDumpState) -> list[str]:
    """The state as sentences: limits and where dumps go. What stops them is :func:`verdict`'s."""
    lines = _limit_lines(state) + _pattern_lines(state)
    if state.dump_mode == 2:
        lines.append("This process dumps in 'suidsafe' mode: a dump file is readable by root only.")
    if state.dumpable is None:
        lines.append("Whether this process is dumpable could not be determined (prctl unavailable).")
    suid = _suid_dumpable_text(state.suid_dumpable)
    if suid:
        lines.append(suid + ".")
    return lines


# ------------------------------------------------------------------------ changes


@dataclass(frozen=True)
class ChangeResult:
    """What was asked, the state before and the state read back after, and why it fell short."""

    requested: str  # "on" or "off"
    before: CoreDumpState
    after: CoreDumpState
    ok: bool
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    target_soft: int = 0

    def summary(self) -> str:
        soft = human_size(self.after.soft)
        if self.requested == "off":
            if self.ok:
                return "Core dumps are off (soft limit 0)."
            return f"Core dumps could not be turned off (soft limit is {soft})."
        if self.after.soft == 0 or self.after.soft != self.target_soft:
            return f"Core dumps could not be turned on (soft limit is {soft})."
        word = verdict(self.after).word
        if word == "ON":
            return f"Core dumps are on (soft limit {soft})."
        if word == "PIPED":
            return f"Soft limit {soft}: crashes are handed to {self.after.pipe_program}, which decides what is kept."
        outcome = {"NOT WRITTEN": "a crash would write no core file", "CUT SHORT": "a core dump would be cut short"}
        outcome_text = outcome.get(word, "whether a crash writes a core file is unknown")
        return f"The soft limit is now {soft}, but {outcome_text}."

    def lines(self) -> list[str]:
        """Summary, then the reasons, then the notes: ready to show as they are."""
        return [self.summary(), *self.reasons, *self.notes]


def _as_number(limit: int) -> float:
    return math.inf if limit == resource.RLIM_INFINITY else float(limit)


def _refusal(error: Exception, target: int, hard: int) -> str:
    text = f"The system refused to set the soft limit to {human_size(target)}: {error}."
    # Python's resource module reports EPERM as ValueError("not allowed to raise maximum limit").
    not_permitted = isinstance(error, PermissionError) or getattr(error, "errno", None) == errno.EPERM
    if not_permitted or "not allowed" in str(error):
        text += (
            f" Not permitted: that needs raising the hard limit from {human_size(hard)}, which requires "
            "privileges (CAP_SYS_RESOURCE)."
        )
    return text


def _reasons_on(after: CoreDumpState, target: int) -> list[str]:
    reasons: list[str] = []
    if after.soft != target:
        reasons.append(f"Read back after the change, the soft limit is {human_size(after.soft)}, "
                       f"not {human_size(target)}.")
    if target == 0 and after.hard == 0:
        reasons.append(_limit_lines(after)[0])
    return reasons + verdict(after).reasons


def _notes_on(after: CoreDumpState) -> list[str]:
    notes = _pattern_lines(after)
    if after.soft != 0 and after.hard != resource.RLIM_INFINITY and _file_pattern(after):
        notes.append(f"The hard limit is {human_size(after.hard)}: dumps larger than that are cut short.")
    return notes + [CREDENTIALS_NOTE]


def _notes_off(after: CoreDumpState) -> list[str]:
    if after.pipe_program:
        return [(
            f"Crashes are still handed to {after.pipe_program}: the kernel does not enforce the soft limit for "
            "piped dumps, so whether that program keeps a dump is up to it."
        )]
    return []


def set_soft_limit(target: int, proc_root: str | os.PathLike[str] = "/proc") -> ChangeResult:
    """Set RLIMIT_CORE's soft limit to *target*, raising (never lowering) the hard limit if needed.

    Raising the hard limit needs privileges; a refusal is reported in ``reasons``.
    """
    return _change("off" if target == 0 else "on", target, proc_root)


def _change(requested: str, target: int, proc_root: str | os.PathLike[str]) -> ChangeResult:
    before = read_state(proc_root)
    new_hard = before.hard if _as_number(target) <= _as_number(before.hard) else target
    reasons: list[str] = []
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (target, new_hard))
    except (ValueError, OSError) as error:
        reasons.append(_refusal(error, target, before.hard))
    after = read_state(proc_root)
    if requested == "off":
        if after.soft != 0:
            reasons.append(f"Read back after the change, the soft limit is {human_size(after.soft)}, not 0.")
        notes = _notes_off(after)
    else:
        reasons += _reasons_on(after, target)
        notes = _notes_on(after)
    return ChangeResult(requested, before, after, ok=not reasons, reasons=reasons, notes=notes, target_soft=target)


def enable(proc_root: str | os.PathLike[str] = "/proc") -> ChangeResult:
    """Turn core dumps on: raise the soft limit to the hard limit (as far as permitted)."""
    # "On" with a hard limit of 0 targets 0 and is reported as not reached.
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    return _change("on", hard, proc_root)


def disable(proc_root: str | os.PathLike[str] = "/proc") -> ChangeResult:
    """Turn core dumps off: soft limit 0, hard limit untouched so they can be turned on again."""
    return set_soft_limit(0, proc_root)


def toggle_raises(state: CoreDumpState) -> bool:
    """What ``t`` does in *state*: True to turn dumps on (soft limit raised to the hard limit), False to turn them
    off. A soft limit too small for this process counts as not on, as long as it can still be raised."""
    return state.soft == 0 or (state.soft != state.hard and bool(_size_problems(state)))


def toggle(proc_root: str | os.PathLike[str] = "/proc") -> ChangeResult:
    """The settings screen's ``t``: see :func:`toggle_raises`."""
    return enable(proc_root) if toggle_raises(read_state(proc_root)) else disable(proc_root)


def apply_at_start(want_on: bool, proc_root: str | os.PathLike[str] = "/proc") -> ChangeResult:
    """Apply ``--dump-core`` or the ``[core] dump`` preference when rowdesk starts."""
    return enable(proc_root) if want_on else disable(proc_root)
