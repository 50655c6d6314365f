"""The recognizer's Numba kernels: ``@kernel`` functions (``numcnn.kernels.jit``) of arrays and numbers only.

- ``digits``: every digit of a frame to its 28x28 image (for ``segment.digit_images``);
- ``blobs``: the per-blob measures of ``segment``: the contours' boxes, fragment gaps, ink levels, edge steps;
- ``line_opening``: the map of ink cells, and its long straight lines (for ``ruled_lines.coarse_ink``, ``find_lines``);
- ``lines``: the thin ink along ruled lines, taken out (for ``ruled_lines.remove_thin_ink``);
- ``paper``: the paper's level and noise, from a histogram (for ``preprocess.paper_level_and_margin``).

The API modules call them; they import no API module (constants are theirs or come in as arguments).
``recognizer.naive`` holds the readable NumPy and OpenCV reference of each; the tests check one against the other.
"""

