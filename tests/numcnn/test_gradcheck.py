"""Gradient checks (numcnn.gradcheck) of every layer, the loss and a whole model, and of the checker itself."""
import numpy as np
import pytest

import numcnn
from numcnn.gradcheck import GradcheckReport, check_layer, check_loss, check_model, numerical_gradient, relative_error
from numcnn.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, Normalize, ReLU


def images(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# (N, C_in, H, W), C_out, kernel, stride, padding
CONV_CASES = [
    ((2, 3, 7, 6), 4, 3, 1, 0),    # rectangular, several channels
    ((1, 1, 5, 5), 1, 3, 1, 0),    # batch 1, one channel in and out
    ((2, 2, 7, 7), 3, 3, 2, 1),    # stride 2 with padding, odd size
    ((1, 2, 8, 5), 2, 3, 3, 2),    # stride 3, padding 2, stride does not divide the input
    ((2, 1, 6, 9), 2, 2, 2, 0),    # even kernel
    ((1, 3, 4, 4), 2, 1, 1, 1),    # 1x1 kernel with padding: a border that only sees zeros
    ((1, 2, 3, 3), 2, 5, 1, 2),    # kernel larger than the unpadded input
    ((2, 2, 5, 7), 3, 4, 3, 1),
]


@pytest.mark.parametrize("shape, out_channels, kernel, stride, padding", CONV_CASES)
def test_conv2d(shape, out_channels, kernel, stride, padding):
    layer = Conv2D(shape[1], out_channels, kernel, stride=stride, padding=padding, rng=np.random.default_rng(1))
    layer.params["bias"] = np.random.default_rng(2).standard_normal(out_channels).astype(np.float32)
    check_layer(layer, images(shape)).assert_ok()


# (N, C, H, W), kernel, stride (None: = kernel)
POOL_CASES = [
    ((2, 3, 6, 6), 2, None),     # windows tile the input
    ((1, 1, 7, 7), 2, None),     # 7x7 with k=2: the last row and column are never in a window
    ((2, 2, 5, 5), 3, 2),        # overlapping windows, k=3 stride 2
    ((1, 2, 6, 5), 3, 1),        # heavily overlapping windows, rectangular input
    ((2, 1, 5, 8), 2, 1),
    ((1, 2, 7, 9), 2, 3),        # stride > kernel: some pixels are skipped
    ((1, 1, 4, 4), 4, None),     # one window covers the whole input
]


@pytest.mark.parametrize("shape, kernel, stride", POOL_CASES)
def test_maxpool2d(shape, kernel, stride):
    check_layer(MaxPool2D(kernel, stride), images(shape)).assert_ok()


@pytest.mark.parametrize("batch, in_features, out_features", [(4, 5, 3), (1, 7, 1), (3, 1, 4)])
def test_dense(batch, in_features, out_features):
    layer = Dense(in_features, out_features, rng=np.random.default_rng(1))
    layer.params["bias"] = np.random.default_rng(2).standard_normal(out_features).astype(np.float32)
    check_layer(layer, images((batch, in_features))).assert_ok()


@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (1, 7), (3, 1, 1, 1)])
def test_relu(shape):
    check_layer(ReLU(), images(shape)).assert_ok()


@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (1, 1, 3, 3), (2, 6)])
def test_flatten(shape):
    check_layer(Flatten(), images(shape)).assert_ok()


@pytest.mark.parametrize("p", [0.0, 0.3, 0.8])
@pytest.mark.parametrize("training", [True, False])
def test_dropout(p, training):
    layer = Dropout(p, rng=np.random.default_rng(5))
    check_layer(layer, images((2, 3, 4, 5)), training=training).assert_ok()


def test_normalize():
    check_layer(Normalize(0.1307, 0.3081), images((2, 1, 4, 3))).assert_ok()


@pytest.mark.parametrize("batch, classes, scale", [(4, 10, 3.0), (1, 2, 1.0), (5, 3, 20.0), (2, 10, 0.0)])
def test_softmax_cross_entropy(batch, classes, scale):
    rng = np.random.default_rng(3)
    logits = scale * rng.standard_normal((batch, classes))
    labels = rng.integers(0, classes, batch)
    check_loss(numcnn.SoftmaxCrossEntropy(), logits, labels).assert_ok()


