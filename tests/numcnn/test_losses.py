"""SoftmaxCrossEntropy: value and gradient against a direct computation, stability, label checks."""
import math

import numpy as np
import pytest

from numcnn.losses import SoftmaxCrossEntropy, softmax


def direct_loss(logits, labels):
    """-log(exp(z_y) / sum_k exp(z_k)), averaged, straight from the definition (fine for moderate logits)."""
    return float(np.mean([-math.log(math.exp(row[y]) / sum(math.exp(v) for v in row))
                          for row, y in zip(logits.tolist(), labels.tolist())]))


def test_matches_the_definition():
    rng = np.random.default_rng(0)
    logits, labels = 3 * rng.standard_normal((6, 10)), rng.integers(0, 10, 6)
    loss = SoftmaxCrossEntropy()
    assert loss.forward(logits, labels) == pytest.approx(direct_loss(logits, labels), rel=1e-12)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(loss.backward(), (probs - np.eye(10)[labels]) / 6, rtol=1e-10, atol=1e-15)


def test_uniform_logits_give_log_k():
    assert SoftmaxCrossEntropy().forward(np.zeros((3, 10)), np.array([0, 4, 9])) == pytest.approx(math.log(10))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_logits_stay_finite_and_exact(dtype):
    logits = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    loss = SoftmaxCrossEntropy()
    value = loss.forward(logits, np.array([0, 0, 2]))
    expected = (0.0 + (2e4 + math.log(2)) + math.log(3)) / 3  # z_max - z_y + log(#maxima) per row
    assert value == pytest.approx(expected, rel=1e-6)
    grad = loss.backward()
    assert grad.dtype == dtype and np.isfinite(grad).all()
    np.testing.assert_allclose(grad, np.array([[0, 0, 0], [-1, 0.5, 0.5], [1 / 3, 1 / 3, -2 / 3]]) / 3, atol=1e-6)


def test_gradient_rows_sum_to_zero():
    rng = np.random.default_rng(1)
    loss = SoftmaxCrossEntropy()
    loss.forward(rng.standard_normal((5, 4)).astype(np.float32), rng.integers(0, 4, 5))
    grad = loss.backward()
    assert grad.dtype == np.float32 and grad.shape == (5, 4)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-7)


def test_accepts_any_integer_label_dtype_and_lists():
    logits = np.random.default_rng(2).standard_normal((3, 5))
    values = [SoftmaxCrossEntropy().forward(logits, labels)
              for labels in (np.array([1, 4, 0], dtype=np.uint8), np.array([1, 4, 0], dtype=np.int64), [1, 4, 0])]
    assert values[0] == values[1] == values[2]


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 10]), "labels must lie in \\[0, 10\\), got values from 0 to 10"),
    (np.array([-1, 3]), "labels must lie in \\[0, 10\\), got values from -1 to 3"),
    (np.array([0.0, 1.0]), "integer class indices.*dtype float64"),
    (np.array([True, False]), "integer class indices.*dtype bool"),
    (np.array([0, 1, 2]), "labels must be \\(2,\\) integer class indices, got shape \\(3,\\)"),
    (np.array([[0], [1]]), "got shape \\(2, 1\\)"),
])
def test_rejects_bad_labels(labels, message):
    with pytest.raises(ValueError, match="SoftmaxCrossEntropy: .*" + message):
        SoftmaxCrossEntropy().forward(np.zeros((2, 10)), labels)


def test_rejects_logits_that_are_not_2d():
    with pytest.raises(ValueError, match="logits must be \\(N, K\\), got shape \\(2, 1, 10\\)"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 1, 10)), np.array([0, 1]))


def test_softmax_is_stable_and_normalized():
    probs = softmax(np.array([[1e4, 0.0], [-1e4, -1e4], [1.0, 2.0]], dtype=np.float32))
    assert probs.dtype == np.float32 and np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(probs[2], np.exp([1.0, 2.0]) / np.exp([1.0, 2.0]).sum(), rtol=1e-6)
