"""Operator preferences, read from ``console.paths.config_file()`` (TOML).

Schema (every key is optional)::

    [core]
    dump = false            # turn core dumps on (true) or off (false) when rowdesk starts

    [ui]
    theme = "dark"          # dark | light | mono. A non-empty NO_COLOR environment variable
                            # forces mono, unless --theme was given on the command line.

    [connections.NAME]      # one table per saved connection; NAME is what the operator picks
    uri = "postgres://user@host/db"   # required. Must not contain a password: an entry whose
                                      # uri holds one is rejected (with a message) and ignored.
    password_env = "PGPASS_PROD"      # optional: environment variable holding the password
    read_only = true                  # optional, default false

Passwords come from ``password_env``, else from a ``.pgpass``-style file
(``PGPASSFILE`` or ``~/.pgpass``), else the caller prompts.

:func:`load` never raises for bad content: each problem becomes a message naming
the file and line, the offending value falls back to its default and everything
valid is kept. :func:`save_dump_core` is the only writer; it edits the single
``[core] dump`` line and leaves the rest of the file byte-for-byte as it was.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from console import paths, themes
from storage.secrets import mask_secrets

THEMES = tuple(themes.THEMES)
DEFAULT_THEME = themes.DEFAULT

_KNOWN_TOP = ("core", "ui", "connections")
_KNOWN_CORE = ("dump",)
_KNOWN_UI = ("theme",)
_KNOWN_CONNECTION = ("uri", "password_env", "read_only")
_DEFAULT_PORTS = {"postgres": "5432", "postgresql": "5432", "pgsql": "5432", "mysql": "3306"}


class PreferencesError(ValueError):
    """A request the preferences cannot satisfy; the message is meant for the operator."""


@dataclass(frozen=True)
class SavedConnection:
    name: str
    uri: str
    password_env: str | None = None
    read_only: bool = False


@dataclass(frozen=True)
class Preferences:
    dump_core: bool = False
    theme: str = DEFAULT_THEME
    connections: dict[str, SavedConnection] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadResult:
    prefs: Preferences
    problems: list[str]
    path: Path


# ------------------------------------------------------------------ line numbers

_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\]|\\.)*"'
_LITERAL = r"'[^']*'"
_KEY_PART = rf"(?:{_BARE}|{_BASIC}|{_LITERAL})"
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER_RE = re.compile(rf"^\s*\[\[?\s*(?P<key>{_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_KEYVAL_RE = re.compile(rf"^\s*(?P<key>{_DOTTED})\s*=")
_PART_RE = re.compile(_KEY_PART)


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = []
    for raw in _PART_RE.findall(dotted):
        if raw.startswith('"'):
            try:
                raw = json.loads(raw)  # TOML basic-string escapes are close enough to JSON's
            except ValueError:
                raw = raw[1:-1]
        elif raw.startswith("'"):
            raw = raw[1:-1]
        parts.append(raw)
    return tuple(parts)


class _Lines:
    """Where each table header and key sits in the raw text.

    tomllib gives values but not positions, so this scans lines. It understands
    headers, dotted and quoted keys and skips multi-line strings; that is enough
    for hand-written config files, and a miss only costs the line number.
    """

    def __init__(self, text: str) -> None:
        self._where: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        in_multiline = False
        for number, line in enumerate(text.splitlines(), start=1):
            quotes = line.count('"""') + line.count("'''")
            if in_multiline:
                in_multiline = quotes % 2 == 0
                continue
            header = _HEADER_RE.match(line)
            if header:
                table = _split_key(header["key"])
                self._where.setdefault(table, number)
                continue
            keyval = _KEYVAL_RE.match(line)
            if keyval:
                self._where.setdefault(table + _split_key(keyval["key"]), number)
            in_multiline = quotes % 2 == 1

    def line_of(self, *key: str) -> int | None:
        """Line of *key*, else of the closest enclosing table that was found."""
        for end in range(len(key), 0, -1):
            if key[:end] in self._where:
                return self._where[key[:end]]
        return None


# ------------------------------------------------------------------------- load


