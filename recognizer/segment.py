"""From an ink mask to digit candidates: blobs of ink, fragments merged, implausible blobs dropped.

    blobs = find_digit_blobs(mask, darkness)        # mask: (H, W) uint8, 255 = ink
    blobs[0].box                                    # (x, y, w, h) in mask pixels
    ink = digit_ink(mask, blobs[0], darkness)       # (h, w) uint8 crop, white on black, this digit only
    images = digit_images(mask, darkness, blobs)    # (N, 28, 28) float32: each digit_ink, normalized

A blob is a connected component of ink, found by its outer contour (``cv2.findContours``; RETR_CCOMP rather
than RETR_EXTERNAL, so that digits inside the hole of a bigger blob, like a page inside the dark desk around
it, are still found). No step loops over pixels in Python. A digit is one blob, except when the pen left a
gap (a 5 or a 4 drawn in two strokes, a broken 1): blobs stacked on top of each other, overlapping
horizontally and close vertically, are merged. The candidates are generous: only what cannot be a digit at
all is dropped (a speck, a blob wider than two digits, one cut by the frame's edge, a sliver along the edge
between two regions, a box drawn around other writing). Whether a candidate is a digit, a letter, a symbol, a
shadow or a remnant of a line, the network decides: it has a class "not a digit", learnt from the candidates
this very stage finds on synthetic pages (``recognizer/training_data.py``).

The per-blob measures (the contours' boxes, the gaps between fragments) and the digits' normalization run in Numba
kernels, one call for all blobs (``recognizer/kernels/``: ``blobs.py``, ``digits.py``): on crops of a few thousand
pixels, the call overhead of a dozen NumPy and OpenCV calls per blob costs far more than the arithmetic.
``recognizer.naive`` holds the NumPy and OpenCV code each kernel stands for, the readable reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from recognizer.kernels import blobs as blob_kernels
from recognizer.kernels import digits as digit_kernels
from recognizer.normalize import DIGIT_BOX, INK_LEVEL, MAX_STROKE, MIN_STROKE, MNIST_CENTRE, MNIST_SIZE, quantile

Box = tuple[int, int, int, int]

MIN_HEIGHT = 0.025       # of the frame's shorter side: smaller blobs are specks, dust, paper texture
MIN_HEIGHT_PX = 8        # ...and never fewer pixels than this, whatever the frame
SPECK = 0.25             # blobs smaller than this x the least digit height both ways are not even fragments
MAX_BLOBS = 200          # more blobs than this is texture or noise: only the tallest are looked at
MAX_WIDTH_RATIO = 2.0    # width / height: wider blobs are words, lines, scribbles (two digits touching are ~1.5)
MIN_EDGE_STEEPNESS = 0.18  # of its darkness: pens step by 0.23 or more even blurred by 2 px, shadows by 0.1-0.17
CLOSE_UP = 0.3           # of the frame's height: a blob this tall may reach the frame's edge (a digit held close)...
EDGE_CONTACT = 0.5       # ...with a stroke's end: ink along half of its side on the edge is a desk or a shadow
THIN = 4.0               # a blob this many times longer than wide is a stroke or a sliver...
EDGE_SIDES = 0.75        # ...a sliver of an edge when one side of it is less than this fraction as bright
EDGE_SIDE_GAP = 3        # pixels between the blob and the strips either side of it that are compared...
EDGE_SIDE_WIDTH = 10     # ...at least this wide (twice the blob's width if more), their paper's median...
EDGE_INK = 0.6           # ...unless its own ink is darker than this fraction of the darker side: a pen's, not an edge's
RECTANGLE = 0.85         # an outline filling this much of the turned rectangle around it, holding another blob, is
                         # a box drawn around writing (a form's field), not a digit: a "0" fills at most ~0.8
MERGE_X_OVERLAP = 0.5    # fragments of one digit overlap horizontally by this much of the narrower,
MERGE_Y_GAP = 0.2        # are separated vertically by less than this much of a typical digit's height,
MERGE_MAX_HEIGHT = 1.4   # and together are not taller than this many typical digits (two rows are)


@dataclass(frozen=True, eq=False)
class Blob:
    """A candidate digit: box (x, y, w, h), the outer contours of its pieces ((K, 1, 2) int32 arrays) and, once
    known, its own ink: (h, w) bool, True on the pixels of its pieces inside the box (see ``own_ink``)."""
    box: Box
    contours: tuple[np.ndarray, ...]
    ink: np.ndarray | None = field(default=None, repr=False)


def find_blobs(mask: np.ndarray, min_size: float = 0) -> tuple[list[Blob], np.ndarray]:
    """mask: (H, W) uint8 -> (one blob per connected component of ink not touching the frame's edge and at
    least `min_size` pixels wide or tall, (P, 2) int32 the boundary points (outer and holes) of the components
    that do touch the edge). Reference: ``naive.find_blobs``."""
    blobs, edge, _ = find_components(mask, min_size)
    return blobs, edge


def find_components(mask: np.ndarray, min_size: float = 0,
                    min_edge_height: float | None = None) -> tuple[list[Blob], np.ndarray, np.ndarray]:
    """``find_blobs``, and (M, 4) int the boxes (x, y, w, h) of all the components, specks and those touching
    the edge included (a blob alone in its box has no other ink there: see ``own_inks``). With
    `min_edge_height` (pixels), the blobs are joined by the components touching the frame's edge that are at
    least that tall: a digit held close to the camera may reach the edge."""
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return [], np.zeros((0, 2), np.int32), np.zeros((0, 4), np.int64)
    parents = hierarchy[0, :, 3]  # -1 for a component's outer contour (one inside another's hole too)
    points = np.concatenate(contours).reshape(-1, 2)  # (P, 2) x, y: the contours one after the other
    boxes, kept, edge = np.empty((len(contours), 4), np.int64), np.empty(len(contours), np.int64), np.empty_like(points)
    n_kept, n_edge = blob_kernels.sort_contours(points, np.array([len(contour) for contour in contours]), parents,
                                                mask.shape, min_size, boxes, kept, edge)
    # tolist() turns the boxes into Python ints in one call (a Blob's box is a tuple of ints)
    blobs = [Blob(tuple(box), (contours[i],)) for i, box in zip(kept[:n_kept].tolist(), boxes[kept[:n_kept]].tolist())]
    if min_edge_height is not None and n_edge:
        x, y, w, h = boxes.T
        height, width = mask.shape
        at_edge = (parents < 0) & (h >= min_edge_height) & ((x == 0) | (y == 0) | (x + w == width) | (y + h == height))
        blobs += [Blob(tuple(boxes[i].tolist()), (contours[i],)) for i in np.flatnonzero(at_edge).tolist()]
    return blobs, edge[:n_edge], boxes[parents < 0]


def own_ink(mask: np.ndarray, blob: Blob) -> np.ndarray:
    """(h, w) bool: the ink of this blob's own pieces inside its box (not a neighbour's reaching in)."""
    if blob.ink is not None:
        return blob.ink
    x, y, w, h = blob.box
    inside = np.zeros((h, w), np.uint8)
    cv2.drawContours(inside, list(blob.contours), -1, 255, cv2.FILLED, offset=(-x, -y))
    return cv2.bitwise_and(inside, mask[y:y + h, x:x + w]) > 0


def own_inks(mask: np.ndarray, blobs: list[Blob], component_boxes: np.ndarray) -> list[np.ndarray]:
    """``own_ink`` of each blob; component_boxes: (M, 4) the boxes of all the mask's components (see
    ``find_components``).

    A blob of one piece whose box no other component's box overlaps has no one else's ink in its box: its own
    ink is all the ink there, and drawing its contour (the costly part, ~0.1 us per outline point) is skipped.
    (The filled contour holds every pixel of its component: OpenCV draws the outline itself, then fills inside.)
    """
    boxes = np.array([blob.box for blob in blobs]).reshape(-1, 4)[:, None]  # (N, 1, 4) against (M, 4)
    x, y, w, h = (boxes[..., k] for k in range(4))
    cx, cy, cw, ch = component_boxes.T
    overlapping = np.count_nonzero((cx < x + w) & (x < cx + cw) & (cy < y + h) & (y < cy + ch), axis=1)
    inks = []
    for blob, others in zip(blobs, overlapping.tolist()):
        x, y, w, h = blob.box
        alone = len(blob.contours) == 1 and others == 1  # its own box is the one overlapping
        inks.append(mask[y:y + h, x:x + w] > 0 if alone else own_ink(mask, blob))
    return inks


def outline(blob: Blob) -> np.ndarray:
    """(P, 2) int (x, y): the pixels on the outer boundaries of a blob's pieces, relative to its box."""
    return np.concatenate(blob.contours)[:, 0] - blob.box[:2]


