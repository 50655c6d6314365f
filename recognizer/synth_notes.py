"""Harder synthetic scenes for the benchmark: notes (digits among words), maths, close-ups and pencil.

The recognizer is learning to say "not a digit" (an 11th class), so the benchmark needs pages where digits sit
among letters and symbols. The digits are MNIST **test** digits (``synth.load_test_digits``), as in
``recognizer/synth.py``; the words and operators are typeset and then made to look written (slanted, wobbled,
pen width varied, lightly blurred).

The fonts differ from the training data's **on purpose**, so that the benchmark measures how the network copes
with letters and symbols it has never seen rather than how well it remembers its training fonts. The training
data uses the pip font packages ``font-amatic-sc`` and ``font-intuitive``, OpenCV's Hershey SCRIPT_SIMPLEX,
SCRIPT_COMPLEX, SIMPLEX and COMPLEX, and operators drawn as jittered hand strokes. Here the sources are:

- matplotlib's bundled TrueType fonts (DejaVu Sans, Sans Oblique, Serif, Serif Italic, Sans Mono Oblique, STIX
  General Italic), rendered with Pillow: ``TTF_FONTS``;
- OpenCV's Hershey DUPLEX, TRIPLEX and PLAIN, sometimes with ``cv2.FONT_ITALIC``: ``HERSHEY_FONTS``, but
  only with OpenCV < 5 (``OPENCV_HAS_HERSHEY``). OpenCV 5 dropped the Hershey stroke fonts: every
  FONT_HERSHEY_* draws one built-in sans typeface, so DUPLEX and TRIPLEX draw exactly the pixels of the
  training's COMPLEX (checked on OpenCV 5.1) and would not be a different font at all;
- operators as glyphs of those fonts (+ − × ÷ = / ( ) %), never strokes.

Every scene is a ``synth.Scene`` of paper (``synth.paper_texture``), ink (``synth.blend_ink``), light
(``synth.lighting``) and camera (``synth.camera_view``, or for close-ups a slight tilt of their own, then
``synth.camera_noise``), as ``synth.make_scene`` makes them; its ``lines`` hold only the digits of each row,
and rows without digits have no entry. ``phantom_digits`` counts the digits a reading has beyond the true
ones, to go with ``synth.score_lines``.

    scene = make_notes_scene(np.random.default_rng(0), images, labels)   # images: (N, 28, 28) uint8 MNIST test
    scene.lines   # ["3142", "07"]: the digits of "dial 3142 now" and "Room 07", words left out
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from recognizer import synth
from recognizer.synth import Box, Scene

TTF_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
TTF_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Italic.ttf",
             "DejaVuSansMono.ttf", "DejaVuSansMono-Oblique.ttf", "STIXGeneral.ttf", "STIXGeneralItalic.ttf")
HERSHEY_FONTS = (cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_PLAIN)
OPENCV_HAS_HERSHEY = int(cv2.__version__.split(".")[0]) < 5  # else HERSHEY_FONTS are the training's typeface
# What the training data is made with: never used here (the tests check it).
TRAINING_FONT_NAMES = ("amatic", "intuitive")
TRAINING_HERSHEY_FONTS = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
                          cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_COMPLEX)

TTF_OPERATORS = ("+", "\u2212", "\u00d7", "\u00f7", "=", "/")  # + − × ÷ = /; Hershey writes - x / for − × ÷
WORDS = (
    "the", "and", "for", "you", "with", "have", "this", "from", "they", "will", "would", "there", "their",
    "what", "about", "which", "when", "make", "like", "time", "just", "know", "take", "people", "year", "good",
    "some", "could", "them", "see", "other", "than", "then", "now", "look", "only", "come", "over", "think",
    "also", "back", "after", "use", "work", "first", "well", "way", "even", "new", "want", "because", "any",
    "these", "give", "day", "most", "call", "dial", "hello", "name", "book", "page", "room", "phone", "date",
    "total", "price", "page", "note", "milk", "bread", "eggs", "apples", "meet", "at", "on", "by", "before",
    "Monday", "Tuesday", "Friday", "June", "March", "NAME", "BOOK", "TODO", "Dear", "Call", "Bus", "Room",
    "Tel", "Flat", "Order", "Score", "Team", "TOTAL", "OK", "Yes", "ask", "Bob", "Anna", "shop", "lunch",
)
NOTES_CAP, MATH_CAP, PENCIL_HEIGHT, CLOSE_HEIGHT = (0.05, 0.1), (0.05, 0.1), (0.05, 0.16), (0.55, 0.95)
ROW_TRIES = 5
Token = tuple[str, str, float]  # (kind: "word" | "symbol" | "number", text, gap before it in cap heights)


@dataclass
class Pen:
    """How one page is written: font (a .ttf path or a Hershey font number), ink (B, G, R) reflectance, slant
    (x shift per pixel of height), extra pen width and blur (both in cap heights)."""
    font: str | int
    colour: tuple[float, float, float]
    slant: float
    widen: float
    blur: float


def make_notes_scene(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray,
                     size: tuple[int, int] = (480, 640)) -> Scene:
    """(H, W) page of rows of written words; some rows hold a number (2-5 test digits) among the words, some
    are words only, some numbers only. lines: the digits of each row that has any."""
    def row(rng: np.random.Generator) -> list[Token]:
        kind = rng.choice(["words", "mixed", "numbers"], p=[0.3, 0.5, 0.2])
        count = int(rng.integers(1, 3)) if kind == "numbers" else int(rng.integers(1, 6))
        words = 0 if kind == "numbers" else count
        tokens = [("word", random_word(rng), rng.uniform(0.6, 1.0)) for _ in range(words)]
        for _ in range(count if kind == "numbers" else int(kind == "mixed") + int(rng.random() < 0.15)):
            number = "".join(str(d) for d in rng.integers(0, 10, size=int(rng.integers(2, 6))))
            tokens.insert(int(rng.integers(0, len(tokens) + 1)), ("number", number, rng.uniform(0.6, 1.0)))
        return tokens
    return make_text_scene(rng, images, labels, size, row, NOTES_CAP, (2, 7))


def make_math_scene(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray,
                    size: tuple[int, int] = (480, 640)) -> Scene:
    """(H, W) page of rows of arithmetic such as "12 + 7 = 19" or "(3 × 4) ÷ 2 = 6": numbers of 1-3 test
    digits, operators and brackets in the page's font. lines: the digits of each row."""
    spacing = rng.uniform(0.15, 0.8)  # how far this writer keeps operators from numbers, in cap heights
    return make_text_scene(rng, images, labels, size, lambda r: math_row(r, spacing), MATH_CAP, (1, 5), whole=True)