def display_path(path: Path) -> str:
    """*path* with the home directory written as ``~``, as operators know it."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class _Problems:
    def __init__(self, path: Path, lines: _Lines) -> None:
        self.items: list[str] = []
        self._where = display_path(path)
        self._lines = lines

    def add(self, key: tuple[str, ...], message: str) -> None:
        line = self._lines.line_of(*key) if key else None
        place = f"{self._where} line {line}" if line else self._where
        self.items.append(f"{place}: {message}")


def _dotted(key: tuple[str, ...]) -> str:
    return ".".join(key)


def _unknown_keys(table: Mapping[str, object], prefix: tuple[str, ...], known: tuple[str, ...],
                  problems: _Problems) -> None:
    for name in table:
        if name not in known:
            key = (*prefix, name)
            problems.add(key, f"unknown key '{_dotted(key)}' ignored (known here: {', '.join(known)})")


def _table(data: Mapping[str, object], name: str, problems: _Problems) -> dict[str, object]:
    value = data.get(name, {})
    if isinstance(value, dict):
        return value
    problems.add((name,), f"'{name}' must be a table like [{name}], not {_kind(value)}; ignored")
    return {}


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _bool(table: Mapping[str, object], key: tuple[str, ...], default: bool, problems: _Problems) -> bool:
    value = table.get(key[-1], default)
    if isinstance(value, bool):
        return value
    problems.add(key, f"{_dotted(key)} must be true or false, not {_kind(value)}; using {str(default).lower()}")
    return default


def _theme(ui: Mapping[str, object], problems: _Problems) -> str:
    value = ui.get("theme", DEFAULT_THEME)
    if value in THEMES:
        return str(value)
    shown = repr(value) if isinstance(value, str) else _kind(value)
    problems.add(("ui", "theme"), f"theme {shown} is not one of {', '.join(THEMES)}; using {DEFAULT_THEME}")
    return DEFAULT_THEME


def uri_has_password(uri: str) -> bool:
    """True when *uri* carries a password (in the user part or as a query option)."""
    return mask_secrets(uri) != uri


def _connection(name: str, entry: object, problems: _Problems) -> SavedConnection | None:
    key = ("connections", name)
    if not isinstance(entry, dict):
        problems.add(key, f"connection '{name}' must be a table like [connections.{name}]; entry ignored")
        return None
    _unknown_keys(entry, key, _KNOWN_CONNECTION, problems)
    uri = entry.get("uri")
    if not isinstance(uri, str) or not urlsplit(uri).scheme:
        problems.add((*key, "uri"), f"connection '{name}' needs uri = \"scheme://user@host/db\"; entry ignored")
        return None
    if uri_has_password(uri):
        problems.add((*key, "uri"), f"connection '{name}': the uri {mask_secrets(uri)} contains a password; "
                     "passwords must not be stored in clear text here (use password_env or ~/.pgpass); "
                     "entry ignored")
        return None
    password_env = entry.get("password_env")
    if password_env is not None and (not isinstance(password_env, str) or not password_env):
        problems.add((*key, "password_env"), f"connection '{name}': password_env must be the name of an "
                     f"environment variable, not {_kind(password_env)}; ignored")
        password_env = None
    read_only = _bool(entry, (*key, "read_only"), False, problems)
    return SavedConnection(name=name, uri=uri, password_env=password_env, read_only=read_only)


def _parse(data: dict[str, object], problems: _Problems) -> Preferences:
    _unknown_keys(data, (), _KNOWN_TOP, problems)
    core = _table(data, "core", problems)
    _unknown_keys(core, ("core",), _KNOWN_CORE, problems)
    ui = _table(data, "ui", problems)
    _unknown_keys(ui, ("ui",), _KNOWN_UI, problems)
    connections: dict[str, SavedConnection] = {}
    for name, entry in _table(data, "connections", problems).items():
        saved = _connection(name, entry, problems)
        if saved is not None:
            connections[name] = saved
    return Preferences(
        dump_core=_bool(core, ("core", "dump"), False, problems),
        theme=_theme(ui, problems),
        connections=connections,
    )


def _syntax_problem(path: Path, text: str, error: tomllib.TOMLDecodeError) -> str:
    message = str(error)
    found = re.search(r"\s*\(at line (\d+), column \d+\)$", message)
    if found:
        line = int(found[1])
        message = message[: found.start()]
    else:
        # "(at end of document)": the last line is where the parser gave up.
        message = re.sub(r"\s*\(at end of document\)$", " at end of file", message)
        line = max(1, len(text.splitlines()))
    return f"{display_path(path)} line {line}: TOML syntax error: {message}; using all defaults"


def load(path: Path | None = None) -> LoadResult:
    """Read the preferences file. A missing file gives the defaults and no problem."""
    path = Path(path) if path is not None else paths.config_file()
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return LoadResult(Preferences(), [], path)
    except (OSError, UnicodeDecodeError) as error:
        return LoadResult(Preferences(), [f"{display_path(path)}: cannot read ({error}); using all defaults"], path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return LoadResult(Preferences(), [_syntax_problem(path, text, error)], path)
    problems = _Problems(path, _Lines(text))
    prefs = _parse(data, problems)
    return LoadResult(prefs, problems.items, path)


def effective_theme(prefs: Preferences, cli_theme: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The theme to use: ``--theme`` wins, then a non-empty NO_COLOR (mono), then the preference."""
    if cli_theme:
        if cli_theme not in THEMES:
            raise PreferencesError(f"theme {cli_theme!r} is not one of {', '.join(THEMES)}")
        return cli_theme
    if environ.get("NO_COLOR"):
        return "mono"
    return prefs.theme


