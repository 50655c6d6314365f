"""Conv2D: 2-D cross-correlation, the same arithmetic as PyTorch's ``conv2d``, by im2col + one matrix product."""
from __future__ import annotations

import numpy as np

from numcnn.kernels import conv2d as kernels
from numcnn.kernels.jit import announce_first_compile
from numcnn.layers.base import Layer, check_input, glorot_uniform, sliding_output_size


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
        self._cache = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        check_input(self, x, 4, self.in_channels)
        announce_first_compile()
        n, _, h, w = x.shape
        k, s, p = self.kernel_size, self.stride, self.padding
        out_h, out_w = sliding_output_size(h, k, s, p), sliding_output_size(w, k, s, p)
        if out_h < 1 or out_w < 1:
            raise ValueError(f"{self!r}: input {h}x{w} is smaller than the kernel")
        weight = self.params["weight"].astype(x.dtype, copy=False)
        cols = np.empty((self.in_channels * k * k, n * out_h * out_w), dtype=x.dtype)
        kernels.im2col(x, k, k, s, p, cols)
        y2 = weight.reshape(self.out_channels, -1) @ cols  # (C_out, N*H_out*W_out): all the arithmetic
        y = np.empty((n, self.out_channels, out_h * out_w), dtype=x.dtype)
        kernels.channels_first_add_bias(y2, self.params["bias"].astype(x.dtype, copy=False), y)
        self._cache = (x.shape, cols)
        return y.reshape(n, self.out_channels, out_h, out_w)

    def backward(self, grad_y: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """grad_y: (N, C_out, H_out, W_out) -> grad_x: (N, C_in, H, W), or None when not ``need_input_grad``
        (the first layer of a net has no one to pass it to, and skipping it saves a third of the work)."""
        x_shape, cols = self._cache
        n, f, out_h, out_w = grad_y.shape
        grad_y = np.ascontiguousarray(grad_y, dtype=cols.dtype).reshape(n, f, out_h * out_w)
        grad_y2 = np.empty((f, n * out_h * out_w), dtype=cols.dtype)
        grad_bias = np.empty(f, dtype=cols.dtype)
        kernels.channels_last_grad(grad_y, grad_y2, grad_bias)
        weight2 = self.params["weight"].reshape(f, -1)
        self.grads["weight"] = (grad_y2 @ cols.T).reshape(self.params["weight"].shape).astype(
            self.params["weight"].dtype, copy=False)
        self.grads["bias"] = grad_bias.astype(self.params["bias"].dtype, copy=False)
        if not need_input_grad:
            return None
        grad_cols = weight2.astype(cols.dtype, copy=False).T @ grad_y2  # (C_in*k*k, N*H_out*W_out)
        grad_x = np.empty(x_shape, dtype=cols.dtype)
        kernels.col2im(grad_cols, self.kernel_size, self.kernel_size, self.stride, self.padding, grad_x)
        return grad_x

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        _, h, w = input_shape
        k, s, p = self.kernel_size, self.stride, self.padding
        return (self.out_channels, sliding_output_size(h, k, s, p), sliding_output_size(w, k, s, p))

    def config(self) -> dict:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding}
