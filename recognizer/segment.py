"""From an ink mask to digit candidates: external contours, fragments merged, implausible blobs dropped.

    boxes = find_digit_boxes(mask)        # mask: (H, W) uint8, 255 = ink -> [(x, y, w, h), ...]

A digit is one connected blob of ink, except when the pen left a gap (a 5 or a 4 drawn in two strokes, a
broken 1): blobs stacked on top of each other, overlapping horizontally and close vertically, are merged.
What remains is kept only if it looks like a digit: not a speck, not larger than a digit on a page can be,
not a long thin line, not a solid patch, and not cut by the edge of the frame (a digit half out of view
would be misread).
"""
from __future__ import annotations

import cv2
import numpy as np

from recognizer.normalize import quantile

Box = tuple[int, int, int, int]

MIN_HEIGHT = 0.025       # of the frame's shorter side: smaller blobs are specks, dust, paper texture
MIN_HEIGHT_PX = 8        # ...and never fewer pixels than this, whatever the frame
MAX_HEIGHT = 0.8         # of the frame's height: larger is a page edge, a hand, a shadow
MAX_WIDTH_RATIO = 1.6    # width / height: wider blobs are words, lines, scribbles (a wide 7 or 4 is ~1.3)
MIN_FILL, MAX_FILL = 0.06, 0.85  # ink / box area: hollow outlines and solid patches are not pen strokes
BORDER_MARGIN = 2        # pixels: a blob this close to the frame's edge is cut off
EDGE_REACH = 0.05        # of the shorter side: blobs this close to ink touching the frame's edge go with it
MAX_TYPICAL_HEIGHT = 2.5  # a blob taller than this many typical digits of the page is not a digit...
MIN_TYPICAL_HEIGHT = 0.3  # ...nor one shorter than this fraction of them (a dot, a dash, a speck)
MIN_INK_DARKNESS = 0.22  # writing is at least this much darker than the paper around it (pencil included)
FAINT_INK = 0.6          # blobs with ink fainter than this fraction of the page's handwriting are not writing
SPLIT_WIDTH_RATIO = 1.1  # width / height above which a blob is taken for digits written touching
MERGE_X_OVERLAP = 0.5    # fragments of one digit overlap horizontally by this much of the narrower,
MERGE_Y_GAP = 0.2        # are separated vertically by less than this much of a typical digit's height,
MERGE_MAX_HEIGHT = 1.4   # and together are not taller than this many typical digits (two rows are)


def external_blobs(mask: np.ndarray) -> list[tuple[Box, float]]:
    """(H, W) uint8 mask -> [(box, ink area in pixels)] for every external contour."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    blobs = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        blobs.append(((x, y, w, h), float(cv2.countNonZero(mask[y:y + h, x:x + w]))))
    return blobs


def union(a: Box, b: Box) -> Box:
    """The smallest box holding boxes a and b."""
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (x0, y0, x1 - x0, y1 - y0)


def are_fragments(a: Box, b: Box, digit_height: float) -> bool:
    """Whether two blobs look like pieces of one digit whose typical height on this page is ``digit_height``:
    stacked, overlapping in x, close in y, and together no taller than one digit."""
    x_overlap = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    if x_overlap < MERGE_X_OVERLAP * min(a[2], b[2]):
        return False
    joint = union(a, b)
    y_gap = max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3])  # negative when they overlap vertically
    return (y_gap < MERGE_Y_GAP * digit_height and joint[3] <= MERGE_MAX_HEIGHT * digit_height
            and joint[2] <= MAX_WIDTH_RATIO * joint[3])


def typical_height(blobs: list[tuple[Box, float]], min_height: float) -> float:
    """The upper-quartile height of the blobs tall enough to be digits: the page's handwriting size."""
    heights = [box[3] for box, _ in blobs if box[3] >= min_height]
    return float(np.percentile(heights, 75)) if heights else min_height  # fragments pull a median down


