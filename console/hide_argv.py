"""Taking a password out of this process's command line, as `ps` and /proc/PID/cmdline show it.

An operator may type `rowdesk postgres://bob:secret@db/shop`: the password is then in argv, which every
user of the machine can read for as long as the process runs. The kernel shows the memory where the
process's arguments were put at start (between arg_start and arg_end of /proc/self/stat), which the process
can write: the password's bytes are overwritten there in place, the length kept.
"""

from __future__ import annotations

import ctypes

MASK = b"*"


def hide(secret: str) -> bool:
    """Overwrite every occurrence of *secret* (and its %-encoded form) in the process's command line as the
    kernel shows it; True when the command line no longer holds it."""
    if not secret:
        return True
    from urllib.parse import quote

    forms = {secret.encode(), quote(secret, safe="").encode(), quote(secret).encode()}
    try:
        with open("/proc/self/cmdline", "rb") as f:
            shown = f.read()
    except OSError:
        return False
    if not any(form in shown for form in forms):
        return True
    # The arguments as the kernel placed them: one block of NUL-ended strings starting at argv[0]'s address.
    # /proc/self/stat field 48 (arg_start) gives that address on Linux.
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[45]), int(fields[46])        # arg_start, arg_end (fields 48 and 49)
    except (OSError, IndexError, ValueError):
        return False
    length = end - start
    block = (ctypes.c_char * length).from_address(start)
    data = bytearray(block.raw)
    for form in forms:
        at = data.find(form)
        while at != -1:
            data[at:at + len(form)] = MASK * len(form)
            at = data.find(form, at + len(form))
    ctypes.memmove(start, bytes(data), length)
    with open("/proc/self/cmdline", "rb") as f:
        return not any(form in f.read() for form in forms)
