"""Dense (fully connected): every output is a weighted sum of every input."""
from __future__ import annotations

import numpy as np

from numcnn.layers.base import Layer, check_input, glorot_uniform


class Dense(Layer):
    """y = x @ weight.T + bias

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
        check_input(self, x, 2, self.in_features)
        self._x = x
        weight, bias = self.params["weight"], self.params["bias"]
        return x @ weight.T.astype(x.dtype, copy=False) + bias.astype(x.dtype, copy=False)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        weight = self.params["weight"]
        self.grads["weight"] = (grad_y.T @ self._x).astype(weight.dtype, copy=False)  # (out, N) @ (N, in)
        self.grads["bias"] = grad_y.sum(axis=0).astype(weight.dtype, copy=False)
        return grad_y @ weight.astype(grad_y.dtype, copy=False)  # (N, out) @ (out, in)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.out_features,)

    def config(self) -> dict:
        return {"in_features": self.in_features, "out_features": self.out_features}