def merge_fragments(blobs: list[tuple[Box, float]], min_height: float) -> list[tuple[Box, float]]:
    """Merge pieces of one digit until no pair qualifies; pieces below ``min_height`` (dots, noise) only
    join a larger blob, they never start a digit on their own."""
    digit_height = typical_height(blobs, min_height)
    blobs = sorted(blobs, key=lambda blob: -blob[0][3])  # tallest first: small pieces join big ones
    merged = True
    while merged:
        merged = False
        for i in range(len(blobs)):
            for j in range(i + 1, len(blobs)):
                if are_fragments(blobs[i][0], blobs[j][0], digit_height) and max(blobs[i][0][3], blobs[j][0][3]) >= min_height:
                    blobs[i] = (union(blobs[i][0], blobs[j][0]), blobs[i][1] + blobs[j][1])
                    del blobs[j]
                    merged = True
                    break
            if merged:
                break
    return blobs


def is_plausible_digit(box: Box, ink_area: float, frame_shape: tuple[int, int]) -> bool:
    """Whether a blob (box, ink pixels) in a frame of (H, W) can be a handwritten digit."""
    x, y, w, h = box
    frame_h, frame_w = frame_shape
    if h < max(MIN_HEIGHT_PX, MIN_HEIGHT * min(frame_h, frame_w)) or h > MAX_HEIGHT * frame_h:
        return False
    if w > MAX_WIDTH_RATIO * h:
        return False
    fill = ink_area / float(w * h)
    if not MIN_FILL <= fill <= MAX_FILL and not (w < 0.35 * h and fill > MIN_FILL):  # a "1" can be solid
        return False
    touches_border = (x <= BORDER_MARGIN or y <= BORDER_MARGIN or x + w >= frame_w - BORDER_MARGIN
                      or y + h >= frame_h - BORDER_MARGIN)
    return not touches_border


def remove_border_blobs(mask: np.ndarray) -> np.ndarray:
    """(H, W) uint8 mask -> a copy without the blobs that touch the frame's edge.

    They are never digits we can read (a digit cut by the edge is misread), and a dark desk or shadow around
    the page is one of them: as an external contour it would enclose, and so hide, every digit on the page.
    """
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    if count <= 1:
        return mask
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    edge = edge[edge != 0]
    if edge.size == 0:
        return mask
    # Slivers just off such a region (the page's own edge, the rim of a shadow) go with it.
    reach = max(3, round(EDGE_REACH * min(mask.shape))) | 1
    is_edge = np.zeros(count, dtype=np.uint8)
    is_edge[edge] = 255
    near_edge = cv2.dilate(is_edge[labels], np.ones((reach, reach), np.uint8))
    keep = np.full(count, 255, dtype=np.uint8)
    keep[np.unique(labels[(near_edge > 0) & (labels > 0)])] = 0
    keep[0] = 0
    return keep[labels]


def split_touching(mask: np.ndarray, box: Box, digit_height: float) -> list[Box]:
    """Cut a blob of digits written touching each other into single digits.

    A blob of digit height but wider than SPLIT_WIDTH_RATIO heights holds about n = w / (0.7 h) digits. It
    is cut at the column of least ink near where the first digit should end (w / n): where two digits
    touch, only a stroke or two cross, and looking near that place keeps the cut out of a digit's own loop.
    Pieces are cut again until every one is narrow enough; each piece's box is shrunk to its own ink.
    """
    x, y, w, h = box
    if w <= SPLIT_WIDTH_RATIO * h or not 0.6 * digit_height <= h <= 1.6 * digit_height:
        return [box]
    columns = np.count_nonzero(mask[y:y + h, x:x + w], axis=0)
    expected = w / max(2, round(w / (0.7 * h)))
    window = slice(max(1, int(expected - 0.2 * h)), min(w - 1, int(expected + 0.2 * h) + 1))
    if window.start >= window.stop:
        return [box]
    cut = window.start + int(np.argmin(columns[window]))
    pieces = []
    for left, right in ((0, cut), (cut, w)):
        rows = np.flatnonzero(mask[y:y + h, x + left:x + right].any(axis=1))
        if rows.size and right > left:
            piece = (x + left, y + int(rows[0]), right - left, int(rows[-1] - rows[0] + 1))
            pieces += split_touching(mask, piece, digit_height)
    return pieces


