"""Writing and marks that are NOT digits, for the recognizer's training pages (its 11th class, "not a digit").

The training pages (``recognizer.training_data``) hold MNIST training digits amid the things a page shows that
are not digits: words, letters, symbols, doodles, printed form text and form structure, a finger, the desk
beyond the page's edge, stains and creases. This module draws that non-digit material.

Why these sources: the benchmark's non-digit material is drawn from matplotlib's DejaVu fonts, OpenCV's
Hershey DUPLEX / TRIPLEX / PLAIN fonts, and operators as font glyphs. Training on *different* sources makes
the benchmark measure generalization, not memory of its fonts. So this module uses only:

- handwriting-like fonts: Amatic SC (regular, bold; pip package ``font-amatic-sc``) and Intuitive (pip
  package ``font-intuitive``), rendered with Pillow, and OpenCV's FONT_HERSHEY_SCRIPT_SIMPLEX and
  FONT_HERSHEY_SCRIPT_COMPLEX (sometimes with FONT_ITALIC);
- printed form labels: FONT_HERSHEY_SIMPLEX and FONT_HERSHEY_COMPLEX only;
- operators, punctuation and doodles: hand strokes (jittered polylines, anti-aliased, random pen width),
  never font glyphs.

Every function takes a ``np.random.Generator`` and is deterministic given it. Marks are ink coverage maps,
float32 in [0, 1] (1 = full ink), cropped tightly to their ink:

    mark = word(rng, height=30)        # mark.alpha (h, w); mark.glyphs: one (x, y, w, h) box per letter
    blend_ink(paper[y:y + h, x:x + w], mark.alpha, colour)
"""
from __future__ import annotations

import functools
import importlib
import importlib.resources
import string
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from recognizer.synth import blend_ink, draw_line, ink_colour, smooth_noise, vary_pen_width

Box = tuple[int, int, int, int]  # (x, y, w, h)

# Letters a hand can write so that, alone, they pass for a digit:
STROKE_WORDS = 0.4  # of the words are drawn as pen strokes (recognizer/stroke_letters.py), not with a font
DIGIT_LIKE = "OoIlij|SsZzbgq"
#   O o    -> 0   (a round loop)
#   I l |  -> 1   (a single upright stroke)
#   i j    -> 1   (an upright stroke; the dot may merge or go unnoticed)
#   S s    -> 5   (a 5 with a rounded top)
#   Z z    -> 2   (a 2 with a straight base)
#   b      -> 6   (a loop at the bottom with a rising stem)
#   g q    -> 9   (a loop with a tail below)
# (B, D, G, T are taught as letters: their straight sides and bars tell them from 8, 0, 6 and 7.)

WORDS = (
    "the of and to in is you that it he was for on are as with his they at be this have from or one had by "
    "word but not what all were we when your can said there use an each which she do how their if will up "
    "other about out many then them these so some her would make like him into time has look two more write "
    "go see number no way could people my than first water been call who oil its now find long down day did "
    "get come made may part over new sound take only little work know place year live me back give most very "
    "after thing our just name good sentence man think say great where help through much before line right "
    "too mean old any same tell boy follow came want show also around form three small set put end does "
    "another well large must big even such because turn here why ask went men read need land different home "
    "us move try kind hand picture again change off play spell air away animal house point page letter mother "
    "answer found study still learn should world total date class score sum page note test hello"
).split()

AMATIC, AMATIC_BOLD, INTUITIVE = "amatic", "amatic_bold", "intuitive"
FONT_FILES = {AMATIC: ("font_amatic_sc", "font-amatic-sc", "AmaticSC-Regular.ttf"),
              AMATIC_BOLD: ("font_amatic_sc", "font-amatic-sc", "AmaticSC-Bold.ttf"),
              INTUITIVE: ("font_intuitive", "font-intuitive", "Intuitive.ttf")}
SCRIPT_FONTS = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
PRINT_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_COMPLEX)
# OpenCV 5 dropped the Hershey stroke fonts: every FONT_HERSHEY_* is then one built-in sans typeface (in
# weights), the benchmark's DUPLEX / TRIPLEX / PLAIN included, and the "script" ones are not handwriting-like.
# So the script fonts write words only where they are the genuine Hershey script fonts (OpenCV < 5).
OPENCV_HAS_HERSHEY = int(cv2.__version__.split(".")[0]) < 5
WORD_FONTS = (AMATIC, AMATIC_BOLD, INTUITIVE) + (SCRIPT_FONTS if OPENCV_HAS_HERSHEY else ())  # `word` picks one

LABELS = ("NAME:", "Name:", "Name", "Date", "DATE:", "Date:", "Total", "TOTAL", "Total:", "Signature",
          "Signature:", "Score", "Score:", "SCORE", "Phone", "Phone:", "Tel.", "Address", "Address:", "Class",
          "Class:", "No.", "No:", "Grade", "Amount", "Qty.", "Ref.", "Item", "Price", "Sum", "Student",
          "Teacher:", "Room", "Page", "Code:", "ID:", "Dept.", "Mark", "Points", "Remarks", "Check:", "Sign here",
          "Postcode", "City:", "Result", "Answer:", "Q.", "Ex.", "Part", "Form")


@dataclass
class Mark:
    """alpha: (h, w) float32 ink coverage in [0, 1], tightly cropped; glyphs: (x, y, w, h) boxes of its
    separate glyphs or pieces, relative to alpha; digit_like: per glyph, whether it alone could pass for a
    digit in some handwriting."""
    alpha: np.ndarray
    glyphs: list[Box]
    digit_like: list[bool]


# ----------------------------------------------------------------------------------------------- fonts


def font_path(font: str) -> str:
    """The TTF file of a training font (AMATIC, AMATIC_BOLD or INTUITIVE), found in its pip package."""
    module_name, distribution, filename = FONT_FILES[font]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ImportError(f"the font package {distribution!r} (module {module_name}) is missing; install the "
                          f"project's dependencies with `pip install -e .`") from error
    path = importlib.resources.files(module) / "files" / filename
    if not path.is_file():
        raise FileNotFoundError(f"{filename} is missing from the package {distribution!r} ({path}); "
                                f"reinstall it with `pip install -e .`")
    return str(path)


@functools.lru_cache(maxsize=512)
def _truetype(font: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(font), size)


@functools.cache
def _cap_height_per_unit(font: str | int) -> float:
    """Cap height ("H") in pixels per unit of font size (TTF: per pixel of size; Hershey: per unit scale)."""
    if isinstance(font, str):
        left, top, right, bottom = _truetype(font, 200).getbbox("H", anchor="ls")
        return -top / 200
    canvas = np.zeros((200, 200), np.uint8)
    cv2.putText(canvas, "H", (20, 150), font, 4.0, 255, 1, cv2.LINE_AA)
    rows = np.nonzero(canvas.max(axis=1) > 128)[0]
    return (rows.max() - rows.min() + 1) / 4.0