def union(a: Box, b: Box) -> Box:
    """The smallest box holding boxes a and b."""
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (x0, y0, x1 - x0, y1 - y0)


def typical_height(blobs: list[Blob], min_height: float) -> float:
    """The upper-quartile height of the blobs tall enough to be digits: the page's handwriting size."""
    heights = [blob.box[3] for blob in blobs if blob.box[3] >= min_height]
    return quantile(np.array(heights), 0.75) if heights else min_height  # fragments pull a median down


def fragment_gaps(boxes: np.ndarray, digit_height: float, min_height: float) -> np.ndarray:
    """boxes: (N, 4) int (x, y, w, h) -> (N, N) float: the vertical gap between two blobs that look like pieces
    of one digit (negative if they overlap in y), inf for every other pair.

    Pieces are stacked (they share MERGE_X_OVERLAP of the narrower one's columns), close in y (a gap under
    MERGE_Y_GAP typical heights), together no taller than MERGE_MAX_HEIGHT typical digits and not too wide;
    at least one of them is digit-sized (two specks do not make a digit). Reference: ``naive.fragment_gaps``.
    """
    gaps = np.empty((len(boxes), len(boxes)))
    blob_kernels.fragment_gaps(np.asarray(boxes, np.float64).reshape(-1, 4), MERGE_X_OVERLAP,
                               MERGE_Y_GAP * digit_height, MERGE_MAX_HEIGHT * digit_height, MAX_WIDTH_RATIO,
                               float(min_height), gaps)
    return gaps


