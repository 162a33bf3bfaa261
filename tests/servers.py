"""The real database servers of this machine, for the server tests: PostgreSQL on 127.0.0.1:5432 (trust auth,
database `test`) and MariaDB on 127.0.0.1:3306 (root, empty password, database `test`).

Each test gets a namespace of its own, dropped afterwards, so that runs never collide: a PostgreSQL schema
inside `test`, a MariaDB database. Under CI=true a server that does not answer fails the test (.ci/run starts
them); elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import os
import secrets
import socket

import pytest

PG = {"host": "127.0.0.1", "port": 5432, "user": os.environ.get("ROWDESK_PG_USER", "postgres"), "dbname": "test"}
MY = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


def _reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def require(name: str, port: int, driver: str) -> None:
    """Fail under CI, skip elsewhere, when the server or its driver is missing."""
    import importlib.util

    problem = None
    if importlib.util.find_spec(driver) is None:
        problem = f"the {driver} driver is not installed (pip install -e '.[test]')"
    elif not _reachable(port):
        problem = f"{name} does not answer on 127.0.0.1:{port}"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: server tests must run, but {problem}")
        pytest.skip(problem)


def unique(prefix: str = "rowdesk_t") -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


@pytest.fixture
def pg_schema():
    """(uri of the test database with ?schema=<a fresh schema>, schema name, an autocommit psycopg connection
    to it for set-up); the schema is dropped afterwards."""
    require("PostgreSQL", PG["port"], "psycopg")
    import psycopg

    name = unique()
    conn = psycopg.connect(**PG, autocommit=True)
    try:
        conn.execute(f'CREATE SCHEMA "{name}"')
        conn.execute(f'SET search_path TO "{name}"')
        yield f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{PG['dbname']}?schema={name}", name, conn
    finally:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.close()


@pytest.fixture
def mysql_database():
    """(uri of a fresh database, its name, an autocommit PyMySQL connection to it); dropped afterwards."""
    require("MariaDB", MY["port"], "pymysql")
    import pymysql

    name = unique()
    conn = pymysql.connect(**MY, autocommit=True, charset="utf8mb4")
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            cur.execute(f"USE `{name}`")
        yield f"mysql://{MY['user']}@{MY['host']}:{MY['port']}/{name}", name, conn
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()
