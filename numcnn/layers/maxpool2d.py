"""MaxPool2D: the largest value of each window; the gradient flows back only to that winner."""
from __future__ import annotations

import numpy as np

from numcnn.kernels import maxpool2d as kernels
from numcnn.kernels import parallel
from numcnn.layers.base import Layer, check_input, sliding_output_size


class MaxPool2D(Layer):
    """y[n, c, oh, ow] = max over the kernel_size x kernel_size window at (oh*stride, ow*stride)

    x: (N, C, H, W) -> y: (N, C, H_out, W_out), H_out = (H - kernel_size) // stride + 1 (odd sizes floor,
    as PyTorch). stride defaults to kernel_size (non-overlapping windows).
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
        parallel.run(lambda part: kernels.maxpool2d_forward(x[part], k, s, y[part]),
                     parallel.split(len(x), x[0].size))
        self._cache = (x, y)  # backward finds each window's winner again: the first input equal to its max
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """grad_y: (N, C, H_out, W_out) -> grad_x: (N, C, H, W)."""
        x, y = self._cache
        grad_y = np.ascontiguousarray(grad_y, dtype=x.dtype)
        grad_x = np.empty_like(x)
        k, s = self.kernel_size, self.stride
        parallel.run(lambda part: kernels.maxpool2d_backward(x[part], y[part], grad_y[part], k, s, grad_x[part]),
                     parallel.split(len(x), x[0].size))
        return grad_x

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        c, h, w = input_shape
        return (c, sliding_output_size(h, self.kernel_size, self.stride),
                sliding_output_size(w, self.kernel_size, self.stride))

    def config(self) -> dict:
        return {"kernel_size": self.kernel_size, "stride": self.stride}
