"""The layer contract every layer follows.

    y = layer.forward(x, training=False)    # remembers what backward needs (one cache, overwritten each call)
    grad_x = layer.backward(grad_y)         # fills layer.grads; never changes weights (optimizers do that)

Layers with weights keep them in ``params`` and the matching gradients in ``grads`` (same keys, same shapes).
``config()`` returns the constructor arguments as JSON-ready values, so a model file can rebuild the layer.

``need_input_grad`` (True unless someone says otherwise) tells ``backward`` whether anyone will use grad_x.
The first layer with weights in a net has no one to pass it to: ``Sequential.backward(..., need_input_grad=False)``
sets it to False there for the call, and Conv2D and Dense then skip the product that computes grad_x and return
None (a third of a convolution's backward pass). Layers for which grad_x costs nothing may return it anyway.

``check_input_shape(sample_shape)`` raises a ValueError when a sample of that shape cannot go in, so
``Sequential`` rejects a wrong architecture when it is built, before any data flows. ``use_rng(rng)`` hands
a layer that draws random numbers (Dropout) the model's generator, so one seed reproduces a whole run.
"""
from __future__ import annotations

import numpy as np


class Layer:
    """Base class: no parameters, identity config, any input shape."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.need_input_grad = True

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_y: np.ndarray) -> np.ndarray | None:
        """grad_y: dL/dy, shaped as y -> dL/dx, shaped as x (or None when not ``need_input_grad``)."""
        raise NotImplementedError

    def check_input_shape(self, sample_shape: tuple[int, ...]) -> None:
        """Raise ValueError if one input sample of ``sample_shape`` (no batch axis) does not fit this layer."""

    def use_rng(self, rng: np.random.Generator) -> None:
        """Draw random numbers from ``rng`` from now on; a layer that draws none ignores it."""

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one output sample for one input sample of ``input_shape`` (no batch axis)."""
        return input_shape

    def config(self) -> dict:
        """Constructor arguments, JSON-serializable."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def check_input(layer: Layer, x: np.ndarray, ndim: int, channels: int | None = None) -> None:
    """Raise a clear ValueError when the batch ``x`` does not have the layout ``layer`` expects."""
    if not isinstance(x, np.ndarray) or x.ndim != ndim:
        got = x.shape if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"{layer!r} expects a {ndim}-D array, got {got}")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{layer!r} expects floating-point input (float32, or float64 for gradient checks), "
                         f"got {x.dtype}; convert images with x.astype(np.float32) / 255")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{layer!r} expects {channels} input channels (axis 1), got shape {x.shape}")


def sliding_output_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """Positions of a ``kernel`` window sliding over ``size`` pixels (floor mode, as PyTorch)."""
    return (size + 2 * padding - kernel) // stride + 1


def glorot_uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
    """Glorot/Xavier uniform initialization (Keras's default): U(-b, b), b = sqrt(6 / (fan_in + fan_out)), float32.

    It keeps the scale of activations and gradients roughly constant from layer to layer.
    """
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)
