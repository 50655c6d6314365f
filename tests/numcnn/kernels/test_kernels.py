"""Every Numba kernel in numcnn/kernels/ against its readable NumPy version, in float32 and float64.

The readable versions live in the layer files (``im2col_naive`` in numcnn/layers/conv2d.py, ...); the layers
themselves are checked against them in the layers' own tests (tests/numcnn/test_conv2d.py, ...).
"""
import importlib
import pkgutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numcnn.kernels
from numcnn.kernels import conv2d, maxpool2d, relu
from numcnn.layers.conv2d import col2im_naive, im2col_naive
from numcnn.layers.maxpool2d import maxpool2d_backward_naive, maxpool2d_forward_naive
from numcnn.layers.relu import relu_backward_naive, relu_forward_naive

DTYPES = [np.float32, np.float64]
dtypes = st.sampled_from(DTYPES)
SETTINGS = settings(max_examples=30, deadline=None)  # deadline=None: a new dtype may trigger a compile

TESTED_KERNELS = {
    "conv2d.im2col", "conv2d.col2im", "maxpool2d.maxpool2d_forward", "maxpool2d.maxpool2d_backward",
    "maxpool2d._max_or_nan", "maxpool2d._is_winner", "maxpool2d._zero_uncovered", "relu.relu_forward",
    "relu.relu_backward",
    # tested in their layers' test files: test_maxpool2d.py, test_dropout.py, test_optim.py
    "maxpool2d.maxpool2d_forward_winners", "maxpool2d.maxpool2d_backward_winners", "maxpool2d._beats",
    "dropout.splitmix64", "dropout.dropout_forward", "dropout.dropout_backward", "adam.adam_update",
}


def tolerance(dtype):
    """Different summation orders: float32 agrees to ~1e-6 relative, float64 to ~1e-15."""
    return dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


def random(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@st.composite
def conv_geometries(draw):
    """(N, C, H, W), kernel, stride, padding such that at least one output position exists."""
    kernel, stride, padding = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(0, 2))
    smallest = max(1, kernel - 2 * padding)
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)),
             draw(st.integers(smallest, 9)), draw(st.integers(smallest, 9)))
    return shape, kernel, stride, padding


@st.composite
def pool_geometries(draw):
    """(N, C, H, W), kernel, stride with the window fitting the input; strides below, at and above k."""
    kernel, stride = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)),
             draw(st.integers(kernel, 10)), draw(st.integers(kernel, 10)))
    return shape, kernel, stride


def output_size(size, kernel, stride, padding=0):
    return (size + 2 * padding - kernel) // stride + 1


def test_every_kernel_has_a_test_here():
    found = set()
    for module_info in pkgutil.iter_modules(numcnn.kernels.__path__):
        module = importlib.import_module(f"numcnn.kernels.{module_info.name}")
        for name, value in vars(module).items():
            if hasattr(value, "py_func") and value.py_func.__module__ == module.__name__:
                found.add(f"{module_info.name}.{name}")
    untested = sorted(found - TESTED_KERNELS)
    assert not untested, f"kernels without a test against their NumPy version in {__file__}: {untested}"
    assert found >= TESTED_KERNELS, f"tested kernels that no longer exist: {sorted(TESTED_KERNELS - found)}"


# --- conv2d -------------------------------------------------------------------------------------------


def im2col(x, kernel, stride, padding, extra_rows=0):
    n, c, h, w = x.shape
    positions = output_size(h, kernel, stride, padding) * output_size(w, kernel, stride, padding)
    cols = np.full((n, c * kernel * kernel + extra_rows, positions), np.nan, dtype=x.dtype)  # NaN: must be written
    conv2d.im2col(x, kernel, kernel, stride, padding, cols)
    return cols


@SETTINGS
@given(geometry=conv_geometries(), dtype=dtypes)
def test_im2col(geometry, dtype):
    shape, kernel, stride, padding = geometry
    x = random(shape, dtype)
    cols = im2col(x, kernel, stride, padding)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, im2col_naive(x, kernel, stride, padding))


def test_im2col_leaves_extra_rows_alone():
    """Conv2D keeps a row of ones below the unrolled rows (the bias trick); im2col must not touch it."""
    x = random((2, 3, 6, 5), np.float32)
    cols = im2col(x, 3, 1, 1, extra_rows=1)
    np.testing.assert_array_equal(cols[:, :-1], im2col_naive(x, 3, 1, 1))
    assert np.isnan(cols[:, -1]).all()