def small_keras_like_model():
    """The keras-example architecture shrunk to a 10x10 input, so every parameter can be nudged quickly."""
    rng = np.random.default_rng(4)
    layers = [Normalize(0.1307, 0.3081), Conv2D(1, 2, 3, rng=rng), ReLU(), MaxPool2D(2),
              Conv2D(2, 3, 3, padding=1, rng=rng), ReLU(), MaxPool2D(2),
              Flatten(), Dropout(0.5), Dense(3 * 2 * 2, 4, rng=rng)]
    return numcnn.Sequential(layers, input_shape=(1, 10, 10), seed=7)


@pytest.mark.parametrize("training", [True, False])
def test_whole_model(training):
    model = small_keras_like_model()
    x = np.random.default_rng(5).random((2, 1, 10, 10))
    report = check_model(model, x, np.array([1, 3]), training=training)
    assert set(report.errors) == {"input"} | {name for name, _, _ in model.parameters()}
    report.assert_ok()


# --- the checker itself -------------------------------------------------------------------------------


class WrongBiasDense(Dense):
    """A Dense layer whose bias gradient forgets to sum over the batch (a classic mistake)."""

    def backward(self, grad_y):
        grad_x = super().backward(grad_y)
        self.grads["bias"] = grad_y[0].copy()
        return grad_x


class WrongInputGradReLU(ReLU):
    """A ReLU that lets every gradient through."""

    def backward(self, grad_y):
        return grad_y


def test_detects_a_wrong_parameter_gradient():
    report = check_layer(WrongBiasDense(4, 3, rng=np.random.default_rng(0)), images((3, 4)))
    assert report.errors["bias"] > 0.1
    assert report.errors["weight"] < 1e-6 and report.errors["input"] < 1e-6
    with pytest.raises(AssertionError, match="bias"):
        report.assert_ok()


def test_detects_a_wrong_input_gradient():
    report = check_layer(WrongInputGradReLU(), images((2, 3, 4, 4)))
    assert report.max_error > 0.1
    assert "WRONG" in str(report) and "input" in str(report)


def test_leaves_the_callers_layer_untouched():
    layer = Conv2D(2, 3, 3, rng=np.random.default_rng(0))
    before = {key: value.copy() for key, value in layer.params.items()}
    x = images((1, 2, 5, 5)).astype(np.float32)
    check_layer(layer, x).assert_ok()
    for key, value in layer.params.items():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, before[key])
    assert x.dtype == np.float32


def test_checks_the_input_gradient_of_a_layer_told_to_skip_it():
    layer = Dense(4, 3, rng=np.random.default_rng(0))
    layer.need_input_grad = False  # as Sequential.backward(..., need_input_grad=False) does during a call
    report = check_layer(layer, images((2, 4)))
    assert set(report.errors) == {"input", "weight", "bias"}
    report.assert_ok()
    assert layer.need_input_grad is False


def test_dropout_check_does_not_advance_the_callers_generator():
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    check_layer(Dropout(0.5, rng=rng), images((2, 5))).assert_ok()
    assert rng.bit_generator.state == state


def test_numerical_gradient_of_a_known_function():
    t = images((3, 4))
    original = t.copy()
    grad = numerical_gradient(lambda: float(np.sum(t ** 3)), t)
    np.testing.assert_allclose(grad, 3 * original ** 2, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(t, original)


def test_relative_error():
    a = np.array([1.0, -2.0, 0.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, a + np.array([0.0, 0.0, 1e-3])) == pytest.approx(1e-3 / 2)
    assert relative_error(np.zeros(2), np.ones(2)) == 1.0
    with pytest.raises(ValueError, match="shape"):
        relative_error(np.zeros(2), np.zeros(3))


def test_report_table_and_max_error():
    report = GradcheckReport("demo", errors={"input": 1e-9, "weight": 0.5}, shapes={"input": (2, 3), "weight": (4,)})
    assert report.max_error == 0.5
    assert not report.ok()
    assert report.ok(tol=1.0)
    text = str(report)
    assert "demo" in text and "(2, 3)" in text and "5.00e-01" in text
