"""MNIST-style normalization of one digit: what the network saw in training is what it sees here.

MNIST digits are white on black, their ink fitted into a 20x20 box (aspect ratio kept, anti-aliased) and
placed in a 28x28 image so that the centre of mass of the ink is at the centre. Pens and cameras differ in
stroke width, so strokes are also brought near MNIST's width (about 2-3 px at that scale) before resizing.

    digit = normalize_digit(ink)      # ink: (h, w) uint8, white on black -> (28, 28) float32 in [0, 1]
"""
from __future__ import annotations

import cv2
import numpy as np

BOX = 20            # the longer side of the ink after scaling, as in MNIST
SIZE = 28           # the image the network takes
MIN_STROKE = 2.0    # stroke width, in pixels of the 20-px box, below which strokes are thickened...
MAX_STROKE = 4.5    # ...and above which they are thinned, to stay close to MNIST's pens


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """(h, w) image, ink > 0 -> the smallest crop holding all the ink (the image itself if it has none)."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return ink
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels of a (h, w) uint8 ink image: twice the distance from the strokes' middle
    line to their edge, read as a high percentile of the distance transform inside the ink."""
    binary = (ink > 127).astype(np.uint8)
    if not binary.any():
        return 0.0
    distances = cv2.distanceTransform(np.pad(binary, 1), cv2.DIST_L2, 3)
    return 2.0 * quantile(distances[distances > 0], 0.9)


def quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile (0 <= q <= 1) of a non-empty 1-D array, by partial sort (np.percentile is ~10x slower)."""
    k = min(len(values) - 1, int(q * len(values)))
    return float(np.partition(values, k)[k])


def normalize_stroke(ink: np.ndarray, scale: float) -> np.ndarray:
    """Thicken or thin the strokes of (h, w) uint8 ``ink`` so that, once resized by ``scale``, they are between
    MIN_STROKE and MAX_STROKE pixels wide (a thin pen seen from afar would otherwise fade to grey)."""
    width = stroke_width(ink) * scale
    if width <= 0 or MIN_STROKE <= width <= MAX_STROKE:
        return ink
    target = MIN_STROKE if width < MIN_STROKE else MAX_STROKE
    radius = int(round(abs(target - width) / scale / 2))
    if radius < 1:
        return ink
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    if width < MIN_STROKE:
        return cv2.dilate(np.pad(ink, radius), kernel)
    thinned = cv2.erode(ink, kernel)
    return thinned if thinned.any() else ink


def normalize_digit(ink: np.ndarray) -> np.ndarray:
    """One digit, white ink on black, any size -> (28, 28) float32 in [0, 1], MNIST-style.

    ink: (h, w) uint8 (or float in [0, 1]); everything non-zero counts as ink. An image without ink gives
    an all-black result.
    """
    if ink.dtype != np.uint8:
        ink = np.clip(np.asarray(ink, dtype=np.float32) * 255 + 0.5, 0, 255).astype(np.uint8)
    ink = crop_to_ink(ink)
    if not ink.any():
        return np.zeros((SIZE, SIZE), dtype=np.float32)
    ink = crop_to_ink(normalize_stroke(ink, BOX / max(ink.shape)))
    height, width = ink.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    shrinking = scale < 1
    small = cv2.resize(ink, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return centre_by_mass(small.astype(np.float32) / 255.0)


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """(h, w) float32 with h, w <= 20 -> (28, 28) float32 with the ink's centre of mass at the centre."""
    total = float(digit.sum())
    if total <= 0:
        return np.zeros((SIZE, SIZE), dtype=np.float32)
    ys, xs = np.indices(digit.shape)
    centre_y, centre_x = float((ys * digit).sum()) / total, float((xs * digit).sum()) / total
    shift = np.float32([[1, 0, (SIZE - 1) / 2 - centre_x], [0, 1, (SIZE - 1) / 2 - centre_y]])
    return cv2.warpAffine(digit, shift, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderValue=0)
