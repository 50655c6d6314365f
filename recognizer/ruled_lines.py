"""Ruled lines, margins and page edges: long straight thin ink that is not writing, taken out of an ink mask.

    mask = remove_ruled_lines(mask, darkness, line_ink)   # see preprocess.ink_mask

Lines are found on a map of 4x4-pixel cells (16x fewer pixels to test) as what survives an opening with a long,
thin, straight kernel at a few tilts, and must span half the frame: a digit's straight stroke, even a big
digit's held close to the camera, ends with the digit. Only ink as thin across the line as the line itself is
removed from the band they cover, so digit strokes crossing a line stay whole. That last step is a pair of
morphologies across the line, done by Numba kernels on the band's ink only (see ``_remove_thin_ink``).
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from numcnn.kernels.jit import kernel

LINE_MIN_LENGTH = 0.25     # straight runs of ink at least this long (of the shorter side) may be ruled lines...
LINE_MIN_SPAN = 0.5        # ...when they span this much of the frame along them (a big "1" held close does not)
LINE_MAX_TILT_DEG = 12     # ruled lines may be this far from horizontal/vertical
LINE_TILT_STEP_DEG = 6     # the coarse lines are 3 cells thick: a kernel catches lines 3 degrees off it
INK_OVER_LINE = 0.3        # a pen stroke on a printed line absorbs at least this much of the light it gets
LINE_CELL = 4              # lines are looked for on a map of 4x4-pixel cells: 16x fewer pixels to test
THICKNESS_SAMPLE = 8       # a line's thickness is measured down every 8th column (row): as well as down all
THIN = 1                   # thin ink is marked so in the result, between paper (0) and ink (255), until decided


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
    """Remove from `mask` (H, W) the ink inside the band of `lines` (h, w) cells no thicker across the line
    than the line itself (its median run of ink across, plus 2), then give back the removed pixels with stroke
    on both sides (a stroke crossing it) and, with `darkness`, those where a pen stroke darkens the line
    (see ``ink_over_line``). The mask must be binary (0 or 255).

    With OpenCV on the whole frame this is (for horizontal lines; for vertical ones the kernels lie across):
        thick = cv2.morphologyEx(mask, MORPH_OPEN, a column kernel `thickness` long)
        thin = (mask - thick) & band                    # ink in the band as thin as the line
        kept = mask - thin
        given_back = cv2.morphologyEx(kept, MORPH_CLOSE, a column kernel 2 * thickness + 1 long)
        result = mask & (given_back | ink_over_line(darkness, thin))
    The kernels below give exactly that, pixel for pixel, but look only at the ink inside the band, a run of
    ink at a time, instead of running each step over the band's whole bounding box (most of the frame, for
    ruled paper): ~0.3 ms instead of ~1 ms on a typical ruled page of the benchmark; on the densest bands (half
    the frame) about as slow as OpenCV.
    """
    # The kernels look across the lines along axis 0 (down the columns); vertical lines get transposed views.
    across = np.transpose if vertical else np.asarray
    image, cells = across(mask), across(lines)
    tone = np.zeros((0, 0), np.uint8) if darkness is None else across(darkness)  # (0, 0): no darkness
    ink = np.empty((np.count_nonzero(lines) * LINE_CELL ** 2, 2), np.int64)  # room for the whole band
    ink = ink[:_list_band_ink(image, cells, ink)]
    runs = np.zeros(image.shape[0] + 1, np.int64)
    _count_runs_across(ink, image.shape[1], runs)
    if not runs.any():
        return mask
    thickness = int(_histogram_median(runs)) + 2  # a tilted line's runs are a little longer than its width
    result, thin, tones = mask.copy(), np.empty_like(ink), np.zeros(256, np.int64)
    thin = thin[:_take_thin_ink(image, ink, thickness, across(result), thin, tone, tones)]
    # Nothing is darker than 255: without darkness, or without a sample of the line, nothing is given back so.
    darker = ink_over_line_threshold(_histogram_median(tones)) if tones.any() else 255.0
    _give_back(image, across(result), thickness, thin, tone, darker)
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


@kernel
def _list_band_ink(mask, cells, ink):
    """List the ink inside the band into ink (output, (K, 2) int64 rows and columns, row by row) and return K.
    mask: (n, m) uint8, lines across axis 0; cells: (ceil(n / 4), ceil(m / 4)) uint8, the band's 4x4-pixel cells."""
    n, m = mask.shape
    count = 0
    for cell_y in range(cells.shape[0]):
        for cell_x in range(cells.shape[1]):
            if cells[cell_y, cell_x] == 0:
                continue
            # Loops of a constant 4, cut at the image's edge: ~4x faster than range(.., min(.., n)) here.
            for dy in range(LINE_CELL):
                y = cell_y * LINE_CELL + dy
                if y >= n:
                    break
                for dx in range(LINE_CELL):
                    x = cell_x * LINE_CELL + dx
                    if x < m:
                        # Written always, kept only if ink: no branch to mispredict on a random mix of both.
                        ink[count, 0], ink[count, 1] = y, x
                        count += mask[y, x] != 0
    return count


