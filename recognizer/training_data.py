"""Training data for the recognizer's network, made by the recognizer's own candidate stage (R-CNN's idea).

The network has 11 classes: the digits 0-9 and NOT_A_DIGIT. It learns "not a digit" from exactly what the
pipeline hands it on real paper: synthetic pages are drawn from MNIST **training** digits (the test digits
stay for evaluation) among words, symbols, forms, shadows, fingers and page edges (``training_marks``); the
recognizer's ink mask and candidate stage run over each page (``page_candidates``); and every candidate is
labelled by its overlap with the true boxes (``label_candidates``):

- a candidate on a digit (IoU >= DIGIT_IOU) is that digit, whatever blur, faint pencil or cut stroke it has;
- a candidate touching a digit without matching it (a fragment, a digit merged with a letter) is left out:
  neither answer is right for it;
- a candidate on a glyph that is a digit in some handwriting (O and 0, l and 1, S and 5: ``DIGIT_LIKE``) is
  left out too: alone it may be a digit; inside a word the row's context decides (``recognizer.context``);
- every other candidate is NOT_A_DIGIT.

To these come the MNIST training digits, twice, most with stroke width, blur and contrast changed; single
marks normalized as the drawing canvas normalizes its pad (a dot, a dash, a letter drawn alone); and 1s
drawn as a pen or a mouse draws them (a plain bar looks like a remnant of a line, taught as "not a digit").

    x, y = build_dataset(train_images, train_labels, pages=3000, seed=0)   # (N, 28, 28) uint8, (N,) int64
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from recognizer import synth, training_marks
from recognizer.normalize import normalize_digit
from recognizer.preprocess import ink_mask, to_gray
from recognizer.segment import MIN_HEIGHT, digit_images, find_digit_blobs

Box = tuple[int, int, int, int]

NOT_A_DIGIT = 10        # the class of every candidate that is not a digit
DIGIT_IOU = 0.5         # a candidate is a digit when it and the digit's box overlap this much (R-CNN's 0.5)
TOUCHES = 0.1           # a candidate covering this much of a digit's box (or the box of it) is a piece of one
PAGE_SIZE = (480, 640)  # (H, W): a webcam's frame, the recognizer's working size
VERSION = 9             # bump when the pages change, so the cache is rebuilt
PAGES_PER_JOB = 100     # pages per task of the worker processes
DIGIT_COPIES = 2        # varied copies of the plain training digits: a digit must rarely be called "not a digit"


@dataclass
class Page:
    """image: (H, W, 3) uint8 BGR; digits: the true digit boxes (x, y, w, h) with their labels; digit_like:
    boxes of glyphs that are not taught as "not a digit" (they are digits in some handwriting)."""
    image: np.ndarray
    digits: list[tuple[Box, int]] = field(default_factory=list)
    digit_like: list[Box] = field(default_factory=list)


# ---- pages ----------------------------------------------------------------------------------------------------

class _Ink:
    """Writing on one page: glyphs blended onto the paper, their boxes recorded (in paper pixels)."""

    def __init__(self, rng: np.random.Generator, paper: np.ndarray, digits: np.ndarray, labels: np.ndarray):
        self.rng, self.paper, self.images, self.labels = rng, paper, digits, labels
        self.colour = synth.ink_colour(rng)
        self.pencil_mix = rng.random() < 0.3   # some pages mix faint pencil and dark pen, glyph by glyph
        self.thickening = rng.uniform(-0.5, 1.0)
        self.digits: list[tuple[Box, int]] = []
        self.digit_like: list[Box] = []

    def glyph_colour(self) -> tuple[float, ...]:
        if not self.pencil_mix:
            return self.colour
        grey = self.rng.uniform(0.05, 0.8)  # from dark pen to faint pencil
        return (grey,) * 3

    def place(self, alpha: np.ndarray, left: float, top: float, margin: int = 2) -> Box | None:
        """Blend a coverage map (h, w) with its top-left corner at (left, top); None if it does not fit within
        `margin` pixels of the paper's edges."""
        height, width = self.paper.shape[:2]
        h, w = alpha.shape
        left, top = int(round(left)), int(round(top))
        if left < margin or top < margin or left + w > width - margin or top + h > height - margin:
            return None
        synth.blend_ink(self.paper[top:top + h, left:left + w], alpha, self.glyph_colour())
        return left, top, w, h

    def digit(self, height: float, left: float, baseline: float, thickening: float | None = None) -> Box | None:
        index = int(self.rng.integers(len(self.images)))
        thick = self.thickening if thickening is None else thickening
        alpha = synth.render_digit(self.rng, self.images[index], height, thick)
        box = self.place(alpha, left, baseline - alpha.shape[0])
        if box is not None:
            self.digits.append((box, int(self.labels[index])))
        return box

    def mark(self, mark: training_marks.Mark, left: float, baseline: float) -> Box | None:
        box = self.place(mark.alpha, left, baseline - mark.alpha.shape[0])
        if box is not None:
            for (gx, gy, gw, gh), like in zip(mark.glyphs, mark.digit_like):
                if like:
                    self.digit_like.append((box[0] + gx, box[1] + gy, gw, gh))
        return box


