"""recognizer.rows: digits grouped into rows top to bottom, each read left to right."""
from dataclasses import dataclass

from recognizer.rows import group_rows, read_rows, vertical_overlap


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
