"""Figures of a training run, saved as PNG: learning curves, confusion matrix, worst mistakes, first-layer filters,
and the feature maps of every convolution layer for a few images (see ``numcnn.activations``).

Uses matplotlib's object-oriented API with the Agg renderer (no pyplot, no window, works without a display).
Every figure is written to a temporary file in the target directory and renamed into place.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from numcnn.activations import FeatureMaps, grid_columns, scale_per_map, tile_maps
from numcnn.io import atomic_write


def save_figure(figure: Figure, path: str) -> None:
    """Save ``figure`` as a PNG at ``path``, atomically."""
    with atomic_write(path) as f:
        figure.savefig(f, format="png", dpi=110, bbox_inches="tight")


def plot_history(history: list[dict], path: str) -> None:
    """Loss and accuracy per epoch, training and validation side by side. history: records from ``fit``."""
    epochs = [record["epoch"] for record in history]
    figure = Figure(figsize=(10, 4))
    for axes, metric, title in zip(figure.subplots(1, 2), ("loss", "acc"), ("loss (cross-entropy)", "accuracy")):
        axes.plot(epochs, [r[f"train_{metric}"] for r in history], "o-", label="training (on the batches as trained)")
        validation = [(e, r[f"val_{metric}"]) for e, r in zip(epochs, history) if r[f"val_{metric}"] is not None]
        if validation:
            axes.plot(*zip(*validation), "s-", label="validation")
        axes.set(title=title, xlabel="epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend()
        if metric == "acc":
            lowest = min(v for r in history for v in (r["train_acc"], r["val_acc"]) if v is not None)
            axes.set_ylim(max(0.0, lowest - 0.005), 1.0)
    save_figure(figure, path)


def plot_confusion_matrix(counts: np.ndarray, path: str, title: str = "confusion matrix (test set)") -> None:
    """counts: (K, K) int, row = true class, column = predicted class. Log colour scale, so rare mistakes show."""
    figure = Figure(figsize=(6.5, 5.5))
    axes = figure.subplots()
    image = axes.imshow(np.log1p(counts), cmap="Blues")
    figure.colorbar(image, ax=axes, label="log(1 + count)")
    num_classes = len(counts)
    axes.set(title=title, xlabel="predicted", ylabel="true", xticks=range(num_classes), yticks=range(num_classes))
    threshold = np.log1p(counts).max() / 2
    for true in range(num_classes):
        for predicted in range(num_classes):
            if counts[true, predicted]:
                axes.text(predicted, true, str(counts[true, predicted]), ha="center", va="center", fontsize=8,
                          color="white" if np.log1p(counts[true, predicted]) > threshold else "black")
    save_figure(figure, path)


def plot_worst_mistakes(images: np.ndarray, labels: np.ndarray, probs: np.ndarray, path: str,
                        count: int = 36) -> None:
    """The ``count`` misclassified images the model was most confident about, with true/predicted labels.

    images: (N, 28, 28) uint8; labels: (N,) int; probs: (N, K) predicted probabilities.
    """
    predictions = probs.argmax(axis=1)
    wrong = np.flatnonzero(predictions != labels)
    worst = wrong[np.argsort(-probs[wrong, predictions[wrong]])][:count]
    columns = 9
    rows = max(1, math.ceil(len(worst) / columns))
    figure = Figure(figsize=(columns * 1.1, rows * 1.3 + 0.4))
    figure.suptitle(f"most confident mistakes ({len(wrong)} misclassified of {len(labels)})")
    for index, axes in enumerate(np.atleast_1d(figure.subplots(rows, columns)).ravel()):
        axes.axis("off")
        if index < len(worst):
            i = worst[index]
            axes.imshow(images[i], cmap="gray", vmin=0, vmax=255)
            axes.set_title(f"true {labels[i]} pred {predictions[i]}\n{probs[i, predictions[i]]:.0%}", fontsize=7)
    save_figure(figure, path)


def plot_filters(weight: np.ndarray, path: str) -> None:
    """First-layer convolution filters. weight: (F, 1, kH, kW). Red = positive, blue = negative weights,
    each filter on its own symmetric scale, so the patterns show whatever their size."""
    columns = 8
    rows = math.ceil(len(weight) / columns)
    figure = Figure(figsize=(columns * 0.9, rows * 0.9 + 0.4))
    figure.suptitle(f"first-layer filters ({len(weight)} of {weight.shape[2]}x{weight.shape[3]})")
    for index, axes in enumerate(np.atleast_1d(figure.subplots(rows, columns)).ravel()):
        axes.axis("off")
        if index < len(weight):
            largest = max(float(np.abs(weight[index, 0]).max()), 1e-12)
            axes.imshow(weight[index, 0], cmap="RdBu_r", vmin=-largest, vmax=largest)
    save_figure(figure, path)


def plot_feature_maps(images: np.ndarray, feature_maps: Sequence[FeatureMaps], path: str,
                      titles: Sequence[str] | None = None) -> None:
    """A look inside the network: one row per image, the image first, then each convolution layer's maps.

    images: (N, H, W) the model's inputs as pictures (uint8 0-255, or floats in [0, 1]).
    feature_maps: from ``numcnn.activations.conv_feature_maps`` for those N images, each with maps (N, C, h, w);
    each layer's C maps are tiled in a grid, every map scaled on its own (black = 0, white = its highest value).
    titles: N captions above the images (e.g. "true 7, read 7 (99%)"), or None.
    """
    images = np.asarray(images)
    if images.ndim != 3 or not len(images):
        raise ValueError(f"expected images of shape (N, H, W) with N >= 1, got {images.shape}")
    if not feature_maps:
        raise ValueError("no feature maps to draw: the model has no convolution layer")
    for layer in feature_maps:
        if layer.maps.ndim != 4 or len(layer.maps) != len(images):
            raise ValueError(f"expected maps (N, C, H, W) for the {len(images)} images, got {layer.maps.shape} "
                             f"for {layer.label}")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"expected {len(images)} titles, one per image, got {len(titles)}")
    # Grids twice as wide as high show bigger maps in a row of the same height; with more than two layers
    # that would make the figure too wide to read, so square grids then.
    aspect = 2.0 if len(feature_maps) <= 2 else 1.0
    columns = [grid_columns(layer.maps.shape[1], aspect) for layer in feature_maps]
    mosaics = [[tile_maps(scale_per_map(layer.maps[row]), count) for layer, count in zip(feature_maps, columns)]
               for row in range(len(images))]
    # Columns as wide as their mosaics are long, so that every picture of a row is the same height.
    ratios = [images.shape[2] / images.shape[1]] + [mosaic.shape[1] / mosaic.shape[0] for mosaic in mosaics[0]]
    row_height = 1.8
    figure = Figure(figsize=(row_height * sum(ratios) + 0.3 * len(ratios), row_height * len(images) + 1.1),
                    layout="constrained")
    figure.suptitle("A look inside the network: what each convolution layer detects\n"
                    "(one small map per filter, each scaled on its own: black = 0, white = its highest value)",
                    fontsize=10)
    grid = np.atleast_2d(figure.subplots(len(images), len(ratios), width_ratios=ratios, squeeze=False))
    brightest = 255 if images.dtype == np.uint8 else 1.0
    for row, axes_row in enumerate(grid):
        axes_row[0].imshow(images[row], cmap="gray", vmin=0, vmax=brightest)
        axes_row[0].set_title(titles[row] if titles is not None else "input", fontsize=9)
        for axes, mosaic in zip(axes_row[1:], mosaics[row]):
            axes.imshow(mosaic, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        for axes in axes_row:
            axes.set_xticks([])
            axes.set_yticks([])
    for axes, layer in zip(grid[0, 1:], feature_maps):
        axes.set_title(layer.label.replace(", ", "\n", 1), fontsize=9)
    save_figure(figure, path)