def write_row(ink: _Ink, baseline: float, height: float, kinds: str) -> None:
    """Write a row of items left to right: kinds, one letter per item, "d" a number (1-5 digits), "w" a word,
    "s" a symbol, "l" a printed label; spacing as handwriting has it (wider between items than within)."""
    width = ink.paper.shape[1]
    x = ink.rng.uniform(0.03, 0.25) * width
    for kind in kinds:
        if kind == "d":
            for _ in range(int(ink.rng.integers(1, 6))):
                size = height * ink.rng.uniform(0.85, 1.15)
                box = ink.digit(size, x, baseline + ink.rng.uniform(-0.06, 0.06) * height)
                if box is None:
                    return
                x = box[0] + box[2] + ink.rng.uniform(0.05, 0.6) * height
        else:
            maker = {"w": training_marks.word, "s": training_marks.symbol, "l": training_marks.printed_label}[kind]
            mark = maker(ink.rng, height * (ink.rng.uniform(0.4, 0.9) if kind == "s" else 1.0))
            lift = ink.rng.uniform(0.0, 0.4) * height if kind == "s" else 0.0  # operators sit mid-line
            box = ink.mark(mark, x, baseline - lift)
            if box is None:
                return
            x = box[0] + box[2]
        x += ink.rng.uniform(0.3, 1.2) * height


ROW_KINDS = {  # what rows of each kind of page hold
    "digits": ("d", "dd", "ddd"),
    "notes": ("ww", "wd", "wwd", "dw", "www", "wdw", "lw", "w"),
    "math": ("dsd", "dsdsd", "dsdsds", "sdsd", "dsdsdsd"),
    "symbols": ("s", "ss", "sss", "wsw", "sd"),
}


def write_rows(ink: _Ink, kinds: tuple[str, ...], pitch: float | None) -> None:
    """Rows of items down the page (on the rules when `pitch` is given)."""
    height = ink.paper.shape[0]
    y_top = ink.rng.uniform(0.05, 0.15) * height
    for _ in range(int(ink.rng.integers(1, 6))):
        text_height = ink.rng.uniform(0.04, 0.14) * height
        if pitch is not None:
            text_height = min(text_height, ink.rng.uniform(0.6, 0.95) * pitch)
        baseline = y_top + text_height
        if baseline > 0.95 * height:
            break
        write_row(ink, baseline, text_height, kinds[int(ink.rng.integers(len(kinds)))])
        y_top = baseline + (pitch - text_height if pitch is not None else ink.rng.uniform(0.3, 1.0) * text_height)