@SETTINGS
@given(geometry=conv_geometries(), dtype=dtypes)
def test_col2im(geometry, dtype):
    shape, kernel, stride, padding = geometry
    cols = random(im2col_naive(np.zeros(shape), kernel, stride, padding).shape, dtype, seed=1)
    x_grad = np.full(shape, np.nan, dtype=dtype)  # must be overwritten, not accumulated into
    conv2d.col2im(cols, kernel, kernel, stride, padding, x_grad)
    np.testing.assert_allclose(x_grad, col2im_naive(cols, shape, kernel, stride, padding), **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_col2im_is_the_adjoint_of_im2col(dtype):
    """<im2col(x), c> == <x, col2im(c)>: the identity that makes the convolution's input gradient right."""
    shape, kernel, stride, padding = (2, 3, 7, 6), 3, 2, 1
    x = random(shape, dtype)
    cols = im2col(x, kernel, stride, padding)
    c = random(cols.shape, dtype, seed=1)
    x_grad = np.empty(shape, dtype=dtype)
    conv2d.col2im(c, kernel, kernel, stride, padding, x_grad)
    np.testing.assert_allclose(np.vdot(cols, c), np.vdot(x, x_grad), rtol=1e-4 if dtype == np.float32 else 1e-12)


# --- maxpool2d ----------------------------------------------------------------------------------------


def pool_input(shape, dtype, ties: bool) -> np.ndarray:
    """Random images; with ``ties``, few distinct values, so most windows hold several maxima and the first one
    must win (forward) and get the gradient (backward), as in the reference."""
    x = random(shape, dtype)
    return np.round(x).astype(dtype) if ties else x


def maxpool_forward(x, kernel, stride):
    n, c, h, w = x.shape
    y = np.full((n, c, output_size(h, kernel, stride), output_size(w, kernel, stride)), -np.inf, dtype=x.dtype)
    maxpool2d.maxpool2d_forward(x, kernel, stride, y)
    return y


@SETTINGS
@given(geometry=pool_geometries(), dtype=dtypes, ties=st.booleans())
def test_maxpool2d_forward(geometry, dtype, ties):
    shape, kernel, stride = geometry
    x = pool_input(shape, dtype, ties)
    y = maxpool_forward(x, kernel, stride)
    np.testing.assert_array_equal(y, maxpool2d_forward_naive(x, kernel, stride))


@SETTINGS
@given(geometry=pool_geometries(), dtype=dtypes, ties=st.booleans())
def test_maxpool2d_backward(geometry, dtype, ties):
    shape, kernel, stride = geometry
    x = pool_input(shape, dtype, ties)
    y = maxpool_forward(x, kernel, stride)
    grad_y = random(y.shape, dtype, seed=1)
    grad_x = np.full(shape, np.nan, dtype=dtype)
    maxpool2d.maxpool2d_backward(x, y, grad_y, kernel, stride, grad_x)
    np.testing.assert_allclose(grad_x, maxpool2d_backward_naive(x, grad_y, kernel, stride), **tolerance(dtype))


@pytest.mark.parametrize("backward", ["recompared", "recorded winners"])
def test_maxpool2d_backward_overwrites_the_pixels_no_window_covers(backward):
    """2x2 windows on a 5x7 input cover neither its last row nor its last column: the stale values there become 0."""
    x = random((1, 2, 5, 7), np.float32)
    y, winner = np.empty((1, 2, 2, 3), np.float32), np.empty((1, 2, 2, 3), np.uint8)
    maxpool2d.maxpool2d_forward_winners(x, 2, 2, y, winner)
    grad_y, grad_x = random(y.shape, np.float32, seed=1), np.full(x.shape, 7, np.float32)
    if backward == "recompared":
        maxpool2d.maxpool2d_backward(x, y, grad_y, 2, 2, grad_x)
    else:
        maxpool2d.maxpool2d_backward_winners(winner, grad_y, 2, 2, grad_x)
    np.testing.assert_array_equal(grad_x, maxpool2d_backward_naive(x, grad_y, 2, 2))


def test_zero_uncovered_zeroes_the_last_rows_and_columns_only():
    plane = np.full((5, 6), 7.0)
    maxpool2d._zero_uncovered(plane, 4, 3)
    assert not plane[4:].any() and not plane[:4, 3:].any() and (plane[:4, :3] == 7).all()


# --- relu ---------------------------------------------------------------------------------------------

RELU_SIZES = [0, 1, 17, 1000, 65536 + 7]


@pytest.mark.parametrize("size", RELU_SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_forward_and_backward(size, dtype):
    x = random(size, dtype)
    x[::5] = 0  # the kink: no gradient passes at exactly 0
    y = np.full(size, np.nan, dtype=dtype)
    relu.relu_forward(x, y)
    np.testing.assert_array_equal(y, relu_forward_naive(x))
    grad_y = random(size, dtype, seed=1)
    grad_x = np.full(size, np.nan, dtype=dtype)
    relu.relu_backward(grad_y, y, grad_x)
    np.testing.assert_array_equal(grad_x, relu_backward_naive(grad_y, y))


# --- NaN: a diverged training run must stay visibly NaN, as with the references and PyTorch ------------


def test_relu_keeps_nan():
    x = np.array([np.nan, -1.0, 2.0], dtype=np.float32)
    y = np.empty_like(x)
    relu.relu_forward(x, y)
    np.testing.assert_array_equal(y, relu_forward_naive(x))


def test_maxpool2d_keeps_nan():
    x = np.array([1.0, np.nan, 0.0, 0.0], dtype=np.float32).reshape(1, 1, 2, 2)
    y = maxpool_forward(x, 2, 2)
    np.testing.assert_array_equal(y, maxpool2d_forward_naive(x, 2, 2))


@pytest.mark.parametrize("a, b", [(1.0, 2.0), (2.0, 1.0), (np.nan, 1.0), (1.0, np.nan), (-0.5, -0.5)])
def test_max_or_nan_matches_np_maximum(a, b):
    np.testing.assert_array_equal(maxpool2d._max_or_nan(a, b), np.maximum(a, b))


@pytest.mark.parametrize("v, best, expected", [(1.0, 1.0, True), (0.5, 1.0, False), (np.nan, np.nan, True),
                                               (1.0, np.nan, False)])
def test_is_winner(v, best, expected):
    assert maxpool2d._is_winner(v, best) == expected
