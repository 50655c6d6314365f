"""Drawing the recognizer's results on frames: boxes, labels, row readings, status and key help.

Every function here is pure drawing on NumPy images, so it can be tested (and used to save annotated
frames) without a window. Sizes of text and lines follow the image size, so a 4K photo and a 320x240
webcam frame both get readable labels; a digit's label is never much taller than the digit, and the row
readings never take more than a third of the image, so a photo of a whole page of small writing stays legible.
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

GREEN = (60, 200, 60)
DIM_GREEN = (40, 120, 40)
RED = (40, 40, 230)
YELLOW = (0, 220, 255)
GREY = (90, 90, 90)
WHITE = (255, 255, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX

KEY_HELP = "q/Esc quit | space pause | s snapshot | d debug view | +/- threshold"
MIN_SCALE = 0.35        # the smallest font scale drawn: still legible
LABEL_HEIGHT = 0.5      # a digit's label is at most this many times the digit's height (above MIN_SCALE)
ROWS_HEIGHT = 1 / 3     # the row readings take at most this much of the image's height (above MIN_SCALE)


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Any frame (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), any dtype -> a new (H, W, 3) uint8 BGR copy."""
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image.copy()


def text_scale(image: np.ndarray) -> float:
    """Font scale for an image: 0.5 for a 480-pixel-high frame, growing with the shorter side."""
    return max(MIN_SCALE, min(image.shape[:2]) / 960.0)


def line_thickness(image: np.ndarray) -> int:
    return max(1, int(round(min(image.shape[:2]) / 300.0)))


def text_size(text: str, scale: float) -> tuple[int, int, int]:
    """(width, height, baseline) in pixels of ``text`` as `put_text` draws it."""
    (width, height), baseline = cv2.getTextSize(text, FONT, scale, text_thickness(scale))
    return width, height, baseline


def text_thickness(scale: float) -> int:
    return max(1, int(round(scale * 2)))


def put_text(image: np.ndarray, text: str, origin: tuple[int, int], color: tuple, scale: float) -> None:
    """Text on a darkened box, so it stays readable on white paper and on a dark desk alike; in place.

    (A darker, thicker copy of the text as an outline does not work: OpenCV 5 draws thicker text
    with wider letters, so the two copies do not line up.)
    """
    width, height, baseline = text_size(text, scale)
    x, y = origin
    margin = max(2, int(round(4 * scale)))
    top, bottom = max(0, y - height - margin), min(image.shape[0], y + baseline + margin)
    left, right = max(0, x - margin), min(image.shape[1], x + width + margin)
    image[top:bottom, left:right] //= 3
    cv2.putText(image, text, origin, FONT, scale, color, text_thickness(scale), cv2.LINE_AA)


