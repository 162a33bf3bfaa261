"""Lines of (attribute, text) runs put straight into one urwid canvas.

Going through a Text widget per line costs several times more, and the grid
and the record view redraw on every key."""

from __future__ import annotations

import urwid

Line = list[tuple[str, str]]


def canvas(lines: list[Line], maxcol: int) -> urwid.Canvas:
    """One canvas from lines of (attribute, text) runs, each exactly *maxcol* columns wide."""
    if urwid.util.get_encoding() not in ("utf-8", "utf8"):
        texts = [urwid.Text(line, wrap="clip").render((maxcol,)) for line in lines]
        return urwid.CanvasCombine([(c, None, False) for c in texts])
    text, attr, cs = [], [], []
    for line in lines:
        encoded = [(a, t.encode("utf-8")) for a, t in line]
        text.append(b"".join(b for _, b in encoded))
        attr.append([(a, len(b)) for a, b in encoded if b])
        cs.append([(None, len(text[-1]))])
    return urwid.TextCanvas(text=text, attr=attr, cs=cs, maxcol=maxcol, check_width=False)
