"""Gradient checks: compare a layer's ``backward`` with central differences of its ``forward``.

For a layer y = f(x; params) and a fixed random upstream gradient g (same shape as y), the scalar

    L(x, params) = sum(y * g)

has dL/dx = layer.backward(g) and dL/dparams = layer.grads. Central differences estimate the same numbers
without any calculus:

    dL/dt[i] ~= (L(t[i] + eps) - L(t[i] - eps)) / (2 * eps)        for every element i of every tensor t

Everything runs in float64: in float32 the rounding error of L swamps the differences. The check works on a
deep copy of the layer (or model) whose params are converted to float64, so the caller's object is never
touched. A random g (rather than g = 1) makes every output element matter with a different weight, so a
gradient routed to the wrong place cannot cancel out.

    report = check_layer(Conv2D(3, 4, 3, stride=2, padding=1), x)     # x: (N, 3, H, W)
    print(report)           # one line per tensor: input, weight, bias
    report.assert_ok()      # AssertionError with the table if any relative error > tol

Run ``python -m numcnn.gradcheck`` for a report on every layer and the loss.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from numcnn.layers import Layer
from numcnn.losses import SoftmaxCrossEntropy
from numcnn.model import Sequential

DEFAULT_TOL = 1e-6


@dataclass
class GradcheckReport:
    """Relative error of each analytic gradient against its numerical estimate.

    errors: tensor name ("input", "weight", "bias", "logits", "layers.1.weight", ...) -> relative error
    shapes: tensor name -> shape of that tensor
    """

    name: str
    errors: dict[str, float] = field(default_factory=dict)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    def ok(self, tol: float = DEFAULT_TOL) -> bool:
        return self.max_error <= tol

    def assert_ok(self, tol: float = DEFAULT_TOL) -> None:
        """Raise AssertionError, showing the whole table, if any relative error exceeds ``tol``."""
        if not self.ok(tol):
            raise AssertionError(f"gradient check failed (tolerance {tol:.0e}):\n{self}")

    def __str__(self) -> str:
        lines = [self.name]
        for tensor, error in self.errors.items():
            verdict = "ok" if error <= DEFAULT_TOL else "WRONG"
            lines.append(f"  {tensor:<18} {str(self.shapes[tensor]):<18} {error:9.2e}  {verdict}")
        return "\n".join(lines)


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max |analytic - numeric| / max(max |analytic|, max |numeric|); 0 when both are all zeros.

    analytic, numeric: same shape. The worst element is measured against the scale of the whole tensor,
    not its own size: an element whose true gradient is almost 0 would otherwise turn harmless rounding
    noise into a huge relative error. Correct gradients give ~1e-9 in float64; a wrong one gives ~1.
    """
    if analytic.shape != numeric.shape:
        raise ValueError(f"analytic gradient has shape {analytic.shape}, expected {numeric.shape}")
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0))
    if scale == 0.0:
        return 0.0
    return float(np.abs(analytic - numeric).max() / scale)


