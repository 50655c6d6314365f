"""Train a digit classifier on MNIST with numcnn, evaluate it on the test set and save it with its figures.

    python scripts/train.py                              # the default net: 8 epochs, augmentation, 99.5%+
    python scripts/train.py --arch keras-example         # the Keras MNIST example's net and training (~99.2%)
    python scripts/train.py --arch seed                  # the first tutorial's net (~98.5-99%)
    python scripts/train.py --limit 2000 --epochs 1 --out runs/try   # a quick try on the first 2000 images
    python scripts/train.py --resume                     # continue the run in --out after Ctrl-C

MNIST is found via --data-dir, else $NUMCNN_DATA, else the user cache (downloaded there the first time);
see numcnn/data.py. The run directory (--out, default runs/mnist) receives:

    model.npz            the trained model (numcnn.load), with test accuracy, loss and the command in model.meta
    checkpoint.npz       weights + optimizer + position, written every epoch and on Ctrl-C (for --resume)
    history.json         settings, per-epoch history (loss, accuracy, lr, images/s, seconds) and test scores
    curves.png           training and validation loss and accuracy per epoch
    confusion_matrix.png test-set confusion matrix
    mistakes.png         the test digits the model got wrong most confidently
    filters.png          the first convolution layer's filters

Ctrl-C stops between two steps, saves checkpoint.npz and tells how to resume; the resumed run ends with the
same weights as an uninterrupted one. The same --seed gives the same run.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
from functools import partial

import numcnn
from numcnn import plots, zoo
from numcnn.augment import AffineRanges
from numcnn.data import DataError, load_mnist
from numcnn.io import atomic_write, load_arrays
from numcnn.training import (
    TrainingDiverged,
    TrainingInterrupted,
    TrainState,
    confusion_matrix,
    constant_lr,
    evaluate,
    fit,
    load_checkpoint,
    one_cycle_lr,
    split_validation,
)

# How each network trains unless told otherwise. "default" is this project's recipe: Adam with a one-cycle
# schedule (warm-up to max lr, cosine decay) and random affine augmentation (numcnn.augment's default ranges).
# "seed" and "keras-example" train as their tutorials do: Adam at a constant 1e-3 on the images as they are.
ARCH_DEFAULTS = {
    "default":       {"epochs": 8,  "lr": 3e-3, "schedule": "one-cycle", "augment": True},
    "small":         {"epochs": 12, "lr": 3e-3, "schedule": "one-cycle", "augment": True},
    "medium":        {"epochs": 12, "lr": 3e-3, "schedule": "one-cycle", "augment": True},
    "seed":          {"epochs": 5,  "lr": 1e-3, "schedule": "constant",  "augment": False},
    "keras-example": {"epochs": 12, "lr": 1e-3, "schedule": "constant",  "augment": False},
}
COMMON_DEFAULTS = {"batch_size": 128, "seed": 0, "limit": None}
VALIDATION_SIZE = 5000  # images held out from the training set (at most a tenth of them with --limit)
# A resumed run must see the same data in the same order; only these settings may change when resuming.
CHANGEABLE_ON_RESUME = ("epochs", "lr")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.split("\n")[2:8]))
    # Settings left at None take their value from ARCH_DEFAULTS / COMMON_DEFAULTS (or from the checkpoint).
    parser.add_argument("--arch", choices=zoo.ARCHITECTURES, help="network from numcnn.zoo (default: default)")
    parser.add_argument("--epochs", type=int, help="passes over the training set (default: per arch)")
    parser.add_argument("--batch-size", type=int, help="images per step (default: 128)")
    parser.add_argument("--lr", type=float, help="learning rate; peak of the one-cycle schedule (default: per arch)")
    parser.add_argument("--seed", type=int, help="seeds weights, validation split, shuffling, augmentation, "
                                                 "dropout (default: 0)")
    parser.add_argument("--no-augment", dest="augment", action="store_const", const=False,
                        help="train on the images as they are (default: augment for --arch default only)")
    parser.add_argument("--limit", type=int, help="use only the first N training images, for quick tries")
    parser.add_argument("--data-dir", help="directory with the four MNIST files (default: $NUMCNN_DATA, "
                                           "then the user cache)")
    parser.add_argument("--out", default=os.path.join("runs", "mnist"), help="run directory (default: runs/mnist)")
    parser.add_argument("--resume", action="store_true", help="continue the run saved in --out/checkpoint.npz")
    parser.add_argument("--force", action="store_true", help="replace a finished model in --out (default: refuse)")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="no progress bars (for logs); one line per epoch is printed anyway")
    args = parser.parse_args(argv)
    for name, least in (("epochs", 1), ("batch_size", 1), ("limit", 100)):  # --limit: a tenth validates
        if getattr(args, name) is not None and getattr(args, name) < least:
            parser.error(f"--{name.replace('_', '-')} must be at least {least}")
    if args.lr is not None and not args.lr > 0:
        parser.error("--lr must be > 0")
    return args


def resolve_settings(args: argparse.Namespace, checkpoint_path: str) -> dict:
    """The run's settings: the command line over the checkpoint's (when resuming) or over the defaults."""
    given = {name: getattr(args, name) for name in ("arch", "epochs", "batch_size", "lr", "seed", "augment",
                                                    "limit") if getattr(args, name) is not None}
    if not args.resume:
        arch = given.get("arch", "default")
        return {"arch": arch, **COMMON_DEFAULTS, **ARCH_DEFAULTS[arch], **given}
    if not os.path.isfile(checkpoint_path):
        sys.exit(f"error: --resume: no checkpoint at {checkpoint_path}; pass the --out of the run to resume")
    saved = load_arrays(checkpoint_path)[1]["config"]
    conflicts = [f"--{name.replace('_', '-')} {given[name]} (the run has {saved[name]})" for name in given
                 if name not in CHANGEABLE_ON_RESUME and given[name] != saved[name]]
    if conflicts:
        sys.exit(f"error: --resume continues the run in {os.path.dirname(checkpoint_path)} with its own data "
                 f"settings; drop {', '.join(conflicts)}, or start a new run with another --out")
    return {**saved, **given}


def refuse_to_overwrite_unfinished_run(checkpoint_path: str) -> None:
    if not os.path.isfile(checkpoint_path):
        return
    header = load_arrays(checkpoint_path)[1]
    if header["epoch"] < header["config"]["epochs"]:
        sys.exit(f"error: {checkpoint_path} holds an unfinished run ({header['epoch']} of "
                 f"{header['config']['epochs']} epochs done); continue it with --resume, or choose another --out "
                 f"(or delete the file) to start over")


def refuse_to_overwrite_finished_model(out: str, force: bool) -> None:
    path = os.path.join(out, "model.npz")
    if os.path.isfile(path) and not force:
        sys.exit(f"error: {path} holds a finished model; choose another --out (a quick try: --out runs/try), or pass "
                 f"--force to replace it")


def write_json_atomic(path: str, data: dict) -> None:
    with atomic_write(path, "w") as f:
        json.dump(data, f, indent=2)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    checkpoint_path = os.path.join(args.out, "checkpoint.npz")
    settings = resolve_settings(args, checkpoint_path)
    # Where the data came from is remembered in the checkpoint, so that --resume needs no other flag.
    data_dir = args.data_dir or settings.pop("data_dir", None)
    settings.pop("data_dir", None)
    if not args.resume:
        refuse_to_overwrite_finished_model(args.out, args.force)
        refuse_to_overwrite_unfinished_run(checkpoint_path)

    # ---- data: MNIST, verified; a validation set held out from the training images
    try:
        (x_train, y_train), (x_test, y_test) = load_mnist(data_dir)
    except DataError as error:
        sys.exit(f"error: {error}")
    os.makedirs(args.out, exist_ok=True)  # only once there is data to train on: a failed start leaves no folder
    if settings["limit"] is not None:
        x_train, y_train = x_train[:settings["limit"]], y_train[:settings["limit"]]
    validation_size = min(VALIDATION_SIZE, len(x_train) // 10)
    train, validation = split_validation(x_train, y_train, validation_size, seed=settings["seed"])
    print(f"data: {len(train[0])} training, {len(validation[0])} validation, {len(x_test)} test images")

    # ---- model, optimizer and learning-rate schedule
    model = zoo.build(settings["arch"], seed=settings["seed"])
    optimizer = numcnn.Adam(model, lr=settings["lr"])
    total_steps = settings["epochs"] * math.ceil(len(train[0]) / settings["batch_size"])
    if settings["schedule"] == "one-cycle":
        lr_schedule = partial(one_cycle_lr, total_steps=total_steps, max_lr=settings["lr"])
    else:
        lr_schedule = partial(constant_lr, lr=settings["lr"])
    if args.resume:
        state = load_checkpoint(checkpoint_path, model, optimizer)
        print(f"resuming {checkpoint_path} at epoch {state.epoch + 1}, batch {state.step}")
    else:
        state = TrainState()
    state.config = {**settings, "data_dir": os.path.abspath(data_dir) if data_dir else None}  # read by --resume
    print(model.summary())
    print("settings: " + ", ".join(f"{name}={value}" for name, value in settings.items()))

    # ---- train: one line per epoch; a checkpoint after every epoch and on Ctrl-C
    def log_epoch(record: dict) -> None:
        elapsed = sum(r["seconds"] for r in state.history)  # the finished epochs, this one included
        print(f"epoch {record['epoch']:2d}/{settings['epochs']}  "
              f"train loss {record['train_loss']:.4f} acc {record['train_acc']:.2%}  "
              f"val loss {record['val_loss']:.4f} acc {record['val_acc']:.2%}  "
              f"lr {record['lr']:.2e}  {record['images_per_s']:4.0f} img/s  "
              f"{record['seconds']:5.1f} s (elapsed {elapsed / 60:.1f} min)", flush=True)

    try:
        history = fit(model, optimizer, train, validation, epochs=settings["epochs"],
                      batch_size=settings["batch_size"], lr_schedule=lr_schedule, seed=settings["seed"],
                      augment_ranges=AffineRanges() if settings["augment"] else None,
                      checkpoint_path=checkpoint_path, state=state, progress=args.progress,
                      on_epoch_end=[log_epoch])
    except TrainingInterrupted as stop:
        resume = shlex.join(["python", "scripts/train.py", "--out", args.out, "--resume"])
        print(f"\n{stop}\nresume with: {resume}", file=sys.stderr)
        sys.exit(130)
    except TrainingDiverged as error:
        sys.exit(f"error: {error}")
    training_seconds = sum(record["seconds"] for record in history)

    # ---- evaluate on the test set, save the model, the history and the figures
    test = evaluate(model, x_test, y_test)
    print(f"test accuracy {test.accuracy:.2%} ({round((1 - test.accuracy) * len(y_test))} errors in "
          f"{len(y_test)}), test loss {test.loss:.4f}, training time {training_seconds / 60:.1f} min")
    results = {"test_accuracy": test.accuracy, "test_loss": test.loss, "training_seconds": training_seconds}
    model.meta.update(results, architecture=settings["arch"], seed=settings["seed"], epochs=settings["epochs"],
                      settings=settings, command=shlex.join(["python"] + sys.argv),
                      numcnn_version=numcnn.__version__)
    model.save(os.path.join(args.out, "model.npz"))
    write_json_atomic(os.path.join(args.out, "history.json"),
                      {"settings": settings, "epochs": history, **results})
    plots.plot_history(history, os.path.join(args.out, "curves.png"))
    plots.plot_confusion_matrix(confusion_matrix(y_test, test.predictions), os.path.join(args.out,
                                                                                         "confusion_matrix.png"))
    plots.plot_worst_mistakes(x_test, y_test, test.probs, os.path.join(args.out, "mistakes.png"))
    first_conv = next(layer for layer in model.layers if isinstance(layer, numcnn.Conv2D))
    plots.plot_filters(first_conv.params["weight"], os.path.join(args.out, "filters.png"))
    print(f"saved {args.out}/: model.npz, checkpoint.npz, history.json, curves.png, confusion_matrix.png, "
          f"mistakes.png, filters.png")


if __name__ == "__main__":
    main()
