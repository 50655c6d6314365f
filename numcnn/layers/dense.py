"""Dense (fully connected): every output is a weighted sum of every input.

Forward (x: (N, in_features), weight: (out_features, in_features), bias: (out_features,)):

    y = x @ weight.T + bias              y[n, o] = sum_i x[n, i] * weight[o, i] + bias[o]

Backward. y[n, o] depends on weight[o, i] through x[n, i], and on x[n, i] through weight[o, i]; so for g = dL/dy

    dL/dweight = g.T @ x                 dL/dweight[o, i] = sum_n g[n, o] * x[n, i]
    dL/dbias   = g summed over samples
    dL/dx      = g @ weight              dL/dx[n, i] = sum_o g[n, o] * weight[o, i]
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels import parallel
from numcnn.layers.base import Layer, check_input, glorot_uniform

# --- the readable version: plain NumPy, written for clarity ----------------------------------------------


def dense_forward_naive(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """x: (N, in), weight: (out, in), bias: (out,) -> y: (N, out)."""
    return x @ weight.T + bias


def dense_backward_naive(x: np.ndarray, weight: np.ndarray,
                         grad_y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x: (N, in), weight: (out, in), grad_y: (N, out) -> (grad_x (N, in), grad_weight (out, in), grad_bias (out,))."""
    return grad_y @ weight, grad_y.T @ x, grad_y.sum(axis=0)


# --- the layer: the same numbers, with the batch split over the cores -----------------------------------


class Dense(Layer):
    """y = x @ weight.T + bias: ``dense_forward_naive``, each thread on its own rows of the batch.

    x: (N, in_features) -> y: (N, out_features). params: weight (out_features, in_features), bias (out_features,).
    """

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if int(value) != value or value < 1:
                raise ValueError(f"Dense: {name} must be an integer >= 1, got {value!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        rng = rng if rng is not None else np.random.default_rng()
        self.params = {
            "weight": glorot_uniform(rng, (out_features, in_features), in_features, out_features),
            "bias": np.zeros(out_features, dtype=np.float32),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._x = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x: (N, in_features) -> y: (N, out_features), same float dtype as x."""
        check_input(self, x, 2, self.in_features)
        self._x = x
        weight_t = self.params["weight"].T.astype(x.dtype, copy=False)  # (in, out)
        bias = self.params["bias"].astype(x.dtype, copy=False)
        y = np.empty((len(x), self.out_features), dtype=x.dtype)

        def forward_part(part: slice) -> None:  # y = x @ weight.T + bias, on one thread's rows
            np.matmul(x[part], weight_t, out=y[part])
            y[part] += bias

        parallel.run(forward_part, parallel.split(len(x), self._work_per_sample()))
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray | None:
        """grad_y: (N, out_features) -> grad_x: (N, in_features), or None when not ``need_input_grad``;
        fills grads["weight"] and grads["bias"]."""
        x, need_input_grad = self._x, self.need_input_grad
        weight = self.params["weight"].astype(grad_y.dtype, copy=False)
        grad_x = np.empty(x.shape, dtype=grad_y.dtype) if need_input_grad else None

        def backward_part(part: slice) -> np.ndarray:  # one thread's rows -> their terms of the sum over samples
            if need_input_grad:
                np.matmul(grad_y[part], weight, out=grad_x[part])  # grad_x = grad_y @ weight
            return grad_y[part].T @ x[part]  # grad_weight = grad_y.T @ x

        shares = parallel.run(backward_part, parallel.split(len(x), self._work_per_sample()))
        self.grads["weight"] = sum(shares).astype(self.params["weight"].dtype, copy=False)
        self.grads["bias"] = grad_y.sum(axis=0).astype(self.params["bias"].dtype, copy=False)
        return grad_x

    def _work_per_sample(self) -> float:
        """Multiply-adds of one row, in the work units of ``parallel.split``."""
        return self.in_features * self.out_features / 16

    def check_input_shape(self, sample_shape: tuple[int, ...]) -> None:
        if sample_shape != (self.in_features,):
            raise ValueError(f"{self!r} expects samples of {self.in_features} input features, got shape "
                             f"{sample_shape}")

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.out_features,)

    def config(self) -> dict:
        return {"in_features": self.in_features, "out_features": self.out_features}
