"""Server URIs: `postgres://user[:pass]@host[:port]/db[?schema=…]` (also `postgresql://`) and
`mysql://user[:pass]@host[:port]/db` (also `mariadb://`), checked into a Target.

Nothing connects here (the backend does, in a worker thread, with a connect timeout); what can be told
from the text alone is told now, in one line. The password, when the URI has one, is kept in the Target
apart from the URI, which is stored without it: `Target.uri` and `Target.display` never hold a password.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from storage.secrets import mask_secrets
from storage.targets import Target, TargetError

ENGINES = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}
# The URI parameters each engine takes; any other is refused by name rather than dropped.
PARAMETERS = {"postgres": {"schema", "connect_timeout", "sslmode"}, "mysql": {"connect_timeout"}}
CONNECT_TIMEOUT = 10          # seconds: an unreachable host must not hang the start


def server_target(text: str, *, read_only: bool) -> Target:
    shown = mask_secrets(text)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    engine = ENGINES[scheme]
    if parts.fragment:
        raise TargetError(f"{shown}: '#' starts a fragment in a URI; write a '#' in a password or name as %23")
    try:
        port = parts.port or DEFAULT_PORTS[engine]
    except ValueError:
        raise TargetError(f"{shown}: the port is not a number from 1 to 65535") from None
    host = parts.hostname
    if not host:
        raise TargetError(f"{shown}: no host; e.g. {scheme}://user@localhost/{'dbname' if engine == 'mysql' else 'db'}")
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise TargetError(f"{shown}: no database; e.g. {scheme}://{parts.netloc}/dbname")
    if "/" in database:
        raise TargetError(f"{shown}: the database name {database!r} has a '/'; write it as %2F if it is meant")
    options: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in options:
            raise TargetError(f"{shown}: the parameter {name!r} is given twice")
        if name not in PARAMETERS[engine]:
            takes = ", ".join(sorted(PARAMETERS[engine]))
            raise TargetError(f"{shown}: the parameter {name!r} is not supported in a {scheme}: URI "
                              f"(rowdesk takes {takes})")
        options[name] = value
    if "connect_timeout" in options and not options["connect_timeout"].isdecimal():
        raise TargetError(f"{shown}: connect_timeout={options['connect_timeout']} is not a number of seconds")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    # The URI as stored and shown: without the password, which lives apart (Target.password).
    netloc = (f"{parts.username}@" if parts.username else "") + parts.netloc.rpartition("@")[2]
    bare = urlunsplit((scheme, netloc, parts.path, parts.query, ""))
    return Target(engine, bare, None, read_only, host=host, port=port, user=user, database=database,
                  schema=options.get("schema") or None, password=password,
                  options=tuple(sorted(options.items())))
