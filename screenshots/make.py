"""Regenerate the PNG screenshots of the real rowdesk in this folder.

    .venv/bin/pip install -e '.[test,screenshots]'   # Pillow, and pyte from the test group
    .venv/bin/python screenshots/make.py         # all shots, written next to this file
    .venv/bin/python screenshots/make.py browse help     # only some (names without .png)

Each shot starts the installed `rowdesk` command in a pseudo-terminal (TERM=xterm-256color), in a
throw-away XDG_DATA_HOME/XDG_STATE_HOME/XDG_CONFIG_HOME under $TMPDIR/rowdesk-screenshots-UID (a fixed
path, so that the shots are the same byte for byte from run to run; the first start creates the demo
database there), presses keys, waits for text on the emulated screen (pyte), and paints that screen to PNG
with Pillow: DejaVu Sans Mono, the cell colours, bold/italics/underline/reverse, double-width
characters (a CJK font if one is installed, e.g. Debian's fonts-wqy-microhei), box-drawing lines
drawn to the cell edges.

Fonts: Debian `apt-get install -y fonts-dejavu-core` (required), `fonts-wqy-microhei` (for CJK).
Options: --keep keeps the temporary directory (printed); --out DIR writes elsewhere.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:
    import pyte
except ImportError:  # pragma: no cover - a message, not a traceback
    sys.exit("screenshots/make.py needs pyte: .venv/bin/pip install -e '.[test,screenshots]'")
try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError:  # pragma: no cover
    sys.exit("screenshots/make.py needs Pillow: .venv/bin/pip install -e '.[screenshots]'")

sys.path.insert(0, str(HERE.parent))   # the tests' terminal driver
import server_shots as servers  # noqa: E402  (beside this file)

from tests.terminal import KEYS, Terminal  # noqa: E402

# ------------------------------------------------------------------------------------------
# Fonts and colours
# ------------------------------------------------------------------------------------------

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/TTF", "/usr/share/fonts/dejavu",
             "/usr/local/share/fonts", "/Library/Fonts", str(Path.home() / ".local/share/fonts"))
# (path, face index in a collection): the first one found draws characters DejaVu lacks (CJK).
WIDE_FONTS = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 1),             # WenQuanYi Micro Hei Mono
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 1),
)
FONT_SIZE = 16
PAD = 8            # pixels around the cell grid

# A pleasant xterm palette (Tango-like) for the 16 named colours pyte reports.
NAMED = {
    "black": "2e3436", "red": "cc0000", "green": "4e9a06", "brown": "c4a000",
    "blue": "3465a4", "magenta": "75507b", "cyan": "06989a", "white": "d3d7cf",
    "brightblack": "555753", "brightred": "ef2929", "brightgreen": "8ae234", "brightbrown": "fce94f",
    "brightblue": "729fcf", "brightmagenta": "ad7fa8", "brightcyan": "34e2e2", "brightwhite": "eeeeec",
}
NAMED["yellow"] = NAMED["brown"]
NAMED["brightyellow"] = NAMED["brightbrown"]
NAMED["bfightmagenta"] = NAMED["brightmagenta"]       # a typo in pyte's table for SGR 105

# The terminal's own default colours: a dark terminal, and a light one for the light theme.
PROFILES = {
    "dark": {"fg": "d4d4d4", "bg": "17191e", "cursor": "d4d4d4"},
    "light": {"fg": "1e1e1e", "bg": "fbfbf8", "cursor": "1e1e1e"},
}


def rgb(value: str) -> tuple[int, int, int]:
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def find_font(name: str) -> str | None:
    for d in FONT_DIRS:
        p = Path(d) / name
        if p.is_file():
            return str(p)
    return None


class Fonts:
    """DejaVu Sans Mono in four styles, a fallback for wide characters, and the cell size."""

    def __init__(self, size: int = FONT_SIZE):
        regular = find_font("DejaVuSansMono.ttf")
        if regular is None:
            sys.exit("screenshots/make.py: DejaVu Sans Mono not found (looked in " + ", ".join(FONT_DIRS) +
                     "). On Debian/Ubuntu: apt-get install -y fonts-dejavu-core")
        bold = find_font("DejaVuSansMono-Bold.ttf") or regular
        italic = find_font("DejaVuSansMono-Oblique.ttf") or regular
        bold_italic = find_font("DejaVuSansMono-BoldOblique.ttf") or bold
        self.styles = {(b, i): ImageFont.truetype(path, size)
                       for (b, i), path in {(False, False): regular, (True, False): bold,
                                            (False, True): italic, (True, True): bold_italic}.items()}
        base = self.styles[False, False]
        self.ascent, self.descent = base.getmetrics()
        self.cell_w = round(base.getlength("M"))
        self.cell_h = self.ascent + self.descent
        self.wide = None
        for path, index in WIDE_FONTS:
            if Path(path).is_file():
                self.wide = ImageFont.truetype(path, size, index=index)
                break
        self._notdef: dict[int, bytes] = {}
        self._has: dict[tuple[int, str], bool] = {}

    def _mask(self, font, text: str) -> bytes:
        m = font.getmask(text)
        return bytes(m.size) + bytes(m)

    def has_glyph(self, font, ch: str) -> bool:
        key = (id(font), ch)
        if key not in self._has:
            if id(font) not in self._notdef:
                self._notdef[id(font)] = self._mask(font, "\U000f0000")   # private use: .notdef
            self._has[key] = self._mask(font, ch) != self._notdef[id(font)]
        return self._has[key]

    def font_for(self, text: str, bold: bool, italics: bool, wide: bool):
        main = self.styles[bold, italics]
        ch = text[0]
        if wide and self.wide is not None and self.has_glyph(self.wide, ch):
            return self.wide
        if self.has_glyph(main, ch):
            return main
        if self.wide is not None and self.has_glyph(self.wide, ch):
            return self.wide
        return main


# ------------------------------------------------------------------------------------------
# Box drawing and blocks, drawn as shapes so lines meet across cells
# ------------------------------------------------------------------------------------------

L, H, D = 1, 2, 3   # light, heavy, double
# arms: (up, right, down, left)
BOX_ARMS = {
    "─": (0, L, 0, L), "━": (0, H, 0, H), "│": (L, 0, L, 0), "┃": (H, 0, H, 0),
    "┌": (0, L, L, 0), "┐": (0, 0, L, L), "└": (L, L, 0, 0), "┘": (L, 0, 0, L),
    "├": (L, L, L, 0), "┤": (L, 0, L, L), "┬": (0, L, L, L), "┴": (L, L, 0, L), "┼": (L, L, L, L),
    "┏": (0, H, H, 0), "┓": (0, 0, H, H), "┗": (H, H, 0, 0), "┛": (H, 0, 0, H),
    "┣": (H, H, H, 0), "┫": (H, 0, H, H), "┳": (0, H, H, H), "┻": (H, H, 0, H), "╋": (H, H, H, H),
    "╭": (0, L, L, 0), "╮": (0, 0, L, L), "╯": (L, 0, 0, L), "╰": (L, L, 0, 0),
    "╴": (0, 0, 0, L), "╵": (L, 0, 0, 0), "╶": (0, L, 0, 0), "╷": (0, 0, L, 0),
    "╸": (0, 0, 0, H), "╹": (H, 0, 0, 0), "╺": (0, H, 0, 0), "╻": (0, 0, H, 0),
    "╼": (0, H, 0, L), "╾": (0, L, 0, H), "╽": (L, 0, H, 0), "╿": (H, 0, L, 0),
}
DOUBLE = set("═║╔╗╚╝╠╣╦╩╬")
SHADES = {"░": 0.25, "▒": 0.5, "▓": 0.75}


def _blend(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def draw_special(draw: ImageDraw.ImageDraw, ch: str, x: int, y: int, w: int, h: int, fg, bg) -> bool:
    """Draw box-drawing and block characters as shapes; False if *ch* is not one of them."""
    cx, cy = x + w // 2, y + h // 2
    right, bottom = x + w - 1, y + h - 1
    thin = max(1, round(w / 10))
    thick = max(thin + 1, round(w / 4))

    def rect(x0, y0, x1, y1):
        if x1 >= x0 and y1 >= y0:
            draw.rectangle((x0, y0, x1, y1), fill=fg)

    if ch in BOX_ARMS:
        up, rt, dn, lf = BOX_ARMS[ch]
        size = {0: 0, L: thin, H: thick}
        tmax = max(size[a] for a in (up, rt, dn, lf))
        lo = -(tmax // 2)
        hi = lo + tmax - 1
        if rt:
            t = size[rt]
            rect(cx + lo, cy - t // 2, right, cy - t // 2 + t - 1)
        if lf:
            t = size[lf]
            rect(x, cy - t // 2, cx + hi, cy - t // 2 + t - 1)
        if up:
            t = size[up]
            rect(cx - t // 2, y, cx - t // 2 + t - 1, cy + hi)
        if dn:
            t = size[dn]
            rect(cx - t // 2, cy + lo, cx - t // 2 + t - 1, bottom)
        return True
    if ch in DOUBLE:
        g = max(1, round(w / 6))
        t = thin

        def hl(yy, x0, x1):
            rect(x0, yy, x1 + t - 1 if x1 != right else right, yy + t - 1)

        def vl(xx, y0, y1):
            rect(xx, y0, xx + t - 1, y1 + t - 1 if y1 != bottom else bottom)
        a, b = cy - g, cy + g      # the two horizontal lines
        p, q = cx - g, cx + g      # the two vertical lines
        segs = {
            "═": [("h", a, x, right), ("h", b, x, right)],
            "║": [("v", p, y, bottom), ("v", q, y, bottom)],
            "╔": [("h", a, p, right), ("v", p, a, bottom), ("h", b, q, right), ("v", q, b, bottom)],
            "╗": [("h", a, x, q), ("v", q, a, bottom), ("h", b, x, p), ("v", p, b, bottom)],
            "╚": [("h", b, p, right), ("v", p, y, b), ("h", a, q, right), ("v", q, y, a)],
            "╝": [("h", b, x, q), ("v", q, y, b), ("h", a, x, p), ("v", p, y, a)],
            "╠": [("v", p, y, bottom), ("h", a, q, right), ("v", q, y, a), ("h", b, q, right), ("v", q, b, bottom)],
            "╣": [("v", q, y, bottom), ("h", a, x, p), ("v", p, y, a), ("h", b, x, p), ("v", p, b, bottom)],
            "╦": [("h", a, x, right), ("h", b, x, p), ("v", p, b, bottom), ("h", b, q, right), ("v", q, b, bottom)],
            "╩": [("h", b, x, right), ("h", a, x, p), ("v", p, y, a), ("h", a, q, right), ("v", q, y, a)],
            "╬": [("h", a, x, p), ("v", p, y, a), ("h", a, q, right), ("v", q, y, a),
                  ("h", b, x, p), ("v", p, b, bottom), ("h", b, q, right), ("v", q, b, bottom)],
        }[ch]
        for kind, at, s0, s1 in segs:
            (hl if kind == "h" else vl)(at, s0, s1)
        return True
    code = ord(ch)
    if code == 0x2588:                                   # █
        rect(x, y, right, bottom)
    elif code == 0x2580:                                 # ▀
        rect(x, y, right, y + h // 2 - 1)
    elif 0x2581 <= code <= 0x2587:                       # ▁..▇ lower eighths
        n = code - 0x2580
        rect(x, bottom - round(h * n / 8) + 1, right, bottom)
    elif 0x2589 <= code <= 0x258F:                       # ▉..▏ left eighths
        n = 0x2590 - code
        rect(x, y, x + round(w * n / 8) - 1, bottom)
    elif code == 0x2590:                                 # ▐
        rect(x + w // 2, y, right, bottom)
    elif code == 0x2594:                                 # ▔
        rect(x, y, right, y + max(1, h // 8) - 1)
    elif code == 0x2595:                                 # ▕
        rect(right - max(1, w // 8) + 1, y, right, bottom)
    elif ch in SHADES:
        draw.rectangle((x, y, right, bottom), fill=_blend(bg, fg, SHADES[ch]))
    else:
        return False
    return True


# ------------------------------------------------------------------------------------------
# The renderer: a pyte screen to a PNG
# ------------------------------------------------------------------------------------------

def render(screen: pyte.Screen, path: Path, fonts: Fonts, profile: str = "dark", cursor: bool = True) -> None:
    prof = PROFILES[profile]
    default_fg, default_bg = rgb(prof["fg"]), rgb(prof["bg"])

    def colour(name: str, default):
        if name == "default":
            return default
        if name in NAMED:
            return rgb(NAMED[name])
        if re.fullmatch(r"[0-9a-fA-F]{6}", name):
            return rgb(name)
        return default

    cw, ch_ = fonts.cell_w, fonts.cell_h
    img = Image.new("RGB", (screen.columns * cw + 2 * PAD, screen.lines * ch_ + 2 * PAD), default_bg)
    draw = ImageDraw.Draw(img)
    cur = screen.cursor
    show_cursor = cursor and not cur.hidden and 0 <= cur.y < screen.lines and 0 <= cur.x < screen.columns

    for row in range(screen.lines):
        line = screen.buffer[row]
        y = PAD + row * ch_
        # backgrounds first, so a glyph that overhangs its cell is not cut by the next cell's background
        cells = []
        for col in range(screen.columns):
            c = line[col]
            fg, bg = colour(c.fg, default_fg), colour(c.bg, default_bg)
            if c.reverse:
                fg, bg = bg, fg
            if show_cursor and row == cur.y and col == cur.x:
                fg, bg = bg, fg
            x = PAD + col * cw
            if bg != default_bg:
                draw.rectangle((x, y, x + cw - 1, y + ch_ - 1), fill=bg)
            cells.append((c, fg, bg, x))
        for col, (c, fg, bg, x) in enumerate(cells):
            text = c.data
            if not text or text == " " and not (c.underscore or c.strikethrough):
                continue
            wide = col + 1 < screen.columns and line[col + 1].data == ""
            w = cw * (2 if wide else 1)
            if text != " " and not draw_special(draw, text[0], x, y, w, ch_, fg, bg):
                if text[0] == "\x00":
                    continue
                font = fonts.font_for(text, c.bold, c.italics, wide)
                text = unicodedata.normalize("NFC", text)
                if font is fonts.wide:
                    # centre the glyph in its cells, on the common baseline
                    adv = font.getlength(text)
                    draw.text((x + (w - adv) / 2, y + fonts.ascent), text, font=font, fill=fg, anchor="ls")
                    if c.bold:
                        draw.text((x + (w - adv) / 2 + 1, y + fonts.ascent), text, font=font, fill=fg,
                                  anchor="ls")
                else:
                    draw.text((x, y + fonts.ascent), text, font=font, fill=fg, anchor="ls")
            if c.underscore:
                uy = y + fonts.ascent + max(1, fonts.descent // 3)
                draw.rectangle((x, uy, x + w - 1, uy), fill=fg)
            if c.strikethrough:
                sy = y + fonts.ascent - round(fonts.ascent * 0.3)
                draw.rectangle((x, sy, x + w - 1, sy), fill=fg)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, optimize=True)


# ------------------------------------------------------------------------------------------
# A program in a pseudo-terminal
# ------------------------------------------------------------------------------------------

class ShotError(Exception):
    pass


class Pty(Terminal):
    """The tests' pseudo-terminal driver, with the screenshot script's error and a way out."""

    def __init__(self, argv: list[str], cols: int, rows: int, env: dict[str, str], preexec_fn=None, cwd=None,
                 controlling: bool = False):
        super().__init__(argv, cols=cols, rows=rows, env=env, cwd=cwd, preexec_fn=preexec_fn, inherit_env=False,
                         controlling=controlling)

    def wait_for(self, pattern: str, timeout: float = 15.0) -> re.Match:
        try:
            return super().wait_for(pattern, timeout)
        except AssertionError as e:
            raise ShotError(str(e)) from None

    def quit(self) -> int | None:
        """q a few times (each screen goes back, the home screen quits); where q is typed into a prompt,
        Esc first and q again; then kill what is left."""
        for key in ["q"] * 4 + ["esc", "esc"] + ["q"] * 4:
            if self.proc.poll() is not None:
                break
            try:
                os.write(self.fd, KEYS.get(key, key).encode())
            except OSError:
                break
            end = time.monotonic() + (0.6 if key == "esc" else 0.3)
            while time.monotonic() < end and self.proc.poll() is None:
                self.pump(0.05)
        end = time.monotonic() + 3
        while time.monotonic() < end and self.proc.poll() is None:
            self.pump(0.05)
        code = self.proc.poll()
        self.close()
        return code


# ------------------------------------------------------------------------------------------
# The shots
# ------------------------------------------------------------------------------------------

@dataclass
class Shot:
    name: str                                    # file name without .png
    steps: Callable[[Pty, dict], None]           # presses keys, waits; the screen is taken after it
    args: Callable[[dict], list[str]] = lambda ctx: []
    size: tuple[int, int] = (120, 36)
    env: dict[str, str] = field(default_factory=dict)
    profile: str = "dark"
    preexec_fn: Callable[[], None] | None = None
    server: str | None = None                    # "postgres" or "mysql": made only when that server answers
    controlling: bool = False                    # the pty is the program's controlling terminal (getpass)
    settle: bool = True                          # let drawing finish first (not for a moment of progress)


def home(t: Pty, ctx) -> None:
    t.wait_for(r"order_lines .* 7,500", timeout=ctx.get("first_timeout", 20))


def open_orders(t: Pty, ctx) -> None:
    home(t, ctx)
    t.press("j", "j", "j", "enter")
    t.wait_for(r"orders · row 1 of 3,000")


def sorted_orders(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("l", "l", "l")
    t.wait_for(r"placed_at")
    t.press("s")
    t.wait_for(r"sort placed_at ▲")


def filtered_customers(t: Pty, ctx) -> None:
    home(t, ctx)
    t.press("j", "enter")
    t.wait_for(r"customers · row 1 of")
    t.press("l", "l", "l", "l", "/")
    t.settle(0.3)
    t.press("ö", "enter")
    t.wait_for(r"filter city ~ ö")


def record(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("j")
    t.wait_for(r"orders · row 2 of 3,000")
    t.press("enter")
    t.wait_for(r"record · orders")


def help_overlay(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("?")
    t.wait_for(r"Keys · j/k scroll · Esc or")


def palette(t: Pty, ctx) -> None:
    home(t, ctx)
    t.press(":")
    t.settle(0.3)
    t.press("ord")
    t.wait_for(r"open orders")


# The verdict the settings screen reads back: on, off, or why a crash would not write a whole core.
STATUS_CORE = r"settings · core dumps ([a-z][a-z ]*?) ·"


def settings_to(target: str) -> Callable[[Pty, dict], None]:
    """Settings, then t until the status line says core dumps *target* (t twice at most): the shot shows the
    message of a change, not only a state."""
    def steps(t: Pty, ctx) -> None:
        home(t, ctx)
        t.press("S")
        state = t.wait_for(STATUS_CORE).group(1)
        for _ in range(2):
            if state == target:
                return
            before = t.text
            t.press("t")
            deadline = time.monotonic() + 10
            while t.text == before and time.monotonic() < deadline:
                t.pump(0.05)
            state = t.wait_for(STATUS_CORE).group(1)
        if state != target:
            raise ShotError(f"core dumps did not become {target} after t twice:\n{t.framed()}")
    return steps


def settings_refused(t: Pty, ctx) -> None:
    home(t, ctx)
    t.press("S")
    t.wait_for(r"settings · core dumps off")
    t.press("t")
    t.wait_for(r"could not be turned on")


def no_core_dumps() -> None:
    """In the child only, between fork and exec: a hard limit of 0 can never be raised again."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def empty_table(t: Pty, ctx) -> None:
    t.wait_for(r"audit_log", timeout=ctx.get("first_timeout", 20))
    t.press("enter")
    t.wait_for(r"no rows")


