"""Flatten: (N, C, H, W) feature maps become (N, C*H*W) vectors for a Dense layer."""
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
