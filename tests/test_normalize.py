"""Normalize: (x - mean) / std as a fixed layer of the model, dtypes, checks, config."""
import json
import math

import numpy as np
import pytest

from numcnn.layers import Normalize


def test_values_and_gradient():
    layer = Normalize(0.5, 0.25)
    x = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(layer.forward(x), [[-2.0, 0.0, 2.0]], rtol=1e-6)
    np.testing.assert_allclose(layer.backward(np.ones_like(x)), [[4.0, 4.0, 4.0]], rtol=1e-6)


def test_defaults_are_the_identity():
    x = np.random.default_rng(0).random((2, 1, 3, 3)).astype(np.float32)
    np.testing.assert_array_equal(Normalize().forward(x), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    layer = Normalize(0.1307, 0.3081)
    y = layer.forward(np.ones((2, 1, 4, 4), dtype=dtype))
    assert y.dtype == dtype and y.shape == (2, 1, 4, 4)
    assert layer.backward(np.ones_like(y)).dtype == dtype


def test_integer_input_becomes_float32():
    y = Normalize(1.0, 2.0).forward(np.array([[1, 3]], dtype=np.uint8))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[0.0, 1.0]])


def test_does_not_modify_its_input():
    x = np.ones(3, dtype=np.float32)
    Normalize(0.5, 0.5).forward(x)
    np.testing.assert_array_equal(x, np.ones(3))


@pytest.mark.parametrize("std", [0.0, -1.0])
def test_rejects_non_positive_std(std):
    with pytest.raises(ValueError, match="Normalize: std must be > 0"):
        Normalize(0.0, std)


@pytest.mark.parametrize("mean, std", [(math.nan, 1.0), (math.inf, 1.0), (0.0, math.inf)])
def test_rejects_non_finite_statistics(mean, std):
    with pytest.raises(ValueError, match="Normalize"):
        Normalize(mean, std)


def test_config_round_trip():
    layer = Normalize(0.1307, 0.3081)
    config = layer.config()
    assert config == {"mean": 0.1307, "std": 0.3081}
    assert Normalize(**json.loads(json.dumps(config))).config() == config
    assert layer.params == {} and layer.output_shape((1, 28, 28)) == (1, 28, 28)


# recognizer.normalize: one digit's ink to a (28, 28) MNIST-style image (same file name as the layer's tests;
# the lead may split them into tests/test_layers_normalize.py and tests/test_recognizer_normalize.py).
import cv2  # noqa: E402

from recognizer.normalize import normalize_digit, stroke_width  # noqa: E402
from recognizer.preprocess import ink_darkness  # noqa: E402


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
