"""A value laid out as visual lines of a given width, one screen at a time.

A 1 MB text must not be laid out whole to show its first screen, nor to show
its last: a document hands out its lines by position, and finding the line
before or after a position costs what one bounded piece of the value costs,
whatever the value's size. The record view shows the first lines of each
field; the value screen pages through all of it.

Positions are opaque and comparable with ==; `first()` and `last()` give the
ends, `after(pos)` and `before(pos)` the neighbours (None past an end).
"""

from __future__ import annotations

from collections import OrderedDict

from widgets.cells import hex_bytes_per_line, hex_line, visible, wrap

# A line without a newline is laid out in pieces of this many characters, each
# piece starting a new visual line: so the line before any position is found
# by laying out at most one piece (a 1 MB base64 value has no newline at all).
PIECE = 4096
_CACHED_PIECES = 32


class TextDocument:
    """Text with its newlines as line breaks and control characters visible.

    A position is (start of a piece, index of a visual line in that piece)."""

    def __init__(self, text: str, width: int):
        self.text = text
        self.width = max(1, width)
        self._pieces: OrderedDict[int, list[str]] = OrderedDict()

    # -- pieces -------------------------------------------------------------------------------
    def _piece_end(self, start: int) -> tuple[int, int | None]:
        """(end of the piece starting at *start*, start of the next piece or None)."""
        text = self.text
        # A newline right after a full piece ends that piece (no empty piece in between).
        nl = text.find("\n", start, start + PIECE + 1)
        if nl != -1:
            return nl, (nl + 1 if nl + 1 < len(text) else None)
        end = min(len(text), start + PIECE)
        return end, (end if end < len(text) else None)

    def _previous_piece(self, start: int) -> int | None:
        if start == 0:
            return None
        p = start - 1
        if self.text[p] != "\n":
            return start - PIECE                 # pieces of one long line lie PIECE apart
        line_start = self.text.rfind("\n", 0, p) + 1
        length = p - line_start
        return line_start + ((length - 1) // PIECE) * PIECE if length else line_start

    def _lines(self, start: int) -> list[str]:
        lines = self._pieces.get(start)
        if lines is None:
            end, _next = self._piece_end(start)
            raw = self.text[start:end]
            if raw.endswith("\r") and end < len(self.text) and self.text[end] == "\n":
                raw = raw[:-1]                   # \r\n is one line break
            shown = visible(raw)
            lines = [shown[a:b] for a, b in wrap(shown, self.width)]
            self._pieces[start] = lines
            if len(self._pieces) > _CACHED_PIECES:
                self._pieces.popitem(last=False)
        else:
            self._pieces.move_to_end(start)
        return lines

    # -- positions ---------------------------------------------------------------------------
    def first(self) -> tuple[int, int]:
        return (0, 0)

    def last(self) -> tuple[int, int]:
        text = self.text
        end = len(text) - 1 if text.endswith("\n") else len(text)      # a final newline adds no line
        line_start = text.rfind("\n", 0, end) + 1
        length = end - line_start
        start = line_start + ((length - 1) // PIECE) * PIECE if length else line_start
        return (start, len(self._lines(start)) - 1)

    def after(self, pos):
        start, k = pos
        if k + 1 < len(self._lines(start)):
            return (start, k + 1)
        nxt = self._piece_end(start)[1]
        return (nxt, 0) if nxt is not None else None

    def before(self, pos):
        start, k = pos
        if k > 0:
            return (start, k - 1)
        prev = self._previous_piece(start)
        if prev is None:
            return None
        return (prev, len(self._lines(prev)) - 1)

    def line(self, pos) -> str:
        start, k = pos
        return self._lines(start)[k]

    def offset(self, pos) -> int:
        """Roughly how far into the text *pos* is, in characters (for "12 %", and to keep
        the place when the width changes): visible symbols may be longer than what they show."""
        start, k = pos
        return start + sum(len(line) for line in self._lines(start)[:k])

    def position_of(self, offset: int):
        """The line holding (roughly) the character at *offset*."""
        offset = max(0, min(offset, len(self.text)))
        line_start = self.text.rfind("\n", 0, offset) + 1
        start = line_start + ((offset - line_start) // PIECE) * PIECE
        if start >= len(self.text):
            return self.last()
        lines = self._lines(start)
        k, seen = 0, start
        while k + 1 < len(lines) and seen + len(lines[k]) <= offset:
            seen += len(lines[k])
            k += 1
        return (start, k)

    @property
    def size(self) -> int:
        return len(self.text)


class HexDocument:
    """Bytes as a hex dump: offset, hex, ASCII. A position is a byte offset."""

    def __init__(self, data: bytes, width: int):
        self.data = data
        self.per_line = hex_bytes_per_line(width)

    def first(self) -> int:
        return 0

    def last(self) -> int:
        return max(0, (len(self.data) - 1) // self.per_line * self.per_line)

    def after(self, pos):
        nxt = pos + self.per_line
        return nxt if nxt < len(self.data) else None

    def before(self, pos):
        return pos - self.per_line if pos > 0 else None

    def line(self, pos) -> str:
        if not self.data:
            return "(0 bytes)"
        return hex_line(self.data, pos, self.per_line)

    def offset(self, pos) -> int:
        return pos

    def position_of(self, offset: int) -> int:
        return min(max(0, offset) // self.per_line * self.per_line, self.last())

    @property
    def size(self) -> int:
        return len(self.data)


def lines_from(doc, pos, count: int) -> list:
    """Up to *count* positions starting at *pos*."""
    out = []
    while pos is not None and len(out) < count:
        out.append(pos)
        pos = doc.after(pos)
    return out


def back(doc, pos, count: int):
    """The position *count* lines before *pos* (or the first one)."""
    for _ in range(count):
        prev = doc.before(pos)
        if prev is None:
            break
        pos = prev
    return pos
