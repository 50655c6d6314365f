"""The per-blob measures of ``segment``, each for all the blobs of a frame in one kernel call.

    sort_contours      the contours' boxes, which make blobs, which touch the edge   (segment.find_blobs)
    fragment_gaps      which pairs of blobs are pieces of one digit                   (segment.fragment_gaps)
    ink_levels         the darkness of each blob's ink                                (segment.blob_tones)
    outline_steps      how steeply each blob's edge rises from the paper              (segment.edge_step)

Why kernels: on crops of a few thousand pixels, the call overhead of a dozen NumPy and OpenCV calls per blob
costs far more than the arithmetic. ``recognizer.naive`` holds the NumPy and OpenCV code each stands for
(tests/recognizer/test_naive.py checks one against the other): read that first.
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels.jit import kernel


@kernel
def sort_contours(points, lengths, parents, shape, min_size, boxes, kept, edge):
    """The bookkeeping of ``segment.find_components`` in one pass over the contours.

    points: (P, 2) int32 (x, y), contour i's lengths[i] points after the previous contours'; parents: (K,) int,
    -1 for outer contours, else the outer contour a hole belongs to; shape: the mask's (H, W); min_size: the
    least width or height of a blob. Outputs: boxes (K, 4) int64 the contours' bounding boxes (x, y, w, h);
    kept[:n_kept] the outer contours not touching the frame's edge and at least min_size wide or tall;
    edge[:n_edge] (P, 2) the points of the components touching the frame's edge, in order. Returns (n_kept,
    n_edge).
    """
    height, width = shape
    starts = np.zeros(len(lengths) + 1, np.int64)
    for i in range(len(lengths)):
        starts[i + 1] = starts[i] + lengths[i]
        x0, y0 = points[starts[i], 0], points[starts[i], 1]
        x1, y1 = x0, y0
        for p in range(starts[i], starts[i + 1]):
            x0, x1 = min(x0, points[p, 0]), max(x1, points[p, 0])
            y0, y1 = min(y0, points[p, 1]), max(y1, points[p, 1])
        boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3] = x0, y0, x1 - x0 + 1, y1 - y0 + 1
    touches = np.zeros(len(lengths), np.bool_)
    n_kept = 0
    for i in range(len(lengths)):
        if parents[i] < 0:
            x, y, w, h = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
            touches[i] = x == 0 or y == 0 or x + w == width or y + h == height
            if not touches[i] and max(w, h) >= min_size:
                kept[n_kept] = i
                n_kept += 1
    n_edge = 0
    for i in range(len(lengths)):
        if touches[i if parents[i] < 0 else parents[i]]:  # a hole goes with its outer contour
            for p in range(starts[i], starts[i + 1]):
                edge[n_edge, 0], edge[n_edge, 1] = points[p, 0], points[p, 1]
                n_edge += 1
    return n_kept, n_edge


@kernel
def fragment_gaps(boxes, min_overlap, max_gap, max_height, max_width_ratio, min_height, gaps):
    """gaps[i, j] = the vertical gap between boxes i and j (negative if they overlap in y) when they may be
    pieces of one digit, else inf. boxes: (N, 4) float64 (x, y, w, h); gaps (output): (N, N) float64.

    Pieces share at least min_overlap of the narrower one's columns, are less than max_gap apart, together no
    taller than max_height nor wider than max_width_ratio x their height, and one is at least min_height tall.
    With NumPy the 30-odd array operations on (N, N) pairs cost ~60 us, for a few dozen blobs.
    """
    n = boxes.shape[0]
    for i in range(n):
        x0, y0, w, h = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
        for j in range(n):
            other_x0, other_y0, other_w, other_h = boxes[j, 0], boxes[j, 1], boxes[j, 2], boxes[j, 3]
            x_overlap = min(x0 + w, other_x0 + other_w) - max(x0, other_x0)
            y_gap = max(y0, other_y0) - min(y0 + h, other_y0 + other_h)
            joint_w = max(x0 + w, other_x0 + other_w) - min(x0, other_x0)
            joint_h = max(y0 + h, other_y0 + other_h) - min(y0, other_y0)
            pieces = (i != j and x_overlap >= min_overlap * min(w, other_w) and y_gap < max_gap
                      and joint_h <= max_height and joint_w <= max_width_ratio * joint_h
                      and max(h, other_h) >= min_height)
            gaps[i, j] = y_gap if pieces else np.inf


@kernel
def ink_levels(darkness, boxes, own, q, levels):
    """levels[i] = the q-quantile of the darkness on blob i's own ink, as ``normalize.quantile`` takes it.

    darkness: (H, W) uint8; boxes: (N, 4) int (x, y, w, h); own: the blobs' own ink ((h, w) bool each),
    flattened one after the other; levels (output): (N,) float64.
    """
    start = 0
    for i in range(boxes.shape[0]):
        x, y, w, h = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
        ink = own[start:start + h * w].reshape((h, w))
        counts = np.zeros(256, np.int64)  # darkness is uint8: a histogram sorts it in one pass
        for row in range(h):
            for col in range(w):
                if ink[row, col]:
                    counts[darkness[y + row, x + col]] += 1
        levels[i] = _histogram_quantile(counts, q)
        start += h * w


@kernel
def outline_steps(darkness, boxes, points, lengths, steps):
    """steps[i] = the median morphological gradient (3x3 max - min) of the darkness on blob i's outline points,
    each neighbourhood cut to the blob's box: ``cv2.morphologyEx(crop, MORPH_GRADIENT)`` of the box's crop
    ignores what lies outside the crop.

    darkness: (H, W) uint8; boxes: (N, 4) int (x, y, w, h); points: (P, 2) int32 (x, y) in darkness, the
    blobs' outlines one after the other, lengths[i] points for blob i; steps (output): (N,) float64.
    """
    start = 0
    for i in range(boxes.shape[0]):
        x0, y0 = boxes[i, 0], boxes[i, 1]
        x1, y1 = x0 + boxes[i, 2] - 1, y0 + boxes[i, 3] - 1  # the box's last column and row
        counts = np.zeros(256, np.int64)
        for p in range(start, start + lengths[i]):
            x, y = points[p, 0], points[p, 1]
            high, low = 0, 255
            for row in range(y - 1, y + 2):
                for col in range(x - 1, x + 2):
                    if y0 <= row <= y1 and x0 <= col <= x1:  # (loops of a constant 3 compile to faster code)
                        high = max(high, darkness[row, col])
                        low = min(low, darkness[row, col])
            counts[high - low] += 1
        steps[i] = _histogram_quantile(counts, 0.5)
        start += lengths[i]


@kernel
def _histogram_quantile(counts, q):
    """The q-quantile of the values a histogram counts (counts: (256,), counts[v] = how many times v occurs), as
    ``normalize.quantile`` takes it: the value at rank round(q * (n - 1)) in sorted order; 0 if there are none.
    (Numba's round, like Python's, rounds halves to even.) ``digits._quantile`` is the same: a kernel calls
    only kernels of its own file, as Numba's cache recompiles a kernel only when its own file changes."""
    n = counts.sum()
    if n == 0:
        return 0
    rank = round(q * (n - 1))
    seen = 0
    for value in range(256):
        seen += counts[value]
        if seen > rank:
            return value
    return 255