def make_close_scene(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray,
                     size: tuple[int, int] = (480, 640)) -> Scene:
    """(H, W) frame of one test digit 55-95% of the frame tall in a broad pen, as a sheet held right in front of
    the camera shows it: the paper fills the frame, and the digit may nearly touch its top and bottom. The
    page is made a little larger than the frame, tilted slightly and cropped, so the frame's edge cuts the
    paper rather than reflecting it (``synth.camera_view`` would, and would sometimes show the desk)."""
    height, width = size
    pad = int(round(0.06 * height))
    paper = synth.paper_texture(rng, height + 2 * pad, width + 2 * pad)
    line, (x, y, w, h) = write_close_digit(rng, paper[pad:pad + height, pad:pad + width], images, labels)
    image = paper * synth.lighting(rng, *paper.shape[:2])[:, :, None]
    image, (x, y, w, h) = close_view(rng, image, (x + pad, y + pad, w, h))
    image = np.ascontiguousarray(image[pad:pad + height, pad:pad + width])
    return Scene(synth.camera_noise(rng, image), [line], [clip_box((x - pad, y - pad, w, h), size)])


def make_pencil_scene(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray,
                      size: tuple[int, int] = (480, 640)) -> Scene:
    """(H, W) page of rows of test digits, each digit's ink drawn on its own from faint grainy pencil
    (reflectance 0.65-0.8) through mid grey to dark pen (0.05-0.2): the same page, very different darkness."""
    height, width = size
    paper = synth.paper_texture(rng, height, width)
    lines, boxes = [], []
    baseline = rng.uniform(0.06, 0.15) * height
    for _ in range(int(rng.integers(1, 5))):
        digit_height = rng.uniform(*PENCIL_HEIGHT) * height
        baseline += digit_height
        if baseline > 0.92 * height:
            break
        row, row_boxes = write_pencil_row(rng, paper, images, labels, baseline, digit_height)
        if row:
            lines.append(row)
            boxes.extend(row_boxes)
        baseline += rng.uniform(0.4, 1.0) * digit_height
    return finish(rng, paper, lines, boxes)


