"""Turning Python values into text for the screen, by display width (wide CJK
characters count two columns, combining marks none).

Two promises hold for every value shown anywhere:
- what is shown is what is stored: nothing is rounded or dropped, and control
  characters are made visible (never sent to the terminal, where an ESC would
  start an escape sequence), the same way in the grid and in the record view;
- the cost of showing a value does not grow with its size: callers ask for at
  most the characters they can show (`limit`), and text is cut between
  grapheme clusters, never inside one.
"""

from __future__ import annotations

import json
import unicodedata

from urwid.str_util import calc_text_pos, calc_width

ELLIPSIS = "…"
NULL_TEXT = "∅"
NEWLINE = "⏎"
TAB = "→"

# C0 controls by their standard names, ⟨ESC⟩ ⟨BEL⟩ ⟨NUL⟩ …: unmistakable, and
# drawn by every terminal font (the Unicode control pictures ␛ ␇ are missing
# from common ones such as DejaVu Sans Mono). \n and \t have their own symbols
# on one line; the record view keeps newlines as line breaks.
_C0 = ("NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC "
       "FS GS RS US").split()
_PICTURES = {i: f"⟨{name}⟩" for i, name in enumerate(_C0)} | {0x7F: "⟨DEL⟩"}
_PICTURES[0x09] = TAB
# C1 controls (0x80-0x9f: 0x9b is CSI on 8-bit terminals) and the invisible
# format characters that reorder or hide text ("Trojan source" bidi overrides,
# zero-width spaces, BOM) are named by their code point.
_NAMED = {i: f"⟨U+{i:04X}⟩" for i in range(0x80, 0xA0)}
for _c in (0x061C, 0x180E, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2060, 0x2065),
           *range(0x2066, 0x206A), 0xFEFF, 0xFFF9, 0xFFFA, 0xFFFB):
    _NAMED[_c] = f"⟨U+{_c:04X}⟩"
_ONE_LINE = str.maketrans({**_PICTURES, **_NAMED, 0x0A: NEWLINE})
del _c


def _needs_escaping(text: str) -> bool:
    if text.isascii():
        return not text.isprintable()
    return any(ord(ch) in _NAMED or ord(ch) in _PICTURES for ch in text)


def visible(text: str) -> str:
    """*text* on one line with every control character shown by its name, ⟨ESC⟩:
    "\\r\\n" and "\\n" as ⏎, a lone "\\r" as ⟨CR⟩, a tab as →. (The record view
    breaks lines at newlines before it makes each line visible.)"""
    if not _needs_escaping(text):
        return text
    return text.replace("\r\n", "\n").translate(_ONE_LINE)


def display_width(text: str) -> int:
    if text.isascii():
        return len(text)          # the common case, and the grid measures every cell on every draw
    return calc_width(text, 0, len(text))


def plain_text(value) -> str:
    """The stored value as text, exactly: numbers are never rounded (repr of a
    float is its shortest exact form), bytes are hexadecimal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex(" ")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)      # a driver's JSON value, as JSON (not Python's repr)
    if isinstance(value, (set, frozenset)):
        return ",".join(sorted(map(str, value)))          # a MySQL SET, as MySQL writes it
    return str(value)                # int, str, Decimal, date and time, UUID: their str() is what is stored


def one_line(value, limit: int | None = None) -> str:
    """The text of a value on a single line, control characters visible.

    With *limit*, only about that many characters are produced (the cost stays
    the same for a 1 MB value) and a cut is marked with an ellipsis."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        shown = raw if limit is None else raw[:max(1, limit // 3)]
        text = f"<{len(raw):,} bytes> " + shown.hex(" ")
        return text + (ELLIPSIS if len(shown) < len(raw) else "")
    text = plain_text(value) if not isinstance(value, str) else value
    cut = limit is not None and len(text) > limit
    if cut:
        text = text[:grapheme_start(text, limit)]
    text = visible(text)
    return text + ELLIPSIS if cut else text


# -- grapheme clusters ------------------------------------------------------------------------
_ZWJ = "\u200d"