def without_boxes_around_others(blobs: list[Blob]) -> list[Blob]:
    """The blobs (each of one piece) but those that are boxes drawn or printed around writing, as a form's fields
    are: the outline a rectangle, filling RECTANGLE of the smallest turned rectangle around it (a "0" is round),
    holding another blob's box inside its own."""
    if len(blobs) < 2:
        return blobs
    boxes = np.array([blob.box for blob in blobs])
    left, top = boxes[:, 0], boxes[:, 1]
    right, bottom = left + boxes[:, 2], top + boxes[:, 3]
    holds = (left[:, None] < left) & (top[:, None] < top) & (right < right[:, None]) & (bottom < bottom[:, None])
    boxes_around = {i for i in np.flatnonzero(holds.any(axis=1)).tolist() if is_rectangle(blobs[i].contours[0])}
    return [blob for i, blob in enumerate(blobs) if i not in boxes_around] if boxes_around else blobs


def is_rectangle(contour: np.ndarray) -> bool:
    """Whether a contour (K, 1, 2) fills RECTANGLE of the smallest (turned) rectangle around it."""
    _, (width, height), _ = cv2.minAreaRect(contour)
    return cv2.contourArea(contour) >= RECTANGLE * width * height > 0


def merge_fragments(blobs: list[Blob], min_height: float) -> list[Blob]:
    """Merge pieces of one digit, closest pair first, until no pair qualifies (see ``fragment_gaps``)."""
    digit_height = typical_height(blobs, min_height)
    blobs = list(blobs)
    while len(blobs) > 1:
        gaps = fragment_gaps(np.array([blob.box for blob in blobs]), digit_height, min_height)
        closest = int(np.argmin(gaps))
        if gaps.flat[closest] == np.inf:
            break
        i, j = sorted(divmod(closest, len(blobs)))
        a, b = blobs[i], blobs[j]
        blobs[i] = Blob(union(a.box, b.box), a.contours + b.contours)
        del blobs[j]
    return blobs


