"""ReLU: y = max(x, 0). Its gradient passes where the output was positive and stops elsewhere."""
from __future__ import annotations

import numpy as np

from numcnn.kernels import parallel
from numcnn.kernels import relu as kernels
from numcnn.layers.base import Layer


class ReLU(Layer):
    """y = max(x, 0), elementwise. x: any shape -> y: same shape."""

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
