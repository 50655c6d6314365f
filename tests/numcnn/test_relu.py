"""ReLU: the layer against the readable version, values, the gradient mask (including the kink at 0), dtypes,
any shape."""
import numpy as np
import pytest

from numcnn.layers import ReLU
from numcnn.layers.relu import relu_backward_naive, relu_forward_naive


@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (0, 3), (65536 + 7,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_matches_the_readable_version(shape, dtype):
    layer = ReLU()
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x.reshape(-1)[::5] = 0  # the kink: no gradient passes at exactly 0
    y = layer.forward(x)
    assert y.dtype == dtype and y.shape == x.shape
    np.testing.assert_array_equal(y, relu_forward_naive(x))
    grad_y = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    np.testing.assert_array_equal(layer.backward(grad_y), relu_backward_naive(grad_y, relu_forward_naive(x)))


def test_values_and_gradient_mask():
    layer = ReLU()
    x = np.array([[-2.0, -0.0, 0.0, 0.5, 3.0]], dtype=np.float32)
    np.testing.assert_array_equal(layer.forward(x), [[0, 0, 0, 0.5, 3.0]])
    grad_x = layer.backward(np.array([[1.0, 2.0, 3.0, 4.0, 5.0]], dtype=np.float32))
    np.testing.assert_array_equal(grad_x, [[0, 0, 0, 4.0, 5.0]])  # no gradient at exactly 0


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4, 5), (1, 1, 1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_any_shape_and_dtype(shape, dtype):
    layer = ReLU()
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    y = layer.forward(x)
    assert y.shape == shape and y.dtype == dtype
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    grad_x = layer.backward(np.ones(shape, dtype=dtype))
    assert grad_x.shape == shape and grad_x.dtype == dtype
    np.testing.assert_array_equal(grad_x, (x > 0).astype(dtype))
    assert layer.output_shape(shape) == shape


def test_does_not_modify_its_input():
    x = np.array([-1.0, 2.0], dtype=np.float32)
    ReLU().forward(x)
    np.testing.assert_array_equal(x, [-1.0, 2.0])


def test_non_contiguous_input():
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)[:, ::2]
    np.testing.assert_array_equal(ReLU().forward(x), np.maximum(x, 0))


def test_has_no_parameters_and_empty_config():
    layer = ReLU()
    assert layer.params == {} and layer.grads == {} and layer.config() == {}
    assert repr(layer) == "ReLU()"
