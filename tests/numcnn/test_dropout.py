"""Dropout: identity at test time, inverted dropout in training, the same mask in backward, reproducibility."""
import numpy as np
import pytest

import numcnn
from numcnn.layers import Dense, Dropout, Flatten


def test_identity_when_not_training():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((4, 10)).astype(np.float32)
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    np.testing.assert_array_equal(layer.backward(x), x)


@pytest.mark.parametrize("p", [0.25, 0.5, 0.9])
def test_training_drops_a_fraction_p_and_rescales_the_rest(p):
    layer = Dropout(p, rng=np.random.default_rng(0))
    x = np.ones((200, 500), dtype=np.float32)
    y = layer.forward(x, training=True)
    dropped = np.mean(y == 0)
    assert abs(dropped - p) < 0.01  # 100,000 draws: the standard error is below 0.002
    np.testing.assert_allclose(y[y != 0], 1.0 / (1.0 - p), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.05  # inverted dropout keeps the expectation


def test_backward_uses_the_forward_mask():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((8, 16)).astype(np.float32) + 5.0  # no zeros in x
    y = layer.forward(x, training=True)
    grad_x = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(grad_x == 0, y == 0)
    np.testing.assert_allclose(grad_x[y != 0], 2.0)


def test_p_zero_is_identity_in_training():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(Dropout(0.0).forward(x, training=True), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    y = layer.forward(np.ones((3, 4), dtype=dtype), training=True)
    assert y.dtype == dtype
    assert layer.backward(np.ones((3, 4), dtype=dtype)).dtype == dtype


def test_reproducible_from_a_seed_and_different_every_call():
    x = np.ones((10, 10), dtype=np.float32)
    a, b = Dropout(0.5, rng=np.random.default_rng(3)), Dropout(0.5, rng=np.random.default_rng(3))
    first = a.forward(x, training=True)
    np.testing.assert_array_equal(first, b.forward(x, training=True))
    assert not np.array_equal(first, a.forward(x, training=True))


def test_sequential_shares_its_generator():
    model = numcnn.Sequential([Flatten(), Dropout(0.5), Dense(4, 2, rng=np.random.default_rng(0))],
                              input_shape=(1, 2, 2), seed=11)
    assert model.layers[1].rng is model.rng
    x = np.ones((3, 1, 2, 2), dtype=np.float32)
    again = numcnn.Sequential([Flatten(), Dropout(0.5), Dense(4, 2, rng=np.random.default_rng(0))],
                              input_shape=(1, 2, 2), seed=11)
    np.testing.assert_array_equal(model.forward(x, training=True), again.forward(x, training=True))


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5])
def test_rejects_bad_p(p):
    with pytest.raises(ValueError, match="Dropout: p must be in \\[0, 1\\)"):
        Dropout(p)


def test_config_round_trip():
    layer = Dropout(0.3)
    assert layer.config() == {"p": 0.3}
    assert Dropout(**layer.config()).config() == {"p": 0.3}
    assert layer.params == {} and layer.output_shape((3, 4)) == (3, 4)


# --- the kernels against the readable version -------------------------------------------------------------


def test_splitmix64_matches_the_readable_version_and_the_published_generator():
    from numcnn.kernels.dropout import splitmix64
    from numcnn.layers.dropout import splitmix64_naive
    assert splitmix64_naive(0, 1)[0] == 0xE220A8397B1DCDAF  # SplitMix64's first output from state 0
    for seed in (0, 12345, 2 ** 63 - 1):
        expected = splitmix64_naive(seed, 20)
        assert [splitmix64(seed, i) for i in range(20)] == list(expected)


@pytest.mark.parametrize("p", [0.1, 0.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_and_kernels_match_the_readable_version(dtype, p):
    from numcnn.layers.dropout import dropout_forward_naive
    x = np.random.default_rng(1).standard_normal((6, 7, 9)).astype(dtype)
    x[0, 0, 0] = np.nan  # NaN stays NaN, dropped or not, as in x * mask
    layer = Dropout(p, rng=np.random.default_rng(5))
    y = layer.forward(x, training=True)
    seed = int(np.random.default_rng(5).integers(0, 2 ** 63))  # the layer's one draw
    expected_y, mask = dropout_forward_naive(x, p, seed)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, expected_y)
    grad_y = np.random.default_rng(2).standard_normal(x.shape).astype(dtype)
    np.testing.assert_array_equal(layer.backward(grad_y), grad_y * mask)
