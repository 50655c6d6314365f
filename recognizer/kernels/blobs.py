"""The per-blob measures of ``segment``, each for all the blobs of a frame in one kernel call.

    sort_contours      the contours' boxes, which make blobs, which touch the edge   (segment.find_blobs)
    fragment_gaps      which pairs of blobs are pieces of one digit                   (segment.fragment_gaps)

Why kernels: on crops of a few thousand pixels, the call overhead of a dozen NumPy and OpenCV calls per blob
costs far more than the arithmetic. ``recognizer.naive`` holds the NumPy and OpenCV code each stands for
(tests/test_recognizer_naive.py checks one against the other): read that first.
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