def draw_digits(image: np.ndarray, digits: Sequence) -> None:
    """Draw every digit's box and label onto ``image`` (H, W, 3) uint8, in place.

    Read digits get a green box and "7 98%" (just "7" for small writing, whose labels are drawn smaller than
    the image's own text size: digits close together); rejected blobs (digit None: read as "not a digit", or not
    confidently) a thin red box and "?"; digits the tracker only remembers (``seen`` False) a dim green box.
    Only box, digit, confidence and seen are looked at, never probs: any number of classes will do.
    """
    frame_scale = text_scale(image) * 0.8
    thick = line_thickness(image)
    digit_height = text_size("0", frame_scale)[1]  # of a label at the frame's scale
    for d in digits:
        x, y, w, h = (int(v) for v in d.box)
        fitting = frame_scale * LABEL_HEIGHT * h / digit_height
        scale = max(MIN_SCALE, min(frame_scale, fitting))
        if d.digit is None:
            color, label, box_thickness = RED, "?", max(1, thick // 2)
        else:
            color = GREEN if getattr(d, "seen", True) else DIM_GREEN
            label = str(d.digit) if fitting < frame_scale else f"{d.digit} {d.confidence:.0%}"
            box_thickness = thick
        cv2.rectangle(image, (x, y), (x + w, y + h), color, box_thickness)
        _, text_h, baseline = text_size(label, scale)
        text_y = y - baseline - 4 if y - baseline - 4 - text_h >= 0 else y + h + text_h + 6
        put_text(image, label, (x, text_y), color, scale)


def draw_text_lines(image: np.ndarray, lines: Sequence[str], top_left: tuple[int, int], color: tuple) -> None:
    """Lines of text one below the other, starting at ``top_left``, in at most ROWS_HEIGHT of the image's
    height (smaller for many lines, down to MIN_SCALE); drawn in place."""
    scale = text_scale(image) * 1.2
    if lines:
        _, height, baseline = text_size("0", scale)
        needed = len(lines) * (height + baseline + int(8 * scale))
        scale = max(MIN_SCALE, min(scale, scale * ROWS_HEIGHT * image.shape[0] / needed))
    x, y = top_left
    for line in lines:
        _, height, baseline = text_size(line, scale)
        y += height + baseline + int(8 * scale)
        put_text(image, line, (x + int(8 * scale), y), color, scale)


def status_text(fps: float | None = None, process_ms: float | None = None,
                min_confidence: float | None = None, paused: bool = False) -> str:
    """'23.5 fps | 4.1 ms/frame | threshold 0.50 | PAUSED', leaving out what is not known."""
    parts = []
    if fps is not None:
        parts.append(f"{fps:.1f} fps")
    if process_ms is not None:
        parts.append(f"{process_ms:.1f} ms/frame")
    if min_confidence is not None:
        parts.append(f"threshold {min_confidence:.2f}")
    if paused:
        parts.append("PAUSED")
    return " | ".join(parts)


def draw_status(image: np.ndarray, text: str) -> None:
    """``text`` (see `status_text`) in the top-right corner, in place."""
    if not text:
        return
    scale = text_scale(image)
    w, h, _ = text_size(text, scale)
    put_text(image, text, (max(0, image.shape[1] - w - 10), h + 10), YELLOW, scale)


def draw_help(image: np.ndarray, text: str = KEY_HELP) -> None:
    """One line of key help along the bottom edge, in place."""
    scale = text_scale(image) * 0.85
    put_text(image, text, (8, image.shape[0] - 8), WHITE, scale)


def annotate(frame: np.ndarray, digits: Sequence, lines: Sequence[str], status: str = "",
             key_help: bool = False) -> np.ndarray:
    """A copy of ``frame`` with digit boxes, the row readings, a status line and, if asked, the key help.

    frame: (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) -> (H, W, 3) uint8 BGR.
    digits: objects with box (x, y, w, h), digit (0-9, or None: not read), confidence; lines: row strings, top
    to bottom.
    status: e.g. `status_text` (empty: none).
    """
    image = as_bgr(frame)
    draw_digits(image, digits)
    draw_text_lines(image, [f"row {i + 1}: {line}" for i, line in enumerate(lines)], (8, 8), GREEN)
    draw_status(image, status)
    if key_help:
        draw_help(image)
    return image


def debug_view(mask: np.ndarray | None, digits: Sequence) -> np.ndarray:
    """What the pipeline saw: the threshold mask, the outline of every blob in it (yellow) and the digits kept.

    mask: (H, W) uint8, ink = 255 (None: nothing to show, a black image). Returns (H, W, 3) uint8 BGR.
    Blobs outlined in yellow without a box were filtered out as not digit-like (size, shape, border).
    """
    if mask is None:
        mask = np.zeros((240, 320), dtype=np.uint8)
    image = as_bgr(mask)
    binary = (np.asarray(mask).reshape(image.shape[:2]) > 0).astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(image, contours, -1, YELLOW, max(1, line_thickness(image) // 2))
    draw_digits(image, digits)
    put_text(image, "threshold mask | yellow: blob outlines", (8, image.shape[0] - 8), YELLOW, text_scale(image))
    return image


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Two BGR images next to each other; ``right`` is resized to the height of ``left``."""
    h = left.shape[0]
    w = max(1, int(round(right.shape[1] * h / right.shape[0])))
    return np.hstack([left, cv2.resize(as_bgr(right), (w, h), interpolation=cv2.INTER_AREA)])


def fit_within(image: np.ndarray, max_width: int, max_height: int) -> np.ndarray:
    """Shrink ``image`` (never enlarge) so it fits a max_width x max_height window, keeping its aspect ratio."""
    h, w = image.shape[:2]
    factor = min(1.0, max_width / w, max_height / h)
    if factor >= 1.0:
        return image
    size = (max(1, int(w * factor)), max(1, int(h * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