def _hershey_advance(char: str, font: int, scale: float) -> float:
    """How far the pen moves after a Hershey glyph, in pixels (getTextSize adds the thickness: 1 here)."""
    return (cv2.getTextSize(char, font, 100.0, 1)[0][0] - 1) / 100 * scale


def _render_letters(text: str, font: str | int, cap_height: float, pen: int, tracking: float,
                    rises: np.ndarray | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Render `text` letter by letter at the font's advance (plus `tracking` px), letter i raised rises[i] px
    (a hand's wandering baseline; default none). Returns the (H, W) float32
    coverage canvas and, per non-space letter, its ink pixels' (x, y) coordinates, (n, 2) float32.

    font: a TTF font name (pen = Pillow stroke width, 0 = the font's own) or a Hershey font id, possibly
    | FONT_ITALIC (pen = line thickness, at least 1)."""
    ttf = isinstance(font, str)
    if ttf:
        size = max(4, int(round(cap_height / _cap_height_per_unit(font))))
        pil_font = _truetype(font, size)
        advances = [pil_font.getlength(char) for char in text]
    else:
        scale = cap_height / _cap_height_per_unit(font & ~cv2.FONT_ITALIC)
        advances = [_hershey_advance(char, font, scale) for char in text]
    margin = int(np.ceil(cap_height * 1.2 + 2 * pen + 4))  # room for ascenders, descenders, swashes, slants
    height = int(np.ceil(cap_height * 2.6)) + 2 * pen + 8
    baseline = int(round(cap_height * 1.5)) + pen + 4
    width = int(np.ceil(sum(advances) + tracking * len(text))) + 2 * margin
    canvas = np.zeros((height, max(width, 2 * margin + 1)), np.float32)
    letters = []
    x = float(margin)
    rises = np.zeros(len(text)) if rises is None else np.clip(rises, -cap_height * 0.3, cap_height * 0.3)
    for char, advance, rise in zip(text, advances, rises):
        y = int(round(baseline - rise))
        left = int(np.floor(x)) - margin
        piece_width = int(np.ceil(advance)) + 2 * margin
        if ttf:
            image = Image.new("L", (piece_width, height), 0)
            ImageDraw.Draw(image).text((x - left, y), char, font=pil_font, fill=255, anchor="ls",
                                       stroke_width=pen, stroke_fill=255)
            piece = np.asarray(image, np.float32) / 255
        else:
            piece8 = np.zeros((height, piece_width), np.uint8)
            cv2.putText(piece8, char, (int(round(x - left)), y), font, scale, 255, max(1, pen), cv2.LINE_AA)
            piece = piece8.astype(np.float32) / 255
        piece = piece[:, :max(0, min(piece_width, canvas.shape[1] - left))]
        region = canvas[:, left:left + piece.shape[1]]
        np.maximum(region, piece, out=region)
        if not char.isspace():
            ys, xs = np.nonzero(piece > min(0.25, 0.5 * piece.max()))
            letters.append(np.stack([xs + left, ys], axis=1).astype(np.float32))
        x += advance + tracking
    return canvas, letters


def _finish(canvas: np.ndarray, pieces: list[np.ndarray], flags: list[bool], slant: float, rotation_deg: float,
            pen_change: float) -> Mark:
    """Slant (x += slant * -y), rotate, change the pen width of a coverage canvas, crop it tightly, and
    give each piece's box (pieces: per glyph, the (n, 2) float32 (x, y) of its ink pixels on the canvas)."""
    height, width = canvas.shape
    rotation = np.radians(rotation_deg)
    linear = np.array([[np.cos(rotation), -np.sin(rotation)], [np.sin(rotation), np.cos(rotation)]])
    linear = linear @ np.array([[1, -slant], [0, 1]])  # positive slant leans right, as handwriting does
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], np.float64).T
    moved = linear @ corners
    offset = -moved.min(axis=1)
    out_w, out_h = (np.ceil(moved.max(axis=1) + offset).astype(int) + 1).tolist()
    matrix = np.hstack([linear, offset[:, None]]).astype(np.float32)
    alpha = cv2.warpAffine(canvas, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR)
    alpha = np.clip(vary_pen_width(alpha, pen_change), 0, 1).astype(np.float32)
    peak = float(alpha.max())
    if 0 < peak < 0.9:  # hairlines at tiny sizes: a pen still makes dark pixels
        alpha = np.clip(alpha * (0.9 / peak), 0, 1)
    grow = int(round(abs(pen_change))) // 2 + 1 if pen_change >= 1 else 0
    ys, xs = np.nonzero(alpha > 0.05)
    if len(ys) == 0:
        return Mark(np.zeros((1, 1), np.float32), [], [])
    x0, y0 = xs.min(), ys.min()
    alpha = np.ascontiguousarray(alpha[y0:ys.max() + 1, x0:xs.max() + 1])
    boxes, digit_like = [], []
    for points, flag in zip(pieces, flags):
        if len(points) == 0:
            continue
        placed = points @ linear.T.astype(np.float32) + offset.astype(np.float32) - np.float32([x0, y0])
        left, top = np.floor(placed.min(axis=0)).astype(int) - grow
        right, bottom = np.ceil(placed.max(axis=0)).astype(int) + 1 + grow
        left, top = max(0, int(left)), max(0, int(top))
        right, bottom = min(alpha.shape[1], int(right)), min(alpha.shape[0], int(bottom))
        if right > left and bottom > top:
            boxes.append((left, top, right - left, bottom - top))
            digit_like.append(bool(flag))
    return Mark(alpha, boxes, digit_like)


# ----------------------------------------------------------------------------------------------- words


def random_text(rng: np.random.Generator) -> str:
    """A common English word, a random letter string or a single letter, in lower, Capitalised or ALL CAPS."""
    kind = rng.random()
    if kind < 0.6:
        text = str(rng.choice(WORDS))
    elif kind < 0.85:
        vowels, consonants = "aeiouy", "bcdfghjklmnpqrstvwxz"
        length = int(rng.integers(2, 9))
        start = int(rng.integers(2))
        text = "".join(str(rng.choice(list(vowels if (i + start) % 2 else consonants))) if rng.random() < 0.8
                       else str(rng.choice(list(string.ascii_lowercase))) for i in range(length))
    else:
        text = str(rng.choice(list(string.ascii_letters)))
    case = rng.random()
    if case < 0.5:
        return text.lower()
    if case < 0.8:
        return text.capitalize()
    return text.upper()


def word(rng: np.random.Generator, height: float, text: str | None = None, font: str | int | None = None) -> Mark:
    """A handwritten-looking word (letters only, never digits) with cap height about `height` px, in a random
    training font (Amatic SC regular/bold, Intuitive, Hershey script simplex/complex, sometimes italic), a
    varied pen width and a slight slant and rotation. text, font: fix them instead of choosing at random.
    Returns a Mark with one glyph box per letter (script fonts' letters may join; each still has its box)."""
    text = random_text(rng) if text is None else text
    if any(char.isdigit() for char in text):
        raise ValueError(f"word() draws no digits: {text!r}")
    if font is None and text.isalpha() and rng.random() < STROKE_WORDS:
        from recognizer.stroke_letters import stroke_word  # it builds on this module's Mark: imported here
        return stroke_word(rng, height, text)
    if font is None:
        font = WORD_FONTS[int(rng.integers(len(WORD_FONTS)))]
        if not isinstance(font, str) and rng.random() < 0.3:
            font |= cv2.FONT_ITALIC
    cap_height = height * rng.uniform(0.85, 1.15)
    if isinstance(font, str):
        pen = int(rng.integers(0, max(1, int(cap_height / 20)) + 1))  # Pillow stroke width, on top of the font's
        tracking = rng.uniform(-0.04, 0.12) * cap_height
    else:
        pen = int(rng.integers(1, int(np.clip(cap_height / 8, 1, 6)) + 1))
        tracking = 0.0 if rng.random() < 0.7 else rng.uniform(-0.03, 0.1) * cap_height  # 0: script letters join
    rises = np.cumsum(rng.normal(0, 0.04, len(text))) * cap_height * (rng.random() < 0.7)
    canvas, letters = _render_letters(text, font, cap_height, pen, tracking, rises)
    flags = [char in DIGIT_LIKE for char in text if not char.isspace()]
    return _finish(canvas, letters, flags, slant=rng.uniform(-0.15, 0.35), rotation_deg=rng.uniform(-6, 6),
                   pen_change=rng.uniform(-1.0, 1.2) * max(1.0, height / 35))


def printed_label(rng: np.random.Generator, height: float, text: str | None = None) -> Mark:
    """Printed form text ("NAME:", "Date", "Total", ...) in Hershey SIMPLEX or COMPLEX, crisp and thin, cap
    height about `height` px, upright. Returns a Mark with one glyph per character (spaces skipped)."""
    text = str(rng.choice(LABELS)) if text is None else text
    font = PRINT_FONTS[int(rng.integers(len(PRINT_FONTS)))]
    thickness = 1 if height < 25 or rng.random() < 0.6 else 2
    canvas, letters = _render_letters(text, font, height * rng.uniform(0.9, 1.1), thickness, 0.0)
    flags = [char in DIGIT_LIKE for char in text if not char.isspace()]
    return _finish(canvas, letters, flags, slant=0.0, rotation_deg=0.0, pen_change=0.0)


# ----------------------------------------------------------------------------------------------- symbols
# Each shape: rng -> strokes, a list of (n, 2) float arrays of (x, y) points in units of the requested
# height (y down, the shape roughly centred on 0). Their digit_like flag is in SYMBOLS below.


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> np.ndarray:
    """Points along an elliptic arc from angle `start` to `end` (radians; 0 = right, pi/2 = down)."""
    angles = np.linspace(start, end, n)
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)


