"""Numba kernels for 2-D max pooling (no padding, floor mode like PyTorch); serial: the layer runs them on
parts of the batch, one part per thread.

No argmax is stored: the backward pass finds each window's winner again as the first input equal to the
window's output (which is an exact copy of it). That keeps the forward pass a plain max, as fast for
inference as for training, and costs one extra read of the input in the backward pass.

NaN behaves as in ``np.max``/``np.argmax`` (and PyTorch): a window holding a NaN outputs NaN and its first
NaN gets the gradient, so a diverged run stays visible instead of being silently clipped.

The 2x2 window with stride 2, by far the most common, has its own loop with the four reads written out:
with generic window loops of two iterations each, loop bookkeeping costs several times the comparisons.

The readable NumPy versions these kernels are tested against, ``maxpool2d_forward_naive`` and
``maxpool2d_backward_naive``, are in ``numcnn/layers/maxpool2d.py``.
"""
from __future__ import annotations

from numcnn.kernels.jit import kernel


@kernel
def maxpool2d_forward(x, kernel, stride, y):
    """y[n, c, oh, ow] = max of the kernel x kernel window at (oh*stride, ow*stride).

    x: (N, C, H, W); y (output): (N, C, H_out, W_out), H_out = (H - kernel) // stride + 1.
    """
    n_batch, channels = x.shape[0], x.shape[1]
    out_h, out_w = y.shape[2], y.shape[3]
    for n in range(n_batch):
        for c in range(channels):
            plane, pooled = x[n, c], y[n, c]
            if kernel == 2 and stride == 2:
                for oh in range(out_h):
                    for ow in range(out_w):
                        top = _max_or_nan(plane[2 * oh, 2 * ow], plane[2 * oh, 2 * ow + 1])
                        bottom = _max_or_nan(plane[2 * oh + 1, 2 * ow], plane[2 * oh + 1, 2 * ow + 1])
                        pooled[oh, ow] = _max_or_nan(top, bottom)
                continue
            for oh in range(out_h):
                for ow in range(out_w):
                    best = plane[oh * stride, ow * stride]
                    for i in range(oh * stride, oh * stride + kernel):
                        for j in range(ow * stride, ow * stride + kernel):
                            best = _max_or_nan(best, plane[i, j])
                    pooled[oh, ow] = best


@kernel
def maxpool2d_backward(x, y, grad_y, kernel, stride, grad_x):
    """Route each window's upstream gradient to its winner: the first input (row-major) equal to its max.

    x: (N, C, H, W) the forward input; y, grad_y: (N, C, H_out, W_out) the forward output and its gradient;
    grad_x (output): (N, C, H, W), overwritten. Pixels in no window (odd sizes) get 0; with overlapping
    windows (stride < kernel) a pixel that wins several windows gets the sum of their gradients.
    """
    n_batch, channels, height, width = x.shape
    out_h, out_w = y.shape[2], y.shape[3]
    for n in range(n_batch):
        for c in range(channels):
            plane, pooled, grad, grad_plane = x[n, c], y[n, c], grad_y[n, c], grad_x[n, c]
            if kernel == 2 and stride == 2:  # every covered pixel is written once: no zeroing pass needed
                _zero_uncovered(grad_plane, 2 * out_h, 2 * out_w)
                for oh in range(out_h):
                    for ow in range(out_w):
                        best, g = pooled[oh, ow], grad[oh, ow]  # &, | and selects: no branch to mispredict
                        hit = _is_winner(plane[2 * oh, 2 * ow], best)
                        grad_plane[2 * oh, 2 * ow] = g if hit else 0
                        found = hit
                        hit = (not found) & _is_winner(plane[2 * oh, 2 * ow + 1], best)
                        grad_plane[2 * oh, 2 * ow + 1] = g if hit else 0
                        found = found | hit
                        hit = (not found) & _is_winner(plane[2 * oh + 1, 2 * ow], best)
                        grad_plane[2 * oh + 1, 2 * ow] = g if hit else 0
                        found = found | hit
                        hit = (not found) & _is_winner(plane[2 * oh + 1, 2 * ow + 1], best)
                        grad_plane[2 * oh + 1, 2 * ow + 1] = g if hit else 0
                continue
            for ih in range(height):
                for iw in range(width):
                    grad_plane[ih, iw] = 0
            for oh in range(out_h):
                for ow in range(out_w):
                    best = pooled[oh, ow]
                    found = False
                    for i in range(oh * stride, oh * stride + kernel):
                        for j in range(ow * stride, ow * stride + kernel):
                            if not found and _is_winner(plane[i, j], best):
                                grad_plane[i, j] += grad[oh, ow]
                                found = True