def write_form(ink: _Ink) -> None:
    """A printed form (boxes, a comb, a table or underlined fields) with digits written in some of its cells."""
    height, width = ink.paper.shape[:2]
    region = (int(0.05 * width), int(ink.rng.uniform(0.05, 0.4) * height), int(0.9 * width),
              int(ink.rng.uniform(0.25, 0.5) * height))
    for cx, cy, cw, ch in training_marks.draw_form(ink.rng, ink.paper, region):
        if ink.rng.random() < 0.6 and ch >= 10:
            digit_height = ch * ink.rng.uniform(0.55, 0.85)
            ink.digit(digit_height, cx + ink.rng.uniform(0.1, 0.3) * cw, cy + ch * ink.rng.uniform(0.8, 0.95))
    label = training_marks.printed_label(ink.rng, ink.rng.uniform(0.03, 0.06) * height)
    ink.mark(label, region[0], region[1] - 4)


def write_close_up(ink: _Ink) -> None:
    """One glyph held close to the camera: a digit 40-100% of the frame tall in a broad pen (or, a third of the
    time, a big letter or symbol), sometimes reaching a little past the frame's top or bottom."""
    height, width = ink.paper.shape[:2]
    glyph_height = ink.rng.uniform(0.4, 0.97) * height
    if ink.rng.random() < 0.67:
        index = int(ink.rng.integers(len(ink.images)))
        alpha = synth.render_digit(ink.rng, ink.images[index], glyph_height, ink.rng.uniform(0.0, 0.5))
        alpha = np.clip((alpha - 0.5) * max(1.0, alpha.shape[0] / 40) + 0.5, 0, 1)  # a marker's sharp edge
        label = int(ink.labels[index])
    else:
        maker = training_marks.word if ink.rng.random() < 0.5 else training_marks.symbol
        mark = maker(ink.rng, glyph_height)
        alpha, label = mark.alpha, None
        if alpha.shape[0] > 0.98 * height or alpha.shape[1] > 0.98 * width:
            return
    h, w = alpha.shape
    if h > height or w > width - 4:
        return
    top = ink.rng.uniform(-0.08 * h, height - 0.92 * h)  # it may reach past the frame's top or bottom a little
    top = int(round(min(max(top, 2.0), height - h - 2.0))) if ink.rng.random() < 0.6 else int(round(top))
    left = int(round(ink.rng.uniform(2, width - w - 2)))
    visible = alpha[max(0, -top):min(h, height - top)]
    box = ink.place(visible, left, max(0, top), margin=0)
    if box is not None and label is not None:
        ink.digits.append((box, label))
    elif box is not None and any(mark.digit_like):
        ink.digit_like.append(box)


PAGE_KINDS = ("digits", "notes", "math", "symbols", "form", "close", "blank")
PAGE_WEIGHTS = (0.18, 0.24, 0.14, 0.08, 0.1, 0.14, 0.12)


def make_page(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray,
              size: tuple[int, int] = PAGE_SIZE) -> Page:
    """One synthetic camera frame of paper with writing. images: (N, 28, 28) uint8 MNIST **training** digits."""
    height, width = size
    kind = PAGE_KINDS[int(rng.choice(len(PAGE_KINDS), p=PAGE_WEIGHTS))]
    paper = synth.paper_texture(rng, height, width)
    pitch = None
    lines = rng.random()
    if lines < 0.3:
        pitch = rng.uniform(0.07, 0.16) * height
        synth.draw_ruled_lines(rng, paper, pitch)
    elif lines < 0.42:
        synth.draw_grid(rng, paper, rng.uniform(0.035, 0.08) * height)
    if rng.random() < 0.3:
        training_marks.draw_texture(rng, paper)
    ink = _Ink(rng, paper, images, labels)
    if kind in ROW_KINDS:
        write_rows(ink, ROW_KINDS[kind], pitch)
    elif kind == "form":
        write_form(ink)
    elif kind == "close":
        write_close_up(ink)
    image = paper * synth.lighting(rng, height, width)[:, :, None]
    if rng.random() < 0.2:
        training_marks.draw_page_edge(rng, image)
    if rng.random() < 0.15:
        training_marks.draw_finger(rng, image)
    boxes = [box for box, _ in ink.digits]
    image, moved = synth.camera_view(rng, image, boxes + ink.digit_like)
    if rng.random() < 0.25:  # out of focus, more than synth's camera ever is
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(1.2, 3.0))
    moved = [clip_box(box, size) for box in moved]  # what the camera sees of a glyph past the frame's edge
    digits = [(box, label) for box, (_, label) in zip(moved, ink.digits)]
    return Page(synth.camera_noise(rng, image), digits, moved[len(boxes):])


