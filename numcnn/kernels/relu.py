"""Numba kernels for ReLU on flat arrays (the layer runs them on slices, one per thread).

The readable NumPy versions they are tested against, ``relu_forward_naive`` and ``relu_backward_naive``, are in
``numcnn/layers/relu.py``.
"""
from __future__ import annotations

from numcnn.kernels.jit import kernel


@kernel
def relu_forward(x, y):
    """y = max(x, 0), as ``np.maximum(x, 0)``: NaN stays NaN, so a diverged run stays visible.

    x, y (output): (M,) flat, same dtype.
    """
    for i in range(x.size):
        v = x[i]
        y[i] = 0 if v < 0 else v


@kernel
def relu_backward(grad_y, y, grad_x):
    """grad_x = grad_y * (y > 0): the gradient passes where the forward output was positive.

    grad_y, y, grad_x (output): (M,) flat, same dtype. A multiplication, not a branch, so it matches the
    reference exactly (a NaN gradient stays NaN) and vectorizes.
    """
    for i in range(y.size):
        grad_x[i] = grad_y[i] * (y[i] > 0)
