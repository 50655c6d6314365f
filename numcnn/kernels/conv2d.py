"""Numba kernels for 2-D convolution (cross-correlation) by im2col; serial: the layer runs them on parts of
the batch, one part per thread.

im2col unrolls every receptive field of a sample into a column,

    cols[n, (c, i, j), (oh, ow)] = x_padded[n, c, oh*stride + i, ow*stride + j]
    y[n] = weight.reshape(C_out, C*k*k) @ cols[n]          # (C_out, H_out*W_out): already NCHW

so the arithmetic is a matrix product done by BLAS (``numcnn/layers/conv2d.py``). One block of columns per
sample, rather than one (C*k*k, N*H_out*W_out) matrix for the whole batch, makes each product land directly
in the (N, C_out, H_out, W_out) layout: no transpose, ever.

Padding needs no padded copy of the input: for each kernel column j the kernels compute the range of output
columns [lo, hi) whose input column ``ow*stride - padding + j`` lies inside the image, so the inner loops
carry no bounds test. The common case (stride 1, no padding) has its own loop, written with indices that
are plain sums of loop counters: Numba then needs no negative-index handling and LLVM turns the rows into
vector copies (3-8x faster than the general loop).
The readable NumPy versions these kernels are tested against, ``im2col_naive`` and ``col2im_naive``, are in
``numcnn/layers/conv2d.py``, with the maths of the convolution and of its gradients.
"""
from __future__ import annotations

from numcnn.kernels.jit import kernel


@kernel
def im2col(x, kernel_h, kernel_w, stride, padding, cols):
    """Unroll every receptive field of every sample into a column.

    x: (N, C, H, W); cols (output): (N, R, H_out*W_out) with R >= C*kernel_h*kernel_w, C-contiguous.
    Rows below C*kernel_h*kernel_w are filled completely,
    cols[n, (c*kernel_h + i)*kernel_w + j, oh*W_out + ow] = x[n, c, oh*stride - padding + i, ow*stride - padding + j]
    or 0 where that position is in the zero padding; further rows are left as they are (Conv2D keeps a row
    of ones there). Taking the whole buffer rather than a view of its first rows keeps it contiguous, which
    lets Numba vectorize the copies (3x faster).
    """
    n_batch, channels, height, width = x.shape
    out_h = (height + 2 * padding - kernel_h) // stride + 1
    out_w = (width + 2 * padding - kernel_w) // stride + 1
    for n in range(n_batch):
        for c in range(channels):
            image = x[n, c]
            for i in range(kernel_h):
                for j in range(kernel_w):
                    unrolled = cols[n, (c * kernel_h + i) * kernel_w + j]  # (H_out*W_out,)
                    if stride == 1 and padding == 0:
                        for oh in range(out_h):
                            for ow in range(out_w):
                                unrolled[oh * out_w + ow] = image[oh + i, ow + j]
                        continue
                    left = j - padding  # input column of output column 0
                    lo = min(out_w, max(0, -(left // stride)))  # first ow with ow*stride + left >= 0
                    hi = max(lo, min(out_w, (width - 1 - left) // stride + 1))  # past the last one < width
                    for oh in range(out_h):
                        ih = oh * stride - padding + i
                        inside = 0 <= ih < height
                        for ow in range(out_w):
                            if inside and lo <= ow < hi:
                                unrolled[oh * out_w + ow] = image[ih, ow * stride + left]
                            else:
                                unrolled[oh * out_w + ow] = 0


@kernel
def col2im(cols, kernel_h, kernel_w, stride, padding, x_grad):
    """Add every column entry back onto the pixel it was copied from: the adjoint (transpose) of ``im2col``.

    cols: (N, C*kernel_h*kernel_w, H_out*W_out); x_grad (output): (N, C, H, W), overwritten.
    """
    n_batch, channels, height, width = x_grad.shape
    out_h = (height + 2 * padding - kernel_h) // stride + 1
    out_w = (width + 2 * padding - kernel_w) // stride + 1
    for n in range(n_batch):
        for c in range(channels):
            image = x_grad[n, c]
            for ih in range(height):  # zero one plane at a time: it is still in cache when the sums arrive
                for iw in range(width):
                    image[ih, iw] = 0
            for i in range(kernel_h):
                for j in range(kernel_w):
                    unrolled = cols[n, (c * kernel_h + i) * kernel_w + j]
                    if stride == 1 and padding == 0:
                        for oh in range(out_h):
                            for ow in range(out_w):
                                image[oh + i, ow + j] += unrolled[oh * out_w + ow]
                        continue
                    left = j - padding
                    lo = min(out_w, max(0, -(left // stride)))
                    hi = max(lo, min(out_w, (width - 1 - left) // stride + 1))
                    for oh in range(out_h):
                        ih = oh * stride - padding + i
                        if 0 <= ih < height:  # entries from the padding have no pixel to go back to
                            for ow in range(lo, hi):
                                image[ih, ow * stride + left] += unrolled[oh * out_w + ow]
