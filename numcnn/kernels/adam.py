"""Numba kernel for Adam's update: m, v and the parameter updated in one pass over each parameter array.

The readable NumPy version it is tested against, ``adam_update_naive``, is in ``numcnn/optim.py``. It makes
about ten passes over the arrays (one per NumPy operation, with temporaries); this kernel reads each number
once and writes it once, which is what matters for the default net's 1.2 million weights.
"""
from __future__ import annotations

import math

from numcnn.kernels.jit import kernel


@kernel
def adam_update(param, grad, m, v, coefficients):
    """One Adam step, in place on param, m and v: (M,) flat arrays of one dtype.

    coefficients: float64 (6,) = (beta1, beta2, lr / (1 - beta1^t), 1 / sqrt(1 - beta2^t), eps, decay), with
    decay = 1 - lr * weight_decay (1 without weight decay). An array because kernels take arrays and ints only.
    """
    beta1, beta2, step_size = coefficients[0], coefficients[1], coefficients[2]
    inv_sqrt_bias2, eps, decay = coefficients[3], coefficients[4], coefficients[5]
    for i in range(param.size):
        g = grad[i]
        m_i = beta1 * m[i] + (1 - beta1) * g
        v_i = beta2 * v[i] + (1 - beta2) * (g * g)
        m[i] = m_i
        v[i] = v_i
        param[i] = decay * param[i] - step_size * m_i / (math.sqrt(v_i) * inv_sqrt_bias2 + eps)
