"""Operator preferences, read from ``console.paths.config_file()`` (TOML).

Schema (every key is optional)::

    [core]
    dump = false            # turn core dumps on (true) or off (false) when rowdesk starts;
                            # without it rowdesk keeps the limit it was started with (ulimit -c)

    [ui]
    theme = "dark"          # dark | light | mono. A non-empty NO_COLOR environment variable
                            # forces mono, unless --theme was given on the command line.

    [connections.NAME]      # one table per saved connection; NAME is what the operator picks
    uri = "postgres://user@host/db"   # required. Must not contain a password: an entry whose
                                      # uri holds one is rejected (with a message) and ignored.
    password_env = "PGPASS_PROD"      # optional: environment variable holding the password
    read_only = true                  # optional, default false
    models = "shop.models"            # optional: the application's SQLObject classes (as --models)

Passwords come from ``password_env``, else, for PostgreSQL only, from the
``.pgpass`` file (``PGPASSFILE`` or ``~/.pgpass``, matched as libpq matches it),
else the caller prompts. A SQLite connection takes no password.

:func:`load` never raises for bad content: each problem becomes a message naming
the file and line, the offending value falls back to its default and everything
valid is kept. :func:`save_dump_core` is the only writer; it edits the single
``[core] dump`` line and leaves the rest of the file byte-for-byte as it was.
"""

from __future__ import annotations

import errno
import json
import os
import pwd
import re
import stat
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from console import paths, themes
from storage.secrets import mask_secrets

THEMES = tuple(themes.THEMES)
DEFAULT_THEME = themes.DEFAULT

_KNOWN_TOP = ("core", "ui", "connections")
_KNOWN_CORE = ("dump",)
_KNOWN_UI = ("theme",)
_KNOWN_CONNECTION = ("uri", "password_env", "read_only", "models")
# The URI schemes a .pgpass file is for, and the socket directories libpq builds use by default
# (upstream /tmp, Debian and others /var/run/postgresql).
PGPASS_SCHEMES = ("postgres", "postgresql")
_DEFAULT_SOCKET_DIRS = ("/tmp", "/var/run/postgresql", "/run/postgresql")


class PreferencesError(ValueError):
    """A request the preferences cannot satisfy; the message is meant for the operator."""


@dataclass(frozen=True)
class SavedConnection:
    name: str
    uri: str
    password_env: str | None = None
    read_only: bool = False
    models: str | None = None         # a module of the operator's SQLObject classes (--models)


@dataclass(frozen=True)
class Preferences:
    dump_core: bool | None = None     # None: leave the core-dump limit as rowdesk was started with
    theme: str = DEFAULT_THEME
    connections: dict[str, SavedConnection] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadResult:
    prefs: Preferences
    problems: list[str]      # the file's, then the notes: everything the interface shows at start
    path: Path
    notes: tuple[str, ...] = ()   # problems found at start outside the file (saved connection, core dumps)


def with_notes(loaded: LoadResult, notes: Iterable[str]) -> LoadResult:
    """*loaded* with start-up notes added after the file's own problems."""
    notes = tuple(notes)
    return replace(loaded, problems=[*loaded.problems, *notes], notes=loaded.notes + notes)


def reload(loaded: LoadResult) -> LoadResult:
    """The file read again (after a save), with the notes found at start kept."""
    return with_notes(load(loaded.path), loaded.notes)


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
        self._found: list[tuple[int, str]] = []
        self._where = display_path(path)
        self._lines = lines

    def add(self, key: tuple[str, ...], message: str) -> None:
        line = self._lines.line_of(*key) if key else None
        place = f"{self._where} line {line}" if line else self._where
        self._found.append((line or 0, f"{place}: {message}"))

    @property
    def items(self) -> list[str]:
        """In the order of the file's lines, as the operator reads it (the first one is shown at start)."""
        return [message for _, message in sorted(self._found, key=lambda found: found[0])]


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


def _dump_core(core: Mapping[str, object], problems: _Problems) -> bool | None:
    value = core.get("dump")
    if value is None or isinstance(value, bool):
        return value
    problems.add(("core", "dump"), f"core.dump must be true or false, not {_kind(value)}; ignored (core dumps "
                 "stay as rowdesk was started)")
    return None


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
    if password_env is not None and _scheme(uri) == "sqlite":
        problems.add((*key, "password_env"), f"connection '{name}': password_env ignored: a SQLite file takes "
                     "no password")
        password_env = None
    read_only = _bool(entry, (*key, "read_only"), False, problems)
    models = entry.get("models")
    if models is not None and (not isinstance(models, str) or not models.strip()):
        problems.add((*key, "models"), f"connection '{name}': models must name a module, e.g. \"shop.models\", "
                     f"not {_kind(models)}; ignored")
        models = None
    return SavedConnection(name=name, uri=uri, password_env=password_env, read_only=read_only,
                           models=models.strip() if models else None)


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
        dump_core=_dump_core(core, problems),
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


def _pgpass_fields(line: str) -> list[tuple[str, bool]]:
    """A .pgpass line split on unescaped ':' as (text with escapes removed, is the wildcard ``*``).

    As in libpq: a backslash escapes the next character, and only a bare ``*`` is a wildcard.
    """
    fields, current, escaped, chars = [], [], False, iter(line)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
            escaped = True
        elif char == ":":
            fields.append(("".join(current), current == ["*"] and not escaped))
            current, escaped = [], False
        else:
            current.append(char)
    fields.append(("".join(current), current == ["*"] and not escaped))
    return fields


