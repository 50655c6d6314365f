"""Numba kernels for Dropout on flat arrays: the random mask drawn, applied and stored in one pass.

The random numbers come from a counter-based generator, SplitMix64 (Steele, Lea & Flood, 2014): number i of a
call is a hash of (seed, i), so the kernel needs no generator state and a call is reproduced from its seed
alone. The layer draws that seed from the model's ``np.random.Generator``, so one model seed still reproduces
a whole run, and a resumed run (which restores the generator) draws the same masks. Drawing the uniforms with
NumPy's generator instead took longer than the rest of the layer together.

The readable NumPy versions they are tested against, ``splitmix64_naive`` and ``dropout_forward_naive``, are
in ``numcnn/layers/dropout.py``.
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels.jit import kernel


@kernel
def splitmix64(seed, i):
    """The i-th 64-bit output of SplitMix64 started at ``seed``: uint64 arithmetic, wrapping on overflow."""
    z = np.uint64(seed) + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@kernel
def dropout_forward(x, seed, threshold, scale, y, keep):
    """keep[i] = (u_i >= p), y[i] = x[i] * (scale if keep[i] else 0), u_i the top 32 bits of splitmix64(seed, i).

    x, y (output): (M,) flat, same dtype; keep (output): (M,) uint8; threshold = round(p * 2^32), so that
    u_i >= threshold has probability 1 - p; scale: (1,) of x's dtype, 1 / (1 - p). A multiplication by 0,
    not a branch, so a NaN input stays NaN, as in ``x * mask``.
    """
    factor = scale[0]
    for i in range(x.size):
        kept = (splitmix64(seed, i) >> np.uint64(32)) >= np.uint64(threshold)
        keep[i] = kept
        y[i] = x[i] * (factor if kept else 0)


@kernel
def dropout_backward(grad_y, keep, scale, grad_x):
    """grad_x[i] = grad_y[i] * (scale if keep[i] else 0): the forward pass's mask. Flat (M,) arrays as above."""
    factor = scale[0]
    for i in range(grad_y.size):
        grad_x[i] = grad_y[i] * (factor if keep[i] else 0)