@kernel
def _zero_uncovered(plane, covered_h, covered_w):
    """Zero what no window covers: the rows from covered_h and, above them, the columns from covered_w (odd sizes)."""
    height, width = plane.shape
    for ih in range(covered_h, height):
        for iw in range(width):
            plane[ih, iw] = 0
    for ih in range(covered_h):
        for iw in range(covered_w, width):
            plane[ih, iw] = 0


@kernel
def _max_or_nan(a, b):
    """max(a, b), NaN if either is NaN (as np.maximum): a comparison and a select, no branch."""
    return a if (a > b) | (a != a) else b


@kernel
def _is_winner(v, best):
    """Whether input v is the window's max ``best``; when best is NaN, every NaN input qualifies."""
    return (v == best) | (v != v)


# --- training: the forward pass records each window's winner, so backward needs no comparisons -------------


@kernel
def maxpool2d_forward_winners(x, kernel, stride, y, winner):
    """As ``maxpool2d_forward``, and winner[n, c, oh, ow] = i * kernel + j of the window's first max (row-major).

    x: (N, C, H, W); y (output): (N, C, H_out, W_out); winner (output): (N, C, H_out, W_out) uint8, so
    kernel * kernel <= 256. Ties go to the first input, and the first NaN wins, as in ``np.argmax``.
    """
    n_batch, channels = x.shape[0], x.shape[1]
    out_h, out_w = y.shape[2], y.shape[3]
    for n in range(n_batch):
        for c in range(channels):
            plane, pooled, won = x[n, c], y[n, c], winner[n, c]
            if kernel == 2 and stride == 2:  # selects instead of loops and branches, as in maxpool2d_forward
                for oh in range(out_h):
                    for ow in range(out_w):
                        a, b = plane[2 * oh, 2 * ow], plane[2 * oh, 2 * ow + 1]
                        c_, d = plane[2 * oh + 1, 2 * ow], plane[2 * oh + 1, 2 * ow + 1]
                        take_b, take_d = _beats(b, a), _beats(d, c_)
                        top, top_at = (b, 1) if take_b else (a, 0)
                        bottom, bottom_at = (d, 3) if take_d else (c_, 2)
                        take_bottom = _beats(bottom, top)
                        pooled[oh, ow] = bottom if take_bottom else top
                        won[oh, ow] = bottom_at if take_bottom else top_at
                continue
            for oh in range(out_h):
                for ow in range(out_w):
                    best, best_at = plane[oh * stride, ow * stride], 0
                    for i in range(kernel):
                        for j in range(kernel):
                            v = plane[oh * stride + i, ow * stride + j]
                            if _beats(v, best):
                                best, best_at = v, i * kernel + j
                    pooled[oh, ow] = best
                    won[oh, ow] = best_at


@kernel
def maxpool2d_backward_winners(winner, grad_y, kernel, stride, grad_x):
    """grad_x = each window's upstream gradient at its recorded winner, 0 elsewhere (summed where windows overlap).

    winner, grad_y: (N, C, H_out, W_out), winner from ``maxpool2d_forward_winners``; grad_x (output):
    (N, C, H, W), overwritten. With 2x2 windows and stride 2 each window writes its four pixels (the gradient
    or 0), which replaces a separate zero-filling pass over grad_x.
    """
    height, width = grad_x.shape[2], grad_x.shape[3]
    out_h, out_w = grad_y.shape[2], grad_y.shape[3]
    for n in range(grad_x.shape[0]):
        for c in range(grad_x.shape[1]):
            won, grad, grad_plane = winner[n, c], grad_y[n, c], grad_x[n, c]
            if kernel == 2 and stride == 2:
                _zero_uncovered(grad_plane, 2 * out_h, 2 * out_w)
                for oh in range(out_h):
                    for ow in range(out_w):
                        at, g = won[oh, ow], grad[oh, ow]
                        grad_plane[2 * oh, 2 * ow] = g if at == 0 else 0
                        grad_plane[2 * oh, 2 * ow + 1] = g if at == 1 else 0
                        grad_plane[2 * oh + 1, 2 * ow] = g if at == 2 else 0
                        grad_plane[2 * oh + 1, 2 * ow + 1] = g if at == 3 else 0
                continue
            for ih in range(height):
                for iw in range(width):
                    grad_plane[ih, iw] = 0
            for oh in range(out_h):
                for ow in range(out_w):
                    at = won[oh, ow]
                    grad_plane[oh * stride + at // kernel, ow * stride + at % kernel] += grad[oh, ow]


@kernel
def _beats(v, best):
    """Whether v replaces ``best`` as a window's winner read row-major: larger, or the first NaN."""
    return (v > best) | ((v != v) & (best == best))
