"""Training a classifier: the fit loop, its learning-rate schedule, checkpoints and evaluation.

    model, optimizer = numcnn.zoo.build("default"), numcnn.Adam(model)
    (x_train, y_train), (x_val, y_val) = split_validation(x, y, 5000)      # uint8 images (N, 28, 28)
    history = fit(model, optimizer, (x_train, y_train), (x_val, y_val), epochs=8,
                  lr_schedule=lambda step: one_cycle_lr(step, total_steps, max_lr=3e-3),
                  augment_ranges=AffineRanges(), checkpoint_path="runs/mnist/checkpoint.npz")

Reproducibility: every random choice comes from the seed. Epoch e shuffles with a generator made from
(seed, e), and batch b of that epoch is augmented with one made from (seed, e, b), so no generator carries
state from one batch to the next except the model's (dropout), which checkpoints save. A run resumed from a
checkpoint, even one written in the middle of an epoch by Ctrl-C, ends with exactly the weights of a run that
was never stopped.

Checkpoints are written (atomically) at the end of every epoch and when Ctrl-C stops training between two
steps. A loss that becomes NaN or infinite stops training before the bad step changes anything, so the last
checkpoint on disk stays the last good one.
"""
from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from numcnn.augment import AffineRanges, augment
from numcnn.io import load_arrays, save_arrays_atomic
from numcnn.losses import SoftmaxCrossEntropy
from numcnn.model import Sequential
from numcnn.optim import Optimizer

Split = tuple[np.ndarray, np.ndarray]
CHECKPOINT_FORMAT = "numcnn-checkpoint"
CHECKPOINT_VERSION = 1


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped training; a checkpoint was saved (``checkpoint_path``, None if training had none)."""

    def __init__(self, message: str, checkpoint_path: str | None) -> None:
        super().__init__(message)
        self.checkpoint_path = checkpoint_path


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; nothing was saved after the last good checkpoint."""


# ---------------------------------------------------------------------------------------------------------
# Learning-rate schedules: pure functions of the step number, so resuming at step s gives the same rate.

def one_cycle_lr(step: int, total_steps: int, max_lr: float, warmup_fraction: float = 0.2,
                 final_lr_fraction: float = 0.01) -> float:
    """Linear warm-up to ``max_lr`` over the first ``warmup_fraction`` of the steps, then a cosine down to
    ``max_lr * final_lr_fraction`` at the last step (step = 0 .. total_steps - 1).

    Warm-up lets Adam estimate the gradient scale before taking big steps; the long decay at the end settles
    the weights into a minimum, which is where most of the last 0.3% of accuracy comes from.
    """
    warmup_steps = max(1, round(warmup_fraction * total_steps))
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    final_lr = max_lr * final_lr_fraction
    progress = (step - warmup_steps) / max(1, total_steps - 1 - warmup_steps)
    return final_lr + (max_lr - final_lr) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def constant_lr(step: int, lr: float) -> float:
    """The same learning rate at every step (how the Keras example trains)."""
    return lr


# ---------------------------------------------------------------------------------------------------------
# Data: hold out a validation set; turn uint8 digits into the model's float input.

def split_validation(images: np.ndarray, labels: np.ndarray, validation_size: int,
                     seed: int = 0) -> tuple[Split, Split]:
    """Hold out ``validation_size`` random images (chosen by ``seed``) -> ((x_train, y_train), (x_val, y_val)).

    images: (N, H, W), labels: (N,). The training part keeps its original order.
    """
    if not 0 <= validation_size < len(images):
        raise ValueError(f"validation_size must be in [0, {len(images)}), got {validation_size}")
    held_out = np.zeros(len(images), dtype=bool)
    held_out[np.random.default_rng(seed).permutation(len(images))[:validation_size]] = True
    return (images[~held_out], labels[~held_out]), (images[held_out], labels[held_out])


def to_model_input(images: np.ndarray) -> np.ndarray:
    """images: (N, 28, 28) uint8 in 0..255 -> (N, 1, 28, 28) float32 in [0, 1], the model's input."""
    return (images[:, None, :, :] / np.float32(255)).astype(np.float32)


# ---------------------------------------------------------------------------------------------------------
# Evaluation.

@dataclass
class Evaluation:
    """loss: mean cross-entropy; accuracy: fraction correct; probs: (N, K) float32; predictions: (N,) int64."""

    loss: float
    accuracy: float
    probs: np.ndarray
    predictions: np.ndarray