def _dot(x: float, y: float, size: float = 0.04) -> np.ndarray:
    return _arc(x, y, size, size, 0, 2 * np.pi, 8)


def _seg(*points: tuple[float, float]) -> np.ndarray:
    return np.array(points, np.float64)


def _plus(rng): return [_seg((0, -0.5), (0, 0.5)), _seg((-0.5, 0), (0.5, 0))]
def _minus(rng): return [_seg((-0.5, 0), (0.5, 0))]
def _times(rng): return [_seg((-0.45, -0.45), (0.45, 0.45)), _seg((0.45, -0.45), (-0.45, 0.45))]
def _divide(rng): return [_seg((-0.5, 0), (0.5, 0)), _dot(0, -0.35), _dot(0, 0.35)]
def _equals(rng): return [_seg((-0.5, -0.18), (0.5, -0.18)), _seg((-0.5, 0.18), (0.5, 0.18))]
def _slash(rng): return [_seg((0.25, -0.5), (-0.25, 0.5))]
def _period(rng): return [_dot(0, 0, rng.uniform(0.03, 0.07))]
def _comma(rng): return [_arc(-0.02, 0, 0.05, 0.12, -0.8, 1.9, 8)]
def _colon(rng): return [_dot(0, -0.2), _dot(0, 0.2)]
def _semicolon(rng): return [_dot(0, -0.2), _arc(-0.02, 0.2, 0.05, 0.12, -0.8, 1.9, 8)]
def _paren(rng): return [_arc(0.2, 0, 0.25, 0.5, 2.3, 3.98, 16) * [rng.choice([-1, 1]), 1]]  # ( or )
def _less(rng): return [_seg((0.35, -0.45), (-0.35, 0), (0.35, 0.45)) * [rng.choice([-1, 1]), 1]]  # < or >
def _tick(rng): return [_seg((-0.4, 0.05), (-0.15, 0.5), (0.45, -0.5))]
def _cross(rng): return [_seg((-0.45, -0.45), (0.45, 0.5)), _seg((0.45, -0.5), (-0.4, 0.45))]
def _circle(rng): return [_arc(0, 0, rng.uniform(0.3, 0.55), 0.5, 0, 2 * np.pi + rng.uniform(0, 0.6), 32)]
def _box(rng): return [_seg((-0.45, -0.45), (0.45, -0.45), (0.45, 0.45), (-0.45, 0.45), (-0.45, -0.5))]
def _exclamation(rng): return [_seg((0, -0.5), (0, 0.25)), _dot(0, 0.45)]
def _hash(rng): return [_seg((-0.1, -0.5), (-0.25, 0.5)), _seg((0.25, -0.5), (0.1, 0.5)),
                        _seg((-0.5, -0.18), (0.5, -0.18)), _seg((-0.5, 0.18), (0.5, 0.18))]
def _asterisk(rng): return [_seg((0, -0.5), (0, 0.5)), _seg((-0.45, -0.25), (0.45, 0.25)),
                            _seg((0.45, -0.25), (-0.45, 0.25))]


