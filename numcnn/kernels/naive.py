"""Readable NumPy references for every kernel: the definitions the fast kernels are tested against.

These are written for clarity, not speed (cs231n's ``*_naive`` functions, stumpy's ``naive.py``).
Shapes follow the layers: images are (N, C, H, W).
"""
from __future__ import annotations

import numpy as np


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """Cross-correlation, as PyTorch's conv2d.

    x: (N, C, H, W); weight: (F, C, k, k); bias: (F,) -> y: (N, F, H_out, W_out)
    y[n, f, oh, ow] = sum_{c,i,j} x_pad[n, c, oh*s + i, ow*s + j] * weight[f, c, i, j] + bias[f]
    """
    n_batch, _, height, width = x.shape
    filters, _, k, _ = weight.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out_h = (height + 2 * padding - k) // stride + 1
    out_w = (width + 2 * padding - k) // stride + 1
    y = np.zeros((n_batch, filters, out_h, out_w), dtype=x.dtype)
    for oh in range(out_h):
        for ow in range(out_w):
            window = x_pad[:, :, oh * stride:oh * stride + k, ow * stride:ow * stride + k]  # (N, C, k, k)
            y[:, :, oh, ow] = np.tensordot(window, weight, axes=([1, 2, 3], [1, 2, 3])) + bias
    return y


def conv2d_backward(x: np.ndarray, weight: np.ndarray, grad_y: np.ndarray, stride: int, padding: int):
    """Gradients of ``conv2d_forward``: each output position sends its gradient back through its window.

    x: (N, C, H, W); weight: (F, C, k, k); grad_y: (N, F, H_out, W_out)
    -> (grad_x (N, C, H, W), grad_weight (F, C, k, k), grad_bias (F,))
    """
    k = weight.shape[2]
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_x_pad = np.zeros_like(x_pad)
    grad_weight = np.zeros_like(weight)
    for oh in range(grad_y.shape[2]):
        for ow in range(grad_y.shape[3]):
            rows = slice(oh * stride, oh * stride + k)
            cols = slice(ow * stride, ow * stride + k)
            g = grad_y[:, :, oh, ow]  # (N, F)
            grad_weight += np.tensordot(g, x_pad[:, :, rows, cols], axes=([0], [0]))
            grad_x_pad[:, :, rows, cols] += np.tensordot(g, weight, axes=([1], [0]))
    height, width = x.shape[2], x.shape[3]
    grad_x = grad_x_pad[:, :, padding:padding + height, padding:padding + width]
    return grad_x, grad_weight, grad_y.sum(axis=(0, 2, 3))


def im2col(x: np.ndarray, k: int, stride: int, padding: int) -> np.ndarray:
    """x: (N, C, H, W) -> cols: (N, C*k*k, H_out*W_out), one block of columns per sample:
    rows ordered (c, i, j), columns (oh, ow); cols[n, :, p] is the receptive field of output position p."""
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    n_batch, channels, out_h, out_w = windows.shape[:4]
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n_batch, channels * k * k, out_h * out_w)


def maxpool2d_forward(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """x: (N, C, H, W) -> y: (N, C, H_out, W_out), the max of each k x k window (floor mode)."""
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.max(axis=(4, 5))


def maxpool2d_backward(x: np.ndarray, grad_y: np.ndarray, k: int, stride: int) -> np.ndarray:
    """Each window's gradient goes to its (first) maximum. x: (N, C, H, W); grad_y: (N, C, H_out, W_out)."""
    grad_x = np.zeros_like(x)
    for oh in range(grad_y.shape[2]):
        for ow in range(grad_y.shape[3]):
            window = x[:, :, oh * stride:oh * stride + k, ow * stride:ow * stride + k]
            flat = window.reshape(x.shape[0], x.shape[1], k * k)
            winner = np.argmax(flat, axis=2)  # (N, C), first maximum on ties
            i, j = np.divmod(winner, k)
            n, c = np.indices(winner.shape)
            grad_x[n, c, oh * stride + i, ow * stride + j] += grad_y[:, :, oh, ow]
    return grad_x


def relu_forward(x: np.ndarray) -> np.ndarray:
    """y = max(x, 0), any shape."""
    return np.maximum(x, 0)


def relu_backward(grad_y: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_x = grad_y * (y > 0), any shape."""
    return grad_y * (y > 0)
