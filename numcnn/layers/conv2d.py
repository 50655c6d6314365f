"""Conv2D: 2-D cross-correlation, the same arithmetic as PyTorch's ``conv2d``, by im2col + matrix products.

The work is split over the CPU cores by samples (``numcnn.kernels.parallel``); each thread unrolls a few samples
at a time into columns (``kernels.im2col``) and hands them to BLAS, so the columns never leave the cache.
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels import conv2d as kernels
from numcnn.kernels import parallel
from numcnn.layers.base import Layer, check_input, glorot_uniform, sliding_output_size


COLUMN_BLOCK_BYTES = 512 * 1024
"""Size of the columns unrolled at a time: small enough to stay in the CPU's L2 cache until the product reads them."""


class Conv2D(Layer):
    """y[n, f] = sum_c x[n, c] (cross-correlated with) weight[f, c] + bias[f]

    x: (N, C_in, H, W) float32 (float64 works too) -> y: (N, C_out, H_out, W_out),
    H_out = (H + 2*padding - kernel_size) // stride + 1.
    params: weight (C_out, C_in, k, k), bias (C_out,).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        for name, value, low in (("in_channels", in_channels, 1), ("out_channels", out_channels, 1),
                                 ("kernel_size", kernel_size, 1), ("stride", stride, 1), ("padding", padding, 0)):
            if int(value) != value or value < low:
                raise ValueError(f"Conv2D: {name} must be an integer >= {low}, got {value!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = int(kernel_size), int(stride), int(padding)
        rng = rng if rng is not None else np.random.default_rng()
        area = kernel_size * kernel_size
        self.params = {
            "weight": glorot_uniform(rng, (out_channels, in_channels, kernel_size, kernel_size),
                                     in_channels * area, out_channels * area),
            "bias": np.zeros(out_channels, dtype=np.float32),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._x = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x: (N, C_in, H, W) -> y: (N, C_out, H_out, W_out), same float dtype as x."""
        check_input(self, x, 4, self.in_channels)
        x = np.ascontiguousarray(x)
        out_h, out_w = self.output_shape(x.shape[1:])[1:]
        if out_h < 1 or out_w < 1:
            raise ValueError(f"{self!r}: input {x.shape[2]}x{x.shape[3]} is smaller than the kernel")
        weight_and_bias = self._weight_and_bias(x.dtype)  # (C_out, C_in*k*k + 1)
        y = np.empty((len(x), self.out_channels, out_h, out_w), dtype=x.dtype)

        def forward_part(part: slice) -> None:  # one thread's samples
            for block, cols in self._columns(x, part):  # cols: (samples, C_in*k*k + 1, H_out*W_out)
                np.matmul(weight_and_bias, cols, out=y[block].reshape(len(cols), self.out_channels, -1))

        parallel.run(forward_part, parallel.split(len(x), self._work_per_sample(y)))
        self._x = x
        return y

    def backward(self, grad_y: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """grad_y: (N, C_out, H_out, W_out) -> grad_x: (N, C_in, H, W), or None when not ``need_input_grad``
        (the first layer of a net has no one to pass it to, and skipping it saves a third of the work)."""
        x = self._x
        weight = self._weight_and_bias(x.dtype)[:, :-1]  # (C_out, C_in*k*k)
        grad_y = np.ascontiguousarray(grad_y, dtype=x.dtype).reshape(len(x), self.out_channels, -1)
        grad_x = np.empty_like(x) if need_input_grad else None

        def backward_part(part: slice) -> np.ndarray:  # one thread's share of the sum over samples
            grad_weight_and_bias = np.zeros((weight.shape[1] + 1, self.out_channels), dtype=x.dtype)
            for block, cols in self._columns(x, part):  # recomputed: cheaper than keeping them from forward
                g = grad_y[block]  # (samples, C_out, H_out*W_out)
                grad_weight_and_bias += np.matmul(cols, g.transpose(0, 2, 1)).sum(axis=0)  # row of ones: bias
                if need_input_grad:
                    kernels.col2im(np.matmul(weight.T, g), self.kernel_size, self.kernel_size, self.stride,
                                   self.padding, grad_x[block])
            return grad_weight_and_bias

        total = sum(parallel.run(backward_part, parallel.split(len(x), self._work_per_sample(grad_y))))
        self.grads["weight"] = total[:-1].T.reshape(self.params["weight"].shape).astype(self.params["weight"].dtype)
        self.grads["bias"] = total[-1].astype(self.params["bias"].dtype)
        return grad_x

    def _weight_and_bias(self, dtype: np.dtype) -> np.ndarray:
        """[weight | bias]: (C_out, C_in*k*k + 1), matching the row of ones at the end of the columns."""
        weight_and_bias = np.empty((self.out_channels, self.params["weight"][0].size + 1), dtype=dtype)
        weight_and_bias[:, :-1] = self.params["weight"].reshape(self.out_channels, -1)
        weight_and_bias[:, -1] = self.params["bias"]
        return weight_and_bias

    def _work_per_sample(self, y: np.ndarray) -> float:
        """Multiply-adds of one sample, in the work units of ``parallel.split``."""
        return y[0].size * self.in_channels * self.kernel_size ** 2 / 16

    def _columns(self, x: np.ndarray, part: slice):
        """Yield (block, cols) for consecutive blocks of the samples in ``part``: cols (samples in block,
        C_in*k*k + 1, H_out*W_out) holds im2col(x[block]) and then a row of ones, which carries the bias
        through the matrix products (cs231n's "bias trick": no separate pass adds the bias or sums its
        gradient). Blocks are small enough for the columns to stay in the CPU cache between the im2col that
        writes them and the product that reads them."""
        k, (out_h, out_w) = self.kernel_size, self.output_shape(x.shape[1:])[1:]
        rows, positions = self.in_channels * k * k, out_h * out_w
        block_size = max(1, COLUMN_BLOCK_BYTES // ((rows + 1) * positions * x.itemsize))
        buffer = np.empty((min(block_size, part.stop - part.start), rows + 1, positions), dtype=x.dtype)
        buffer[:, rows] = 1
        for start in range(part.start, part.stop, block_size):
            block = slice(start, min(start + block_size, part.stop))
            cols = buffer[:block.stop - block.start]
            kernels.im2col(x[block], k, k, self.stride, self.padding, cols)  # fills all rows but the ones
            yield block, cols

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        _, h, w = input_shape
        k, s, p = self.kernel_size, self.stride, self.padding
        return (self.out_channels, sliding_output_size(h, k, s, p), sliding_output_size(w, k, s, p))

    def config(self) -> dict:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding}