def faint_boxes(boxes: list[Box], mask: np.ndarray, darkness: np.ndarray) -> set[Box]:
    """The boxes whose ink is too faint to be writing: fainter than MIN_INK_DARKNESS, or much fainter than the
    page's handwriting (shading at a page edge or under a fold, ghosts, show-through from the other side).
    Ink darkness is the median over the blob's ink of ``darkness`` (0 = paper, 255 = black); the page's
    handwriting is the median over all blobs, when there are enough of them to tell."""
    levels = [float(np.median(_crop(darkness, box)[_crop(mask, box) > 0])) for box in boxes]
    page = float(np.median(levels)) if len(boxes) >= 3 else 0.0
    limit = max(FAINT_INK * page, MIN_INK_DARKNESS * 255)
    return {box for box, level in zip(boxes, levels) if level < limit}


def find_digit_boxes(mask: np.ndarray, darkness: np.ndarray | None = None) -> list[Box]:
    """(H, W) uint8 ink mask -> boxes (x, y, w, h) of the blobs that look like digits. With the frame's
    ``darkness`` (see ``preprocess.ink_darkness``), blobs much fainter than the page's handwriting are
    dropped too."""
    min_height = max(MIN_HEIGHT_PX, MIN_HEIGHT * min(mask.shape))
    mask = remove_border_blobs(mask)
    blobs = merge_fragments(external_blobs(mask), min_height)
    digit_height = typical_height(blobs, min_height)
    tallest, shortest = (MAX_TYPICAL_HEIGHT * digit_height, MIN_TYPICAL_HEIGHT * digit_height) \
        if len(blobs) >= 3 else (np.inf, 0)
    pieces = [piece for box, _ in blobs for piece in split_touching(mask, box, digit_height)]
    boxes = [box for box in pieces if shortest <= box[3] <= tallest
             and is_plausible_digit(box, float(cv2.countNonZero(_crop(mask, box))), mask.shape)]
    faint = faint_boxes(boxes, mask, darkness) if darkness is not None else set()
    return [box for box in boxes if box not in faint]


def _crop(image: np.ndarray, box: Box) -> np.ndarray:
    x, y, w, h = box
    return image[y:y + h, x:x + w]


def digit_ink(mask: np.ndarray, box: Box, darkness: np.ndarray | None = None) -> np.ndarray:
    """The ink of one digit, white on black: (h, w) uint8 crop at ``box``.

    Only this digit's own blobs are kept (pieces of neighbours reaching into the box are dropped). With the
    ``darkness`` image (0 = paper, 255 = black ink) the ink keeps its soft, anti-aliased edges and thin gaps
    (like MNIST's), scaled so the strokes' core is 255; without it, the binary mask is used.
    """
    x, y, w, h = box
    crop = mask[y:y + h, x:x + w]
    contours, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    own = np.zeros_like(crop)
    for contour in contours:
        cx, cy, cw, ch = cv2.boundingRect(contour)
        if cw * ch >= 0.05 * w * h or (cx > 0 and cy > 0 and cx + cw < w and cy + ch < h):
            cv2.drawContours(own, [contour], -1, 255, thickness=cv2.FILLED)
    ink = cv2.bitwise_and(crop, own)
    if darkness is None or not ink.any():
        return ink
    soft = darkness[y:y + h, x:x + w].astype(np.float32)
    core = quantile(soft[ink > 0], 0.75)
    background = soft[own == 0]
    floor = quantile(background, 0.5) if background.size else 0.0
    scaled = np.clip((soft - floor) / max(core - floor, 1.0), 0, 1) * 255
    near_ink = cv2.dilate(ink, np.ones((3, 3), np.uint8))
    return np.where(near_ink > 0, scaled, 0).astype(np.uint8)


__all__ = ["find_digit_boxes", "remove_border_blobs", "digit_ink", "external_blobs", "merge_fragments", "is_plausible_digit", "union",
           "are_fragments"]
