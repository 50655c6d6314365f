"""Numba kernels for ReLU on flat arrays, parallel over blocks of elements."""
from __future__ import annotations

from numba import prange

from numcnn.kernels.jit import parallel_kernel

BLOCK = 16384  # elements per parallel task: big enough to amortize scheduling, small enough to balance


@parallel_kernel
def relu_forward(x, y):
    """y = max(x, 0). x, y: (M,) flat, same dtype."""
    size = x.size
    for block in prange((size + BLOCK - 1) // BLOCK):
        for i in range(block * BLOCK, min(size, (block + 1) * BLOCK)):
            v = x[i]
            y[i] = v if v > 0 else 0


@parallel_kernel
def relu_backward(grad_y, y, grad_x):
    """grad_x = grad_y where the forward output was positive, else 0. All: (M,) flat."""
    size = y.size
    for block in prange((size + BLOCK - 1) // BLOCK):
        for i in range(block * BLOCK, min(size, (block + 1) * BLOCK)):
            grad_x[i] = grad_y[i] if y[i] > 0 else 0
