"""Dropout: during training, zero each activation with probability p and scale the rest by 1/(1-p).

Forward in training (x: any shape):   y = x * mask,   mask = (u >= p) / (1 - p),   u ~ U(0, 1) drawn anew each call
so E[y] = x, and at test time y = x with nothing to rescale ("inverted" dropout).
Backward. y is x times a constant mask, so dL/dx = dL/dy * mask, with the mask the forward pass drew.
"""
from __future__ import annotations

import numpy as np

from numcnn.layers.base import Layer


class Dropout(Layer):
    """Inverted dropout. x: any shape -> y: same shape.

    training=True: y = x * mask, mask = (u >= p) / (1 - p) with u ~ U(0, 1), so E[y] = x.
    training=False: y = x (nothing to rescale at test time).
    ``rng`` is the model's generator (``Sequential`` shares its own through ``use_rng``), so runs are reproducible.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = rng if rng is not None else np.random.default_rng()
        self._mask = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.p == 0.0:
            self._mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.p
        self._mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.p))
        return x * self._mask

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return grad_y if self._mask is None else grad_y * self._mask

    def use_rng(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def config(self) -> dict:
        return {"p": self.p}
