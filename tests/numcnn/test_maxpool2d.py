"""MaxPool2D: the layer against the readable version, floor-mode shapes, window maxima, gradient routing
(ties, overlaps), checks, config."""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numcnn.kernels import maxpool2d as kernels
from numcnn.layers import MaxPool2D
from numcnn.layers.maxpool2d import maxpool2d_backward_naive, maxpool2d_forward_naive
from tests.numcnn.kernels.test_kernels import SETTINGS, dtypes, pool_geometries, pool_input, tolerance


def random(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@SETTINGS
@given(geometry=pool_geometries(), dtype=dtypes, ties=st.booleans(), training=st.booleans())
def test_layer_matches_the_readable_version(geometry, dtype, ties, training):
    shape, kernel, stride = geometry
    layer = MaxPool2D(kernel, stride)
    x = pool_input(shape, dtype, ties)
    y = layer.forward(x, training=training)  # training records the winners; backward then uses them
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, maxpool2d_forward_naive(x, kernel, stride))
    grad_y = random(y.shape, dtype, seed=1)
    np.testing.assert_allclose(layer.backward(grad_y), maxpool2d_backward_naive(x, grad_y, kernel, stride),
                               **tolerance(dtype))


@pytest.mark.parametrize("x_shape, kernel, stride, expected", [
    ((2, 3, 6, 6), 2, None, (2, 3, 3, 3)),
    ((1, 1, 7, 7), 2, None, (1, 1, 3, 3)),     # odd sizes floor, as PyTorch
    ((1, 2, 5, 5), 3, 2, (1, 2, 2, 2)),
    ((1, 1, 6, 5), 3, 1, (1, 1, 4, 3)),        # overlapping windows, rectangular
    ((2, 1, 7, 9), 2, 3, (2, 1, 2, 3)),        # stride > kernel
    ((1, 4, 3, 3), 3, None, (1, 4, 1, 1)),
])
def test_output_shape(x_shape, kernel, stride, expected):
    layer = MaxPool2D(kernel, stride)
    assert layer.forward(random(x_shape)).shape == expected
    assert layer.output_shape(x_shape[1:]) == expected[1:]


def test_stride_defaults_to_kernel_size():
    assert MaxPool2D(3).stride == 3
    assert MaxPool2D().kernel_size == 2 and MaxPool2D().stride == 2


def test_takes_the_max_of_each_window():
    x = -np.arange(16, dtype=np.float32)[::-1].reshape(1, 1, 4, 4)  # all negative: the max is not clipped at 0
    y = MaxPool2D(2).forward(x)
    np.testing.assert_array_equal(y[0, 0], [[x[0, 0, 1, 1], x[0, 0, 1, 3]], [x[0, 0, 3, 1], x[0, 0, 3, 3]]])


def test_ignores_the_rows_and_columns_no_window_reaches():
    x = np.zeros((1, 1, 5, 5), dtype=np.float32)
    x[0, 0, 4, :] = x[0, 0, :, 4] = 100.0  # outside every 2x2 window of a 5x5 input
    np.testing.assert_array_equal(MaxPool2D(2).forward(x), np.zeros((1, 1, 2, 2)))


def test_backward_routes_each_gradient_to_its_window_maximum():
    x = np.array([[1, 5, 2, 0],
                  [3, 4, 8, 1],
                  [0, 0, 6, 7],
                  [9, 2, 1, 1]], dtype=np.float32).reshape(1, 1, 4, 4)
    layer = MaxPool2D(2)
    layer.forward(x)
    grad_x = layer.backward(np.array([[10, 20], [30, 40]], dtype=np.float32).reshape(1, 1, 2, 2))
    expected = np.zeros((4, 4), dtype=np.float32)
    expected[0, 1], expected[1, 2], expected[3, 0], expected[2, 3] = 10, 20, 30, 40
    np.testing.assert_array_equal(grad_x[0, 0], expected)


@pytest.mark.parametrize("training", [False, True])
def test_backward_ties_go_to_the_first_maximum_only(training):
    layer = MaxPool2D(2)
    layer.forward(np.ones((1, 1, 2, 2), dtype=np.float32), training=training)
    grad_x = layer.backward(np.full((1, 1, 1, 1), 3.0, dtype=np.float32))
    np.testing.assert_array_equal(grad_x[0, 0], [[3, 0], [0, 0]])


@pytest.mark.parametrize("training", [False, True])
def test_backward_overlapping_windows_add_up(training):
    x = np.zeros((1, 1, 3, 4), dtype=np.float32)
    x[0, 0, 1, 1] = 1.0  # the maximum of both 3x3 windows (stride 1)
    layer = MaxPool2D(3, stride=1)
    layer.forward(x, training=training)
    grad_x = layer.backward(np.array([2.0, 5.0], dtype=np.float32).reshape(1, 1, 1, 2))
    assert grad_x[0, 0, 1, 1] == 7.0
    assert np.count_nonzero(grad_x) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    layer = MaxPool2D(2)
    y = layer.forward(random((2, 3, 6, 6), dtype))
    assert y.dtype == dtype
    assert layer.backward(np.ones_like(y)).dtype == dtype


