"""recognizer.preprocess: any frame to gray, and a binary ink mask that survives uneven light and ruled lines."""
import cv2
import numpy as np
import pytest

from recognizer.preprocess import (close_gaps, coarse_ink, denoise, estimate_background, ink_darkness,
                                   ink_mask, paper_level_and_margin, remove_ruled_lines, threshold_ink, to_gray,
                                   to_working_size)

HEIGHT, WIDTH = 480, 640


def paper_with_digits(light: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A photo of paper (reflectance 0.9) with two "0"s and a "1" in ink (0.25) under `light` (H, W).
    Returns (gray (H, W) uint8, ink (H, W) bool where the pen went)."""
    ink = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.ellipse(ink, (150, 200), (25, 40), 0, 0, 360, 255, 6)   # in the light
    cv2.ellipse(ink, (470, 330), (25, 40), 0, 0, 360, 255, 6)   # in the shadow
    cv2.line(ink, (320, 160), (320, 240), 255, 6)
    reflectance = np.where(ink > 0, 0.25, 0.9).astype(np.float32)
    return np.clip(reflectance * light * 255, 0, 255).astype(np.uint8), ink > 0


def uneven_light() -> np.ndarray:
    """(H, W) float32: a strong left-to-right gradient times a soft shadow over the lower right."""
    gradient = np.tile(np.linspace(0.45, 1.0, WIDTH, dtype=np.float32), (HEIGHT, 1))
    shade = np.zeros((HEIGHT, WIDTH), np.float32)
    shade[250:, 380:] = 1
    shade = cv2.GaussianBlur(shade, (0, 0), 25)
    return gradient * (1 - 0.5 * shade)


@pytest.mark.parametrize("frame", [
    np.full((6, 8), 100, np.uint8),
    np.full((6, 8, 1), 100, np.uint8),
    np.full((6, 8, 3), 100, np.uint8),
    np.dstack([np.full((6, 8, 3), 100, np.uint8), np.zeros((6, 8), np.uint8)]),  # alpha is ignored
    np.full((6, 8), 100 / 255, np.float32),
    np.full((6, 8, 3), 100 / 255, np.float64),
    np.full((6, 8), 100 * 257, np.uint16),
], ids=["gray", "gray-1-channel", "bgr", "bgra", "float32", "float64-bgr", "uint16"])
def test_to_gray_accepts_every_image_layout(frame):
    gray = to_gray(frame)
    assert gray.shape == (6, 8) and gray.dtype == np.uint8
    np.testing.assert_array_equal(gray, 100)


def test_to_gray_uses_bgr_channel_order():
    blue, red = np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2, 3), np.uint8)
    blue[..., 0], red[..., 2] = 255, 255
    assert to_gray(blue)[0, 0] < to_gray(red)[0, 0]  # gray = 0.114 B + 0.587 G + 0.299 R


def test_to_gray_bool_is_black_and_white():
    frame = np.array([[True, False]])
    np.testing.assert_array_equal(to_gray(frame), [[255, 0]])


def test_to_gray_float_beyond_one_is_taken_as_0_to_255_and_nan_is_finite():
    np.testing.assert_array_equal(to_gray(np.array([[2.0, 200.0, 300.0]], np.float32)), [[2, 200, 255]])
    assert to_gray(np.array([[np.nan, np.inf]], np.float32)).dtype == np.uint8


@pytest.mark.parametrize("frame, error, message", [
    (None, TypeError, "camera read returns None"),
    ([[0, 1], [2, 3]], TypeError, "numpy array"),
    (np.zeros(10, np.uint8), ValueError, "shape"),
    (np.zeros((4, 4, 5), np.uint8), ValueError, "shape"),
    (np.zeros((2, 2, 2, 2), np.uint8), ValueError, "shape"),
    (np.zeros((0, 4), np.uint8), ValueError, "empty"),
    (np.zeros((4, 4), np.complex64), TypeError, "dtype"),
    (np.full((4, 4), "a"), TypeError, "dtype"),
])
def test_to_gray_rejects_non_images_clearly(frame, error, message):
    with pytest.raises(error, match=message):
        to_gray(frame)


def test_to_working_size_keeps_aspect_and_reports_scale():
    small, scale = to_working_size(np.zeros((1080, 1920), np.uint8), 640)
    assert small.shape == (360, 640) and scale == pytest.approx(1 / 3)
    big, double = to_working_size(np.zeros((240, 320), np.uint8), 640)
    assert big.shape == (480, 640) and double == 2.0
    same, one = to_working_size(np.zeros((480, 640), np.uint8), 640)
    assert same.shape == (480, 640) and one == 1.0


def test_background_erases_strokes_but_follows_the_light():
    light = uneven_light()
    gray, ink = paper_with_digits(light)
    background = estimate_background(gray).astype(np.float32)
    expected = 0.9 * light * 255
    # On the strokes the background is the paper around them, not the ink (ink would be ~0.28 of it).
    assert np.median(np.abs(background[ink] - expected[ink]) / expected[ink]) < 0.1


def test_threshold_survives_gradient_and_shadow():
    gray, ink = paper_with_digits(uneven_light())
    mask = threshold_ink(ink_darkness(denoise(gray))) > 0
    near_ink = cv2.dilate(ink.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    core = cv2.erode(ink.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    for region in (np.s_[:, :320], np.s_[250:, 380:]):  # the bright left, the dark shadow
        assert mask[region][core[region]].mean() > 0.95, "ink missed"
    assert mask[~near_ink].mean() < 0.001, "paper taken for ink"


def test_threshold_finds_no_ink_on_blank_unevenly_lit_paper():
    light = uneven_light()
    rng = np.random.default_rng(0)
    gray = np.clip(0.9 * light * 255 + rng.normal(0, 3, light.shape), 0, 255).astype(np.uint8)
    mask = threshold_ink(ink_darkness(denoise(gray)))
    assert np.count_nonzero(mask) < 0.001 * mask.size


def test_darkness_turns_dark_ink_on_white_into_white_on_black():
    gray, ink = paper_with_digits(np.ones((HEIGHT, WIDTH), np.float32))
    darkness = ink_darkness(gray)
    assert darkness[ink].mean() > 150 and darkness[~ink].mean() < 10


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


def test_paper_level_and_margin_are_the_median_and_the_scaled_median_absolute_deviation():
    rng = np.random.default_rng(1)
    darkness = np.clip(rng.normal(40, 10, (HEIGHT, WIDTH)), 0, 255).astype(np.uint8)
    def upper_median(values: np.ndarray) -> int:  # for an even count, the upper of the two middle values
        return np.sort(values)[int(np.ceil((values.size + 1) / 2)) - 1]

    sample = darkness[::4, ::4].ravel()
    paper, margin = paper_level_and_margin(darkness)
    assert paper == upper_median(sample)
    spread = upper_median(np.abs(sample.astype(int) - int(paper)))
    assert margin == pytest.approx(max(255 * 0.12, 5 * 1.4826 * spread))
    assert margin > 255 * 0.12  # this paper is noisy enough for its noise to set the margin


def test_coarse_ink_marks_every_cell_holding_ink_and_its_neighbours():
    rng = np.random.default_rng(2)
    mask = ((rng.random((130, 171)) < 0.002) * 255).astype(np.uint8)  # 171 is not a multiple of 4
    padded = np.zeros((132, 172), np.uint8)  # the last cells hang over the edge; outside is no ink
    padded[:130, :171] = mask
    cells = padded.reshape(33, 4, 43, 4).max(axis=(1, 3))
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


def test_close_gaps_bridges_a_one_pixel_break():
    mask = np.zeros((20, 20), np.uint8)
    mask[5:15, 9:11] = 255
    mask[10, 9:11] = 0
    assert close_gaps(mask)[10, 9:11].all()


def test_ink_mask_finds_the_digits_of_a_lit_page():
    gray, ink = paper_with_digits(uneven_light())
    mask, darkness = ink_mask(gray)
    assert mask.shape == darkness.shape == gray.shape and mask.dtype == np.uint8
    count, _ = cv2.connectedComponents(mask)
    assert count - 1 == 3  # two "0"s and a "1", nothing else


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
    cleaned = remove_ruled_lines(mask, darkness)
    assert np.count_nonzero(cleaned[:, :200]) < 0.05 * grid
    zero = np.zeros_like(mask)
    cv2.ellipse(zero, (330, 250), (20, 30), 0, 0, 360, 255, 4)
    assert (cleaned[zero > 0] > 0).mean() > 0.9
