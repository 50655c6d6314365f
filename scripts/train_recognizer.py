"""Build the recognizer's training data and train its network: 11 classes, the digits 0-9 and "not a digit".

    python scripts/train_recognizer.py --data-dir ../shared/data/mnist                 # -> runs/recognizer/
    python scripts/train_recognizer.py --data-dir ../shared/data/mnist --out recognizer/models/mnist_cnn
    python scripts/train_recognizer.py --pages 200 --lone 500 --epochs 1 --out runs/try  # a quick try

The data (``recognizer/training_data.py``): the candidates that the recognizer's own stages find on synthetic
pages of MNIST **training** digits among words, symbols, forms and clutter, each labelled by its overlap with
the true digits, plus lone marks and the training digits themselves. It is built once per setting and cached
in --cache (the second run starts training at once). The MNIST test digits are used only to evaluate.

The network is numcnn's "medium" net with 11 outputs, trained with the project's recipe (Adam, one-cycle
learning rate, random affine augmentation). --out receives model.npz (numcnn.load; the recognizer's default
when --out is recognizer/models/mnist_cnn), history.json, curves.png, confusion_matrix.png (11 classes, on
the validation candidates) and mistakes.png (MNIST test digits). The same --seed gives the same model.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import time
from functools import partial

import numpy as np

import numcnn
from numcnn import plots, zoo
from numcnn.augment import AffineRanges
from numcnn.data import DataError, load_mnist
from numcnn.io import atomic_write
from numcnn.training import (
    TrainingDiverged,
    TrainingInterrupted,
    confusion_matrix,
    evaluate,
    fit,
    one_cycle_lr,
    split_validation,
)
from recognizer.training_data import NOT_A_DIGIT, cached_dataset

CLASSES = 11            # the digits 0-9 and NOT_A_DIGIT
VALIDATION_DIGITS = 5000  # MNIST training digits held out: the validation pages are made of these only


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", help="directory with the four MNIST files (default: $NUMCNN_DATA, then the "
                                           "user cache)")
    parser.add_argument("--out", default=os.path.join("runs", "recognizer"), help="run directory")
    parser.add_argument("--cache", default=os.path.join("runs", "cache"), help="where built data is kept")
    parser.add_argument("--pages", type=int, default=4000, help="synthetic pages whose candidates are learnt")
    parser.add_argument("--lone", type=int, default=8000, help="lone marks (letters, symbols, dots) to learn")
    parser.add_argument("--arch", choices=zoo.ARCHITECTURES, default="medium", help="network from numcnn.zoo")
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training data")
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--batch-size", type=int, default=128, help="images per step")
    parser.add_argument("--seed", type=int, default=0, help="seeds the pages, the weights and the training")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    args = parser.parse_args(argv)
    for name, least in (("pages", 1), ("lone", 1), ("epochs", 1), ("batch_size", 1)):
        if getattr(args, name) < least:
            parser.error(f"--{name.replace('_', '-')} must be at least {least}")
    if not args.lr > 0:
        parser.error("--lr must be > 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()

    # ---- data: pages of MNIST training digits only; the test digits are for evaluation
    try:
        (x_mnist, y_mnist), (x_test, y_test) = load_mnist(args.data_dir)
    except DataError as error:
        sys.exit(f"error: {error}")
    (x_digits, y_digits), (x_held, y_held) = split_validation(x_mnist, y_mnist, VALIDATION_DIGITS, seed=args.seed)
    x_train, y_train = cached_dataset(x_digits, y_digits, args.pages, args.seed, args.cache, args.lone)
    x_val, y_val = cached_dataset(x_held, y_held, max(1, args.pages // 10), args.seed + 1, args.cache,
                                  max(1, args.lone // 10))
    counts = np.bincount(y_train, minlength=CLASSES)
    print(f"data: {len(y_train)} training images ({counts[NOT_A_DIGIT]} not digits), {len(y_val)} validation; "
          f"built or loaded in {time.perf_counter() - started:.0f} s", flush=True)

    # ---- model and schedule
    model = zoo.build(args.arch, seed=args.seed, classes=CLASSES)
    optimizer = numcnn.Adam(model, lr=args.lr)
    total_steps = args.epochs * math.ceil(len(y_train) / args.batch_size)
    print(model.summary())

    def log_epoch(record: dict) -> None:
        print(f"epoch {record['epoch']:2d}/{args.epochs}  train loss {record['train_loss']:.4f} "
              f"acc {record['train_acc']:.2%}  val loss {record['val_loss']:.4f} acc {record['val_acc']:.2%}  "
              f"{record['images_per_s']:4.0f} img/s  {record['seconds']:5.1f} s", flush=True)

    # ---- train
    os.makedirs(args.out, exist_ok=True)
    try:
        history = fit(model, optimizer, (x_train, y_train), (x_val, y_val), epochs=args.epochs,
                      batch_size=args.batch_size, seed=args.seed, augment_ranges=AffineRanges(),
                      lr_schedule=partial(one_cycle_lr, total_steps=total_steps, max_lr=args.lr),
                      progress=args.progress, on_epoch_end=[log_epoch])
    except TrainingInterrupted:
        sys.exit(130)
    except TrainingDiverged as error:
        sys.exit(f"error: {error}")

    # ---- evaluate: MNIST test digits (read right, called "not a digit") and the validation candidates
    test = evaluate(model, x_test, y_test)
    not_digit = float((test.predictions == NOT_A_DIGIT).mean())
    validation = evaluate(model, x_val, y_val)
    minutes = (time.perf_counter() - started) / 60
    print(f"MNIST test digits: {test.accuracy:.2%} read right, {not_digit:.2%} called not a digit; validation "
          f"candidates {validation.accuracy:.2%}; {minutes:.1f} min in all", flush=True)
    results = {"test_accuracy": test.accuracy, "test_not_a_digit": not_digit,
               "validation_accuracy": validation.accuracy, "minutes": minutes}
    model.meta.update(results, architecture=args.arch, classes=CLASSES, seed=args.seed, epochs=args.epochs,
                      pages=args.pages, command=shlex.join(["python"] + sys.argv), numcnn_version=numcnn.__version__)
    model.save(os.path.join(args.out, "model.npz"))
    with atomic_write(os.path.join(args.out, "history.json"), "w") as f:
        json.dump({"settings": vars(args), "epochs": history, **results}, f, indent=2)
    plots.plot_history(history, os.path.join(args.out, "curves.png"))
    plots.plot_confusion_matrix(confusion_matrix(y_val, validation.predictions, CLASSES),
                                os.path.join(args.out, "confusion_matrix.png"),
                                title="confusion matrix (validation candidates; 10 = not a digit)")
    plots.plot_worst_mistakes(x_test, y_test, test.probs, os.path.join(args.out, "mistakes.png"))
    print(f"saved {args.out}/: model.npz, history.json, curves.png, confusion_matrix.png, mistakes.png")


if __name__ == "__main__":
    main()