def test_has_no_parameters():
    layer = MaxPool2D(2)
    layer.backward(np.ones_like(layer.forward(random((1, 1, 4, 4)))))
    assert layer.params == {} and layer.grads == {}


def test_non_contiguous_input():
    x = random((2, 3, 12, 12))[:, ::2, ::2, 1::2]
    layer = MaxPool2D(2)
    np.testing.assert_array_equal(layer.forward(x), layer.forward(np.ascontiguousarray(x)))


@pytest.mark.parametrize("kwargs, name", [
    (dict(kernel_size=0), "kernel_size"), (dict(kernel_size=1.5), "kernel_size"),
    (dict(kernel_size=2, stride=0), "stride"), (dict(kernel_size=2, stride=-1), "stride"),
])
def test_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"MaxPool2D: {name} must be an integer"):
        MaxPool2D(**kwargs)


@pytest.mark.parametrize("x", [random((2, 4, 4)), random((4, 4)), "image"], ids=["3-D", "2-D", "str"])
def test_rejects_input_that_is_not_4d_array(x):
    with pytest.raises(ValueError, match="expects a 4-D array"):
        MaxPool2D(2).forward(x)


def test_check_input_shape():
    MaxPool2D(2).check_input_shape((3, 4, 4))
    with pytest.raises(ValueError, match="MaxPool2D.*expects samples of shape \\(C, H, W\\), got \\(16,\\)"):
        MaxPool2D(2).check_input_shape((16,))


def test_rejects_input_smaller_than_the_window():
    with pytest.raises(ValueError, match="input 2x5 is smaller than the window"):
        MaxPool2D(3).forward(random((1, 1, 2, 5)))


def test_config_round_trip():
    layer = MaxPool2D(3, stride=2)
    config = layer.config()
    assert config == {"kernel_size": 3, "stride": 2}
    assert MaxPool2D(**json.loads(json.dumps(config))).config() == config
    assert MaxPool2D(2).config() == {"kernel_size": 2, "stride": 2}
    assert repr(layer) == "MaxPool2D(kernel_size=3, stride=2)"


# --- the training kernels, which record each window's winner, against the readable version ---------------


def winners_naive(x, kernel, stride):
    """Each window's first maximum (row-major; the first NaN if any), as i * kernel + j: (N, C, H_out, W_out)."""
    out_h, out_w = (x.shape[2] - kernel) // stride + 1, (x.shape[3] - kernel) // stride + 1
    winner = np.empty(x.shape[:2] + (out_h, out_w), dtype=np.uint8)
    for oh in range(out_h):
        for ow in range(out_w):
            window = x[:, :, oh * stride:oh * stride + kernel, ow * stride:ow * stride + kernel]
            winner[:, :, oh, ow] = np.argmax(window.reshape(x.shape[:2] + (-1,)), axis=2)
    return winner


@SETTINGS
@given(geometry=pool_geometries(), dtype=dtypes, ties=st.booleans())
def test_winner_kernels_match_the_readable_version(geometry, dtype, ties):
    shape, kernel, stride = geometry
    x = pool_input(shape, dtype, ties)
    y = maxpool2d_forward_naive(x, kernel, stride)
    fast_y, winner = np.full_like(y, 7), np.full(y.shape, 99, dtype=np.uint8)
    kernels.maxpool2d_forward_winners(x, kernel, stride, fast_y, winner)
    np.testing.assert_array_equal(fast_y, y)
    np.testing.assert_array_equal(winner, winners_naive(x, kernel, stride))
    grad_y = random(y.shape, dtype, seed=1)
    grad_x = np.full_like(x, 7)  # stale values: the kernel must overwrite every pixel
    kernels.maxpool2d_backward_winners(winner, grad_y, kernel, stride, grad_x)
    np.testing.assert_allclose(grad_x, maxpool2d_backward_naive(x, grad_y, kernel, stride), **tolerance(dtype))


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 2)])
def test_winner_kernels_keep_nan(kernel, stride):
    x = random((1, 2, 5, 5), np.float32)
    x[0, 0, 1, 0] = x[0, 0, 1, 1] = np.nan  # the first NaN of the first window wins
    y, winner = np.empty((1, 2, 2, 2), np.float32), np.empty((1, 2, 2, 2), np.uint8)
    kernels.maxpool2d_forward_winners(x, kernel, stride, y, winner)
    np.testing.assert_array_equal(y, maxpool2d_forward_naive(x, kernel, stride))
    assert np.isnan(y[0, 0, 0, 0]) and winner[0, 0, 0, 0] == kernel
    np.testing.assert_array_equal(winner, winners_naive(x, kernel, stride))


@pytest.mark.parametrize("v, best, expected", [(2.0, 1.0, True), (1.0, 1.0, False), (0.0, 1.0, False),
                                               (np.nan, 1.0, True), (np.nan, np.nan, False), (1.0, np.nan, False)])
def test_beats(v, best, expected):
    assert kernels._beats(v, best) == expected
