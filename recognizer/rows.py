"""Reading a page: group digits into rows, and read each row left to right.

Two digits are in the same row when their vertical extents overlap by at least half of the smaller one;
the row a digit joins is compared with its nearest member horizontally, so a slightly tilted row still
holds together.
"""
from __future__ import annotations

from typing import Protocol, Sequence

ROW_OVERLAP = 0.5  # fraction of the smaller height two digits of one row share vertically


class BoxedDigit(Protocol):
    box: tuple[int, int, int, int]
    digit: int | None


def vertical_overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Overlap of the y-extents of boxes (x, y, w, h), as a fraction of the smaller height."""
    top, bottom = max(a[1], b[1]), min(a[1] + a[3], b[1] + b[3])
    return max(0, bottom - top) / max(1, min(a[3], b[3]))


def group_rows(boxes: Sequence[tuple[int, int, int, int]]) -> list[list[int]]:
    """Indices of ``boxes`` grouped into rows: rows top to bottom, each row left to right."""
    rows: list[list[int]] = []
    for i in sorted(range(len(boxes)), key=lambda i: boxes[i][0]):  # left to right
        x_centre = boxes[i][0] + boxes[i][2] / 2
        best, best_overlap = None, ROW_OVERLAP
        for row in rows:
            nearest = min(row, key=lambda j: abs(boxes[j][0] + boxes[j][2] / 2 - x_centre))
            overlap = vertical_overlap(boxes[i], boxes[nearest])
            if overlap >= best_overlap:
                best, best_overlap = row, overlap
        if best is None:
            rows.append([i])
        else:
            best.append(i)
    return sorted(rows, key=lambda row: sum(boxes[j][1] + boxes[j][3] / 2 for j in row) / len(row))


def read_rows(digits: Sequence[BoxedDigit]) -> list[str]:
    """The digits read row by row, e.g. ["3142", "77"]; rejected blobs (digit None) are not read."""
    accepted = [d for d in digits if d.digit is not None]
    rows = group_rows([d.box for d in accepted])
    return ["".join(str(accepted[j].digit) for j in row) for row in rows]
