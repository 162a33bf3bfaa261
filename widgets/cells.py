"""Turning Python values into fixed-width cell text, by display width (wide
CJK characters count two columns, combining marks none)."""

from __future__ import annotations

import datetime as dt
import decimal

from urwid.str_util import calc_text_pos, calc_width

ELLIPSIS = "…"
NULL_TEXT = "∅"


def display_width(text: str) -> int:
    if text.isascii():
        return len(text)          # the common case, and the grid measures every cell on every draw
    return calc_width(text, 0, len(text))


def one_line(value) -> str:
    """The text of a value on a single line: newlines and tabs shown as symbols."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        text = f"<{len(raw)} bytes> " + raw[:16].hex(" ")
    elif isinstance(value, (dt.date, dt.time, decimal.Decimal)):
        text = str(value)
    else:
        text = str(value)
    if any(ch in text for ch in "\n\r\t"):
        text = text.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎").replace("\t", "→")
    return text


def fit(text: str, width: int, *, right: bool = False) -> str:
    """Pad or truncate *text* to exactly *width* display columns, with an ellipsis when cut."""
    if width <= 0:
        return ""
    w = display_width(text)
    if w <= width:
        pad = " " * (width - w)
        return pad + text if right else text + pad
    # Leave one column for the ellipsis; a wide character that does not fit is dropped.
    end, used = calc_text_pos(text, 0, len(text), width - 1)
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
