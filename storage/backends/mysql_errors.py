"""What a MySQL/MariaDB error means, from its error number: raw PyMySQL exceptions (`args == (number,
message)`) and SQLObject's dberrors (whose `args[0]` is a message carrying `.code`) alike; and one line
for the operator saying what failed, in plain words.
"""

from __future__ import annotations

import re

import pymysql

from storage.backends.base import ErrorKind

CANCELLED = 1317                    # ER_QUERY_INTERRUPTED: KILL QUERY stopped the statement
ACCESS_DENIED = 1045                # wrong password or no such user@host
DB_ACCESS_DENIED = 1044             # the user may not use that database
UNKNOWN_DATABASE = 1049
TOO_MANY_CONNECTIONS = 1040
USER_CONNECTIONS = (1203, 1226)     # the server's max_user_connections, the user's MAX_USER_CONNECTIONS
TABLE_ACCESS_DENIED = 1142          # e.g. "SELECT command denied to user 'u'@'h' for table `db`.`t`"
COLUMN_ACCESS_DENIED = 1143
NO_SUCH_TABLE = 1146
LOCK_WAIT_TIMEOUT = 1205            # innodb_lock_wait_timeout, and NOWAIT on MariaDB
DEADLOCK = 1213                     # the whole transaction was rolled back: not a lock wait, hence OTHER
CANNOT_CONNECT = (2002, 2003, 2005)  # socket, TCP (refused, unreachable, unknown host)

_KINDS = {
    ErrorKind.CANCELLED: {CANCELLED},
    # 2006 gone away, 2013 lost during a query, 2055 lost at a system call, 1927 killed (MariaDB),
    # 1053 server shutting down, 4031 disconnected for inactivity (MySQL 8).
    ErrorKind.CONNECTION_LOST: {2006, 2013, 2055, 1927, 1053, 4031},
    # 1698 unix_socket refused, 1251/2059 auth plugin, 1820/1862 password expired.
    ErrorKind.AUTHENTICATION: {ACCESS_DENIED, 1698, 1251, 2059, 1820, 1862},
    # duplicate key, foreign keys, NOT NULL, no default, CHECK (MySQL 3819, MariaDB 4025).
    ErrorKind.CONSTRAINT: {1062, 1586, 1557, 1451, 1452, 1216, 1217, 1048, 1364, 3819, 4025},
    ErrorKind.LOCK_TIMEOUT: {LOCK_WAIT_TIMEOUT, 3572},         # 3572: MySQL 8's NOWAIT
    # 1792 a READ ONLY transaction (our --read-only), 1290/1836 a server in read-only mode.
    ErrorKind.READ_ONLY: {1792, 1290, 1836},
}
_KIND_OF = {code: kind for kind, codes in _KINDS.items() for code in codes}


def error_code(error: BaseException) -> int | None:
    """The MySQL error number of *error* (raw PyMySQL or SQLObject's dberrors), else None."""
    args = getattr(error, "args", ())
    if not args:
        return None
    first = args[0]
    if isinstance(first, int):
        return first
    code = getattr(first, "code", None)          # sqlobject.mysql.mysqlconnection.ErrorMessage
    return code if isinstance(code, int) else None


def error_message(error: BaseException) -> str:
    args = getattr(error, "args", ())
    if len(args) > 1 and isinstance(args[1], str):
        return args[1]
    return str(args[0]) if args else str(error)


CONNECTING = "rowdesk_connecting"      # set on an error raised while a new connection was being made


def while_connecting(error: BaseException) -> None:
    """Mark *error* as raised while connecting: it lost no connection (there was none yet), so a read is
    not tried again on a fresh one, which would only wait for the same connect timeout twice."""
    setattr(error, CONNECTING, True)


def classify(error: BaseException) -> ErrorKind:
    if isinstance(error, pymysql.err.InterfaceError) or (
            isinstance(error, pymysql.err.Error) and error.args[:1] == ("Already closed",)):
        kind = ErrorKind.CONNECTION_LOST           # PyMySQL's "the socket is gone": InterfaceError(0, '')
    else:
        kind = _KIND_OF.get(error_code(error), ErrorKind.OTHER)
    if getattr(error, CONNECTING, False) and (kind is ErrorKind.CONNECTION_LOST or error_code(error) in CANNOT_CONNECT):
        return ErrorKind.UNREACHABLE             # no server answered (not one that said no)
    return kind


