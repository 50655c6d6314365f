"""Flatten: (N, C, H, W) feature maps become (N, C*H*W) vectors for a Dense layer.

Forward: y = x.reshape(N, -1), in C order (channel by channel, as PyTorch's flatten).
Backward. A reshape only renames the elements, each y[n, m] is one x[n, c, h, w]: dL/dx = dL/dy reshaped back.
"""
from __future__ import annotations

import math

import numpy as np

from numcnn.layers.base import Layer


class Flatten(Layer):
    """x: (N, ...) -> y: (N, prod(...)), in C order; backward restores the shape."""

    def __init__(self) -> None:
        super().__init__()
        self._shape = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return grad_y.reshape(self._shape)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (math.prod(input_shape),)
