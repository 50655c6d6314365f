"""recognizer.rows: digits grouped into rows top to bottom, each read left to right."""
from dataclasses import dataclass

import numpy as np
import pytest

from recognizer.rows import group_rows, read_rows, row_cuts, rows_tilt, vertical_overlap


@dataclass
class Boxed:
    box: tuple[int, int, int, int]
    digit: int | None


def test_vertical_overlap_is_a_fraction_of_the_smaller_box():
    assert vertical_overlap((0, 0, 10, 40), (50, 20, 10, 20)) == 1.0
    assert vertical_overlap((0, 0, 10, 40), (50, 30, 10, 40)) == 0.25
    assert vertical_overlap((0, 0, 10, 40), (50, 100, 10, 40)) == 0.0


def test_two_rows_read_top_to_bottom_left_to_right():
    digits = [Boxed((200, 150, 30, 50), 7), Boxed((100, 40, 30, 50), 3), Boxed((60, 150, 30, 50), 2),
              Boxed((140, 42, 30, 50), 1), Boxed((180, 38, 30, 50), 4)]
    assert read_rows(digits) == ["314", "27"]


def test_a_tilted_row_stays_one_row():
    # Each digit 15 px lower than the one before: first and last do not overlap at all.
    digits = [Boxed((50 + 40 * i, 100 + 15 * i, 30, 50), i) for i in range(6)]
    assert read_rows(digits) == ["012345"]


def test_rejected_digits_are_skipped():
    digits = [Boxed((10, 10, 30, 50), 5), Boxed((50, 10, 30, 50), None), Boxed((90, 10, 30, 50), 6)]
    assert read_rows(digits) == ["56"]
    assert read_rows([Boxed((10, 10, 30, 50), None)]) == []


def test_group_rows_returns_indices_and_handles_nothing():
    assert group_rows([]) == []
    assert group_rows([(100, 0, 10, 20), (0, 0, 10, 20), (0, 100, 10, 20)]) == [[1, 0], [2]]


def rotated_page(rows: list[str], degrees: float) -> list[Boxed]:
    """Digits 30x50 px, 45 px apart in rows 65 px apart, the whole page turned by `degrees` about (0, 0)."""
    angle = np.radians(degrees)
    digits = []
    for r, row in enumerate(rows):
        for c, char in enumerate(row):
            x, y = 100 + 45 * c, 100 + 65 * r
            cx, cy = np.cos(angle) * x - np.sin(angle) * y, np.sin(angle) * x + np.cos(angle) * y
            digits.append(Boxed((int(cx) - 15, int(cy) - 25 + 300, 30, 50), int(char)))
    return digits


def test_rows_of_a_tilted_page_are_read_along_the_tilt():
    for degrees in (-15, -8, 8, 15):
        assert read_rows(rotated_page(["31415", "92653", "58979"], degrees)) == ["31415", "92653", "58979"], degrees
    assert rows_tilt([d.box for d in rotated_page(["31415", "92653"], 12)]) == pytest.approx(np.radians(12), abs=0.02)


def test_too_few_neighbours_give_no_tilt():
    # "58" above "9": the 9's nearest neighbour on its right is the 8 of the row above, at 40 degrees.
    digits = [Boxed((100, 100, 30, 50), 5), Boxed((150, 100, 30, 50), 8), Boxed((100, 170, 30, 50), 9)]
    assert rows_tilt([d.box for d in digits]) == 0.0 and read_rows(digits) == ["58", "9"]


def row_of(top: int, height: int, lefts: list[int]) -> list[tuple[int, int, int, int]]:
    return [(left, top, 20, height) for left in lefts]


def test_a_blob_as_tall_as_two_rows_is_cut_between_them():
    upper, lower = row_of(100, 30, [0, 30]), row_of(140, 30, [90, 120])
    blob = (60, 100, 20, 70)  # the third digit of the upper row touching the first of the lower one
    assert row_cuts(upper + [blob] + lower) == [None, None, 35, None, None]  # midway between 130 and 140


def test_a_digit_of_one_row_is_not_cut():
    row = row_of(100, 30, [0, 30, 90])
    assert row_cuts(row + [(60, 98, 20, 34)]) == [None] * 4  # a little taller than its row
    assert row_cuts(row + [(60, 90, 20, 60)]) == [None] * 4  # tall, but with only one row beside it


def test_a_tall_digit_in_a_tilted_row_is_not_cut():
    # Neighbours above its middle on the left and below on the right: one row, going down to the right.
    row = [(0, 100, 20, 30), (30, 110, 20, 30), (90, 130, 20, 30), (120, 140, 20, 30)]
    assert row_cuts(row + [(60, 100, 20, 70)]) == [None] * 5


def test_too_few_blobs_no_cut():
    assert row_cuts([]) == [] and row_cuts([(0, 0, 20, 70), (30, 0, 20, 30)]) == [None, None]


def test_a_tilted_page_of_digits_of_mixed_heights_is_read_along_its_rows():
    """Boxes the recognizer found on a synthetic page turned 10 degrees: "13" above "141978". Adjacent digits of
    different heights point up to 20 degrees off the rows, so only a tolerance that grows with the digits'
    height over their distance finds the tilt (a fixed 5 degrees found none, and "978" joined the row above)."""
    boxes = [(42, 71, 48, 73), (109, 80, 36, 43), (154, 125, 10, 39), (186, 111, 27, 38), (242, 105, 22, 40),
             (287, 88, 28, 42), (333, 78, 22, 40), (372, 79, 17, 34)]
    digits = [Boxed(box, int(char)) for box, char in zip(boxes, "13141978")]
    assert rows_tilt(boxes) == pytest.approx(np.radians(-11), abs=np.radians(4))
    assert read_rows(digits) == ["13", "141978"]
