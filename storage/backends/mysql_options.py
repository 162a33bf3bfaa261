"""The login a MySQL option file gives: `[client]` `user` and `password` of `~/.my.cnf`, as the mysql client
reads them (https://mariadb.com/kb/en/configuring-mariadb-with-option-files/).

What the URI says comes first; the file fills in what it leaves out. Only `[client]` is read (the group every
client program reads), only these two options, and only from the operator's own file: host, port and database
are the URI's. A file that others may write is ignored, as the mysql client ignores it. Nothing here is ever
logged: a line that cannot be read is skipped without a word, since it may be a password.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

GROUP = "client"
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "r": "\r", "\\": "\\", "s": " ", '"': '"', "'": "'"}


@dataclass(frozen=True)
class Login:
    user: str | None = None
    password: str | None = field(default=None, repr=False)


def option_file() -> Path:
    return Path.home() / ".my.cnf"


def read_login(path: Path | None = None) -> Login:
    """The `[client]` user and password of *path* (default ~/.my.cnf); an empty Login when there is none."""
    path = option_file() if path is None else path
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            if os.fstat(f.fileno()).st_mode & stat.S_IWOTH:
                return Login()                   # world-writable: anyone could have put a login here
            text = f.read()
    except OSError:
        return Login()
    return parse_login(text)


def parse_login(text: str) -> Login:
    found: dict[str, str] = {}
    group = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;!":          # comments, !include and !includedir
            continue
        if line.startswith("["):
            group = line[1:line.find("]")].strip().lower() if "]" in line else None
            continue
        if group != GROUP:
            continue
        name, has_value, value = line.partition("=")
        name = name.strip().lower().replace("_", "-")
        if name in ("user", "password") and has_value:
            found[name] = _value(value.strip())
    return Login(found.get("user"), found.get("password"))


def _value(raw: str) -> str:
    """An option's value: quoted ('…' or "…", escapes inside), or up to a `#` comment, spaces stripped."""
    if raw[:1] in ("'", '"'):
        quote, out, i = raw[0], [], 1
        while i < len(raw) and raw[i] != quote:
            if raw[i] == "\\" and i + 1 < len(raw):
                i += 1
                out.append(_ESCAPES.get(raw[i], "\\" + raw[i]))
            else:
                out.append(raw[i])
            i += 1
        return "".join(out)
    return raw.split("#", 1)[0].strip()
