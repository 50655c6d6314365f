"""Flatten: (N, C, H, W) -> (N, C*H*W) in C order, and back in backward."""
import numpy as np

from numcnn.layers import Flatten


def test_flattens_in_c_order_and_restores_in_backward():
    layer = Flatten()
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    y = layer.forward(x)
    assert y.shape == (2, 60) and y.dtype == np.float32
    np.testing.assert_array_equal(y[1], x[1].ravel())  # channel-major, as PyTorch's flatten
    grad_x = layer.backward(y * 2)
    assert grad_x.shape == x.shape
    np.testing.assert_array_equal(grad_x, x * 2)


def test_output_shape():
    assert Flatten().output_shape((64, 5, 5)) == (1600,)
    assert Flatten().output_shape((7,)) == (7,)


def test_already_flat_and_batch_of_one():
    layer = Flatten()
    assert layer.forward(np.zeros((3, 7))).shape == (3, 7)
    assert layer.forward(np.zeros((1, 2, 3, 3), dtype=np.float64)).shape == (1, 18)
    assert layer.backward(np.ones((1, 18))).shape == (1, 2, 3, 3)


def test_non_contiguous_input():
    x = np.arange(48, dtype=np.float32).reshape(2, 3, 8)[:, :, ::2]
    np.testing.assert_array_equal(Flatten().forward(x), np.ascontiguousarray(x).reshape(2, -1))


def test_has_no_parameters_and_empty_config():
    layer = Flatten()
    assert layer.params == {} and layer.grads == {} and layer.config() == {}
