"""Conv2D: the readable version against the definition, the layer against the readable version, shapes,
arithmetic, dtypes, gradients bookkeeping, argument and input checks, config."""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numcnn.layers import Conv2D
from numcnn.layers.conv2d import col2im_naive, conv2d_backward_naive, conv2d_forward_naive, im2col_naive
from tests.numcnn.kernels.test_kernels import SETTINGS, conv_geometries, dtypes, tolerance
from tests.numcnn.layer_checks import assert_skipping_the_input_gradient_keeps_the_weight_gradients


def make(in_channels=2, out_channels=3, kernel_size=3, **kwargs):
    return Conv2D(in_channels, out_channels, kernel_size, rng=np.random.default_rng(0), **kwargs)


def random(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def conv2d_by_the_definition(x, weight, bias, stride, padding):
    """y[n, f, oh, ow] = bias[f] + sum_{c,i,j} weight[f, c, i, j] * x_pad[n, c, oh*stride + i, ow*stride + j]"""
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    filters, channels, k, _ = weight.shape
    out_h, out_w = (x_pad.shape[2] - k) // stride + 1, (x_pad.shape[3] - k) // stride + 1
    y = np.zeros((len(x), filters, out_h, out_w))
    for n, f, oh, ow in np.ndindex(y.shape):
        y[n, f, oh, ow] = bias[f] + sum(weight[f, c, i, j] * x_pad[n, c, oh * stride + i, ow * stride + j]
                                        for c in range(channels) for i in range(k) for j in range(k))
    return y


@pytest.mark.parametrize("x_shape, filters, kernel, stride, padding", [
    ((2, 3, 5, 4), 2, 3, 1, 0), ((1, 2, 7, 6), 3, 3, 2, 1), ((1, 1, 4, 5), 2, 2, 3, 2),
])
def test_readable_version_is_the_definition(x_shape, filters, kernel, stride, padding):
    x, weight = random(x_shape, np.float64), random((filters, x_shape[1], kernel, kernel), np.float64, seed=1)
    bias = random(filters, np.float64, seed=2)
    np.testing.assert_allclose(conv2d_forward_naive(x, weight, bias, stride, padding),
                               conv2d_by_the_definition(x, weight, bias, stride, padding), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, kernel, stride, padding", [((2, 3, 7, 6), 3, 2, 1), ((1, 2, 5, 5), 2, 1, 0)])
def test_readable_col2im_is_the_adjoint_of_im2col(x_shape, kernel, stride, padding):
    """<im2col(x), c> == <x, col2im(c)>: what makes col2im(W.T @ grad_y) the input gradient."""
    x = random(x_shape, np.float64)
    cols = im2col_naive(x, kernel, stride, padding)
    c = random(cols.shape, np.float64, seed=1)
    np.testing.assert_allclose(np.vdot(cols, c), np.vdot(x, col2im_naive(c, x.shape, kernel, stride, padding)),
                               rtol=1e-12)


@SETTINGS
@given(geometry=conv_geometries(), filters=st.integers(1, 4), dtype=dtypes)
def test_layer_matches_the_readable_version(geometry, filters, dtype):
    shape, kernel, stride, padding = geometry
    layer = Conv2D(shape[1], filters, kernel, stride=stride, padding=padding, rng=np.random.default_rng(0))
    layer.params["bias"] = random(filters, seed=3)
    weight, bias = layer.params["weight"].astype(dtype), layer.params["bias"].astype(dtype)
    x = random(shape, dtype, seed=1)
    y = layer.forward(x)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, conv2d_forward_naive(x, weight, bias, stride, padding), **tolerance(dtype))

    grad_y = random(y.shape, dtype, seed=2)
    grad_x = layer.backward(grad_y)
    expected_x, expected_weight, expected_bias = conv2d_backward_naive(x, weight, grad_y, stride, padding)
    np.testing.assert_allclose(grad_x, expected_x, **tolerance(dtype))
    np.testing.assert_allclose(layer.grads["weight"], expected_weight, **tolerance(np.float32))
    np.testing.assert_allclose(layer.grads["bias"], expected_bias, **tolerance(np.float32))


@pytest.mark.parametrize("x_shape, out_channels, kernel, stride, padding, expected", [
    ((2, 1, 28, 28), 32, 3, 1, 0, (2, 32, 26, 26)),
    ((1, 3, 7, 5), 4, 3, 2, 1, (1, 4, 4, 3)),
    ((3, 2, 8, 8), 1, 3, 3, 2, (3, 1, 4, 4)),
    ((1, 2, 5, 9), 2, 1, 1, 0, (1, 2, 5, 9)),
    ((1, 1, 2, 2), 1, 3, 1, 1, (1, 1, 2, 2)),   # padding makes a 2x2 input big enough for a 3x3 kernel
])
def test_output_shape(x_shape, out_channels, kernel, stride, padding, expected):
    layer = make(x_shape[1], out_channels, kernel, stride=stride, padding=padding)
    assert layer.forward(random(x_shape)).shape == expected
    assert layer.output_shape(x_shape[1:]) == expected[1:]


def test_is_cross_correlation_like_pytorch():
    """y[i, j] = sum_ab x[i+a, j+b] * w[a, b] + bias: the kernel is not flipped (that would be a convolution)."""
    layer = make(1, 1, 2)
    layer.params["weight"] = np.array([[[[1.0, 0.0], [0.0, -1.0]]]], dtype=np.float32)
    layer.params["bias"] = np.array([0.5], dtype=np.float32)
    x = np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4)
    expected = x[0, 0, :-1, :-1] - x[0, 0, 1:, 1:] + 0.5  # = -5 + 0.5 everywhere
    np.testing.assert_array_equal(layer.forward(x)[0, 0], expected)


