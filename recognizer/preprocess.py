"""From a camera frame to a binary ink mask: grayscale, denoise, threshold, morphology.

Every stage is a small function of images, so each can be called and looked at alone:

    gray = to_gray(frame)                       # any image array -> (H, W) uint8
    small, scale = to_working_size(gray, 640)   # every frame is processed at one working size
    if is_light_on_dark(small):                 # chalk on a blackboard, white digits on black as in MNIST
        small = cv2.bitwise_not(small)          # ...are read as dark ink on light paper
    clean = denoise(small)
    darkness = ink_darkness(clean)              # 0 = paper, 255 = black ink, whatever the lighting
    mask = threshold_ink(darkness)              # 255 = ink
    # (ink_mask also fills strokes broader than the background's kernel: see fill_broad_strokes)
    mask = remove_ruled_lines(mask, darkness, faint_ink(darkness))  # printed lines are not ink to read
    mask = close_gaps(mask)

Why divide by the background: a camera sees reflectance x illumination. Dividing the image by an
estimate of the blank paper under the same light (a morphological closing, which erases strokes
thinner than its kernel) cancels the illumination, so shadows and gradients disappear and one
threshold, set from the paper's own noise, works everywhere in the frame.
"""
from __future__ import annotations

import cv2
import numpy as np

from recognizer.kernels import paper as paper_kernels
from recognizer.ruled_lines import remove_ruled_lines

# Sizes are fractions of the frame's shorter side, so the pipeline behaves the same at any resolution.
BACKGROUND_KERNEL = 0.10   # wider than any pen stroke, narrower than shadows and page regions
BACKGROUND_SUBSAMPLE = 2   # the background is smooth: estimated on a 2x smaller image (4x blurs page edges)
BROAD_KERNEL = 0.3         # strokes broader than the background kernel (a marker held close) are seen at this scale...
BROAD_SUBSAMPLE = 4        # ...on an image 4x smaller than the background's...
BROAD_INK = 0.5            # ...where the background is less than half the broad scale's, in a region the paper
BROAD_OUTLINE = 0.5        # encloses, with ink in this much of the cells on its edge (the stroke's outline)
MIN_INK_CONTRAST = 0.12    # ink is at least 12% darker than the paper under the same light...
NOISE_SIGMAS = 5.0         # ...and darker than the paper's own noise could make it...
MAX_INK_MARGIN = 0.25      # ...up to 25%: darker is ink, however noisy the rest of the frame (a wooden desk)
HALF_PEAK = 0.5            # a blurred stroke ends where its darkness falls to this fraction of its peak
HALF_PEAK_REACH = 0.015    # ...of the darkest ink this near (a fraction of the shorter side: a stroke's width)
FAINT_LINE = 0.75          # lines are looked for in ink this fraction of the ink threshold's margin darker
POLARITY_SAMPLE = 60       # the writing's polarity is judged on about this many rows of pixels...
POLARITY_CONTRAST = 8      # ...from how far (0-255) they stand out from their neighbourhood's median...
LIGHT_ON_DARK = 2.0        # ...light on dark when the light ones outweigh the dark ones this many times...
MIN_LIGHT_WRITING = 0.2    # ...and stand out by this much per sampled pixel on average (not a few specks)


