"""Ruled lines, margins and page edges: long straight thin ink that is not writing, taken out of an ink mask.

    mask = remove_ruled_lines(mask, darkness, line_ink)   # see preprocess.ink_mask

Lines are found on a map of 4x4-pixel cells (16x fewer pixels to test) as what survives an opening with a long,
thin, straight kernel at a few tilts, and must span half the frame: a digit's straight stroke, even a big
digit's held close to the camera, ends with the digit. Only ink as thin across the line as the line itself is
removed from the band they cover, so digit strokes crossing a line stay whole. That last step is a pair of
morphologies across the line (``remove_thin_ink``), done by Numba kernels (``recognizer/kernels/lines.py``) on
the band's ink only. The opening is a Numba kernel too (``recognizer/kernels/line_opening.py``). The readable
references, with OpenCV: ``recognizer.naive.find_lines`` and ``recognizer.naive.remove_thin_ink``.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from recognizer.kernels import line_opening
from recognizer.kernels import lines as line_kernels
from recognizer.kernels.lines import LINE_CELL  # 4: lines are looked for on a map of 4x4-pixel cells

LINE_MIN_LENGTH = 0.25     # straight runs of ink at least this long (of the shorter side) may be ruled lines...
LINE_MIN_SPAN = 0.5        # ...when they span this much of the frame along them (a big "1" held close does not)
LINE_MAX_TILT_DEG = 12     # ruled lines may be this far from horizontal/vertical
STEEP_LINE_MAX_TILT_DEG = 30  # steeper ones, up to this, show a sheet's tilt (see steep_lines_tilt)
LINE_TILT_STEP_DEG = 6     # the coarse lines are 3 cells thick: a kernel catches lines 3 degrees off it
INK_OVER_LINE = 0.3        # a pen stroke on a printed line absorbs at least this much of the light it gets
MAX_LINE_THICKNESS = 0.05  # of the shorter side: "lines" thicker across are a big digit's broad strokes


def remove_ruled_lines(mask: np.ndarray, darkness: np.ndarray | None = None,
                       line_ink: np.ndarray | None = None) -> np.ndarray:
    """(H, W) uint8 mask -> the mask without ruled lines, margins and page edges (long straight thin ink).

    Long lines are found on a 4x smaller copy of the mask (any ink in a 4x4 cell marks the cell), as what
    survives an opening with a line-shaped kernel at several tilts. Inside those lines' band, only ink as thin
    across the line as the line itself is removed (its thickness is measured, most of a line being bare): a
    digit's stroke crossing or touching the line is thicker there, so it stays. With the ``darkness`` image,
    ink clearly darker than the bare line (a pen stroke drawn along the line, like a 4's bar) stays. Lines are
    looked for in ``line_ink`` (H, W) uint8 when given, else in the mask: ``preprocess.faint_ink`` holds the
    pale lines of squared paper whole, where the mask has only dashes of them.
    """
    if min(mask.shape) < 32 * LINE_CELL:
        return mask
    coarse = coarse_ink(mask if line_ink is None else line_ink)
    length = min(max(8, round(LINE_MIN_LENGTH * min(coarse.shape))), line_opening.LONGEST_RUN - 1)
    result = mask
    for vertical in (False, True):
        lines = find_lines(coarse, length, vertical)
        if lines is not None:
            result = remove_thin_ink(result, lines, vertical, darkness)
    return result


def coarse_ink(mask: np.ndarray) -> np.ndarray:
    """(H, W) uint8 mask -> (ceil(H / 4), ceil(W / 4)) uint8, 255 where the 4x4 cell or a neighbouring cell
    has ink (the last cells may hang over the frame's edge).

    The cells are grown by one so that a line 1 cell thick, drawn at a slant, is 3 cells thick everywhere.
    """
    cells = np.empty((-(-mask.shape[0] // LINE_CELL), -(-mask.shape[1] // LINE_CELL)), np.uint8)
    line_opening.mark_ink_cells(mask, cells)  # ~3x fewer passes over the frame than OpenCV's ORs of rows
    return cv2.dilate(cells, np.ones((3, 3), np.uint8))


def find_lines(coarse: np.ndarray, length: int, vertical: bool) -> np.ndarray | None:
    """coarse: (h, w) uint8 cells -> (h, w) uint8, 255 on the long straight lines, or None if there are none.

    A line is what survives an opening with a `length`-long line kernel at one of several tilts: with OpenCV,
    an erosion and a dilation per tilt (``recognizer.naive.find_lines``); here one kernel call for them all,
    which measures the runs of ink along the lines once (``recognizer/kernels/line_opening.py``).
    """
    segments, starts, pad = _line_segments(length)
    along = coarse if vertical else np.ascontiguousarray(coarse.T)  # the kernel looks for lines along axis 0
    lines = np.empty_like(along)
    if not line_opening.open_along_lines(along, segments, starts, pad, lines):
        return None
    return spanning_lines(lines if vertical else np.ascontiguousarray(lines.T), vertical)


def spanning_lines(lines: np.ndarray, vertical: bool) -> np.ndarray | None:
    """lines: (h, w) uint8 -> only the lines spanning LINE_MIN_SPAN of the frame along them, or None if none do.

    Ruled lines, margins and page edges cross the page; a digit's straight stroke, even from a big digit
    held close to the camera, ends with the digit.
    """
    contours, _ = cv2.findContours(lines, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    along = 3 if vertical else 2  # the height or the width of a bounding rectangle (x, y, w, h)
    frame_span = lines.shape[0] if vertical else lines.shape[1]
    long_lines = [contour for contour in contours
                  if cv2.boundingRect(contour)[along] >= LINE_MIN_SPAN * frame_span]
    if len(long_lines) == len(contours):
        return lines
    if not long_lines:
        return None
    kept = cv2.drawContours(np.zeros_like(lines), long_lines, -1, 255, cv2.FILLED)
    return cv2.bitwise_and(lines, kept)


def remove_thin_ink(mask: np.ndarray, lines: np.ndarray, vertical: bool, darkness: np.ndarray | None) -> np.ndarray:
    """Remove from `mask` (H, W) the ink inside the band of `lines` (h, w) cells no thicker across the line
    than the line itself (its median run of ink across, plus 2), then give back the removed pixels with stroke
    on both sides (a stroke crossing it) and, with `darkness`, those where a pen stroke darkens the line
    (see ``ink_over_line``). The mask must be binary (0 or 255). "Lines" thicker than MAX_LINE_THICKNESS of
    the shorter side are left alone: no printed line is that thick, but a big digit's broad stroke is.

    With OpenCV on the whole frame this is (for horizontal lines; for vertical ones the kernels lie across):
        thick = cv2.morphologyEx(mask, MORPH_OPEN, a column kernel `thickness` long)
        thin = (mask - thick) & band                    # ink in the band as thin as the line
        kept = mask - thin
        given_back = cv2.morphologyEx(kept, MORPH_CLOSE, a column kernel 2 * thickness + 1 long)
        result = mask & (given_back | ink_over_line(darkness, thin))
    as ``recognizer.naive.remove_thin_ink`` does, on the band's bounding box. The kernels give exactly that,
    pixel for pixel, looking only at the ink inside the band (see ``recognizer/kernels/lines.py``).
    """
    # The kernels look across the lines along axis 0 (down the columns); vertical lines get transposed views.
    across = np.transpose if vertical else np.asarray
    image, cells = across(mask), across(lines)
    tone = np.zeros((0, 0), np.uint8) if darkness is None else across(darkness)  # (0, 0): no darkness
    ink = np.empty((np.count_nonzero(lines) * LINE_CELL ** 2, 2), np.int64)  # room for the whole band
    ink = ink[:line_kernels.list_band_ink(image, cells, ink)]
    runs = np.zeros(image.shape[0] + 1, np.int64)
    line_kernels.count_runs_across(ink, image.shape[1], runs)
    if not runs.any():
        return mask
    thickness = int(_histogram_median(runs)) + 2  # a tilted line's runs are a little longer than its width
    if thickness > MAX_LINE_THICKNESS * min(mask.shape):
        return mask
    result, thin, tones = mask.copy(), np.empty_like(ink), np.zeros(256, np.int64)
    thin = thin[:line_kernels.take_thin_ink(image, ink, thickness, across(result), thin, tone, tones)]
    # Nothing is darker than 255: without darkness, or without a sample of the line, nothing is given back so.
    darker = ink_over_line_threshold(_histogram_median(tones)) if tones.any() else 255.0
    line_kernels.give_back(image, across(result), thickness, thin, tone, darker)
    return result


def ink_over_line(darkness: np.ndarray, line: np.ndarray) -> np.ndarray:
    """(H, W) uint8 mask of the pixels where ink lies over a printed line (line: (H, W) uint8 mask of it).

    Light passes through the ink and the line in turn, so their reflectances multiply: a pen stroke that
    absorbs at least INK_OVER_LINE of the light leaves a pixel darker than 1 - (1 - line) (1 - INK_OVER_LINE),
    with the line's darkness taken as its median. Ink much darker than the line shows; ink as dark does not.
    """
    line_pixels = darkness[::2, ::2][line[::2, ::2] > 0]  # a quarter of the pixels is plenty
    if line_pixels.size == 0:
        return np.zeros_like(darkness)
    _, darker = cv2.threshold(darkness, ink_over_line_threshold(float(np.median(line_pixels))), 255,
                              cv2.THRESH_BINARY)
    return darker


def ink_over_line_threshold(line_level: float) -> float:
    """The darkness (0-255) above which ink shows over a line of median darkness `line_level` (ink_over_line)."""
    level = 255 - (255 - line_level) * (1 - INK_OVER_LINE)
    return min(level, 254)


def _histogram_median(counts: np.ndarray) -> float:
    """The median of the values a histogram counts (counts[v] = how many times v occurs), as ``np.median``
    takes it: the middle value, or the mean of the two middle ones when their number is even."""
    below = np.cumsum(counts)
    n = int(below[-1])
    lower, upper = np.searchsorted(below, [(n - 1) // 2 + 1, n // 2 + 1])  # the values at ranks (n-1)//2, n//2
    return (float(lower) + float(upper)) / 2


@lru_cache(maxsize=8)
def _line_segments(length: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The vertical ``tilted_line_kernels`` as the line_opening kernels take them: (segments (S, 3) int64, each
    kernel's straight runs of cells along axis 0 as (first row, column, length) from its anchor (its centre,
    as OpenCV anchors it); starts (K + 1,) int64, kernel k's segments being segments[starts[k]:starts[k + 1]];
    a padding wider than any segment reaches)."""
    segments, starts = [], [0]
    for kernel in tilted_line_kernels(length, vertical=True):
        anchor_row, anchor_column = kernel.shape[0] // 2, kernel.shape[1] // 2
        for column in range(kernel.shape[1]):
            rows = np.flatnonzero(kernel[:, column])
            breaks = np.flatnonzero(np.diff(rows) > 1)
            for first, last in zip(rows[np.r_[0, breaks + 1]], rows[np.r_[breaks, len(rows) - 1]]):
                segments.append((first - anchor_row, column - anchor_column, last - first + 1))
        starts.append(len(segments))
    reach = max(max(abs(row), abs(row + size), abs(column)) for row, column, size in segments)
    return np.array(segments, np.int64), np.array(starts, np.int64), reach + 1


@lru_cache(maxsize=8)
def tilted_line_kernels(length: int, vertical: bool) -> tuple[np.ndarray, ...]:
    """One-pixel-wide straight-line structuring elements, `length` long, tilted in steps up to the max tilt."""
    kernels = []
    length |= 1  # odd sizes keep the kernel's anchor (its centre) on the line, so opening never adds ink
    for degrees in np.arange(-LINE_MAX_TILT_DEG, LINE_MAX_TILT_DEG + 1e-9, LINE_TILT_STEP_DEG):
        rise = 2 * round((length - 1) * np.tan(np.radians(degrees)) / 2)
        kernel = np.zeros((abs(rise) + 1, length), np.uint8)
        start_y, end_y = (0, rise) if rise >= 0 else (-rise, 0)
        cv2.line(kernel, (0, start_y), (length - 1, end_y), 1, 1)
        kernels.append(np.ascontiguousarray(kernel.T) if vertical else kernel)
    return tuple(kernels)


def steep_lines_tilt(mask: np.ndarray) -> float:
    """The tilt in radians (positive: falling to the right) of the straight ink that spans LINE_MIN_SPAN of the
    frame's width at 12 to 30 degrees off level: ruled lines steeper than ``remove_ruled_lines`` looks for,
    left in the mask (H, W) uint8; their median, or 0 when there are none. For a sheet held far askew, whose
    digits sit on those lines and so cannot show the rows' tilt themselves."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    angles = []
    for contour in contours:
        if cv2.boundingRect(contour)[2] < LINE_MIN_SPAN * mask.shape[1]:
            continue
        (dx, dy, _, _) = cv2.fitLine(contour, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()  # digits on it: outliers
        angle = np.degrees(np.arctan2(dy, dx))
        angle = angle - 180 if angle > 90 else angle + 180 if angle <= -90 else angle
        if LINE_MAX_TILT_DEG < abs(angle) <= STEEP_LINE_MAX_TILT_DEG:
            angles.append(angle)
    return float(np.radians(np.median(angles))) if angles else 0.0