# ---- pages of written text ----

def make_text_scene(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, size: tuple[int, int],
                    row_tokens: Callable[[np.random.Generator], list[Token]], caps: tuple[float, float],
                    rows: tuple[int, int], whole: bool = False) -> Scene:
    """(H, W) page of rows[0]..rows[1]-1 rows of tokens from row_tokens, in one pen, cap height caps (fractions
    of H), on plain or ruled paper; whole: rows are written whole or not at all (a new row is drawn up to
    ROW_TRIES times), else cut at the page's edge between tokens. lines: the digits of each row that has any;
    boxes: one per digit."""
    height, width = size
    paper = synth.paper_texture(rng, height, width)
    pen = random_pen(rng)
    cap = rng.uniform(*caps) * height
    pitch = rng.uniform(1.8, 2.4) * cap
    baseline = rng.uniform(0.06, 0.15) * height + cap
    if rng.random() < 0.4:
        rule_page(rng, paper, baseline + rng.uniform(0.0, 0.15) * cap, pitch)
    lines, boxes = [], []
    for _ in range(int(rng.integers(*rows))):
        if baseline + 0.5 * cap > 0.95 * height:
            break
        left = rng.uniform(0.06, 0.2) * width  # as synth.write_row: the camera view keeps it in the frame
        for _ in range(ROW_TRIES):  # a sum too long for the page is tried again, not cut short
            written = write_tokens(rng, paper, images, labels, row_tokens(rng), baseline, cap, left, pen, whole)
            if written is not None:
                break
        digits, row_boxes = written or ("", [])
        if digits:
            lines.append(digits)
            boxes.extend(row_boxes)
        baseline += pitch
    return finish(rng, paper, lines, boxes)


def math_row(rng: np.random.Generator, spacing: float) -> list[Token]:
    """Tokens of one sum: 2-3 numbers of 1-3 digits with operators, sometimes brackets round the first two or a
    % after the first, then "=" and the result (the true one when it is a whole number under 1000, else any).
    spacing: this writer's gap around operators, in cap heights."""
    count = int(rng.integers(2, 4))
    numbers = [str(rng.integers(0, 10 ** int(rng.integers(1, 4)))) for _ in range(count)]
    near = lambda: rng.uniform(0.05, 0.2)  # noqa: E731  (brackets and % hug their number)
    far = lambda: spacing * rng.uniform(0.7, 1.3)  # noqa: E731
    tokens: list[Token] = [("number", numbers[0], 0.0)]
    for number in numbers[1:]:
        tokens += [("symbol", str(rng.choice(TTF_OPERATORS[:4] + ("/",))), far()), ("number", number, far())]
    if count == 3 and rng.random() < 0.4:
        tokens = [("symbol", "(", 0.0), ("number", numbers[0], near())] + tokens[1:3] + \
                 [("symbol", ")", near())] + tokens[3:]
    if rng.random() < 0.15:
        first = 1 + int(tokens[0][1] == "(")
        tokens.insert(first, ("symbol", "%", near()))
    result = arithmetic(tokens)
    result = str(rng.integers(0, 10 ** int(rng.integers(1, 4)))) if result is None else result
    return tokens + [("symbol", "=", far()), ("number", result, far())]


def arithmetic(tokens: list[Token]) -> str | None:
    """The value of a sum's tokens as a string, when it is a whole number from 0 to 999; else None."""
    python = {"\u2212": "-", "\u00d7": "*", "\u00f7": "/", "%": "*0.01"}
    text = "".join(python.get(text, text) for _, text, _ in tokens)
    try:
        value = round(eval(text, {"__builtins__": {}}), 6)  # only digits, brackets and + - * / . built above
    except ZeroDivisionError:
        return None
    return str(int(value)) if value == int(value) and 0 <= value < 1000 else None