def rejection_reason(box: Box, frame_shape: tuple[int, int], min_height: float = MIN_HEIGHT) -> str | None:
    """Why a blob's box (x, y, w, h) in a frame of (H, W) cannot be a handwritten digit at all; None if it can.

    Only what no digit can be is ruled out here: a speck, a blob wider than MAX_WIDTH_RATIO (a word, a line), one
    reaching across the frame from edge to edge (the desk, a shadow), one cut by the frame's edge (unless it is
    CLOSE_UP of the frame tall: a digit held close may reach an edge). Whether a plausible blob is a digit or a
    letter, a symbol or a shadow, the network decides (its class "not a digit"). min_height: the least digit height,
    of the shorter side.
    """
    x, y, w, h = box
    frame_h, frame_w = frame_shape
    if (x <= 0 and x + w >= frame_w) or (y <= 0 and y + h >= frame_h):
        return "across the frame: the desk, a shadow"
    if (x <= 0 or y <= 0 or x + w >= frame_w or y + h >= frame_h) and h < CLOSE_UP * frame_h:
        return "cut by the frame's edge"
    if h < max(MIN_HEIGHT_PX, min_height * min(frame_h, frame_w)):
        return "too small"
    if w > MAX_WIDTH_RATIO * h:
        return "too wide"
    return None


def is_plausible_digit(box: Box, frame_shape: tuple[int, int]) -> bool:
    """Whether a blob's box (x, y, w, h) in a frame of (H, W) can be a handwritten digit (see rejection_reason)."""
    return rejection_reason(box, frame_shape) is None


def runs_along_edge(mask: np.ndarray, box: Box) -> bool:
    """Whether the ink (H, W) uint8 in a box (x, y, w, h) that reaches the frame's edge covers more than
    EDGE_CONTACT of the box's side there: a desk, a shadow or a page's edge runs along the frame's edge, a digit
    held close only touches it with the ends of its strokes."""
    x, y, w, h = box
    height, width = mask.shape
    sides = [mask[y:y + h, 0] if x == 0 else None, mask[y:y + h, width - 1] if x + w == width else None,
             mask[0, x:x + w] if y == 0 else None, mask[height - 1, x:x + w] if y + h == height else None]
    return any(side is not None and np.count_nonzero(side) > EDGE_CONTACT * side.size for side in sides)


def on_region_edge(gray: np.ndarray, mask: np.ndarray, box: Box) -> bool:
    """Whether a thin blob (box (x, y, w, h), THIN times longer than wide) lies on the edge between two regions
    of different brightness in the frame's gray (H, W) uint8: the paper in a strip along one long side of it
    (its median where the mask (H, W) has no ink) is less than EDGE_SIDES as bright as in the other. A page's
    edge on a desk leaves such slivers of ink on the desk's side; a "1" on the page has paper on both sides,
    whatever ink or margin line lies beside it. A sliver is the edge itself, its tone that of the darker side or
    between the two; a "1" written along the edge of a shadow is pen ink, far darker than both (EDGE_INK). A
    straight edge passes through the box, so the strips, just outside it, are each on one side of the edge even
    when it is tilted.
    """
    x, y, w, h = box
    if w >= THIN * h:  # lying along the rows: the same test on the frame transposed
        return on_region_edge(gray.T, mask.T, (y, x, h, w))
    if h < THIN * w:
        return False
    width = max(EDGE_SIDE_WIDTH, 2 * w)
    strips = (np.s_[y:y + h, max(0, x - EDGE_SIDE_GAP - width):max(0, x - EDGE_SIDE_GAP)],
              np.s_[y:y + h, x + w + EDGE_SIDE_GAP:x + w + EDGE_SIDE_GAP + width])
    papers = [gray[strip][mask[strip] == 0] for strip in strips]
    if min(paper.size for paper in papers) == 0:
        return False
    darker, lighter = sorted(_median(paper) for paper in papers)
    if darker >= EDGE_SIDES * lighter:
        return False
    blob = np.s_[y:y + h, x:x + w]
    ink = gray[blob][mask[blob] > 0]
    return ink.size == 0 or _median(ink) >= EDGE_INK * darker