# -------------------------------------------------------------------- passwords


def default_pgpass_path(environ: Mapping[str, str] = os.environ) -> Path:
    """PGPASSFILE if set, else ``~/.pgpass`` (as libpq does)."""
    value = environ.get("PGPASSFILE")
    return Path(value) if value else Path.home() / ".pgpass"


def _pgpass_fields(line: str) -> list[str]:
    """Split a .pgpass line on ':' honouring ``\\:`` and ``\\\\`` escapes."""
    fields, current, chars = [], [], iter(line)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def _pgpass_key(uri: str) -> tuple[str, str, str, str]:
    parts = urlsplit(uri)
    try:
        port = str(parts.port) if parts.port else _DEFAULT_PORTS.get(parts.scheme.lower(), "")
    except ValueError:  # a malformed port: let only '*' lines match it
        port = ""
    return (parts.hostname or "localhost", port, parts.path.lstrip("/"), parts.username or "")


def _pgpass_usable(path: Path, problems: list[str] | None) -> bool:
    try:
        info = path.stat()
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        _note(problems, f"{display_path(path)} is not a regular file; ignored")
        return False
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        # Same rule and reason as libpq: a password file others can read is not trusted.
        _note(problems, f"{display_path(path)} has group or world access (mode {stat.filemode(info.st_mode)}); "
              "ignored, permissions should be u=rw (0600) or less")
        return False
    return True


def _note(problems: list[str] | None, message: str) -> None:
    if problems is not None:
        problems.append(message)


def read_pgpass(path: Path, uri: str, problems: list[str] | None = None) -> str | None:
    """The password of the first line of *path* matching *uri*'s host, port, database and user."""
    if not _pgpass_usable(path, problems):
        return None
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        _note(problems, f"{display_path(path)}: cannot read ({error})")
        return None
    wanted = _pgpass_key(uri)
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _pgpass_fields(line)
        if len(fields) < 5:
            continue
        if all(pattern in ("*", value) for pattern, value in zip(fields[:4], wanted, strict=True)):
            return ":".join(fields[4:])  # an unescaped ':' in the password is kept, as libpq does
    return None


def resolve_password(conn: SavedConnection, environ: Mapping[str, str] = os.environ,
                     pgpass_path: Path | None = None, problems: list[str] | None = None) -> str | None:
    """The password for *conn*: ``password_env``, else the pgpass file, else None (the caller prompts).

    Anything worth telling the operator (unset variable, unsafe pgpass) is appended to *problems*.
    """
    if conn.password_env:
        value = environ.get(conn.password_env)
        if value:
            return value
        _note(problems, f"connection '{conn.name}': environment variable {conn.password_env} (password_env) "
              "is not set")
    if pgpass_path is None:
        pgpass_path = default_pgpass_path(environ)
    return read_pgpass(Path(pgpass_path), conn.uri, problems)


def _with_password(uri: str, password: str) -> str:
    parts = urlsplit(uri)
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    netloc = f"{user}:{quote(password, safe='')}@{hostinfo}"
    return urlunsplit(parts._replace(netloc=netloc))


