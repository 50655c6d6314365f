"""Sequential: a list of layers applied one after the other, with prediction helpers and saving."""
from __future__ import annotations

import numpy as np

from numcnn.layers import Layer
from numcnn.losses import softmax


class Sequential:
    """y = layers[-1](... layers[1](layers[0](x)))

    forward(x: (N, *input_shape), training) -> logits (N, K); backward(grad_logits: (N, K)) -> grad_x.
    Images for ``predict``/``predict_proba`` are float32 (N, C, H, W) in [0, 1] (for MNIST: white digit on
    black); any mean/std standardization is a ``Normalize`` layer inside the model.
    ``meta`` is free-form JSON-ready information saved with the model (test accuracy, training command...).
    """

    def __init__(self, layers: list[Layer], input_shape: tuple[int, ...] = (1, 28, 28), seed: int | None = 0,
                 meta: dict | None = None) -> None:
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError("Sequential needs a non-empty list of numcnn layers")
        self.layers = list(layers)
        self.input_shape = tuple(int(d) for d in input_shape)
        self.meta = dict(meta or {})
        self.rng = np.random.default_rng(seed)
        for layer in self.layers:
            layer.use_rng(self.rng)  # one generator for the whole model: one seed reproduces a run
        self.output_shape = self._check_shapes()

    def _check_shapes(self) -> tuple[int, ...]:
        """Walk one sample's shape through the layers, so a mismatch fails here and names the layer."""
        shape = self.input_shape
        for index, layer in enumerate(self.layers):
            try:
                layer.check_input_shape(shape)
            except ValueError as error:
                raise ValueError(f"layer {index} {error}") from None
            shape = layer.output_shape(shape)
            if min(shape) < 1:
                raise ValueError(f"layer {index} {layer!r} would output an empty shape {shape}")
        return shape

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x: (N, *input_shape) -> logits (N, K)."""
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad_logits: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """grad_logits: (N, K) -> grad_x (N, *input_shape); fills every layer's ``grads``.

        With ``need_input_grad=False`` (training), backpropagation stops at the first layer with weights: the
        layers below it have nothing to learn, and it gets ``need_input_grad = False`` for this call, so it
        skips the gradient of its own input. Returns None then.
        """
        layers = self.layers if need_input_grad else self.layers[self._first_trainable_index():]
        first, setting_before = layers[0], layers[0].need_input_grad
        first.need_input_grad = need_input_grad  # for this call only: the layer may be used on its own later
        try:
            grad = grad_logits
            for layer in reversed(layers):
                grad = layer.backward(grad)
        finally:
            first.need_input_grad = setting_before
        return grad if need_input_grad else None

    def _first_trainable_index(self) -> int:
        return next((i for i, layer in enumerate(self.layers) if layer.params), 0)

    def parameters(self) -> list[tuple[str, Layer, str]]:
        """(name, layer, key) for every parameter array, e.g. ("layers.1.weight", conv, "weight")."""
        return [(f"layers.{i}.{key}", layer, key)
                for i, layer in enumerate(self.layers) for key in layer.params]

    def num_params(self) -> int:
        return sum(layer.params[key].size for _, layer, key in self.parameters())

    def predict_proba(self, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """images: (N, C, H, W) float in [0, 1] -> probabilities (N, K) float32, rows summing to 1."""
        images = self._check_images(images)
        chunks = [softmax(self.forward(images[i:i + batch_size]).astype(np.float32))
                  for i in range(0, len(images), batch_size)]
        return np.concatenate(chunks) if chunks else np.zeros((0,) + self.output_shape, dtype=np.float32)

    def predict(self, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """images: (N, C, H, W) float in [0, 1] -> class indices (N,) int64."""
        return self.predict_proba(images, batch_size).argmax(axis=1).astype(np.int64)

    def _check_images(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[1:] != self.input_shape:
            raise ValueError(f"expected images of shape (N, {', '.join(map(str, self.input_shape))}), "
                             f"got {images.shape}")
        if not np.issubdtype(images.dtype, np.floating):
            raise ValueError(f"expected float images scaled to [0, 1], got dtype {images.dtype} "
                             f"(for 0-255 uint8 images, pass images.astype(np.float32) / 255)")
        if images.size and (images.min() < -0.01 or images.max() > 1.01):
            raise ValueError(f"expected images scaled to [0, 1], got values from {images.min():.3g} to "
                             f"{images.max():.3g} (divide 0-255 pixels by 255)")
        return np.ascontiguousarray(images, dtype=np.float32)

    def save(self, path: str) -> None:
        """Write the architecture, weights and ``meta`` to one .npz file, atomically (see ``numcnn.io``)."""
        from numcnn.io import save_model
        save_model(self, path)

    def summary(self) -> str:
        """One line per layer with its output shape and parameter count."""
        lines, shape = [f"input {self.input_shape}"], self.input_shape
        for i, layer in enumerate(self.layers):
            shape = layer.output_shape(shape)
            count = sum(p.size for p in layer.params.values())
            lines.append(f"{i:2d} {layer!r:<48} -> {str(shape):<16} {count:>9,d} params")
        lines.append(f"total {self.num_params():,d} parameters")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "Sequential([\n" + "".join(f"    {layer!r},\n" for layer in self.layers) + "])"