def _median(values: np.ndarray) -> float:
    """np.median of a non-empty 1-D array: the two middle values found by a partial sort (3x faster here)."""
    middle = np.partition(values, [(values.size - 1) // 2, values.size // 2])
    return (float(middle[(values.size - 1) // 2]) + float(middle[values.size // 2])) / 2


def edge_step(soft: np.ndarray, blob: Blob) -> float:
    """How steeply a blob's edge rises from the paper: the median darkness step across 3 pixels (a morphological
    gradient, 0-255) on its outline. soft: (h, w) uint8 darkness in the blob's box.

    A pen's edge goes from paper to ink within a pixel or two of optical blur, a shadow's over many pixels.
    On the synthetic benchmark, in focus, pen strokes step by 0.5-0.6 of their darkness, still 0.2-0.3 when
    blurred by a Gaussian of 3.5 px; shadows and page shading by 0.1-0.15 (see ``is_pen_edge``).
    Reference: ``naive.edge_step``.
    """
    height, width = soft.shape
    points = outline(blob).astype(np.int32)
    steps = np.zeros(1)
    blob_kernels.outline_steps(np.ascontiguousarray(soft), np.array([[0, 0, width, height]]), points,
                               np.array([len(points)]), steps)
    return float(steps[0])


def blob_tones(darkness: np.ndarray, blobs: list[Blob]) -> tuple[np.ndarray, np.ndarray]:
    """darkness: (H, W) uint8; N blobs with their ink (``own_ink``) -> ((N,) float the darkness of each blob's
    ink (its 90th percentile), (N,) float the ``edge_step`` of each). References: ``naive.ink_level`` and
    ``naive.edge_step``, blob by blob.
    """
    boxes = np.array([blob.box for blob in blobs])
    own = np.concatenate([blob.ink.ravel() for blob in blobs])
    points = np.concatenate([contour for blob in blobs for contour in blob.contours])[:, 0]
    lengths = np.array([sum(map(len, blob.contours)) for blob in blobs])  # outline points per blob
    levels, steps = np.zeros(len(blobs)), np.zeros(len(blobs))
    blob_kernels.ink_levels(darkness, boxes, own, 0.9, levels)
    blob_kernels.outline_steps(darkness, boxes, points, lengths, steps)
    return levels, steps


def is_pen_edge(level: float, step: float) -> bool:
    """Whether ink of darkness `level` (0-255) whose boundary steps by `step` (see ``edge_step``) is a pen's: a
    shadow's edge rises over many pixels, so its step is a small part of its darkness; a pen stroke's rises within
    its own width, a large part even when blurred by a camera out of focus. Normalized to 28x28, a soft shadow
    looks like a bold stroke: this the network cannot see, so it is decided here, generously."""
    return step >= MIN_EDGE_STEEPNESS * level


def find_digit_blobs(mask: np.ndarray, darkness: np.ndarray | None = None,
                     gray: np.ndarray | None = None, min_height: float = MIN_HEIGHT) -> list[Blob]:
    """(H, W) uint8 ink mask -> the candidate digits, top to bottom: generous on purpose.

    Every blob that could be a digit is a candidate (see ``rejection_reason``; a blob at least CLOSE_UP of the
    frame tall may reach the frame's edge: a digit held close): the network decides which are digits. Before that,
    what is known not to be a digit's own piece goes: with the frame's ``gray`` (H, W) uint8, thin slivers along the
    edge between a light and a dark region (a page's edge on a desk, see ``on_region_edge``), and boxes drawn around
    other blobs (a form's fields, see ``without_boxes_around_others``), both before fragments are merged (two
    slivers make a corner, a "7"; a box merged with the digit inside reads "0" or "8"). min_height: the least digit
    height, a fraction of the frame's shorter side (a zoomed-in read of a big photo looks for smaller writing:
    ``Recognizer.process``). With the frame's ``darkness`` (see ``preprocess.ink_darkness``), blobs whose edges are
    far too soft for a pen's are dropped too: shadows (see ``is_pen_edge``).
    """
    least_height = max(MIN_HEIGHT_PX, min_height * min(mask.shape))
    blobs, _, component_boxes = find_components(mask, SPECK * least_height, CLOSE_UP * mask.shape[0])
    tallest = sorted(blobs, key=lambda blob: -blob.box[3])[:MAX_BLOBS]
    if gray is not None:
        tallest = [blob for blob in tallest if not on_region_edge(gray, mask, blob.box)]
    blobs = merge_fragments(without_boxes_around_others(tallest), least_height)
    blobs = [blob for blob in blobs if rejection_reason(blob.box, mask.shape, min_height) is None
             and not runs_along_edge(mask, blob.box)]
    if gray is not None:  # the merged blobs: the others were looked at before merging
        blobs = [blob for blob in blobs if len(blob.contours) == 1 or not on_region_edge(gray, mask, blob.box)]
    blobs = [Blob(blob.box, blob.contours, ink) for blob, ink in zip(blobs, own_inks(mask, blobs, component_boxes))]
    if darkness is not None and blobs:
        levels, steps = (values.tolist() for values in blob_tones(darkness, blobs))
        blobs = [blob for blob, level, step in zip(blobs, levels, steps) if is_pen_edge(level, step)]
    return sorted(blobs, key=lambda blob: (blob.box[1], blob.box[0]))


def find_digit_boxes(mask: np.ndarray, darkness: np.ndarray | None = None,
                     gray: np.ndarray | None = None) -> list[Box]:
    """(H, W) uint8 ink mask -> boxes (x, y, w, h) of the blobs that look like digits (see ``find_digit_blobs``)."""
    return [blob.box for blob in find_digit_blobs(mask, darkness, gray)]


def digit_ink(mask: np.ndarray, blob: Blob, darkness: np.ndarray | None = None) -> np.ndarray:
    """The ink of one digit, white on black: (h, w) uint8 crop at the blob's box.

    Only this digit's own pieces are kept (parts of neighbours reaching into the box are dropped). With the
    ``darkness`` image (0 = paper, 255 = black ink) the ink keeps its soft, anti-aliased edges and thin gaps
    (like MNIST's), scaled so the strokes' core is 255; without it, the binary ink is used.
    """
    x, y, w, h = blob.box
    own = own_ink(mask, blob)
    ink = own.view(np.uint8) * np.uint8(255)
    if darkness is None or not own.any():
        return ink
    soft = darkness[y:y + h, x:x + w]
    core = quantile(soft[own], 0.75)
    floor = quantile(soft[mask[y:y + h, x:x + w] == 0], 0.5)  # 0 if the box is all ink
    gain = 255.0 / max(core - floor, 1.0)
    scaled = cv2.addWeighted(soft, gain, soft, 0.0, -gain * floor)  # (soft - floor) * gain, saturated to 0-255
    return cv2.bitwise_and(scaled, cv2.dilate(ink, np.ones((3, 3), np.uint8)))


def digit_images(mask: np.ndarray, darkness: np.ndarray | None, blobs: list[Blob]) -> np.ndarray:
    """mask: (H, W) uint8 ink mask (255 = ink); darkness: (H, W) uint8 (0 = paper, 255 = black ink) or None;
    blobs: N digit candidates -> (N, 28, 28) float32 in [0, 1], white on black: what the network reads.

    ``normalize_digit(digit_ink(mask, blob, darkness))`` for every blob (``naive.digit_images``), in one kernel
    call, ~10x faster; the same within rounding (see ``recognizer/kernels/digits.py``).
    """
    images = np.zeros((len(blobs), MNIST_SIZE, MNIST_SIZE), np.float32)
    if not blobs:
        return images
    own = np.concatenate([own_ink(mask, blob).ravel() for blob in blobs])  # cut pieces draw theirs here
    boxes = np.array([blob.box for blob in blobs], np.int64)
    no_darkness = np.zeros((0, 0), np.uint8)  # the kernel's stand-in for None: the binary ink is used
    digit_kernels.normalize_digits(mask, no_darkness if darkness is None else darkness, boxes, own.view(np.uint8),
                                   DIGIT_BOX, MIN_STROKE, MAX_STROKE, INK_LEVEL, MNIST_CENTRE, images)
    return images
