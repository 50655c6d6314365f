"""Numba kernels for 2-D max pooling (no padding, floor mode like PyTorch), parallel over N*C planes."""
from __future__ import annotations

from numba import prange

from numcnn.kernels.jit import parallel_kernel


@parallel_kernel
def maxpool2d_forward(x, kernel, stride, y, argmax):
    """y[n, c, oh, ow] = max of the kernel x kernel window at (oh*stride, ow*stride).

    x: (N, C, H, W); y (output): (N, C, H_out, W_out); argmax (output, int32): (N, C, H_out, W_out),
    the flat index ``ih * W + iw`` of the winner in its input plane (the first one on ties).
    """
    n_batch, channels, height, width = x.shape
    out_h, out_w = y.shape[2], y.shape[3]
    for plane in prange(n_batch * channels):
        n = plane // channels
        c = plane % channels
        for oh in range(out_h):
            for ow in range(out_w):
                top = oh * stride
                left = ow * stride
                best = x[n, c, top, left]
                best_index = top * width + left
                for i in range(top, top + kernel):
                    for j in range(left, left + kernel):
                        v = x[n, c, i, j]
                        if v > best:
                            best = v
                            best_index = i * width + j
                y[n, c, oh, ow] = best
                argmax[n, c, oh, ow] = best_index


@parallel_kernel
def maxpool2d_backward(grad_y, argmax, grad_x):
    """Route each upstream gradient to the input that won its window.

    grad_y, argmax: (N, C, H_out, W_out); grad_x (output): (N, C, H, W), overwritten.
    Overlapping windows (stride < kernel) add up correctly because one thread owns a whole plane.
    """
    n_batch, channels, height, width = grad_x.shape
    out_h, out_w = grad_y.shape[2], grad_y.shape[3]
    for plane in prange(n_batch * channels):
        n = plane // channels
        c = plane % channels
        grad_x[n, c] = 0
        for oh in range(out_h):
            for ow in range(out_w):
                index = argmax[n, c, oh, ow]
                grad_x[n, c, index // width, index % width] += grad_y[n, c, oh, ow]
