"""Dropout: during training, zero each activation with probability p and scale the rest by 1/(1-p).

Forward in training (x: any shape):   y = x * mask,   mask = (u >= p) / (1 - p),   u ~ U(0, 1) drawn anew each call
so E[y] = x, and at test time y = x with nothing to rescale ("inverted" dropout).
Backward. y is x times a constant mask, so dL/dx = dL/dy * mask, with the mask the forward pass drew.

The uniforms u: u_i = (top 32 bits of SplitMix64(seed, i)) / 2^32, a hash of the element's index and of a seed
drawn once per call from the model's generator (see ``numcnn/kernels/dropout.py`` for why).
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels import dropout as kernels
from numcnn.layers.base import Layer

# --- the readable version: plain NumPy, written for clarity ----------------------------------------------


def splitmix64_naive(seed: int, size: int) -> np.ndarray:
    """The first ``size`` outputs of the SplitMix64 generator started at ``seed``: (size,) uint64."""
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps around, as the generator intends
        z = np.uint64(seed) + np.arange(1, size + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def dropout_forward_naive(x: np.ndarray, p: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x: any shape -> (y = x * mask, mask), mask = (u >= p) / (1 - p), u uniform in [0, 1) from ``seed``."""
    threshold = np.uint64(round(p * 2 ** 32))  # u >= p, compared on the 32-bit integers u * 2^32
    keep = (splitmix64_naive(seed, x.size) >> np.uint64(32)) >= threshold
    mask = keep.reshape(x.shape).astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * mask, mask


# --- the layer: the same numbers, fast -----------------------------------------------------------------


class Dropout(Layer):
    """Inverted dropout. x: any shape -> y: same shape.

    training=True: y = x * mask, mask = (u >= p) / (1 - p) with u ~ U(0, 1), so E[y] = x.
    training=False: y = x (nothing to rescale at test time).
    ``rng`` is the model's generator (``Sequential`` shares its own through ``use_rng``), so runs are reproducible:
    each training call draws one seed from it. The Numba kernels of ``numcnn.kernels.dropout`` compute
    ``dropout_forward_naive`` and keep the mask as one byte per element for backward.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = rng if rng is not None else np.random.default_rng()
        self._mask = None  # (keep: uint8 flat, scale: (1,)) from the last training forward, or None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.p == 0.0:
            self._mask = None
            return x
        x = np.ascontiguousarray(x)
        seed = int(self.rng.integers(0, 2 ** 63))  # the one draw from the model's generator
        threshold = round(self.p * 2 ** 32)
        scale = np.array([1.0 / (1.0 - self.p)], dtype=x.dtype)
        y, keep = np.empty_like(x), np.empty(x.size, dtype=np.uint8)
        kernels.dropout_forward(x.reshape(-1), seed, threshold, scale, y.reshape(-1), keep)
        self._mask = (keep, scale)
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        if self._mask is None:
            return grad_y
        keep, scale = self._mask
        grad_y = np.ascontiguousarray(grad_y, dtype=scale.dtype)
        grad_x = np.empty_like(grad_y)
        kernels.dropout_backward(grad_y.reshape(-1), keep, scale, grad_x.reshape(-1))
        return grad_x

    def use_rng(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def config(self) -> dict:
        return {"p": self.p}
