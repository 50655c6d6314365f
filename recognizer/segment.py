"""From an ink mask to digit candidates: blobs of ink, fragments merged, implausible blobs dropped.

    blobs = find_digit_blobs(mask, darkness)        # mask: (H, W) uint8, 255 = ink
    blobs[0].box                                    # (x, y, w, h) in mask pixels
    ink = digit_ink(mask, blobs[0], darkness)       # (h, w) uint8 crop, white on black, this digit only
    images = digit_images(mask, darkness, blobs)    # (N, 28, 28) float32: each digit_ink, normalized

A blob is a connected component of ink, found by its outer contour (``cv2.findContours``; RETR_CCOMP rather
than RETR_EXTERNAL, so that digits inside the hole of a bigger blob, like a page inside the dark desk around
it, are still found). No step loops over pixels in Python. A digit is one blob, except when the pen left a
gap (a 5 or a 4 drawn in two strokes, a broken 1): blobs stacked on top of each other, overlapping
horizontally and close vertically, are merged. What remains is kept only if it looks like a digit: not a
speck, not much larger or smaller than the page's handwriting, not a long thin line, not a solid patch, not
faint or soft-edged shading, not cut by (or hugging) the frame's edge, and not a sliver along the edge between
two regions (a page on a desk).

The per-blob measures (the contours' boxes, the gaps between fragments, each blob's darkness and edge
steepness) and the digits' normalization run in Numba kernels, one call for all blobs (``recognizer/kernels/``:
``blobs.py``, ``digits.py``): on crops of a few thousand pixels, the call overhead of a dozen NumPy and OpenCV
calls per blob costs far more than the arithmetic. ``recognizer.naive`` holds the NumPy and OpenCV code each
kernel stands for, the readable reference.
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
MAX_HEIGHT = 0.8         # of the frame's height: larger is a page edge, a hand, a shadow
MAX_WIDTH_RATIO = 2.0    # width / height: wider blobs are words, lines, scribbles (two digits touching are ~1.5)
MIN_FILL, MAX_FILL = 0.06, 0.85  # ink / box area: hollow outlines and solid patches are not pen strokes
BORDER_MARGIN = 2        # pixels: a blob this close to the frame's edge is cut off
EDGE_REACH = 0.025       # of the shorter side: blobs this close to ink touching the frame's edge go with it
MAX_TYPICAL_HEIGHT = 4.0  # a blob taller than this many typical digits of the page is not a digit...
MIN_TYPICAL_HEIGHT = 0.3  # ...nor one shorter than this fraction of them (a dot, a dash, a speck)
MIN_INK_DARKNESS = 0.22  # writing is at least this much darker than the paper around it (pencil included)
FAINT_INK = 0.6          # blobs with ink fainter than this fraction of the page's handwriting are not writing
MIN_EDGE_STEEPNESS = 0.2  # of its darkness: the edge of a pen stroke rises steeply even out of focus (see edge_step)
FAINT_AND_SOFT = 90, 32  # ink lighter than this (0-255) with edge steps under this is paper texture or show-through
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


def find_components(mask: np.ndarray, min_size: float = 0) -> tuple[list[Blob], np.ndarray, np.ndarray]:
    """``find_blobs``, and (M, 4) int the boxes (x, y, w, h) of all the components, specks and those touching
    the edge included (a blob alone in its box has no other ink there: see ``own_inks``)."""
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


def rejection_reason(box: Box, ink: int, frame_shape: tuple[int, int]) -> str | None:
    """Why a blob (box, ink pixels) in a frame of (H, W) cannot be a handwritten digit; None if it can."""
    return box_rejection_reason(box, frame_shape) or fill_rejection_reason(box, ink)


def fill_rejection_reason(box: Box, ink: int) -> str | None:
    """The reason of ``rejection_reason`` told by how much of the box (x, y, w, h) its `ink` pixels fill."""
    x, y, w, h = box
    fill = ink / float(w * h)
    if fill < MIN_FILL or (fill > MAX_FILL and w >= 0.35 * h):  # a "1" can be solid
        return "not strokes"
    return None


def box_rejection_reason(box: Box, frame_shape: tuple[int, int], min_height: float = MIN_HEIGHT) -> str | None:
    """The reasons of ``rejection_reason`` told by the box (x, y, w, h) alone, without counting the ink
    (min_height: the least digit height, a fraction of the frame's shorter side)."""
    x, y, w, h = box
    frame_h, frame_w = frame_shape
    if x <= BORDER_MARGIN or y <= BORDER_MARGIN or x + w >= frame_w - BORDER_MARGIN \
            or y + h >= frame_h - BORDER_MARGIN:
        return "cut by the frame's edge"
    if h < max(MIN_HEIGHT_PX, min_height * min(frame_h, frame_w)):
        return "too small"
    if h > MAX_HEIGHT * frame_h:
        return "too tall"
    if w > MAX_WIDTH_RATIO * h:
        return "too wide"
    return None


def is_plausible_digit(box: Box, ink_area: float, frame_shape: tuple[int, int]) -> bool:
    """Whether a blob (box, ink pixels) in a frame of (H, W) can be a handwritten digit."""
    return rejection_reason(box, int(ink_area), frame_shape) is None


def near_edge(edge_points: np.ndarray, box: Box, reach: float) -> bool:
    """Whether ink touching the frame's edge (a desk, a shadow, the page's rim; given by its boundary points
    (P, 2)) comes within `reach` pixels of the box: slivers just off such a region belong to it."""
    return bool(near_edges(edge_points, np.array([box]), reach)[0])


def near_edges(edge_points: np.ndarray, boxes: np.ndarray, reach: float) -> np.ndarray:
    """``near_edge`` for N boxes (N, 4) at once -> (N,) bool."""
    if len(edge_points) == 0:
        return np.zeros(len(boxes), bool)
    x, y, w, h = boxes.T[:, :, None]  # each (N, 1), against the points along the last axis
    px, py = edge_points[:, 0], edge_points[:, 1]
    return np.any((px >= x - reach) & (px < x + w + reach) & (py >= y - reach) & (py < y + h + reach), axis=1)


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
    """Whether ink of darkness `level` (0-255) whose boundary steps by `step` (see ``edge_step``) is a pen's.

    A shadow's edge rises over many pixels, so its step is a small part of its darkness; a pen stroke's rises
    within its own width, a large part even when blurred by a camera out of focus. Faint ink must also have a
    sharp edge: faint and soft together is paper texture, a fold or writing showing through from the back.
    """
    faint_level, soft_step = FAINT_AND_SOFT
    return step >= MIN_EDGE_STEEPNESS * level and (level >= faint_level or step >= soft_step)


def find_digit_blobs(mask: np.ndarray, darkness: np.ndarray | None = None,
                     gray: np.ndarray | None = None, min_height: float = MIN_HEIGHT) -> list[Blob]:
    """(H, W) uint8 ink mask -> the blobs that look like digits, top to bottom.

    With the frame's ``darkness`` (see ``preprocess.ink_darkness``), blobs that are not pen strokes by their
    tone are dropped too: their darkest ink (90th percentile, so that thin or blurred strokes are not judged by
    their grey edges) fainter than MIN_INK_DARKNESS or much fainter than the page's handwriting (shading at a
    page edge, show-through), or their edges soft for their darkness (shadows; see ``is_pen_edge``). With the
    frame's ``gray`` (H, W) uint8, thin blobs along the edge between a light and a dark region are dropped
    (see ``on_region_edge``), before merging too. Boxes drawn around other blobs, as a form's fields, are dropped
    before merging (see ``without_boxes_around_others``). min_height: the least digit height, a fraction of the
    frame's shorter side (a zoomed-in read of a big photo looks for smaller writing: see ``Recognizer.process``).
    """
    least_height = max(MIN_HEIGHT_PX, min_height * min(mask.shape))
    blobs, edge_points, component_boxes = find_components(mask, SPECK * least_height)
    tallest = sorted(blobs, key=lambda blob: -blob.box[3])[:MAX_BLOBS]
    if gray is not None:  # slivers of a page's edge go before they can be merged: two make a corner, a "7"
        tallest = [blob for blob in tallest if not on_region_edge(gray, mask, blob.box)]
    # Boxes around digits go too, before the digits inside are merged into them (and read as an "8" or "0").
    tallest = without_boxes_around_others(tallest)
    blobs = merge_fragments(tallest, least_height)
    if len(blobs) >= 3:
        height = typical_height(blobs, least_height)
        blobs = [b for b in blobs if MIN_TYPICAL_HEIGHT * height <= b.box[3] <= MAX_TYPICAL_HEIGHT * height]
    reach = EDGE_REACH * min(mask.shape)
    if blobs:
        near = near_edges(edge_points, np.array([blob.box for blob in blobs]), reach)
        blobs = [blob for blob, near_it in zip(blobs, near.tolist()) if not near_it]
    # What the box alone rules out first: finding a blob's own ink (drawing its contours) costs more.
    blobs = [blob for blob in blobs if box_rejection_reason(blob.box, mask.shape, min_height) is None]
    if gray is not None:  # the merged blobs: the others were looked at before merging
        blobs = [blob for blob in blobs if len(blob.contours) == 1 or not on_region_edge(gray, mask, blob.box)]
    blobs = [Blob(blob.box, blob.contours, ink) for blob, ink in zip(blobs, own_inks(mask, blobs, component_boxes))]
    blobs = [blob for blob in blobs if fill_rejection_reason(blob.box, int(np.count_nonzero(blob.ink))) is None]
    if darkness is not None and blobs:
        levels, steps = (values.tolist() for values in blob_tones(darkness, blobs))
        page = quantile(np.array(levels), 0.5) if len(blobs) >= 3 else 0.0
        limit = max(FAINT_INK * page, MIN_INK_DARKNESS * 255)
        blobs = [blob for blob, level, step in zip(blobs, levels, steps)
                 if level >= limit and is_pen_edge(level, step)]
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
