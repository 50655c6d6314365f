"""Numba kernels for 2-D convolution by im2col.

A convolution becomes one matrix product once every receptive field is unrolled into a column:

    cols[(c, i, j), (n, oh, ow)] = x_padded[n, c, oh*stride + i, ow*stride + j]
    y2 = weight.reshape(C_out, C*k*k) @ cols                    # (C_out, N*H_out*W_out)

The layer (``numcnn/layers/conv2d.py``) does the matrix products with NumPy (BLAS); these kernels do the
index shuffling around them, in parallel over the batch. ``naive.py`` holds the plain loops they are tested
against.
"""
from __future__ import annotations

from numba import prange

from numcnn.kernels.jit import parallel_kernel


@parallel_kernel
def im2col(x, kernel_h, kernel_w, stride, padding, cols):
    """Unroll receptive fields into columns.

    x: (N, C, H, W); cols (output): (C*kernel_h*kernel_w, N*H_out*W_out), filled completely
    (positions in the zero padding become 0).
    """
    n_batch, channels, height, width = x.shape
    out_h = (height + 2 * padding - kernel_h) // stride + 1
    out_w = (width + 2 * padding - kernel_w) // stride + 1
    for n in prange(n_batch):
        for c in range(channels):
            for i in range(kernel_h):
                for j in range(kernel_w):
                    row = (c * kernel_h + i) * kernel_w + j
                    for oh in range(out_h):
                        ih = oh * stride - padding + i
                        start = (n * out_h + oh) * out_w
                        if ih < 0 or ih >= height:
                            for ow in range(out_w):
                                cols[row, start + ow] = 0
                            continue
                        for ow in range(out_w):
                            iw = ow * stride - padding + j
                            if 0 <= iw < width:
                                cols[row, start + ow] = x[n, c, ih, iw]
                            else:
                                cols[row, start + ow] = 0


@parallel_kernel
def col2im(cols, kernel_h, kernel_w, stride, padding, x_grad):
    """Scatter-add columns back onto the image: the adjoint of ``im2col``.

    cols: (C*kernel_h*kernel_w, N*H_out*W_out); x_grad (output): (N, C, H, W), overwritten.
    """
    n_batch, channels, height, width = x_grad.shape
    out_h = (height + 2 * padding - kernel_h) // stride + 1
    out_w = (width + 2 * padding - kernel_w) // stride + 1
    for n in prange(n_batch):
        x_grad[n] = 0
        for c in range(channels):
            for i in range(kernel_h):
                for j in range(kernel_w):
                    row = (c * kernel_h + i) * kernel_w + j
                    for oh in range(out_h):
                        ih = oh * stride - padding + i
                        if ih < 0 or ih >= height:
                            continue
                        start = (n * out_h + oh) * out_w
                        for ow in range(out_w):
                            iw = ow * stride - padding + j
                            if 0 <= iw < width:
                                x_grad[n, c, ih, iw] += cols[row, start + ow]


@parallel_kernel
def channels_first_add_bias(y2, bias, y):
    """Reorder the product of the forward pass into NCHW and add the bias.

    y2: (C_out, N*P) with P = H_out*W_out; bias: (C_out,); y (output): (N, C_out, P).
    """
    n_batch, out_channels, positions = y.shape
    for n in prange(n_batch):
        for co in range(out_channels):
            b = bias[co]
            start = n * positions
            for p in range(positions):
                y[n, co, p] = y2[co, start + p] + b


@parallel_kernel
def channels_last_grad(grad_y, grad_y2, grad_bias):
    """Reorder the upstream gradient for the backward products, and sum it into the bias gradient.

    grad_y: (N, C_out, P); grad_y2 (output): (C_out, N*P), the inverse of ``channels_first_add_bias``;
    grad_bias (output): (C_out,), grad_bias[co] = sum over n, p of grad_y[n, co, p] (accumulated in float64).
    """
    n_batch, out_channels, positions = grad_y.shape
    for co in prange(out_channels):
        total = 0.0
        for n in range(n_batch):
            start = n * positions
            for p in range(positions):
                g = grad_y[n, co, p]
                grad_y2[co, start + p] = g
                total += g
        grad_bias[co] = total
