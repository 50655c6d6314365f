"""The paper's level and noise of ``preprocess.paper_level_and_margin``, from one histogram, in one kernel call.

    level_and_spread   the median of a sample of pixels, and their median absolute deviation from it

Why a kernel: NumPy needs about ten calls for the histogram, its median, the deviations' histogram and their
median, on 256 counts each, so their call overhead costs more than counting the sample. ``recognizer.naive``
holds the NumPy and OpenCV version (``paper_level_and_margin``), the reference the tests check this against.
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels.jit import kernel


@kernel
def level_and_spread(image, step):
    """image: (H, W) uint8 -> (the median of its pixels at every step-th row and column, the median of their
    absolute differences from it), both whole numbers, as floats. A median of whole numbers is taken as the
    least value with at least half of them at or below it."""
    counts = np.zeros(256, np.int64)
    for y in range(0, image.shape[0], step):
        row = image[y]
        for x in range(0, image.shape[1], step):
            counts[row[x]] += 1
    level = _upper_median(counts)
    deviations = np.zeros(256, np.int64)
    for value in range(256):
        deviations[abs(value - level)] += counts[value]
    return float(level), float(_upper_median(deviations))


@kernel
def _upper_median(counts):
    """The least value v with counts[0] + ... + counts[v] >= (n + 1) / 2, n = counts.sum() (0 if n is 0): for
    an even count, the upper of the two middle values (digits._quantile and ruled_lines' median take others)."""
    half = (counts.sum() + 1) / 2
    seen = 0
    for value in range(counts.size):
        seen += counts[value]
        if seen >= half:
            return value
    return 0
