"""One digit's ink -> the 28x28 image an MNIST model expects. Used by the camera path and the drawing canvas.

MNIST was made this way (LeCun et al.): the scan of one digit was scaled, keeping its aspect ratio, so that
its longer side is 20 pixels (the anti-aliasing of the scaling makes the grey edges), then placed in a 28x28
image so that its centre of mass is at pixel (14, 14) (row and column index; measured on MNIST's test set:
13.99 and 14.01 on average). A model trained on MNIST has only seen digits made like that, so every digit it
is asked to read is made the same way:

    image = normalize_digit(ink)    # ink: (H, W), white on black -> (28, 28) float32 in [0, 1]

One step is added: the pen. MNIST strokes are about 2-4 pixels wide at that scale; a thin pen on a big digit
would shrink to a faint hairline and a marker to a blot, so the stroke width is brought into that range
before scaling.
"""
from __future__ import annotations

import cv2
import numpy as np

MNIST_SIZE = 28
DIGIT_BOX = 20             # the longer side of the digit inside the 28x28 image
MNIST_CENTRE = 14.0        # where MNIST puts the centre of mass (row and column index)
MIN_STROKE, MAX_STROKE = 2.0, 4.5  # stroke widths (see stroke_width) a digit is brought within, at 28x28 scale
INK_LEVEL = 0.5            # of the brightest ink: what counts as the digit's body when measuring and cropping


def normalize_digit(ink: np.ndarray) -> np.ndarray:
    """ink: (H, W) white on black, uint8 (0-255) or float (0-1) -> (28, 28) float32 in [0, 1].

    Soft (anti-aliased) ink keeps its grey levels. A crop with no ink gives an all-zero image.
    A dark digit on light paper must be inverted first (see ``preprocess.ink_darkness``).
    """
    values = as_unit_float(ink)
    if values.max() <= 0:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    values = crop_to_ink(values)
    adjusted = adjust_stroke_width(values, DIGIT_BOX / max(values.shape))
    if adjusted is not values:  # thickening grows the crop; thinning may empty its edges
        values = crop_to_ink(adjusted)
    return center_by_mass(fit_in_box(values, DIGIT_BOX))


def as_unit_float(ink: np.ndarray) -> np.ndarray:
    """(H, W) uint8 (0-255), bool or float (0-1) ink -> (H, W) float32 in [0, 1]; NaN counts as no ink."""
    ink = np.asarray(ink)
    if ink.ndim != 2 or ink.size == 0:
        raise ValueError(f"a digit crop must be a non-empty 2-D (H, W) array, got shape {ink.shape}")
    if ink.dtype == np.uint8:  # the camera path: one conversion, no value can be out of range
        return ink.astype(np.float32) * np.float32(1 / 255)
    if ink.dtype == np.bool_:
        return ink.astype(np.float32)
    if not (np.issubdtype(ink.dtype, np.integer) or np.issubdtype(ink.dtype, np.floating)):
        raise TypeError(f"a digit crop must hold numbers, got dtype {ink.dtype}")
    values = ink.astype(np.float32)
    if np.issubdtype(ink.dtype, np.integer):
        values /= 255.0
    return np.clip(np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)


def crop_to_ink(values: np.ndarray) -> np.ndarray:
    """(H, W) float32 ink -> the smallest sub-array holding all pixels above a tenth of its maximum."""
    body = (values > 0.1 * values.max()).view(np.uint8)
    x, y, w, h = cv2.boundingRect(body)  # of the non-zero pixels of a one-channel image
    if w == 0:
        return values
    return values[y:y + h, x:x + w]


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels of (H, W) ink (uint8 or float, white on black): 2 x area / perimeter of
    its body (pixels above half the maximum); a stroke of length L and width w has area L*w and a perimeter
    of about 2L. The perimeter is counted as the pixel sides between body and background, times pi/4: a
    boundary followed along the pixel grid is 4/pi times longer than it is, on average over its directions."""
    values = np.asarray(ink, dtype=np.float32)
    if values.size == 0 or values.max() <= 0:
        return 0.0
    body = np.zeros((values.shape[0] + 2, values.shape[1] + 2), bool)  # a border of background all round
    body[1:-1, 1:-1] = values > INK_LEVEL * values.max()
    sides = np.count_nonzero(body[:, 1:] != body[:, :-1]) + np.count_nonzero(body[1:] != body[:-1])
    return 2.0 * np.count_nonzero(body) / max(sides * np.pi / 4, 1.0)


def adjust_stroke_width(values: np.ndarray, scale: float) -> np.ndarray:
    """Thicken (or thin) (H, W) float32 ink so its strokes, once scaled by `scale`, are MNIST-like.

    Grey-level dilation (erosion) widens (narrows) strokes and keeps their soft edges. The crop is padded
    first, so thickening never runs into its edge. Thinning that would erase most of the ink is skipped.
    """
    width = stroke_width(values) * scale
    if width == 0 or MIN_STROKE <= width <= MAX_STROKE:
        return values
    target = MIN_STROKE if width < MIN_STROKE else MAX_STROKE
    radius = int(round(abs(target - width) / scale / 2))
    if radius < 1:
        return values
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    if width < MIN_STROKE:
        padded = cv2.copyMakeBorder(values, radius, radius, radius, radius, cv2.BORDER_CONSTANT, value=0)
        return cv2.dilate(padded, kernel)
    thinner = cv2.erode(values, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    if thinner.sum() < 0.3 * values.sum():
        return values
    return thinner


def fit_in_box(values: np.ndarray, box: int) -> np.ndarray:
    """(H, W) float32 ink -> (h, w) float32 with max(h, w) == box, aspect ratio kept.

    Shrinking averages the pixels each output pixel covers (INTER_AREA), the anti-aliasing that gives MNIST
    its grey edges; enlarging a tiny crop interpolates linearly.
    """
    height, width = values.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(values, size, interpolation=interpolation)


def center_by_mass(digit: np.ndarray) -> np.ndarray:
    """(h, w) float32 in [0, 1] with h, w <= 28 -> (28, 28) float32 in [0, 1] with its centre of mass at pixel
    (14, 14). The shift interpolates linearly: a mix of values in [0, 1] stays in [0, 1]."""
    mass = digit.sum(dtype=np.float64)  # not cv2.moments: it takes an (N, 2) array, a "1" 2 pixels wide, for N points
    if mass <= 0:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    rows, cols = np.indices(digit.shape)
    centre_x, centre_y = (cols * digit).sum() / mass, (rows * digit).sum() / mass
    shift = np.float32([[1, 0, MNIST_CENTRE - centre_x], [0, 1, MNIST_CENTRE - centre_y]])
    return cv2.warpAffine(digit, shift, (MNIST_SIZE, MNIST_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile (0 <= q <= 1) of an array of values, as the value at rank round(q * (n - 1)) in sorted
    order; 0.0 for an empty array. A partial sort (``np.partition``) finds it without sorting the rest."""
    values = np.asarray(values).ravel()
    if values.size == 0:
        return 0.0
    rank = int(round(q * (values.size - 1)))
    return float(np.partition(values, rank)[rank])
