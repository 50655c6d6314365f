"""ReLU: y = max(x, 0). Its gradient passes where the output was positive and stops elsewhere.

Forward, elementwise on any shape:   y = max(x, 0)
Backward. dy/dx = 1 where x > 0 and 0 where x < 0; at the kink x = 0 we take 0, as PyTorch does. Since y > 0
exactly where x > 0, the output itself is the mask:   dL/dx = dL/dy * (y > 0)
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels import parallel
from numcnn.kernels import relu as kernels
from numcnn.layers.base import Layer

# --- the readable version: plain NumPy, written for clarity ----------------------------------------------


def relu_forward_naive(x: np.ndarray) -> np.ndarray:
    """x: any shape -> y: same shape, max(x, 0); NaN stays NaN."""
    return np.maximum(x, 0)


def relu_backward_naive(grad_y: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_y, y (the forward output): same shape -> grad_x = grad_y * (y > 0)."""
    return grad_y * (y > 0)


# --- the layer: the same numbers, fast -----------------------------------------------------------------


class ReLU(Layer):
    """y = max(x, 0), elementwise. x: any shape -> y: same shape.

    The Numba kernels of ``numcnn.kernels.relu`` compute ``relu_forward_naive`` and ``relu_backward_naive``,
    each thread on its own slice of the flattened batch.
    """

    def __init__(self) -> None:
        super().__init__()
        self._y = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = np.ascontiguousarray(x)
        y = np.empty_like(x)
        flat_x, flat_y = x.reshape(-1), y.reshape(-1)
        parallel.run(lambda part: kernels.relu_forward(flat_x[part], flat_y[part]), parallel.split(x.size, 1))
        self._y = y  # the output is the mask: y > 0 exactly where x > 0
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        grad_y = np.ascontiguousarray(grad_y, dtype=self._y.dtype)
        grad_x = np.empty_like(grad_y)
        flat_g, flat_y, flat_gx = grad_y.reshape(-1), self._y.reshape(-1), grad_x.reshape(-1)
        parallel.run(lambda part: kernels.relu_backward(flat_g[part], flat_y[part], flat_gx[part]),
                     parallel.split(grad_y.size, 1))
        return grad_x
