"""A look inside a network: run it layer by layer and keep what each layer outputs (its activations).

    outputs = layer_outputs(model, x)            # one array per layer; outputs[-1] is model.forward(x)
    for conv in conv_feature_maps(model, x):     # what each convolution layer detects, after its ReLU
        print(conv.label, conv.maps.shape)       # "layers 1-2: Conv2D + ReLU, 24 maps of 26x26" (N, 24, 26, 26)
    picture = tile_maps(scale_per_map(conv.maps[0]), columns=grid_columns(24))

A convolution layer's output is a stack of feature maps, one per filter: map c is bright where filter c found
its pattern (an edge at some angle, a stroke end, a curve). Drawn side by side they show what the network
"sees" of an image. Only the model's public parts are used (``model.layers`` and each layer's
``forward(x, training=False)``), so any sequence of numcnn layers works.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from numcnn.layers import Conv2D, Layer, ReLU

GAP_VALUE = 0.35   # the grey between tiled maps: mid-dark, so black (inactive) maps still show their edges


def layer_outputs(model: Any, x: np.ndarray) -> list[np.ndarray]:
    """Every layer's output for the batch ``x``, in inference mode (no dropout), first layer first.

    model: anything with a ``layers`` list of numcnn layers (a ``Sequential``).
    x: (N, *input_shape) floating-point, as ``model.forward`` takes it (images in [0, 1]).
    Returns one array per layer, with the batch axis; the last one is what ``model.forward(x)`` returns.
    """
    layers = list(getattr(model, "layers", None) or [])
    if not layers or not all(isinstance(layer, Layer) for layer in layers):
        raise TypeError(f"expected a numcnn model with a non-empty list of layers, got {type(model).__name__}")
    if not isinstance(x, np.ndarray) or x.ndim < 2:
        shape = x.shape if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"expected a batch of inputs (N, *input_shape), got {shape}; "
                         f"add the batch axis with x[None]")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"expected floating-point input, got {x.dtype}; convert 0-255 images with "
                         f"x.astype(np.float32) / 255")
    outputs = []
    for layer in layers:
        x = layer.forward(x, training=False)
        outputs.append(x)
    return outputs


@dataclass(frozen=True)
class FeatureMaps:
    """The output of one convolution layer: ``maps`` (N, C, H, W), one (H, W) map per filter and image.

    conv_index: the Conv2D's position in ``model.layers``; relu_index: that of the ReLU right after it, when
    there is one (the maps are then taken after it: negative responses are cut to 0, as the next layer sees
    them), else None (raw convolution output, negative values included).
    """

    conv_index: int
    relu_index: int | None
    maps: np.ndarray

    @property
    def label(self) -> str:
        """A one-line caption, e.g. "layers 1-2: Conv2D + ReLU, 24 maps of 26x26"."""
        channels, height, width = self.maps.shape[1:]
        if self.relu_index is None:
            where = f"layer {self.conv_index}: Conv2D (no ReLU after it)"
        else:
            where = f"layers {self.conv_index}-{self.relu_index}: Conv2D + ReLU"
        return f"{where}, {channels} maps of {height}x{width}"


def conv_feature_maps(model: Any, x: np.ndarray) -> list[FeatureMaps]:
    """The feature maps of every Conv2D layer of ``model`` for the batch ``x`` (N, *input_shape), in order.

    Each is taken after the ReLU that directly follows the convolution, if one does: that is what the
    network passes on. An empty list for a model without convolutions.
    """
    layers, outputs = model.layers, layer_outputs(model, x)
    found = []
    for index, layer in enumerate(layers):
        if not isinstance(layer, Conv2D):
            continue
        followed_by_relu = index + 1 < len(layers) and isinstance(layers[index + 1], ReLU)
        if followed_by_relu:
            found.append(FeatureMaps(index, index + 1, outputs[index + 1]))
        else:
            found.append(FeatureMaps(index, None, outputs[index]))
    return found


def scale_per_map(maps: np.ndarray) -> np.ndarray:
    """maps: (..., H, W) -> float32 of the same shape in [0, 1], each (H, W) map scaled on its own.

    A map's 0 is black and its highest value white (or, for a map with negative values, its lowest value is
    black): after a ReLU, black then means "nothing found here". Each map gets its own scale so that weak and
    strong filters both show their pattern. A map of zeros (a filter that found nothing) stays black.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim < 2:
        raise ValueError(f"expected maps of shape (..., H, W), got {maps.shape}")
    lowest = np.minimum(maps.min(axis=(-2, -1), keepdims=True), 0.0)
    spread = maps.max(axis=(-2, -1), keepdims=True) - lowest
    scaled = (maps - lowest) / np.where(spread > 0, spread, 1.0)
    return np.where(spread > 0, scaled, 0.0).astype(np.float32)


def grid_columns(count: int, aspect: float = 1.0) -> int:
    """How many columns to tile ``count`` maps in: a grid about ``aspect`` times as wide as high (in cells),
    with as few empty cells as possible. aspect 1: 24 maps in 6 columns x 4 rows, 48 in 8 x 6, 16 in 4 x 4;
    aspect 2: 24 maps in 8 x 3, 48 in 12 x 4."""
    if count < 1 or aspect <= 0:
        raise ValueError(f"need at least one map and a positive aspect, got count={count}, aspect={aspect}")
    narrowest = math.ceil(math.sqrt(count * aspect))
    if narrowest >= count:
        return count
    return min(range(narrowest, min(2 * narrowest, count) + 1), key=lambda columns: -count % columns)


def tile_maps(maps: np.ndarray, columns: int, gap: int = 1, gap_value: float = GAP_VALUE) -> np.ndarray:
    """Lay out maps (C, H, W) in a grid of ``columns`` columns, row by row, ``gap`` pixels apart.

    Returns (rows * (H + gap) - gap, columns * (W + gap) - gap) float32; gaps and unused cells of the last
    row are ``gap_value``.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ValueError(f"expected maps of shape (C, H, W), got {maps.shape}")
    if columns < 1 or gap < 0:
        raise ValueError(f"need columns >= 1 and gap >= 0, got columns={columns}, gap={gap}")
    count, height, width = maps.shape
    rows = math.ceil(count / columns)
    mosaic = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), gap_value, dtype=np.float32)
    for index, feature_map in enumerate(maps):
        top, left = (index // columns) * (height + gap), (index % columns) * (width + gap)
        mosaic[top : top + height, left : left + width] = feature_map
    return mosaic
