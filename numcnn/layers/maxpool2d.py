"""MaxPool2D: the largest value of each window; the gradient flows back only to that winner.

Read top to bottom: the maths, the readable NumPy version (the reference the tests hold the layer to), then
the layer, which computes the same numbers fast.

Forward. Each k x k window, moved by ``stride`` pixels (no padding; a last row or column no window reaches
is left out, as PyTorch's floor mode does), gives its maximum (x: (N, C, H, W)):

    y[n, c, oh, ow] = max_{i, j < k} x[n, c, oh*stride + i, ow*stride + j]

Backward. Within a window, the max changes exactly as its largest input does and not at all with the others:
d max / d x = 1 for the winner and 0 elsewhere. So each window's gradient goes to its winner (the first one,
reading row by row, when several inputs tie), and a pixel that wins several overlapping windows gets the sum.
NaN wins, as in ``np.max``: a diverged run stays visibly NaN.
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels import maxpool2d as kernels
from numcnn.kernels import parallel
from numcnn.layers.base import Layer, check_input, sliding_output_size

# --- the readable version: plain NumPy, written for clarity ----------------------------------------------


def maxpool2d_forward_naive(x: np.ndarray, kernel_size: int, stride: int) -> np.ndarray:
    """x: (N, C, H, W) -> y: (N, C, H_out, W_out), the max of each window."""
    n_batch, channels, height, width = x.shape
    k = kernel_size
    y = np.empty((n_batch, channels, sliding_output_size(height, k, stride), sliding_output_size(width, k, stride)),
                 dtype=x.dtype)
    for oh in range(y.shape[2]):
        for ow in range(y.shape[3]):
            window = x[:, :, oh * stride:oh * stride + k, ow * stride:ow * stride + k]  # (N, C, k, k)
            y[:, :, oh, ow] = window.max(axis=(2, 3))
    return y


def maxpool2d_backward_naive(x: np.ndarray, grad_y: np.ndarray, kernel_size: int, stride: int) -> np.ndarray:
    """x: (N, C, H, W) the forward input, grad_y: (N, C, H_out, W_out) -> grad_x: (N, C, H, W)."""
    k = kernel_size
    grad_x = np.zeros_like(x)
    n, c = np.indices(x.shape[:2])  # (N, C) each: index every window of the batch at once
    for oh in range(grad_y.shape[2]):
        for ow in range(grad_y.shape[3]):
            window = x[:, :, oh * stride:oh * stride + k, ow * stride:ow * stride + k]
            winner = np.argmax(window.reshape(n.shape + (k * k,)), axis=2)  # (N, C), the first maximum on ties
            i, j = np.divmod(winner, k)
            grad_x[n, c, oh * stride + i, ow * stride + j] += grad_y[:, :, oh, ow]
    return grad_x


# --- the layer: the same numbers, fast -----------------------------------------------------------------


class MaxPool2D(Layer):
    """y[n, c, oh, ow] = max over the kernel_size x kernel_size window at (oh*stride, ow*stride)

    x: (N, C, H, W) -> y: (N, C, H_out, W_out), H_out = (H - kernel_size) // stride + 1 (odd sizes floor,
    as PyTorch). stride defaults to kernel_size (non-overlapping windows). The Numba kernels of
    ``numcnn.kernels.maxpool2d`` compute ``maxpool2d_forward_naive`` and ``maxpool2d_backward_naive``, each
    thread on its own samples. In training the forward pass also records each window's winner, so the backward
    pass only copies each gradient to its winner's pixel.
    """

    def __init__(self, kernel_size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        stride = kernel_size if stride is None else stride
        for name, value in (("kernel_size", kernel_size), ("stride", stride)):
            if int(value) != value or value < 1:
                raise ValueError(f"MaxPool2D: {name} must be an integer >= 1, got {value!r}")
        self.kernel_size, self.stride = int(kernel_size), int(stride)
        self._cache = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x: (N, C, H, W) -> y: (N, C, H_out, W_out)."""
        check_input(self, x, 4)
        x = np.ascontiguousarray(x)
        out_h, out_w = self.output_shape(x.shape[1:])[1:]
        if out_h < 1 or out_w < 1:
            raise ValueError(f"{self!r}: input {x.shape[2]}x{x.shape[3]} is smaller than the window")
        y = np.empty(x.shape[:2] + (out_h, out_w), dtype=x.dtype)
        k, s = self.kernel_size, self.stride
        parts = parallel.split(len(x), x[0].size)
        if training and k * k <= 256:  # record each window's winner (uint8), so backward need not find it again
            winner = np.empty(y.shape, dtype=np.uint8)
            parallel.run(lambda part: kernels.maxpool2d_forward_winners(x[part], k, s, y[part], winner[part]), parts)
            self._cache = (x.shape, x.dtype, winner, None, None)
        else:  # inference: a plain max; a backward pass after it finds the winners again from x and y
            parallel.run(lambda part: kernels.maxpool2d_forward(x[part], k, s, y[part]), parts)
            self._cache = (x.shape, x.dtype, None, x, y)
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """grad_y: (N, C, H_out, W_out) -> grad_x: (N, C, H, W)."""
        x_shape, dtype, winner, x, y = self._cache
        grad_y = np.ascontiguousarray(grad_y, dtype=dtype)
        grad_x = np.empty(x_shape, dtype=dtype)
        k, s = self.kernel_size, self.stride
        parts = parallel.split(len(grad_x), grad_x[0].size)
        if winner is not None:
            parallel.run(lambda part: kernels.maxpool2d_backward_winners(winner[part], grad_y[part], k, s,
                                                                         grad_x[part]), parts)
        else:
            parallel.run(lambda part: kernels.maxpool2d_backward(x[part], y[part], grad_y[part], k, s, grad_x[part]),
                         parts)
        return grad_x

    def check_input_shape(self, sample_shape: tuple[int, ...]) -> None:
        if len(sample_shape) != 3:
            raise ValueError(f"{self!r} expects samples of shape (C, H, W), got {sample_shape}")

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        c, h, w = input_shape
        return (c, sliding_output_size(h, self.kernel_size, self.stride),
                sliding_output_size(w, self.kernel_size, self.stride))

    def config(self) -> dict:
        return {"kernel_size": self.kernel_size, "stride": self.stride}