def _percent(rng):
    return [_seg((0.35, -0.45), (-0.35, 0.45)), _arc(-0.22, -0.28, 0.1, 0.13, 0, 2 * np.pi, 12),
            _arc(0.22, 0.28, 0.1, 0.13, 0, 2 * np.pi, 12)]


def _arrow(rng):
    """An arrow with a head: right, left, up or down (the shape is rotated by a multiple of 90 degrees)."""
    length = rng.uniform(0.8, 2.0)
    head = rng.uniform(0.2, 0.35)
    strokes = [_seg((-length / 2, 0), (length / 2, 0)),
               _seg((length / 2 - head, -head * 0.8), (length / 2, 0), (length / 2 - head, head * 0.8))]
    turn = int(rng.choice([0, 1, 2, 3], p=[0.4, 0.3, 0.2, 0.1]))  # 0: right, 1: left, 2: up, 3: down
    rotate = {0: np.eye(2), 1: -np.eye(2), 2: np.array([[0, 1], [-1, 0]]), 3: np.array([[0, -1], [1, 0]])}[turn]
    return [stroke @ rotate.T for stroke in strokes]


def _underline(rng):
    length = rng.uniform(2.0, 6.0)
    xs = np.linspace(-length / 2, length / 2, 12)
    line = np.stack([xs, 0.03 * np.sin(xs * rng.uniform(1, 3))], axis=1)
    return [line] if rng.random() < 0.75 else [line, line + [rng.uniform(-0.2, 0.2), 0.15]]


def _scribble(rng):
    """Crossing-out: a zigzag scribbled back and forth."""
    width = rng.uniform(1.0, 3.0)
    count = int(rng.integers(5, 14))
    xs = np.where(np.arange(count) % 2, width / 2, -width / 2) + rng.uniform(-0.15, 0.15, count)
    ys = np.linspace(-0.3, 0.3, count) + rng.uniform(-0.05, 0.05, count)
    if rng.random() < 0.5:
        xs, ys = np.linspace(-width / 2, width / 2, count), np.where(np.arange(count) % 2, -0.35, 0.35)
    return [np.stack([xs, ys], axis=1)]


def _star(rng):
    angles = -np.pi / 2 + np.arange(6) * 4 * np.pi / 5
    return [np.stack([0.5 * np.cos(angles), 0.5 * np.sin(angles) + 0.05], axis=1)]


def _heart(rng):
    t = np.linspace(0, 2 * np.pi, 40)
    xs = 16 * np.sin(t) ** 3
    ys = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [np.stack([xs, ys], axis=1) / 32]


def _squiggle(rng):
    length = rng.uniform(1.0, 3.0)
    xs = np.linspace(-length / 2, length / 2, 40)
    return [np.stack([xs, 0.2 * np.sin(xs * rng.uniform(4, 9) + rng.uniform(0, 6))], axis=1)]


def _spiral(rng):
    turns = rng.uniform(1.5, 3.5)
    t = np.linspace(0, turns * 2 * np.pi, int(30 * turns))
    radius = 0.5 * t / t[-1]
    return [np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1) * [rng.choice([-1, 1]), 1]]


def _bracket(rng):
    side = rng.choice([-1, 1])
    if rng.random() < 0.5:  # [ or ]
        return [_seg((0.15, -0.5), (-0.1, -0.5), (-0.1, 0.5), (0.15, 0.5)) * [side, 1]]
    brace = _seg((0.15, -0.5), (0.03, -0.46), (0, -0.32), (0, -0.08), (-0.15, 0), (0, 0.08), (0, 0.32),
                 (0.03, 0.46), (0.15, 0.5))  # { or }
    return [brace * [side, 1]]


def _question(rng):
    hook = _arc(0, -0.22, 0.25, 0.22, np.pi * 1.1, np.pi * 2.5, 16)
    return [np.concatenate([hook, _seg((0, 0.05), (0, 0.22))]), _dot(0, 0.45)]


def _ampersand(rng):
    """A loop like an ampersand or a figure of eight lying on its stroke: t -> a lemniscate-like curve."""
    t = np.linspace(0.3, 2 * np.pi + 0.6, 48)
    return [np.stack([0.3 * np.sin(2 * t) + 0.1 * t / 6, 0.5 * np.cos(t)], axis=1)]


# name, shape, size (of `height`), digit_like: True when that mark alone could pass for a digit
SYMBOLS: tuple[tuple[str, Callable, tuple[float, float], bool], ...] = (
    ("plus", _plus, (0.6, 1.0), False),            # + : no digit is a plain cross
    ("minus", _minus, (0.6, 1.0), False),           # - : a flat bar is no digit
    ("times", _times, (0.5, 0.9), False),           # x : reads as the letter x
    ("divide", _divide, (0.6, 1.0), False),         # ÷ : a bar between dots
    ("equals", _equals, (0.6, 1.0), False),         # = : two bars
    ("slash", _slash, (0.8, 1.2), True),            # / : a leaning 1
    ("period", _period, (0.15, 0.3), False),        # . : a dot
    ("comma", _comma, (0.25, 0.45), False),         # , : too small and curled
    ("colon", _colon, (0.4, 0.7), False),           # : : two dots
    ("semicolon", _semicolon, (0.4, 0.7), False),   # ; : a dot over a comma
    ("paren", _paren, (0.8, 1.2), False),           # ( ) : bowed, unlike a 1's straight stroke
    ("less_greater", _less, (0.5, 0.9), False),     # < > : an open angle
    ("arrow", _arrow, (0.5, 0.9), False),           # → ← ↑ ↓ : the head marks it
    ("tick", _tick, (0.6, 1.1), False),             # ✓ : a check mark
    ("cross", _cross, (0.6, 1.1), False),           # ✗ : a ballot cross
    ("underline", _underline, (0.5, 1.0), False),   # ___ : long and flat
    ("scribble", _scribble, (0.6, 1.1), False),     # crossing-out zigzag
    ("circle", _circle, (0.7, 1.2), True),          # O : a 0
    ("box", _box, (0.6, 1.1), False),               # □ : square corners, no digit
    ("star", _star, (0.6, 1.1), False),             # ☆ : a pentagram
    ("heart", _heart, (0.6, 1.1), False),           # ♡ : a heart doodle
    ("squiggle", _squiggle, (0.4, 0.8), False),     # ~ : a wave
    ("spiral", _spiral, (0.6, 1.1), True),          # @-like spiral: can read as 6 or 0
    ("bracket", _bracket, (0.8, 1.2), False),       # [ ] { } : hooked ends, unlike a 1
    ("asterisk", _asterisk, (0.4, 0.8), False),     # * : crossing strokes
    ("question", _question, (0.8, 1.2), False),     # ? : a hook over a dot, no digit
    ("exclamation", _exclamation, (0.8, 1.2), True),  # ! : its stroke is a 1
    ("hash", _hash, (0.6, 1.0), False),             # # : a grid
    ("percent", _percent, (0.7, 1.1), False),       # % : a slash between circles
    ("ampersand", _ampersand, (0.7, 1.1), True),    # & loop: can read as 8
)
SYMBOL_NAMES = tuple(name for name, *_ in SYMBOLS)


