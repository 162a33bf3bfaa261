"""How a value of each column kind is shown: the bridge between storage's
column kinds and the widgets' plain text.

Values are shown as stored: a NUMERIC(12,2) column holding 12.345 shows
12.345 (SQLite does not enforce the scale, and an admin tool must not round
what it shows); filters match this text (storage.filters)."""

from __future__ import annotations

import json

from storage.schema import Column
from storage.types import kind
from widgets.cells import one_line, plain_text

# JSON in a text column is pretty-printed on the reactor up to this size (~2 ms:
# the record view does it for every row shown); the value screen formats larger
# values in a thread, up to PRETTY_MAX (json.loads holds the GIL while it parses:
# ~20 ms a megabyte of stall even off the reactor thread).
PRETTY_INLINE = 16 * 1024
PRETTY_MAX = 4 * 1024 * 1024


def formatter(col: Column):
    """A function (value, limit=None) -> one-line text for the column; None values never reach it.

    The kind's own text where it has one (storage.types: true/false, a MySQL TIME), else the value's."""
    show = kind(col.kind).show
    if show is None:
        return one_line

    def shown(value, limit: int | None = None) -> str:
        text = show(value)
        return one_line(value if text is None else text, limit)
    return shown


def full_value(value, col: Column) -> str | bytes:
    """The whole value for the record view and the value screen: text (its
    control characters are made visible piece by piece as it is laid out, see
    widgets.documents: never the whole value at once), or bytes for a hex dump."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value
    show = kind(col.kind).show
    text = show(value) if show is not None else None
    return plain_text(value) if text is None else text


def looks_like_json(value, col: Column) -> bool:
    if not isinstance(value, str):
        return False
    if col.kind == "json":
        return True
    if col.kind not in ("text", "any") or col.declared.rstrip().endswith("[]"):
        return False             # a PostgreSQL array's text ('{}', '{1,2}') is not JSON, even where it parses
    head, tail = value[:64].lstrip()[:1], value[-64:].rstrip()[-1:]
    return (head, tail) in (("{", "}"), ("[", "]"))


def json_preview(value, col: Column) -> tuple[str | None, str]:
    """(the value pretty-printed, or None, and a note for the record view) for a JSON-looking text."""
    if not looks_like_json(value, col):
        return None, ""
    if len(value) > PRETTY_INLINE:
        return None, "JSON: Enter formats the whole value"
    pretty = pretty_json(value)
    if pretty is None:
        return None, ""
    return pretty, "JSON, pretty-printed; Enter then f shows it as stored"


def pretty_json(value: str) -> str | None:
    """*value* pretty-printed, or None when it is not JSON. Costs O(len(value)):
    callers bound the size or run it off the reactor."""
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, (dict, list)):
        return None
    return json.dumps(parsed, indent=2, ensure_ascii=False)