def bad_filter(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("/")
    t.settle(0.3)
    t.press(">=", "enter")
    t.wait_for(r"filter not applied")


# -- editing -------------------------------------------------------------------------------
def form(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("j", "j", "e")
    t.wait_for(r"^edit · orders · row 3")
    t.press("tab", "ctrl u")                   # status (the focus starts on customer_id, the key is shown only)
    t.press(*"shipped")                        # letters are text here, not commands
    t.press("tab", "tab", "ctrl u", *"2024-01-03", "tab")
    t.wait_for(r"2 changed")


def form_error(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("e")
    t.wait_for(r"^edit · orders · row 1")
    t.press("x", "tab", "tab", "tab", *"2026-02-30", "tab", "ctrl u", *"12.345")
    t.press("ctrl s")
    t.wait_for(r"to correct")


def conflict(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("e")
    t.wait_for(r"^edit · orders · row 1")
    t.press(*["tab"] * 6, *"gift wrap")       # note
    demo = ctx["tmp"] / "data" / "rowdesk" / "demo.sqlite"
    with sqlite3.connect(demo) as db:          # another writer, while the form is open
        db.execute("UPDATE orders SET status = 'cancelled', note = 'customer called' WHERE id = 1")
    t.press("ctrl s")
    t.wait_for(r"^conflict · orders")
    with sqlite3.connect(demo) as db:
        db.execute("UPDATE orders SET status = 'new', note = NULL WHERE id = 1")


def delete_confirmation(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("m", "m", "m")
    t.wait_for(r"3 rows marked")
    t.press("d")
    t.wait_for(r"Delete 3 rows of orders\?")


def journal(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("l", "l", "E", "ctrl u", *"paid", "enter")
    t.wait_for(r"saved status")
    t.press("j", "E", "ctrl u", *"returned", "enter")
    t.wait_for(r"saved status")
    t.press("J")
    t.wait_for(r"^journal · \d+ change")


def read_only_refusal(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("e")
    t.wait_for(r"read-only \(")


# -- relations, commands, models, export -----------------------------------------------------------------------
def open_customers(t: Pty, ctx) -> None:
    home(t, ctx)
    t.press("j", "enter")
    t.wait_for(r"customers · row 1 of")


def references(t: Pty, ctx) -> None:
    home(t, ctx)
    t.press("enter")                                  # categories: products and sub-categories refer to them
    t.wait_for(r"categories · row 1 of")
    t.press("<")
    t.wait_for(r"products\.category_id +\d+ rows?")
    t.wait_for(r"categories\.parent_id +\d+ rows?")


def trail(t: Pty, ctx) -> None:
    open_customers(t, ctx)
    t.press("j", "j", "<")
    t.wait_for(r"orders\.customer_id +\d+ rows?")


    t.press("enter")
    t.wait_for(r"orders · filter customer_id = 3")
    t.press("<")
    t.wait_for(r"order_lines\.order_id +\d+ rows?")
    t.press("enter")
    t.wait_for(r"order_lines · filter order_id = ")
    t.press("l", "l", ">")
    t.wait_for(r"products · row")


def palette_arguments(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press(":")
    t.settle(0.3)
    t.press(*"sort pla")
    t.wait_for(r"sort placed_at")
    t.press("tab")                                    # the column completed; its directions proposed
    t.wait_for(r"sort placed_at desc")


SHOP_MODELS = '''"""The shop's SQLObject classes, as an application would declare them."""
from formencode import validators
from sqlobject import BoolCol, DateCol, DecimalCol, ForeignKey, MultipleJoin, SQLObject, StringCol


class Customer(SQLObject):
    class sqlmeta:
        table = "customers"

    firstName = StringCol(dbName="first_name", length=40, notNone=True)
    lastName = StringCol(dbName="last_name", length=60, notNone=True)
    email = StringCol(length=120, alternateID=True)
    country = StringCol(length=2, default="DE")
    signupDate = DateCol(dbName="signup_date")
    vip = BoolCol(default=False)
    creditLimit = DecimalCol(dbName="credit_limit", size=10, precision=2, default=None)
    loyaltyTier = StringCol(dbName="loyalty_tier", default="bronze")      # not in the table (yet)
    orders = MultipleJoin("Order", joinColumn="customer_id")


class Order(SQLObject):
    class sqlmeta:
        table = "orders"

    customer = ForeignKey("Customer", dbName="customer_id")
    status = StringCol(default="new")
    total = DecimalCol(size=12, precision=2, validator=validators.Number(min=0))
'''


def model_form(t: Pty, ctx) -> None:
    (ctx["tmp"] / "shop_models.py").write_text(SHOP_MODELS)
    t.wait_for(r"models shop_models: 2 classes", timeout=ctx.get("first_timeout", 20))
    t.press("j", "j", "j", "enter")
    t.wait_for(r"orders · model Order · row 1 of")
    t.press("e")
    t.wait_for(r"^edit · orders")
    t.press("tab", "tab", "tab", "tab", "ctrl u", *"-5")           # total: validators.Number(min=0)
    t.press("ctrl s")
    t.wait_for(r"to correct")


def export_progress(t: Pty, ctx) -> None:
    t.wait_for(r"orders .* 400,000", timeout=120)
    t.press("j", "j", "j", "enter")
    t.wait_for(r"orders · row 1 of 400,000")
    t.press("x", "ctrl u", *str(ctx["tmp"] / "orders.csv"), "enter")
    t.wait_for(r"exporting [█░]+ [3-6]\d% · ", timeout=30)


def make_export_db(path: Path) -> Path:
    subprocess.run(rowdesk_command() + ["demo", "--rows", "400000", str(path)], check=True, capture_output=True)
    return path


SHOWCASE = """
CREATE TABLE events (event_id INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload TEXT, raw BLOB, amount NUMERIC(12,2),
                     note TEXT);
"""


def make_showcase_db(path: Path) -> Path:
    """Values an admin tool must show as stored: JSON, bytes, control characters, unrounded decimals, a long text."""
    import json

    payload = json.dumps({"user": {"id": 42, "name": "Zoë Kim"}, "items": [{"sku": "LMP-004", "qty": 2},
                          {"sku": "KTL-117", "qty": 1}], "coupon": None, "gift": True})
    long_note = " ".join(f"Paragraph {n}: the customer called about the delivery window." for n in range(1, 400))
    with sqlite3.connect(path) as db:
        db.executescript(SHOWCASE)
        db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                   (1, "order.created", payload, bytes(range(256)) * 4, 12.345, long_note))
        db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                   (2, "log.line", "\x1b[31mERROR\x1b[0m disk\x07 full\r\nretrying", b"\x00\xff", 0.005, "ok"))
        db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                       [(n, "ping", None, None, n / 8, None) for n in range(3, 40)])
    return path


def open_events(t: Pty, ctx) -> None:
    t.wait_for(r"events", timeout=ctx.get("first_timeout", 20))
    t.press("enter")
    t.wait_for(r"events · row 1 of 39")


def record_json(t: Pty, ctx) -> None:
    open_events(t, ctx)
    t.press("l", "l", "enter")
    t.wait_for(r"record · events")


def value_hex(t: Pty, ctx) -> None:
    open_events(t, ctx)
    t.press("l", "l", "l", "enter")
    t.wait_for(r"record · events")
    t.press("enter")
    t.wait_for(r"value · events\.raw")


def controls(t: Pty, ctx) -> None:
    open_events(t, ctx)
    t.press("j", "l", "l", "enter")
    t.wait_for(r"record · events · row 2")


def frozen_key(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("$")
    t.wait_for(r"col 8/8")


def record_narrow(t: Pty, ctx) -> None:
    open_orders(t, ctx)
    t.press("enter")
    t.wait_for(r"record")


SHOTS = [
    Shot("tables", home),
    Shot("browse", sorted_orders),
    Shot("browse-filter", filtered_customers),
    Shot("record", record),
    Shot("help", help_overlay),
    Shot("palette", palette),
    Shot("palette-80x24", palette, size=(80, 24)),
    Shot("browse-80x24", sorted_orders, size=(80, 24)),
    Shot("tables-80x24", home, size=(80, 24)),
    Shot("browse-light", sorted_orders, args=lambda ctx: ["--theme", "light"], profile="light"),
    Shot("browse-mono", sorted_orders, env={"NO_COLOR": "1"}),
    Shot("settings-on", settings_to("on")),
    Shot("settings-off", settings_to("off")),
    Shot("settings-refused", settings_refused, preexec_fn=no_core_dumps),
    Shot("empty", empty_table, args=lambda ctx: [str(ctx["empty_db"])]),
    Shot("error", bad_filter),
    Shot("record-json", record_json, args=lambda ctx: [str(ctx["showcase_db"])]),
    Shot("record-controls", controls, args=lambda ctx: [str(ctx["showcase_db"])]),
    Shot("value-hex", value_hex, args=lambda ctx: [str(ctx["showcase_db"])]),
    Shot("browse-frozen-80x24", frozen_key, size=(80, 24)),
    Shot("record-narrow-44x20", record_narrow, size=(44, 20)),
    Shot("form", form),
    Shot("form-error", form_error),
    Shot("conflict", conflict),
    Shot("delete-confirmation", delete_confirmation),
    Shot("journal", journal),
    Shot("read-only-refusal", read_only_refusal, args=lambda ctx: ["--read-only"]),
    Shot("form-80x24", form, size=(80, 24)),
    Shot("form-narrow-44x20", form, size=(44, 20)),
    Shot("references", references),
    Shot("trail", trail),
    Shot("palette-arguments", palette_arguments),
    Shot("model-form", model_form, args=lambda ctx: ["--models", "shop_models"],
         env={"PYTHONPATH": "."}),
    Shot("export-progress", export_progress, args=lambda ctx: [str(ctx["export_db"])], settle=False),
    # On the servers of this machine (screenshots/server_shots.py makes their data).
    Shot("tables-postgres", servers.pg_tables, args=lambda ctx: [servers.PG_URI], server="postgres"),
    Shot("browse-postgres", servers.pg_orders_sorted, args=lambda ctx: [servers.PG_URI], server="postgres",
         size=(150, 36)),
    Shot("record-postgres", servers.pg_record, args=lambda ctx: [servers.PG_URI], server="postgres"),
    Shot("browse-postgres-80x24", servers.pg_orders, args=lambda ctx: [servers.PG_URI], server="postgres",
         size=(80, 24)),
    Shot("browse-mariadb", servers.mysql_products, args=lambda ctx: [servers.MYSQL_URI], server="mysql",
         size=(150, 36)),
    Shot("record-mariadb", servers.mysql_record, args=lambda ctx: [servers.MYSQL_URI], server="mysql"),
    Shot("password-prompt", servers.password_prompt, args=lambda ctx: [servers.PROMPT_URI], server="mysql",
         size=(80, 12), controlling=True),
    Shot("reconnected", servers.reconnected, args=lambda ctx: [servers.MYSQL_URI], server="mysql"),
]


def rowdesk_command() -> list[str]:
    exe = Path(sys.executable).parent / "rowdesk"
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("rowdesk")
    if found:
        return [found]
    return [sys.executable, "-m", "console"]


def make_empty_db(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at TIMESTAMP, what TEXT)")
    return path


def work_dir() -> Path:
    """A fresh directory at a fixed path, so that the paths the app shows (title bar, settings) and so the
    PNG files are the same from one run to the next. Two runs at once would share it: don't."""
    tmp = Path(tempfile.gettempdir()) / f"rowdesk-screenshots-{os.getuid()}"
    if tmp.is_symlink() or (tmp.exists() and tmp.stat().st_uid != os.getuid()):
        sys.exit(f"screenshots/make.py: {tmp} exists and is not a directory of this user; remove it")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o700)
    return tmp


def child_env(tmp: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("COLORTERM", "NO_COLOR", "TMUX", "STY", "LINES", "COLUMNS") and not k.startswith("LC_")}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8",
               XDG_DATA_HOME=str(tmp / "data"), XDG_STATE_HOME=str(tmp / "state"),
               XDG_CONFIG_HOME=str(tmp / "config"))
    env.update(extra)
    return env


def take(shot: Shot, ctx: dict, fonts: Fonts, out: Path) -> Path:
    cols, rows = shot.size
    argv = rowdesk_command() + shot.args(ctx)
    t = Pty(argv, cols, rows, child_env(ctx["tmp"], shot.env), preexec_fn=shot.preexec_fn, cwd=ctx["tmp"],
            controlling=shot.controlling)
    try:
        shot.steps(t, ctx)
        if shot.settle:
            t.settle()
        target = out / f"{shot.name}.png"
        render(t.screen, target, fonts, shot.profile)
    finally:
        code = t.quit()
    if code not in (0, None) and code != -signal.SIGKILL:
        print(f"  note: {shot.name}: rowdesk exited with {code} after q", file=sys.stderr)
    elif code is None or code == -signal.SIGKILL:
        print(f"  note: {shot.name}: rowdesk did not quit on q; killed", file=sys.stderr)
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Regenerate the screenshots of rowdesk (see the top of this file).")
    p.add_argument("only", nargs="*", help="shot names to make (default: all): " + ", ".join(s.name for s in SHOTS))
    p.add_argument("--out", type=Path, default=HERE, help="where the PNG files go (default: this folder)")
    p.add_argument("--keep", action="store_true", help="keep the temporary XDG directory")
    args = p.parse_args(argv)
    unknown = set(args.only) - {s.name for s in SHOTS}
    if unknown:
        p.error("unknown shot(s): " + ", ".join(sorted(unknown)))
    shots = [s for s in SHOTS if not args.only or s.name in args.only]

    fonts = Fonts()
    if fonts.wide is None:
        print("note: no CJK font found; double-width characters are drawn as boxes "
              "(Debian: apt-get install -y fonts-wqy-microhei)", file=sys.stderr)
    tmp = work_dir()
    ctx = {"tmp": tmp, "empty_db": make_empty_db(tmp / "empty.sqlite"),
           "showcase_db": make_showcase_db(tmp / "showcase.sqlite"), "first_timeout": 120}
    if any(s.name == "export-progress" for s in shots):
        ctx["export_db"] = make_export_db(tmp / "export.sqlite")
    failed = []
    wanted = {s.server for s in shots if s.server}
    up = set()
    for server, make in (("postgres", servers.make_postgres), ("mysql", servers.make_mysql)):
        if server in wanted:
            try:
                make()
                up.add(server)
            except Exception as e:          # a server down, or its driver missing: its shots are not made
                print(f"note: {server} shots skipped: {type(e).__name__}: {e}", file=sys.stderr)
    try:
        for shot in shots:
            if shot.server and shot.server not in up:
                continue
            started = time.monotonic()
            try:
                path = take(shot, ctx, fonts, args.out)
            except ShotError as e:
                failed.append(shot.name)
                print(f"FAILED {shot.name}.png: {e}", file=sys.stderr)
                continue
            ctx["first_timeout"] = 20          # the demo database exists now
            try:
                shown = path.relative_to(Path.cwd())
            except ValueError:
                shown = path
            print(f"wrote {shown}  ({time.monotonic() - started:.1f} s)", flush=True)
    finally:
        if up:
            servers.drop_all()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        print(f"{len(failed)} shot(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