def resample(stroke: np.ndarray, step: float) -> np.ndarray:
    """(K, 2) polyline -> (M, 2) points along it about every `step` units (at least its ends); the hand-drawn
    symbols here and the stroke letters (``stroke_letters``) both jitter these points."""
    lengths = np.r_[0, np.cumsum(np.hypot(*np.diff(stroke, axis=0).T))]
    if lengths[-1] <= step:
        return stroke
    at = np.linspace(0, lengths[-1], int(np.ceil(lengths[-1] / step)) + 1)
    return np.stack([np.interp(at, lengths, stroke[:, 0]), np.interp(at, lengths, stroke[:, 1])], axis=1)


def _jitter(rng: np.random.Generator, stroke: np.ndarray, amount: float) -> np.ndarray:
    """A hand's wobble: a slow random displacement along the stroke plus a slight overshoot at its ends."""
    points = resample(stroke, 0.04)
    t = np.linspace(0, 1, len(points))[:, None]
    wobble = np.zeros_like(points)
    for _ in range(2):
        wobble += amount * rng.uniform(-1, 1, 2) * np.sin(2 * np.pi * (rng.uniform(0.3, 1.5) * t + rng.random()))
    return points + wobble + rng.normal(0, amount * 0.15, points.shape)


def _draw_strokes(strokes: list[np.ndarray], scale: float, pen: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw polylines (in units) scaled to pixels onto a fresh canvas. Returns (canvas, offset (x, y) px)."""
    points = np.concatenate(strokes) * scale
    margin = pen + 3
    low = points.min(axis=0) - margin
    size = np.ceil(points.max(axis=0) - low + margin).astype(int) + 1
    canvas = np.zeros((size[1], size[0]), np.uint8)
    fixed = [np.round((stroke * scale - low) * 16).astype(np.int32) for stroke in strokes]
    cv2.polylines(canvas, fixed, False, 255, pen, cv2.LINE_AA, 4)
    return canvas.astype(np.float32) / 255, low


def symbol(rng: np.random.Generator, height: float, kind: str | None = None) -> Mark:
    """A hand-drawn operator, punctuation mark, arrow, tick, underline, crossing-out or doodle about `height`
    px tall (punctuation much smaller, underlines long and flat), jittered, in a random pen width (1-6 px).
    kind: one of SYMBOL_NAMES instead of a random one. Returns a Mark with one glyph (the whole symbol)."""
    index = int(rng.integers(len(SYMBOLS))) if kind is None else SYMBOL_NAMES.index(kind)
    name, shape, (low, high), digit_like = SYMBOLS[index]
    size = height * rng.uniform(low, high)
    strokes = shape(rng)
    aspect = rng.uniform(0.75, 1.3)
    slant = rng.uniform(-0.25, 0.25)
    rotation = np.radians(rng.uniform(-3, 3) if name == "underline" else rng.uniform(-12, 12))
    linear = np.array([[np.cos(rotation), -np.sin(rotation)], [np.sin(rotation), np.cos(rotation)]])
    linear = linear @ np.array([[aspect, -slant], [0, 1]])
    wobble = rng.uniform(0.01, 0.035)
    strokes = [_jitter(rng, np.asarray(stroke, np.float64), wobble) @ linear.T for stroke in strokes]
    pen = int(rng.integers(1, int(np.clip(height / 9, 1, 6)) + 1))
    canvas, _ = _draw_strokes(strokes, size, pen)
    if pen == 1 and rng.random() < 0.5:
        canvas = cv2.GaussianBlur(canvas, (0, 0), 0.5) * 1.3  # a soft pencil line
    canvas = np.clip(canvas / max(min(canvas.max(), 0.8), 1e-3), 0, 1)  # a tiny dot still makes a dark pixel
    ys, xs = np.nonzero(canvas > 0.25)
    points = np.stack([xs, ys], axis=1).astype(np.float32)
    return _finish(np.clip(canvas, 0, 1), [points], [digit_like], 0.0, 0.0, 0.0)


def mark(rng: np.random.Generator, height: float) -> Mark:
    """A random non-digit mark: a word (55%), a symbol (35%) or a printed label (10%)."""
    kind = rng.random()
    if kind < 0.55:
        return word(rng, height)
    if kind < 0.9:
        return symbol(rng, height)
    return printed_label(rng, height * 0.7)


# ----------------------------------------------------------------------------------------------- forms


def _print_colour(rng: np.random.Generator) -> tuple[float, float, float]:
    """Reflectance (B, G, R) of printed form lines: grey, black or blue."""
    kind = rng.random()
    if kind < 0.4:
        return (rng.uniform(0.35, 0.65),) * 3
    if kind < 0.75:
        return (rng.uniform(0.05, 0.25),) * 3
    return (rng.uniform(0.55, 0.8), rng.uniform(0.35, 0.55), rng.uniform(0.1, 0.3))


def _rectangle(paper: np.ndarray, box: Box, colour: tuple[float, ...], thickness: int) -> None:
    x, y, w, h = box
    for start, end in (((x, y), (x + w, y)), ((x + w, y), (x + w, y + h)), ((x + w, y + h), (x, y + h)),
                       ((x, y + h), (x, y))):
        draw_line(paper, start, end, colour, thickness)


def _place_label(rng: np.random.Generator, paper: np.ndarray, x: float, y_centre: float, height: float,
                 max_width: float, colour: tuple[float, ...]) -> float:
    """Print a form label with its left at x, centred on y_centre, if it fits in max_width; returns its width
    plus a gap (0 if none was printed)."""
    label = printed_label(rng, height)
    h, w = label.alpha.shape
    top, left = int(round(y_centre - h / 2)), int(round(x))
    if w + height > max_width or top < 0 or left < 0 or top + h > paper.shape[0] or left + w > paper.shape[1]:
        return 0.0
    blend_ink(paper[top:top + h, left:left + w], label.alpha, colour)
    return w + height * rng.uniform(0.5, 1.2)


def _form_boxes(rng: np.random.Generator, paper: np.ndarray, region: Box, colour, thickness: int,
                comb: bool) -> list[Box]:
    """(a) a row of separate boxes, or (b) a comb: one long box divided into cells (sometimes by short ticks
    rising from its base only), each after an optional label."""
    x, y, w, h = region
    cell_h = min(h, rng.uniform(0.5, 1.0) * h)
    y0 = y + rng.uniform(0, h - cell_h)
    x0 = x + (_place_label(rng, paper, x, y0 + cell_h / 2, cell_h * 0.35, w * 0.4, colour)
              if rng.random() < 0.6 else 0)
    cell_w = cell_h * rng.uniform(0.7, 1.1)
    gap = 0.0 if comb else cell_w * rng.uniform(0.1, 0.6)
    count = min(int(rng.integers(3, 11)), int((x + w - x0 + gap) // (cell_w + gap)))
    if count < 1:
        return []
    cells = [(x0 + i * (cell_w + gap), y0, cell_w, cell_h) for i in range(count)]
    if not comb:
        for box in cells:
            _rectangle(paper, box, colour, thickness)
    else:
        right = x0 + count * cell_w
        ticks_only = rng.random() < 0.4
        draw_line(paper, (x0, y0 + cell_h), (right, y0 + cell_h), colour, thickness)
        if not ticks_only:
            draw_line(paper, (x0, y0), (right, y0), colour, thickness)
        tick = cell_h * (rng.uniform(0.25, 0.5) if ticks_only else 1.0)
        for i in range(count + 1):
            draw_line(paper, (x0 + i * cell_w, y0 + cell_h - tick), (x0 + i * cell_w, y0 + cell_h), colour, thickness)
    return [_inside(cell, thickness, region) for cell in cells]


def _inside(cell: tuple[float, float, float, float], thickness: int, region: Box) -> Box:
    """The integer box inside a drawn cell's lines, clipped to the region."""
    x, y, w, h = cell
    rx, ry, rw, rh = region
    left, top = max(rx, int(np.ceil(x + thickness))), max(ry, int(np.ceil(y + thickness)))
    right, bottom = min(rx + rw, int(np.floor(x + w - thickness))), min(ry + rh, int(np.floor(y + h - thickness)))
    return left, top, max(1, right - left), max(1, bottom - top)


def _form_table(rng: np.random.Generator, paper: np.ndarray, region: Box, colour, thickness: int) -> list[Box]:
    """(c) a table grid, rows x columns of cells, sometimes with a printed header row."""
    x, y, w, h = region
    rows, columns = int(rng.integers(2, 6)), int(rng.integers(2, 7))
    cell_h = min(h / rows, rng.uniform(0.06, 0.15) * paper.shape[0])
    cell_w = min(w / columns, cell_h * rng.uniform(1.0, 3.0))
    if cell_h < 8 or cell_w < 8:
        return []
    x0, y0 = x + rng.uniform(0, w - columns * cell_w), y + rng.uniform(0, h - rows * cell_h)
    for i in range(rows + 1):
        draw_line(paper, (x0, y0 + i * cell_h), (x0 + columns * cell_w, y0 + i * cell_h), colour, thickness)
    for j in range(columns + 1):
        draw_line(paper, (x0 + j * cell_w, y0), (x0 + j * cell_w, y0 + rows * cell_h), colour, thickness)
    header = rng.random() < 0.5
    if header:
        for j in range(columns):
            _place_label(rng, paper, x0 + j * cell_w + 3, y0 + cell_h / 2, cell_h * 0.35, cell_w - 3, colour)
    return [_inside((x0 + j * cell_w, y0 + i * cell_h, cell_w, cell_h), thickness, region)
            for i in range(int(header), rows) for j in range(columns)]


def _form_fields(rng: np.random.Generator, paper: np.ndarray, region: Box, colour, thickness: int) -> list[Box]:
    """(d) underlined fields: "Label: ________" in rows; the space above each line is a cell."""
    x, y, w, h = region
    pitch = min(h, rng.uniform(0.06, 0.14) * paper.shape[0])
    cells = []
    for i in range(int(min(rng.integers(1, 5), h // pitch))):
        line_y = y + (i + 1) * pitch - thickness - 1
        x0 = x + _place_label(rng, paper, x, line_y - pitch * 0.25, pitch * 0.3, w * 0.5, colour)
        length = (x + w - x0) * rng.uniform(0.5, 1.0)
        if length < pitch:
            continue
        draw_line(paper, (x0, line_y), (x0 + length, line_y), colour, thickness)
        cells.append(_inside((x0, line_y - pitch * 0.85, length, pitch * 0.85), thickness, region))
    return cells


FORMS = (functools.partial(_form_boxes, comb=False), functools.partial(_form_boxes, comb=True), _form_table,
         _form_fields)


def draw_form(rng: np.random.Generator, paper: np.ndarray, region: Box) -> list[Box]:
    """Draw printed form structure in place on `paper` ((H, W, 3) float32 reflectance) inside `region`
    (x, y, w, h): a row of boxes, a comb, a table grid or underlined fields, in grey, black or blue print
    1-2 px wide, sometimes with printed labels. Returns the (x, y, w, h) paper boxes of the cells a digit may
    be written in (inside `region`)."""
    x, y, w, h = region
    x, y = max(0, x), max(0, y)
    w, h = min(w, paper.shape[1] - x), min(h, paper.shape[0] - y)
    if w < 12 or h < 12:
        return []
    form = FORMS[int(rng.integers(len(FORMS)))]
    return form(rng, paper, (x, y, w, h), _print_colour(rng), int(rng.integers(1, 3)))


# ----------------------------------------------------------------------------------------------- the photo


def draw_finger(rng: np.random.Generator, image: np.ndarray) -> None:
    """In place on an (H, W, 3) float32 image (reflectance * light): a finger or thumb entering from one frame
    edge, a rounded skin-coloured shape with soft shading, a darker outline, sometimes a nail, and a soft
    shadow on the page."""
    height, width = image.shape[:2]
    side = int(rng.integers(4))  # 0: left, 1: right, 2: top, 3: bottom
    thumb = rng.random() < 0.4
    finger_w = rng.uniform(0.12, 0.22) if thumb else rng.uniform(0.07, 0.14)
    finger_w *= min(height, width)
    across = width if side >= 2 else height
    along_size = height if side >= 2 else width
    inward = {0: (1, 0), 1: (-1, 0), 2: (0, 1), 3: (0, -1)}[side]
    angle = np.radians(rng.uniform(-35, 35))
    direction = np.array([inward[0] * np.cos(angle) - inward[1] * np.sin(angle),
                          inward[0] * np.sin(angle) + inward[1] * np.cos(angle)])
    position = rng.uniform(0.1, 0.9) * across
    edge = {0: (0, position), 1: (width, position), 2: (position, 0), 3: (position, height)}[side]
    base = np.array(edge, np.float64) - direction * finger_w
    tip = np.array(edge, np.float64) + direction * rng.uniform(0.08, 0.35) * along_size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    # distance from the axis segment base-tip: a capsule, its tip a half disc
    axis = tip - base
    t = np.clip(((xs - base[0]) * axis[0] + (ys - base[1]) * axis[1]) / (axis @ axis), 0, 1)
    distance = np.hypot(xs - (base[0] + t * axis[0]), ys - (base[1] + t * axis[1])) / (finger_w / 2)
    blur = rng.uniform(0.5, 2.5)
    mask = np.clip((1 - distance) * finger_w / 2 / blur + 0.5, 0, 1)  # soft (out of focus) edge
    if not mask.any():
        return
    skin = np.sort(rng.uniform([0.45, 0.55, 0.7], [0.7, 0.75, 0.95]))  # B <= G <= R
    shade = (1 - rng.uniform(0.2, 0.45) * np.clip(distance, 0, 1) ** 2) * rng.uniform(0.6, 1.15)
    outline = np.clip(1 - np.abs(distance - 0.95) / 0.12, 0, 1) * rng.uniform(0.2, 0.5)
    shade = shade * (1 - outline)
    colour = shade[:, :, None] * skin[None, None, :]
    if rng.random() < 0.6:  # a nail near the tip: paler and pinker, with its own rim
        centre = tip - direction * finger_w * 0.35
        nail = np.hypot(*(np.linalg.inv(np.array([[direction[0], -direction[1]], [direction[1], direction[0]]]))
                          @ np.stack([xs.ravel() - centre[0], ys.ravel() - centre[1]])
                          / np.array([[finger_w * 0.3], [finger_w * 0.25]]))).reshape(height, width)
        nail_alpha = np.clip((1 - nail) * 6, 0, 1) * rng.uniform(0.3, 0.6)
        colour = colour * (1 - nail_alpha[:, :, None]) + nail_alpha[:, :, None] * np.minimum(
            skin * 1.15 + [0.05, 0.0, 0.0], 1.1) * shade[:, :, None]
    offset = direction * finger_w * rng.uniform(0.1, 0.4) + rng.uniform(-0.1, 0.1, 2) * finger_w
    matrix = np.float32([[1, 0, offset[0]], [0, 1, offset[1]]])
    cast = cv2.GaussianBlur(cv2.warpAffine(mask, matrix, (width, height)), (0, 0), finger_w * 0.2)
    image *= (1 - rng.uniform(0.2, 0.5) * cast * (1 - mask))[:, :, None]
    image[:] = image * (1 - mask[:, :, None]) + colour * mask[:, :, None]


def _desk(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """(H, W, 3) float32 desk: dark, wood-coloured or coloured; wood-like stripes or fabric noise."""
    kind = rng.random()
    if kind < 0.35:
        base = np.full(3, rng.uniform(0.04, 0.25)) + rng.uniform(-0.03, 0.03, 3)
    elif kind < 0.7:
        base = np.array([rng.uniform(0.12, 0.3), rng.uniform(0.25, 0.45), rng.uniform(0.4, 0.7)])
    else:
        base = rng.uniform(0.1, 0.7, 3)
    if rng.random() < 0.6:  # wood: stripes along a direction, their phase wandering
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, np.pi)
        along = np.cos(angle) * xs + np.sin(angle) * ys
        phase = smooth_noise(rng, height, width, int(rng.integers(3, 8))) * rng.uniform(2, 8)
        texture = 1 + rng.uniform(0.05, 0.2) * np.sin(along / rng.uniform(3, 15) + phase)
    else:  # fabric: fine noise with a weave
        texture = 1 + rng.uniform(0.03, 0.12) * cv2.GaussianBlur(
            rng.standard_normal((height, width)).astype(np.float32), (0, 0), rng.uniform(0.6, 1.5))
        texture += rng.uniform(0, 0.05) * np.sin(np.arange(width, dtype=np.float32) * rng.uniform(0.8, 2))[None, :]
    texture += rng.uniform(0.0, 0.15) * smooth_noise(rng, height, width, int(rng.integers(2, 6)))
    return np.clip(texture[:, :, None] * base[None, None, :], 0, 1.2).astype(np.float32)


def draw_page_edge(rng: np.random.Generator, image: np.ndarray) -> None:
    """In place on an (H, W, 3) float32 image: the page ends inside the frame; beyond one of its sides (or a
    corner) lies the desk (dark or coloured, wood-like or fabric), with a slight shadow along the page's edge."""
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    outward = {0: np.pi, 1: 0.0, 2: -np.pi / 2, 3: np.pi / 2}  # left, right, top, bottom
    first = int(rng.integers(4))
    sides = [first]
    if rng.random() < 0.35:  # a corner: a neighbouring side too
        sides.append(int(rng.choice([2, 3])) if first < 2 else int(rng.choice([0, 1])))
    distance = np.full((height, width), -np.inf, np.float32)
    for side in sides:
        angle = outward[side] + np.radians(rng.uniform(-8, 8))
        normal = np.array([np.cos(angle), np.sin(angle)])
        reach = abs(normal[0]) * width / 2 + abs(normal[1]) * height / 2  # centre to the frame's edge along it
        depth = rng.uniform(0.04, 0.3) * (width if side < 2 else height)
        centre = np.array([width / 2, height / 2])
        signed = (xs - centre[0]) * normal[0] + (ys - centre[1]) * normal[1] - (reach - depth)
        distance = np.maximum(distance, signed.astype(np.float32))
    desk_mask = np.clip(distance + 0.5, 0, 1)
    desk = _desk(rng, height, width)
    shadow_width = rng.uniform(2, 15)
    desk *= (1 - rng.uniform(0.2, 0.6) * np.exp(-np.maximum(distance, 0) / shadow_width))[:, :, None]
    image *= (1 - rng.uniform(0.0, 0.15) * np.exp(np.minimum(distance, 0) / rng.uniform(1, 4)))[:, :, None]
    image[:] = image * (1 - desk_mask[:, :, None]) + desk * desk_mask[:, :, None]


# ----------------------------------------------------------------------------------------------- paper texture


def _show_through(rng: np.random.Generator, paper: np.ndarray) -> None:
    """Writing on the back of the sheet, seen through it: very faint, mirrored, blurred."""
    height, width = paper.shape[:2]
    layer = np.zeros((height, width), np.float32)
    size = rng.uniform(0.03, 0.08) * height
    y = rng.uniform(0.05, 0.3) * height
    while y < height * rng.uniform(0.5, 0.95):
        x = rng.uniform(0.02, 0.2) * width
        while x < width * 0.9:
            alpha = (word(rng, size) if rng.random() < 0.8 else symbol(rng, size)).alpha
            h, w = alpha.shape
            top, left = int(y), int(x)
            if top + h < height and left + w < width:
                np.maximum(layer[top:top + h, left:left + w], alpha, out=layer[top:top + h, left:left + w])
            x += w + size * rng.uniform(0.3, 1.0)
        y += size * rng.uniform(1.5, 2.5)
    layer = cv2.GaussianBlur(layer[:, ::-1], (0, 0), rng.uniform(1.0, 2.5)) * rng.uniform(0.02, 0.07)
    blend_ink(paper, layer, ink_colour(rng))


def _crease(rng: np.random.Generator, paper: np.ndarray) -> None:
    """A fold: a thin dark line across the sheet, a light band beside it, one side slightly shaded."""
    height, width = paper.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, np.pi) if rng.random() < 0.4 else rng.choice([0, np.pi / 2]) + rng.uniform(-0.1, 0.1)
    point = rng.uniform(0.2, 0.8, 2) * [width, height]
    signed = (xs - point[0]) * np.sin(angle) - (ys - point[1]) * np.cos(angle)
    line = np.exp(-(signed / rng.uniform(0.6, 1.5)) ** 2) * rng.uniform(0.05, 0.2)
    light = np.exp(-((signed - 2.5) / 2.0) ** 2) * rng.uniform(0.0, 0.06)
    side = np.clip(signed / rng.uniform(20, 80), 0, 1) * rng.uniform(0.0, 0.06)
    paper *= np.clip(1 - line - side + light, 0, 1.1)[:, :, None]
    np.clip(paper, 0, 1, out=paper)


def _coffee_ring(rng: np.random.Generator, paper: np.ndarray) -> None:
    """A brown ring (sometimes partial) of uneven width with a faint stain inside."""
    height, width = paper.shape[:2]
    radius = rng.uniform(0.05, 0.15) * min(height, width)
    centre = rng.uniform(0, 1, 2) * [width, height]
    layer = np.zeros((height, width), np.float32)
    start = rng.uniform(0, 360)
    extent = 360 if rng.random() < 0.6 else rng.uniform(120, 300)
    for _ in range(int(rng.integers(2, 5))):
        axes = (int(radius * rng.uniform(0.97, 1.03)), int(radius * rng.uniform(0.93, 1.03)))
        cv2.ellipse(layer, (int(centre[0]), int(centre[1])), axes, rng.uniform(0, 180), start, start + extent,
                    float(rng.uniform(0.3, 1.0)), int(rng.integers(1, 4)), cv2.LINE_AA)
    inside = np.zeros_like(layer)
    cv2.circle(inside, (int(centre[0]), int(centre[1])), int(radius), 1.0, -1, cv2.LINE_AA)
    layer = cv2.GaussianBlur(layer, (0, 0), rng.uniform(0.7, 2.0)) + inside * rng.uniform(0.0, 0.25)
    blend_ink(paper, np.clip(layer * rng.uniform(0.1, 0.35), 0, 1),
              (rng.uniform(0.3, 0.55), rng.uniform(0.45, 0.7), rng.uniform(0.65, 0.85)))


def _speckles(rng: np.random.Generator, paper: np.ndarray) -> None:
    """Dust and specks: small dark dots."""
    height, width = paper.shape[:2]
    layer = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(5, 60))):
        centre = (int(rng.integers(width)) * 4, int(rng.integers(height)) * 4)
        cv2.circle(layer, centre, int(rng.uniform(1, 7)), float(rng.uniform(0.2, 0.9)), -1, cv2.LINE_AA, 2)
    blend_ink(paper, layer, (rng.uniform(0.1, 0.5),) * 3)


def _smudges(rng: np.random.Generator, paper: np.ndarray) -> None:
    """Faint grey pencil or graphite smudges: blurred elongated blobs."""
    height, width = paper.shape[:2]
    layer = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(1, 5))):
        centre = (int(rng.integers(width)), int(rng.integers(height)))
        axes = (int(rng.uniform(0.02, 0.12) * width), int(rng.uniform(0.005, 0.03) * height))
        cv2.ellipse(layer, centre, axes, rng.uniform(0, 180), 0, 360, float(rng.uniform(0.3, 1)), -1)
    layer = cv2.GaussianBlur(layer, (0, 0), rng.uniform(2, 8)) * rng.uniform(0.05, 0.2)
    blend_ink(paper, layer, (rng.uniform(0.3, 0.5),) * 3)