def random_word(rng: np.random.Generator) -> str:
    """A common word from WORDS, sometimes Capitalised or in CAPITALS."""
    word = str(rng.choice(WORDS))
    case = rng.random()
    return word.upper() if case < 0.12 else word.capitalize() if case < 0.35 else word


def random_pen(rng: np.random.Generator) -> Pen:
    """A page's pen: a TTF font (60%; always without OpenCV's Hershey fonts) or a Hershey one (sometimes
    italic), an ink, a slant and a pen width."""
    if rng.random() < 0.6 or not OPENCV_HAS_HERSHEY:
        font: str | int = str(TTF_DIR / str(rng.choice(TTF_FONTS)))
    else:
        font = int(rng.choice(HERSHEY_FONTS)) | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
    return Pen(font, synth.ink_colour(rng), rng.uniform(-0.1, 0.3), rng.uniform(0.0, 0.035), rng.uniform(0.01, 0.04))


def write_tokens(rng: np.random.Generator, paper: np.ndarray, images: np.ndarray, labels: np.ndarray,
                 tokens: list[Token], baseline: float, cap: float, left: float, pen: Pen,
                 whole: bool = False) -> tuple[str, list[Box]] | None:
    """Write tokens left to right from x = left on `baseline`, in place, stopping before the first that would
    pass 95% of the width (whole: then write nothing and return None). Words and symbols in the pen's font,
    numbers as test digits about `cap` tall. Returns (the digits written, their boxes)."""
    width = paper.shape[1]
    x, placed = left, []
    for kind, text, gap in tokens:
        pieces = number_pieces(rng, text, images, labels, cap) if kind == "number" else \
            [(text_coverage(rng, pen_text(text, pen.font), cap, pen), "")]
        x += gap * cap if x > left else 0.0
        token = []
        for index, ((alpha, base_row), digit) in enumerate(pieces):
            x += rng.uniform(0.08, 0.35) * cap if index else 0.0
            token.append((alpha, int(round(x)), int(round(baseline)) - base_row, digit))
            x += alpha.shape[1]
        if x > 0.95 * width:
            if whole:
                return None
            break
        placed += token
    for alpha, piece_left, top, _ in placed:
        blend_clipped(paper, alpha, piece_left, top, pen.colour)
    return "".join(digit for *_, digit in placed), [(piece_left, top, alpha.shape[1], alpha.shape[0])
                                                    for alpha, piece_left, top, digit in placed if digit]


def number_pieces(rng: np.random.Generator, number: str, images: np.ndarray, labels: np.ndarray,
                  cap: float) -> list[tuple[tuple[np.ndarray, int], str]]:
    """One ((h, w) ink coverage, its baseline row) and its digit per digit of `number`: a random test image of
    that digit, 0.95-1.15 cap heights tall, its bottom a little above or below the baseline."""
    pieces = []
    for digit in number:
        index = int(rng.choice(np.flatnonzero(labels == int(digit))))
        alpha = synth.render_digit(rng, images[index], cap * rng.uniform(0.95, 1.15), rng.uniform(-0.3, 0.6))
        sink = int(round(rng.uniform(-0.06, 0.06) * cap))
        pieces.append(((alpha, alpha.shape[0] - 1 - sink), digit))
    return pieces


def pen_text(text: str, font: str | int) -> str:
    """The text as the font can write it: Hershey fonts have ASCII only (− is "-", × "x", ÷ "/")."""
    hershey = str.maketrans({"\u2212": "-", "\u00d7": "x", "\u00f7": "/"})
    return text.translate(hershey) if isinstance(font, int) else text


# ---- typesetting that looks written ----

