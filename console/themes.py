"""Colour themes: named urwid palettes. The only place colours are chosen.

Each entry: (name, 16-colour foreground, background, mono, 256-colour fg, bg).
"""

from __future__ import annotations

# Backgrounds are chosen on the xterm 256-colour cube or grey ramp, so that
# they stay distinct after urwid maps them to the nearest colour.
_DARK = [
    ("body", "default", "default", "", "default", "default"),
    ("title", "white,bold", "dark blue", "bold,standout", "#fff,bold", "#008"),
    ("title dim", "light gray", "dark blue", "standout", "#aaf", "#008"),
    ("status", "white", "dark gray", "standout", "#ddd", "g23"),
    ("status busy", "yellow,bold", "dark gray", "standout,bold", "#fd6,bold", "g23"),
    ("message", "light gray", "default", "", "#bbb", "default"),
    ("error", "light red,bold", "default", "bold", "#f66,bold", "default"),
    ("header", "white,bold", "dark cyan", "bold", "#fff,bold", "#066"),
    ("header focus", "yellow,bold", "dark cyan", "bold,standout", "#ff6,bold", "#066"),
    ("header sep", "light gray", "dark cyan", "", "#6aa", "#066"),
    ("row", "default", "default", "", "default", "default"),
    ("cell", "default", "default", "", "default", "default"),
    ("null", "dark gray", "default", "", "g42,italics", "default"),
    ("sep", "dark gray", "default", "", "g27", "default"),
    ("row focus", "black", "light gray", "standout", "#000", "#aad"),
    ("cell focus", "white,bold", "dark blue", "bold,underline", "#fff,bold", "#06c"),
    ("null focus", "dark gray", "light gray", "standout", "g35,italics", "#aad"),
    ("sep focus", "dark gray", "light gray", "standout", "g50", "#aad"),
    ("prompt", "yellow,bold", "default", "bold", "#fd6,bold", "default"),
    ("dialog", "default", "dark gray", "", "#eee", "g19"),
    ("dialog title", "yellow,bold", "dark gray", "bold", "#fd6,bold", "g19"),
    ("dialog hint", "light gray", "dark gray", "", "g62", "g19"),
    ("dialog focus", "black", "light gray", "standout", "#000", "#aad"),
    ("key", "yellow,bold", "dark gray", "bold", "#fd6,bold", "g19"),
    ("section", "yellow,bold", "default", "bold,underline", "#fd6,bold", "default"),
    ("field", "light cyan,bold", "default", "bold", "#6cf,bold", "default"),
    ("type", "dark gray", "default", "", "g50", "default"),
    ("ok", "light green,bold", "default", "bold", "#6d6,bold", "default"),
    ("warn", "yellow,bold", "default", "bold", "#fd6,bold", "default"),
    # the record form: a field's text, the focused one, a changed one's marker, a field's problem
    ("edit", "default", "black", "underline", "#eee", "g15"),
    ("edit focus", "white,bold", "dark blue", "standout", "#fff", "#036"),
    ("changed", "yellow,bold", "default", "bold", "#fd6,bold", "default"),
    ("marked", "yellow", "dark red", "underline", "#fd6", "#600"),
]

# A light theme paints its own background, so it reads the same on a dark terminal.
_LIGHT = [
    ("body", "black", "white", "", "#000", "g93"),
    ("title", "white,bold", "dark blue", "bold,standout", "#fff,bold", "#06a"),
    ("title dim", "light gray", "dark blue", "standout", "#cdf", "#06a"),
    ("status", "black", "light gray", "standout", "#000", "g78"),
    ("status busy", "dark red,bold", "light gray", "standout,bold", "#a00,bold", "g78"),
    ("message", "black", "white", "", "#222", "g93"),
    ("error", "dark red,bold", "white", "bold", "#b00,bold", "g93"),
    ("header", "black,bold", "light gray", "bold", "#000,bold", "g78"),
    ("header focus", "dark blue,bold", "light gray", "bold,standout", "#008,bold", "#9cf"),
    ("header sep", "dark gray", "light gray", "", "g58", "g78"),
    ("row", "black", "white", "", "#000", "g93"),
    ("cell", "black", "white", "", "#000", "g93"),
    ("null", "dark gray", "white", "", "g58,italics", "g93"),
    ("sep", "light gray", "white", "", "g78", "g93"),
    ("row focus", "black", "light cyan", "standout", "#000", "#9cf"),
    ("cell focus", "white,bold", "dark blue", "bold,underline", "#fff,bold", "#06c"),
    ("null focus", "dark gray", "light cyan", "standout", "g42,italics", "#9cf"),
    ("sep focus", "dark gray", "light cyan", "standout", "g58", "#9cf"),
    ("prompt", "dark blue,bold", "white", "bold", "#008,bold", "g93"),
    ("dialog", "black", "light gray", "", "#000", "g85"),
    ("dialog title", "dark blue,bold", "light gray", "bold", "#008,bold", "g85"),
    ("dialog hint", "dark gray", "light gray", "", "g46", "g85"),
    ("dialog focus", "white", "dark blue", "standout", "#fff", "#06c"),
    ("key", "dark blue,bold", "light gray", "bold", "#008,bold", "g85"),
    ("section", "dark blue,bold", "white", "bold,underline", "#008,bold", "g93"),
    ("field", "dark blue,bold", "white", "bold", "#008,bold", "g93"),
    ("type", "dark gray", "white", "", "g46", "g93"),
    ("ok", "dark green,bold", "white", "bold", "#070,bold", "g93"),
    ("warn", "brown,bold", "white", "bold", "#a50,bold", "g93"),
    ("edit", "black", "light gray", "underline", "#000", "g85"),
    ("edit focus", "white", "dark blue", "standout", "#fff", "#06c"),
    ("changed", "brown,bold", "white", "bold", "#a50,bold", "g93"),
    ("marked", "black", "yellow", "underline", "#000", "#fd6"),
]


def _mono(palette):
    # Monochrome: only the mono column, for NO_COLOR and for screens that cannot do colour.
    return [(name, "default", "default", mono) for name, _fg, _bg, mono, *_ in palette]


THEMES = {
    "dark": _DARK,
    "light": _LIGHT,
    "mono": _mono(_DARK),
}
DEFAULT = "dark"


def palette(name: str) -> list[tuple]:
    return THEMES[name]