def _hole_punch(rng: np.random.Generator, paper: np.ndarray) -> None:
    """Two or three punched holes along one edge: dark (whatever lies behind), with a slight rim shadow."""
    height, width = paper.shape[:2]
    radius = rng.uniform(0.012, 0.025) * min(height, width)
    vertical = rng.random() < 0.7
    edge_offset = rng.uniform(0.02, 0.06) * (width if vertical else height)
    count = int(rng.integers(2, 4))
    length = height if vertical else width
    spacing = rng.uniform(0.2, 0.35) * length
    start = length / 2 - spacing * (count - 1) / 2 + rng.uniform(-0.1, 0.1) * length
    layer = np.zeros((height, width), np.float32)
    rim = np.zeros_like(layer)
    near = edge_offset if rng.random() < 0.5 else (width if vertical else height) - edge_offset
    for i in range(count):
        along = start + i * spacing
        centre = (int(near * 4), int(along * 4)) if vertical else (int(along * 4), int(near * 4))
        cv2.circle(layer, centre, int(radius * 4), 1.0, -1, cv2.LINE_AA, 2)
        cv2.circle(rim, centre, int(radius * 4 + 6), 1.0, -1, cv2.LINE_AA, 2)
    rim = cv2.GaussianBlur(rim, (0, 0), 1.5) * rng.uniform(0.1, 0.3)
    blend_ink(paper, rim, (0.3, 0.3, 0.3))
    blend_ink(paper, layer, tuple(rng.uniform(0.05, 0.4, 3)))


TEXTURES = (_show_through, _crease, _coffee_ring, _speckles, _smudges, _hole_punch)


def draw_texture(rng: np.random.Generator, paper: np.ndarray) -> None:
    """In place on (H, W, 3) float32 paper reflectance: one to three of the things paper shows that are not
    writing: show-through of writing on the back, a crease, a coffee ring, speckles, smudges, punched holes."""
    count = int(rng.integers(1, 4))
    for index in rng.choice(len(TEXTURES), size=count, replace=False):
        TEXTURES[int(index)](rng, paper)
