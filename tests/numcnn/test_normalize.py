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
