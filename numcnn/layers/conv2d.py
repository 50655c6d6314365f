"""Conv2D: 2-D cross-correlation, the same arithmetic as PyTorch's ``conv2d``, as im2col + a matrix product.

Read top to bottom: the maths, the readable NumPy version (the reference the tests hold the layer to), then
the layer, which computes the same numbers fast.

Forward. Each filter f slides over the zero-padded input x_pad and, at every output position, sums its
window times its weights (x: (N, C, H, W), weight: (F, C, k, k), bias: (F,)):

    y[n, f, oh, ow] = bias[f] + sum_{c, i, j} weight[f, c, i, j] * x_pad[n, c, oh*stride + i, ow*stride + j]

im2col ("image to columns") copies the window of every output position p = (oh, ow) into a column of
cols[n] (rows (c, i, j), C*k*k of them), so the whole sum is one matrix product, what BLAS does fastest:

    y[n] = W @ cols[n] + bias            W = weight.reshape(F, C*k*k), y[n]: (F, H_out*W_out)

Backward. For g = dL/dy, the chain rule through y[n] = W @ cols[n] + bias gives

    dL/dW       = sum_n g[n] @ cols[n].T         every weight met every column of every sample
    dL/dbias    = g summed over samples and positions
    dL/dcols[n] = W.T @ g[n]

and since cols holds copies of pixels, a pixel's gradient is the sum of the gradients of all its copies:
dL/dx = col2im(W.T @ g), where col2im, the adjoint of im2col, adds every column entry back onto its pixel.
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels import conv2d as kernels
from numcnn.kernels import parallel
from numcnn.layers.base import Layer, check_input, glorot_uniform, sliding_output_size

# --- the readable version: plain NumPy, written for clarity ----------------------------------------------


def im2col_naive(x: np.ndarray, kernel_size: int, stride: int, padding: int) -> np.ndarray:
    """x: (N, C, H, W) -> cols: (N, C*k*k, H_out*W_out), rows ordered (c, i, j), columns (oh, ow):

    cols[n, (c*k + i)*k + j, oh*W_out + ow] = x_pad[n, c, oh*stride + i, ow*stride + j]
    """
    n_batch, channels, height, width = x.shape
    k = kernel_size
    out_h, out_w = sliding_output_size(height, k, stride, padding), sliding_output_size(width, k, stride, padding)
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((n_batch, channels, k, k, out_h, out_w), dtype=x.dtype)
    for i in range(k):  # the pixel at offset (i, j) of every window: a strided slice of the padded image
        for j in range(k):
            cols[:, :, i, j] = x_pad[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride]
    return cols.reshape(n_batch, channels * k * k, out_h * out_w)


def col2im_naive(cols: np.ndarray, x_shape: tuple[int, int, int, int], kernel_size: int, stride: int,
                 padding: int) -> np.ndarray:
    """The adjoint of ``im2col_naive``: every entry of cols is added onto the pixel it was copied from.

    cols: (N, C*k*k, H_out*W_out) -> (N, C, H, W) = x_shape; entries copied from the padding are dropped.
    """
    n_batch, channels, height, width = x_shape
    k = kernel_size
    out_h, out_w = sliding_output_size(height, k, stride, padding), sliding_output_size(width, k, stride, padding)
    cols = cols.reshape(n_batch, channels, k, k, out_h, out_w)
    grad_pad = np.zeros((n_batch, channels, height + 2 * padding, width + 2 * padding), dtype=cols.dtype)
    for i in range(k):  # the same slices as im2col, added to instead of read: overlapping windows sum up
        for j in range(k):
            grad_pad[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride] += cols[:, :, i, j]
    return grad_pad[:, :, padding:padding + height, padding:padding + width]


def conv2d_forward_naive(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int,
                         padding: int) -> np.ndarray:
    """x: (N, C, H, W), weight: (F, C, k, k), bias: (F,) -> y: (N, F, H_out, W_out); y[n] = W @ cols[n] + bias."""
    filters, _, k, _ = weight.shape
    cols = im2col_naive(x, k, stride, padding)                          # (N, C*k*k, P)
    y = weight.reshape(filters, -1) @ cols + bias.reshape(filters, 1)  # (F, C*k*k) @ (N, C*k*k, P) -> (N, F, P)
    out_h = sliding_output_size(x.shape[2], k, stride, padding)
    return y.reshape(len(x), filters, out_h, -1)


def conv2d_backward_naive(x: np.ndarray, weight: np.ndarray, grad_y: np.ndarray, stride: int,
                          padding: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x: (N, C, H, W), weight: (F, C, k, k), grad_y: (N, F, H_out, W_out) -> (grad_x, grad_weight, grad_bias),
    shaped as x, weight and (F,)."""
    filters, _, k, _ = weight.shape
    cols = im2col_naive(x, k, stride, padding)  # (N, C*k*k, P)
    g = grad_y.reshape(len(x), filters, -1)     # (N, F, P)
    grad_weight = (g @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape)  # sum_n g[n] @ cols[n].T
    grad_bias = g.sum(axis=(0, 2))
    grad_cols = weight.reshape(filters, -1).T @ g  # (C*k*k, F) @ (N, F, P) -> (N, C*k*k, P)
    return col2im_naive(grad_cols, x.shape, k, stride, padding), grad_weight, grad_bias


# --- the layer: the same numbers, fast -----------------------------------------------------------------


COLUMN_BLOCK_BYTES = 512 * 1024
"""Size of the columns unrolled at a time: small enough to stay in the CPU's L2 cache until the product reads them."""


class Conv2D(Layer):
    """y[n, f] = sum_c x[n, c] (cross-correlated with) weight[f, c] + bias[f]: ``conv2d_forward_naive``, fast.

    x: (N, C_in, H, W) float32 (float64 works too) -> y: (N, C_out, H_out, W_out),
    H_out = (H + 2*padding - kernel_size) // stride + 1.
    params: weight (C_out, C_in, k, k), bias (C_out,).

    The work is split over the CPU cores by samples (``numcnn.kernels.parallel``); each thread unrolls a few
    samples at a time into columns (``numcnn.kernels.conv2d.im2col``) and hands them to BLAS, so the columns
    never leave the cache.
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

    def backward(self, grad_y: np.ndarray) -> np.ndarray | None:
        """grad_y: (N, C_out, H_out, W_out) -> grad_x: (N, C_in, H, W), or None when not ``need_input_grad``
        (the first layer of a net has no one to pass it to, and skipping it saves a third of the work)."""
        x, need_input_grad = self._x, self.need_input_grad
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
        """[W | bias]: (C_out, C_in*k*k + 1), matching the row of ones at the end of the columns."""
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

    def check_input_shape(self, sample_shape: tuple[int, ...]) -> None:
        if len(sample_shape) != 3 or sample_shape[0] != self.in_channels:
            raise ValueError(f"{self!r} expects samples of shape ({self.in_channels}, H, W): "
                             f"{self.in_channels} input channels, got {sample_shape}")

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        _, h, w = input_shape
        k, s, p = self.kernel_size, self.stride, self.padding
        return (self.out_channels, sliding_output_size(h, k, s, p), sliding_output_size(w, k, s, p))

    def config(self) -> dict:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding}
