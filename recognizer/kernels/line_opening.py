"""The opening of ``ruled_lines.find_lines``: the cells of a map of ink that an erosion with a long, thin, straight
kernel keeps, grown back by the same kernel, for kernels a few degrees off the map's axis 0.

    open_along_lines  the whole opening, for every kernel: runs_along, then fit_kernel and grow_back for each
    runs_along        per cell, how many cells of ink run from it along axis 0 without a break
    fit_kernel        where a kernel fits in the ink: each of its segments lies on a run at least as long
    grow_back         the kernel's cells around every place where it fits
    mark_ink_cells    the map itself: which cells of LINE_CELL x LINE_CELL pixels of a mask hold ink

A digital line a few degrees off an axis is a staircase of straight segments (31 cells at 12 degrees: 7 steps of
4 or 5 cells). With the runs counted once, a kernel fits at a cell when the first cell of each of its segments
starts a run as long as the segment: one comparison per segment, instead of one per kernel cell as in OpenCV's
erosion. The maps are padded with paper all round and read as flat arrays: a segment's cells are then a fixed
distance away in memory from its anchor, each step is one loop over the whole map with no index to test, and
the compiler turns it into vector instructions (32 cells at a time). Each such loop reads and writes only two or
three arrays: before running a loop in vector instructions the compiler checks that its arrays do not overlap,
and with too many pairs to check it keeps the loop scalar, several times slower.

Together they give, cell for cell, OpenCV's erode (outside the map: no ink) then dilate (outside: ignored) with
each kernel (``recognizer.naive.find_lines``, the reference; the tests check one against the other). Lines run
along axis 0 here: the caller passes a map of horizontal lines transposed.
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels.jit import kernel
from recognizer.kernels.lines import LINE_CELL

LONGEST_RUN = 255  # runs are counted in bytes: no kernel may be longer (a frame 4,000 pixels high would need it)


@kernel
def open_along_lines(cells, segments, starts, pad, lines):
    """lines (output, (n, m) uint8) = 255 on the cells of cells (n, m) uint8 (non-zero: ink) that the opening with
    any of the kernels keeps, else 0; returns how many kernels fit somewhere. segments: (S, 3) int64 the
    kernels' segments along axis 0 (first cell along, offset across, length), relative to the kernel's anchor,
    kernel k's being segments[starts[k]:starts[k + 1]]; pad: more than any segment reaches from its anchor."""
    n, m = cells.shape
    width = m + 2 * pad  # of every padded map
    runs = np.zeros((n + 2 * pad, width), np.uint8)
    runs_along(cells, pad, runs)
    fits = np.empty((n + 2 * pad, width), np.uint8)
    grown = np.zeros((n + 2 * pad, width), np.uint8)
    fitted = 0
    for k in range(len(starts) - 1):
        kernel_segments = segments[starts[k]:starts[k + 1]]
        if fit_kernel(runs, kernel_segments, pad, n, m, fits):
            grow_back(fits, kernel_segments, pad, n, grown)
            fitted += 1
    lines[:] = grown[pad:pad + n, pad:pad + m]
    return fitted


@kernel
def runs_along(cells, pad, runs):
    """runs (output, (n + 2 pad, m + 2 pad) uint8, zeroed by the caller): runs[pad + i, pad + j] = how many cells
    from (i, j) on along axis 0 hold ink without a break (0 on paper), up to LONGEST_RUN (bytes make four times
    as many cells per vector instruction as 32-bit counts). cells: (n, m) uint8."""
    n, m = cells.shape
    for i in range(n - 1, -1, -1):
        # Slices, indexed from 0: the compiler then knows no index is negative, and vectorizes the loop.
        run, after, cell = runs[pad + i, pad:pad + m], runs[pad + i + 1, pad:pad + m], cells[i]
        for j in range(m):
            run[j] = (min(after[j], LONGEST_RUN - 1) + 1) * (cell[j] != 0)


@kernel
def fit_kernel(runs, segments, pad, n, m, fits):
    """fits (output, as runs) = 1 where the kernel, its anchor on the cell, fits in the map's n x m cells
    (padded by pad as runs is), else 0; returns whether it fits anywhere. runs: from runs_along; segments: one
    kernel's, as open_along_lines."""
    width = runs.shape[1]
    fits[:] = 0
    fits[pad:pad + n, pad:pad + m] = 1  # anchors outside the map are never kept
    flat_fits, flat_runs = fits.ravel(), runs.ravel()
    begin, end = pad * width, (pad + n) * width  # the rows of the map
    for s in range(len(segments)):
        offset = segments[s, 0] * width + segments[s, 1]  # from an anchor to the segment's first cell
        length = np.uint8(segments[s, 2])  # a byte, as the runs: bytes compared with bytes, 32 at a time
        run = flat_runs[begin + offset:end + offset]
        fit = flat_fits[begin:end]
        for k in range(end - begin):
            fit[k] &= run[k] >= length
    return _any(flat_fits[begin:end])


@kernel
def _any(values):
    """Whether any of values (K,) uint8 is non-zero: a loop without an early exit, which the compiler vectorizes."""
    found = np.uint8(0)
    for k in range(len(values)):
        found |= values[k]
    return found != 0


@kernel
def grow_back(fits, segments, pad, n, grown):
    """grown (output, as fits) |= 255 on the kernel's cells around every cell where fits is 1, as OpenCV's
    dilation does (dst(p) = max over the kernel's cells q of src(p + q), anchor at 0). segments: as for
    fit_kernel. A segment lies over a cell when an anchor fits within the segment's length along axis 0 from
    the cell (the kernel mirrored): a difference of two running sums of fits along axis 0."""
    rows, width = fits.shape
    before = np.zeros((rows + 1, width), np.int16)  # per column: how many anchors fit in the rows above
    for i in range(rows):
        above, count, fit = before[i], before[i + 1], fits[i]
        for j in range(width):
            count[j] = above[j] + np.int16(fit[j])
    flat_before, flat_grown = before.ravel(), grown.ravel()
    begin, end = pad * width, (pad + n) * width
    for s in range(len(segments)):
        # anchors at rows i + along .. i + along + length - 1, column j + across
        first = segments[s, 0] * width + segments[s, 1]
        past = first + segments[s, 2] * width
        low, high = flat_before[begin + first:end + first], flat_before[begin + past:end + past]
        line = flat_grown[begin:end]
        for k in range(end - begin):
            line[k] |= np.uint8(255) * np.uint8(high[k] > low[k])


@kernel
def mark_ink_cells(mask, cells):
    """cells (output, (ceil(H / LINE_CELL), ceil(W / LINE_CELL)) uint8) = 255 where the cell of LINE_CELL x
    LINE_CELL pixels of mask (H, W) uint8 holds any ink (non-zero), else 0; the last cells may hang over the
    mask's edge. A row's pixels of a cell are OR'ed together first: one test per cell, not per pixel."""
    cells[:] = 0
    height, width = mask.shape
    whole = width // LINE_CELL  # cells lying wholly inside the row
    for y in range(height):
        row, marks = mask[y], cells[y // LINE_CELL]
        for j in range(whole):
            ink = np.uint8(0)
            for dx in range(LINE_CELL):  # a constant count: unrolled by the compiler
                ink |= row[j * LINE_CELL + dx]
            if ink:
                marks[j] = 255
        for x in range(whole * LINE_CELL, width):
            if row[x]:
                marks[whole] = 255