def clip_box(box: Box, size: tuple[int, int]) -> Box:
    """The part of a box (x, y, w, h) inside a frame of `size` (H, W) (at least 1x1)."""
    x, y, w, h = box
    left, top = min(max(x, 0), size[1] - 1), min(max(y, 0), size[0] - 1)
    right, bottom = max(min(x + w, size[1]), left + 1), max(min(y + h, size[0]), top + 1)
    return left, top, right - left, bottom - top


# ---- candidates and their labels ------------------------------------------------------------------------------

def page_candidates(image: np.ndarray) -> tuple[list[Box], np.ndarray]:
    """image: (H, W) or (H, W, 3) uint8 frame at the working size -> (candidate boxes (x, y, w, h), their
    MNIST-style images (N, 28, 28) float32): the recognizer's own stages, as ``Recognizer`` runs them."""
    gray = to_gray(image)
    mask, darkness = ink_mask(gray)
    blobs = find_digit_blobs(mask, darkness, gray, MIN_HEIGHT)
    return [blob.box for blob in blobs], digit_images(mask, darkness, blobs)


def iou_and_cover(box: Box, others: list[Box]) -> tuple[np.ndarray, np.ndarray]:
    """The intersection over union of `box` with each of `others` (K,), and how much of the smaller of the two
    boxes their intersection covers (K,)."""
    if not others:
        return np.zeros(0), np.zeros(0)
    x, y, w, h = box
    ox, oy, ow, oh = np.array(others, np.float64).T
    inter = (np.clip(np.minimum(x + w, ox + ow) - np.maximum(x, ox), 0, None)
             * np.clip(np.minimum(y + h, oy + oh) - np.maximum(y, oy), 0, None))
    union = w * h + ow * oh - inter
    return inter / union, inter / np.minimum(w * h, ow * oh)


def label_candidates(boxes: list[Box], page: Page) -> list[int | None]:
    """The class of each candidate box by its overlap with the page's true boxes (see the module docstring):
    a digit 0-9, NOT_A_DIGIT, or None (left out of training)."""
    digit_boxes = [box for box, _ in page.digits]
    classes: list[int | None] = []
    for box in boxes:
        iou, cover = iou_and_cover(box, digit_boxes)
        if len(iou) and iou.max() >= DIGIT_IOU:
            classes.append(page.digits[int(iou.argmax())][1])
        elif len(iou) and cover.max() >= TOUCHES:
            classes.append(None)
        elif page.digit_like and iou_and_cover(box, page.digit_like)[0].max() >= 0.3:
            classes.append(None)
        else:
            classes.append(NOT_A_DIGIT)
    return classes


def page_examples(page: Page) -> tuple[np.ndarray, np.ndarray]:
    """The labelled candidates of one page: (K, 28, 28) float32 images, (K,) int64 classes."""
    boxes, images = page_candidates(page.image)
    classes = label_candidates(boxes, page)
    keep = [i for i, c in enumerate(classes) if c is not None]
    return images[keep], np.array([classes[i] for i in keep], np.int64)


# ---- plain digits and lone marks --------------------------------------------------------------------------------