@kernel
def _count_runs_across(ink, m, counts):
    """counts[k] += the number of runs of k pixels of band ink (ink: (K, 2) rows and columns, row by row; m
    columns) down every THICKNESS_SAMPLE-th column (0, 8, 16, ...)."""
    last, run = np.full(m, -2), np.zeros(m, np.int64)  # per column: the last row of ink seen, the run so far
    for i in range(len(ink)):
        y, x = ink[i, 0], ink[i, 1]
        if x % THICKNESS_SAMPLE:  # a constant: a bit test, where a variable would cost a division
            continue
        if y == last[x] + 1:
            run[x] += 1
        else:
            if run[x]:
                counts[run[x]] += 1
            run[x] = 1
        last[x] = y
    for x in range(0, m, THICKNESS_SAMPLE):
        if run[x]:
            counts[run[x]] += 1


@kernel
def _take_thin_ink(mask, ink, thickness, result, thin, darkness, tones):
    """Mark THIN in result (a copy of mask) the band's ink (ink: (K, 2), row by row) that an opening across the
    line removes (see ``_survives_opening``), list it in thin (output, (K, 2)) and return how many; tones
    (output, (256,)) += a histogram of the darkness on it at even rows and columns (ink_over_line's sample),
    when darkness (n, m) has pixels. The run of ink through a pixel is measured once for all its pixels."""
    n, m = mask.shape
    tops, bottoms = np.zeros(m, np.int64), np.full(m, -1)  # per column: the run of ink last measured there
    count = 0
    for i in range(len(ink)):
        y, x = ink[i, 0], ink[i, 1]
        if y > bottoms[x]:
            tops[x], bottoms[x] = _ink_run(mask, x, y, 2 * thickness)
        if not _survives_opening(y, tops[x], bottoms[x], n, thickness):
            result[y, x] = THIN
            thin[count, 0], thin[count, 1] = y, x
            count += 1
            if darkness.shape[0] and y % 2 == 0 and x % 2 == 0:
                tones[darkness[y, x]] += 1
    return count


