"""Dense: y = x @ weight.T + bias, the layer against the readable version, shapes, dtypes, gradient
bookkeeping, skipping the input gradient, checks, config."""
import json

import numpy as np
import pytest

from numcnn.layers import Dense
from numcnn.layers.dense import dense_backward_naive, dense_forward_naive
from tests.numcnn.layer_checks import assert_skipping_the_input_gradient_keeps_the_weight_gradients


def make(in_features=4, out_features=3):
    return Dense(in_features, out_features, rng=np.random.default_rng(0))


def random(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def test_computes_x_weight_transposed_plus_bias():
    layer = make(4, 3)
    layer.params["bias"] = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    x = random((5, 4))
    weight = layer.params["weight"].astype(np.float64)
    expected = [[sum(x[n, i] * weight[o, i] for i in range(4)) + layer.params["bias"][o] for o in range(3)]
                for n in range(5)]
    y = layer.forward(x)
    assert y.shape == (5, 3) and layer.output_shape((4,)) == (3,)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch", [1, 5, 500])  # 500 rows are enough work to be split over the threads
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_matches_the_readable_version(batch, dtype):
    layer = Dense(256, 64, rng=np.random.default_rng(0))
    layer.params["bias"] = random(64, seed=3)
    weight, bias = layer.params["weight"].astype(dtype), layer.params["bias"].astype(dtype)
    x, grad_y = random((batch, 256), dtype), random((batch, 64), dtype, seed=1)
    tolerance = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.forward(x), dense_forward_naive(x, weight, bias), **tolerance)
    grad_x = layer.backward(grad_y)
    expected_x, expected_weight, expected_bias = dense_backward_naive(x, weight, grad_y)
    np.testing.assert_allclose(grad_x, expected_x, **tolerance)
    # float32, as the params; sums of up to 500 terms of size ~1 round to ~1e-5 in float32
    np.testing.assert_allclose(layer.grads["weight"], expected_weight, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(layer.grads["bias"], expected_bias, rtol=1e-5, atol=1e-4)


def test_initialization():
    layer = make(6, 2)
    assert layer.params["weight"].shape == (2, 6) and layer.params["weight"].dtype == np.float32
    np.testing.assert_array_equal(layer.params["bias"], np.zeros(2, dtype=np.float32))
    assert np.abs(layer.params["weight"]).max() <= np.sqrt(6.0 / 8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    layer = make()
    y = layer.forward(random((2, 4), dtype))
    assert y.dtype == dtype
    assert layer.backward(np.ones_like(y)).dtype == dtype
    assert all(layer.grads[key].dtype == np.float32 for key in layer.params)


def test_backward_fills_grads_and_never_changes_weights():
    layer = make()
    before = {key: value.copy() for key, value in layer.params.items()}
    x, grad_y = random((5, 4)), random((5, 3), seed=1)
    layer.forward(x)
    grad_x = layer.backward(grad_y)
    assert set(layer.grads) == set(layer.params) == {"weight", "bias"}
    np.testing.assert_allclose(layer.grads["weight"], grad_y.T @ x, rtol=1e-6)
    np.testing.assert_allclose(layer.grads["bias"], grad_y.sum(axis=0), rtol=1e-6)
    np.testing.assert_allclose(grad_x, grad_y @ before["weight"], rtol=1e-6)
    for key, value in layer.params.items():
        assert layer.grads[key].shape == value.shape
        np.testing.assert_array_equal(value, before[key])


def test_backward_without_input_gradient():
    assert_skipping_the_input_gradient_keeps_the_weight_gradients(make(), random((5, 4)), random((5, 3), seed=1))


def test_batch_of_one():
    layer = make()
    y = layer.forward(random((1, 4)))
    assert y.shape == (1, 3)
    assert layer.backward(np.ones_like(y)).shape == (1, 4)


@pytest.mark.parametrize("kwargs, name", [
    (dict(in_features=0), "in_features"), (dict(out_features=-1), "out_features"),
    (dict(in_features=2.5), "in_features"),
])
def test_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"Dense: {name} must be an integer"):
        Dense(**(dict(in_features=3, out_features=2) | kwargs))


def test_rejects_wrong_number_of_features():
    with pytest.raises(ValueError, match="expects 4 input channels.*got shape \\(2, 5\\)"):
        make(4).forward(random((2, 5)))


def test_check_input_shape():
    make(4).check_input_shape((4,))
    for wrong in [(5,), (4, 1), (1, 2, 2)]:
        with pytest.raises(ValueError, match="Dense.*expects samples of 4 input features"):
            make(4).check_input_shape(wrong)


def test_rejects_unflattened_input():
    with pytest.raises(ValueError, match="expects a 2-D array, got \\(2, 1, 2, 2\\)"):
        make(4).forward(random((2, 1, 2, 2)))


def test_config_round_trip():
    layer = make(7, 2)
    config = layer.config()
    assert config == {"in_features": 7, "out_features": 2}
    assert Dense(**json.loads(json.dumps(config))).config() == config
    assert repr(layer) == "Dense(in_features=7, out_features=2)"


def test_integer_input_is_not_silently_truncated():
    layer = make(3, 2)
    x = np.array([[1, 2, 3]])
    try:
        y = layer.forward(x)
    except ValueError:
        return
    np.testing.assert_allclose(y, layer.forward(x.astype(np.float32)), rtol=1e-6)