def test_padding_adds_zeros_around_the_input():
    layer = make(1, 1, 1, padding=2)
    layer.params["weight"][...] = 2.0
    layer.params["bias"][...] = 1.0
    x = random((1, 1, 3, 2))
    expected = 2.0 * np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2))) + 1.0
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-6)


def test_sums_over_input_channels():
    layer = make(3, 1, 1)
    layer.params["weight"] = np.array([1.0, 10.0, 100.0], dtype=np.float32).reshape(1, 3, 1, 1)
    x = random((2, 3, 4, 4))
    np.testing.assert_allclose(layer.forward(x)[:, 0], x[:, 0] + 10 * x[:, 1] + 100 * x[:, 2], rtol=1e-5)


def test_initialization():
    layer = make(2, 5, 3)
    assert layer.params["weight"].shape == (5, 2, 3, 3) and layer.params["weight"].dtype == np.float32
    np.testing.assert_array_equal(layer.params["bias"], np.zeros(5, dtype=np.float32))
    bound = np.sqrt(6.0 / (2 * 9 + 5 * 9))
    assert np.abs(layer.params["weight"]).max() <= bound
    assert layer.params["weight"].std() > bound / 4  # spread over the range, not all zeros
    np.testing.assert_array_equal(make(2, 5, 3).params["weight"], layer.params["weight"])  # same seed


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    layer = make()
    y = layer.forward(random((2, 2, 6, 6), dtype))
    assert y.dtype == dtype
    assert layer.backward(np.ones_like(y)).dtype == dtype
    assert all(layer.grads[key].dtype == np.float32 for key in layer.params)  # the dtype of the params


def test_backward_fills_grads_and_never_changes_weights():
    layer = make(stride=2, padding=1)
    before = {key: value.copy() for key, value in layer.params.items()}
    x = random((2, 2, 7, 7))
    y = layer.forward(x)
    grad_x = layer.backward(random(y.shape, seed=1))
    assert grad_x.shape == x.shape
    assert set(layer.grads) == set(layer.params) == {"weight", "bias"}
    for key, value in layer.params.items():
        assert layer.grads[key].shape == value.shape
        assert np.abs(layer.grads[key]).max() > 0
        np.testing.assert_array_equal(value, before[key])