@kernel
def _give_back(mask, result, thickness, thin, darkness, darker):
    """Decide the thin ink (marked THIN in result; thin: (K, 2) its rows and columns, row by row): back to the
    mask's value where darker than `darker` (when darkness (n, m) has pixels) or where a closing across the
    line of the ink kept (the rest of result's ink) fills it (see ``_filled_by_closing``), else 0. The kept ink
    around a run of thin pixels is looked for once for all of them."""
    n, m = mask.shape
    given = np.zeros(len(thin), np.bool_)
    aboves, belows, lasts = np.zeros(m, np.int64), np.zeros(m, np.int64), np.full(m, -1)  # per column
    for i in range(len(thin)):
        y, x = thin[i, 0], thin[i, 1]
        if darkness.shape[0] and darkness[y, x] > darker:
            given[i] = True
            continue
        if y > lasts[x]:
            # Usually a line crossing paper: no kept ink within thickness rows, and the thin run stays out
            # whatever lies further. Else kept ink up to 2 * thickness + 1 rows away can matter.
            aboves[x], belows[x], lasts[x] = _kept_around(result, x, y, thickness)
            if aboves[x] >= y - thickness or belows[x] <= lasts[x] + thickness:
                aboves[x], belows[x], lasts[x] = _kept_around(result, x, y, 2 * thickness + 1)
        given[i] = _filled_by_closing(y, aboves[x], belows[x], n, thickness)
    for i in range(len(thin)):  # only now: the closing is of the ink kept, without what it gives back
        y, x = thin[i, 0], thin[i, 1]
        result[y, x] = mask[y, x] if given[i] else 0


@kernel
def _survives_opening(y, top, bottom, n, length):
    """Whether cv2.morphologyEx(MORPH_OPEN) with a column kernel `length` long keeps the ink at row y (of n), in
    a run of ink from row top to row bottom.

    OpenCV anchors the kernel at row c = length // 2 of it and ignores the image's outside. The dilation at y
    is the max of the erosion at rows r = y - c .. y - c + length - 1 inside the image; the erosion at r is 1
    when its window, rows r - c .. r - c + length - 1, lies within the run. (For an even length the windows are
    not centred on the rows they are read at: OpenCV's opening is then shifted by a pixel, and this follows.)
    """
    c = length // 2
    first = max(y - c, 0, top + c)                       # rows r whose window starts inside the run...
    last = min(y - c + length - 1, n - 1, bottom - length + 1 + c)  # ...and ends inside it
    return first <= last


@kernel
def _filled_by_closing(y, above, below, n, reach):
    """Whether cv2.morphologyEx(MORPH_CLOSE) with a column kernel 2 * reach + 1 long, applied to the ink kept,
    fills row y (of n), between kept ink at rows above and below (y itself is not kept).

    The erosion at y is the min of the dilation at rows r = y - reach .. y + reach inside the image; the
    dilation at r is 0 when no kept ink lies within reach rows of it. So: filled unless for some such r both
    above and below are out of reach.
    """
    first = max(y - reach, 0, above + reach + 1)
    last = min(y + reach, n - 1, below - reach - 1)
    return first > last


@kernel
def _ink_run(mask, x, y, limit):
    """The run of ink down column x through row y: (its first row, its last row). Its first row is taken as far
    above when the run goes further up than `limit` rows (windows that long reach no further), and either end
    as far away when the run leaves the image: OpenCV's morphology ignores the outside, as if the ink went on."""
    n = mask.shape[0]
    far = 2 * n + 2 * limit
    top = y
    while top > 0 and mask[top - 1, x] and y - top < limit:
        top -= 1
    bottom = y
    while bottom < n - 1 and mask[bottom + 1, x]:
        bottom += 1
    return (-far if top == 0 or y - top >= limit else top), (far if bottom == n - 1 else bottom)


@kernel
def _kept_around(result, x, y, limit):
    """Around the thin pixel at row y of column x of result (0 paper, THIN, 255 kept ink): (the nearest row
    above with kept ink, the nearest below the run of thin pixels from y down, the last row of that run).
    Kept ink further than `limit` rows away counts as none, and so does the image's outside: a row far away."""
    n = result.shape[0]
    far = 2 * n + 2 * limit
    last = y
    while last + 1 < n and result[last + 1, x] == THIN:
        last += 1
    above, below = -far, far
    for k in range(1, limit + 1):
        if y - k < 0:
            break
        if result[y - k, x] > THIN:
            above = y - k
            break
    for k in range(1, limit + 1):
        if last + k >= n:
            break
        if result[last + k, x] > THIN:
            below = last + k
            break
    return above, below, last


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