def _extends(ch: str) -> bool:
    """True for characters that belong to the cluster before them."""
    o = ord(ch)
    if o < 0x300:
        return False
    return (unicodedata.category(ch) in ("Mn", "Me", "Mc") or ch == _ZWJ or 0xFE00 <= o <= 0xFE0F
            or 0x1F3FB <= o <= 0x1F3FF or 0xE0020 <= o <= 0xE007F or 0xE0100 <= o <= 0xE01EF)


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def grapheme_start(text: str, i: int) -> int:
    """The largest cut position <= *i* that does not split a grapheme cluster
    (combining marks, emoji ZWJ sequences, modifiers, flags)."""
    i = max(0, min(i, len(text)))
    while 0 < i < len(text) and (_extends(text[i]) or text[i - 1] == _ZWJ):
        i -= 1
    if 0 < i < len(text) and _regional(text[i]) and _regional(text[i - 1]):
        run = 0
        while i - run - 1 >= 0 and _regional(text[i - run - 1]):
            run += 1
        if run % 2:                       # inside a flag: its first half stays with its second
            i -= 1
    return i


def _cluster_end(text: str, i: int) -> int:
    """The first cut position after *i* that does not split a cluster."""
    j = i + 1
    while j < len(text) and grapheme_start(text, j) <= i:
        j += 1
    return j


def _cut(text: str, width: int) -> tuple[int, int]:
    """(end, used): the longest prefix of *text* within *width* columns, ending between clusters."""
    if text.isascii():
        end = min(len(text), width)
        return end, end
    end, _used = calc_text_pos(text, 0, len(text), width)
    end = grapheme_start(text, end)
    return end, display_width(text[:end])


# -- fitting and wrapping --------------------------------------------------------------------
def fit(text: str, width: int, *, right: bool = False) -> str:
    """Pad or truncate *text* to exactly *width* display columns, with an ellipsis when cut."""
    if width <= 0:
        return ""
    w = display_width(text)
    if w <= width:
        pad = " " * (width - w)
        return pad + text if right else text + pad
    # Leave one column for the ellipsis; a wide character that does not fit is dropped.
    end, used = _cut(text, width - 1)
    return text[:end] + ELLIPSIS + " " * (width - 1 - used)


def tail_fit(text: str, width: int) -> str:
    """Like `fit`, but cut at the start: "…/rowdesk/demo.sqlite"."""
    if width <= 0:
        return ""
    if display_width(text) <= width:
        return fit(text, width)
    kept = ""
    for ch in reversed(text):
        if display_width(ch + kept) > width - 1:
            break
        kept = ch + kept
    return fit(ELLIPSIS + kept, width)


def wrap(text: str, width: int) -> list[tuple[int, int]]:
    """Visual lines of one line of text (no newlines) in *width* columns, as
    (start, end) offsets: broken after a space where one is near, else between
    clusters. Costs O(len(text)): callers pass bounded pieces."""
    width = max(1, width)
    lines = []
    start, n = 0, len(text)
    ascii_text = text.isascii()
    while start < n:
        if ascii_text:
            end = min(n, start + width)
        else:
            # The cut within a bounded slice, then moved back to a cluster boundary of the whole text
            # (the slice may end inside a cluster that continues after it).
            end = grapheme_start(text, start + _cut(text[start:start + width * 4 + 16], width)[0])
            if end <= start:                       # one cluster wider than the line: it gets a line alone
                end = _cluster_end(text, start)
        if end < n and text[end] == " ":
            lines.append((start, end))            # the break falls on a space: it is not shown
            start = end + 1
            continue
        if end < n:
            space = text.rfind(" ", start, end)
            if space >= start + width // 2:
                end = space + 1
        lines.append((start, end))
        start = end
    return lines or [(0, 0)]


def hex_line(data: bytes, offset: int, per_line: int) -> str:
    """One line of a hex dump: offset, bytes in hex, and the printable ASCII."""
    chunk = data[offset:offset + per_line]
    groups = [chunk[i:i + 8].hex(" ") for i in range(0, len(chunk), 8)]
    hexes = "  ".join(groups)
    width = _hex_width(per_line)
    text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
    return f"{offset:08x}  {hexes:<{width}}  |{text}|"


def _hex_width(per_line: int) -> int:
    groups = (per_line + 7) // 8
    return per_line * 3 - 1 + (groups - 1)           # "xx xx …", groups of 8 apart by two spaces


def hex_bytes_per_line(width: int) -> int:
    """16 bytes a line when they fit, else 8 (or 4 at very narrow widths)."""
    for n in (16, 8, 4):
        if 8 + 2 + _hex_width(n) + 3 + n <= width:
            return n
    return 4
