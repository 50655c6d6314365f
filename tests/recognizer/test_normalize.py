"""recognizer.normalize: one digit's ink to a (28, 28) MNIST-style image."""
import cv2
import numpy as np

from recognizer.normalize import normalize_digit, stroke_width
from recognizer.preprocess import ink_darkness


def ring(thickness: int, size: tuple[int, int] = (120, 90), centre: tuple[int, int] | None = None) -> np.ndarray:
    ink = np.zeros(size, np.uint8)
    cv2.ellipse(ink, centre or (size[1] // 2, size[0] // 2), (25, 45), 0, 0, 360, 255, thickness)
    return ink


def centre_of_mass(digit: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(digit.shape)
    return float((ys * digit).sum() / digit.sum()), float((xs * digit).sum() / digit.sum())


def test_normalize_digit_is_mnist_shaped():
    digit = normalize_digit(ring(8))
    assert digit.shape == (28, 28) and digit.dtype == np.float32 and 0 <= digit.min() and digit.max() <= 1
    rows, cols = np.flatnonzero(digit.max(axis=1) > 0.2), np.flatnonzero(digit.max(axis=0) > 0.2)
    assert 19 <= rows[-1] - rows[0] + 1 <= 21 and cols[-1] - cols[0] + 1 < 16  # longer side 20, aspect kept
    np.testing.assert_allclose(centre_of_mass(digit), (13.5, 13.5), atol=0.5)


def test_off_centre_input_is_centred():
    corner = ring(8, size=(300, 300), centre=(40, 60))
    np.testing.assert_allclose(normalize_digit(corner), normalize_digit(ring(8)), atol=0.05)


def test_thin_and_thick_strokes_end_up_alike():
    # Pens 12x apart in width land within the documented MIN_STROKE-MAX_STROKE (2-4.5 px) band, give or take
    # the resampling's half pixel.
    widths = [stroke_width((normalize_digit(ring(t)) * 255).astype(np.uint8)) for t in (2, 8, 24)]
    assert all(1.5 <= width <= 5.0 for width in widths) and max(widths) <= 2.5 * min(widths), widths


def test_dark_ink_on_white_becomes_white_on_black_before_normalizing():
    photo = 255 - ring(8)  # dark ink on white paper, as a camera sees it
    np.testing.assert_allclose(normalize_digit(ink_darkness(photo)), normalize_digit(ring(8)), atol=0.1)


def test_float_input_and_empty_input():
    np.testing.assert_allclose(normalize_digit(ring(8).astype(np.float32) / 255), normalize_digit(ring(8)), atol=1e-2)
    np.testing.assert_array_equal(normalize_digit(np.zeros((30, 20), np.uint8)), np.zeros((28, 28)))


def test_a_straight_one_is_not_lost():
    # Fitted into 20x20, a straight "1" is 2 pixels wide: an (N, 2) array, which cv2.moments takes for N points
    # (area 0) and centring by mass returned an empty image for.
    bar = np.zeros((140, 40), np.uint8)
    bar[20:120, 15:25] = 255
    digit = normalize_digit(bar)
    assert digit.max() > 0.9
    np.testing.assert_allclose(centre_of_mass(digit), (14, 14), atol=0.1)