def _login_name() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return ""


def _pgpass_key(uri: str, environ: Mapping[str, str]) -> tuple[str, str, str, str]:
    """(host, port, database, user) that libpq would connect to, each defaulted as libpq defaults it."""
    parts = urlsplit(uri)
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = unquote(userinfo.partition(":")[0]) or environ.get("PGUSER") or _login_name()
    if hostinfo.startswith("["):                 # [IPv6]:port
        host, _, port = hostinfo[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = hostinfo.partition(":")
    # The host is compared as written (urlsplit's hostname would lower-case it).
    host = unquote(host) or environ.get("PGHOST") or "localhost"
    if host in _DEFAULT_SOCKET_DIRS:
        host = "localhost"                       # libpq matches its default socket as "localhost"
    port = port or environ.get("PGPORT") or "5432"
    database = unquote(parts.path.removeprefix("/")) or environ.get("PGDATABASE") or user
    return host, port, database, user


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


def read_pgpass(path: Path, uri: str, problems: list[str] | None = None,
                environ: Mapping[str, str] = os.environ) -> str | None:
    """The password of the first line of *path* matching *uri*'s host, port, database and user, as libpq
    reads it (defaults from PGUSER, PGHOST, PGPORT, PGDATABASE in *environ*)."""
    if not _pgpass_usable(path, problems):
        return None
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        _note(problems, f"{display_path(path)}: cannot read ({error})")
        return None
    wanted = _pgpass_key(uri, environ)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = _pgpass_fields(line)
        if len(fields) < 5:
            continue
        if all(wild or pattern == value for (pattern, wild), value in zip(fields[:4], wanted, strict=True)):
            return fields[4][0]     # libpq's password ends at the next unescaped ':'
    return None


def resolve_password(conn: SavedConnection, environ: Mapping[str, str] = os.environ,
                     pgpass_path: Path | None = None, problems: list[str] | None = None) -> str | None:
    """The password for *conn*: ``password_env``, else its engine's passwords file, else None (the caller
    prompts). Only PostgreSQL has one here (``.pgpass``); MySQL's option files are not read.

    Anything worth telling the operator (unset variable, unsafe pgpass) is appended to *problems*.
    """
    if conn.password_env:
        value = environ.get(conn.password_env)
        if value:
            return value
        _note(problems, f"connection '{conn.name}': environment variable {conn.password_env} (password_env) "
              "is not set")
    if _scheme(conn.uri) not in PGPASS_SCHEMES:
        return None
    if pgpass_path is None:
        pgpass_path = default_pgpass_path(environ)
    return read_pgpass(Path(pgpass_path), conn.uri, problems, environ)


def _scheme(uri: str) -> str:
    return uri.partition(":")[0].lower()


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
    replaced. Raises PreferencesError (file unchanged), in plain words naming the
    file or folder at fault, when the file cannot be edited safely or written.
    Returns the path written.
    """
    path = Path(path) if path is not None else paths.config_file()
    path = Path(os.path.realpath(path))
    try:
        original = path.read_bytes()
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        original, mode = b"", 0o600
    except OSError as error:
        raise PreferencesError(_unreadable(path, error)) from None
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
    _make_folder(path.parent)
    try:
        _write_atomically(path, edited.encode("utf-8", errors="surrogateescape"), mode)
    except OSError as error:
        raise PreferencesError(_unwritable(path, error)) from None
    return path


# ------------------------------------------------------- failures in plain words
# An OSError names the temporary file and an errno; the operator needs the folder or
# file at fault and why, in words.


def _you() -> str:
    uid = os.geteuid()
    try:
        return f"you ({pwd.getpwuid(uid).pw_name})"
    except KeyError:
        return f"you (uid {uid})"


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK, effective_ids=True)


def _unreadable(path: Path, error: OSError) -> str:
    if error.errno == errno.EACCES:
        return f"{display_path(path)} is not readable by {_you()}, so it cannot be edited"
    if error.errno == errno.EISDIR:
        return f"{display_path(path)} is a folder, not a file"
    return f"{display_path(path)} cannot be read: {error.strerror}"


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return
    except OSError as error:
        failed = error
    existing = next((parent for parent in folder.parents if parent.exists()), None)
    shown = display_path(folder)
    if existing is not None and existing.is_dir() and not _writable(existing):
        raise PreferencesError(f"the folder {shown} does not exist and cannot be created: "
                               f"{display_path(existing)} is not writable by {_you()}") from None
    if failed.errno in (errno.EEXIST, errno.ENOTDIR):
        raise PreferencesError(f"{shown} (or a folder above it) is a file, not a folder") from None
    raise PreferencesError(f"the folder {shown} cannot be created: {failed.strerror}") from None


def _unwritable(path: Path, error: OSError) -> str:
    folder = display_path(path.parent)
    if error.errno == errno.EROFS:
        return f"the folder {folder} is on a read-only file system"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left for {display_path(path)} (the disk, or your quota, is full)"
    if error.errno in (errno.EACCES, errno.EPERM) and not _writable(path.parent):
        return f"the folder {folder} is not writable by {_you()}"
    return f"{display_path(path)} cannot be written: {error.strerror}"
