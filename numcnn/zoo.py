"""The networks of this project, by name.

- "seed": the first tutorial's net (Conv32-Conv64-Flatten-Dense10), ~98-99% after 5 epochs.
- "keras-example": the Keras MNIST example (Conv32-Pool-Conv64-Pool-Dropout-Dense10), ~99%.
- "default": what ``scripts/train.py`` trains: two conv blocks of two 3x3 convs each,
  then a hidden dense layer; with augmentation it reaches 99.5%+.
- "small": a net for live use, Conv16-Pool-Conv32-Pool-Dense128-Dense10: a twelfth of the default net's
  arithmetic (0.76 M multiply-adds per image), so ten digits take well under a millisecond.
- "medium": the small net 1.5 times as wide, Conv24-Pool-Conv48-Pool-Dense128 (1.6 M multiply-adds per image),
  for a task with more than MNIST's ten classes.
All start with the MNIST mean/std normalization, so every model takes [0, 1] images.
"""
from __future__ import annotations

import numpy as np

from numcnn.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, Normalize, ReLU
from numcnn.model import Sequential

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
ARCHITECTURES = ("default", "keras-example", "seed", "small", "medium")


def build(name: str = "default", seed: int = 0, classes: int = 10) -> Sequential:
    """A freshly initialized model for 28x28 grayscale images: (N, 1, 28, 28) -> logits (N, classes)."""
    if classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes, got {classes}")
    rng = np.random.default_rng(seed)
    normalize = Normalize(MNIST_MEAN, MNIST_STD)
    if name == "seed":
        layers = [normalize, Conv2D(1, 32, 3, rng=rng), ReLU(), Conv2D(32, 64, 3, rng=rng), ReLU(),
                  Flatten(), Dense(64 * 24 * 24, classes, rng=rng)]
    elif name == "keras-example":
        layers = [normalize, Conv2D(1, 32, 3, rng=rng), ReLU(), MaxPool2D(2),
                  Conv2D(32, 64, 3, rng=rng), ReLU(), MaxPool2D(2),
                  Flatten(), Dropout(0.5), Dense(64 * 5 * 5, classes, rng=rng)]
    elif name == "default":
        layers = [normalize,
                  Conv2D(1, 32, 3, rng=rng), ReLU(), Conv2D(32, 32, 3, rng=rng), ReLU(), MaxPool2D(2),
                  Conv2D(32, 64, 3, rng=rng), ReLU(), Conv2D(64, 64, 3, rng=rng), ReLU(), MaxPool2D(2),
                  Flatten(), Dropout(0.25), Dense(64 * 4 * 4, 128, rng=rng), ReLU(), Dropout(0.5),
                  Dense(128, classes, rng=rng)]
    elif name == "small":
        layers = [normalize, Conv2D(1, 16, 3, rng=rng), ReLU(), MaxPool2D(2),
                  Conv2D(16, 32, 3, rng=rng), ReLU(), MaxPool2D(2),
                  Flatten(), Dropout(0.25), Dense(32 * 5 * 5, 128, rng=rng), ReLU(), Dropout(0.5),
                  Dense(128, classes, rng=rng)]
    elif name == "medium":
        layers = [normalize, Conv2D(1, 24, 3, rng=rng), ReLU(), MaxPool2D(2),
                  Conv2D(24, 48, 3, rng=rng), ReLU(), MaxPool2D(2),
                  Flatten(), Dropout(0.25), Dense(48 * 5 * 5, 128, rng=rng), ReLU(), Dropout(0.5),
                  Dense(128, classes, rng=rng)]
    else:
        raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}")
    return Sequential(layers, input_shape=(1, 28, 28), seed=seed, meta={"architecture": name})
