"""Reading a page: group digits into rows, and read each row left to right.

A sheet held in front of a camera is rarely level, so the rows' tilt is measured first (the median direction
from each digit to its nearest neighbour on the right) and the boxes are turned level. Then two digits are in
the same row when their vertical extents overlap by at least half of the smaller one; the row a digit joins
is compared with its nearest member horizontally, so a row that bends a little still holds together.

It is all plain Python on lists of boxes: a page holds a few dozen boxes at most, and on arrays that small
NumPy's cost per call is more than these loops take.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

ROW_OVERLAP = 0.5  # fraction of the smaller height two digits of one row share vertically
MAX_TILT = math.tan(math.radians(30))  # rows tilted more than 30 degrees are not looked for
ALIGNED = 0.25     # neighbours whose centres, turned level, are this many heights apart or less agree on a tilt...
TILT_MIN_PAIRS = 3  # ...and the tilt is used when at least this many pairs (and half of them) agree
ROW_NEIGHBOURS = 3.0  # digits within this many heights of a blob, side to side, tell which rows it spans...
TWO_ROWS = 1.5        # ...and a blob this many times as tall as them may be one digit of each row, touching


class BoxedDigit(Protocol):
    box: tuple[int, int, int, int]
    digit: int | None


def vertical_overlap(a: tuple[float, float, int, int], b: tuple[float, float, int, int]) -> float:
    """Overlap of the y-extents of boxes (x, y, w, h), as a fraction of the smaller height."""
    top, bottom = max(a[1], b[1]), min(a[1] + a[3], b[1] + b[3])
    return max(0, bottom - top) / max(1, min(a[3], b[3]))


def rows_tilt(boxes: Sequence[tuple[int, int, int, int]]) -> float:
    """The rows' tilt in radians (positive: falling to the right), from boxes (x, y, w, h); 0 when too few
    neighbours agree on one (see ``measured_tilt``)."""
    tilt = measured_tilt(boxes)
    return 0.0 if tilt is None else tilt


def measured_tilt(boxes: Sequence[tuple[int, int, int, int]]) -> float | None:
    """The rows' tilt in radians (positive: falling to the right), from boxes (x, y, w, h); None when too few
    neighbours agree on one.

    Each box and its nearest neighbour on the right (less than MAX_TILT off horizontal) give a direction. A tilt
    agrees with a pair when, turned level by it, their centres are at most ALIGNED x their height apart
    vertically: handwriting jitters by a fraction of a digit's height, so two adjacent digits tell the direction
    only within ~15 degrees, two far apart more closely. Of the pairs' own directions, the one most pairs
    agree with wins, and the tilt is the median direction of the pairs that agree with it.
    """
    centres = sorted((x + w / 2, y + h / 2, h, i) for i, (x, y, w, h) in enumerate(boxes))  # left to right
    nearest_right = {}  # box index -> (direction, reach) of the pair it makes with its nearest neighbour on the right
    for k, (cx, cy, height, i) in enumerate(centres):
        nearest = None  # (distance, index, dx, dy, its height): on a tie, the neighbour first in `boxes`
        for other_x, other_y, other_height, j in centres[k + 1:]:
            dx, dy = other_x - cx, other_y - cy
            if nearest is not None and dx > nearest[0]:
                break  # the rest lie further right than the nearest lies away
            if dx > 0 and abs(dy) < MAX_TILT * dx:
                candidate = (math.hypot(dx, dy), j, dx, dy, other_height)
                if nearest is None or candidate[:2] < nearest[:2]:
                    nearest = candidate
        if nearest is not None:
            distance, _, dx, dy, other_height = nearest
            nearest_right[i] = (math.atan2(dy, dx), math.atan2(ALIGNED * min(height, other_height), distance))
    pairs = [nearest_right[i] for i in sorted(nearest_right)]  # in the boxes' order
    if not pairs:
        return None
    agreeing = max(([angle for angle, reach in pairs if abs(candidate - angle) <= reach] for candidate, _ in pairs),
                   key=len)  # the first of the most agreed-with, as pairs come
    # A few digits in short rows give too few neighbours, some of them in the next row: trust only a clear tilt.
    return _median(agreeing) if len(agreeing) >= max(TILT_MIN_PAIRS, len(pairs) / 2) else None


def _median(values: Sequence[float]) -> float:
    """The median of a few values (np.median's overhead on a handful of values is many times this sort)."""
    ordered = sorted(values)
    return float(ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2


def level_boxes(boxes: Sequence[tuple[int, int, int, int]], tilt: float) -> list[tuple[float, float, int, int]]:
    """The boxes (x, y, w, h) with their centres turned by -tilt radians about the origin (sizes kept)."""
    cos, sin = math.cos(tilt), math.sin(tilt)
    level = []
    for x, y, w, h in boxes:
        cx, cy = x + w / 2, y + h / 2
        level.append((cos * cx + sin * cy - w / 2, -sin * cx + cos * cy - h / 2, w, h))
    return level


def group_rows(boxes: Sequence[tuple[int, int, int, int]], tilt: float | None = None) -> list[list[int]]:
    """Indices of ``boxes`` grouped into rows: rows top to bottom, each row left to right. tilt: the rows'
    ``rows_tilt`` in radians, when already measured."""
    boxes = level_boxes(boxes, rows_tilt(boxes) if tilt is None else tilt)
    x_centres = [x + w / 2 for x, _, w, _ in boxes]
    rows: list[list[int]] = []
    for i in sorted(range(len(boxes)), key=lambda i: boxes[i][0]):  # left to right
        best, best_overlap = None, ROW_OVERLAP
        for row in rows:
            nearest = min(row, key=lambda j: abs(x_centres[j] - x_centres[i]))
            overlap = vertical_overlap(boxes[i], boxes[nearest])
            if overlap >= best_overlap:
                best, best_overlap = row, overlap
        if best is None:
            rows.append([i])
        else:
            best.append(i)
    return sorted(rows, key=lambda row: sum(boxes[j][1] + boxes[j][3] / 2 for j in row) / len(row))


def row_cuts(boxes: Sequence[tuple[int, int, int, int]]) -> list[int | None]:
    """For each blob (boxes (x, y, w, h)), where to cut it if it holds a digit of each of two neighbouring
    rows, written touching (or joined across a ruled line): a row offset from the box's top, else None.

    The other blobs show the rows (all boxes turned level with the rows' tilt first): a blob spans two when,
    among the blobs near it side to side, some have their centres in its upper half and some in its lower
    half, the upper ones end above where the lower ones begin, and it is at least TWO_ROWS times as tall as
    they are. The cut goes midway between the upper row's bottom and the lower row's top (medians).
    """
    heights = [box[3] for box in boxes]
    cuts: list[int | None] = [None] * len(boxes)
    shortest = min(heights, default=0)
    if len(boxes) < 3 or max(heights) < TWO_ROWS * shortest:  # no blob is tall enough to span two rows
        return cuts
    level = level_boxes(boxes, rows_tilt(boxes))
    for i, (x, y, w, h) in enumerate(level):
        if h < TWO_ROWS * shortest:
            continue
        # (top, height) of the blobs beside this one, much shorter, with their centres within its height
        near = [(top, height) for left, top, width, height in level
                if abs(left + width / 2 - (x + w / 2)) <= ROW_NEIGHBOURS * h and y < top + height / 2 < y + h
                and height * TWO_ROWS <= h]
        upper = [top + height for top, height in near if top + height / 2 < y + h / 2]  # their bottoms
        lower = [top for top, height in near if top + height / 2 >= y + h / 2]  # their tops
        if not upper or not lower:
            continue
        upper_bottom, lower_top = _median(upper), _median(lower)
        if upper_bottom <= lower_top + 0.1 * _median([height for _, height in near]):  # overlapping rows are one
            cut = round((upper_bottom + lower_top) / 2 - y)
            cuts[i] = cut if 2 <= cut <= h - 2 else None
    return cuts


def read_rows(digits: Sequence[BoxedDigit], tilt: float | None = None) -> list[str]:
    """The digits read row by row, e.g. ["3142", "77"]; rejected blobs (digit None) are not read. tilt: as
    for ``group_rows``, measured on the read digits."""
    accepted = [d for d in digits if d.digit is not None]
    rows = group_rows([d.box for d in accepted], tilt)
    return ["".join(str(accepted[j].digit) for j in row) for row in rows]
