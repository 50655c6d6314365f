"""MaxPool2D: the largest value of each window; the gradient flows back only to that winner."""
from __future__ import annotations

import numpy as np

from numcnn.kernels import maxpool2d as kernels
from numcnn.kernels.jit import announce_first_compile
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
        check_input(self, x, 4)
        announce_first_compile()
        n, c, h, w = x.shape
        out_h = sliding_output_size(h, self.kernel_size, self.stride)
        out_w = sliding_output_size(w, self.kernel_size, self.stride)
        if out_h < 1 or out_w < 1:
            raise ValueError(f"{self!r}: input {h}x{w} is smaller than the window")
        x = np.ascontiguousarray(x)
        y = np.empty((n, c, out_h, out_w), dtype=x.dtype)
        argmax = np.empty((n, c, out_h, out_w), dtype=np.int32)
        kernels.maxpool2d_forward(x, self.kernel_size, self.stride, y, argmax)
        self._cache = (x.shape, argmax)
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        x_shape, argmax = self._cache
        grad_x = np.empty(x_shape, dtype=grad_y.dtype)
        kernels.maxpool2d_backward(np.ascontiguousarray(grad_y), argmax, grad_x)
        return grad_x

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        c, h, w = input_shape
        return (c, sliding_output_size(h, self.kernel_size, self.stride),
                sliding_output_size(w, self.kernel_size, self.stride))

    def config(self) -> dict:
        return {"kernel_size": self.kernel_size, "stride": self.stride}
