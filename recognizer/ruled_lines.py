"""Ruled lines, margins and page edges: long straight thin ink that is not writing, taken out of an ink mask.

    mask = remove_ruled_lines(mask, darkness, line_ink)   # see preprocess.ink_mask

Lines are found on a map of 4x4-pixel cells (16x fewer pixels to test) as what survives an opening with a long,
thin, straight kernel at a few tilts, and must span half the frame: a digit's straight stroke, even a big
digit's held close to the camera, ends with the digit. Only ink as thin across the line as the line itself is
removed from the band they cover, so digit strokes crossing a line stay whole.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

LINE_MIN_LENGTH = 0.25     # straight runs of ink at least this long (of the shorter side) may be ruled lines...
LINE_MIN_SPAN = 0.5        # ...when they span this much of the frame along them (a big "1" held close does not)
LINE_MAX_TILT_DEG = 12     # ruled lines may be this far from horizontal/vertical
LINE_TILT_STEP_DEG = 6     # the coarse lines are 3 cells thick: a kernel catches lines 3 degrees off it
INK_OVER_LINE = 0.3        # a pen stroke on a printed line absorbs at least this much of the light it gets
LINE_CELL = 4              # lines are looked for on a map of 4x4-pixel cells: 16x fewer pixels to test


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
    length = max(8, round(LINE_MIN_LENGTH * min(coarse.shape)))
    result = mask
    for vertical in (False, True):
        lines = find_lines(coarse, length, vertical)
        if lines is not None:
            result = _remove_thin_ink(result, lines, vertical, darkness)
    return result


def coarse_ink(mask: np.ndarray) -> np.ndarray:
    """(H, W) uint8 mask -> (ceil(H / 4), ceil(W / 4)) uint8, 255 where the 4x4 cell or a neighbouring cell
    has ink (the last cells may hang over the frame's edge).

    The cells are grown by one so that a line 1 cell thick, drawn at a slant, is 3 cells thick everywhere.
    """
    extra_rows, extra_cols = -mask.shape[0] % LINE_CELL, -mask.shape[1] % LINE_CELL
    if extra_rows or extra_cols:
        mask = cv2.copyMakeBorder(mask, 0, extra_rows, 0, extra_cols, cv2.BORDER_CONSTANT, value=0)
    rows = mask[0::LINE_CELL]
    for offset in range(1, LINE_CELL):
        rows = cv2.bitwise_or(rows, mask[offset::LINE_CELL])
    # A row's 4 bytes of a cell, read as one 32-bit integer, are non-zero when any of them is: no loop needed.
    cells = cv2.compare(rows.view(np.int32), 0, cv2.CMP_NE)
    return cv2.dilate(cells, np.ones((3, 3), np.uint8))


def find_lines(coarse: np.ndarray, length: int, vertical: bool) -> np.ndarray | None:
    """coarse: (h, w) uint8 cells -> (h, w) uint8, 255 on the long straight lines, or None if there are none.

    A line is what survives an opening with a `length`-long line kernel at one of several tilts.
    """
    kernels = _line_kernels(length, vertical)
    if not _may_hold_lines(coarse, kernels, vertical):
        return None
    lines = None
    for kernel in kernels:
        # An opening, skipping the dilation when nothing survived; outside the image counts as no ink.
        cores = cv2.erode(coarse, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
        if cv2.countNonZero(cores):
            line = cv2.dilate(cores, kernel)
            lines = line if lines is None else cv2.bitwise_or(lines, line)
    return None if lines is None else spanning_lines(lines, vertical)


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


def _may_hold_lines(coarse: np.ndarray, kernels: tuple[np.ndarray, ...], vertical: bool) -> bool:
    """False when no kernel can fit in the ink, found with 2 cheap passes instead of an erosion per tilt.

    A (horizontal) kernel `length` columns long and `height` rows high fits only where each of `length`
    neighbouring columns has ink within the same `height` rows; most frames without lines fail even that.
    """
    height = max(kernel.shape[1 if vertical else 0] for kernel in kernels)
    length = max(kernel.shape[0 if vertical else 1] for kernel in kernels)
    across, along = ((height, 1), (1, length)) if not vertical else ((1, height), (length, 1))
    spread = cv2.dilate(coarse, np.ones(across, np.uint8))
    runs = cv2.erode(spread, np.ones(along, np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.countNonZero(runs) > 0


def _remove_thin_ink(mask: np.ndarray, lines: np.ndarray, vertical: bool, darkness: np.ndarray | None) -> np.ndarray:
    """Remove from `mask` (H, W) the ink inside the band of `lines` (h, w) cells no thicker across the
    line than the line itself (its median run of ink across), then give back the removed pixels with stroke
    on both sides (a stroke crossing it) and, with `darkness`, those where a pen stroke darkens the line
    (see ``ink_over_line``). The work is done only in the band's bounding box, widened across the line by
    the reach of the morphology: a lone margin costs a thin strip of the frame, not all of it."""
    band, (rows, cols) = _band(lines, mask.shape)
    thickness = _line_thickness(mask[rows, cols], band, vertical, rows.start, cols.start)
    if thickness is None:
        return mask
    # A pixel's fate depends on the mask up to 3 thicknesses away across the line (opening, then closing).
    band, (rows, cols) = _widen(band, (rows, cols), mask.shape, 3 * thickness, vertical)
    roi = mask[rows, cols]
    across = (1, thickness) if not vertical else (thickness, 1)
    thick_ink = cv2.morphologyEx(roi, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, across))
    thin_ink_in_band = cv2.bitwise_and(cv2.subtract(roi, thick_ink), band)
    kept = cv2.subtract(roi, thin_ink_in_band)
    bridge = (1, 2 * thickness + 1) if not vertical else (2 * thickness + 1, 1)
    given_back = cv2.morphologyEx(kept, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))
    if darkness is not None:
        given_back = cv2.max(given_back, ink_over_line(darkness[rows, cols], thin_ink_in_band))
    # The closing keeps all of `kept`, so masking the ink with it removes just the thin ink not given back.
    cleaned = cv2.bitwise_and(roi, given_back)
    if cleaned.shape == mask.shape:
        return cleaned
    result = mask.copy()
    result[rows, cols] = cleaned
    return result


def _band(lines: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[slice, slice]]:
    """lines: (h, w) uint8 cells of 4x4 pixels -> (the band in the lines' bounding box at full size, that box
    as (rows, cols) slices of the frame's `shape`)."""
    x, y, w, h = cv2.boundingRect(lines)
    rows = slice(y * LINE_CELL, min((y + h) * LINE_CELL, shape[0]))
    cols = slice(x * LINE_CELL, min((x + w) * LINE_CELL, shape[1]))
    band = _cells_to_pixels(lines[y:y + h, x:x + w])[:rows.stop - rows.start, :cols.stop - cols.start]
    return band, (rows, cols)


def _cells_to_pixels(cells: np.ndarray) -> np.ndarray:
    """(h, w) uint8 -> (4h, 4w) uint8, each cell repeated over its 4x4 pixels (like a nearest resize)."""
    # A 32-bit integer whose 4 bytes equal the cell's is the cell repeated 4 times along the row.
    wide = (cells.astype(np.uint32) * 0x01010101).view(np.uint8)
    return np.repeat(wide, LINE_CELL, axis=0)


def _widen(band: np.ndarray, box: tuple[slice, slice], shape: tuple[int, int], reach: int,
           vertical: bool) -> tuple[np.ndarray, tuple[slice, slice]]:
    """Grow the box (and the band inside it, with zeros) by `reach` pixels across the lines, within `shape`."""
    reach = -(-reach // LINE_CELL) * LINE_CELL  # whole cells keep the box's corner on the sampling grids
    axis = 1 if vertical else 0
    span = box[axis]
    before, after = min(reach, span.start), min(reach, shape[axis] - span.stop)
    widened = slice(span.start - before, span.stop + after)
    if not before and not after:
        return band, box
    if vertical:
        return cv2.copyMakeBorder(band, 0, 0, before, after, cv2.BORDER_CONSTANT, value=0), (box[0], widened)
    return cv2.copyMakeBorder(band, before, after, 0, 0, cv2.BORDER_CONSTANT, value=0), (widened, box[1])


def _line_thickness(roi: np.ndarray, band: np.ndarray, vertical: bool, top: int, left: int) -> int | None:
    """The line's thickness across, in pixels: the median run of ink across it in the band, plus 2 (a tilted
    line's runs are a little longer than its width). roi, band: (h, w) uint8, the box at (top, left) of the
    frame. None when the band holds no ink."""
    step = 8  # a sample of every 8th column (row, for vertical lines) measures the line as well as all of them
    if not vertical:
        start = -left % step  # the frame's every 8th column, wherever the box begins
        runs = _run_lengths((roi[:, start::step] & band[:, start::step]).T)
    else:
        start = -top % step
        runs = _run_lengths(roi[start::step] & band[start::step])
    if runs.size == 0:
        return None
    return int(np.median(runs)) + 2


def ink_over_line(darkness: np.ndarray, line: np.ndarray) -> np.ndarray:
    """(H, W) uint8 mask of the pixels where ink lies over a printed line (line: (H, W) uint8 mask of it).

    Light passes through the ink and the line in turn, so their reflectances multiply: a pen stroke that
    absorbs at least INK_OVER_LINE of the light leaves a pixel darker than 1 - (1 - line) (1 - INK_OVER_LINE),
    with the line's darkness taken as its median. Ink much darker than the line shows; ink as dark does not.
    """
    line_pixels = darkness[::2, ::2][line[::2, ::2] > 0]  # a quarter of the pixels is plenty
    if line_pixels.size == 0:
        return np.zeros_like(darkness)
    line_level = float(np.median(line_pixels))
    level = 255 - (255 - line_level) * (1 - INK_OVER_LINE)
    _, darker = cv2.threshold(darkness, min(level, 254), 255, cv2.THRESH_BINARY)
    return darker


def _run_lengths(image: np.ndarray) -> np.ndarray:
    """Lengths of the runs of non-zero pixels along each row of a (H, W) image, all rows together: (R,) int."""
    ink = np.zeros((image.shape[0], image.shape[1] + 2), bool)
    ink[:, 1:-1] = image
    edges = np.flatnonzero(ink[:, 1:] != ink[:, :-1])  # starts and ends alternate, row by row
    return edges[1::2] - edges[0::2]


@lru_cache(maxsize=8)
def _line_kernels(length: int, vertical: bool) -> tuple[np.ndarray, ...]:
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
