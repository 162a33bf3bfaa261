"""Watches the server for rowdesk's slow statement: when it runs, and when it is gone after Esc.

    ROWDESK_BENCH_SERVER=postgres://postgres@127.0.0.1/test .venv/bin/python bench/server_statements.py

Run by bench/servers.py with the app's interpreter (it has the drivers), on a connection of its own; the
server's URI comes in the environment, not in argv. A line protocol on stdin/stdout, so that the watcher is
connected before the timed part starts:

- `arm` → polls every 5 ms until a statement of the bench's namespace that sorts by `total` runs
  (pg_stat_activity: the leader and its parallel workers; information_schema.PROCESSLIST: COMMAND 'Query')
  and answers `present T {json}`, or `absent` after 5 s; then, without waiting for another line, polls
  until no such statement runs and answers `gone T_GONE T_LAST_SEEN`, or `stuck T` after 20 s.

T is time.perf_counter() (CLOCK_MONOTONIC on Linux, the clock of the bench process too), at the poll that
saw it. The statement went between T_LAST_SEEN and T_GONE: the figure is T_GONE minus the key's send time.
"""

from __future__ import annotations

import json
import os
import sys
import time
from urllib.parse import unquote, urlsplit

NAMESPACE = "rowdesk_bench"
POLL = 0.005
ARM_TIMEOUT = 5.0
GONE_TIMEOUT = 20.0

PG_RUNNING = """
SELECT pid, backend_type, left(query, 300) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
  AND query ILIKE '%%' || %s || '%%' AND query ILIKE '%%order by%%total%%'"""
MYSQL_RUNNING = """
SELECT ID, STATE, LEFT(INFO, 300) FROM information_schema.PROCESSLIST
WHERE ID <> CONNECTION_ID() AND DB = %s AND COMMAND = 'Query' AND INFO LIKE '%%ORDER BY%%total%%'"""


def connect(uri: str):
    """A cursor factory on the server, and the query that lists the running sorts by total."""
    parts = urlsplit(uri)
    password = unquote(parts.password) if parts.password else None
    if parts.scheme in ("postgres", "postgresql"):
        import psycopg

        conn = psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=unquote(parts.username or ""),
                               password=password, dbname=unquote(parts.path.lstrip("/")) or "test",
                               autocommit=True, application_name="rowdesk-bench-watch")
        # The bench's table only: rowdesk names it schema-qualified or through its search_path, either way "orders".
        return conn, lambda cur: cur.execute(PG_RUNNING, ("orders",))
    import pymysql

    conn = pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=unquote(parts.username or "root"),
                           password=password or "", autocommit=True)
    return conn, lambda cur: cur.execute(MYSQL_RUNNING, (NAMESPACE,))


def running(conn, query) -> list:
    cur = conn.cursor()
    query(cur)
    return list(cur.fetchall())


def watch(conn, query) -> None:
    deadline = time.perf_counter() + ARM_TIMEOUT
    while True:
        seen = running(conn, query)
        t = time.perf_counter()
        if seen:
            say(f"present {t:.6f} " + json.dumps([[str(v) for v in row] for row in seen]))
            break
        if t > deadline:
            say("absent")
            return
        time.sleep(POLL)
    last_seen = t
    deadline = t + GONE_TIMEOUT
    while True:
        time.sleep(POLL)
        seen = running(conn, query)
        t = time.perf_counter()
        if not seen:
            say(f"gone {t:.6f} {last_seen:.6f}")
            return
        last_seen = t
        if t > deadline:
            say(f"stuck {t:.6f}")
            return


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> int:
    uri = os.environ.get("ROWDESK_BENCH_SERVER")
    if not uri:
        sys.exit("server_statements.py: set ROWDESK_BENCH_SERVER to the server's URI")
    conn, query = connect(uri)
    say("ready")
    for line in sys.stdin:
        if line.strip() == "arm":
            watch(conn, query)
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
