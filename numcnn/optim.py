"""Optimizers: they read ``layer.grads`` and update ``layer.params`` in place. Layers never update themselves.

    optimizer = Adam(model, lr=1e-3)
    ...; model.backward(loss.backward()); optimizer.step()

``lr`` is a plain attribute, so a learning-rate schedule just assigns it before each step.
"""
from __future__ import annotations

import numpy as np

from numcnn.kernels import adam as adam_kernels


class Optimizer:
    """Holds the model and one state array per parameter and slot ("velocity", "m", "v", ...)."""

    slots: tuple[str, ...] = ()

    def __init__(self, model, lr: float) -> None:
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: lr must be > 0, got {lr!r}")
        self.model = model
        self.lr = float(lr)
        self.steps = 0
        self.state = {f"{slot}.{name}": np.zeros_like(layer.params[key])
                      for name, layer, key in model.parameters() for slot in self.slots}

    def step(self) -> None:
        """Apply one update to every parameter from its current gradient."""
        self.steps += 1
        for name, layer, key in self.model.parameters():
            self.update(name, layer.params[key], layer.grads[key])

    def update(self, name: str, param: np.ndarray, grad: np.ndarray) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to resume: the slot arrays, the step count and the learning rate."""
        return {**self.state, "steps": np.array(self.steps), "lr": np.array(self.lr)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        expected = set(self.state) | {"steps", "lr"}
        if set(state) != expected:
            raise ValueError(f"{type(self).__name__}: optimizer state does not match this model "
                             f"(missing {sorted(expected - set(state))}, unexpected {sorted(set(state) - expected)})")
        for key, value in self.state.items():
            if state[key].shape != value.shape:
                raise ValueError(f"{type(self).__name__}: state {key} has shape {state[key].shape}, "
                                 f"expected {value.shape}")
            value[...] = state[key]
        self.steps, self.lr = int(state["steps"]), float(state["lr"])


class SGD(Optimizer):
    """Stochastic gradient descent with momentum (PyTorch's formulation), optional Nesterov and L2 weight decay.

    g = grad + weight_decay * p;  v = momentum * v + g;  p -= lr * (g + momentum * v if nesterov else v)
    """

    slots = ("velocity",)

    def __init__(self, model, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        if nesterov and momentum <= 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0")
        if momentum < 0 or weight_decay < 0:
            raise ValueError("SGD: momentum and weight_decay must be >= 0")
        self.momentum, self.nesterov, self.weight_decay = float(momentum), bool(nesterov), float(weight_decay)
        super().__init__(model, lr)

    def update(self, name: str, param: np.ndarray, grad: np.ndarray) -> None:
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.momentum == 0:
            param -= self.lr * grad
            return
        velocity = self.state[f"velocity.{name}"]
        velocity *= self.momentum
        velocity += grad
        param -= self.lr * (grad + self.momentum * velocity if self.nesterov else velocity)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with optional decoupled weight decay (AdamW).

    m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
    """

    slots = ("m", "v")

    def __init__(self, model, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Adam: betas must lie in [0, 1), got {betas!r}")
        self.beta1, self.beta2 = float(betas[0]), float(betas[1])
        self.eps, self.weight_decay = float(eps), float(weight_decay)
        super().__init__(model, lr)

    def update(self, name: str, param: np.ndarray, grad: np.ndarray) -> None:
        m, v = self.state[f"m.{name}"], self.state[f"v.{name}"]
        arrays = (param, grad, m, v)
        if not all(a.flags.c_contiguous and a.dtype == param.dtype for a in arrays):  # the kernel needs flat views
            adam_update_naive(param, grad, m, v, self.steps, self.lr, self.beta1, self.beta2, self.eps,
                              self.weight_decay)
            return
        coefficients = np.array([self.beta1, self.beta2, self.lr / (1 - self.beta1 ** self.steps),
                                 1 / np.sqrt(1 - self.beta2 ** self.steps), self.eps, 1 - self.lr * self.weight_decay])
        adam_kernels.adam_update(*(a.reshape(-1) for a in arrays), coefficients)  # adam_update_naive, one pass


def adam_update_naive(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, step: int, lr: float,
                      beta1: float, beta2: float, eps: float, weight_decay: float = 0.0) -> None:
    """The readable Adam step, in place on param, m, v (same shape); step t counts from 1.

    ``Adam.update`` runs the Numba kernel ``numcnn.kernels.adam.adam_update``, which computes the same numbers in
    one pass over the arrays instead of one pass per operation.
    """
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * np.square(grad)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    if weight_decay:
        param *= 1 - lr * weight_decay
    denominator = np.sqrt(v) / np.sqrt(bias_correction2) + eps
    param -= ((lr / bias_correction1) * m / denominator).astype(param.dtype, copy=False)