_DENIED = re.compile(r"(\w+) command denied to user '([^']*)'@'([^']*)' for (?:table|column) (.+)$")


def _cannot_connect(message: str) -> str:
    """What a failed connect says, in plain words: refused, no such host, no answer."""
    reason = message.rpartition("(")[2].rstrip(")") if "(" in message else message
    low = reason.lower()
    if "refused" in low:
        return "connection refused (is the server running and listening on that port?)"
    if "name or service not known" in low or "nodename nor servname" in low or "no address" in low:
        return f"no such host ({reason})"
    if "timed out" in low:
        return "no answer before the connect timeout"
    return f"cannot connect: {reason}"


def describe(error: BaseException, target) -> str:
    """One line for the operator: what failed, in plain words, naming the server, database, user or table.
    Never the password (no MySQL message holds it; the URI shown is the one without it)."""
    code = error_code(error)
    message = error_message(error)
    where = f"MySQL at {target.host}:{target.port}"
    user = target.user or "(default user)"
    kind = classify(error)
    if code in CANNOT_CONNECT or kind is ErrorKind.UNREACHABLE:
        return f"{where}: {_cannot_connect(message)}"
    if kind is ErrorKind.AUTHENTICATION:
        return f"{where}: login refused for user {user!r}: wrong password, or no such user ({message})"
    if code == UNKNOWN_DATABASE:
        return f"{where}: there is no database {target.database!r}"
    if code == DB_ACCESS_DENIED:
        return f"{where}: user {user!r} may not use the database {target.database!r}"
    if code == TOO_MANY_CONNECTIONS or code in USER_CONNECTIONS:
        return f"{where}: too many connections open; try again later ({message})"
    if code in (TABLE_ACCESS_DENIED, COLUMN_ACCESS_DENIED):
        m = _DENIED.search(message)
        if m:
            what, who, _host, thing_name = m.groups()
            thing = "table" if code == TABLE_ACCESS_DENIED else "column"
            return f"permission denied: user {who!r} may not {what} the {thing} {thing_name}"
        return f"permission denied: {message}"
    if code == NO_SUCH_TABLE:
        return f"no such table: {message}"
    if kind is ErrorKind.CONNECTION_LOST:
        return f"{where}: the connection was lost ({message or 'closed'})"
    if kind is ErrorKind.CANCELLED:
        return "cancelled on the server"
    if kind is ErrorKind.READ_ONLY:
        return f"read-only: the server refused to write ({message})"
    if kind is ErrorKind.LOCK_TIMEOUT:
        return f"another session holds a lock on these rows; gave up waiting ({message})"
    if code == DEADLOCK:
        return f"deadlock with another session: the transaction was rolled back ({message})"
    plain = _constraint(code, message)
    if plain is not None:
        return plain
    if code is not None:
        return f"MySQL error {code}: {message}"
    return message or type(error).__name__


_DUPLICATE = re.compile(r"Duplicate entry '(.*)' for key '([^']*)'", re.S)
_CHILD = re.compile(r"\(`[^`]*`\.`([^`]*)`, CONSTRAINT `([^`]*)` FOREIGN KEY \(([^)]*)\) REFERENCES `([^`]*)`")
_NULL = re.compile(r"Column '([^']*)' cannot be null")
_CHECK = re.compile(r"CONSTRAINT `([^`]*)` failed")


def _constraint(code, message: str) -> str | None:
    """A refusal of a key, a foreign key, NOT NULL or a check, in plain words naming what refused (the form puts
    it at the field it names); None for anything else."""
    if code == 1062 and (m := _DUPLICATE.search(message)):
        value, key = m.groups()
        key = key.rsplit(".", 1)[-1]                    # MySQL 8 writes table.key
        return f"{key} must be unique: another row already holds {value!r}"
    if code in (1451, 1217) and (m := _CHILD.search(message)):
        child, constraint, columns, _parent = m.groups()
        return f"other rows refer to it ({child}.{columns.replace('`', '')}, foreign key {constraint})"
    if code in (1452, 1216) and (m := _CHILD.search(message)):
        _child, constraint, columns, parent = m.groups()
        return f"{columns.replace('`', '')} refers to a row of {parent} that does not exist (foreign key {constraint})"
    if code == 1048 and (m := _NULL.search(message)):
        return f"{m.group(1)} cannot be empty (NULL): it needs a value"
    if code in (3819, 4025) and (m := _CHECK.search(message)):
        return f"the table's check {m.group(1).rsplit('.', 1)[-1]} refused the value"
    return None
