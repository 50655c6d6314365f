"""Normalize: the input standardization is part of the model, so callers always pass [0, 1] images.

Forward (x: any shape):   y = (x - mean) / std,   with fixed (not learned) scalars mean and std.
Backward. dy/dx = 1 / std everywhere, so dL/dx = dL/dy / std.
"""
from __future__ import annotations

import numpy as np

from numcnn.layers.base import Layer


class Normalize(Layer):
    """y = (x - mean) / std with fixed (not learned) scalars, e.g. MNIST's mean 0.1307 and std 0.3081.

    x: any shape -> y: same shape. Saved with the model, so predictions never depend on the caller
    knowing the training statistics.
    """

    def __init__(self, mean: float = 0.0, std: float = 1.0) -> None:
        super().__init__()
        if not (np.isfinite(mean) and np.isfinite(std) and std > 0):
            raise ValueError(f"Normalize: std must be > 0, and mean and std finite, got mean={mean!r}, std={std!r}")
        self.mean, self.std = float(mean), float(std)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        dtype = x.dtype.type if np.issubdtype(x.dtype, np.floating) else np.float32
        return (x.astype(dtype, copy=False) - dtype(self.mean)) * dtype(1.0 / self.std)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return grad_y * grad_y.dtype.type(1.0 / self.std)

    def config(self) -> dict:
        return {"mean": self.mean, "std": self.std}