def connection_uri(name: str, prefs: Preferences, environ: Mapping[str, str] = os.environ,
                   pgpass_path: Path | None = None, problems: list[str] | None = None) -> tuple[str, str]:
    """(uri with the password filled in, the same uri masked for display) for a saved connection.

    When no password is found the uri is returned as saved; call :func:`resolve_password`
    to know whether to prompt. Raises PreferencesError for an unknown name.
    """
    conn = prefs.connections.get(name)
    if conn is None:
        known = ", ".join(sorted(prefs.connections)) or "none are saved"
        raise PreferencesError(f"no saved connection named {name!r} (known: {known})")
    password = resolve_password(conn, environ, pgpass_path, problems)
    uri = _with_password(conn.uri, password) if password else conn.uri
    return uri, mask_secrets(uri)


# ------------------------------------------------------------------------ write

_ANY_HEADER_RE = re.compile(r"^\s*\[")
_CORE_HEADER_RE = re.compile(r"^\s*\[\s*(?:core|\"core\"|'core')\s*\]\s*(?:#.*)?$", re.DOTALL)
_CORE = r"(?:core|\"core\"|'core')"
_DUMP = r"(?:dump|\"dump\"|'dump')"
# The value part also accepts a wrong value (e.g. "yes") so that saving repairs it.
_VALUE = r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s#]+)"
_DUMP_RE = re.compile(rf"^(?P<head>\s*{_DUMP}\s*=\s*){_VALUE}(?P<tail>.*)$", re.DOTALL)
_TOP_DUMP_RE = re.compile(rf"^(?P<head>\s*{_CORE}\s*\.\s*{_DUMP}\s*=\s*){_VALUE}(?P<tail>.*)$", re.DOTALL)
_INLINE_CORE_RE = re.compile(rf"^\s*{_CORE}\s*=")


def _edit_dump(lines: list[str], value: bool, newline: str) -> list[str]:
    """*lines* (with their endings) with ``[core] dump`` set to *value*; other lines untouched."""
    literal = "true" if value else "false"
    section, core_at = "top", None
    for index, line in enumerate(lines):
        if _ANY_HEADER_RE.match(line):
            if section == "core":
                break  # [core] ended without a dump key
            section = "core" if _CORE_HEADER_RE.match(line) else "other"
            core_at = index if section == "core" else core_at
            continue
        pattern = {"core": _DUMP_RE, "top": _TOP_DUMP_RE}.get(section)
        match = pattern.match(line) if pattern else None
        if match:
            return [*lines[:index], match["head"] + literal + match["tail"], *lines[index + 1:]]
        if section == "top" and _INLINE_CORE_RE.match(line):
            raise PreferencesError("core is written as an inline table in the config file; "
                                   "set 'dump' there by hand")
    if core_at is not None:
        return [*lines[: core_at + 1], f"dump = {literal}{newline}", *lines[core_at + 1:]]
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines = [*lines[:-1], lines[-1] + newline]
    separator = [newline] if lines and lines[-1].strip() else []
    return [*lines, *separator, f"[core]{newline}", f"dump = {literal}{newline}"]


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def save_dump_core(value: bool, path: Path | None = None) -> Path:
    """Remember ``[core] dump = value``; the only function that writes the preferences file.

    Only that one line changes (or is added); every other byte, comment included,
    is kept. Written through a temporary file and ``os.replace`` so a crash never
    leaves half a file. A symlinked config file is followed and its target
    replaced. Raises PreferencesError (file unchanged) if the file cannot be
    edited safely, OSError if it cannot be written. Returns the path written.
    """
    path = Path(path) if path is not None else paths.config_file()
    path = Path(os.path.realpath(path))
    try:
        original = path.read_bytes()
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        original, mode = b"", 0o600
    # surrogateescape keeps any non-UTF-8 byte exactly as it was.
    text = original.decode("utf-8", errors="surrogateescape")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PreferencesError(_syntax_problem(path, text, error).replace("; using all defaults",
                                                                          "; fix it before saving")) from None
    newline = "\r\n" if "\r\n" in text else "\n"
    edited = "".join(_edit_dump(text.splitlines(keepends=True), value, newline))
    try:
        check = tomllib.loads(edited).get("core", {}).get("dump")
    except (tomllib.TOMLDecodeError, AttributeError):
        check = None
    if check is not value:
        raise PreferencesError(f"{display_path(path)}: could not set [core] dump safely; edit it by hand")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, edited.encode("utf-8", errors="surrogateescape"), mode)
    return path
