"""recognizer.preprocess: any frame to gray, and a binary ink mask that survives uneven light."""
import cv2
import numpy as np
import pytest

from recognizer.preprocess import (
    close_gaps,
    denoise,
    estimate_background,
    ink_darkness,
    ink_mask,
    is_light_on_dark,
    paper_level_and_margin,
    threshold_ink,
    to_gray,
    to_working_size,
)

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
    np.dstack([np.full((6, 8, 3), 100, np.uint8), np.full((6, 8), 255, np.uint8)]),  # opaque, as from a camera
    np.dstack([np.full((6, 8), 100, np.uint8), np.full((6, 8), 255, np.uint8)]),
    np.full((6, 8), 100 / 255, np.float32),
    np.full((6, 8, 3), 100 / 255, np.float64),
    np.full((6, 8), 100 * 257, np.uint16),
], ids=["gray", "gray-1-channel", "bgr", "bgra", "gray-alpha", "float32", "float64-bgr", "uint16"])
def test_to_gray_accepts_every_image_layout(frame):
    gray = to_gray(frame)
    assert gray.shape == (6, 8) and gray.dtype == np.uint8
    np.testing.assert_array_equal(gray, 100)


@pytest.mark.parametrize("stroke", [0, 255])
def test_to_gray_fills_a_transparent_background_to_contrast_with_the_writing(stroke):
    """A drawing saved with a transparent background: its colour there is black (as drawing programs often
    store it) whatever the strokes' colour; only the alpha channel tells strokes from background."""
    drawing = np.zeros((40, 40, 4), np.uint8)
    cv2.line(drawing, (20, 5), (20, 35), (stroke, stroke, stroke, 255), 5)
    gray = to_gray(drawing)
    on_stroke, background = gray[20, 20], gray[20, 5]
    assert on_stroke == stroke and background == 255 - stroke


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


def page_on_a_desk(rng: np.random.Generator) -> np.ndarray:
    """(H, W) uint8: a blank light page, tilted a little, on a dark desk, with camera noise."""
    frame = np.full((HEIGHT, WIDTH), 45, np.uint8)
    corners = np.array([[70, 40], [590, 60], [575, 450], [55, 430]], np.int32)
    cv2.fillPoly(frame, [corners], 215)
    frame = cv2.GaussianBlur(frame, (0, 0), 1.5)
    return np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8)


def test_dark_ink_on_paper_is_not_taken_for_light_writing():
    gray, _ = paper_with_digits(uneven_light())
    assert not is_light_on_dark(gray)
    ruled = gray.copy()
    ruled[::40] = ruled[::40] // 2  # dark printed lines
    assert not is_light_on_dark(ruled)
    # A blank page on a dark desk: its corners stand out from the desk around them, but they are not writing.
    assert not is_light_on_dark(page_on_a_desk(np.random.default_rng(0)))
    noise = np.random.default_rng(1).integers(0, 256, (HEIGHT, WIDTH), dtype=np.uint8)
    for frame in (np.zeros((HEIGHT, WIDTH), np.uint8), np.full((HEIGHT, WIDTH), 255, np.uint8), noise,
                  np.zeros((3, 3), np.uint8)):
        assert not is_light_on_dark(frame)


def test_light_writing_on_a_dark_ground_is_read_as_dark_ink_on_light_paper():
    """Chalk on a blackboard: the mask holds the strokes, as for ink on paper, under the same uneven light."""
    ink = paper_with_digits(np.ones((HEIGHT, WIDTH), np.float32))[1]
    board = np.where(ink, 0.85, 0.12).astype(np.float32) * uneven_light() * 255
    gray = np.clip(board + np.random.default_rng(2).normal(0, 2, board.shape), 0, 255).astype(np.uint8)
    assert is_light_on_dark(gray)
    mask, darkness = ink_mask(gray)
    core = cv2.erode(ink.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    near_ink = cv2.dilate(ink.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    assert (mask[core] > 0).mean() > 0.95 and (mask[~near_ink] > 0).mean() < 0.001
    assert darkness[core].mean() > 50 > darkness[~near_ink].mean()  # the strokes are the ink, the board paper


def test_an_inverted_page_gives_the_same_ink_mask_as_the_page():
    gray, _ = paper_with_digits(uneven_light())
    mask, darkness = ink_mask(gray)
    inverted_mask, inverted_darkness = ink_mask(cv2.bitwise_not(gray))
    np.testing.assert_array_equal(inverted_mask, mask)
    np.testing.assert_array_equal(inverted_darkness, darkness)


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


def marker_page(light: np.ndarray, width: int = 70) -> tuple[np.ndarray, np.ndarray]:
    """A "2" in a marker `width` pixels broad, a sheet held close to the camera: (gray (H, W) uint8, the ink
    (H, W) bool), on paper 0.9 and ink 0.2 under `light` (H, W)."""
    ink = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.ellipse(ink, (320, 170), (110, 90), 0, 180, 360, 255, width)
    cv2.line(ink, (430, 170), (220, 380), 255, width)
    cv2.line(ink, (220, 380), (460, 380), 255, width)
    reflectance = np.where(ink > 0, 0.2, 0.9).astype(np.float32)
    return np.clip(reflectance * light * 255, 0, 255).astype(np.uint8), ink > 0


def test_ink_mask_fills_a_marker_stroke_broader_than_the_background_kernel():
    """The closing that estimates the paper keeps a stroke broader than its kernel (~48 px here) as if it were
    paper: without more, only the stroke's outline would be ink, and the "2" would read as two thin loops."""
    gray, ink = marker_page(uneven_light())
    first = threshold_ink(ink_darkness(denoise(gray))) > 0
    core = cv2.erode(ink.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    assert first[core].mean() < 0.5  # hollow: the reason for fill_broad_strokes
    mask, darkness = ink_mask(gray)
    assert (mask > 0)[core].mean() > 0.99 and np.median(darkness[core]) > 128
    near_ink = cv2.dilate(ink.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    assert (mask > 0)[~near_ink].mean() < 0.001


def test_ink_mask_leaves_a_deep_shadow_inside_the_frame_and_the_desk_around_the_page_alone():
    """Dark regions broader than the background kernel that are not strokes: the desk around the page reaches the
    frame's edge; a shadow with a soft edge, inside the frame, leaves no outline of ink. Neither becomes ink."""
    light = np.ones((HEIGHT, WIDTH), np.float32)
    shade = np.zeros((HEIGHT, WIDTH), np.float32)
    cv2.ellipse(shade, (400, 250), (120, 70), 20, 0, 360, 1.0, -1)
    light *= 1 - 0.7 * cv2.GaussianBlur(shade, (0, 0), 12)  # a shadow down to 30% of the light
    gray, ink = paper_with_digits(light)
    desk = 0.15 * 255
    gray[:, :40] = desk  # the desk beside the page
    gray[:25, :] = desk
    mask, _ = ink_mask(gray)
    shadow_core = cv2.erode((shade > 0).astype(np.uint8), np.ones((41, 41), np.uint8)) > 0
    assert (mask > 0)[shadow_core & ~ink].mean() < 0.01
    assert (mask > 0)[30:, 45:][~ink[30:, 45:]].mean() < 0.01
