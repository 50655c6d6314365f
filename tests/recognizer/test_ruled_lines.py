"""recognizer.ruled_lines: ruled lines, margins and grids leave the mask; digit strokes on and across them stay."""
import cv2
import numpy as np
import pytest

from recognizer.preprocess import faint_ink, threshold_ink
from recognizer.ruled_lines import coarse_ink, remove_ruled_lines, steep_lines_tilt

HEIGHT, WIDTH = 480, 640


@pytest.mark.parametrize("tilt_deg", [0, 3, 5, 10])
def test_remove_ruled_lines_keeps_a_digit_stroke_crossing_the_line(tilt_deg):
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    rise = round(WIDTH * np.tan(np.radians(tilt_deg)))
    cv2.line(mask, (0, 240 - rise // 2), (WIDTH - 1, 240 + rise // 2), 255, 2)
    line = mask > 0
    cv2.line(mask, (320, 210), (320, 270), 255, 9)  # a "1" written across the line
    stroke = np.zeros_like(mask)
    cv2.line(stroke, (320, 210), (320, 270), 255, 9)
    stroke = stroke > 0
    cleaned = remove_ruled_lines(mask) > 0
    away_from_stroke = line & ~cv2.dilate(stroke.astype(np.uint8), np.ones((41, 41), np.uint8)).astype(bool)
    left_over = np.flatnonzero((cleaned & away_from_stroke).any(axis=0))
    # Only stubs cut by the frame's edge may stay (no blob touching the edge is read as a digit).
    assert np.all((left_over < 20) | (left_over >= WIDTH - 20)), left_over
    assert cleaned[stroke].mean() > 0.95, "the digit's stroke lost ink where it crosses the line"
    rows = np.flatnonzero(cleaned[:, 316:325].any(axis=1))
    assert rows.min() <= 212 and rows.max() >= 268 and rows.size == rows.max() - rows.min() + 1, "stroke cut"


def test_remove_ruled_lines_keeps_a_tall_digit():
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.line(mask, (320, 190), (320, 290), 255, 9)  # a "1" 100 px tall, well below MAX_HEIGHT of a digit
    np.testing.assert_array_equal(remove_ruled_lines(mask), mask)


@pytest.mark.parametrize("thickness", [3, 12])
def test_remove_ruled_lines_keeps_a_big_digit_held_close_to_the_camera(thickness):
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.line(mask, (320, 110), (320, 310), 255, thickness)  # a "1" 200 px tall, 2x LINE_MIN_LENGTH...
    cv2.line(mask, (310, 110), (260, 135), 255, thickness)  # ...with its flag
    cv2.line(mask, (0, 400), (WIDTH - 1, 404), 255, 2)      # and a ruled line across the page below it
    cleaned = remove_ruled_lines(mask)
    np.testing.assert_array_equal(cleaned[:360], mask[:360])
    assert np.count_nonzero(cleaned[360:]) < 0.02 * np.count_nonzero(mask[360:])


def test_remove_ruled_lines_keeps_the_broad_stroke_of_a_digit_filling_the_frame():
    """A marker digit held close: its slanted stroke, 36 px wide, spans more than half the frame, as a line
    would; but no printed line is that thick, and thinning it across would cut it into stripes."""
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.line(mask, (380, 60), (290, 420), 255, 36)
    cv2.line(mask, (0, 450), (WIDTH - 1, 452), 255, 2)  # a ruled line below it still goes
    cleaned = remove_ruled_lines(mask)
    np.testing.assert_array_equal(cleaned[:440], mask[:440])
    assert np.count_nonzero(cleaned[440:]) < 0.02 * np.count_nonzero(mask[440:])


def test_remove_ruled_lines_removes_a_vertical_margin():
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.line(mask, (60, 0), (60, HEIGHT - 1), 255, 2)
    cv2.ellipse(mask, (300, 240), (25, 40), 0, 0, 360, 255, 6)
    cleaned = remove_ruled_lines(mask)
    assert np.count_nonzero(cleaned[:, 40:80]) < 0.02 * np.count_nonzero(mask[:, 40:80])
    np.testing.assert_array_equal(cleaned[:, 200:400], mask[:, 200:400])


def test_remove_ruled_lines_keeps_a_pen_stroke_drawn_along_the_line():
    """A "4" whose bar lies on a ruled line: the bar is as thin as the line, but darker, so it stays."""
    darkness = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.line(darkness, (0, 260), (WIDTH - 1, 260), 90, 3)           # a grey ruled line
    four = np.zeros_like(darkness)
    cv2.line(four, (300, 200), (280, 260), 230, 3)                   # the slanted stroke
    cv2.line(four, (280, 260), (330, 260), 230, 3)                   # the bar, on the line
    cv2.line(four, (318, 210), (318, 290), 230, 3)                   # the stem
    darkness = np.maximum(darkness, four)
    mask = ((darkness > 40) * 255).astype(np.uint8)
    kept = remove_ruled_lines(mask, darkness)
    assert np.count_nonzero(kept[255:266, 284:316]) >= 0.9 * np.count_nonzero(mask[255:266, 284:316])  # the bar
    assert np.count_nonzero(kept[255:266, 400:600]) == 0                                                 # the line
    assert np.count_nonzero(remove_ruled_lines(mask)[255:266, 284:316]) < 0.5 * np.count_nonzero(mask[255:266, 284:316])


@pytest.mark.parametrize("shape", [(130, 171), (480, 640), (1, 1), (3, 5), (4, 4), (9, 2), (17, 33)])
def test_coarse_ink_marks_every_cell_holding_ink_and_its_neighbours(shape):
    rng = np.random.default_rng(2)
    density = 0.002 + 4 / (shape[0] * shape[1])  # some ink even in a tiny mask
    mask = ((rng.random(shape) < density) * 255).astype(np.uint8)
    rows, cols = -(-shape[0] // 4), -(-shape[1] // 4)
    padded = np.zeros((4 * rows, 4 * cols), np.uint8)  # the last cells hang over the edge; outside is no ink
    padded[:shape[0], :shape[1]] = mask
    cells = padded.reshape(rows, 4, cols, 4).max(axis=(1, 3))
    np.testing.assert_array_equal(coarse_ink(mask), cv2.dilate(cells, np.ones((3, 3), np.uint8)))


def test_remove_ruled_lines_reaches_the_edges_of_a_frame_not_a_multiple_of_4():
    mask = np.zeros((HEIGHT + 3, WIDTH + 3), np.uint8)
    cv2.line(mask, (0, 200), (WIDTH + 2, 200), 255, 2)             # a ruled line
    cv2.line(mask, (WIDTH + 1, 0), (WIDTH + 1, HEIGHT + 2), 255, 1)  # a margin past the last whole cell
    cv2.ellipse(mask, (300, 330), (25, 40), 0, 0, 360, 255, 6)
    cleaned = remove_ruled_lines(mask)
    assert np.count_nonzero(cleaned[195:206, 20:WIDTH - 20]) == 0
    assert np.count_nonzero(cleaned[20:HEIGHT - 20, WIDTH - 4:]) == 0
    np.testing.assert_array_equal(cleaned[250:420, 200:400], mask[250:420, 200:400])


def test_remove_ruled_lines_leaves_its_input_alone():
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.line(mask, (60, 0), (60, HEIGHT - 1), 255, 2)
    before = mask.copy()
    assert np.count_nonzero(remove_ruled_lines(mask)) < np.count_nonzero(before)
    np.testing.assert_array_equal(mask, before)


def test_remove_ruled_lines_removes_the_dashes_of_a_pale_grid():
    darkness = np.full((HEIGHT, WIDTH), 4, np.uint8)
    for x in range(20, WIDTH, 40):  # squared paper's pale lines, unevenly printed or lit: 12 px of each 24 darker
        darkness[:, x] = np.where(np.arange(HEIGHT) % 24 < 12, 40, 30)
    for y in range(20, HEIGHT, 40):
        darkness[y] = np.where(np.arange(WIDTH) % 24 < 12, 40, 30)
    cv2.ellipse(darkness, (330, 250), (20, 30), 0, 0, 360, 200, 4)  # and a "0" in pen
    mask = threshold_ink(darkness)
    grid = np.count_nonzero(mask[:, :200])
    assert grid > 500 and grid < 0.7 * np.count_nonzero(darkness[:, :200] > 4), "the grid should threshold into dashes"
    cleaned = remove_ruled_lines(mask, darkness, faint_ink(darkness))
    assert np.count_nonzero(cleaned[:, :200]) < 0.05 * grid
    zero = np.zeros_like(mask)
    cv2.ellipse(zero, (330, 250), (20, 30), 0, 0, 360, 255, 4)
    assert (cleaned[zero > 0] > 0).mean() > 0.9


@pytest.mark.parametrize("degrees", [-25, -18, 18, 25])
def test_steep_lines_tilt_is_the_tilt_of_ruled_lines_too_steep_to_remove(degrees):
    mask = np.zeros((480, 640), np.uint8)
    slope = np.tan(np.radians(degrees))
    for y in range(-200, 700, 60):  # lines across the frame, one with a digit-like blob sitting on it
        cv2.line(mask, (0, y), (639, int(round(y + 639 * slope))), 255, 3)
    cv2.circle(mask, (320, 240 - 20), 20, 255, 4)
    assert steep_lines_tilt(mask) == pytest.approx(np.radians(degrees), abs=np.radians(1))


def test_steep_lines_tilt_is_zero_without_long_steep_lines():
    mask = np.zeros((480, 640), np.uint8)
    cv2.line(mask, (0, 100), (639, 130), 255, 3)      # 3 degrees: the line finder's, not steep
    cv2.line(mask, (100, 300), (250, 360), 255, 3)    # steep, but short: a stroke, not a ruled line
    cv2.line(mask, (400, 0), (430, 479), 255, 3)      # a margin, near vertical
    assert steep_lines_tilt(mask) == 0.0
