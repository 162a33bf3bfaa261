"""Rows out to a file: CSV, JSON Lines or JSON, written as they are read (memory does not grow with the table).

Values are written as rowdesk shows them in full, never rounded: numbers with every digit, bytes in hex, booleans
as true/false, MySQL TIME as [-]H:MM:SS, dates and times in ISO form. In CSV a NULL is an empty field; in JSON it
is null, numbers are numbers (a NUMERIC with all its digits), a JSON column is its JSON.

`Writer` is used in a worker thread (storage.database.Database.export); the file is written beside its name as
`NAME.part` and put in place only when complete, so a cancelled or failed export leaves no partial file behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
import os
from collections.abc import Callable, Sequence

from storage.schema import Column
from storage.types import kind

FORMATS = ("csv", "jsonl", "json")


class ExportFailed(Exception):
    """An export the engine could not finish (a line it cannot make, a worker that stopped); str() is one line
    saying why. Nothing is left behind: the partial file is removed."""


def format_of(path: str) -> str | None:
    """The format a file name asks for by its extension (.csv, .jsonl/.ndjson, .json), else None."""
    ext = os.path.splitext(path)[1].lower()
    return {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}.get(ext)


_BOOL = {0: "false", 1: "true"}        # as storage.types.show_bool writes them (True and False are 1 and 0 here)


def _text(col: Column) -> Callable[[object], object] | None:
    """How a value of *col* is written as text, or None when the csv module's own str() is already right."""
    k = kind(col.kind)
    show = k.show
    if col.kind == "bool":
        # A lookup, not a call of show_bool: an export converts millions of them. Anything else SQLite holds in
        # a BOOLEAN column (text, another number) is written as it is, as the grid shows it.
        return lambda v, of=_BOOL.get: of(v, v) if type(v) is not bytes else v.hex()
    if col.kind in ("blob", "any", "spatial") or show is not None:
        def text(v, show=show):
            if v is None:
                return None
            shown = show(v) if show is not None else None
            if shown is not None:
                return shown
            return v.hex() if isinstance(v, (bytes, bytearray, memoryview)) and not isinstance(v, str) else v
        return text
    if col.kind == "float":
        return lambda v: repr(v) if isinstance(v, float) else v
    return None


class _Raw(str):
    """A JSON token written as it is (a number with all its digits, a JSON column's own text)."""


def _json_value(col: Column) -> Callable[[object], object]:
    k = kind(col.kind)
    show = k.show

    def value(v):
        if v is None:
            return None
        if col.kind == "bool" and show is not None and show(v) is not None:
            return show(v) == "true"
        if col.kind == "json" and isinstance(v, str):
            try:
                json.loads(v)
            except ValueError:
                return v                                        # SQLite holds any text in a JSON column
            return _Raw(v)
        if isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else repr(v)           # NaN and infinities are no JSON numbers
        if isinstance(v, decimal.Decimal):
            return _Raw(str(v)) if v.is_finite() else str(v)
        if isinstance(v, (bytes, bytearray, memoryview)):
            return bytes(v).hex()
        if isinstance(v, (dt.date, dt.time, dt.datetime)):
            return v.isoformat()
        if isinstance(v, (dict, list)):
            return v
        shown = show(v) if show is not None else None
        return shown if shown is not None else str(v)             # a uuid, an address: its text
    return value


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode     # one encoder for every value (json.dumps makes one each)


def _line(keys: list[str], values) -> str:
    """A JSON object of *keys* (each already encoded, with its colon) and *values*; a _Raw value as it is."""
    return "{" + ", ".join(k + (v if isinstance(v, _Raw) else _ENCODE(v)) for k, v in zip(keys, values)) + "}"


class Writer:
    """Writes rows of *columns* in *fmt* to the open text file *out*: header() once, rows() per batch, end()."""

    def __init__(self, fmt: str, out, columns: Sequence[Column]):
        if fmt not in FORMATS:
            raise ValueError(f"{fmt!r} is not a format rowdesk writes ({', '.join(FORMATS)})")
        self.fmt, self.out, self.columns = fmt, out, list(columns)
        self.names = [c.name for c in self.columns]
        self.rows_written = 0
        if fmt == "csv":
            self._buffer = io.StringIO()
            self._csv = csv.writer(self._buffer, lineterminator="\n")
            texts = {i: f for i, c in enumerate(self.columns) if (f := _text(c)) is not None}
            self._convert = _row_converter(texts, len(self.columns)) if texts else None
        else:
            self._values = [_json_value(c) for c in self.columns]
            self._keys = [_ENCODE(n) + ": " for n in self.names]          # encoded once, not per row

    def header(self) -> None:
        if self.fmt == "csv":
            self._csv.writerow(self.names)
            self._flush_csv([self.names])
        elif self.fmt == "json":
            self.out.write("[")

    def rows(self, batch: Sequence[tuple]) -> None:
        if self.fmt == "csv":
            if self._convert is not None:
                batch = list(map(self._convert, batch))
            self._csv.writerows(batch)
            self._flush_csv(batch)
        else:
            keys, values = self._keys, self._values
            lines = [_line(keys, [f(v) for f, v in zip(values, row, strict=True)]) for row in batch]
            if self.fmt == "jsonl":
                self.out.write("".join(line + "\n" for line in lines))
            else:
                sep = ",\n" if self.rows_written else "\n"
                self.out.write(sep + ",\n".join(lines))
        self.rows_written += len(batch)

    def _flush_csv(self, batch) -> None:
        """The batch the csv module wrote, to the file; written again by _csv_line where a value may hold a CR or
        be bytes. With a lineterminator of LF, the csv module (3.11) leaves a field with a lone CR unquoted, which
        a reader takes for the end of the line; and it writes bytes as b'…' (a blob SQLite holds in a column of
        another type), which the grid shows in hex. A few scans of the batch's text find them (a b' in text too,
        which _csv_line writes as the csv module would)."""
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        if "\r" in text or "b'" in text or 'b"' in text:
            text = "".join(map(_csv_line, batch))
        self.out.write(text)

    def end(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n" if self.rows_written else "]\n")


def _csv_field(v) -> str:
    """A value as the csv module writes it (QUOTE_MINIMAL), but quoted where it holds a CR as well, and bytes in
    hex."""
    if v is None:
        return ""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    text = repr(v) if isinstance(v, float) else str(v)
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_line(row) -> str:
    fields = [_csv_field(v) for v in row]
    return ('""' if fields == [""] else ",".join(fields)) + "\n"      # one empty field: not an empty line


def _row_converter(texts: dict[int, Callable], n: int) -> Callable[[tuple], tuple]:
    """A function of one row giving the row with columns *texts* converted: a tuple display built for the
    columns at hand (an export converts millions of rows: a loop over the columns of each costs twice as much)."""
    names = {f"f{i}": f for i, f in texts.items()}
    items = ", ".join(f"f{i}(r[{i}])" if i in texts else f"r[{i}]" for i in range(n))
    return eval(f"lambda r: ({items},)", names)  # noqa: S307 - built from column positions only
