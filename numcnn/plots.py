"""Figures of a training run, saved as PNG: learning curves, confusion matrix, worst mistakes, first-layer filters.

Uses matplotlib's object-oriented API with the Agg renderer (no pyplot, no window, works without a display).
Every figure is written to a temporary file in the target directory and renamed into place.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

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
