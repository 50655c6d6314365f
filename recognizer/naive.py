"""Readable references for the recognizer's kernels (``recognizer/kernels/``): the NumPy and OpenCV code each
kernel replaced, written for clarity, not speed (as the ``*_naive`` functions of
``numcnn/layers/`` are for the network's).
Read these first; tests/recognizer/test_naive.py and tests/recognizer/kernels/test_kernels.py check the kernels against
them.

    reference               fast version (API)                  its kernels
    find_blobs              segment.find_blobs                  kernels.blobs.sort_contours
    fragment_gaps           segment.fragment_gaps               kernels.blobs.fragment_gaps
    ink_level               segment.blob_tones                  kernels.blobs.ink_levels
    edge_step               segment.edge_step, blob_tones       kernels.blobs.outline_steps
    digit_images            segment.digit_images                kernels.digits.normalize_digits
    find_lines              ruled_lines.find_lines              kernels.line_opening
    remove_thin_ink         ruled_lines.remove_thin_ink         kernels.lines
    paper_level_and_margin  preprocess.paper_level_and_margin   kernels.paper.level_and_spread

Every result is the kernels' bit for bit, except digit_images: its images differ by rounding (see
``recognizer/kernels/digits.py``). Each makes a dozen or more NumPy and OpenCV calls per blob or per line,
whose call overhead, on crops of a few thousand pixels, costs more than the arithmetic: that is why the
kernels exist.
"""
from __future__ import annotations

import cv2
import numpy as np

from recognizer.normalize import normalize_digit, quantile
from recognizer.preprocess import ink_margin
from recognizer.ruled_lines import LINE_CELL, MAX_LINE_THICKNESS, ink_over_line, spanning_lines, tilted_line_kernels
from recognizer.segment import MAX_WIDTH_RATIO, MERGE_MAX_HEIGHT, MERGE_X_OVERLAP, MERGE_Y_GAP, Blob, digit_ink, outline

# --- blobs (segment) ------------------------------------------------------------------------------------------


def find_blobs(mask: np.ndarray, min_size: float = 0) -> tuple[list[Blob], np.ndarray]:
    """mask: (H, W) uint8 -> (one blob per connected component of ink not touching the frame's edge and at
    least `min_size` pixels wide or tall, (P, 2) int32 the boundary points (outer and holes) of the components
    that do touch the edge)."""
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return [], np.zeros((0, 2), np.int32)
    height, width = mask.shape
    parents = hierarchy[0, :, 3]  # -1 for a component's outer contour, else the outer contour of its hole
    outer = np.flatnonzero(parents < 0)
    x, y, w, h = np.array([cv2.boundingRect(contours[i]) for i in outer]).T
    touches = (x == 0) | (y == 0) | (x + w == width) | (y + h == height)
    blobs = [Blob((int(x[k]), int(y[k]), int(w[k]), int(h[k])), (contours[outer[k]],))
             for k in np.flatnonzero(~touches & (np.maximum(w, h) >= min_size))]
    component = np.where(parents < 0, np.arange(len(contours)), parents)  # a hole belongs to its outer contour
    touching = np.zeros(len(contours), bool)
    touching[outer[touches]] = True
    on_edge = np.flatnonzero(touching[component])
    edge = np.concatenate([contours[i][:, 0] for i in on_edge]) if on_edge.size else np.zeros((0, 2), np.int32)
    return blobs, edge


def fragment_gaps(boxes: np.ndarray, digit_height: float, min_height: float) -> np.ndarray:
    """boxes: (N, 4) int (x, y, w, h) -> (N, N) float: the vertical gap between two blobs that look like pieces
    of one digit (negative if they overlap in y), inf for every other pair (see ``segment.fragment_gaps``).
    Every pair at once: each (N, 1) column against its (1, N) transpose."""
    x0, y0, w, h = (boxes[:, k, None].astype(np.float64) for k in range(4))
    x1, y1 = x0 + w, y0 + h
    x_overlap = np.minimum(x1, x1.T) - np.maximum(x0, x0.T)
    y_gap = np.maximum(y0, y0.T) - np.minimum(y1, y1.T)
    joint_w = np.maximum(x1, x1.T) - np.minimum(x0, x0.T)
    joint_h = np.maximum(y1, y1.T) - np.minimum(y0, y0.T)
    pairs = ((x_overlap >= MERGE_X_OVERLAP * np.minimum(w, w.T)) & (y_gap < MERGE_Y_GAP * digit_height)
             & (joint_h <= MERGE_MAX_HEIGHT * digit_height) & (joint_w <= MAX_WIDTH_RATIO * joint_h)
             & (np.maximum(h, h.T) >= min_height))
    np.fill_diagonal(pairs, False)
    return np.where(pairs, y_gap, np.inf)


def ink_level(darkness: np.ndarray, blob: Blob) -> float:
    """darkness: (H, W) uint8; a blob with its own ink (``segment.own_ink``) -> the darkness of its ink, 0-255:
    its 90th percentile, so that thin or blurred strokes are not judged by their grey edges."""
    x, y, w, h = blob.box
    return quantile(darkness[y:y + h, x:x + w][blob.ink], 0.9)