def varied_digits(rng: np.random.Generator, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 MNIST -> (N, 28, 28) float32 in [0, 1]: each with its stroke width, sharpness and
    contrast changed at random (thinner or bolder, blurred, fainter), as a camera and pens vary them."""
    out = images.astype(np.float32) / 255
    for i in range(len(out)):
        change = rng.integers(0, 4)
        if change == 1:
            big = cv2.resize(out[i], (56, 56), interpolation=cv2.INTER_LINEAR)
            kernel = np.ones((3, 3), np.uint8)
            big = cv2.dilate(big, kernel) if rng.random() < 0.5 else cv2.erode(big, kernel)
            out[i] = cv2.resize(big, (28, 28), interpolation=cv2.INTER_AREA)
        elif change == 2:
            out[i] = cv2.GaussianBlur(out[i], (0, 0), rng.uniform(0.5, 1.2))
            out[i] /= max(float(out[i].max()), 1e-3)
        elif change == 3:
            out[i] *= rng.uniform(0.5, 0.9)
    return np.clip(out, 0, 1)


def lone_marks(rng: np.random.Generator, count: int) -> np.ndarray:
    """(count, 28, 28) float32: single marks that are not digits (a letter, a symbol, a dot, a dash, a scribble),
    normalized alone as the drawing canvas normalizes its pad; glyphs that can be digits are skipped."""
    out = []
    while len(out) < count:
        choice = rng.random()
        if choice < 0.35:
            mark = training_marks.word(rng, rng.uniform(30, 120))
            if len(mark.glyphs) == 0:
                continue
            k = int(rng.integers(len(mark.glyphs)))  # one letter of the word, alone
            if mark.digit_like[k]:
                continue
            x, y, w, h = mark.glyphs[k]
            alpha = mark.alpha[y:y + h, x:x + w]
        elif choice < 0.75:
            mark = training_marks.symbol(rng, rng.uniform(30, 120))
            if any(mark.digit_like):
                continue
            alpha = mark.alpha
        else:
            alpha = scribble(rng)
        image = normalize_digit(np.ascontiguousarray(alpha, np.float32))
        if image.max() > 0:
            out.append(image)
    return np.stack(out)


def pen_ones(rng: np.random.Generator, count: int) -> np.ndarray:
    """(count, 28, 28) float32: a "1" as a pen or a mouse draws it, one straight bar (upright or slanted, some with
    a flag at the top), normalized as the canvas normalizes its pad. A bar left of a ruled line or a form's
    divider looks much the same, and is taught as "not a digit"; without these, a plain 1 would be one too."""
    out = np.zeros((count, 28, 28), np.float32)
    for i in range(count):
        pad = np.zeros((200, 200), np.uint8)
        slant = rng.uniform(-0.3, 0.3)
        top, bottom = (100 + 80 * slant, 20), (100 - 80 * slant, 180)
        width = int(rng.integers(6, 28))
        cv2.line(pad, _point(top), _point(bottom), 255, width, cv2.LINE_AA)
        if rng.random() < 0.4:  # the flag of a continental 1
            flag = (top[0] - rng.uniform(20, 45), top[1] + rng.uniform(15, 40))
            cv2.line(pad, _point(top), _point(flag), 255, width, cv2.LINE_AA)
        out[i] = normalize_digit(pad)
    return out


def _point(xy: tuple[float, float]) -> tuple[int, int]:
    return int(round(xy[0])), int(round(xy[1]))


def scribble(rng: np.random.Generator) -> np.ndarray:
    """(h, w) float32: a dot, a dash or a tangle of strokes, as a pen's pointer makes them on the canvas."""
    size = 200
    pad = np.zeros((size, size), np.uint8)
    width = int(rng.integers(6, 30))
    kind = rng.integers(0, 3)
    if kind == 0:
        centre = rng.integers(60, 140, size=2)
        cv2.circle(pad, tuple(int(v) for v in centre), width, 255, cv2.FILLED, cv2.LINE_AA)
    elif kind == 1:
        start, end = rng.integers(20, 180, size=2), rng.integers(20, 180, size=2)
        end[1] = start[1] + rng.integers(-15, 16)  # flat: a dash (a steep line is a "1")
        cv2.line(pad, tuple(int(v) for v in start), tuple(int(v) for v in end), 255, width, cv2.LINE_AA)
    else:
        points = rng.integers(20, 180, size=(int(rng.integers(5, 15)), 2)).astype(np.int32)
        cv2.polylines(pad, [points], False, 255, max(3, width // 2), cv2.LINE_AA)
    return pad.astype(np.float32) / 255


# ---- the whole set, cached --------------------------------------------------------------------------------------

def build_dataset(images: np.ndarray, labels: np.ndarray, pages: int, seed: int,
                  lone: int = 8000, workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """images, labels: MNIST **training** digits (N, 28, 28) uint8, (N,) -> (x (M, 28, 28) uint8, white on
    black as MNIST, y (M,) int64 in 0-10): the candidates of `pages` synthetic pages, `lone` lone marks, twice as
    many pen-drawn 1s (``pen_ones``), and the given digits DIGIT_COPIES times, most of them varied
    (``varied_digits``). The same arguments give the same arrays, however many `workers` (processes; default: one
    per core) make the pages: page i is drawn from seed (seed, i)."""
    jobs = [(seed, start, min(start + PAGES_PER_JOB, pages)) for start in range(0, pages, PAGES_PER_JOB)]
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(jobs) > 1:
        with multiprocessing.get_context("spawn").Pool(workers, _set_digits, (images, labels)) as pool:
            parts = pool.starmap(_pages_examples, jobs)
    else:
        _set_digits(images, labels)
        parts = [_pages_examples(*job) for job in jobs]
    rng = np.random.default_rng([seed, pages])
    ones = 2 * lone  # twice as many as the lone marks: a plain bar must stay a "1" (see pen_ones)
    xs = [x for x, _ in parts] + [lone_marks(rng, lone), pen_ones(rng, ones)]
    xs += [varied_digits(rng, images) for _ in range(DIGIT_COPIES)]
    ys = [y for _, y in parts] + [np.full(lone, NOT_A_DIGIT, np.int64), np.ones(ones, np.int64)]
    ys += [labels.astype(np.int64)] * DIGIT_COPIES
    return (np.concatenate(xs) * 255).round().astype(np.uint8), np.concatenate(ys)


_digits: tuple[np.ndarray, np.ndarray] = (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64))


def _set_digits(images: np.ndarray, labels: np.ndarray) -> None:
    """Give this process the digits to write (once per worker, not once per task)."""
    global _digits
    _digits = (images, labels)


def _pages_examples(seed: int, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """The labelled candidates of pages start..stop-1 (see ``build_dataset``), concatenated."""
    examples = [page_examples(make_page(np.random.default_rng([seed, i]), *_digits)) for i in range(start, stop)]
    return (np.concatenate([x for x, _ in examples]), np.concatenate([y for _, y in examples]))


def cached_dataset(images: np.ndarray, labels: np.ndarray, pages: int, seed: int, cache_dir: str | os.PathLike,
                   lone: int = 8000) -> tuple[np.ndarray, np.ndarray]:
    """``build_dataset``, read from `cache_dir` when it was built before with the same arguments and digits
    (the file name holds them, and a hash of the digits); written atomically."""
    key = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()[:12]
    path = Path(cache_dir) / f"candidates-v{VERSION}-p{pages}-l{lone}-s{seed}-{key}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            return data["x"], data["y"]
    x, y = build_dataset(images, labels, pages, seed, lone)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial.npz")
    np.savez(partial, x=x, y=y)
    os.replace(partial, path)
    return x, y