def to_gray(frame: np.ndarray) -> np.ndarray:
    """Any image array -> (H, W) uint8 grayscale.

    Accepts (H, W), (H, W, 1), (H, W, 3) BGR, (H, W, 4) BGRA and (H, W, 2) gray+alpha, of any real dtype:
    uint8 as is, uint16 scaled by 1/257, floats in [0, 1] scaled by 255 (floats beyond 1 taken as 0-255),
    bool as 0/255. NaN and inf become 0 or 255. Transparent parts are filled to contrast with the writing
    (``flatten_alpha``). Raises TypeError/ValueError for anything that is not an image.
    """
    if not isinstance(frame, np.ndarray):
        hint = " (a failed camera read returns None)" if frame is None else ""
        raise TypeError(f"frame must be a numpy array holding an image, got {type(frame).__name__}{hint}")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] not in (2, 3, 4)):
        raise ValueError(f"frame must have shape (H, W), (H, W, 3) BGR or (H, W, 4) BGRA, got {frame.shape}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"frame is empty (shape {frame.shape}); it holds no pixels to look at")
    frame = np.ascontiguousarray(to_uint8(frame))
    if frame.ndim == 3 and frame.shape[2] in (2, 4):
        frame = flatten_alpha(frame)
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def flatten_alpha(image: np.ndarray) -> np.ndarray:
    """(H, W, 4) BGRA or (H, W, 2) gray+alpha, uint8 -> (H, W, 3) BGR or (H, W) gray: the transparent parts
    filled with a ground that contrasts with the opaque ones, white under dark writing and black under light.

    A drawing saved with a transparent background may store any colour there, often black under black
    strokes: read as it is, it would show nothing. The opaque pixels are the writing; their median tells its
    tone. Fully opaque images (a camera's BGRA) come back unchanged but for the alpha channel.
    """
    colour, alpha = image[:, :, :-1], image[:, :, -1]
    colour = colour[:, :, 0] if colour.shape[2] == 1 else np.ascontiguousarray(colour)
    if alpha.min() == 255:
        return colour
    tone = colour if colour.ndim == 2 else cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)
    writing = tone[alpha >= 128]
    ground = 255 if writing.size == 0 or np.median(writing) < 128 else 0
    opacity = alpha.astype(np.uint16)[:, :, None] if colour.ndim == 3 else alpha.astype(np.uint16)
    blend = colour * opacity + ground * (255 - opacity)  # at most 255 * 255: fits in uint16
    return ((blend + 127) // 255).astype(np.uint8)


def to_uint8(frame: np.ndarray) -> np.ndarray:
    """An image of any real dtype -> uint8, scaled as ``to_gray`` describes (channels kept)."""
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


def is_light_on_dark(gray: np.ndarray) -> bool:
    """(H, W) uint8 -> True when the writing is light on a dark ground (chalk on a blackboard, white digits on
    black as MNIST's own) rather than dark ink on light paper.

    Most of a page is its ground, so the median of a pixel's neighbourhood is the ground's level there, and
    writing stands out from it on one side: darker for ink on paper, lighter for chalk. The light side must
    clearly outweigh the dark one, summed over a sample of about POLARITY_SAMPLE rows (every pixel would tell
    no more). Straight edges (a shadow's, the page's) leave no trace, as the median follows them, and paper
    texture and noise weigh about the same on both sides. The corners of a light page on a dark desk, and the
    narrow tips of light between shadows, do stand out from the dark median around them; but they lie next to
    ground as light as they are (the rest of the page), and writing does not.
    """
    step = max(1, round(min(gray.shape) / POLARITY_SAMPLE))
    sample = np.ascontiguousarray(gray[step // 2::step, step // 2::step])
    if min(sample.shape) < 5:
        return False
    ground = cv2.medianBlur(sample, 5)  # 5 sampled pixels: about 8% of the shorter side, wider than strokes
    darker = cv2.subtract(cv2.subtract(ground, sample), POLARITY_CONTRAST)  # how far beyond the contrast; >= 0
    lighter = cv2.subtract(cv2.subtract(sample, ground), POLARITY_CONTRAST)
    dark = cv2.sumElems(darker)[0]

    def outweighs(light: float) -> bool:
        return light > LIGHT_ON_DARK * dark and light > MIN_LIGHT_WRITING * sample.size

    if not outweighs(cv2.sumElems(lighter)[0]):
        return False  # leaving out the corners below could only lower the light side's sum
    ground_only = cv2.bitwise_and(sample, cv2.compare(lighter, 0, cv2.CMP_EQ))
    brightest_ground = cv2.dilate(ground_only, np.ones((5, 5), np.uint8))  # within 2 sampled pixels
    apart = cv2.compare(brightest_ground, cv2.subtract(sample, POLARITY_CONTRAST), cv2.CMP_LT)  # not a corner
    return outweighs(cv2.sumElems(cv2.bitwise_and(lighter, apart))[0])


def denoise(gray: np.ndarray) -> np.ndarray:
    """(H, W) uint8 -> (H, W) uint8: a light Gaussian blur takes the sensor noise off single pixels."""
    return cv2.GaussianBlur(gray, (3, 3), 0)


def estimate_background(gray: np.ndarray) -> np.ndarray:
    """(H, W) uint8 -> (H, W) uint8: the paper as it would look without ink, under the same light.

    A closing (max filter, then min filter) replaces every dark feature narrower than the kernel by its
    surroundings, and keeps large regions (shadows, the desk around the page) and their edges. It keeps a stroke
    broader than the kernel too (a marker on a sheet held close): ``ink_mask`` then fills it
    (``fill_broad_strokes``). The background is smooth: it is estimated on a smaller copy (``half_size``).
    """
    return full_size(paper_closing(half_size(gray)), gray.shape)


def half_size(gray: np.ndarray) -> np.ndarray:
    """(H, W) uint8 -> the image BACKGROUND_SUBSAMPLE times smaller (averaging pixels), or as it is if tiny."""
    return gray if min(gray.shape) < 16 * BACKGROUND_SUBSAMPLE else smaller(gray, BACKGROUND_SUBSAMPLE)


def paper_closing(gray: np.ndarray, kernel: float = BACKGROUND_KERNEL) -> np.ndarray:
    """(h, w) uint8 -> its closing with a square `kernel` times its shorter side (odd, at least 3 pixels)."""
    size = _odd(kernel * min(gray.shape))
    element = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    return cv2.morphologyEx(gray, cv2.MORPH_CLOSE, element, borderType=cv2.BORDER_REPLICATE)


def full_size(background: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A ``paper_closing`` of the ``half_size`` image -> (H, W) uint8 of `shape`: blurred a little, resized up."""
    return cv2.resize(cv2.blur(background, (3, 3)), (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def fill_broad_strokes(small: np.ndarray, background: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """small: (h, w) uint8 the ``half_size`` image, background: its ``paper_closing``, mask: (H, W) uint8 the ink
    thresholded on that background -> the background with the paper around them put inside strokes broader
    than its kernel, or None if there are none.

    The closing keeps such a stroke as if it were paper: only a thin outline of it is ink, where the background,
    blurred, is lighter. Inside, the background is much darker than a closing BROAD_KERNEL wide, which reaches
    the paper around the stroke. So it is on the desk around a page and in deep shadows; but the desk, and the
    shadows cast from beyond the frame, reach (or nearly reach) the frame's edge, and a shadow's soft edge leaves
    no outline of ink all round it. A region nowhere 3 cells broad is a sliver, not the inside of a stroke.
    Looked for on a 4 times smaller image still (``smaller``), in cells of 8x8 pixels: the strokes are broad.
    """
    if min(small.shape) < 16 * BROAD_SUBSAMPLE:
        return None
    paper = paper_closing(smaller(small, BROAD_SUBSAMPLE), BROAD_KERNEL)
    usual = smaller(background, BROAD_SUBSAMPLE)
    darker = cv2.compare(usual, cv2.convertScaleAbs(paper, alpha=BROAD_INK), cv2.CMP_LT)
    if not cv2.countNonZero(darker):
        return None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(darker, connectivity=8)
    ink_cells = None
    strokes = np.zeros_like(darker)
    square = np.ones((3, 3), np.uint8)
    for label in range(1, count):
        x, y, w, h = stats[label, :4]
        if min(x, y) <= 1 or x + w >= darker.shape[1] - 1 or y + h >= darker.shape[0] - 1:
            continue  # it reaches the frame's edge, or nearly (a strip of desk along it)
        region = (labels == label).view(np.uint8)
        inside = cv2.erode(region, square)
        if not cv2.countNonZero(inside):
            continue  # nowhere 3 cells broad: a sliver, not the inside of a broad stroke
        if ink_cells is None:  # any ink in the cell
            ink_cells = smaller(mask, BACKGROUND_SUBSAMPLE * BROAD_SUBSAMPLE) > 0
        outline = cv2.subtract(cv2.dilate(region, square), inside) > 0  # the cells on its edge, both sides
        if np.count_nonzero(ink_cells[outline]) >= BROAD_OUTLINE * np.count_nonzero(outline):
            strokes[region > 0] = 255
    if not cv2.countNonZero(strokes):
        return None
    size = (small.shape[1], small.shape[0])
    strokes = cv2.resize(cv2.dilate(strokes, square), size, interpolation=cv2.INTER_NEAREST)  # and their edges
    paper = cv2.resize(paper, size, interpolation=cv2.INTER_LINEAR)
    return np.where(strokes > 0, cv2.max(background, paper), background)


def smaller(image: np.ndarray, factor: int) -> np.ndarray:
    """(H, W) uint8 -> (H // factor, W // factor), each pixel the mean of the factor x factor pixels it covers;
    factor a power of 2, halved at a time (OpenCV averages 2x2 pixels several times faster than 4x4 or 8x8)."""
    while factor > 1:
        image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
        factor //= 2
    return image


def ink_darkness(gray: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
    """(H, W) uint8 -> (H, W) uint8 darkness = 255 * (1 - gray / background): 0 for paper, 255 for black.

    Dividing by the background removes the illumination, so ink in a shadow is as dark as ink in the light.
    """
    if background is None:
        background = estimate_background(gray)
    reflectance = cv2.divide(gray, cv2.max(background, 1), scale=255)  # saturates at 255 (brighter than paper)
    return cv2.bitwise_not(reflectance)  # 255 - reflectance


def threshold_ink(darkness: np.ndarray, levels: tuple[float, float] | None = None) -> np.ndarray:
    """(H, W) uint8 darkness -> (H, W) uint8 mask, 255 where there is ink. levels: the frame's
    ``paper_level_and_margin``, when already measured.

    Two conditions, both adaptive. Against the paper: darker than its typical level (the median, since most
    of a page is blank) by the larger of a minimum ink contrast and several times the paper's noise (robust
    spread). Against the nearby stroke: at least half as dark as the darkest ink within a few pixels. A
    blurred stroke's edge is where its darkness falls to half its peak, so this keeps strokes their true
    width, whatever the pen and the focus, and keeps small loops (of 6, 8, 9) and gaps between digits open.
    """
    paper, margin = levels if levels is not None else paper_level_and_margin(darkness)
    size = _odd(HALF_PEAK_REACH * min(darkness.shape))
    peak = cv2.dilate(darkness, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    half_peak = cv2.convertScaleAbs(peak, alpha=HALF_PEAK, beta=(1 - HALF_PEAK) * round(paper))
    # Both conditions in one comparison: "darker than the level" is ">= its floor + 1" for whole numbers.
    darker_than_paper = int(min(paper + margin, 254)) + 1
    return cv2.compare(darkness, cv2.max(half_peak, darker_than_paper), cv2.CMP_GE)  # cv2.max: 5x np.maximum


def paper_level_and_margin(darkness: np.ndarray) -> tuple[float, float]:
    """(H, W) uint8 darkness -> (the paper's level, how much darker than it ink must be), in 0-255 units.

    The paper's level is the median darkness of a sample of pixels (every 4th row and column), as most of a
    page is paper. The margin is several times the paper's noise (``ink_margin``),
    measured as the median absolute deviation from that level. Both come from one histogram of the sample, in
    one kernel call (``recognizer/kernels/paper.py``; the NumPy version: ``naive.paper_level_and_margin``).
    """
    paper, deviation = paper_kernels.level_and_spread(darkness, 4)
    noise_sigma = 1.4826 * deviation  # the MAD of Gaussian noise is 0.6745 sigma
    return paper, ink_margin(noise_sigma)


def ink_margin(noise_sigma: float) -> float:
    """How much darker than the paper ink must be (0-255), given the paper's noise: NOISE_SIGMAS times it, at
    least MIN_INK_CONTRAST and at most MAX_INK_MARGIN (a desk of wood or cloth around a page, a large part of the
    frame, makes the measured noise far more than the paper's own; the network rejects what that lets in)."""
    return min(max(255 * MIN_INK_CONTRAST, NOISE_SIGMAS * noise_sigma), 255 * MAX_INK_MARGIN)


def faint_ink(darkness: np.ndarray, levels: tuple[float, float] | None = None) -> np.ndarray:
    """(H, W) uint8 darkness -> (H, W) uint8 mask, 255 where it is darker than the paper by FAINT_LINE of the
    ink threshold's margin (levels: as for ``threshold_ink``). The pale lines of squared paper threshold into
    dashes, which do not look like lines; at this lower level they are whole."""
    paper, margin = levels if levels is not None else paper_level_and_margin(darkness)
    _, faint = cv2.threshold(darkness, min(paper + FAINT_LINE * margin, 254), 255, cv2.THRESH_BINARY)
    return faint


def close_gaps(mask: np.ndarray) -> np.ndarray:
    """(H, W) uint8 mask -> mask with one-pixel breaks in strokes bridged (a 3x3 closing)."""
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))


def ink_mask(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The whole stage: (H, W) uint8 gray -> (mask (H, W) uint8 255 = ink, darkness (H, W) uint8 of the ink,
    whichever its polarity: light writing on a dark ground is turned dark on light first)."""
    if is_light_on_dark(gray):
        gray = cv2.bitwise_not(gray)
    clean = denoise(gray)
    small = half_size(clean)
    background = paper_closing(small)
    darkness = ink_darkness(clean, full_size(background, clean.shape))
    levels = paper_level_and_margin(darkness)
    mask = threshold_ink(darkness, levels)
    filled = fill_broad_strokes(small, background, mask)
    if filled is not None:  # a marker held close: thresholded again, with the paper's level inside its strokes
        darkness = ink_darkness(clean, full_size(filled, clean.shape))
        levels = paper_level_and_margin(darkness)
        mask = threshold_ink(darkness, levels)
    mask = close_gaps(remove_ruled_lines(mask, darkness, faint_ink(darkness, levels)))
    return mask, darkness


def _odd(value: float) -> int:
    size = max(3, int(round(value)))
    return size if size % 2 else size + 1
