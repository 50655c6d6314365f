"""Softmax cross-entropy: the loss of a classifier that outputs one logit per class."""
from __future__ import annotations

import numpy as np


class SoftmaxCrossEntropy:
    """loss = mean_n( -log softmax(logits[n])[labels[n]] ), computed with log-sum-exp so it never overflows.

    forward(logits: (N, K) float, labels: (N,) int in [0, K)) -> float
    backward() -> grad_logits: (N, K) = (softmax(logits) - one_hot(labels)) / N
    """

    def __init__(self) -> None:
        self._cache = None

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        labels = np.asarray(labels)
        if logits.ndim != 2:
            raise ValueError(f"SoftmaxCrossEntropy: logits must be (N, K), got shape {logits.shape}")
        if labels.shape != (logits.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"SoftmaxCrossEntropy: labels must be ({logits.shape[0]},) integer class indices, "
                             f"got shape {labels.shape} dtype {labels.dtype}")
        if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
            raise ValueError(f"SoftmaxCrossEntropy: labels must lie in [0, {logits.shape[1]}), "
                             f"got values from {labels.min()} to {labels.max()}")
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        rows = np.arange(len(labels))
        self._cache = (np.exp(log_probs), labels)
        return float(-log_probs[rows, labels].mean())

    def backward(self) -> np.ndarray:
        probs, labels = self._cache
        grad = probs.copy()
        grad[np.arange(len(labels)), labels] -= 1
        return grad / len(labels)


def softmax(logits: np.ndarray) -> np.ndarray:
    """logits: (N, K) -> probabilities (N, K), each row summing to 1."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
