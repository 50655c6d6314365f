"""The thin-ink removal of ``ruled_lines.remove_thin_ink``, on the ink inside the lines' band only.

    list_band_ink       the ink inside the band: its rows and columns, down each column in order of rows
    count_runs_across   the runs of that ink across the line, down every 8th column: the line's thickness
    take_thin_ink       the ink an opening across the line removes (as thin as the line), marked THIN
    give_back           the thin ink a closing across the line fills (a stroke crossing it), or darker than
                        the line (a stroke drawn along it), back to ink; the rest to paper

Together they give, pixel for pixel, two OpenCV morphologies across the line on the band's bounding box
(``recognizer.naive.remove_thin_ink``, the reference: read it first; tests/recognizer/test_naive.py checks one
against the other), but look only at the band's ink, a run of ink at a time: ~0.3 ms instead of ~1 ms on a
typical ruled page of the benchmark; on the densest bands (half the frame) about as slow as OpenCV.

The kernels look across the lines along axis 0 (down the columns): the caller passes vertical lines transposed.
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels.jit import kernel

# Constants, not arguments: Numba compiles loops of a known count, and x % 8, into faster code.
LINE_CELL = 4              # lines are looked for on a map of 4x4-pixel cells (``ruled_lines.coarse_ink``)
THICKNESS_SAMPLE = 8       # a line's thickness is measured down every 8th column: as well as down all
THIN = 1                   # thin ink is marked so in the result, between paper (0) and ink (255), until decided


@kernel
def list_band_ink(mask, cells, ink):
    """List the ink inside the band into ink (output, (K, 2) int64 rows and columns) and return K. mask: (n, m)
    uint8, lines across axis 0; cells: (ceil(n / 4), ceil(m / 4)) uint8, the band's 4x4-pixel cells. The ink is
    listed cell by cell, a row of cells at a time: down each column, in order of rows (what the others need)."""
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
def count_runs_across(ink, m, counts):
    """counts[k] += the number of runs of k pixels of band ink (ink: (K, 2) rows and columns, as listed by
    list_band_ink; m columns) down every THICKNESS_SAMPLE-th column (0, 8, 16, ...)."""
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
def take_thin_ink(mask, ink, thickness, result, thin, darkness, tones):
    """Mark THIN in result (a copy of mask) the band's ink (ink: (K, 2), as listed) that an opening across the
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
def give_back(mask, result, thickness, thin, darkness, darker):
    """Decide the thin ink (marked THIN in result; thin: (K, 2) its rows and columns, as listed): back to the
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