def test_backward_overwrites_grads_instead_of_accumulating():
    layer = make()
    x, grad_y = random((2, 2, 5, 5)), random((2, 3, 3, 3), seed=1)
    layer.forward(x)
    layer.backward(grad_y)
    first = {key: value.copy() for key, value in layer.grads.items()}
    layer.forward(x)
    layer.backward(grad_y)
    for key in first:
        np.testing.assert_array_equal(layer.grads[key], first[key])


def test_backward_without_input_gradient():
    x, grad_y = random((2, 2, 5, 5)), random((2, 3, 3, 3), seed=1)
    assert_skipping_the_input_gradient_keeps_the_weight_gradients(make(), x, grad_y)


def test_reads_weights_at_every_call():
    """Optimizers update params in place, and load_model replaces the arrays: both must be seen."""
    layer = make()
    x = random((1, 2, 5, 5))
    y = layer.forward(x)
    layer.params["bias"] += 1.0
    np.testing.assert_allclose(layer.forward(x), y + 1.0, rtol=1e-6)
    layer.params["weight"] = np.zeros_like(layer.params["weight"])
    np.testing.assert_array_equal(layer.forward(x), np.ones_like(y))


def test_non_contiguous_input():
    layer = make()
    x = random((2, 2, 14, 12))[:, :, ::2, 1::2]
    assert not x.flags.c_contiguous
    np.testing.assert_array_equal(layer.forward(x), layer.forward(np.ascontiguousarray(x)))


@pytest.mark.parametrize("kwargs, name", [
    (dict(kernel_size=0), "kernel_size"), (dict(kernel_size=2.5), "kernel_size"), (dict(stride=0), "stride"),
    (dict(padding=-1), "padding"), (dict(in_channels=0), "in_channels"), (dict(out_channels=-3), "out_channels"),
])
def test_rejects_bad_arguments(kwargs, name):
    arguments = dict(in_channels=1, out_channels=2, kernel_size=3) | kwargs
    with pytest.raises(ValueError, match=f"Conv2D: {name} must be an integer"):
        Conv2D(**arguments)


def test_rejects_wrong_number_of_channels():
    with pytest.raises(ValueError, match="expects 2 input channels.*got shape \\(1, 3, 5, 5\\)"):
        make(2).forward(random((1, 3, 5, 5)))


@pytest.mark.parametrize("x", [random((2, 5, 5)), random((1, 1, 2, 5, 5)), [[[[0.0]]]]],
                         ids=["3-D", "5-D", "list"])
def test_rejects_input_that_is_not_4d_array(x):
    with pytest.raises(ValueError, match="expects a 4-D array"):
        make(2).forward(x)


def test_check_input_shape():
    layer = make(2)
    layer.check_input_shape((2, 5, 7))
    for wrong in [(3, 5, 7), (2, 5), (2, 1, 5, 7)]:
        with pytest.raises(ValueError, match="Conv2D.*expects samples of shape \\(2, H, W\\)"):
            layer.check_input_shape(wrong)


def test_rejects_input_smaller_than_the_kernel():
    with pytest.raises(ValueError, match="input 2x5 is smaller than the kernel"):
        make(2, 3, 3).forward(random((1, 2, 2, 5)))


def test_config_round_trip():
    layer = make(2, 7, 5, stride=3, padding=2)
    config = layer.config()
    assert config == {"in_channels": 2, "out_channels": 7, "kernel_size": 5, "stride": 3, "padding": 2}
    assert Conv2D(**json.loads(json.dumps(config))).config() == config
    assert repr(layer) == "Conv2D(in_channels=2, out_channels=7, kernel_size=5, stride=3, padding=2)"


def test_integer_input_is_not_silently_truncated():
    layer = make(1, 1, 2)
    x = np.arange(9).reshape(1, 1, 3, 3)
    try:
        y = layer.forward(x)
    except ValueError:
        return
    np.testing.assert_allclose(y, layer.forward(x.astype(np.float32)), rtol=1e-6)