def evaluate(model: Sequential, images: np.ndarray, labels: np.ndarray, batch_size: int = 500) -> Evaluation:
    """Score the model on uint8 images (N, 28, 28) with labels (N,), without dropout or augmentation."""
    probs = model.predict_proba(to_model_input(images), batch_size=batch_size)
    picked = probs[np.arange(len(labels)), labels].astype(np.float64)
    loss = float(-np.log(np.maximum(picked, 1e-12)).mean())
    predictions = probs.argmax(axis=1)
    return Evaluation(loss, float((predictions == labels).mean()), probs, predictions)


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """(K, K) int64 counts: row = true class, column = predicted class."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (labels, predictions), 1)
    return counts


# ---------------------------------------------------------------------------------------------------------
# Where training stands: everything a checkpoint must hold besides the weights and the optimizer.

@dataclass
class TrainState:
    """Position in the run (``epoch`` 0-based, ``step`` = batches done in that epoch), the finished epochs'
    ``history``, the running sums of the unfinished epoch, and free-form ``config`` (the run's settings)."""

    epoch: int = 0
    step: int = 0
    history: list[dict] = field(default_factory=list)
    loss_sum: float = 0.0
    correct: int = 0
    seen: int = 0
    train_seconds: float = 0.0
    config: dict = field(default_factory=dict)

    def start_epoch(self, epoch: int) -> None:
        self.epoch, self.step = epoch, 0
        self.loss_sum, self.correct, self.seen, self.train_seconds = 0.0, 0, 0, 0.0


def save_checkpoint(path: str, model: Sequential, optimizer: Optimizer, state: TrainState) -> None:
    """Write weights, optimizer state, position, history and the model's RNG state to ``path``, atomically."""
    arrays = {f"model.{name}": layer.params[key] for name, layer, key in model.parameters()}
    arrays.update({f"optimizer.{name}": value for name, value in optimizer.state_dict().items()})
    header = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
              "model_rng": model.rng.bit_generator.state, **state.__dict__}
    save_arrays_atomic(path, arrays, header)


def load_checkpoint(path: str, model: Sequential, optimizer: Optimizer) -> TrainState:
    """Restore ``model`` and ``optimizer`` from ``path`` in place; return the saved TrainState."""
    arrays, header = load_arrays(path)
    if header.get("format") != CHECKPOINT_FORMAT or header.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: not a numcnn training checkpoint (version {CHECKPOINT_VERSION})")
    for name, layer, key in model.parameters():
        saved = arrays.get(f"model.{name}")
        if saved is None or saved.shape != layer.params[key].shape:
            raise ValueError(f"{path}: the checkpoint's {name} does not fit this model "
                             f"(a different --arch?); start a new run in another --out directory")
        layer.params[key][...] = saved
    optimizer.load_state_dict({name[len("optimizer."):]: value for name, value in arrays.items()
                               if name.startswith("optimizer.")})
    model.rng.bit_generator.state = header["model_rng"]  # in place: the Dropout layers share this generator
    return TrainState(**{name: header[name] for name in TrainState.__dataclass_fields__})


# ---------------------------------------------------------------------------------------------------------
# The fit loop.