def text_coverage(rng: np.random.Generator, text: str, cap: float, pen: Pen) -> tuple[np.ndarray, int]:
    """text in the pen's font, capitals about `cap` pixels tall -> ((h, w) float32 ink coverage in [0, 1], row
    of its baseline), slanted, wobbled, widened and blurred a little as handwriting is."""
    if isinstance(pen.font, int):
        alpha, base_row = hershey_coverage(text, cap, pen.font, max(1, int(round(cap * rng.uniform(0.06, 0.1)))))
    else:
        alpha, base_row = ttf_coverage(text, cap, pen.font)
    return look_written(rng, alpha, base_row, cap, pen)


@functools.lru_cache(maxsize=256)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A TrueType font at `size` pixels per em (cached: pages reuse a few sizes)."""
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=32)
def em_per_cap(path: str) -> float:
    """Font size (pixels per em) that makes capitals one pixel tall."""
    left, top, right, bottom = load_font(path, 200).getbbox("H", anchor="ls")
    return 200 / -top


def ttf_coverage(text: str, cap: float, path: str) -> tuple[np.ndarray, int]:
    """text rendered by Pillow, capitals `cap` pixels tall -> ((h, w) float32 coverage, baseline row)."""
    font = load_font(path, max(6, int(round(cap * em_per_cap(path)))))
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    pad = 3
    image = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(image).text((pad - left, pad - top), text, fill=255, font=font, anchor="ls")
    return np.asarray(image, np.float32) / 255, pad - top


def hershey_coverage(text: str, cap: float, font: int, thickness: int) -> tuple[np.ndarray, int]:
    """text drawn by OpenCV's Hershey `font`, capitals about `cap` pixels tall, strokes `thickness` pixels
    -> ((h, w) float32 coverage, baseline row)."""
    scale = max(cap - thickness, 1.0) / hershey_cap(font)
    (width, height), descent = cv2.getTextSize(text, font, scale, thickness)
    pad = thickness + int(0.4 * cap) + 2  # brackets reach above the capitals
    canvas = np.zeros((height + descent + 2 * pad, width + 2 * pad), np.uint8)
    cv2.putText(canvas, text, (pad, pad + height), font, scale, 255, thickness, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255, pad + height


@functools.lru_cache(maxsize=32)
def hershey_cap(font: int) -> float:
    """Height in pixels of a Hershey font's capitals at scale 1, measured on a drawn "H" (cv2.getTextSize's
    height is taller than the capitals)."""
    canvas = np.zeros((200, 200), np.uint8)
    cv2.putText(canvas, "H", (20, 150), font, 4.0, 255, 1, cv2.LINE_8)
    rows = np.flatnonzero(canvas.any(axis=1))
    return (rows[-1] - rows[0]) / 4.0


def look_written(rng: np.random.Generator, alpha: np.ndarray, base_row: int, cap: float,
                 pen: Pen) -> tuple[np.ndarray, int]:
    """(h, w) coverage -> (h', w') coverage and baseline row: slanted about the baseline, wobbled by a smooth
    random displacement, strokes widened and softly blurred, trimmed to its ink."""
    height, width = alpha.shape
    slant = pen.slant + rng.uniform(-0.05, 0.05)
    margin = int(np.ceil(abs(slant) * height + 0.1 * cap)) + 2
    shear = np.float32([[1, -slant, slant * base_row + margin], [0, 1, 0]])
    alpha = cv2.warpAffine(alpha, shear, (width + 2 * margin, height), flags=cv2.INTER_LINEAR)
    height, width = alpha.shape
    cells = max(2, int(width / cap * 1.5))
    wobble = 0.035 * cap
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    dx = synth.smooth_noise(rng, height, width, cells) * wobble
    dy = synth.smooth_noise(rng, height, width, cells) * wobble
    alpha = cv2.remap(alpha, xs + dx, ys + dy, cv2.INTER_LINEAR)
    alpha = synth.vary_pen_width(alpha, pen.widen * cap)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.4, pen.blur * cap))
    alpha = np.clip((alpha - 0.2) / 0.6, 0, 1)  # crisp edges again, strokes about as wide as before
    return trim(alpha, base_row)


def trim(alpha: np.ndarray, base_row: int) -> tuple[np.ndarray, int]:
    """Cut (h, w) coverage to the box of its ink (> 0.05), moving the baseline row with it."""
    ys, xs = np.nonzero(alpha > 0.05)
    if len(ys) == 0:
        return np.zeros((1, 1), np.float32), 0
    return alpha[ys.min():ys.max() + 1, xs.min():xs.max() + 1], base_row - int(ys.min())


# ---- close-ups and pencil ----

def write_close_digit(rng: np.random.Generator, paper: np.ndarray, images: np.ndarray,
                      labels: np.ndarray) -> tuple[str, Box]:
    """Write one random test digit CLOSE_HEIGHT (55-95%) of the paper's height in a broad pen with sharp edges,
    anywhere it fits, in place. paper: (H, W, 3) float32. Returns (its string, its box)."""
    height, width = paper.shape[:2]
    index = int(rng.integers(len(images)))
    alpha = synth.render_digit(rng, images[index], rng.uniform(*CLOSE_HEIGHT) * height, rng.uniform(0.1, 0.5))
    fit = min(1.0, 0.97 * height / alpha.shape[0], 0.9 * width / alpha.shape[1])
    if fit < 1.0:
        alpha = cv2.resize(alpha, (max(1, int(alpha.shape[1] * fit)), max(1, int(alpha.shape[0] * fit))))
    alpha = np.clip((alpha - 0.5) * max(1.0, alpha.shape[0] / 40) + 0.5, 0, 1)  # a marker's edges stay sharp
    glyph_height, glyph_width = alpha.shape
    top = int(rng.integers(0, height - glyph_height + 1))
    left = int(rng.uniform(0.1, 0.9) * (width - glyph_width))
    synth.blend_ink(paper[top:top + glyph_height, left:left + glyph_width], alpha, synth.ink_colour(rng))
    return str(int(labels[index])), (left, top, glyph_width, glyph_height)


def write_pencil_row(rng: np.random.Generator, paper: np.ndarray, images: np.ndarray, labels: np.ndarray,
                     baseline: float, digit_height: float) -> tuple[str, list[Box]]:
    """Write 1-6 test digits left to right on `baseline`, each in its own darkness (``pencil_or_pen``), faint
    ones grainy and thinner as pencil is, in place. Returns (their string, their boxes)."""
    height, width = paper.shape[:2]
    x = rng.uniform(0.06, 0.3) * width
    text, boxes = "", []
    for _ in range(int(rng.integers(1, 7))):
        index = int(rng.integers(len(images)))
        colour, faint = pencil_or_pen(rng)
        alpha = synth.render_digit(rng, images[index], digit_height * rng.uniform(0.85, 1.15),
                                   rng.uniform(-0.5, 0.0) if faint else rng.uniform(-0.3, 0.8))
        if faint:  # graphite catches on the paper's tooth: patchy coverage
            alpha = alpha * np.clip(1 + 0.35 * rng.standard_normal(alpha.shape).astype(np.float32), 0.3, 1)
        glyph_height, glyph_width = alpha.shape
        top, left = int(round(baseline - glyph_height + rng.uniform(-0.06, 0.06) * digit_height)), int(round(x))
        if left + glyph_width > 0.94 * width or top < 0.03 * height or top + glyph_height > 0.97 * height:
            break
        synth.blend_ink(paper[top:top + glyph_height, left:left + glyph_width], alpha, colour)
        text += str(int(labels[index]))
        boxes.append((left, top, glyph_width, glyph_height))
        x = left + glyph_width + rng.uniform(0.2, 0.8) * digit_height
    return text, boxes


def pencil_or_pen(rng: np.random.Generator) -> tuple[tuple[float, float, float], bool]:
    """A digit's ink (B, G, R) reflectance and whether it is faint pencil: grey 0.65-0.8 (faint pencil), grey
    0.3-0.65 (a firmer pencil), or 0.05-0.2 (dark pen, black or blue-black), a third each."""
    kind = int(rng.integers(3))
    if kind == 0:
        return (rng.uniform(0.65, 0.8),) * 3, True
    if kind == 1:
        return (rng.uniform(0.3, 0.65),) * 3, False
    dark = rng.uniform(0.05, 0.2)
    return (dark + rng.uniform(0.0, 0.15), dark + rng.uniform(0.0, 0.05), dark), False


# ---- paper, camera and scoring ----

def rule_page(rng: np.random.Generator, paper: np.ndarray, first: float, pitch: float) -> None:
    """Light blue or grey rules every `pitch` pixels through y = first (the rows' baselines), in place."""
    height, width = paper.shape[:2]
    colour = (rng.uniform(0.6, 0.9), rng.uniform(0.45, 0.8), rng.uniform(0.3, 0.75))
    thickness = int(rng.integers(1, 3))
    for y in np.arange(first % pitch, height, pitch):
        synth.draw_line(paper, (0, y), (width - 1, y), colour, thickness)


def blend_clipped(paper: np.ndarray, alpha: np.ndarray, left: int, top: int, colour: tuple[float, ...]) -> None:
    """synth.blend_ink of (h, w) coverage with its top-left corner at (left, top), cut to the paper."""
    height, width = paper.shape[:2]
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(height, top + alpha.shape[0]), min(width, left + alpha.shape[1])
    if y1 > y0 and x1 > x0:
        synth.blend_ink(paper[y0:y1, x0:x1], alpha[y0 - top:y1 - top, x0 - left:x1 - left], colour)


def finish(rng: np.random.Generator, paper: np.ndarray, lines: list[str], boxes: list[Box]) -> Scene:
    """Light, camera view and sensor noise, as synth.make_scene does, on (H, W, 3) float32 inked paper."""
    height, width = paper.shape[:2]
    image = paper * synth.lighting(rng, height, width)[:, :, None]
    image, boxes = synth.camera_view(rng, image, boxes)
    return Scene(synth.camera_noise(rng, image), lines, boxes)


def close_view(rng: np.random.Generator, image: np.ndarray, box: Box) -> tuple[np.ndarray, Box]:
    """(H, W, 3) image seen at a slight slant (each corner moved up to 3% of the frame) and its box moved along."""
    height, width = image.shape[:2]
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    moved = corners + rng.uniform(-0.03, 0.03, size=(4, 2)).astype(np.float32) * np.float32([width, height])
    homography = cv2.getPerspectiveTransform(corners, moved)
    warped = cv2.warpPerspective(image, homography, (width, height), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REFLECT)
    return warped, synth.warp_box(homography, box)


def clip_box(box: Box, size: tuple[int, int]) -> Box:
    """The part of an (x, y, w, h) box inside a frame of `size` (H, W)."""
    x, y, w, h = box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(size[1], x + w), min(size[0], y + h)
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def edit_counts(truth: str, read: str) -> tuple[int, int]:
    """(edit distance, insertions) turning truth into read, over the cheapest alignments the one with the
    fewest insertions (so a misread digit counts as a substitution, never as a deletion plus a phantom)."""
    previous = [(j, j) for j in range(len(read) + 1)]
    for i, true_char in enumerate(truth, 1):
        current = [(i, 0)]
        for j, read_char in enumerate(read, 1):
            current.append(min((previous[j][0] + 1, previous[j][1]),
                               (current[j - 1][0] + 1, current[j - 1][1] + 1),
                               (previous[j - 1][0] + (true_char != read_char), previous[j - 1][1])))
        previous = current
    return previous[-1]


def phantom_digits(truth: list[str], read: list[str]) -> int:
    """Digits read that match no true digit: the insertions of the row alignment ``synth.score_lines`` makes
    (same cost; among equally cheap alignments, the one with the fewest insertions). A whole extra row read
    counts all its digits."""
    n, m = len(truth), len(read)
    cost = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        for j in range(m + 1):
            if i or j:
                options = []
                if i:
                    options.append((cost[i - 1][j][0] + len(truth[i - 1]), cost[i - 1][j][1]))
                if j:
                    options.append((cost[i][j - 1][0] + len(read[j - 1]), cost[i][j - 1][1] + len(read[j - 1])))
                if i and j:
                    distance, inserted = edit_counts(truth[i - 1], read[j - 1])
                    options.append((cost[i - 1][j - 1][0] + distance, cost[i - 1][j - 1][1] + inserted))
                cost[i][j] = min(options)
    return cost[n][m][1]
