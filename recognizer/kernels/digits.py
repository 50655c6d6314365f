"""Every digit of a frame to its 28x28 MNIST-style image, in one kernel call: ``segment.digit_images``.

For each blob, the same steps in the same order as ``normalize_digit(digit_ink(mask, blob, darkness))``, the
readable reference (``recognizer.naive.digit_images``; read it first: tests/recognizer/kernels/test_kernels.py checks
one against the other). Why a kernel: the reference makes about 25 NumPy and OpenCV calls per digit, on crops
of about a thousand pixels, so their call overhead dominates (~0.2 ms per digit); as loops in one compiled
call a digit takes ~0.03 ms.

Each helper kernel does one step for one digit. The loops over pixels call no other kernel: Numba does not
inline one kernel into another, and a call per pixel (~10 ns) costs more than the pixel's arithmetic.
The recipe's constants (``normalize``'s) come in as arguments: Numba bakes a global into the cached machine
code and recompiles only when this file changes, so a constant imported from another file could go stale.

The images are the reference's within rounding, not bit for bit: cv2.addWeighted rounds a few ink pixels in a
million to the next grey level, cv2.resize(INTER_AREA) ignores overlaps under 1/1000 of a pixel, and OpenCV 4's
cv2.warpAffine shifts by multiples of 1/32 pixel (OpenCV 5's, like this, by the exact shift).
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels.jit import kernel


@kernel
def normalize_digits(mask, darkness, boxes, own, box, min_stroke, max_stroke, ink_level, centre, images):
    """images[i] = blob i's ink, cropped, its stroke width adjusted, scaled to fit box x box, centred by mass.

    mask, darkness: (H, W) uint8, darkness (0, 0) for binary ink; boxes: (N, 4) int64 (x, y, w, h);
    own: flat uint8 (1 = ink), each blob's own ink, an (h, w) array row by row, one blob after the other;
    box, min_stroke, max_stroke, ink_level, centre: normalize's DIGIT_BOX, MIN_STROKE, MAX_STROKE, INK_LEVEL,
    MNIST_CENTRE; images (output): (N, 28, 28) float32, overwritten.
    """
    start = 0
    for i in range(boxes.shape[0]):
        x, y, w, h = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
        blob_own = own[start:start + h * w].reshape((h, w))
        start += h * w
        if darkness.shape[0] == 0:
            values = blob_own.astype(np.float32)
        else:
            values = _digit_ink(mask[y:y + h, x:x + w], darkness[y:y + h, x:x + w], blob_own)
        _normalize_digit(values, images[i], box, min_stroke, max_stroke, ink_level, centre)


@kernel
def _digit_ink(mask, soft, own):
    """As ``segment.digit_ink`` / 255: the darkness scaled so the strokes' core is 1 and the paper 0, kept
    within a pixel of the blob's own ink. mask, soft: (h, w) uint8 at the blob's box; own: (h, w) uint8, 1 = its
    ink -> (h, w) float32 in [0, 1]."""
    height, width = own.shape
    ink_counts, paper_counts = np.zeros(256, np.int64), np.zeros(256, np.int64)
    near = np.zeros((height + 2, width + 2), np.bool_)  # own ink dilated by 3x3, padded by one pixel all round
    for r in range(height):
        for c in range(width):
            if mask[r, c] == 0:
                paper_counts[soft[r, c]] += 1
            if own[r, c]:
                ink_counts[soft[r, c]] += 1
                for dr in range(3):
                    for dc in range(3):
                        near[r + dr, c + dc] = True
    values = np.zeros((height, width), np.float32)
    if ink_counts.sum() == 0:
        return values
    floor = _quantile(paper_counts, 0.5)
    gain = 255.0 / max(_quantile(ink_counts, 0.75) - floor, 1.0)
    gain32, offset32 = np.float32(gain), np.float32(-gain * floor)  # cv2.addWeighted computes in float32
    for r in range(height):
        for c in range(width):
            if near[r + 1, c + 1]:
                scaled = min(max(round(np.float32(soft[r, c]) * gain32 + offset32), 0), 255)
                values[r, c] = np.float32(scaled) * np.float32(1 / 255)
    return values


@kernel
def _quantile(counts, q):
    """The q-quantile of values given by their counts (counts[v]: how many values are v), as
    ``normalize.quantile``: the value at rank round(q * (n - 1)) in sorted order; 0 if there are none."""
    total = counts.sum()
    if total == 0:
        return 0.0
    rank = round(q * (total - 1))
    seen = 0
    for value in range(counts.size):
        seen += counts[value]
        if seen > rank:
            return float(value)
    return float(counts.size - 1)


@kernel
def _normalize_digit(values, image, box, min_stroke, max_stroke, ink_level, centre):
    """As ``normalize.normalize_digit``: values (h, w) float32 in [0, 1] -> image (output, 28x28 float32)."""
    image[:] = 0
    if values.max() <= 0:
        return
    values = _crop_to_ink(values)
    radius = _stroke_adjustment(values, box / max(values.shape[0], values.shape[1]), min_stroke, max_stroke,
                                ink_level)
    if radius > 0:
        values = _crop_to_ink(_dilate(values, radius))
    elif radius < 0:
        thinner = _erode(values, -radius)
        if thinner.sum() >= 0.3 * values.sum():  # thinning that erases most of the ink is skipped
            values = _crop_to_ink(thinner)
    _center_by_mass(_fit_in_box(values, box), image, centre)


@kernel
def _crop_to_ink(values):
    """(H, W) float32 -> the smallest sub-array (a view) holding every pixel above a tenth of the maximum."""
    level = np.float32(0.1) * values.max()  # in float32, as NumPy compares in crop_to_ink
    height, width = values.shape
    top, bottom, left, right = height, -1, width, -1
    for r in range(height):
        for c in range(width):
            if values[r, c] > level:
                top, bottom = min(top, r), max(bottom, r)
                left, right = min(left, c), max(right, c)
    if bottom < 0:
        return values
    return values[top:bottom + 1, left:right + 1]


@kernel
def _stroke_width(values, ink_level):
    """As ``normalize.stroke_width``: 2 x body area / (pixel sides between body and background x pi/4)."""
    height, width = values.shape
    body = np.zeros((height + 2, width + 2), np.bool_)  # a border of background all round
    level = np.float32(ink_level) * values.max()
    for r in range(height):
        for c in range(width):
            body[r + 1, c + 1] = values[r, c] > level
    sides = 0
    for r in range(height + 2):
        for c in range(width + 1):
            sides += body[r, c] != body[r, c + 1]
    for r in range(height + 1):
        for c in range(width + 2):
            sides += body[r, c] != body[r + 1, c]
    return 2.0 * body.sum() / max(sides * np.pi / 4, 1.0)


@kernel
def _stroke_adjustment(values, scale, min_stroke, max_stroke, ink_level):
    """As ``normalize.adjust_stroke_width`` decides: the radius to dilate (> 0) or erode (< 0, as -radius)
    (h, w) float32 ink by so that, scaled by `scale`, its strokes are min_stroke-max_stroke wide; 0 to keep it."""
    width = _stroke_width(values, ink_level) * scale
    if width == 0 or min_stroke <= width <= max_stroke:
        return 0
    target = min_stroke if width < min_stroke else max_stroke
    radius = round(abs(target - width) / scale / 2)
    return radius if width < min_stroke else -radius


@kernel
def _ellipse(radius):
    """The elliptical (2r+1)x(2r+1) kernel of cv2.getStructuringElement(MORPH_ELLIPSE), row by row: (2r+1,)
    int64, the half-width of each row (row dy + r covers columns -half..half)."""
    half = np.empty(2 * radius + 1, np.int64)
    for dy in range(-radius, radius + 1):
        half[dy + radius] = round(np.sqrt(radius * radius - dy * dy))
    return half


@kernel
def _dilate(values, radius):
    """Grey dilation with the elliptical kernel of `radius`, on the ink padded by `radius` zeros all round (so
    thickening never runs into the crop's edge): (h, w) float32 -> (h + 2r, w + 2r) float32."""
    half = _ellipse(radius)
    height, width = values.shape
    out = np.zeros((height + 2 * radius, width + 2 * radius), np.float32)
    for r in range(height):
        for c in range(width):
            v = values[r, c]
            if v <= 0:  # paper raises no neighbour: only ink pixels are spread over their neighbourhoods
                continue
            for dy in range(-radius, radius + 1):
                row = r + radius + dy
                for dx in range(-half[dy + radius], half[dy + radius] + 1):
                    out[row, c + radius + dx] = max(out[row, c + radius + dx], v)
    return out


@kernel
def _erode(values, radius):
    """Grey erosion with the elliptical kernel of `radius`, beyond the edge counting as 0 (as cv2.erode with
    BORDER_CONSTANT 0): (h, w) float32 -> (h, w) float32."""
    half = _ellipse(radius)
    height, width = values.shape
    out = np.zeros((height, width), np.float32)
    for r in range(height):
        for c in range(width):
            low = values[r, c]
            for dy in range(-radius, radius + 1):
                for dx in range(-half[dy + radius], half[dy + radius] + 1):
                    rr, cc = r + dy, c + dx
                    low = min(low, values[rr, cc]) if 0 <= rr < height and 0 <= cc < width else 0.0
            out[r, c] = low
    return out


@kernel
def _fit_in_box(values, box):
    """As ``normalize.fit_in_box``: (H, W) float32 -> (h, w) float32 with max(h, w) == box, aspect kept;
    area averaging when shrinking, linear interpolation when enlarging. Each is two 1-D passes: along the
    rows, then, on the transpose, along the columns."""
    height, width = values.shape
    scale = box / max(height, width)
    out_h, out_w = max(1, round(height * scale)), max(1, round(width * scale))
    if scale < 1:
        return _area_resize_rows(_area_resize_rows(values, out_w).T, out_h).T
    return _linear_resize_rows(_linear_resize_rows(values, out_w).T, out_h).T


@kernel
def _area_resize_rows(values, size):
    """(h, w) -> (h, size), size <= w: each output pixel is the mean of the input pixels it covers, those it
    covers partly weighted by how much (cv2.INTER_AREA)."""
    height, width = values.shape
    step = width / size  # input pixels per output pixel
    out = np.zeros((height, size), np.float32)
    for j in range(size):
        start, end = j * step, min((j + 1) * step, width)
        for c in range(int(start), min(int(np.ceil(end)), width)):
            weight = (min(end, c + 1) - max(start, c)) / (end - start)
            for r in range(height):
                out[r, j] += weight * values[r, c]
    return out


@kernel
def _linear_resize_rows(values, size):
    """(h, w) -> (h, size), size >= w: linear interpolation between the two nearest input pixels, pixel centres
    aligned and the edge pixels repeated beyond the edge (cv2.INTER_LINEAR)."""
    height, width = values.shape
    step = width / size
    out = np.empty((height, size), np.float32)
    for j in range(size):
        x = (j + 0.5) * step - 0.5  # the output pixel's centre, in input pixels
        c = min(max(int(np.floor(x)), 0), width - 1)
        a = x - c if 0 <= x < width - 1 else 0.0  # beyond the first or last centre: the edge pixel
        for r in range(height):
            out[r, j] = (1 - a) * values[r, c] + a * values[r, min(c + 1, width - 1)]
    return out


@kernel
def _center_by_mass(digit, image, centre):
    """As ``normalize.center_by_mass``: add (h, w) float32 ink into image (28x28, output, zero) shifted so that
    its centre of mass lands at pixel (centre, centre).

    Each ink pixel lands between four pixels and is shared among them by bilinear weights: the same sums as
    interpolating each output pixel from the four input pixels around where it comes from (cv2.warpAffine),
    in a loop over the digit's pixels rather than the image's.
    """
    mass = mass_x = mass_y = 0.0
    for r in range(digit.shape[0]):
        for c in range(digit.shape[1]):
            mass += digit[r, c]
            mass_x += c * digit[r, c]
            mass_y += r * digit[r, c]
    if mass <= 0:
        return
    shift_x, shift_y = centre - mass_x / mass, centre - mass_y / mass
    whole_x, whole_y = int(np.floor(shift_x)), int(np.floor(shift_y))
    part_x, part_y = shift_x - whole_x, shift_y - whole_y  # of each pixel, this much goes one pixel further
    size = image.shape[0]
    for r in range(digit.shape[0]):
        for c in range(digit.shape[1]):
            v = digit[r, c]
            for i in range(2):
                row, weight_r = r + whole_y + i, part_y if i else 1 - part_y
                for j in range(2):
                    col, weight_c = c + whole_x + j, part_x if j else 1 - part_x
                    if 0 <= row < size and 0 <= col < size:
                        image[row, col] += weight_r * weight_c * v