def edge_step(soft: np.ndarray, blob: Blob) -> float:
    """soft: (h, w) uint8 darkness in the blob's box -> how steeply its edge rises from the paper: the median,
    over its outline, of the darkness step across 3 pixels (a morphological gradient: 3x3 max - min)."""
    step = cv2.morphologyEx(soft, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    x, y = outline(blob).T
    return quantile(step[y, x], 0.5)


# --- digits (segment, normalize) ------------------------------------------------------------------------------


def digit_images(mask: np.ndarray, darkness: np.ndarray | None, blobs: list[Blob]) -> np.ndarray:
    """mask: (H, W) uint8; darkness: (H, W) uint8 or None; N blobs -> (N, 28, 28) float32: each blob's ink
    (``segment.digit_ink``) made an MNIST-style image (``normalize.normalize_digit``), one blob at a time."""
    return np.array([normalize_digit(digit_ink(mask, blob, darkness)) for blob in blobs],
                    np.float32).reshape(-1, 28, 28)


# --- ruled lines ----------------------------------------------------------------------------------------------


def find_lines(coarse: np.ndarray, length: int, vertical: bool) -> np.ndarray | None:
    """coarse: (h, w) uint8 cells -> (h, w) uint8, 255 on the long straight lines, or None if there are none.

    An opening per tilt: the erosion keeps the cells where the whole `length`-long line kernel lies on ink
    (outside the map is no ink), the dilation grows those back by the same kernel. Then only the lines that
    span enough of the frame (``ruled_lines.spanning_lines``).
    """
    lines = np.zeros_like(coarse)
    for kernel in tilted_line_kernels(length, vertical):
        cores = cv2.erode(coarse, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
        lines = cv2.bitwise_or(lines, cv2.dilate(cores, kernel))
    return spanning_lines(lines, vertical) if lines.any() else None


def remove_thin_ink(mask: np.ndarray, lines: np.ndarray, vertical: bool, darkness: np.ndarray | None) -> np.ndarray:
    """mask: (H, W) uint8, 0 or 255; lines: (ceil(H / 4), ceil(W / 4)) uint8 cells, 255 on the lines (see
    ``ruled_lines.find_lines``) -> (H, W) uint8: the mask without the ink in the lines' band that is no thicker
    across the line than the line itself, except where a stroke crosses the line or (with `darkness`, (H, W)
    uint8) darkens it. Lines thicker than MAX_LINE_THICKNESS of the shorter side are left alone.

    Two morphologies across the line, with kernels one pixel wide: an opening `thickness` long keeps the ink
    thicker than the line; a closing of what remains, 2 * thickness + 1 long, fills the line back where ink
    lies on both sides of it. Done on the band's bounding box only, widened across the line by the reach of
    the morphologies: a lone margin costs a thin strip of the frame, not all of it.
    """
    band, (rows, cols) = _band(lines, mask.shape)
    thickness = _line_thickness(mask[rows, cols], band, vertical, rows.start, cols.start)
    if thickness is None or thickness > MAX_LINE_THICKNESS * min(mask.shape):  # a big digit's broad stroke
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
    result = mask.copy()
    result[rows, cols] = cv2.bitwise_and(roi, given_back)
    return result


def _band(lines: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[slice, slice]]:
    """lines: (h, w) uint8 cells of 4x4 pixels -> (the band in the lines' bounding box at full size, that box
    as (rows, cols) slices of the frame's `shape`)."""
    x, y, w, h = cv2.boundingRect(lines)
    rows = slice(y * LINE_CELL, min((y + h) * LINE_CELL, shape[0]))
    cols = slice(x * LINE_CELL, min((x + w) * LINE_CELL, shape[1]))
    cells = lines[y:y + h, x:x + w]
    band = np.repeat(np.repeat(cells, LINE_CELL, axis=0), LINE_CELL, axis=1)  # each cell over its 4x4 pixels
    return band[:rows.stop - rows.start, :cols.stop - cols.start], (rows, cols)


def _widen(band: np.ndarray, box: tuple[slice, slice], shape: tuple[int, int], reach: int,
           vertical: bool) -> tuple[np.ndarray, tuple[slice, slice]]:
    """Grow the box (and the band inside it, with zeros) by `reach` pixels across the lines, within `shape`."""
    reach = -(-reach // LINE_CELL) * LINE_CELL  # whole cells keep the box's corner on the sampling grids
    axis = 1 if vertical else 0
    span = box[axis]
    before, after = min(reach, span.start), min(reach, shape[axis] - span.stop)
    widened = slice(span.start - before, span.stop + after)
    if vertical:
        return np.pad(band, ((0, 0), (before, after))), (box[0], widened)
    return np.pad(band, ((before, after), (0, 0))), (widened, box[1])


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


def _run_lengths(image: np.ndarray) -> np.ndarray:
    """Lengths of the runs of non-zero pixels along each row of a (H, W) image, all rows together: (R,) int."""
    ink = np.zeros((image.shape[0], image.shape[1] + 2), bool)
    ink[:, 1:-1] = image
    edges = np.flatnonzero(ink[:, 1:] != ink[:, :-1])  # starts and ends alternate, row by row
    return edges[1::2] - edges[0::2]


# --- the paper's level (preprocess) ---------------------------------------------------------------------------


def paper_level_and_margin(darkness: np.ndarray) -> tuple[float, float]:
    """(H, W) uint8 darkness -> (the paper's level, how much darker than it ink must be), in 0-255 units: the
    median of every 4th pixel of every 4th row, and the ink margin (``preprocess.ink_margin``) for the paper's
    noise (1.4826 x the median absolute deviation from that level: a Gaussian's sigma)."""
    counts = cv2.calcHist([darkness[::4, ::4]], [0], None, [256], [0, 256]).ravel()
    paper = _upper_median(counts)
    deviations = np.bincount(np.abs(np.arange(256) - round(paper)), weights=counts)
    noise_sigma = 1.4826 * _upper_median(deviations)
    return paper, ink_margin(noise_sigma)


def _upper_median(counts: np.ndarray) -> float:
    """The median of the values a histogram counts (counts[v] = how many times v occurs); for an even count, the
    upper of the two middle values (not their mean, as ``ruled_lines._histogram_median`` takes it)."""
    return float(np.searchsorted(np.cumsum(counts), (counts.sum() + 1) / 2))
