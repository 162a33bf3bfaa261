"""Colour themes: named urwid palettes. The only place colours are chosen.

Each entry: (name, 16-colour foreground, background, mono, 256-colour fg, bg).
"""

from __future__ import annotations

import os

_DARK = [
    ("title", "white,bold", "dark blue", "bold,standout", "#fff,bold", "#035"),
    ("title dim", "light gray", "dark blue", "standout", "#9bd", "#035"),
    ("status", "white", "dark gray", "standout", "#ddd", "#333"),
    ("status busy", "yellow,bold", "dark gray", "standout,bold", "#fd6,bold", "#333"),
    ("message", "light gray", "default", "", "#bbb", "default"),
    ("error", "light red,bold", "default", "bold", "#f66,bold", "default"),
    ("header", "white,bold", "dark cyan", "bold,underline", "#fff,bold", "#046"),
    ("header focus", "yellow,bold", "dark cyan", "bold,standout", "#fe6,bold", "#046"),
    ("header sep", "light gray", "dark cyan", "", "#6ab", "#046"),
    ("row", "default", "default", "", "default", "default"),
    ("cell", "default", "default", "", "default", "default"),
    ("null", "dark gray", "default", "", "#777,italics", "default"),
    ("sep", "dark gray", "default", "", "#444", "default"),
    ("row focus", "black", "light gray", "standout", "#000", "#aac"),
    ("cell focus", "white,bold", "dark blue", "bold,standout", "#fff,bold", "#26a"),
    ("null focus", "dark gray", "light gray", "standout", "#555,italics", "#aac"),
    ("sep focus", "dark gray", "light gray", "standout", "#668", "#aac"),
    ("prompt", "yellow,bold", "default", "bold", "#fd6,bold", "default"),
    ("dialog", "default", "dark gray", "", "#eee", "#223"),
    ("dialog title", "white,bold", "dark gray", "bold", "#fff,bold", "#223"),
    ("dialog focus", "black", "light gray", "standout", "#000", "#aac"),
    ("key", "yellow,bold", "dark gray", "bold", "#fd6,bold", "#223"),
    ("field", "light cyan,bold", "default", "bold", "#7cf,bold", "default"),
    ("type", "dark gray", "default", "", "#777", "default"),
    ("ok", "light green,bold", "default", "bold", "#6d6,bold", "default"),
    ("warn", "yellow,bold", "default", "bold", "#fd6,bold", "default"),
]

_LIGHT = [
    ("title", "white,bold", "dark blue", "bold,standout", "#fff,bold", "#247"),
    ("title dim", "light gray", "dark blue", "standout", "#cde", "#247"),
    ("status", "black", "light gray", "standout", "#000", "#ccc"),
    ("status busy", "dark red,bold", "light gray", "standout,bold", "#a00,bold", "#ccc"),
    ("message", "black", "default", "", "#222", "default"),
    ("error", "dark red,bold", "default", "bold", "#b00,bold", "default"),
    ("header", "black,bold", "light cyan", "bold,underline", "#000,bold", "#bde"),
    ("header focus", "dark blue,bold", "light cyan", "bold,standout", "#005,bold", "#9cf"),
    ("header sep", "dark gray", "light cyan", "", "#689", "#bde"),
    ("row", "black", "default", "", "#000", "default"),
    ("cell", "black", "default", "", "#000", "default"),
    ("null", "dark gray", "default", "", "#999,italics", "default"),
    ("sep", "light gray", "default", "", "#ccc", "default"),
    ("row focus", "black", "light cyan", "standout", "#000", "#dde8ff"),
    ("cell focus", "white,bold", "dark blue", "bold,standout", "#fff,bold", "#36c"),
    ("null focus", "dark gray", "light cyan", "standout", "#777,italics", "#dde8ff"),
    ("sep focus", "dark gray", "light cyan", "standout", "#99b", "#dde8ff"),
    ("prompt", "dark blue,bold", "default", "bold", "#03a,bold", "default"),
    ("dialog", "black", "light gray", "", "#000", "#eee"),
    ("dialog title", "dark blue,bold", "light gray", "bold", "#03a,bold", "#eee"),
    ("dialog focus", "white", "dark blue", "standout", "#fff", "#36c"),
    ("key", "dark blue,bold", "light gray", "bold", "#03a,bold", "#eee"),
    ("field", "dark blue,bold", "default", "bold", "#03a,bold", "default"),
    ("type", "dark gray", "default", "", "#888", "default"),
    ("ok", "dark green,bold", "default", "bold", "#070,bold", "default"),
    ("warn", "brown,bold", "default", "bold", "#a60,bold", "default"),
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


def choose(name: str | None, environ=os.environ) -> str:
    """The theme to use: an explicit choice wins; NO_COLOR (any non-empty value) means mono."""
    if name:
        if name not in THEMES:
            raise ValueError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}")
        return name
    return "mono" if environ.get("NO_COLOR") else DEFAULT


def palette(name: str) -> list[tuple]:
    return THEMES[name]