def numerical_gradient(f: Callable[[], float], tensor: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f() / d tensor by central differences, nudging ``tensor`` in place (each element is restored).

    f: a function of no arguments that reads ``tensor``; tensor: any shape, float64 -> gradient: same shape.
    """
    grad = np.zeros(tensor.shape, dtype=np.float64)
    for index in np.ndindex(tensor.shape):
        original = tensor[index]
        tensor[index] = original + eps
        above = f()
        tensor[index] = original - eps
        below = f()
        tensor[index] = original
        grad[index] = (above - below) / (2 * eps)
    return grad


def check_layer(layer: Layer, x: np.ndarray, seed: int = 0, eps: float = 1e-6,
                training: bool = True) -> GradcheckReport:
    """Check ``layer.backward`` (input gradient and every param gradient) against central differences.

    layer: any numcnn layer (not modified: the check uses a float64 deep copy); x: an input batch for it,
    e.g. (N, C, H, W) for Conv2D, any float dtype (converted to float64). A stochastic layer (Dropout with
    ``training=True``) gets a generator of its own, rewound before every forward pass, so it draws the same
    mask each time. Returns the relative error of each tensor, see ``relative_error``.
    """
    layer = copy.deepcopy(layer)
    for key in layer.params:
        layer.params[key] = layer.params[key].astype(np.float64)
    layer.need_input_grad = True  # the input gradient is one of the things checked
    generator = np.random.default_rng(seed)
    layer.use_rng(generator)
    x = np.array(x, dtype=np.float64)
    rewind = _rewinder(generator)

    rewind()
    y = layer.forward(x, training=training)
    upstream = np.random.default_rng(seed).standard_normal(y.shape)
    analytic = {"input": np.array(layer.backward(upstream), dtype=np.float64)}  # copies: layers may reuse buffers
    analytic.update({key: np.array(layer.grads[key], dtype=np.float64) for key in layer.params})

    def objective() -> float:
        rewind()
        return float(np.sum(layer.forward(x, training=training) * upstream))

    return _compare(f"{layer!r} on input {x.shape}", analytic, {"input": x, **layer.params}, objective, eps)


def check_loss(loss: SoftmaxCrossEntropy, logits: np.ndarray, labels: np.ndarray,
               eps: float = 1e-6) -> GradcheckReport:
    """Check ``loss.backward()`` against central differences of ``loss.forward``.

    logits: (N, K) any float dtype (converted to float64); labels: (N,) int in [0, K).
    """
    logits = np.array(logits, dtype=np.float64)
    loss.forward(logits, labels)
    analytic = np.array(loss.backward(), dtype=np.float64)
    return _compare(f"{type(loss).__name__} on logits {logits.shape}", {"logits": analytic}, {"logits": logits},
                    lambda: loss.forward(logits, labels), eps)


def check_model(model: Sequential, x: np.ndarray, labels: np.ndarray, eps: float = 1e-6,
                training: bool = True) -> GradcheckReport:
    """Check a whole ``Sequential`` under ``SoftmaxCrossEntropy``: the input and every parameter.

    model: not modified (the check uses a float64 deep copy); x: (N, *model.input_shape), any float dtype;
    labels: (N,) int. The model's generator is rewound before every forward pass, so Dropout layers draw
    the same masks each time. Tensors are named "input" and "layers.<i>.<key>" as in model files.
    """
    model = copy.deepcopy(model)
    for _, layer, key in model.parameters():
        layer.params[key] = layer.params[key].astype(np.float64)
    x = np.array(x, dtype=np.float64)
    loss = SoftmaxCrossEntropy()
    rewind = _rewinder(model.rng)

    def objective() -> float:
        rewind()
        return loss.forward(model.forward(x, training=training), labels)

    objective()
    analytic = {"input": np.array(model.backward(loss.backward()), dtype=np.float64)}
    analytic.update({name: np.array(layer.grads[key], dtype=np.float64) for name, layer, key in model.parameters()})

    tensors = {"input": x, **{name: layer.params[key] for name, layer, key in model.parameters()}}
    return _compare(f"Sequential of {len(model.layers)} layers on input {x.shape}", analytic, tensors, objective, eps)


def _compare(name: str, analytic: dict[str, np.ndarray], tensors: dict[str, np.ndarray],
             objective: Callable[[], float], eps: float) -> GradcheckReport:
    """Estimate d objective / d tensor for every tensor and measure each analytic gradient against it."""
    report = GradcheckReport(name)
    for tensor_name, tensor in tensors.items():
        report.shapes[tensor_name] = tensor.shape
        report.errors[tensor_name] = relative_error(analytic[tensor_name], numerical_gradient(objective, tensor, eps))
    return report


def _rewinder(rng: np.random.Generator) -> Callable[[], None]:
    """A function that puts ``rng`` back to its current state."""
    state = copy.deepcopy(rng.bit_generator.state)

    def rewind() -> None:
        rng.bit_generator.state = state
    return rewind


def main() -> None:
    """Print a gradient-check report for every layer type and the loss, on small odd-sized inputs."""
    from numcnn.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, Normalize, ReLU

    rng = np.random.default_rng(0)
    image = rng.standard_normal((2, 3, 7, 6))
    checks = [
        (Conv2D(3, 4, 3, rng=rng), image),
        (Conv2D(3, 2, 3, stride=2, padding=1, rng=rng), image),
        (MaxPool2D(2), image),
        (MaxPool2D(3, stride=2), image),
        (Dense(5, 3, rng=rng), rng.standard_normal((4, 5))),
        (ReLU(), image),
        (Flatten(), image),
        (Dropout(0.5, rng=rng), image),
        (Normalize(0.1307, 0.3081), image),
    ]
    reports = [check_layer(layer, x) for layer, x in checks]
    reports.append(check_loss(SoftmaxCrossEntropy(), 3 * rng.standard_normal((4, 10)), rng.integers(0, 10, 4)))
    print(f"relative errors (central differences in float64; above {DEFAULT_TOL:.0e} means a wrong gradient)")
    for report in reports:
        print(report)
    failed = [report.name for report in reports if not report.ok()]
    print(f"{len(reports) - len(failed)}/{len(reports)} checks passed")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
