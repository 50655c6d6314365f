"""Overlay drawing: pure functions on images, checked by looking at the pixels they change."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from recognizer.overlay import (
    GREEN,
    RED,
    YELLOW,
    annotate,
    as_bgr,
    debug_view,
    fit_within,
    side_by_side,
    status_text,
)


@dataclass
class FakeDigit:
    box: tuple[int, int, int, int]
    digit: int | None
    confidence: float
    seen: bool = True


def pixels_of(image: np.ndarray, color: tuple) -> np.ndarray:
    """(H, W) bool: where ``image`` has exactly ``color``."""
    return np.all(image == np.array(color, dtype=np.uint8), axis=2)


def test_annotate_draws_read_digits_green_and_rejected_blobs_red_without_touching_the_input():
    frame = np.full((480, 640, 3), 128, dtype=np.uint8)
    digits = [FakeDigit((100, 200, 40, 60), 3, 0.97), FakeDigit((400, 200, 40, 60), None, 0.2)]
    out = annotate(frame, digits, ["3"])
    assert out.shape == (480, 640, 3) and out.dtype == np.uint8
    assert np.all(frame == 128), "the input frame is left as it was"
    green, red = pixels_of(out, GREEN), pixels_of(out, RED)
    assert green[200:261, 100].any() and green[200:261, 140].any(), "left and right edges of the accepted box"
    assert red[200:261, 400].any() and not green[200:261, 400].any()
    assert not green[300:, :].any() and not red[300:, :].any(), "nothing drawn far below the boxes"


def test_annotate_shows_rows_status_and_help():
    frame = np.full((480, 640, 3), 128, dtype=np.uint8)
    plain = annotate(frame, [], [])
    assert np.all(plain == 128), "nothing to show draws nothing"
    full = annotate(frame, [], ["3142", "77"], status=status_text(29.7, 4.2, 0.5, True), key_help=True)
    changed = np.any(full != 128, axis=2)
    assert changed[:100, :200].any(), "row readings top left"
    assert changed[:40, 400:].any(), "status top right"
    assert changed[450:, :300].any(), "key help along the bottom"
    assert pixels_of(full, YELLOW).any()


@pytest.mark.parametrize("shape", [(50, 60), (50, 60, 1), (50, 60, 3), (50, 60, 4), (1, 1, 3)])
def test_annotate_accepts_any_frame_layout(shape):
    frame = np.zeros(shape, dtype=np.uint8)
    out = annotate(frame, [FakeDigit((0, 0, 5, 5), 1, 0.9)], ["1"], status="1.0 fps", key_help=True)
    assert out.shape == (shape[0], shape[1], 3)


def test_a_photo_of_small_writing_gets_labels_sized_to_its_digits_and_rows_in_a_third_of_it():
    """A 3024x4032 photo of a page: digits 60 px tall, 40 apart. Labels at the photo's text size would be as
    tall as the digits and overlap; each is at most half a digit tall and shows the digit alone. Twelve row
    readings fit in the top third."""
    frame = np.full((3024, 4032, 3), 128, dtype=np.uint8)
    digits = [FakeDigit((2000 + 80 * i, 1500, 40, 60), i, 0.99) for i in range(5)]
    out = annotate(frame, digits, [])
    label_rows = np.flatnonzero(pixels_of(out[:1500, 2000:2400], GREEN).any(axis=1))
    assert 0 < len(label_rows) and 1500 - label_rows.min() <= 0.5 * 60 + 12  # label text over each box
    label_columns = np.flatnonzero(pixels_of(out[:1495, 2000:2400], GREEN).any(axis=0))
    assert label_columns.max() - label_columns.min() < 80 * 4 + 40  # five labels, none running past its box
    rows = annotate(frame, [], [f"{i:06d}" for i in range(12)])
    changed = np.flatnonzero(np.any(rows != 128, axis=2).any(axis=1))
    assert changed.max() <= 3024 / 3 + 20


def test_as_bgr_converts_float_frames_and_copies():
    frame = np.full((4, 4), 300.0)
    out = as_bgr(frame)
    assert out.dtype == np.uint8 and out.shape == (4, 4, 3) and np.all(out == 255)


def test_status_text_lists_only_what_is_known():
    assert status_text(29.66, 4.24, 0.5, True) == "29.7 fps | 4.2 ms/frame | threshold 0.50 | PAUSED"
    assert status_text(min_confidence=0.75) == "threshold 0.75"
    assert status_text() == ""


def test_debug_view_outlines_every_blob_of_the_mask_and_boxes_the_digits():
    mask = np.zeros((120, 160), dtype=np.uint8)
    mask[30:60, 20:40] = 255
    mask[80:90, 100:110] = 255
    view = debug_view(mask, [FakeDigit((20, 30, 20, 30), 7, 0.9)])
    assert view.shape == (120, 160, 3)
    assert np.all(view[40:50, 25:35] == 255), "ink stays white inside the outline"
    yellow = pixels_of(view, YELLOW)
    assert yellow[80:90, 100].any() and yellow[80:90, 109].any(), "a blob that is no digit is still outlined"
    assert not yellow[0:20, :].any() and not yellow[:100, 120:].any(), "nothing outlined where the mask is empty"
    assert pixels_of(view, GREEN)[30:61, 20].any(), "the digit's box"


def test_debug_view_without_a_mask_is_a_black_picture():
    view = debug_view(None, [])
    assert view.ndim == 3 and view.shape[2] == 3 and not np.any(view[: view.shape[0] // 2])


def test_side_by_side_matches_heights():
    left = np.zeros((100, 200, 3), dtype=np.uint8)
    right = np.full((50, 50), 255, dtype=np.uint8)
    both = side_by_side(left, right)
    assert both.shape == (100, 300, 3) and np.all(both[:, 200:] == 255)


def test_fit_within_only_shrinks_and_keeps_the_aspect_ratio():
    image = np.zeros((2000, 4000, 3), dtype=np.uint8)
    assert fit_within(image, 1600, 900).shape == (800, 1600, 3)
    small = np.zeros((100, 100, 3), dtype=np.uint8)
    assert fit_within(small, 1600, 900) is small


def test_a_candidate_read_as_not_a_digit_is_drawn_as_rejected_however_sure():
    """A blob the network is 97% sure is no digit: the thin red box and "?", never its confidence in green."""
    frame = np.full((480, 640, 3), 128, dtype=np.uint8)
    rejected = annotate(frame, [FakeDigit((100, 200, 40, 60), None, 0.97)], [])
    unsure = annotate(frame, [FakeDigit((100, 200, 40, 60), None, 0.2)], [])
    assert pixels_of(rejected, RED)[200:261, 100].any() and not pixels_of(rejected, GREEN).any()
    np.testing.assert_array_equal(rejected, unsure)