def fit(model: Sequential, optimizer: Optimizer, train: Split, validation: Split | None, *, epochs: int,
        batch_size: int = 128, lr_schedule: Callable[[int], float] | None = None, seed: int = 0,
        augment_ranges: AffineRanges | None = None, checkpoint_path: str | None = None,
        state: TrainState | None = None, progress: bool = True,
        on_epoch_end: Sequence[Callable[[dict], None]] = ()) -> list[dict]:
    """Train ``model`` for ``epochs`` epochs of mini-batch gradient descent; return the history.

    Inputs:
    - train: (images (N, 28, 28) uint8, labels (N,) int); validation: the same, or None
    - lr_schedule: global step (0-based) -> learning rate, set before each step; None keeps ``optimizer.lr``
    - seed: draws the shuffling and the augmentation (dropout draws from ``model.rng``)
    - augment_ranges: random affine transforms of the training images; None trains on them as they are
    - checkpoint_path: where to save a checkpoint after every epoch and on Ctrl-C; None saves nothing
    - state: where to continue from (``load_checkpoint``); None starts at epoch 0
    - on_epoch_end: functions called with each epoch's history record, after its checkpoint is saved

    Returns one dict per epoch: epoch (1-based), train_loss, train_acc (measured on the augmented batches,
    with dropout, as they were trained on), val_loss, val_acc (None without validation), lr (at the epoch's
    last step), images_per_s (training steps only), seconds (the whole epoch, validation included).
    Raises TrainingInterrupted on Ctrl-C (after saving) and TrainingDiverged when the loss is not finite.
    """
    images, labels = train
    steps_per_epoch = math.ceil(len(images) / batch_size)
    state = state if state is not None else TrainState()
    loss_fn = SoftmaxCrossEntropy()
    with deferred_ctrl_c() as ctrl_c_pressed:
        for epoch in range(state.epoch, epochs):
            order = np.random.default_rng([seed, epoch]).permutation(len(images))
            bar = tqdm(total=steps_per_epoch, initial=state.step, desc=f"epoch {epoch + 1}/{epochs}",
                       unit="batch", leave=False, disable=not progress, dynamic_ncols=True)
            with bar:
                while state.step < steps_per_epoch:
                    if ctrl_c_pressed():
                        raise _interrupt(model, optimizer, state, checkpoint_path)
                    started = time.perf_counter()
                    batch = order[state.step * batch_size:(state.step + 1) * batch_size]
                    x, y = images[batch], labels[batch]
                    if augment_ranges is not None:
                        x = augment(x, np.random.default_rng([seed, epoch, state.step]), augment_ranges)
                    if lr_schedule is not None:
                        optimizer.lr = lr_schedule(epoch * steps_per_epoch + state.step)
                    logits = model.forward(to_model_input(x), training=True)
                    loss = loss_fn.forward(logits, y)
                    if not math.isfinite(loss):
                        raise _diverged(loss, state, steps_per_epoch, optimizer.lr, checkpoint_path)
                    model.backward(loss_fn.backward(), need_input_grad=False)
                    optimizer.step()
                    state.loss_sum += loss * len(batch)
                    state.correct += int((logits.argmax(axis=1) == y).sum())
                    state.seen += len(batch)
                    state.step += 1
                    state.train_seconds += time.perf_counter() - started
                    bar.set_postfix(loss=f"{state.loss_sum / state.seen:.4f}",
                                    acc=f"{state.correct / state.seen:.4f}", lr=f"{optimizer.lr:.2g}")
                    bar.update()
            record = _finish_epoch(model, optimizer, state, validation)
            state.history.append(record)
            state.start_epoch(epoch + 1)
            if checkpoint_path is not None:
                save_checkpoint(checkpoint_path, model, optimizer, state)
            for callback in on_epoch_end:
                callback(record)
    return state.history


def _finish_epoch(model: Sequential, optimizer: Optimizer, state: TrainState, validation: Split | None) -> dict:
    started = time.perf_counter()
    scores = evaluate(model, *validation) if validation is not None and len(validation[0]) else None
    return {
        "epoch": state.epoch + 1,
        "train_loss": state.loss_sum / state.seen,
        "train_acc": state.correct / state.seen,
        "val_loss": scores.loss if scores else None,
        "val_acc": scores.accuracy if scores else None,
        "lr": optimizer.lr,
        "images_per_s": state.seen / state.train_seconds,
        "seconds": state.train_seconds + time.perf_counter() - started,
    }


def _interrupt(model: Sequential, optimizer: Optimizer, state: TrainState,
               checkpoint_path: str | None) -> TrainingInterrupted:
    where = f"epoch {state.epoch + 1}, after {state.step} batches"
    if checkpoint_path is None:
        return TrainingInterrupted(f"training stopped by Ctrl-C at {where}; no checkpoint path was given, "
                                   "so nothing was saved", None)
    save_checkpoint(checkpoint_path, model, optimizer, state)
    return TrainingInterrupted(f"training stopped by Ctrl-C at {where}; checkpoint saved to "
                               f"{checkpoint_path}", checkpoint_path)


def _diverged(loss: float, state: TrainState, steps_per_epoch: int, lr: float,
              checkpoint_path: str | None) -> TrainingDiverged:
    kept = (f"The last good checkpoint is kept in {checkpoint_path}."
            if checkpoint_path is not None and os.path.exists(checkpoint_path) else "No checkpoint was saved.")
    return TrainingDiverged(
        f"training stopped: the loss became {loss} at epoch {state.epoch + 1}, step "
        f"{state.step + 1}/{steps_per_epoch} (learning rate {lr:.3g}); the weights have blown up. {kept} "
        f"Try a lower learning rate (--lr).")


@contextmanager
def deferred_ctrl_c() -> Iterator[Callable[[], bool]]:
    """While active, the first Ctrl-C only raises a flag (read it with the yielded function), so the loop can
    stop between two steps with consistent weights and save them; a second Ctrl-C interrupts at once.

    Outside the main thread signal handlers cannot be installed, and Ctrl-C interrupts as usual.
    """
    pressed = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return

    def on_ctrl_c(signum, frame) -> None:
        if pressed:
            raise KeyboardInterrupt
        pressed.append(True)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield lambda: bool(pressed)
    finally:
        signal.signal(signal.SIGINT, previous)
