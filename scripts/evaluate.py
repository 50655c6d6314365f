"""Evaluate a trained numcnn model on the MNIST test set.

    python scripts/evaluate.py runs/mnist/model.npz
    python scripts/evaluate.py recognizer/models/mnist_cnn/model.npz --out /tmp/eval

Prints the test accuracy and loss, precision and recall per digit, and the confusion matrix; writes
confusion_matrix.png, mistakes.png (the most confident mistakes), filters.png (first layer) and feature_maps.png (a
look inside the network: what each convolution layer detects in the first few test digits) to --out (default: the
model's directory), and redraws curves.png when the model sits in a run directory with its history.json.
MNIST is found as in scripts/train.py: --data-dir, else $NUMCNN_DATA, else the user cache.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

import numcnn
from numcnn import plots
from numcnn.activations import conv_feature_maps
from numcnn.data import load_mnist
from numcnn.training import confusion_matrix, evaluate, to_model_input

INSIDE_DIGITS = 4   # test digits shown in feature_maps.png: the first ones of the test set (7, 2, 1, 0)


def per_class_table(counts: np.ndarray) -> str:
    """counts: (K, K) confusion matrix -> text table of precision, recall and support per class.

    precision = correct / predicted as that class; recall = correct / truly that class.
    """
    correct = np.diag(counts)
    predicted, actual = counts.sum(axis=0), counts.sum(axis=1)
    lines = ["digit  precision   recall  support"]
    for digit in range(len(counts)):
        precision = correct[digit] / predicted[digit] if predicted[digit] else float("nan")
        recall = correct[digit] / actual[digit] if actual[digit] else float("nan")
        lines.append(f"{digit:>5}  {precision:9.2%}  {recall:7.2%}  {actual[digit]:7d}")
    return "\n".join(lines)


def confusion_table(counts: np.ndarray) -> str:
    """counts: (K, K) -> text grid, rows = true digit, columns = predicted digit."""
    width = max(4, len(str(counts.max())) + 1)
    header = "true\\pred" + "".join(f"{digit:>{width}}" for digit in range(len(counts)))
    rows = [f"{digit:>9}" + "".join(f"{n:>{width}}" for n in row) for digit, row in enumerate(counts)]
    return "\n".join([header, *rows])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="a model file saved by numcnn (e.g. runs/mnist/model.npz)")
    parser.add_argument("--data-dir", help="directory with the four MNIST files (default: $NUMCNN_DATA, "
                                           "then the user cache)")
    parser.add_argument("--out", help="directory for the figures (default: the model's directory)")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.model):  # a bad argument: exit code 2, as in every tool
        parser.error(f"{args.model!r}: no such file; give the path of a trained model .npz")
    out = args.out or os.path.dirname(os.path.abspath(args.model))

    try:
        model = numcnn.load(args.model)
        _, (x_test, y_test) = load_mnist(args.data_dir)
    except (FileNotFoundError, ValueError) as error:  # DataError is a ValueError
        sys.exit(f"error: {error}")

    test = evaluate(model, x_test, y_test)
    counts = confusion_matrix(y_test, test.predictions, num_classes=model.output_shape[0])
    print(f"{args.model}: test accuracy {test.accuracy:.2%} ({int(len(y_test) - np.trace(counts))} errors in "
          f"{len(y_test)}), test loss {test.loss:.4f}")
    print()
    print(per_class_table(counts))
    print()
    print(confusion_table(counts))
    plots.plot_confusion_matrix(counts, os.path.join(out, "confusion_matrix.png"))
    plots.plot_worst_mistakes(x_test, y_test, test.probs, os.path.join(out, "mistakes.png"))
    figures = ["confusion_matrix.png", "mistakes.png"]
    first_conv = next((layer for layer in model.layers if isinstance(layer, numcnn.Conv2D)), None)
    if first_conv is not None:  # a model without convolutions has no filters or feature maps to show
        plots.plot_filters(first_conv.params["weight"], os.path.join(out, "filters.png"))
        shown = slice(0, INSIDE_DIGITS)
        titles = [f"true {label}, read {read} ({probs[read]:.0%})" for label, read, probs in
                  zip(y_test[shown], test.predictions[shown], test.probs[shown])]
        plots.plot_feature_maps(x_test[shown], conv_feature_maps(model, to_model_input(x_test[shown])),
                                os.path.join(out, "feature_maps.png"), titles)
        figures += ["filters.png", "feature_maps.png"]
    history_path = os.path.join(os.path.dirname(os.path.abspath(args.model)), "history.json")
    if os.path.isfile(history_path):
        with open(history_path) as f:
            plots.plot_history(json.load(f)["epochs"], os.path.join(out, "curves.png"))
        figures.append("curves.png")
    print(f"\nsaved in {out}: {', '.join(figures)}")


if __name__ == "__main__":
    main()
