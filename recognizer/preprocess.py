"""From a camera frame to a binary ink mask: grayscale, denoise, threshold, morphology.

Every stage is a small function of images, so each can be called and looked at alone:

    gray = to_gray(frame)                       # any image array -> (H, W) uint8
    small, scale = to_working_size(gray, 640)   # every frame is processed at one working size
    clean = denoise(small)
    darkness = ink_darkness(clean)              # 0 = paper, 255 = black ink, whatever the lighting
    mask = threshold_ink(darkness)              # 255 = ink
    mask = remove_ruled_lines(mask, darkness)   # printed lines on the paper are not ink to read
    mask = close_gaps(mask)

Why divide by the background: a camera sees reflectance x illumination. Dividing the image by an
estimate of the blank paper under the same light (a morphological closing, which erases strokes
thinner than its kernel) cancels the illumination, so shadows and gradients disappear and one
threshold, set from the paper's own noise, works everywhere in the frame.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

# Sizes are fractions of the frame's shorter side, so the pipeline behaves the same at any resolution.
BACKGROUND_KERNEL = 0.10   # wider than any pen stroke, narrower than shadows and page regions
BACKGROUND_SUBSAMPLE = 2   # the background is smooth: estimate it on a 2x smaller image (4x blurs page edges)
LINE_MIN_LENGTH = 0.25     # straight runs of ink at least this long may be ruled lines...
LINE_MIN_SPAN = 0.5        # ...when they span this much of the frame along them (a big "1" held close does not)
LINE_MAX_TILT_DEG = 12     # ruled lines may be this far from horizontal/vertical
LINE_TILT_STEP_DEG = 6     # the coarse lines are 3 cells thick: a kernel catches lines 3 degrees off it
INK_OVER_LINE = 0.3        # a pen stroke on a printed line absorbs at least this much of the light it gets
MIN_INK_CONTRAST = 0.12    # ink is at least 12% darker than the paper under the same light...
NOISE_SIGMAS = 5.0         # ...and darker than the paper's own noise could make it
HALF_PEAK = 0.5            # a blurred stroke ends where its darkness falls to this fraction of its peak
HALF_PEAK_REACH = 0.015    # ...of the darkest ink this near (a fraction of the shorter side: a stroke's width)
LINE_CELL = 4              # lines are looked for on a map of 4x4-pixel cells: 16x fewer pixels to test
FAINT_LINE = 0.75          # ...of ink at least this fraction of the ink threshold's margin darker than the paper


def to_gray(frame: np.ndarray) -> np.ndarray:
    """Any image array -> (H, W) uint8 grayscale.

    Accepts (H, W), (H, W, 1), (H, W, 3) BGR, (H, W, 4) BGRA and (H, W, 2) gray+alpha, of any real dtype:
    uint8 as is, uint16 scaled by 1/257, floats in [0, 1] scaled by 255 (floats beyond 1 taken as 0-255),
    bool as 0/255. NaN and inf become 0 or 255. Raises TypeError/ValueError for anything that is not an image.
    """
    if not isinstance(frame, np.ndarray):
        hint = " (a failed camera read returns None)" if frame is None else ""
        raise TypeError(f"frame must be a numpy array holding an image, got {type(frame).__name__}{hint}")
    if frame.ndim == 3 and frame.shape[2] in (1, 2):
        frame = frame[:, :, 0]
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] not in (3, 4)):
        raise ValueError(f"frame must have shape (H, W), (H, W, 3) BGR or (H, W, 4) BGRA, got {frame.shape}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"frame is empty (shape {frame.shape}); it holds no pixels to look at")
    frame = np.ascontiguousarray(_to_uint8(frame))
    if frame.ndim == 2:
        return frame
    code = cv2.COLOR_BGR2GRAY if frame.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
    return cv2.cvtColor(frame, code)


def _to_uint8(frame: np.ndarray) -> np.ndarray:
    dtype = frame.dtype
    if dtype == np.uint8:
        return frame
    if dtype == np.bool_:
        return frame.astype(np.uint8) * 255
    if dtype == np.uint16:
        return (frame // 257).astype(np.uint8)
    if np.issubdtype(dtype, np.integer):
        return np.clip(frame, 0, 255).astype(np.uint8)
    if np.issubdtype(dtype, np.floating):
        frame = np.nan_to_num(frame.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        if frame.max() <= 1.0:
            frame = frame * 255.0
        return np.clip(frame + 0.5, 0, 255).astype(np.uint8)
    raise TypeError(f"frame has dtype {dtype}; use an image dtype such as uint8 or float32")


def to_working_size(gray: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """gray: (H, W) uint8 -> (the image resized so its longer side is `side` pixels, the scale factor).

    Big frames are shrunk (averaging pixels), which makes every later stage cheaper; small ones are enlarged
    (interpolating), so the pen strokes of a 320x240 camera are a few pixels wide, as the stages expect, and not
    one. A box (x, y, w, h) found in the resized image is (x, y, w, h) / scale in the original.
    """
    height, width = gray.shape
    scale = side / max(height, width)
    if scale == 1.0:
        return gray, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR), scale


def denoise(gray: np.ndarray) -> np.ndarray:
    """(H, W) uint8 -> (H, W) uint8: a light Gaussian blur takes the sensor noise off single pixels."""
    return cv2.GaussianBlur(gray, (3, 3), 0)


def estimate_background(gray: np.ndarray) -> np.ndarray:
    """(H, W) uint8 -> (H, W) uint8: the paper as it would look without ink, under the same light.

    A closing (max filter, then min filter) replaces every dark feature narrower than the kernel by its
    surroundings, and keeps large regions (shadows, the desk around the page) and their edges.
    """
    height, width = gray.shape
    factor = BACKGROUND_SUBSAMPLE if min(height, width) >= 16 * BACKGROUND_SUBSAMPLE else 1
    small = cv2.resize(gray, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    size = _odd(BACKGROUND_KERNEL * min(small.shape))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    background = cv2.blur(background, (3, 3))
    return cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)


def ink_darkness(gray: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
    """(H, W) uint8 -> (H, W) uint8 darkness = 255 * (1 - gray / background): 0 for paper, 255 for black.

    Dividing by the background removes the illumination, so ink in a shadow is as dark as ink in the light.
    """
    if background is None:
        background = estimate_background(gray)
    reflectance = cv2.divide(gray, cv2.max(background, 1), scale=255)  # saturates at 255 (brighter than paper)
    return cv2.bitwise_not(reflectance)  # 255 - reflectance


def threshold_ink(darkness: np.ndarray) -> np.ndarray:
    """(H, W) uint8 darkness -> (H, W) uint8 mask, 255 where there is ink.

    Two conditions, both adaptive. Against the paper: darker than its typical level (the median, since most
    of a page is blank) by the larger of a minimum ink contrast and several times the paper's noise (robust
    spread). Against the nearby stroke: at least half as dark as the darkest ink within a few pixels. A
    blurred stroke's edge is where its darkness falls to half its peak, so this keeps strokes their true
    width, whatever the pen and the focus, and keeps small loops (of 6, 8, 9) and gaps between digits open.
    """
    paper, margin = paper_level_and_margin(darkness)
    size = _odd(HALF_PEAK_REACH * min(darkness.shape))
    peak = cv2.dilate(darkness, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    half_peak = cv2.convertScaleAbs(peak, alpha=HALF_PEAK, beta=(1 - HALF_PEAK) * round(paper))
    # Both conditions in one comparison: "darker than the level" is ">= its floor + 1" for whole numbers.
    darker_than_paper = int(min(paper + margin, 254)) + 1
    return cv2.compare(darkness, np.maximum(half_peak, darker_than_paper, out=half_peak), cv2.CMP_GE)


def paper_level_and_margin(darkness: np.ndarray) -> tuple[float, float]:
    """(H, W) uint8 darkness -> (the paper's level, how much darker than it ink must be), in 0-255 units.

    The paper's level is the median darkness of a sample of pixels, as most of a page is paper. The margin
    is the larger of a minimum ink contrast and several times the paper's noise, measured as the median
    absolute deviation from that level. Both come from one histogram of the sample.
    """
    counts = np.bincount(darkness[::4, ::4].ravel(), minlength=256)
    paper = _histogram_median(counts)
    deviations = np.bincount(np.abs(np.arange(256) - round(paper)), weights=counts)
    noise_sigma = 1.4826 * _histogram_median(deviations)  # the MAD of Gaussian noise is 0.6745 sigma
    return paper, max(255 * MIN_INK_CONTRAST, NOISE_SIGMAS * noise_sigma)


def _median_uint8(values: np.ndarray) -> float:
    return _histogram_median(np.bincount(values.ravel(), minlength=256))


def _histogram_median(counts: np.ndarray) -> float:
    """The median of the values a histogram counts: counts (256,), counts[v] = how many times v occurs."""
    return float(np.searchsorted(np.cumsum(counts), (counts.sum() + 1) / 2))


def remove_ruled_lines(mask: np.ndarray, darkness: np.ndarray | None = None) -> np.ndarray:
    """(H, W) uint8 mask -> the mask without ruled lines, margins and page edges (long straight thin ink).

    Long lines are found on a 4x smaller copy of the mask (any ink in a 4x4 cell marks the cell), as what
    survives an opening with a line-shaped kernel at several tilts. Inside those lines' band, only ink as thin
    across the line as the line itself is removed (its thickness is measured, most of a line being bare): a
    digit's stroke crossing or touching the line is thicker there, so it stays. With the ``darkness`` image,
    lines are looked for in its faint ink too (see ``faint_ink``), and ink clearly darker than the bare line (a
    pen stroke drawn along the line, like a 4's bar) stays.
    """
    if min(mask.shape) < 32 * LINE_CELL:
        return mask
    coarse = coarse_ink(mask if darkness is None else faint_ink(darkness))
    length = max(8, round(LINE_MIN_LENGTH * min(coarse.shape)))
    result = mask
    for vertical in (False, True):
        lines = find_lines(coarse, length, vertical)
        if lines is not None:
            result = _remove_thin_ink(result, lines, vertical, darkness)
    return result


def faint_ink(darkness: np.ndarray) -> np.ndarray:
    """(H, W) uint8 darkness -> (H, W) uint8 mask, 255 where it is darker than the paper by FAINT_LINE of the
    ink threshold's margin. The pale lines of squared paper threshold into dashes, which do not look like lines;
    at this lower level they are whole."""
    paper, margin = paper_level_and_margin(darkness)
    _, faint = cv2.threshold(darkness, min(paper + FAINT_LINE * margin, 254), 255, cv2.THRESH_BINARY)
    return faint


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
    long_lines = [contour for contour in contours if cv2.boundingRect(contour)[along] >= LINE_MIN_SPAN * frame_span]
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
    line_level = _median_uint8(darkness[::2, ::2][line[::2, ::2] > 0])  # a quarter of the pixels is plenty
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


def close_gaps(mask: np.ndarray) -> np.ndarray:
    """(H, W) uint8 mask -> mask with one-pixel breaks in strokes bridged (a 3x3 closing)."""
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))


def ink_mask(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The whole stage: (H, W) uint8 gray -> (mask (H, W) uint8 255 = ink, darkness (H, W) uint8)."""
    darkness = ink_darkness(denoise(gray))
    mask = close_gaps(remove_ruled_lines(threshold_ink(darkness), darkness))
    return mask, darkness


def _odd(value: float) -> int:
    size = max(3, int(round(value)))
    return size if size % 2 else size + 1
